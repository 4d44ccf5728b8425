# Lists with counts and pages, and the work waiting on each role's home page.
pager-position = Pagina { $page } di { $pages }
pager-nav = Pagine dell'elenco
pager-previous = Pagina precedente
pager-next = Pagina successiva
pager-current = Pagina corrente,
count-devices = { $count ->
    [one] 1 dispositivo
   *[other] { $count } dispositivi
}
count-audit = { $count ->
    [one] 1 registrazione
   *[other] { $count } registrazioni
}
count-practices = { $count ->
    [one] 1 pratica
   *[other] { $count } pratiche
}
count-wallet = { $count ->
    [one] 1 movimento
   *[other] { $count } movimenti
}
home-count-more = più di { $count }
home-work-waiting = Il lavoro in attesa
home-officer-to-review = { $count ->
    [one] pratica da esaminare
   *[other] pratiche da esaminare
}
home-officer-taken-count = { $count ->
    [one] pratica presa in carico da te
   *[other] pratiche prese in carico da te
}
home-officer-rectifying = { $count ->
    [one] pratica in attesa di rettifica
   *[other] pratiche in attesa di rettifica
}
home-officer-taken = Solo le pratiche che hai preso in carico.
desk-show-all = Mostra tutte
home-company-drafts = { $count ->
    [one] bozza da inviare
   *[other] bozze da inviare
}
home-company-to-rectify = { $count ->
    [one] pratica da rettificare
   *[other] pratiche da rettificare
}
home-company-deadline = Prima scadenza: { $when }
home-company-sent = { $count ->
    [one] pratica inviata
   *[other] pratiche inviate
}
home-ra-appointments = { $count ->
    [one] appuntamento oggi
   *[other] appuntamenti oggi
}
home-ra-withdrawals = { $count ->
    [one] prelievo da approvare
   *[other] prelievi da approvare
}
home-ra-write-offs = { $count ->
    [one] segnalazione da approvare
   *[other] segnalazioni da approvare
}
home-ra-mandates = { $count ->
    [one] incarico in scadenza
   *[other] incarichi in scadenza
}
home-admin-users = { $count ->
    [one] utente della Camera
   *[other] utenti della Camera
}
home-admin-dead-jobs = { $count ->
    [one] processo non riuscito
   *[other] processi non riusciti
}
ra-operators-all = Tutti
ra-operators-expiring = Incarichi in scadenza
ra-operators-none = Nessun operatore.
