# Interfaccia in italiano (lingua predefinita).

skip-to-content = Vai al contenuto principale
platform-owner = Camere di Commercio
platform-tagline = Documenti per l'estero e firma digitale
language-switch = Lingua
language-other = English
main-navigation = Navigazione principale
nav-toggle = Mostra o nascondi il menu
nav-close = Chiudi il menu
footer-text = servizi digitali delle Camere di Commercio
search = Cerca
choose = Scegli…

login-title = Accedi
login-email = Indirizzo e-mail
login-password = Password
login-submit = Accedi
login-error-credentials = E-mail o password non corrette. Dopo 5 tentativi non riusciti l'accesso resta sospeso per 15 minuti e il titolare dell'account riceve un avviso per e-mail.
login-error-too-many = Troppi tentativi di accesso non riusciti da questo indirizzo. Riprova tra 15 minuti.
login-lock-mail-subject = Accesso a Sportello sospeso per troppi tentativi
login-lock-mail-body =
    Ci sono stati { $failures } tentativi di accesso non riusciti al tuo account, uno dopo l'altro: per proteggerlo, l'accesso è sospeso fino al { $until } ({ $minutes } minuti).
    Se eri tu, attendi e riprova con la password giusta. Se non eri tu, qualcuno sta provando a indovinare la tua password: non serve fare nulla subito, ma se la password è debole o usata anche altrove, cambiala dalla pagina "Il mio account" appena possibile.
login-error-disabled = L'account è disattivato. Rivolgiti all'amministratore della Camera.
login-forgot = Password dimenticata?
recovery-title = Recupera la password
recovery-intro = Scrivi l'indirizzo e-mail del tuo account: ti mandiamo un link per scegliere una nuova password.
recovery-submit = Mandami il link
recovery-sent-title = Controlla la posta
recovery-sent = Se l'indirizzo appartiene a un account attivo, tra pochi minuti riceverai un'e-mail con un link per scegliere una nuova password. Il link vale 30 minuti e si usa una volta sola. Non arriva? Guarda nella posta indesiderata, poi chiedi un nuovo link.
recovery-error-email = Scrivi un indirizzo e-mail valido, ad esempio nome@impresa.it.
recovery-error-too-many = Troppe richieste di recupero da questo indirizzo. Riprova tra 15 minuti.
recovery-mail-subject = Scegli una nuova password per Sportello
recovery-mail-body =
    Qualcuno ha chiesto di recuperare la password del tuo account Sportello. Per sceglierne una nuova apri questo link entro il { $until } ({ $minutes } minuti); vale una volta sola:
    { $link }
    Se non l'hai chiesto tu, ignora questa e-mail: la password resta quella di prima.
recovery-done-mail-subject = La password di Sportello è stata cambiata
recovery-done-mail-body =
    La password del tuo account Sportello è stata cambiata il { $when } con un link di recupero. Tutte le sessioni aperte sono state chiuse e i token API revocati.
    Se non sei stato tu, rivolgiti subito all'amministratore della Camera.
reset-title = Scegli una nuova password
reset-intro = Nuova password per l'account { $email }. Il link vale fino al { $until }.
reset-submit = Salva la nuova password
reset-done-title = Password cambiata
reset-done = La nuova password è salvata. Tutte le sessioni aperte sono state chiuse: accedi con la nuova password.
reset-invalid-title = Link non valido
reset-link-unknown = Questo link di recupero non è valido. Controlla di averlo copiato per intero dall'e-mail, oppure chiedi un nuovo link.
reset-link-used = Questo link è già stato usato, oppure ne è stato chiesto uno più recente: ogni link vale una volta sola. Chiedi un nuovo link.
reset-link-expired = Questo link è scaduto: vale 30 minuti da quando è stato chiesto. Chiedi un nuovo link.
reset-link-disabled = L'account è disattivato: la password non si può cambiare. Rivolgiti all'amministratore della Camera.
reset-ask-again = Chiedi un nuovo link
confirm-title = Conferma
confirm-cancel = Annulla
logout = Esci

home-title = Home
home-welcome = Benvenuto
home-what-you-can-do = Cosa puoi fare
front-title = Sportello della Camera di Commercio
front-intro = Certificati d'origine, visti e copie per l'estero; dispositivi CNS e di firma digitale. Alcuni servizi non richiedono l'accesso.
front-verify = Verifica un certificato
front-verify-text = Controlla che un certificato d'origine sia autentico, con il numero e il codice di sicurezza stampati sul documento.
front-book = Prenota un appuntamento
front-book-text = Scegli lo sportello e l'orario per ritirare il dispositivo di firma digitale o la CNS.
front-login-text = Per imprese, spedizionieri e personale della Camera: richiedi e segui le pratiche, lavora allo sportello.

