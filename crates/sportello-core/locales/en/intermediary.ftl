# Intermediaries (customs brokers, consultancies) and the companies' mandates.
mandate-company-title = Mandates to intermediaries
mandate-company-intro = The intermediaries (customs brokers, consultancies) the company has given a mandate to prepare and send practices on its behalf, for the practice types, chambers of commerce and period shown.
mandate-company-empty = The company has given no mandates.
mandate-clients-title = Clients
mandate-clients-intro = The companies that gave you a mandate, with the practice types, chambers of commerce and period it covers. To act for a client, choose it on the Company page.
mandate-clients-empty = No company has given you a mandate yet.
mandate-clients-act = Choose the client to act for
mandate-intermediary = Intermediary
mandate-client = Client
mandate-types = Practice types
mandate-chambers = Chambers of commerce
mandate-period-label = Period
mandate-period = from { $from } to { $to }
mandate-state = State
mandate-state-not-started = Not started yet
mandate-state-active = Active
mandate-state-expired = Expired
mandate-state-revoked = Revoked
mandate-revoked-by-company = Revoked by the company on { $date }
mandate-revoked-by-intermediary = Revoked by the intermediary on { $date }
mandate-new = Give a mandate
mandate-choose-intermediary = Choose the intermediary
mandate-from = From
mandate-to = To
mandate-grant = Give the mandate
mandate-revoke = Revoke
mandate-renounce = Give up the mandate
mandate-granted = Mandate given: the intermediary was told by e-mail.
mandate-revoked = Mandate revoked: the other side was told by e-mail.
mandate-already-revoked = The mandate had already been revoked.
mandate-only-representative = Only the company's legal representative can give or revoke mandates.
mandate-field-intermediary = Choose the intermediary to give the mandate to.
mandate-field-types = Choose at least one practice type.
mandate-field-chambers = Choose at least one chamber of commerce.
mandate-field-dates = Give the first and last day of the mandate (for example 07/12/2026).
mandate-field-end-before-start = The mandate's last day comes before its first.
mandate-field-end-past = The mandate's last day has already passed.
mandate-refused-none = { $company } has given you no mandate.
mandate-refused-type = The mandate of { $company } does not cover { $type ->
    [certificate_of_origin] certificates of origin
    [invoice_visa] invoice visas
    [visas_attestations] visas and attestations
    [certificate_copy] certificate copies
   *[other] certificate cancellations
}.
mandate-refused-chamber = The mandate of { $company } does not cover the { $chamber }.
mandate-refused-not-started = The mandate of { $company } starts on { $date }.
mandate-refused-expired = The mandate of { $company } expired on { $date }.
mandate-refused-revoked = The mandate of { $company } was revoked on { $date }.
practice-presented-by = Presented by { $intermediary } on behalf of { $company }
model-written-by = Prepared by { $intermediary } on behalf of { $company }
mandate-field-company = No company in the Registry has this tax code.
mandate-company-tax-code = Tax code of the client company
mandate-delegation-title = Upload a signed delegation
mandate-delegation-intro = If the company's legal representative does not use Sportello, upload the delegation they signed digitally (a PAdES-signed PDF or a .p7m file): the mandate covers the practice types, chambers of commerce and period given below.
mandate-delegation-file = Delegation signed by the legal representative (PDF or .p7m)
mandate-delegation-upload = Upload the delegation
mandate-delegation-accepted = Delegation checked: the mandate is active and the company is among your clients.
trade-list-client = Client
trade-list-all-clients = All clients
mandate-clients-help = The companies you act for, with each one's mandate; the upload of a signed delegation.
mandate-company-help = The intermediaries (customs brokers, consultancies) the company gives a mandate to.

# Issue 15: what the user's scope at a company does not reach.
company-scope-refused-prepare = For { $company } you may only read the practices: preparing or changing them is not allowed. Ask the legal representative to widen your profile.
company-scope-refused-send = For { $company } you may not send practices or top up the wallet. Ask the legal representative to widen your profile.
action-manage-intermediaries-label = Intermediaries
action-manage-intermediaries-help = The customs brokers and other intermediaries acting for companies: registration, people, suspension.
intermediary-admin-title = Intermediaries
intermediary-admin-intro = The customs brokers, freight forwarders, trade associations and consultancies that prepare and send practices on behalf of companies, with the mandates they received. The register is shared by every chamber of the platform.
intermediary-admin-empty = No intermediary registered.
intermediary-admin-count = { $count ->
    [one] 1 intermediary
   *[other] { $count } intermediaries
}
intermediary-name = Name
intermediary-tax-code = Tax code or VAT number
intermediary-email = E-mail address for mandate notices
intermediary-kind = Kind
intermediary-kind-customs-broker = Customs broker
intermediary-kind-freight-forwarder = Freight forwarder
intermediary-kind-trade-association = Trade association
intermediary-kind-consultancy = Consultancy
intermediary-users = People
intermediary-mandates-in-force = Mandates in force
intermediary-state = State
intermediary-state-active = Active
intermediary-state-suspended = Suspended since { $date }
intermediary-new = Register an intermediary
intermediary-register = Register
intermediary-registered = Intermediary registered.
intermediary-invalid = Check the fields marked: the intermediary was not registered.
intermediary-open = Open { $name }
intermediary-field-name = Give the intermediary's name.
intermediary-field-name-long = The name may have at most 200 characters.
intermediary-field-tax-code-length = A tax code has 16 characters (a person) or 11 digits (a company, like the VAT number).
intermediary-field-tax-code-check = The check character or digit does not match: check it was typed without mistakes.
intermediary-field-tax-code-format = The tax code has characters not allowed where they are, or a birth date that does not exist.
intermediary-field-tax-code-taken = Another intermediary is already registered with this tax code.
intermediary-field-email = Give a valid e-mail address (for example office@forwarding.it).
intermediary-field-kind = Choose the kind of intermediary.
intermediary-field-person-tax-code = Give the person's own tax code (16 characters).
intermediary-field-not-company-account = The account with this tax code is chamber staff or disabled: it cannot work for an intermediary.
intermediary-field-other-intermediary = This person already works for { $intermediary }: remove them from it first.
intermediary-detail-intro = The intermediary's details, the people working for it and the mandates companies gave it.
intermediary-people-intro = Add a person by their tax code and e-mail address: with an account they work for the intermediary at once, otherwise at their first login with SPID, CIE or CNS. Either way they get an e-mail.
intermediary-people-empty = Nobody works for this intermediary.
intermediary-add-person = Add a person
intermediary-add = Add
intermediary-person-linked = The person now works for the intermediary and was told by e-mail.
intermediary-person-invited = Invitation recorded: the person will work for the intermediary from their first login with SPID, CIE or CNS. They were told by e-mail.
intermediary-person-removed = The person no longer works for the intermediary.
intermediary-person-remove = Remove
intermediary-person-remove-label = Remove { $name } from the intermediary
intermediary-invitations = Invitations waiting for the first login
intermediary-invited-on = Invited on
intermediary-invitation-cancel = Cancel the invitation
intermediary-invitation-cancelled = Invitation cancelled.
intermediary-mandates = Mandates received
intermediary-mandates-empty = No company gave this intermediary a mandate.
intermediary-suspend = Suspend the intermediary
intermediary-suspend-help = While it is suspended, the intermediary's people act for no client; its mandates stay recorded and count again once it is reactivated.
intermediary-reactivate = Reactivate the intermediary
intermediary-suspended = Intermediary suspended: its people act for no client.
intermediary-reactivated = Intermediary reactivated: its people act again within the mandates in force.
intermediary-back = Back to the intermediaries
