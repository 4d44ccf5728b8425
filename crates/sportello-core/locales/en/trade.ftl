# Export documents (company side).

trade-type-certificate-of-origin = Certificate of origin
trade-type-invoice-visa = Invoice visa
trade-type-visas-attestations = Visas, authorisations and attestations
trade-type-certificate-copy = Certificate copy
trade-type-cancellation = Cancellation, destruction, loss or theft of a certificate

trade-doc-invoice = Invoice
trade-doc-packing-list = Packing list
trade-doc-origin-proof = Proof of origin
trade-doc-blank-form-scan = Scan of the official form
trade-doc-request-form = Signed request form
trade-doc-police-report = Report to the authorities
trade-doc-certificate-scan = Certificate (scan or XML)
trade-doc-other = Other document

trade-field-required = Required field.
trade-field-too-long = Text too long.
trade-field-country = Unknown country: choose from the list.
trade-field-email = Invalid e-mail address.
trade-field-invoice-required = Enter at least one invoice, with its amount.
trade-field-item-required = Enter at least one line of goods.
trade-field-too-many = Too many lines.
trade-field-date = Invalid date (YYYY-MM-DD).
trade-field-date-future = The date cannot be in the future.
trade-field-amount = Invalid amount: write for example 15400.00.
trade-field-consignee-italian = The consignee of a certificate of origin cannot be in Italy.
trade-field-certificate-number = Invalid certificate number: C, two-digit year, two characters and seven digits (e.g. C26GE0000123).
trade-field-form-serial = Invalid form number: one letter and seven digits, no slash (e.g. A0123456).
trade-field-form-serial-required = To print on an official form, enter the form's serial number.
trade-field-reason = Choose the reason: cancellation, destruction, loss or theft.
trade-field-print-mode = Invalid print mode.
trade-field-copies = The number of copies must be between 0 and 50.
trade-field-proforma = Say whether the invoice is a proforma (required).
trade-field-goods-location = Say where the goods physically are (required).
trade-field-desk = Invalid destination desk.
trade-field-site = Invalid head office or local unit for this company.
trade-field-type = Invalid practice type.
trade-field-list = Invalid list: to_send, to_rectify, sent or archive.
trade-field-cursor = Invalid page cursor: use the address the previous page gave in "next".

trade-profile-vat-not-tax-code = You entered the VAT number: the company's tax code is needed.
trade-profile-tax-code-mismatch = The tax code is not that of the company you act for.
trade-profile-postcode = Invalid postcode (five digits).
trade-profile-province = Invalid province code.

trade-status-draft = To send
trade-status-sent = Sent
trade-status-in-review = In review
trade-status-to-rectify = To rectify
trade-status-approved = Closed positively
trade-status-rejected = Rejected
trade-status-withdrawn = Withdrawn

trade-next-sign-and-send = To sign and send
trade-next-complete-and-send = To complete and send
trade-next-rectify-by = To rectify by { $deadline }
trade-next-rectify = To rectify
trade-next-rectify-expired = Rectification deadline passed: the practice will be rejected
trade-next-at-the-office = Being processed by the office
trade-next-download-certificate = Issued: download the certificate
trade-next-download-documents = Concluded: download the issued documents
trade-next-read-rejection = Rejected: read the reason in the practice
trade-next-nothing = Withdrawn: nothing to do

trade-list-to-send = To send
trade-list-to-rectify = To rectify
trade-list-sent = Sent
trade-list-archive = Archive

tariff-copy = Copy
tariff-copy-mandatory = Copy (mandatory for printing on blank paper)
tariff-copy-extra = Extra copies
tariff-visa = Visa
tariff-legalisation = Legalisation

trade-attachment-empty = The file is empty.
trade-attachment-too-large = The file is larger than 10 MB.
trade-attachment-type = Format not accepted: PDF, digitally signed document (.p7m), XML, JPEG, PNG or TIFF.
trade-attachment-code = Document code: choose a code from this practice type's list.
trade-attachment-stamps = Visas and legalisations: 0 to 20 per document.
trade-attachment-stamps-type = “{ $document }”: a { $type ->
        [cancellation] cancellation, destruction, loss or theft
        [certificate_copy] certificate copy
        [invoice_visa] invoice visa
        [visas_attestations] visas, authorisations and attestations
       *[other] certificate of origin
    } practice has no visas or legalisations.
trade-attachment-stamps-document = “{ $document }”: { $code ->
        [request_form] the request form
        [blank_form_scan] the scan of the pre-printed form
        [police_report] the police report
        [certificate_scan] the certificate whose copies are asked
       *[other] this document
    } gets no visas or legalisations in a { $type ->
        [cancellation] cancellation
        [certificate_copy] certificate copy
        [invoice_visa] invoice visa
        [visas_attestations] visas, authorisations and attestations
       *[other] certificate of origin
    } practice. Invoices, packing lists, proofs of origin and other documents are stamped.
trade-attachment-too-many = Too many attachments for one practice.

