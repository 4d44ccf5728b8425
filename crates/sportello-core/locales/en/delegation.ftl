## Delegations signed by a legal representative (issue 15, item 2)

delegation-refused-empty = Choose the file of the signed delegation.
delegation-refused-too-large = The file is larger than 20 MB: upload the signed delegation in a smaller file.
delegation-refused-not-pdf = The file is neither a PDF nor a .p7m file holding a PDF: upload the delegation as a PDF, signed as PAdES or CAdES (.p7m).
delegation-refused-not-signed = The file is not digitally signed: the delegation must be signed by a legal representative of the company.
delegation-refused-signature-invalid = The signature of the delegation is not valid: { $problems }
delegation-refused-certificate-expired = The signing certificate has expired or is not yet valid: the delegation must be signed with a valid certificate.
delegation-refused-revoked = The signing certificate of { $holder } was revoked on { $date }: the delegation must be signed with a valid certificate.
delegation-refused-revocation-unavailable = Whether the signing certificate of { $holder } is revoked cannot be checked now (the certification authority's service does not answer). Please try again later.
delegation-refused-not-representative = The signer { $holder } ({ $tax_code }) is not among the company's legal representatives in the Business Register: the delegation must be signed by a legal representative.
delegation-refused-signer-without-tax-code = The signing certificate of { $holder } carries no tax code, so they are not among the company's legal representatives: the delegation must be signed by a legal representative.
delegation-refused-unknown-company = The company is not in the Business Register.
delegation-refused-failed = The delegation could not be checked. Please try again later.
