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
        "Il codice fiscale non è valido",
        "Invalid codice fiscale",
        "The codice fiscale is not valid",
    ),
    "invalid_user_code": Message(
        422,
        "Codice utente non valido",
        "Il codice utente non è valido: controllare le cifre inserite",
        "Invalid user code",
        "The user code is not valid: check the digits you typed",
    ),
    "school_not_found": Message(
        404,
        "Scuola non trovata",
        "Il codice meccanografico non corrisponde a nessuna scuola servita da Chiave",
        "School not found",
        "No school served by Chiave has this code",
    ),
    "school_closed": Message(
        403,
        "Servizio chiuso",
        "Il servizio di credenziali di questa scuola è chiuso. Per il registro rivolgiti alla segreteria "
        "della scuola.",
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
    "person_not_found": Message(
        404,
        "Anagrafica non trovata",
        "Nessuna anagrafica corrispondente al codice fiscale inserito è stata trovata nel "
        "sistema. Rivolgersi alla segreteria della scuola",
        "Person not found",
        "No registry entry matches the codice fiscale you entered. Please contact the school office",
    ),
    "already_registered": Message(
        409,
        "Credenziali già presenti",
        "Sono già presenti delle credenziali per la persona identificata dal codice fiscale",
        "Already registered",
        "Credentials already exist for the person identified by this codice fiscale",
    ),
    "email_missing": Message(
        422,
        "Indirizzo email mancante",
        "Indirizzo email non presente nel sistema. Per procedere occorre comunicare un "
        "indirizzo email alla segreteria della scuola",
        "E-mail address missing",
        "No e-mail address is on record. To proceed, give an e-mail address to the school office",
    ),
    "student_too_young": Message(
        403,
        "Registrazione non consentita",
        "Gli studenti che non hanno ancora l'età minima stabilita dalla scuola non possono "
        "registrarsi: le credenziali sono gestite dai genitori",
        "Registration not allowed",
        "Students under the minimum age the school set cannot register: their parents' "
        "credentials cover them",
    ),
    "contact_unchanged": Message(
        409,
        "Nessuna modifica",
        "Il recapito indicato è già quello registrato per questo account",
        "Nothing to change",
        "This is already the contact on record for the account",
    ),
    "otp_by_app": Message(
        409,
        "Usa l'app di autenticazione",
        "Per questo account il codice di verifica si legge nell'app di autenticazione: non viene "
        "inviato alcun SMS. Se non hai più l'app, rivolgiti alla segreteria della scuola",
        "Use your authenticator app",
        "This account's verification code comes from its authenticator app: no SMS is sent. "
        "If you no longer have the app, contact the school office",
    ),
    "account_not_found": Message(
        404,
        "Utente non trovato",
        "Non è stato trovato un utente relativo al codice fiscale inserito. Si prega di "
        "effettuare la registrazione al sistema",
        "Account not found",
        "No account was found for what you entered. Please register first",
    ),
    "token_invalid": Message(
        400,
        "Link non valido",
        "Il link non è valido. Controllare di aver copiato l'indirizzo completo dalla mail",
        "Invalid link",
        "The link is not valid. Check that you copied the whole address from the e-mail",
    ),
    "token_expired": Message(
        410,
        "Link scaduto",
        "Il link è scaduto. Richiederne uno nuovo",
        "Link expired",
        "The link has expired. Please ask for a new one",
    ),
    "token_used": Message(
        410,
        "Link già utilizzato",
        "Il link è già stato utilizzato o non è più valido. Richiederne uno nuovo se necessario",
        "Link already used",
        "The link has already been used or is no longer valid. Ask for a new one if needed",
    ),
    "otp_required": Message(
        403,
        "Verifica del cellulare richiesta",
        "Per proseguire occorre prima inserire il codice ricevuto via SMS",
        "Phone verification required",
        "Enter the code you received by SMS to go on",
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
        "Il codice inserito non è corretto. Controllare l'SMS e riprovare",
        "Wrong code",
        "The code you entered is not correct. Check the SMS and try again",
    ),
    "otp_locked": Message(
        429,
        "Troppi tentativi",
        "Il codice è stato inserito in modo errato troppe volte. Richiedere un nuovo codice",
        "Too many attempts",
        "The code was entered wrongly too many times. Ask for a new code",
    ),
    "otp_expired": Message(
        410,
        "Codice non più valido",
        "Il codice è scaduto, è già stato usato o è stato sostituito da uno più recente. "
        "Richiedere un nuovo codice",
        "Code no longer valid",
        "The code has expired, was already used or was replaced by a newer one. Ask for a new code",
    ),
    "otp_not_needed": Message(
        409,
        "Nessun codice da inviare",
        "Per questo link la verifica del cellulare non è richiesta oppure è già stata completata",
        "No code to send",
        "This link needs no phone verification, or it was already completed",
    ),
    "mobile_missing": Message(
        422,
        "Cellulare non presente",
        "Numero di cellulare non presente nel sistema. Per procedere occorre comunicare un numero di "
        "cellulare alla segreteria della scuola",
        "No mobile number",
        "No mobile number is on file. To continue, give a mobile number to the school office",
    ),
    "mobile_not_allowed": Message(
        422,
        "Cellulare non utilizzabile",
        "Il numero di cellulare registrato non può ricevere SMS da questo servizio. Rivolgersi alla "
        "segreteria della scuola",
        "Mobile number not usable",
        "The mobile number on file cannot receive SMS from this service. Please contact the school office",
    ),
    "sms_unavailable": Message(
        503,
        "Invio SMS sospeso",
        "L'invio degli SMS è temporaneamente sospeso. Riprovare più tardi",
        "SMS suspended",
        "Sending SMS is temporarily suspended. Please try again later",
    ),
    "rate_limited": Message(
        429,
        "Troppe richieste",
        "Sono state fatte troppe richieste. Riprovare più tardi",
        "Too many requests",
        "Too many requests. Please try again later",
    ),
    "weak_password": Message(
        422,
        "Password non conforme",
        "La password non rispetta le regole indicate",
        "Password not accepted",
        "The password does not meet the listed rules",
    ),
    "account_unavailable": Message(
        403,
        "Utenza non disponibile",
        "L'utenza non è attiva. Rivolgersi alla segreteria della scuola",
        "Account unavailable",
        "The account is not active. Please contact the school office",
    ),
    "invalid_login": Message(
        422,
        "Codice utente o email non valido",
        "Inserire il codice utente (9 cifre) oppure l'indirizzo email comunicato alla scuola",
        "Invalid user code or e-mail",
        "Enter your user code (9 digits) or the e-mail address you gave the school",
    ),
    "invalid_credentials": Message(
        401,
        "Credenziali non valide",
        "Codice utente, email o password non corretti",
        "Invalid credentials",
        "The user code, e-mail or password is not correct",
    ),
    "account_locked": Message(
        423,
        "Accesso temporaneamente bloccato",
        "Troppi tentativi non riusciti: l'accesso è bloccato per qualche tempo. Riprovare più "
        'tardi oppure usare "Password dimenticata?" per sbloccarlo subito',
        "Access temporarily locked",
        "Too many failed attempts: access is locked for a while. Try again later, or use "
        '"Forgot password?" to unlock it at once',
    ),
    "pin_invalid": Message(
        401,
        "PIN non valido",
        "Il PIN non è corretto",
        "Invalid PIN",
        "The PIN is not correct",
    ),
    "pin_locked": Message(
        423,
        "PIN bloccato",
        "Il PIN è stato inserito in modo errato troppe volte. Richiedere un nuovo PIN",
        "PIN locked",
        "The PIN was entered wrongly too many times. Ask for a new PIN",
    ),
    "forbidden": Message(
        403,
        "Accesso negato",
        "La richiesta non è autorizzata",
        "Forbidden",
        "The request is not authorised",
    ),
    "validation_error": Message(
        422,
        "Richiesta non valida",
        "Alcuni campi della richiesta non sono validi",
        "Invalid request",
        "Some fields of the request are not valid",
    ),
    "malformed_request": Message(
        400,
        "Richiesta non leggibile",
        "Il corpo della richiesta non è un JSON valido",
        "Unreadable request",
        "The request body is not valid JSON",
    ),
    "payload_too_large": Message(
        413,
        "Richiesta troppo grande",
        "Il corpo della richiesta supera la dimensione massima consentita",
        "Request too large",
        "The request body exceeds the maximum size",
    ),
    "unsupported_media_type": Message(
        415,
        "Formato non supportato",
        "Inviare il corpo della richiesta come application/json",
        "Unsupported media type",
        "Send the request body as application/json",
    ),
    "not_found": Message(
        404,
        "Risorsa non trovata",
        "L'indirizzo richiesto non esiste",
        "Not found",
        "The requested address does not exist",
    ),
    "method_not_allowed": Message(
        405,
        "Metodo non consentito",
        "Il metodo HTTP non è consentito per questo indirizzo",
        "Method not allowed",
        "The HTTP method is not allowed for this address",
    ),
    "service_unavailable": Message(
        503,
        "Servizio non disponibile",
        "Il servizio non ha risposto. Riprovare tra qualche minuto",
        "Service unavailable",
        "The service did not answer. Please try again in a few minutes",
    ),
    "internal_error": Message(
        500,
        "Errore interno",
        "Si è verificato un errore imprevisto. Riprovare tra qualche minuto",
        "Internal error",
        "An unexpected error occurred. Please try again in a few minutes",
    ),
}


