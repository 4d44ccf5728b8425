## Delegations signed by a legal representative (issue 15, item 2)

delegation-refused-empty = Scegli il file della delega firmata.
delegation-refused-too-large = Il file supera i 20 MB: carica la delega firmata in un file più piccolo.
delegation-refused-not-pdf = Il file non è un PDF né un file .p7m che contiene un PDF: carica la delega in PDF, firmata in formato PAdES o CAdES (.p7m).
delegation-refused-not-signed = Il file non è firmato digitalmente: la delega va firmata da un legale rappresentante dell'impresa.
delegation-refused-signature-invalid = La firma della delega non è valida: { $problems }
delegation-refused-certificate-expired = Il certificato di firma è scaduto o non ancora valido: la delega va firmata con un certificato valido.
delegation-refused-revoked = Il certificato di firma di { $holder } è stato revocato il { $date }: la delega va firmata con un certificato valido.
delegation-refused-revocation-unavailable = Non è stato possibile verificare ora se il certificato di firma di { $holder } è revocato (il servizio dell'autorità di certificazione non risponde). Riprova più tardi.
delegation-refused-not-representative = Il firmatario { $holder } ({ $tax_code }) non risulta tra i legali rappresentanti dell'impresa nel Registro Imprese: la delega va firmata da un legale rappresentante.
delegation-refused-signer-without-tax-code = Il certificato di firma di { $holder } non riporta un codice fiscale, quindi non risulta tra i legali rappresentanti dell'impresa: la delega va firmata da un legale rappresentante.
delegation-refused-unknown-company = L'impresa non risulta nel Registro Imprese.
delegation-refused-failed = Non è stato possibile verificare la delega. Riprova più tardi.