account-title = Il mio account
account-name = Nome
account-role = Ruolo
account-chamber = Camera di Commercio
account-desks = Sportelli
account-companies = Imprese
account-change-password = Cambia password
account-current-password = Password attuale
account-new-password = Nuova password
account-confirm-password = Ripeti la nuova password
account-password-help = Almeno 10 caratteri. Una frase lunga è più sicura di una parola complicata.
account-error-current = La password attuale non è corretta.
account-error-confirm = Le due nuove password non coincidono.
account-error-policy = La nuova password deve avere almeno { $min } caratteri.
account-password-changed = Password cambiata. Le altre sessioni aperte sono state chiuse.

audit-title = Registro delle operazioni
audit-intro = Ogni operazione che modifica dati è registrata qui, con chi l'ha fatta e quando. Le voci sono concatenate da un'impronta: nessuna può essere modificata senza che la verifica lo riveli.
audit-actor = Autore
audit-action = Operazione
audit-entity-type = Oggetto
audit-entity-id = Identificativo
audit-from = Dal giorno
audit-to = Al giorno
audit-when = Quando
audit-before = Prima
audit-after = Dopo
audit-none = Nessuna operazione trovata.

admin-users-title = Utenti della Camera
admin-users-status = Stato
admin-users-active = Attivo
admin-users-disabled = Disattivato
admin-users-new = Nuovo utente
admin-users-desks-help = Solo per i funzionari dell'ufficio estero: gli sportelli di cui lavorano le pratiche.
admin-users-initial-password = Password iniziale
admin-users-create = Crea utente
admin-users-created = Utente { $email } creato.
admin-users-error-role = Scegli un ruolo.
admin-users-error-email = Indica un indirizzo e-mail valido.
admin-users-error-duplicate = Esiste già un utente con questo indirizzo e-mail.
admin-users-error-name = Indica il nome.
admin-users-error-password = La password deve avere almeno 10 caratteri.
admin-users-error-desks = Un funzionario deve lavorare almeno uno sportello di questa Camera.

admin-desks-title = Sportelli della Camera
admin-desks-code = Codice
admin-desks-code-help = Lettere maiuscole, cifre e trattini, ad esempio GE-CHIAVARI.
admin-desks-new = Nuovo sportello
admin-desks-create = Crea sportello
admin-desks-error-duplicate = Esiste già uno sportello con questo codice.
admin-desks-error-name = Indica il nome dello sportello.
admin-desks-error-code = Il codice può contenere solo lettere, cifre e trattini (da 2 a 32 caratteri).

error-title = Si è verificato un problema
error-incident = Se il problema persiste, comunica all'assistenza questo codice:
error-back-home = Torna alla pagina iniziale
error-not-found = La pagina o l'oggetto richiesto non esiste, oppure non hai i permessi per vederlo.
error-forbidden = Non hai i permessi per questa operazione.
error-unauthorized = Devi accedere per continuare.
error-validation = Alcuni dati non sono validi: correggi i campi indicati.
error-rate-limited = Troppe richieste: riprova tra qualche minuto.
error-internal = Si è verificato un errore interno. Nessun dato è stato perso: riprova.
error-method-not-allowed = Operazione non consentita su questo indirizzo.
error-payload-too-large = Il file o i dati inviati superano la dimensione massima consentita.
error-bad-request = La richiesta non è valida.
error-csrf = Il modulo è scaduto o non proviene da questo sito. Ricarica la pagina e riprova.

role-company = Impresa
role-officer = Funzionario ufficio estero
role-chamber-admin = Amministratore della Camera
role-master-rao = Master RAO con massima operatività
role-master-rao-ordinary = Master RAO
role-rao = Operatore RAO
role-odr = Operatore della registrazione (ODR)
role-ir = Incaricato della registrazione (IR)
role-manager = Dirigente
role-auditor = Revisore

