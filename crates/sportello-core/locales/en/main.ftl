# English interface.

skip-to-content = Skip to main content
platform-owner = Chambers of Commerce
platform-tagline = Export documents and digital signatures
language-switch = Language
language-other = Italiano
main-navigation = Main navigation
nav-toggle = Show or hide the menu
nav-close = Close the menu
footer-text = digital services of the Chambers of Commerce
search = Search
choose = Choose…

login-title = Log in
login-email = E-mail address
login-password = Password
login-submit = Log in
login-error-credentials = Wrong e-mail or password. After 5 failed attempts, access is suspended for 15 minutes and the account's owner is told by e-mail.
login-error-too-many = Too many failed logins from this address. Try again in 15 minutes.
login-lock-mail-subject = Sportello access suspended after too many attempts
login-lock-mail-body =
    There were { $failures } failed logins to your account in a row: to protect it, access is suspended until { $until } ({ $minutes } minutes).
    If it was you, wait and try again with the right password. If it was not, someone is trying to guess your password: nothing needs doing at once, but if the password is weak or used elsewhere too, change it from the "My account" page as soon as you can.
login-error-disabled = The account is disabled. Contact the chamber's administrator.
login-forgot = Forgot your password?
recovery-title = Recover your password
recovery-intro = Type your account's e-mail address: we will send you a link to choose a new password.
recovery-submit = Send me the link
recovery-sent-title = Check your e-mail
recovery-sent = If the address belongs to an active account, you will receive an e-mail within a few minutes with a link to choose a new password. The link is valid for 30 minutes and works once. Nothing arrived? Look in your spam folder, then ask for a new link.
recovery-error-email = Type a valid e-mail address, for example name@company.it.
recovery-error-too-many = Too many recovery requests from this address. Try again in 15 minutes.
recovery-mail-subject = Choose a new Sportello password
recovery-mail-body =
    Someone asked to recover the password of your Sportello account. To choose a new one, open this link by { $until } ({ $minutes } minutes); it works once:
    { $link }
    If it was not you, ignore this e-mail: your password stays as it was.
recovery-done-mail-subject = Your Sportello password was changed
recovery-done-mail-body =
    The password of your Sportello account was changed on { $when } through a recovery link. Every open session was closed and every API token revoked.
    If it was not you, contact the chamber's administrator at once.
reset-title = Choose a new password
reset-intro = New password for the account { $email }. The link is valid until { $until }.
reset-submit = Save the new password
reset-done-title = Password changed
reset-done = The new password is saved. Every open session was closed: log in with the new password.
reset-invalid-title = Link not valid
reset-link-unknown = This recovery link is not valid. Check that you copied all of it from the e-mail, or ask for a new link.
reset-link-used = This link was already used, or a newer one was asked for: each link works once. Ask for a new link.
reset-link-expired = This link expired: it is valid for 30 minutes from the request. Ask for a new link.
reset-link-disabled = The account is disabled: its password cannot be changed. Contact the chamber's administrator.
reset-ask-again = Ask for a new link
confirm-title = Confirm
confirm-cancel = Cancel
logout = Log out

home-title = Home
home-welcome = Welcome
home-what-you-can-do = What you can do
front-title = Chamber of Commerce front office
front-intro = Certificates of origin, visas and copies for export; CNS and digital-signature devices. Some services need no sign-in.
front-verify = Verify a certificate
front-verify-text = Check that a certificate of origin is genuine, with the number and security code printed on the document.
front-book = Book an appointment
front-book-text = Choose the desk and the time to collect your digital-signature device or CNS.
front-login-text = For companies, customs brokers and chamber staff: request and follow practices, work at the desk.

account-title = My account
account-name = Name
account-role = Role
account-chamber = Chamber of Commerce
account-desks = Desks
account-companies = Companies
account-change-password = Change password
account-current-password = Current password
account-new-password = New password
account-confirm-password = Repeat the new password
account-password-help = At least 10 characters. A long phrase is safer than a complicated word.
account-error-current = The current password is not correct.
account-error-confirm = The two new passwords do not match.
account-error-policy = The new password must have at least { $min } characters.
account-password-changed = Password changed. Your other open sessions have been closed.