trade-send-attachment-required = Attachments: this practice type needs at least one attachment.
trade-send-request-form-required = Attachments: the request form digitally signed by the legal representative is missing (document code “Signed request form”).
trade-send-police-report-required = For loss or theft, attach the report to the authorities.
trade-send-profile-required = First complete the company profile (tax code, address, notification e-mail).
trade-send-not-sendable = The practice cannot be sent in its current status.
trade-send-insufficient-balance = Insufficient balance: the practice costs { $fee }, the wallet holds { $balance }, { $missing } is missing. Nothing was charged.
trade-resend-insufficient-balance = Insufficient balance: the changes add { $fee } to the fees, the wallet holds { $balance }, { $missing } is missing. Nothing was charged and the practice is still to be rectified.
trade-send-tariff-missing = The chamber has not configured the tariffs for this practice yet: contact the office.
trade-send-key-reused = This idempotency key was already used for another practice.

trade-upload-missing = Attach the signed base model (.p7m).
trade-upload-not-signed = The file is not digitally signed: sign the base model with your device and attach the .p7m file.
trade-upload-not-cades = The base model must be signed as CAdES (.p7m), not as a signed PDF.
trade-upload-signature-invalid = The signature is not valid: { $problems_en }
trade-upload-model-mismatch = The signed content does not match any base model created here: download the model again and sign it without changing it.
trade-upload-model-other-company = The signed base model belongs to a company you do not act for.
trade-upload-signer-revoked = The signing certificate of { $holder } was revoked on { $date }: the base model must be signed with a valid certificate.
trade-upload-revocation-unavailable = Whether the signing certificate of { $holder } is revoked cannot be checked now (the certification authority's service does not answer). Please try again later.
trade-upload-signer-not-company-person = The signer { $holder } ({ $tax_code }) is neither among the legal representatives nor among the users of the company: the base model must be signed by a legal representative or a user of the company.
trade-upload-signer-without-tax-code = The signing certificate of { $holder } carries no tax code, so they are neither among the legal representatives nor among the users of the company: the base model must be signed by a legal representative or a user of the company.
trade-not-editable = The practice can no longer be changed.

trade-lookup-tax-code = Invalid tax code.
trade-lookup-rea = Invalid REA number (province and number, e.g. GE-123456).
trade-lookup-missing = Give the tax code, or province and REA number.
trade-company-required = Say which company you act for (company_tax_code).
trade-field-duplicate-needs-number = For a duplicate, give the number of the lost or stolen certificate.
trade-send-form-not-assigned = The form named is not one assigned to your company and still unused.

# Blank-paper authorisations (Cert'O guide: "per imprese autorizzate").
action-authorise-blank-paper-label = Blank paper
action-authorise-blank-paper-help = The companies the chamber authorises to print certificates on blank paper: authorisations and withdrawals.
trade-field-print-mode-not-authorised = Print mode: printing on blank paper is reserved to companies authorised by the Chamber of Commerce. Choose printing on the pre-printed form.
trade-print-blank-paper-reserved = Printing on blank paper is reserved to companies authorised by the Chamber of Commerce: your company prints on the pre-printed form.
trade-blank-paper-title = Companies authorised to print on blank paper
trade-blank-paper-intro = The companies listed may ask for certificates printed on blank paper. The others print on the pre-printed form. A withdrawal applies to practices not yet sent; those already sent stay as they are.
trade-blank-paper-empty = No company is authorised.
trade-blank-paper-company = Company
trade-blank-paper-tax-code = Company tax code
trade-blank-paper-reference = Reference of the authorisation
trade-blank-paper-reference-help = For instance the protocol number or the manager's decision.
trade-blank-paper-date-label = Date of the authorisation
trade-blank-paper-new = Authorise a company
trade-blank-paper-authorise = Authorise
trade-blank-paper-withdraw = Withdraw
trade-blank-paper-withdraw-label = Withdraw the authorisation of { $company }
trade-blank-paper-authorised = { $company } is authorised to print on blank paper.
trade-blank-paper-withdrawn = The authorisation of { $company } was withdrawn.
trade-blank-paper-already = The company is already authorised.
trade-blank-paper-not-found = The authorisation does not exist or was already withdrawn.
trade-blank-paper-unknown-company = Tax code: no company in the Registry has this tax code.
trade-blank-paper-date = Date of the authorisation: write a valid date, not in the future (for instance 06/12/2026).
trade-blank-paper-invalid = Some fields are not valid.

# Attachment rules per practice type, checked at send (Cert'O guide, slides 42 and 54–56).
trade-send-blank-form-scan-required = Attachments: printing on the pre-printed form needs the scan of the form to be used (document code “Scan of the official form”). Not needed on blank paper.
trade-send-certificate-required = Attachments: a copy needs the certificate, scanned as PDF or, when not available, its XML file (document code “Certificate (scan or XML)”).
trade-blank-paper-date-short = Date

# Replacing the signed model during a rectification
trade-resign-not-in-rectification = The signed model can be replaced only while the office has asked to rectify the practice.
trade-resign-deadline-passed = The rectification deadline has passed: the signed model can no longer be replaced.
trade-resign-changed-meanwhile = The practice changed meanwhile: reload the page and try again.
trade-resign-other-model = The signed file holds another base model, not this practice's. Edit the practice's model, download its XML and sign that.
trade-resign-same-model = This file is the signed model the practice already has. Edit the model, download the new XML and sign it.

trade-desk-other-chamber = { $chamber } does not accept practices from this company: the destination desk belongs to the chamber of the province of one of the company's sites.
trade-wallet-unknown-chamber = No chamber of commerce with code { $chamber }.
trade-wallet-chamber-required = The company has a wallet at more than one chamber of commerce: say which (chamber) among { $chambers }.
