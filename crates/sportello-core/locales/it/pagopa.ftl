trade-wallet-entries = Movimenti
pagopa-top-up-title = Ricarica con pagoPA
pagopa-top-up-intro = Indica l'importo: ricevi un avviso di pagamento pagoPA da pagare online o sul territorio. Il borsellino si ricarica quando pagoPA comunica alla Camera di Commercio il pagamento.
pagopa-top-up-amount-help = Per esempio 50,00. Un avviso chiede al massimo 50.000,00 €.
pagopa-top-up-submit = Crea l'avviso di pagamento
pagopa-notice-title = Avviso di pagamento da pagare
pagopa-notice-qr = Codice QR dell'avviso di pagamento pagoPA
pagopa-notice-code = Codice avviso
pagopa-creditor-tax-code = Codice fiscale ente creditore
pagopa-expires-on = Scadenza
pagopa-notice-download = Scarica l'avviso (PDF)
pagopa-notice-mailed = L'avviso è stato inviato anche al tuo indirizzo e-mail.
pagopa-notices-title = Avvisi di pagamento
pagopa-requested = Richiesto il
pagopa-state = Stato
pagopa-actions = Azioni
pagopa-notice-pdf = Avviso PDF
pagopa-cancel = Annulla
pagopa-state-pending = Da pagare
pagopa-state-paid = Pagato
pagopa-state-expired = Scaduto
pagopa-state-cancelled = Annullato
pagopa-receipt = Ricevuta
pagopa-receipt-pdf = Ricevuta PDF
pagopa-statement-title = Estratto conto
pagopa-statement-from = Dal
pagopa-statement-to = Al
pagopa-statement-pdf = Scarica PDF
pagopa-statement-xlsx = Scarica Excel
pagopa-statement-bad-date = La data non è valida.
pagopa-statement-bad-period = La data di inizio viene dopo quella di fine.
pagopa-request-not-configured = Questa Camera di Commercio non riceve ancora pagamenti pagoPA: rivolgiti all'ufficio per la ricarica.
pagopa-request-amount = Indica un importo positivo in euro, per esempio 50,00.
pagopa-request-too-large = Un avviso chiede al massimo 50.000,00 €: crea più avvisi.
pagopa-request-failed = L'avviso non è stato creato: riprova più tardi.
pagopa-admin-title = Pagamenti pagoPA
pagopa-admin-intro = Importa i flussi di rendicontazione che pagoPA invia alla Camera: ogni pagamento di un avviso ancora da pagare ricarica il borsellino dell'impresa, una volta sola. I pagamenti che non corrispondono a un avviso sono elencati tra le anomalie.
pagopa-admin-not-configured = La Camera non è ancora configurata come ente creditore pagoPA (codice fiscale e codice di segregazione): le imprese non possono chiedere avvisi.
pagopa-segregation-code = Codice di segregazione
pagopa-cbill = Codice CBILL
pagopa-admin-flow = Flusso di rendicontazione (XML)
pagopa-admin-flow-help = Il file FlussoRiversamento ricevuto da pagoPA. Un flusso già importato non ricarica nulla.
pagopa-admin-import = Importa il flusso
pagopa-import-done = Flusso { $flow } importato: { $credited } per { $total }, { $anomalies }, { $duplicates }.
pagopa-import-credited = { $count ->
    [one] 1 pagamento accreditato
   *[other] { $count } pagamenti accreditati
}
pagopa-import-anomalies = { $count ->
    [one] 1 anomalia
   *[other] { $count } anomalie
}
pagopa-import-duplicates = { $count ->
    [one] 1 pagamento già registrato
   *[other] { $count } pagamenti già registrati
}
pagopa-import-already = Il flusso { $flow } era già stato importato: nessun accredito.
pagopa-import-unknown-creditor = Il flusso è indirizzato a un ente creditore che non è una Camera di questa piattaforma.
pagopa-import-other-chamber = Il flusso è indirizzato a un'altra Camera di Commercio.
pagopa-import-failed = Il flusso non è stato importato: riprova più tardi.
pagopa-flow-too-large = Il file è troppo grande per essere un flusso di rendicontazione.
pagopa-flow-malformed = Il file non è un XML ben formato.
pagopa-flow-dtd = Il file contiene una DTD o entità: per sicurezza non viene letto.
pagopa-flow-not-a-flow = Il file non è un flusso di rendicontazione pagoPA (FlussoRiversamento).
pagopa-flow-bad-value = Il flusso ha un dato mancante o non valido.
pagopa-flow-too-many = Il flusso contiene troppi pagamenti.
pagopa-flow-totals = Il numero o l'importo totale dei pagamenti non corrisponde ai pagamenti elencati.
pagopa-anomalies-title = Anomalie
pagopa-anomalies-intro = Pagamenti riportati dai flussi e non accreditati: vanno verificati con l'impresa o con il prestatore di servizi di pagamento.
pagopa-anomalies-none = Nessuna anomalia.
pagopa-anomaly-unknown-iuv = Codice IUV sconosciuto
pagopa-anomaly-amount-mismatch = Importo diverso da quello dell'avviso
pagopa-anomaly-already-paid = Avviso già pagato
pagopa-anomaly-expired = Avviso scaduto o annullato
pagopa-anomaly-not-executed = Pagamento non eseguito (revocato)
pagopa-flows-title = Flussi importati
pagopa-flows-none = Nessun flusso importato.
pagopa-flow = Flusso
pagopa-company = Impresa
pagopa-paid = Pagato
pagopa-due = Dovuto
pagopa-reason = Motivo
pagopa-settlement-date = Data regolamento
pagopa-sender = Mittente
pagopa-payments = Pagamenti
pagopa-total = Totale
pagopa-imported-at = Importato il
pagopa-admin-link = Pagamenti pagoPA: importa i flussi di rendicontazione e controlla le anomalie