# The 202 of register and request-reset, identical whether or not the person
# exists: (Italian, English).
ACCEPTED_MESSAGES: dict[str, tuple[str, str]] = {
    "issue_pin": (
        "Il nuovo PIN è stato inviato all'indirizzo email comunicato alla scuola. Il PIN "
        "precedente non è più valido.",
        "The new PIN was sent to the e-mail address on record. The previous PIN no longer works.",
    ),
    "contacts_email": (
        "Ti abbiamo inviato una mail al nuovo indirizzo: apri il link che contiene per confermarlo. "
        "Fino ad allora resta valido l'indirizzo precedente.",
        "We sent an e-mail to the new address: open its link to confirm it. Until then the "
        "previous address stays in use.",
    ),
    "register": (
        "Se il codice fiscale è presente in anagrafica con un indirizzo email, riceverai una "
        "mail con il link per scegliere la password.",
        "If the codice fiscale is on record with an e-mail address, you will receive an "
        "e-mail with a link to choose your password.",
    ),
    "request_reset": (
        "Se i dati corrispondono a un utente registrato, riceverai una mail all'indirizzo "
        "comunicato alla scuola con il link per scegliere una nuova password.",
        "If the details match a registered user, you will receive an e-mail at the address "
        "on record with a link to choose a new password.",
    ),
}
