"""What a parent or a secretary reads when a request fails: Italian first,
English when the request asks for it (`Accept-Language: en`)."""

from __future__ import annotations

from typing import NamedTuple


class Message(NamedTuple):
    status: int
    title_it: str
    detail_it: str
    title_en: str
    detail_en: str


CATALOGUE: dict[str, Message] = {
    "invalid_codice_fiscale": Message(
        422,
        "Codice fiscale non valido",
        "Il codice fiscale non è valido: controlla di averlo scritto tutto (16 caratteri).",
        "Invalid codice fiscale",
        "The codice fiscale is not valid: check you typed all of it (16 characters).",
    ),
    "invalid_user_code": Message(
        422,
        "Codice utente non valido",
        "Il codice utente non è valido: controlla le cifre che hai scritto.",
        "Invalid user code",
        "The user code is not valid: check the digits you typed.",
    ),
    "school_not_found": Message(
        404,
        "Scuola non trovata",
        "Il codice meccanografico non corrisponde a nessuna scuola servita da questo servizio: "
        "controllalo, o cerca la scuola per nome.",
        "School not found",
        "No school served by this service has this code: check it, or look the school up by name.",
    ),
    "school_closed": Message(
        403,
        "Servizio chiuso",
        "Il servizio di credenziali di questa scuola è chiuso. Per il registro rivolgiti alla "
        "segreteria della scuola.",
        "Service closed",
        "This school's credential service is closed. For the register, ask the school office.",
    ),
    "configuration_conflict": Message(
        409,
        "Configurazione cambiata nel frattempo",
        "Qualcuno ha cambiato la scuola mentre questa azione la leggeva: ripeti l'azione.",
        "Configuration changed meanwhile",
        "Someone changed the school while this action read it: run the action again.",
    ),
    "invalid_school_configuration": Message(
        422,
        "Configurazione non valida",
        "La configurazione della scuola non è valida: vedi i campi indicati. Non è cambiato nulla.",
        "Invalid configuration",
        "The school's configuration is not valid: see the fields named. Nothing changed.",
    ),
    "client_not_found": Message(
        404,
        "Client non trovato",
        "Nessun client del registro è registrato con questo identificativo.",
        "Client not found",
        "No register client is registered with this id.",
    ),
    "invalid_client_configuration": Message(
        422,
        "Registrazione del client non valida",
        "La registrazione del client non è valida: vedi i campi indicati. Non è cambiato nulla.",
        "Invalid client registration",
        "The client's registration is not valid: see the fields named. Nothing changed.",
    ),
    "sign_in_expired": Message(
        410,
        "Richiesta di accesso scaduta",
        "La richiesta di accesso è scaduta o è già stata usata: torna al registro elettronico e premi di "
        "nuovo Entra.",
        "Sign-in request expired",
        "The sign-in request expired or was already used: go back to the school register and press Sign "
        "in again.",
    ),
    "passwords_not_offered": Message(
        403,
        "Entra con SPID o CIE",
        "Questa scuola non usa più le password per il registro elettronico: entra con SPID o con la CIE.",
        "Sign in with SPID or CIE",
        "This school no longer uses passwords for the school register: sign in with SPID or your CIE.",
    ),
    "student_primo_ciclo": Message(
        403,
        "Nel primo ciclo entrano i genitori",
        "In questa scuola (primo ciclo) nel registro entrano solo i genitori e i tutori. Chiedi a un "
        "genitore di entrare con le sue credenziali.",
        "Parents only at this school",
        "At this school (primo ciclo) only parents and guardians use the register. Ask a parent to sign "
        "in with their own credentials.",
    ),
    "app_missing": Message(
        409,
        "Nessuna app di autenticazione",
        "Il tuo account non ha un'app di autenticazione da togliere: i codici ti arrivano per SMS.",
        "No authenticator app",
        "Your account has no authenticator app to remove: codes come to you by SMS.",
    ),
    "not_signed_in": Message(
        401,
        "Non sei entrato",
        "Per vedere il tuo profilo entra con le tue credenziali (o con SPID o CIE): premi Entra.",
        "Not signed in",
        "To see your profile, sign in with your credentials (or with SPID or CIE): press Sign in.",
    ),
    "fresh_sign_in_required": Message(
        401,
        "Conferma che sei tu",
        "Per questa modifica devi essere entrato da pochi minuti: premi Conferma che sei tu ed entra "
        "di nuovo. Poi ripeti la modifica.",
        "Confirm it is you",
        "For this change you must have signed in a few minutes ago: press Confirm it is you and sign "
        "in again. Then make the change again.",
    ),
    "school_not_served": Message(
        403,
        "Scuola non servita da questo registro",
        "Questo registro elettronico non è quello della scuola scelta: controlla la scuola o entra dal "
        "registro della tua scuola.",
        "School not served by this register",
        "This school register is not the chosen school's: check the school, or sign in from your school's "
        "register.",
    ),
    "form_reference_mismatch": Message(
        409,
        "Il modulo non è di questa persona",
        "Il riferimento del modulo di adesione non è quello di questa persona: controlla il modulo e il "
        "codice fiscale. L'identificazione non è stata registrata.",
        "The form is not this person's",
        "The adhesion form's reference is not this person's: check the form and the codice fiscale. "
        "The identification was not recorded.",
    ),
    "person_not_found": Message(
        404,
        "Anagrafica non trovata",
        "Il codice fiscale che hai scritto non è nell'anagrafica della scuola. Rivolgiti alla "
        "segreteria della scuola.",
        "Person not found",
        "The codice fiscale you typed is not in the school's records. Ask the school office.",
    ),
    "already_registered": Message(
        409,
        "Credenziali già presenti",
        "Per questo codice fiscale le credenziali ci sono già. Se hai dimenticato la password, usa "
        "Password dimenticata.",
        "Already registered",
        "Credentials already exist for this codice fiscale. If you forgot your password, use Forgot"
        " password.",
    ),
    "email_missing": Message(
        422,
        "Indirizzo e-mail mancante",
        "La scuola non ha un tuo indirizzo e-mail. Per proseguire, comunica un indirizzo e-mail "
        "alla segreteria della scuola.",
        "E-mail address missing",
        "The school has no e-mail address of yours. To go on, give an e-mail address to the school office.",
    ),
    "student_too_young": Message(
        403,
        "Registrazione non consentita",
        "Chi non ha ancora l'età minima stabilita dalla scuola non può registrarsi: per il registro"
        " bastano le credenziali dei genitori.",
        "Registration not allowed",
        "Students under the minimum age the school set cannot register: their parents' credentials "
        "cover them.",
    ),
    "contact_unchanged": Message(
        409,
        "Nessuna modifica",
        "È già il recapito del tuo account.",
        "Nothing to change",
        "This is already your account's contact.",
    ),
    "otp_by_app": Message(
        409,
        "Usa l'app di autenticazione",
        "Per il tuo account il codice di verifica si legge nell'app di autenticazione: nessun SMS "
        "viene inviato. Se non hai più l'app, rivolgiti alla segreteria della scuola.",
        "Use your authenticator app",
        "Your account's verification code comes from your authenticator app: no SMS is sent. If you"
        " no longer have the app, ask the school office.",
    ),
    "account_not_found": Message(
        404,
        "Utente non trovato",
        "Non c'è un account per quello che hai scritto. Registrati prima con il tuo codice fiscale.",
        "Account not found",
        "There is no account for what you typed. Register first with your codice fiscale.",
    ),
    "token_invalid": Message(
        400,
        "Link non valido",
        "Il link non è valido. Controlla di aver copiato l'indirizzo completo dall'e-mail.",
        "Invalid link",
        "The link is not valid. Check that you copied the whole address from the e-mail.",
    ),
    "token_expired": Message(
        410,
        "Link scaduto",
        "Il link è scaduto. Chiedine uno nuovo.",
        "Link expired",
        "The link has expired. Ask for a new one.",
    ),
    "token_used": Message(
        410,
        "Link già utilizzato",
        "Il link è già stato usato, o non vale più. Se ti serve, chiedine uno nuovo.",
        "Link already used",
        "The link was already used, or is no longer valid. Ask for a new one if you need it.",
    ),
    "token_superseded": Message(
        410,
        "Link sostituito",
        "Questo link non vale più: un'altra modifica al tuo account (ai tuoi contatti o alla "
        "password) l'ha sostituito.",
        "Link replaced",
        "This link no longer works: another change to your account (to your contacts or your "
        "password) replaced it.",
    ),
    "otp_required": Message(
        403,
        "Verifica del cellulare richiesta",
        "Per proseguire scrivi prima il codice di verifica.",
        "Phone verification required",
        "Type the verification code first to go on.",
    ),
    "email_confirmation_required": Message(
        403,
        "Conferma via e-mail richiesta",
        "Per sicurezza ti abbiamo mandato un link all'indirizzo e-mail del tuo account. Aprilo per "
        "confermare la modifica: sarà possibile completarla dopo un periodo di attesa.",
        "Confirmation by e-mail required",
        "For your safety we sent a link to your account's e-mail address. Open it to confirm the "
        "change: you can complete it after a waiting period.",
    ),
    "change_cooling_off": Message(
        403,
        "Modifica in attesa",
        "Per sicurezza la modifica sarà possibile solo alla fine del periodo di attesa. Riprova dopo.",
        "Change waiting",
        "For your safety the change is possible only once the waiting period ends. Try again then.",
    ),
    "otp_invalid": Message(
        400,
        "Codice non corretto",
        "Il codice non è corretto. Controlla l'SMS e riprova.",
        "Wrong code",
        "The code is not correct. Check the SMS and try again.",
    ),
    "otp_invalid.app": Message(
        400,
        "Codice non corretto",
        "Il codice non è corretto. Scrivi il codice che l'app mostra ora e riprova.",
        "Wrong code",
        "The code is not correct. Type the code the app shows now and try again.",
    ),
    "otp_locked": Message(
        429,
        "Troppi tentativi",
        "Hai sbagliato il codice troppe volte. Chiedi un nuovo codice.",
        "Too many attempts",
        "The code was mistyped too many times. Ask for a new code.",
    ),
    "otp_locked.app": Message(
        429,
        "Troppi tentativi",
        "Hai sbagliato il codice troppe volte. Chiedi un nuovo link e riprova con il codice dell'app.",
        "Too many attempts",
        "The code was mistyped too many times. Ask for a new link and try again with the app's code.",
    ),
    "otp_expired": Message(
        410,
        "Codice non più valido",
        "Il codice è scaduto, è già stato usato o ne è arrivato uno più recente. Chiedi un nuovo codice.",
        "Code no longer valid",
        "The code has expired, was already used or a newer one came. Ask for a new code.",
    ),
    "otp_expired.app": Message(
        410,
        "Codice non più valido",
        "Questo codice dell'app è già stato usato. Aspetta il codice successivo e riprova.",
        "Code no longer valid",
        "This app code was already used. Wait for the next code and try again.",
    ),
    "otp_not_needed": Message(
        409,
        "Nessun codice da inviare",
        "Per questo link la verifica del cellulare non serve, o l'hai già fatta.",
        "No code to send",
        "This link needs no phone verification, or you already did it.",
    ),
    "mobile_missing": Message(
        422,
        "Cellulare non presente",
        "La scuola non ha un tuo numero di cellulare. Per proseguire, comunica il tuo numero alla "
        "segreteria della scuola.",
        "No mobile number",
        "The school has no mobile number of yours. To go on, give your number to the school office.",
    ),
    "mobile_not_allowed": Message(
        422,
        "Cellulare non utilizzabile",
        "Questo numero di cellulare non può ricevere SMS da questo servizio. Rivolgiti alla "
        "segreteria della scuola.",
        "Mobile number not usable",
        "This mobile number cannot receive SMS from this service. Ask the school office.",
    ),
    "sms_unavailable": Message(
        503,
        "Invio SMS sospeso",
        "L'invio degli SMS è sospeso per qualche tempo. Riprova più tardi.",
        "SMS suspended",
        "Sending SMS is suspended for a while. Try again later.",
    ),
    "rate_limited": Message(
        429,
        "Troppe richieste",
        "Troppe richieste. Riprova più tardi.",
        "Too many requests",
        "Too many requests. Try again later.",
    ),
    "weak_password": Message(
        422,
        "Password non conforme",
        "La password non rispetta le regole indicate.",
        "Password not accepted",
        "The password does not meet the listed rules.",
    ),
    "account_unavailable": Message(
        403,
        "Utenza non disponibile",
        "Il tuo account non è attivo. Rivolgiti alla segreteria della scuola.",
        "Account unavailable",
        "Your account is not active. Ask the school office.",
    ),
    "invalid_login": Message(
        422,
        "Codice utente o e-mail non valido",
        "Scrivi il codice utente (9 cifre) oppure l'indirizzo e-mail che hai dato alla scuola.",
        "Invalid user code or e-mail",
        "Type your user code (9 digits) or the e-mail address you gave the school.",
    ),
    "invalid_credentials": Message(
        401,
        "Credenziali non valide",
        "Codice utente, e-mail o password non corretti.",
        "Invalid credentials",
        "The user code, e-mail or password is not correct.",
    ),
    "account_locked": Message(
        423,
        "Accesso temporaneamente bloccato",
        "Troppi tentativi non riusciti: l'accesso è bloccato per qualche tempo. Riprova più tardi, "
        "oppure usa Password dimenticata per sbloccarlo subito.",
        "Access temporarily locked",
        "Too many failed attempts: access is locked for a while. Try again later, or use Forgot "
        "password to unlock it at once.",
    ),
    "pin_invalid": Message(
        401,
        "PIN non valido",
        "Il PIN non è corretto.",
        "Invalid PIN",
        "The PIN is not correct.",
    ),
    "pin_locked": Message(
        423,
        "PIN bloccato",
        "Il PIN è stato sbagliato troppe volte. Chiedi un nuovo PIN.",
        "PIN locked",
        "The PIN was mistyped too many times. Ask for a new PIN.",
    ),
    "forbidden": Message(
        403,
        "Accesso negato",
        "La richiesta non è autorizzata.",
        "Forbidden",
        "The request is not authorised.",
    ),
    "validation_error": Message(
        422,
        "Richiesta non valida",
        "Alcuni campi della richiesta non sono validi.",
        "Invalid request",
        "Some fields of the request are not valid.",
    ),
    "malformed_request": Message(
        400,
        "Richiesta non leggibile",
        "Il corpo della richiesta non è un JSON valido.",
        "Unreadable request",
        "The request body is not valid JSON.",
    ),
    "payload_too_large": Message(
        413,
        "Richiesta troppo grande",
        "Il corpo della richiesta supera la dimensione massima consentita.",
        "Request too large",
        "The request body exceeds the maximum size.",
    ),
    "unsupported_media_type": Message(
        415,
        "Formato non supportato",
        "Invia il corpo della richiesta come application/json.",
        "Unsupported media type",
        "Send the request body as application/json.",
    ),
    "not_found": Message(
        404,
        "Risorsa non trovata",
        "L'indirizzo richiesto non esiste.",
        "Not found",
        "The requested address does not exist.",
    ),
    "method_not_allowed": Message(
        405,
        "Metodo non consentito",
        "Il metodo HTTP non è consentito per questo indirizzo.",
        "Method not allowed",
        "The HTTP method is not allowed for this address.",
    ),
    "service_unavailable": Message(
        503,
        "Servizio non disponibile",
        "Il servizio non ha risposto. Riprova tra qualche minuto.",
        "Service unavailable",
        "The service did not answer. Try again in a few minutes.",
    ),
    "internal_error": Message(
        500,
        "Errore interno",
        "Si è verificato un errore imprevisto. Riprova tra qualche minuto.",
        "Internal error",
        "An unexpected error occurred. Try again in a few minutes.",
    ),
}

ACCEPTED_MESSAGES: dict[str, tuple[str, str]] = {
    "issue_pin": (
        "Ti abbiamo mandato il nuovo PIN all'indirizzo e-mail che hai dato alla scuola. Il PIN "
        "precedente non vale più.",
        "The new PIN was sent to the e-mail address on record. The previous PIN no longer works.",
    ),
    "contacts_email": (
        "Ti abbiamo mandato un'e-mail al nuovo indirizzo: apri il suo link per confermarlo. "
        "Fino ad allora resta valido l'indirizzo precedente.",
        "We sent an e-mail to the new address: open its link to confirm it. Until then the "
        "previous address stays in use.",
    ),
    "register": (
        "Se il codice fiscale è nell'anagrafica della scuola con un indirizzo e-mail, riceverai "
        "un'e-mail con il link per scegliere la password.",
        "If the codice fiscale is on record with an e-mail address, you will receive an "
        "e-mail with a link to choose your password.",
    ),
    "request_reset": (
        "Se i dati corrispondono a un account, riceverai un'e-mail all'indirizzo che hai dato "
        "alla scuola con il link per scegliere una nuova password.",
        "If the details match a registered user, you will receive an e-mail at the address "
        "on record with a link to choose a new password.",
    ),
}
