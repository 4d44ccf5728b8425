# Lists with counts and pages, and the work waiting on each role's home page.
pager-position = Page { $page } of { $pages }
pager-nav = Pages of the list
pager-previous = Previous page
pager-next = Next page
pager-current = Current page,
count-devices = { $count ->
    [one] 1 device
   *[other] { $count } devices
}
count-audit = { $count ->
    [one] 1 entry
   *[other] { $count } entries
}
count-practices = { $count ->
    [one] 1 practice
   *[other] { $count } practices
}
count-wallet = { $count ->
    [one] 1 transaction
   *[other] { $count } transactions
}
home-count-more = more than { $count }
home-work-waiting = Work waiting
home-officer-to-review = { $count ->
    [one] practice to review
   *[other] practices to review
}
home-officer-taken-count = { $count ->
    [one] practice taken by you
   *[other] practices taken by you
}
home-officer-rectifying = { $count ->
    [one] practice waiting for rectification
   *[other] practices waiting for rectification
}
home-officer-taken = Only the practices you have taken.
desk-show-all = Show all
home-company-drafts = { $count ->
    [one] draft to send
   *[other] drafts to send
}
home-company-to-rectify = { $count ->
    [one] practice to rectify
   *[other] practices to rectify
}
home-company-deadline = First deadline: { $when }
home-company-sent = { $count ->
    [one] practice sent
   *[other] practices sent
}
home-ra-appointments = { $count ->
    [one] appointment today
   *[other] appointments today
}
home-ra-withdrawals = { $count ->
    [one] withdrawal to approve
   *[other] withdrawals to approve
}
home-ra-write-offs = { $count ->
    [one] report to approve
   *[other] reports to approve
}
home-ra-mandates = { $count ->
    [one] mandate expiring
   *[other] mandates expiring
}
home-admin-users = { $count ->
    [one] user of the chamber
   *[other] users of the chamber
}
home-admin-dead-jobs = { $count ->
    [one] failed job
   *[other] failed jobs
}
ra-operators-all = All
ra-operators-expiring = Mandates expiring
ra-operators-none = No operators.
