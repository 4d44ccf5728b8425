# Documenti per l'estero (lato impresa).

trade-type-certificate-of-origin = Certificato d'origine
trade-type-invoice-visa = Visto su fattura
trade-type-visas-attestations = Visti, autorizzazioni e attestazioni
trade-type-certificate-copy = Copia di certificato
trade-type-cancellation = Annullamento, distruzione, smarrimento o furto di certificato

trade-doc-invoice = Fattura
trade-doc-packing-list = Packing list
trade-doc-origin-proof = Prova dell'origine
trade-doc-blank-form-scan = Scansione del formulario
trade-doc-request-form = Modulo di domanda firmato
trade-doc-police-report = Denuncia alle autorità
trade-doc-certificate-scan = Certificato (scansione o XML)
trade-doc-other = Altro documento

trade-field-required = Campo obbligatorio.
trade-field-too-long = Testo troppo lungo.
trade-field-country = Paese non riconosciuto: scegli dall'elenco.
trade-field-email = Indirizzo e-mail non valido.
trade-field-invoice-required = Indica almeno una fattura, con il suo importo.
trade-field-item-required = Indica almeno una riga di merce.
trade-field-too-many = Troppe righe.
trade-field-date = Data non valida (AAAA-MM-GG).
trade-field-date-future = La data non può essere futura.
trade-field-amount = Importo non valido: scrivi ad esempio 15400,00.
trade-field-consignee-italian = Il destinatario di un certificato d'origine non può essere in Italia.
trade-field-certificate-number = Numero di certificato non valido: C, anno a due cifre, due caratteri e sette cifre (es. C26GE0000123).
trade-field-form-serial = Numero del formulario non valido: una lettera e sette cifre, senza barra (es. A0123456).
trade-field-form-serial-required = Per la stampa su formulario indica il numero di serie del formulario.
trade-field-reason = Scegli il motivo: annullamento, distruzione, smarrimento o furto.
trade-field-print-mode = Modalità di stampa non valida.
trade-field-copies = Il numero di copie deve essere tra 0 e 50.
trade-field-proforma = Indica se la fattura è proforma (obbligatorio).
trade-field-goods-location = Indica dove si trova fisicamente la merce (obbligatorio).
trade-field-desk = Sportello di destinazione non valido.
trade-field-site = Sede o unità locale non valida per questa impresa.
trade-field-type = Tipo di pratica non valido.
trade-field-list = Elenco non valido: to_send, to_rectify, sent o archive.
trade-field-cursor = Il cursore di pagina non è valido: usa l'indirizzo dato in «next» dalla pagina precedente.

trade-profile-vat-not-tax-code = Hai inserito la partita IVA: serve il codice fiscale dell'impresa.
trade-profile-tax-code-mismatch = Il codice fiscale non è quello dell'impresa per cui operi.
trade-profile-postcode = CAP non valido (cinque cifre).
trade-profile-province = Sigla di provincia non valida.

trade-status-draft = Da inviare
trade-status-sent = Inviata
trade-status-in-review = In istruttoria
trade-status-to-rectify = Da rettificare
trade-status-approved = Chiusa positivamente
trade-status-rejected = Respinta
trade-status-withdrawn = Ritirata

trade-next-sign-and-send = Da firmare e inviare
trade-next-complete-and-send = Da completare e inviare
trade-next-rectify-by = Da rettificare entro { $deadline }
trade-next-rectify = Da rettificare
trade-next-rectify-expired = Termine per la rettifica scaduto: la pratica sarà respinta
trade-next-at-the-office = In lavorazione presso l'ufficio
trade-next-download-certificate = Rilasciato: scarica il certificato
trade-next-download-documents = Concluso: scarica i documenti rilasciati
trade-next-read-rejection = Respinta: leggi la motivazione nella pratica
trade-next-nothing = Ritirata: nessuna azione

trade-list-to-send = Da inviare
trade-list-to-rectify = Da rettificare
trade-list-sent = Inviate
trade-list-archive = Storico

tariff-copy = Copia
tariff-copy-mandatory = Copia (obbligatoria per la stampa su foglio bianco)
tariff-copy-extra = Copie in più
tariff-visa = Visto
tariff-legalisation = Legalizzazione

