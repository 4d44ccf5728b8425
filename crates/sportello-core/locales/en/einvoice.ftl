# E-invoices (FatturaPA) on a base model.
einvoice-title = E-invoices (FatturaPA)
einvoice-help = Upload the XML file of the e-invoice (signed .xml.p7m too): Sportello fills in the consignee, the goods and the invoices, which you then check and correct before signing the model. When the practice is sent, the model's invoices are compared with the e-invoices.
einvoice-help-visa = Upload the XML file of the e-invoice (signed .xml.p7m too): Sportello fills in the invoices, which you then check before signing the model. When the practice is sent, they are compared with the e-invoices.
einvoice-file = E-invoice file
einvoice-file-help = FatturaPA format (FPR12 or FPA12), at most 5 MB.
einvoice-upload = Upload and fill in
einvoice-remove = Remove
einvoice-none = No e-invoice uploaded.
einvoice-buyer = Buyer
einvoice-invoice = Invoice { $number } of { $date }: { $total }
einvoice-signed-valid = signed, valid signature
einvoice-signed-not-valid = signed, signature not verified
einvoice-total-summed = from the VAT summary
einvoice-prefilled = Data taken from the e-invoice { $file }: { $summary }. Check the form and complete the missing fields before saving.
einvoice-prefilled-consignee = consignee filled in
einvoice-prefilled-items = { $count ->
    [one] one goods line added
   *[other] { $count } goods lines added
}
einvoice-prefilled-invoices = { $count ->
    [one] one invoice added
   *[other] { $count } invoices added
}
einvoice-prefilled-nothing = nothing new to add
einvoice-prefilled-currency = invoice { $number } is in a foreign currency: enter the amount in euro
einvoice-removed = E-invoice removed from the model; what it filled in stays in the form.
einvoice-error-no-file = Choose the XML file of the e-invoice.
einvoice-error-type = E-invoices can be uploaded only to a certificate of origin or an invoice visa.
einvoice-error-too-large = The file is over the 5 MB allowed for an e-invoice: nothing was saved.
einvoice-error-not-text = The file is not UTF-8 XML: it is not an e-invoice. Nothing was saved.
einvoice-error-dtd = The file contains a DTD or entity declaration, which an e-invoice never has: for safety it was neither read nor saved.
einvoice-error-entity = The file uses an XML entity that is not allowed: for safety it was neither read nor saved.
einvoice-error-malformed = The file is not well-formed XML: nothing was saved. Download the invoice again from your accounting software.
einvoice-error-not-fatturapa = The file is not a FatturaPA e-invoice: nothing was saved.
einvoice-error-format = The format { $format } is not supported: ordinary FPR12 and FPA12 invoices are read. Nothing was saved.
einvoice-error-missing = The e-invoice lacks { $element }: nothing was saved.
einvoice-error-bad-value = In the e-invoice the value of { $element } is not valid: nothing was saved.
einvoice-error-too-many = The e-invoice has too many invoices or lines: it was not saved.
einvoice-error-unreadable-signature = The signed file (.p7m) cannot be read: nothing was saved.
einvoice-mismatch-missing = Invoice { $number } of the invoice table is not among the uploaded e-invoices.
einvoice-mismatch-date = Invoice { $number }: the invoice table says { $table }, the e-invoice { $einvoice }.
einvoice-mismatch-amount = Invoice { $number }: the invoice table says { $table }, the e-invoice { $einvoice }.
einvoice-mismatch-not-in-table = E-invoice { $number } is not in the model's invoice table.
einvoice-check-title = E-invoice check
einvoice-check-ok = The model's invoices match the uploaded e-invoices (number, date, amount).
einvoice-check-warning = The model's invoices do not match the uploaded e-invoices. You may send anyway; the office will see these differences.
einvoice-check-officer = Differences between the invoices of the signed model and the company's e-invoices:
einvoice-error-sent = Practice { $protocol }, made from this model, was already sent: its e-invoices stay those the office examines, and nothing was changed. For a new practice with other invoices, create a new base model.