audit-title = Audit trail
audit-intro = Every action that changes data is recorded here, with who did it and when. Entries are chained by a hash: none can be altered without verification revealing it.
audit-actor = Actor
audit-action = Action
audit-entity-type = Object
audit-entity-id = Identifier
audit-from = From
audit-to = To
audit-when = When
audit-before = Before
audit-after = After
audit-none = No actions found.

admin-users-title = Chamber users
admin-users-status = Status
admin-users-active = Active
admin-users-disabled = Disabled
admin-users-new = New user
admin-users-desks-help = Only for foreign-trade officers: the desks whose practices they work.
admin-users-initial-password = Initial password
admin-users-create = Create user
admin-users-created = User { $email } created.
admin-users-error-role = Choose a role.
admin-users-error-email = Enter a valid e-mail address.
admin-users-error-duplicate = A user with this e-mail address already exists.
admin-users-error-name = Enter the name.
admin-users-error-password = The password must have at least 10 characters.
admin-users-error-desks = An officer must work at least one desk of this chamber.

admin-desks-title = Chamber desks
admin-desks-code = Code
admin-desks-code-help = Uppercase letters, digits and dashes, for example GE-CHIAVARI.
admin-desks-new = New desk
admin-desks-create = Create desk
admin-desks-error-duplicate = A desk with this code already exists.
admin-desks-error-name = Enter the desk's name.
admin-desks-error-code = The code may contain only letters, digits and dashes (2 to 32 characters).

error-title = Something went wrong
error-incident = If the problem persists, give support this code:
error-back-home = Back to the home page
error-not-found = The page or item does not exist, or you are not allowed to see it.
error-forbidden = You are not allowed to do this.
error-unauthorized = Please log in to continue.
error-validation = Some data is not valid: correct the fields shown.
error-rate-limited = Too many requests: try again in a few minutes.
error-internal = An internal error occurred. No data was lost: please try again.
error-method-not-allowed = This action is not allowed at this address.
error-payload-too-large = The file or data sent is larger than allowed.
error-bad-request = The request is not valid.
error-csrf = The form has expired or does not come from this site. Reload the page and try again.

role-company = Company
role-officer = Foreign-trade officer
role-chamber-admin = Chamber administrator
role-master-rao = Master RAO with full operativity
role-master-rao-ordinary = Master RAO (ordinary)
role-rao = RAO operator
role-odr = Registration operator (ODR)
role-ir = Registration agent (IR)
role-manager = Manager
role-auditor = Auditor

action-account-label = My account
action-account-help = Your details, your links and password change.
action-view-home-label = Home
action-view-home-help = The home page.
action-manage-desks-label = Desks
action-manage-desks-help = The chamber's desks where practices arrive.
action-manage-users-label = Users
action-manage-users-help = The chamber's users and their roles.
action-manage-tariffs-label = Tariffs
action-manage-tariffs-help = Fees per practice type, copy and visa.
action-manage-trust-anchors-label = Trusted certificates
action-manage-trust-anchors-help = The certification authorities accepted for digital signatures.
action-credit-wallet-label = Wallet top-ups
action-credit-wallet-help = Record payments received into a company's wallet.
action-search-audit-label = Audit trail
action-search-audit-help = Search who did what and when.
action-lookup-registry-label = Business register
action-lookup-registry-help = Find a company by tax code or REA number.
action-compose-practice-label = New practice
action-compose-practice-help = Create a base model, sign it and send the practice.
action-view-own-practices-label = My practices
action-view-own-practices-help = Practices to send, to rectify, sent, and the archive.
action-view-wallet-label = Wallet
action-view-wallet-help = Balance and entries of the prepaid wallet.
action-work-inbox-label = Practices to work
action-work-inbox-help = The practices that reached your desks.
action-view-dashboard-label = Statistics
action-view-dashboard-help = Practices per desk and status, processing times.
action-manage-convention-label = Convention
action-manage-convention-help = The convention with the Certification Authority and its end date.
action-manage-operators-label = Operators and mandates
action-manage-operators-help = Accreditation, courses, mandates and revocations of operators.
action-sign-mandate-label = Mandates to sign
action-sign-mandate-help = Appointment letters and revocations waiting for your signature.
action-view-office-tree-label = Chain of trust
action-view-office-tree-help = The registration offices and operators.
action-view-restricted-archive-label = Restricted archive
action-view-restricted-archive-help = Mandate documents, with restricted access.
action-manage-appointments-label = Appointments
action-manage-appointments-help = Desk appointments and no-shows.
action-run-issuance-label = Device issuance
action-run-issuance-help = Issuing CNS and digital-signature devices at the desk.
action-manage-inventory-label = Device inventory
action-manage-inventory-help = Devices by serial number, cabinet and boxes.
action-consign-devices-label = Consignments to ODRs
action-consign-devices-help = Devices consigned to ODRs against their advance account.
action-report-issued-devices-label = Devices issued
action-report-issued-devices-help = Report to the chamber the devices you issued.
action-decide-device-refund-label = Device refunds
action-decide-device-refund-help = Case-by-case decisions on refunds.