trade-attachment-empty = Il file è vuoto.
trade-attachment-too-large = Il file supera i 10 MB.
trade-attachment-type = Formato non accettato: PDF, PDF o documento firmato digitalmente (.p7m), XML, JPEG, PNG o TIFF.
trade-attachment-code = Codice documento: scegli un codice dall'elenco di questo tipo di pratica.
trade-attachment-stamps = Visti e legalizzazioni: da 0 a 20 per documento.
trade-attachment-stamps-type = «{ $document }»: una pratica di { $type ->
        [cancellation] annullamento, distruzione, smarrimento o furto di certificato
        [certificate_copy] copia di certificato
        [invoice_visa] visto su fattura
        [visas_attestations] visti, autorizzazioni e attestazioni
       *[other] certificato d'origine
    } non prevede visti né legalizzazioni.
trade-attachment-stamps-document = «{ $document }»: { $code ->
        [request_form] il modulo di domanda
        [blank_form_scan] la scansione del formulario
        [police_report] la denuncia alle autorità
        [certificate_scan] il certificato di cui si chiedono le copie
       *[other] questo documento
    } non riceve visti né legalizzazioni in una pratica di { $type ->
        [cancellation] annullamento
        [certificate_copy] copia di certificato
        [invoice_visa] visto su fattura
        [visas_attestations] visti, autorizzazioni e attestazioni
       *[other] certificato d'origine
    }. Si vistano fatture, packing list, prove dell'origine e altri documenti.
trade-attachment-too-many = Troppi allegati per una pratica.

trade-send-attachment-required = Allegati: questo tipo di pratica richiede almeno un allegato.
trade-send-request-form-required = Allegati: manca il modulo di domanda firmato digitalmente dal legale rappresentante (codice documento «Modulo di domanda firmato»).
trade-send-police-report-required = Per smarrimento o furto allega la denuncia alle autorità.
trade-send-profile-required = Completa prima la configurazione dell'impresa (codice fiscale, indirizzo, e-mail per le notifiche).
trade-send-not-sendable = La pratica non può essere inviata nel suo stato attuale.
trade-send-insufficient-balance = Saldo insufficiente: la pratica costa { $fee }, nel borsellino ci sono { $balance }, mancano { $missing }. Nulla è stato addebitato.
trade-resend-insufficient-balance = Saldo insufficiente: le modifiche aumentano i diritti di segreteria di { $fee }, nel borsellino ci sono { $balance }, mancano { $missing }. Nulla è stato addebitato e la pratica resta da rettificare.
trade-send-tariff-missing = La Camera non ha ancora configurato le tariffe per questa pratica: contatta l'ufficio.
trade-send-key-reused = Questa chiave di idempotenza è già stata usata per un'altra pratica.

