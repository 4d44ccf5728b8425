trade-wallet-entries = Entries
pagopa-top-up-title = Top up with pagoPA
pagopa-top-up-intro = Enter the amount: you get a pagoPA payment notice to pay online or in person. The wallet is topped up when pagoPA reports the payment to the Chamber of Commerce.
pagopa-top-up-amount-help = For example 50,00. A notice asks for at most 50.000,00 €.
pagopa-top-up-submit = Create the payment notice
pagopa-notice-title = Payment notice to pay
pagopa-notice-qr = QR code of the pagoPA payment notice
pagopa-notice-code = Notice code
pagopa-creditor-tax-code = Creditor's tax code
pagopa-expires-on = Due by
pagopa-notice-download = Download the notice (PDF)
pagopa-notice-mailed = The notice was also sent to your e-mail address.
pagopa-notices-title = Payment notices
pagopa-requested = Requested on
pagopa-state = State
pagopa-actions = Actions
pagopa-notice-pdf = Notice PDF
pagopa-cancel = Cancel
pagopa-state-pending = To pay
pagopa-state-paid = Paid
pagopa-state-expired = Expired
pagopa-state-cancelled = Cancelled
pagopa-receipt = Receipt
pagopa-receipt-pdf = Receipt PDF
pagopa-statement-title = Statement
pagopa-statement-from = From
pagopa-statement-to = To
pagopa-statement-pdf = Download PDF
pagopa-statement-xlsx = Download Excel
pagopa-statement-bad-date = The date is not valid.
pagopa-statement-bad-period = The start date is after the end date.
pagopa-request-not-configured = This Chamber of Commerce does not take pagoPA payments yet: ask its office to top up.
pagopa-request-amount = Enter a positive amount in euro, for example 50,00.
pagopa-request-too-large = A notice asks for at most 50.000,00 €: create several notices.
pagopa-request-failed = The notice was not created: try again later.
pagopa-admin-title = pagoPA payments
pagopa-admin-intro = Import the reconciliation flows pagoPA sends the Chamber: each payment of a notice still to pay tops up the company's wallet, once. Payments that match no notice are listed as anomalies.
pagopa-admin-not-configured = The Chamber is not configured as a pagoPA creditor yet (tax code and segregation code): companies cannot ask for notices.
pagopa-segregation-code = Segregation code
pagopa-cbill = CBILL code
pagopa-admin-flow = Reconciliation flow (XML)
pagopa-admin-flow-help = The FlussoRiversamento file received from pagoPA. A flow already imported credits nothing.
pagopa-admin-import = Import the flow
pagopa-import-done = Flow { $flow } imported: { $credited } for { $total }, { $anomalies }, { $duplicates }.
pagopa-import-credited = { $count ->
    [one] 1 payment credited
   *[other] { $count } payments credited
}
pagopa-import-anomalies = { $count ->
    [one] 1 anomaly
   *[other] { $count } anomalies
}
pagopa-import-duplicates = { $count ->
    [one] 1 payment already recorded
   *[other] { $count } payments already recorded
}
pagopa-import-already = Flow { $flow } had already been imported: nothing credited.
pagopa-import-unknown-creditor = The flow is addressed to a creditor that is no Chamber of this platform.
pagopa-import-other-chamber = The flow is addressed to another Chamber of Commerce.
pagopa-import-failed = The flow was not imported: try again later.
pagopa-flow-too-large = The file is too large to be a reconciliation flow.
pagopa-flow-malformed = The file is not well-formed XML.
pagopa-flow-dtd = The file contains a DTD or entities: for safety it is not read.
pagopa-flow-not-a-flow = The file is not a pagoPA reconciliation flow (FlussoRiversamento).
pagopa-flow-bad-value = The flow has a missing or invalid field.
pagopa-flow-too-many = The flow lists too many payments.
pagopa-flow-totals = The number or total amount of payments does not match the payments listed.
pagopa-anomalies-title = Anomalies
pagopa-anomalies-intro = Payments reported by the flows and not credited: to be checked with the company or the payment service provider.
pagopa-anomalies-none = No anomalies.
pagopa-anomaly-unknown-iuv = Unknown IUV
pagopa-anomaly-amount-mismatch = Amount other than the notice's
pagopa-anomaly-already-paid = Notice already paid
pagopa-anomaly-expired = Notice expired or cancelled
pagopa-anomaly-not-executed = Payment not executed (revoked)
pagopa-flows-title = Flows imported
pagopa-flows-none = No flows imported.
pagopa-flow = Flow
pagopa-company = Company
pagopa-paid = Paid
pagopa-due = Due
pagopa-reason = Reason
pagopa-settlement-date = Settlement date
pagopa-sender = Sender
pagopa-payments = Payments
pagopa-total = Total
pagopa-imported-at = Imported on
pagopa-admin-link = pagoPA payments: import the reconciliation flows and check the anomalies