yes = Yes
no = No
save = Save

## Spreadsheets read from outside (CSV, XLSX)
sheet-error-unreadable = The file is not a readable spreadsheet: upload a CSV (separated by ; or ,) or an XLSX file.
sheet-error-file-too-large = The file is too large: at most { $limit } KB.
sheet-error-rows = The sheet has too many rows: at most { $limit } rows besides the header.
sheet-error-columns = Row { $line } has too many columns: at most { $limit }.
sheet-error-cell = A cell is too long: at most { $limit } characters (row { $line }).
sheet-error-cell-shared = A cell is too long: at most { $limit } characters.
sheet-error-unpacked = Once unpacked, the file's content exceeds { $limit } MB: it is not an ordinary spreadsheet.
sheet-error-not-utf8 = The CSV file is not UTF-8 encoded: save it as "CSV UTF-8".
tokens-title = API tokens
tokens-help = The tokens with which business software (ERP) reaches the API on the user's behalf. They last 30 days; revoke those no longer needed. Changing the password revokes them all.
tokens-none = No tokens.
tokens-name = Name
tokens-created = Created on
tokens-last-used = Last used
tokens-state = State
tokens-revoke = Revoke
tokens-never-used = never
tokens-valid = Valid
tokens-valid-until = Valid until { $when }
tokens-expired = Expired
tokens-revoked-on = Revoked on { $when }
tokens-revoked = Token “{ $name }” revoked.
admin-users-last-login = Last login
admin-users-never = never
admin-users-disable = Disable the user
admin-users-disable-help = Disabling the user closes all their sessions and revokes all their API tokens at once. You can enable them again later.
admin-users-enable = Enable the user
admin-users-enabled = User { $email } enabled.
admin-users-disabled-notice = User { $email } disabled: sessions closed and tokens revoked.
admin-users-error-own-account = You cannot disable your own account.

## Form errors (summary at the top of a form)
form-errors-one = There is a problem with the form: correct it and send it again.
form-errors-many = There are { $count } problems with the form: correct them and send it again.
form-required = Required: please fill it in.
login-error-email-required = Enter your e-mail address.
login-error-password-required = Enter your password.
account-error-current-required = Enter your current password.
account-error-confirm-required = Repeat the new password.
error-upload-too-large = The file sent is too large: the limit is { $limit }. Make the file smaller (for example by saving the PDF at a lower resolution) and send it again.
error-upload-too-large-title = File too large
error-back-to-form = Back to the form
verify-error-number-required = Enter the number printed at the top right of the certificate.
verify-error-code-required = Enter the security code printed in box 8.

# Signers and certificates, as a person reads them.
signer-certificate-of = certificate by { $issuer }
signer-valid = valid
signer-invalid = not valid
signer-unknown = unknown signer
error-line = Line { $line }: { $text }
