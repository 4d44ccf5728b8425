# Fatture elettroniche (FatturaPA) su un modello base.
einvoice-title = Fatture elettroniche (FatturaPA)
einvoice-help = Carica il file XML della fattura elettronica (anche firmato, .xml.p7m): Sportello compila il destinatario, le merci e le fatture, che poi controlli e correggi prima di firmare il modello. Alla trasmissione le fatture del modello vengono confrontate con quelle elettroniche.
einvoice-help-visa = Carica il file XML della fattura elettronica (anche firmato, .xml.p7m): Sportello compila le fatture, che poi controlli prima di firmare il modello. Alla trasmissione vengono confrontate con quelle elettroniche.
einvoice-file = File della fattura elettronica
einvoice-file-help = Formato FatturaPA (FPR12 o FPA12), al massimo 5 MB.
einvoice-upload = Carica e compila
einvoice-remove = Togli
einvoice-none = Nessuna fattura elettronica caricata.
einvoice-buyer = Cessionario/committente
einvoice-invoice = Fattura { $number } del { $date }: { $total }
einvoice-signed-valid = firmata, firma valida
einvoice-signed-not-valid = firmata, firma non verificata
einvoice-total-summed = dal riepilogo IVA
einvoice-prefilled = Dati presi dalla fattura elettronica { $file }: { $summary }. Controlla il modulo e completa i campi mancanti prima di salvare.
einvoice-prefilled-consignee = destinatario compilato
einvoice-prefilled-items = { $count ->
    [one] una riga di merci aggiunta
   *[other] { $count } righe di merci aggiunte
}
einvoice-prefilled-invoices = { $count ->
    [one] una fattura aggiunta
   *[other] { $count } fatture aggiunte
}
einvoice-prefilled-nothing = nulla di nuovo da aggiungere
einvoice-prefilled-currency = la fattura { $number } è in valuta estera: indica l'importo in euro
einvoice-removed = Fattura elettronica tolta dal modello; i dati già compilati restano nel modulo.
einvoice-error-no-file = Scegli il file XML della fattura elettronica.
einvoice-error-type = Le fatture elettroniche si caricano solo su un certificato d'origine o un visto su fattura.
einvoice-error-too-large = Il file supera i 5 MB ammessi per una fattura elettronica: non è stato salvato nulla.
einvoice-error-not-text = Il file non è un XML in UTF-8: non è una fattura elettronica. Non è stato salvato nulla.
einvoice-error-dtd = Il file contiene una dichiarazione DTD o di entità, che una fattura elettronica non ha: per sicurezza non è stato letto né salvato.
einvoice-error-entity = Il file usa un'entità XML non ammessa: per sicurezza non è stato letto né salvato.
einvoice-error-malformed = Il file non è un XML ben formato: non è stato salvato nulla. Scarica di nuovo la fattura dal tuo gestionale.
einvoice-error-not-fatturapa = Il file non è una fattura elettronica FatturaPA: non è stato salvato nulla.
einvoice-error-format = Il formato { $format } non è gestito: sono lette le fatture ordinarie FPR12 e FPA12. Non è stato salvato nulla.
einvoice-error-missing = Nella fattura elettronica manca { $element }: non è stato salvato nulla.
einvoice-error-bad-value = Nella fattura elettronica il valore di { $element } non è valido: non è stato salvato nulla.
einvoice-error-too-many = La fattura elettronica ha troppe fatture o righe: non è stata salvata.
einvoice-error-unreadable-signature = Il file firmato (.p7m) non si può leggere: non è stato salvato nulla.
einvoice-mismatch-missing = La fattura { $number } del riquadro fatture non è tra le fatture elettroniche caricate.
einvoice-mismatch-date = Fattura { $number }: nel riquadro fatture la data è { $table }, nella fattura elettronica { $einvoice }.
einvoice-mismatch-amount = Fattura { $number }: nel riquadro fatture l'importo è { $table }, nella fattura elettronica { $einvoice }.
einvoice-mismatch-not-in-table = La fattura elettronica { $number } non è nel riquadro fatture del modello.
einvoice-check-title = Controllo delle fatture elettroniche
einvoice-check-ok = Le fatture del modello corrispondono alle fatture elettroniche caricate (numero, data, importo).
einvoice-check-warning = Le fatture del modello non corrispondono alle fatture elettroniche caricate. Puoi inviare comunque; l'ufficio vedrà queste differenze.
einvoice-check-officer = Differenze tra le fatture del modello firmato e le fatture elettroniche dell'impresa:
einvoice-error-sent = La pratica { $protocol } fatta da questo modello è già stata inviata: le fatture elettroniche restano quelle che l'ufficio esamina e non è stato cambiato nulla. Per una nuova pratica con altre fatture create un nuovo modello base.
