# Webhook: l'ERP di un'impresa riceve una notifica quando una pratica cambia stato.
action-manage-webhooks-label = Webhook
action-manage-webhooks-help = Gli indirizzi a cui il gestionale dell'impresa riceve le notifiche sulle pratiche (solo tramite API).
webhook-url-invalid = Indirizzo del webhook non valido: scrivi un URL completo, ad esempio https://erp.example.com/sportello.
webhook-url-https = L'indirizzo del webhook deve iniziare con https://.
webhook-url-credentials = L'indirizzo del webhook non può contenere nome utente o password.
webhook-url-unresolvable = Il nome dell'host del webhook non si risolve in alcun indirizzo.
webhook-url-private = L'indirizzo del webhook porta a una rete privata, locale o di loopback ({ $address }): indica un indirizzo raggiungibile da Internet.
webhook-events-required = Indica almeno un evento.
webhook-event-unknown = Evento sconosciuto: { $event }. Eventi possibili: practice.sent, practice.to_rectify, practice.approved, practice.rejected, certificate.cancelled.
webhook-too-many = L'impresa ha già il numero massimo di webhook (10): eliminane uno prima di aggiungerne un altro.
