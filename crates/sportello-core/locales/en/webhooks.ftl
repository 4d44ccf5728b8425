# Webhooks: a company's ERP is told when a practice changes state.
action-manage-webhooks-label = Webhooks
action-manage-webhooks-help = The addresses where the company's ERP is told about its practices (API only).
webhook-url-invalid = Invalid webhook address: write a full URL, for example https://erp.example.com/sportello.
webhook-url-https = The webhook address must start with https://.
webhook-url-credentials = The webhook address must not contain a user name or password.
webhook-url-unresolvable = The webhook's host name does not resolve to any address.
webhook-url-private = The webhook address leads to a private, local or loopback network ({ $address }): give an address reachable from the Internet.
webhook-events-required = Name at least one event.
webhook-event-unknown = Unknown event: { $event }. Possible events: practice.sent, practice.to_rectify, practice.approved, practice.rejected, certificate.cancelled.
webhook-too-many = The company already has the most webhooks allowed (10): delete one before adding another.
