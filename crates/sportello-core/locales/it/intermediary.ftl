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
action-manage-intermediaries-label = Intermediari
action-manage-intermediaries-help = Gli spedizionieri doganali e gli altri intermediari che operano per le imprese: registrazione, persone, sospensione.
intermediary-admin-title = Intermediari
intermediary-admin-intro = Gli spedizionieri doganali, le case di spedizioni, le associazioni di categoria e gli studi di consulenza che preparano e inviano pratiche per conto delle imprese, con i mandati ricevuti. Il registro è comune a tutte le camere di commercio della piattaforma.
intermediary-admin-empty = Nessun intermediario registrato.
intermediary-admin-count = { $count ->
    [one] 1 intermediario
   *[other] { $count } intermediari
}
intermediary-name = Denominazione
intermediary-tax-code = Codice fiscale o partita IVA
intermediary-email = Indirizzo e-mail per gli avvisi sui mandati
intermediary-kind = Tipo
intermediary-kind-customs-broker = Spedizioniere doganale
intermediary-kind-freight-forwarder = Casa di spedizioni
intermediary-kind-trade-association = Associazione di categoria
intermediary-kind-consultancy = Studio di consulenza
intermediary-users = Persone
intermediary-mandates-in-force = Mandati in corso
intermediary-state = Stato
intermediary-state-active = Attivo
intermediary-state-suspended = Sospeso dal { $date }
intermediary-new = Registra un intermediario
intermediary-register = Registra
intermediary-registered = Intermediario registrato.
intermediary-invalid = Controllate i campi segnalati: l'intermediario non è stato registrato.
intermediary-open = Apri { $name }
intermediary-field-name = Indicate la denominazione dell'intermediario.
intermediary-field-name-long = La denominazione può avere al massimo 200 caratteri.
intermediary-field-tax-code-length = Il codice fiscale deve avere 16 caratteri (persona) o 11 cifre (impresa, come la partita IVA).
intermediary-field-tax-code-check = Il carattere o la cifra di controllo non corrisponde: controllate di averlo scritto senza errori.
intermediary-field-tax-code-format = Il codice fiscale contiene caratteri non ammessi nella loro posizione, o una data di nascita che non esiste.
intermediary-field-tax-code-taken = Un altro intermediario è già registrato con questo codice fiscale.
intermediary-field-email = Indicate un indirizzo e-mail valido (ad esempio ufficio@spedizioni.it).
intermediary-field-kind = Scegliete il tipo di intermediario.
intermediary-field-person-tax-code = Indicate il codice fiscale personale (16 caratteri) della persona.
intermediary-field-not-company-account = L'account con questo codice fiscale è del personale della camera o è disattivato: non può operare per un intermediario.
intermediary-field-other-intermediary = Questa persona opera già per { $intermediary }: va prima tolta da quello.
intermediary-detail-intro = I dati dell'intermediario, le persone che operano per lui e i mandati che le imprese gli hanno conferito.
intermediary-people-intro = Aggiungete una persona con il suo codice fiscale e l'indirizzo e-mail: se ha già un account opera subito per l'intermediario, altrimenti al suo primo accesso con SPID, CIE o CNS. Riceve un'e-mail in entrambi i casi.
intermediary-people-empty = Nessuna persona opera per questo intermediario.
intermediary-add-person = Aggiungi una persona
intermediary-add = Aggiungi
intermediary-person-linked = La persona opera ora per l'intermediario ed è stata avvisata per e-mail.
intermediary-person-invited = Invito registrato: la persona opererà per l'intermediario al suo primo accesso con SPID, CIE o CNS. È stata avvisata per e-mail.
intermediary-person-removed = La persona non opera più per l'intermediario.
intermediary-person-remove = Togli
intermediary-person-remove-label = Togli { $name } dall'intermediario
intermediary-invitations = Inviti in attesa del primo accesso
intermediary-invited-on = Invitata il
intermediary-invitation-cancel = Annulla l'invito
intermediary-invitation-cancelled = Invito annullato.
intermediary-mandates = Mandati ricevuti
intermediary-mandates-empty = Nessuna impresa ha conferito un mandato a questo intermediario.
intermediary-suspend = Sospendi l'intermediario
intermediary-suspend-help = Mentre è sospeso, le persone dell'intermediario non operano per nessun cliente; i mandati restano registrati e tornano validi alla riattivazione.
intermediary-reactivate = Riattiva l'intermediario
intermediary-suspended = Intermediario sospeso: le sue persone non operano per nessun cliente.
intermediary-reactivated = Intermediario riattivato: le sue persone operano di nuovo entro i mandati in corso.
intermediary-back = Torna agli intermediari