action-account-label = Il mio account
action-account-help = I tuoi dati, i tuoi collegamenti e il cambio della password.
action-view-home-label = Home
action-view-home-help = La pagina iniziale.
action-manage-desks-label = Sportelli
action-manage-desks-help = Gli sportelli della Camera a cui arrivano le pratiche.
action-manage-users-label = Utenti
action-manage-users-help = Gli utenti della Camera e i loro ruoli.
action-manage-tariffs-label = Tariffe
action-manage-tariffs-help = I diritti di segreteria per tipo di pratica, copia e visto.
action-manage-trust-anchors-label = Certificati fidati
action-manage-trust-anchors-help = Le autorità di certificazione accettate per le firme digitali.
action-credit-wallet-label = Ricariche borsellino
action-credit-wallet-help = Registra i pagamenti ricevuti nel borsellino di un'impresa.
action-search-audit-label = Registro delle operazioni
action-search-audit-help = Cerca chi ha fatto cosa e quando.
action-lookup-registry-label = Registro Imprese
action-lookup-registry-help = Cerca un'impresa per codice fiscale o numero REA.
action-compose-practice-label = Nuova pratica
action-compose-practice-help = Crea un modello base, firmalo e invia la pratica.
action-view-own-practices-label = Le mie pratiche
action-view-own-practices-help = Pratiche da inviare, da rettificare, inviate e storico.
action-view-wallet-label = Borsellino
action-view-wallet-help = Saldo e movimenti del borsellino prepagato.
action-work-inbox-label = Pratiche da lavorare
action-work-inbox-help = Le pratiche arrivate ai tuoi sportelli.
action-view-dashboard-label = Statistiche
action-view-dashboard-help = Pratiche per sportello e stato, tempi di lavorazione.
action-manage-convention-label = Convenzione
action-manage-convention-help = La convenzione con il Certificatore e la sua scadenza.
action-manage-operators-label = Operatori e mandati
action-manage-operators-help = Accreditamento, corsi, mandati e revoche degli operatori.
action-sign-mandate-label = Mandati da firmare
action-sign-mandate-help = Lettere di incarico e revoche in attesa della tua firma.
action-view-office-tree-label = Catena della fiducia
action-view-office-tree-help = Gli uffici e gli operatori della registrazione.
action-view-restricted-archive-label = Archivio riservato
action-view-restricted-archive-help = I documenti dei mandati, ad accesso limitato.
action-manage-appointments-label = Appuntamenti
action-manage-appointments-help = Gli appuntamenti allo sportello e le mancate presentazioni.
action-run-issuance-label = Rilascio dispositivi
action-run-issuance-help = Il rilascio di CNS e firma digitale allo sportello.
action-manage-inventory-label = Magazzino dispositivi
action-manage-inventory-help = Dispositivi per numero di serie, armadio e cassette.
action-consign-devices-label = Consegne agli ODR
action-consign-devices-help = Dispositivi consegnati agli ODR in conto anticipo.
action-report-issued-devices-label = Dispositivi rilasciati
action-report-issued-devices-help = Comunica alla Camera i dispositivi che hai rilasciato.
action-decide-device-refund-label = Rimborsi dispositivi
action-decide-device-refund-help = Le decisioni caso per caso sui rimborsi.

yes = Sì
no = No
save = Salva

## Spreadsheets read from outside (CSV, XLSX)
sheet-error-unreadable = Il file non è un foglio di calcolo leggibile: carica un file CSV (separato da ; o ,) o XLSX.
sheet-error-file-too-large = Il file è troppo grande: al massimo { $limit } KB.
sheet-error-rows = Il foglio ha troppe righe: al massimo { $limit } righe oltre all'intestazione.
sheet-error-columns = La riga { $line } ha troppe colonne: al massimo { $limit }.
sheet-error-cell = Una cella è troppo lunga: al massimo { $limit } caratteri (riga { $line }).
sheet-error-cell-shared = Una cella è troppo lunga: al massimo { $limit } caratteri.
sheet-error-unpacked = Il contenuto del file, una volta decompresso, supera { $limit } MB: non è un foglio di calcolo ordinario.
sheet-error-not-utf8 = Il file CSV non è in codifica UTF-8: salvalo come «CSV UTF-8».
tokens-title = Token per le API
tokens-help = I token con cui i programmi gestionali (ERP) accedono alle API a nome dell'utente. Valgono 30 giorni; revoca quelli che non servono più. Cambiare la password li revoca tutti.
tokens-none = Nessun token.
tokens-name = Nome
tokens-created = Creato il
tokens-last-used = Ultimo uso
tokens-state = Stato
tokens-revoke = Revoca
tokens-never-used = mai
tokens-valid = Valido
tokens-valid-until = Valido fino al { $when }
tokens-expired = Scaduto
tokens-revoked-on = Revocato il { $when }
tokens-revoked = Token «{ $name }» revocato.
admin-users-last-login = Ultimo accesso
admin-users-never = mai
admin-users-disable = Disattiva l'utente
admin-users-disable-help = Disattivando l'utente, tutte le sue sessioni si chiudono e tutti i suoi token per le API sono revocati subito. Potrai riattivarlo in seguito.
admin-users-enable = Riattiva l'utente
admin-users-enabled = Utente { $email } riattivato.
admin-users-disabled-notice = Utente { $email } disattivato: sessioni chiuse e token revocati.
admin-users-error-own-account = Non puoi disattivare il tuo stesso account.

## Form errors (summary at the top of a form)
form-errors-one = C'è un errore nel modulo: correggilo e invia di nuovo.
form-errors-many = Ci sono { $count } errori nel modulo: correggili e invia di nuovo.
form-required = Campo obbligatorio: compilalo.
login-error-email-required = Inserisci il tuo indirizzo e-mail.
login-error-password-required = Inserisci la password.
account-error-current-required = Inserisci la password attuale.
account-error-confirm-required = Ripeti la nuova password.
error-upload-too-large = Il file inviato è troppo grande: il limite è { $limit }. Riduci il file (ad esempio salvando il PDF a una risoluzione più bassa) e invialo di nuovo.
error-upload-too-large-title = File troppo grande
error-back-to-form = Torna al modulo
verify-error-number-required = Inserisci il numero stampato in alto a destra sul certificato.
verify-error-code-required = Inserisci il codice di sicurezza stampato nella casella 8.

# Firmatari e certificati, come li legge una persona.
signer-certificate-of = certificato di { $issuer }
signer-valid = valido
signer-invalid = non valido
signer-unknown = firmatario sconosciuto
error-line = Riga { $line }: { $text }