trade-upload-missing = Allega il modello base firmato (.p7m).
trade-upload-not-signed = Il file non è firmato digitalmente: firma il modello base con il tuo dispositivo e allega il file .p7m.
trade-upload-not-cades = Il modello base va firmato in formato CAdES (.p7m), non come PDF firmato.
trade-upload-signature-invalid = La firma non è valida: { $problems_it }
trade-upload-model-mismatch = Il contenuto firmato non corrisponde a nessun modello base creato qui: scarica di nuovo il modello e firmalo senza modificarlo.
trade-upload-model-other-company = Il modello base firmato appartiene a un'impresa per cui non operi.
trade-upload-signer-revoked = Il certificato di firma di { $holder } è stato revocato il { $date }: il modello base va firmato con un certificato valido.
trade-upload-revocation-unavailable = Non è stato possibile verificare ora se il certificato di firma di { $holder } è revocato (il servizio dell'autorità di certificazione non risponde). Riprova più tardi.
trade-upload-signer-not-company-person = Il firmatario { $holder } ({ $tax_code }) non risulta tra i rappresentanti né tra gli utenti dell'impresa: il modello base va firmato da un legale rappresentante o da un utente dell'impresa.
trade-upload-signer-without-tax-code = Il certificato di firma di { $holder } non riporta un codice fiscale, quindi non risulta tra i rappresentanti né tra gli utenti dell'impresa: il modello base va firmato da un legale rappresentante o da un utente dell'impresa.
trade-not-editable = La pratica non può più essere modificata.

trade-lookup-tax-code = Codice fiscale non valido.
trade-lookup-rea = Numero REA non valido (provincia e numero, es. GE-123456).
trade-lookup-missing = Indica il codice fiscale, oppure provincia e numero REA.
trade-company-required = Indica per quale impresa operi (company_tax_code).
trade-field-duplicate-needs-number = Per un duplicato indica il numero del certificato smarrito o rubato.
trade-send-form-not-assigned = Il formulario indicato non è tra quelli assegnati alla tua impresa e non ancora usati.

# Blank-paper authorisations (Cert'O guide: "per imprese autorizzate").
action-authorise-blank-paper-label = Foglio bianco
action-authorise-blank-paper-help = Le imprese autorizzate dalla Camera a stampare i certificati su foglio bianco: autorizzazioni e revoche.
trade-field-print-mode-not-authorised = Modalità di stampa: la stampa su foglio bianco è riservata alle imprese autorizzate dalla Camera di commercio. Scegli la stampa su formulario.
trade-print-blank-paper-reserved = La stampa su foglio bianco è riservata alle imprese autorizzate dalla Camera di commercio: la tua impresa può stampare sul formulario.
trade-blank-paper-title = Imprese autorizzate alla stampa su foglio bianco
trade-blank-paper-intro = Le imprese elencate possono chiedere la stampa dei certificati su foglio bianco. Le altre stampano sul formulario. Una revoca vale per le pratiche non ancora inviate; quelle già inviate restano come sono.
trade-blank-paper-empty = Nessuna impresa è autorizzata.
trade-blank-paper-company = Impresa
trade-blank-paper-tax-code = Codice fiscale dell'impresa
trade-blank-paper-reference = Riferimento dell'autorizzazione
trade-blank-paper-reference-help = Ad esempio il numero di protocollo o la determinazione dirigenziale.
trade-blank-paper-date-label = Data dell'autorizzazione
trade-blank-paper-new = Autorizza un'impresa
trade-blank-paper-authorise = Autorizza
trade-blank-paper-withdraw = Revoca
trade-blank-paper-withdraw-label = Revoca l'autorizzazione di { $company }
trade-blank-paper-authorised = { $company } è autorizzata alla stampa su foglio bianco.
trade-blank-paper-withdrawn = L'autorizzazione di { $company } è stata revocata.
trade-blank-paper-already = L'impresa è già autorizzata.
trade-blank-paper-not-found = L'autorizzazione non esiste o è già stata revocata.
trade-blank-paper-unknown-company = Codice fiscale: nessuna impresa del Registro ha questo codice fiscale.
trade-blank-paper-date = Data dell'autorizzazione: scrivi una data valida, non futura (ad esempio 06/12/2026).
trade-blank-paper-invalid = Alcuni campi non sono validi.

# Attachment rules per practice type, checked at send (Cert'O guide, slides 42 and 54–56).
trade-send-blank-form-scan-required = Allegati: per la stampa su formulario manca la scansione del formulario da utilizzare (codice documento «Scansione del formulario»). Non serve per la stampa su foglio bianco.
trade-send-certificate-required = Allegati: per una copia manca il certificato, scansionato in PDF o, se non disponibile, il suo file XML (codice documento «Certificato (scansione o XML)»).
trade-blank-paper-date-short = Data

# Replacing the signed model during a rectification
trade-resign-not-in-rectification = Il modello firmato si può sostituire solo mentre la pratica è da rettificare su richiesta dell'ufficio.
trade-resign-deadline-passed = Il termine per la rettifica è scaduto: il modello firmato non si può più sostituire.
trade-resign-changed-meanwhile = La pratica è cambiata nel frattempo: ricarica la pagina e riprova.
trade-resign-other-model = Il file firmato contiene un altro modello base, non quello di questa pratica. Modifica il modello della pratica, scarica il suo XML e firma quello.
trade-resign-same-model = Questo file è il modello firmato che la pratica ha già. Modifica il modello, scarica il nuovo XML e firmalo.

trade-desk-other-chamber = La { $chamber } non accetta pratiche da questa impresa: lo sportello di destinazione è della camera di commercio della provincia di una sede dell'impresa.
trade-wallet-unknown-chamber = Nessuna camera di commercio con codice { $chamber }.
trade-wallet-chamber-required = L'impresa ha un borsellino presso più camere di commercio: indica quale (chamber) tra { $chambers }.
