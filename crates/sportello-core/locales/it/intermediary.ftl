# Intermediari (spedizionieri doganali, consulenti) e mandati delle imprese.
mandate-company-title = Mandati a intermediari
mandate-company-intro = Gli intermediari (spedizionieri doganali, consulenti) a cui l'impresa ha conferito un mandato per preparare e inviare pratiche per suo conto, per i tipi di pratica, le camere di commercio e il periodo indicati.
mandate-company-empty = L'impresa non ha conferito mandati.
mandate-clients-title = Clienti
mandate-clients-intro = Le imprese che vi hanno conferito un mandato, con i tipi di pratica, le camere di commercio e il periodo che copre. Per operare per un cliente sceglietelo nella pagina Impresa.
mandate-clients-empty = Nessuna impresa vi ha ancora conferito un mandato.
mandate-clients-act = Scegli il cliente per cui operare
mandate-intermediary = Intermediario
mandate-client = Cliente
mandate-types = Tipi di pratica
mandate-chambers = Camere di commercio
mandate-period-label = Periodo
mandate-period = dal { $from } al { $to }
mandate-state = Stato
mandate-state-not-started = Non ancora iniziato
mandate-state-active = Attivo
mandate-state-expired = Scaduto
mandate-state-revoked = Revocato
mandate-revoked-by-company = Revocato dall'impresa il { $date }
mandate-revoked-by-intermediary = Revocato dall'intermediario il { $date }
mandate-new = Conferisci un mandato
mandate-choose-intermediary = Scegli l'intermediario
mandate-from = Dal
mandate-to = Al
mandate-grant = Conferisci il mandato
mandate-revoke = Revoca
mandate-renounce = Rinuncia al mandato
mandate-granted = Mandato conferito: l'intermediario è stato avvisato per e-mail.
mandate-revoked = Mandato revocato: l'altra parte è stata avvisata per e-mail.
mandate-already-revoked = Il mandato era già stato revocato.
mandate-only-representative = Solo il legale rappresentante dell'impresa può conferire o revocare mandati.
mandate-field-intermediary = Scegli l'intermediario a cui conferire il mandato.
mandate-field-types = Scegli almeno un tipo di pratica.
mandate-field-chambers = Scegli almeno una camera di commercio.
mandate-field-dates = Indica le date di inizio e di fine del mandato (ad esempio 07/12/2026).
mandate-field-end-before-start = La data di fine del mandato viene prima di quella di inizio.
mandate-field-end-past = La data di fine del mandato è già passata.
mandate-refused-none = { $company } non vi ha conferito alcun mandato.
mandate-refused-type = Il mandato di { $company } non copre { $type ->
    [certificate_of_origin] i certificati di origine
    [invoice_visa] i visti su fattura
    [visas_attestations] i visti e le attestazioni
    [certificate_copy] le copie di certificati
   *[other] gli annullamenti di certificati
}.
mandate-refused-chamber = Il mandato di { $company } non copre la { $chamber }.
mandate-refused-not-started = Il mandato di { $company } inizia il { $date }.
mandate-refused-expired = Il mandato di { $company } è scaduto il { $date }.
mandate-refused-revoked = Il mandato di { $company } è stato revocato il { $date }.
practice-presented-by = Presentata da { $intermediary } per conto di { $company }
model-written-by = Preparato da { $intermediary } per conto di { $company }
mandate-field-company = Nessuna impresa del Registro Imprese ha questo codice fiscale.
mandate-company-tax-code = Codice fiscale dell'impresa cliente
mandate-delegation-title = Carica una delega firmata
mandate-delegation-intro = Se il legale rappresentante dell'impresa non usa Sportello, caricate la delega che ha firmato digitalmente (PDF firmato PAdES o file .p7m): il mandato vale per i tipi di pratica, le camere di commercio e il periodo indicati qui sotto.
mandate-delegation-file = Delega firmata dal legale rappresentante (PDF o .p7m)
mandate-delegation-upload = Carica la delega
mandate-delegation-accepted = Delega verificata: il mandato è attivo e l'impresa è tra i vostri clienti.
trade-list-client = Cliente
trade-list-all-clients = Tutti i clienti
mandate-clients-help = Le imprese per cui operate, con il mandato di ciascuna; il caricamento di una delega firmata.
mandate-company-help = Gli intermediari (spedizionieri doganali, consulenti) a cui l'impresa conferisce un mandato.

# Issue 15: what the user's scope at a company does not reach.
company-scope-refused-prepare = Per { $company } potete solo consultare le pratiche: prepararle o modificarle non vi è consentito. Chiedete al legale rappresentante di ampliare il vostro profilo.
company-scope-refused-send = Per { $company } non potete inviare pratiche né ricaricare il borsellino. Chiedete al legale rappresentante di ampliare il vostro profilo.
