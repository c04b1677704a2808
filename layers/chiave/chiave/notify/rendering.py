"""Rendering of the e-mails notify sends: Italian first, then English
(English only when the school's language is `en`). No secret is rendered
except the link or the PIN a message exists to deliver."""

from __future__ import annotations

import html
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import urlsplit

from chiave.italian import clock
from chiave.notify.outbox import Notice
from chiave.runtime.settings import portal_url


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # maintype/subtype
    data: bytes


# template -> language -> (subject, paragraphs). `{link}` paragraphs become links.
_TEXTS: dict[str, dict[str, tuple[str, list[str]]]] = {
    "activation": {
        "it": (
            "Attivazione delle credenziali del registro elettronico",
            [
                "Gentile {name},",
                "la scuola {school} ha ricevuto la richiesta di credenziali per il registro "
                "elettronico. Per scegliere la password apri questo link entro {hours} ore:",
                "{link}",
                "Se non hai fatto tu la richiesta, ignora questa mail.",
            ],
        ),
        "en": (
            "Activate your school register credentials",
            [
                "Dear {name},",
                "{school} received a request for school register credentials. To choose your "
                "password, open this link within {hours} hours:",
                "{link}",
                "If you did not ask for this, ignore this e-mail.",
            ],
        ),
    },
    "reset": {
        "it": (
            "Ripristino della password del registro elettronico",
            [
                "Gentile {name},",
                "per scegliere una nuova password apri questo link entro {minutes} minuti:",
                "{link}",
                "Il tuo codice utente è {user_code}. Se non hai chiesto il ripristino, ignora "
                "questa mail: la password attuale resta valida.",
            ],
        ),
        "en": (
            "Reset your school register password",
            [
                "Dear {name},",
                "to choose a new password, open this link within {minutes} minutes:",
                "{link}",
                "Your user code is {user_code}. If you did not ask for a reset, ignore this "
                "e-mail: your current password still works.",
            ],
        ),
    },
    "activation_done": {
        "it": (
            "Registrazione completata",
            [
                "Gentile {name},",
                "la registrazione è avvenuta con successo. Il tuo codice utente è {user_code}: "
                "usalo con la password che hai scelto per accedere al registro di {school}.",
                "Conserva con cura le credenziali. La password non viene mai inviata per mail.",
            ],
        ),
        "en": (
            "Registration complete",
            [
                "Dear {name},",
                "your registration is complete. Your user code is {user_code}: use it with the "
                "password you chose to sign in to the register of {school}.",
                "Keep your credentials safe. Your password is never sent by e-mail.",
            ],
        ),
    },
    # activation_done at a school that identifies in person: the adhesion form is attached.
    "activation_awaiting_identification": {
        "it": (
            "Registrazione completata: ultimo passo in segreteria",
            [
                "Gentile {name},",
                "hai scelto la password. Il tuo codice utente è {user_code}.",
                "Le credenziali diventano attive quando la segreteria di {school} ti identifica. "
                "Stampa il modulo di adesione allegato (riferimento {form_reference}) e portalo in "
                "segreteria con un tuo documento d'identità valido e la tessera sanitaria. Lo firmi lì, "
                "davanti all'operatore.",
                "Se non puoi andare tu, manda una persona con la tua delega scritta e firmata, la copia "
                "del tuo documento e il suo documento d'identità.",
                "Quando la segreteria registra l'identificazione ti scriviamo: da quel momento entri nel "
                "registro con il codice utente e la password. La password non viene mai inviata per mail.",
            ],
        ),
        "en": (
            "Registration complete: one last step at the school office",
            [
                "Dear {name},",
                "you chose your password. Your user code is {user_code}.",
                "Your credentials become active once the office of {school} identifies you. Print the "
                "attached adhesion form (reference {form_reference}) and bring it to the office with a "
                "valid identity document and your health card. You sign it there, in front of the staff.",
                "If you cannot go, send someone with your signed written proxy, a copy of your document "
                "and their own identity document.",
                "When the office records your identification we write to you: from then on your user "
                "code and password open the register. Your password is never sent by e-mail.",
            ],
        ),
    },
    "password_changed": {
        "it": (
            "La password è stata cambiata",
            [
                "Gentile {name},",
                "la password del codice utente {user_code} è stata cambiata ora.",
                "Se non l'hai fatto tu, ripristina subito la password e avvisa la segreteria di {school}.",
            ],
        ),
        "en": (
            "Your password was changed",
            [
                "Dear {name},",
                "the password of user code {user_code} has just been changed.",
                "If this was not you, reset your password at once and tell the office of {school}.",
            ],
        ),
    },
    "already_registered": {
        "it": (
            "Hai già le credenziali del registro elettronico",
            [
                "Gentile {name},",
                "abbiamo ricevuto una richiesta di registrazione, ma per te sono già presenti "
                "delle credenziali presso {school}.",
                "Se non ricordi la password, usa Password dimenticata: "
                "{portal_url}/password-dimenticata?scuola={school_id}",
                "Se non hai fatto tu la richiesta, ignora questa mail.",
            ],
        ),
        "en": (
            "You already have school register credentials",
            [
                "Dear {name},",
                "we received a registration request, but you already have credentials at {school}.",
                "If you forgot your password, use Forgot password: "
                "{portal_url}/password-dimenticata?scuola={school_id}",
                "If you did not ask for this, ignore this e-mail.",
            ],
        ),
    },
    "pin_issued": {
        "it": (
            "È stato generato un nuovo PIN",
            [
                "Gentile {name},",
                "per il codice utente {user_code} è stato generato ora un nuovo PIN per il registro "
                "di {school}: il PIN precedente non è più valido. Il PIN è stato mostrato una sola "
                "volta e non viene inviato per mail.",
                "Se non l'hai fatto tu, cambia subito la password e avvisa la segreteria.",
            ],
        ),
        "en": (
            "A new PIN was issued",
            [
                "Dear {name},",
                "a new PIN for the register of {school} was just issued to user code {user_code}: "
                "the previous PIN no longer works. The PIN was shown once and is never e-mailed.",
                "If this was not you, change your password at once and tell the school office.",
            ],
        ),
    },
    "pin_sent": {
        "it": (
            "Il tuo nuovo PIN del registro elettronico",
            [
                "Gentile {name},",
                "il nuovo PIN del codice utente {user_code} per il registro di {school} è: {code}",
                "Il PIN serve per giustificare le assenze e firmare i consensi; il PIN precedente non "
                "è più valido. Conservalo con cura e non comunicarlo a nessuno.",
                "Se non l'hai chiesto tu, cambia subito la password e avvisa la segreteria.",
            ],
        ),
        "en": (
            "Your new school register PIN",
            [
                "Dear {name},",
                "the new PIN of user code {user_code} for the register of {school} is: {code}",
                "You need it to justify absences and sign consents; the previous PIN no longer "
                "works. Keep it safe and never share it.",
                "If you did not ask for it, change your password at once and tell the school office.",
            ],
        ),
    },
    "account_locked": {
        "it": (
            "Accesso al registro temporaneamente bloccato",
            [
                "Gentile {name},",
                "sono stati fatti troppi tentativi di accesso con password errata alle tue credenziali "
                "del registro di {school}: l'accesso è bloccato per {minutes} minuti.",
                "Se non sei tu ad aver provato, o per sbloccarlo subito, usa Password dimenticata: "
                "{portal_url}/password-dimenticata?scuola={school_id}",
            ],
        ),
        "en": (
            "School register access temporarily locked",
            [
                "Dear {name},",
                "too many sign-ins with a wrong password were tried with your credentials for the "
                "register of {school}: access is locked for {minutes} minutes.",
                "If it was not you, or to unlock it at once, use Forgot password: "
                "{portal_url}/password-dimenticata?scuola={school_id}",
            ],
        ),
    },
    "account_active": {
        "it": (
            "Le tue credenziali del registro sono attive",
            [
                "Gentile {name},",
                "la segreteria di {school} ha completato la tua identificazione: le credenziali del "
                "codice utente {user_code} sono ora attive e puoi accedere al registro.",
                "Se non ricordi la password, usa Password dimenticata: "
                "{portal_url}/password-dimenticata?scuola={school_id}",
            ],
        ),
        "en": (
            "Your school register credentials are active",
            [
                "Dear {name},",
                "the office of {school} has completed your identification: the credentials of user "
                "code {user_code} are now active and you can sign in to the register.",
                "If you forgot your password, use Forgot password: "
                "{portal_url}/password-dimenticata?scuola={school_id}",
            ],
        ),
    },
    "temporary_code": {
        "it": (
            "Il tuo codice personale temporaneo per il registro",
            [
                "Gentile {name},",
                "la segreteria di {school} ti ha rilasciato un codice personale temporaneo: {code}",
                "Usalo una sola volta, entro {hours} ore, con il codice utente {user_code} per "
                "scegliere la tua password: {portal_url}/codice-temporaneo?scuola={school_id}",
                "Se non l'hai chiesto tu, avvisa la segreteria.",
            ],
        ),
        "en": (
            "Your temporary personal code for the school register",
            [
                "Dear {name},",
                "the office of {school} issued you a temporary personal code: {code}",
                "Use it once, within {hours} hours, with user code {user_code} to choose your "
                "password: {portal_url}/codice-temporaneo?scuola={school_id}",
                "If you did not ask for it, tell the school office.",
            ],
        ),
    },
    "email_verification": {
        "it": (
            "Conferma il nuovo indirizzo e-mail per il registro elettronico",
            [
                "Gentile {name},",
                "hai chiesto di usare questo indirizzo per il registro di {school}. Per confermarlo "
                "apri questo link entro {minutes} minuti:",
                "{link}",
                "Fino alla conferma resta valido l'indirizzo precedente. Se non l'hai chiesto tu, "
                "ignora questa mail.",
            ],
        ),
        "en": (
            "Confirm your new e-mail address for the school register",
            [
                "Dear {name},",
                "you asked to use this address for the register of {school}. To confirm it, open "
                "this link within {minutes} minutes:",
                "{link}",
                "Until then your previous address stays in use. If you did not ask for this, "
                "ignore this e-mail.",
            ],
        ),
    },
    "email_change_requested": {
        "it": (
            "Richiesta di modifica dell'indirizzo e-mail",
            [
                "Gentile {name},",
                "è stato chiesto di sostituire questo indirizzo con {email_hint} per il registro "
                "di {school}. Il cambio avverrà solo quando il nuovo indirizzo sarà confermato.",
                "Se non l'hai fatto tu, cambia subito la password e avvisa la segreteria.",
            ],
        ),
        "en": (
            "Request to change your e-mail address",
            [
                "Dear {name},",
                "someone asked to replace this address with {email_hint} for the register of "
                "{school}. It changes only once the new address is confirmed.",
                "If this was not you, change your password now and tell the school office.",
            ],
        ),
    },
    "email_changed": {
        "it": (
            "Indirizzo email aggiornato",
            [
                "Gentile {name},",
                "da ora questo è il tuo indirizzo per il registro di {school}: puoi usarlo per "
                "accedere e per ripristinare la password.",
                "Se non l'hai fatto tu, avvisa subito la segreteria.",
            ],
        ),
        "en": (
            "E-mail address updated",
            [
                "Dear {name},",
                "this is now your address for the register of {school}: you can use it to log in "
                "and to reset your password.",
                "If this was not you, tell the school office at once.",
            ],
        ),
    },
    "mobile_changed": {
        "it": (
            "Numero di cellulare aggiornato",
            [
                "Gentile {name},",
                "il numero di cellulare del tuo account del registro di {school} è ora "
                "{phone_hint}: i codici di verifica arriveranno lì.",
                "Se non l'hai fatto tu, cambia subito la password e avvisa la segreteria.",
            ],
        ),
        "en": (
            "Mobile number updated",
            [
                "Dear {name},",
                "the mobile number of your account for the register of {school} is now "
                "{phone_hint}: verification codes will go there.",
                "If this was not you, change your password now and tell the school office.",
            ],
        ),
    },
    "totp_enrolled": {
        "it": (
            "App di autenticazione attivata",
            [
                "Gentile {name},",
                "hai attivato un'app di autenticazione per il registro di {school}: da ora i "
                "codici di verifica li leggi nell'app e non arrivano più per SMS.",
                "Se non l'hai fatto tu, avvisa subito la segreteria.",
            ],
        ),
        "en": (
            "Authenticator app enabled",
            [
                "Dear {name},",
                "you enabled an authenticator app for the register of {school}: from now on "
                "verification codes come from the app, not by SMS.",
                "If this was not you, tell the school office at once.",
            ],
        ),
    },
    "totp_removed": {
        "it": (
            "App di autenticazione tolta",
            [
                "Gentile {name},",
                "hai tolto l'app di autenticazione dal tuo account del registro di {school}: da ora i "
                "codici di verifica arrivano per SMS al cellulare che la scuola conosce.",
                "Se non l'hai fatto tu, avvisa subito la segreteria.",
            ],
        ),
        "en": (
            "Authenticator app removed",
            [
                "Dear {name},",
                "you removed the authenticator app from your account for the register of {school}: "
                "from now on verification codes come by SMS to the mobile the school has.",
                "If this was not you, tell the school office at once.",
            ],
        ),
    },
    "invitation": {
        "it": (
            "Invito ad attivare le credenziali del registro elettronico",
            [
                "Gentile {name},",
                "la scuola {school} ti invita ad attivare le credenziali del registro elettronico. "
                "Per scegliere la password apri questo link entro {hours} ore:",
                "{link}",
                "Per qualsiasi domanda rispondi a questa mail: arriva alla segreteria.",
            ],
        ),
        "en": (
            "Invitation to activate your school register credentials",
            [
                "Dear {name},",
                "{school} invites you to activate your school register credentials. To choose your "
                "password, open this link within {hours} hours:",
                "{link}",
                "For any question, reply to this e-mail: it reaches the school office.",
            ],
        ),
    },
    "activation_reminder": {
        "it": (
            "Promemoria: attiva le credenziali del registro elettronico",
            [
                "Gentile {name},",
                "il link per scegliere la password del registro di {school} scade tra circa {hours} "
                "ore. Se non l'hai ancora fatto, apri questo link:",
                "{link}",
                "Vale anche il link che hai ricevuto prima. Se le credenziali non ti servono, ignora "
                "questa mail.",
            ],
        ),
        "en": (
            "Reminder: activate your school register credentials",
            [
                "Dear {name},",
                "the link to choose your password for the register of {school} expires in about "
                "{hours} hours. If you have not done it yet, open this link:",
                "{link}",
                "The link you received before works too. If you do not need the credentials, ignore "
                "this e-mail.",
            ],
        ),
    },
    "change_confirmation": {
        "it": (
            "Conferma la modifica del tuo account del registro",
            [
                "Gentile {name},",
                "con la password del tuo account del registro di {school} è stato chiesto di "
                "{change_text}. Il tuo account non ha ancora un cellulare né un'app di "
                "autenticazione: per sicurezza la modifica va confermata da questo indirizzo, e "
                "sarà possibile {cool_off_hours} ore dopo la conferma.",
                "Per confermarla, o per annullarla se non l'hai chiesta tu, apri questo link entro "
                "{minutes} minuti:",
                "{link}",
                "Se non l'hai fatto tu, qualcuno conosce la tua password: cambiala subito con "
                "Password dimenticata.",
            ],
        ),
        "en": (
            "Confirm the change to your school register account",
            [
                "Dear {name},",
                "someone used the password of your account for the register of {school} to ask "
                "to {change_text_en}. Your account has no mobile and no authenticator app yet: "
                "for your safety the change must be confirmed from this address, and is possible "
                "{cool_off_hours} hours after you confirm it.",
                "To confirm it, or to cancel it if you did not ask for it, open this link within "
                "{minutes} minutes:",
                "{link}",
                "If this was not you, someone knows your password: change it now with Forgot password.",
            ],
        ),
    },
    "scheduled_change": {
        "it": (
            "Modifica del tuo account programmata",
            [
                "Gentile {name},",
                "hai confermato la richiesta di {change_text} per il tuo account del registro di "
                "{school}. Per sicurezza potrai completarla dal {when}, aprendo questo link:",
                "{link}",
                "Se non l'hai chiesta tu, apri lo stesso link e annullala subito: puoi farlo in "
                "ogni momento prima che sia completata. Poi cambia la password con Password "
                "dimenticata: {portal_url}/password-dimenticata?scuola={school_id}",
            ],
        ),
        "en": (
            "A change to your account is scheduled",
            [
                "Dear {name},",
                "you confirmed the request to {change_text_en} for your account for the register "
                "of {school}. For your safety you can complete it from {when_en}, by opening this "
                "link:",
                "{link}",
                "If you did not ask for it, open the same link and cancel it now: you can do so at "
                "any time before it is completed. Then change your password with Forgot password: "
                "{portal_url}/password-dimenticata?scuola={school_id}",
            ],
        ),
    },
    "change_cancelled": {
        "it": (
            "Modifica del tuo account annullata",
            [
                "Gentile {name},",
                "la richiesta di {change_text} per il tuo account del registro di {school} è "
                "stata annullata: non cambia nulla.",
                "Se non l'avevi chiesta tu, qualcuno conosce la tua password: cambiala subito con "
                "Password dimenticata e avvisa la segreteria.",
            ],
        ),
        "en": (
            "Change to your account cancelled",
            [
                "Dear {name},",
                "the request to {change_text_en} for your account for the register of {school} "
                "was cancelled: nothing changes.",
                "If you did not ask for it, someone knows your password: change it now with "
                "Forgot password, and tell the school office.",
            ],
        ),
    },
    "email_changed_by_school": {
        "it": (
            "La scuola ha cambiato l'indirizzo e-mail del tuo account",
            [
                "Gentile {name},",
                "con l'anagrafica di {school} l'indirizzo e-mail del tuo account del registro è "
                "diventato {email_hint}. Per sicurezza, per le prossime {hours} ore i link per "
                "ripristinare la password arrivano ancora qui.",
                "Se il nuovo indirizzo non è tuo, avvisa subito la segreteria della scuola.",
            ],
        ),
        "en": (
            "The school changed your account's e-mail address",
            [
                "Dear {name},",
                "with the records of {school}, the e-mail address of your register account became "
                "{email_hint}. For your safety, for the next {hours} hours password reset links "
                "still come here.",
                "If the new address is not yours, tell the school office at once.",
            ],
        ),
    },
    "activation_needs_mobile": {
        "it": (
            "Credenziali del registro: serve il tuo numero di cellulare",
            [
                "Gentile {name},",
                "la scuola {school} ha ricevuto la richiesta di credenziali per il registro "
                "elettronico. Per attivarle ti mandiamo un codice per SMS, ma la scuola non ha un tuo "
                "numero di cellulare.",
                "Comunica il tuo numero di cellulare alla segreteria della scuola. Poi chiedi di nuovo "
                "le credenziali: {portal_url}/?scuola={school_id}",
                "Se non hai chiesto tu le credenziali, ignora questa mail.",
            ],
        ),
        "en": (
            "School register credentials: your mobile number is needed",
            [
                "Dear {name},",
                "{school} received a request for school register credentials. To activate them we "
                "text you a code, but the school has no mobile number of yours.",
                "Give your mobile number to the school office. Then ask for your credentials again: "
                "{portal_url}/?scuola={school_id}",
                "If you did not ask for credentials, ignore this e-mail.",
            ],
        ),
    },
}

# Templates whose mail carries an attachment (chiave.notify.delivery draws it).
WITH_ATTACHMENT = frozenset({"activation_awaiting_identification"})

_SEPARATOR = "— English version below —"

# One SMS part: at most 160 characters of the GSM 7-bit alphabet. The last
# line binds the code to the portal's origin, so browsers and phones offer
# to fill it in (WebOTP; the page's field has autocomplete="one-time-code").
SMS_TEXTS = {
    "it": "Codice di verifica del registro: {code}. Vale {minutes} minuti. Non comunicarlo a nessuno.",
    "en": "School register verification code: {code}. Valid for {minutes} minutes. Do not share it.",
}
SMS_MAX_CHARACTERS = 160


def render_sms(notice: Notice) -> str:
    """The SMS of an `otp` notice, in the school's language; `params["code"]` set by notify."""
    values = notice.params
    body = SMS_TEXTS[notice.language].format_map(values)
    return f"{body}\n\n@{values['host']} #{values['code']}"


# What a factor change changes, as an e-mail says it (`hint`: the new contact, masked).
_CHANGE_TEXTS = {
    "email": ("sostituire l'indirizzo e-mail con {hint}", "replace the e-mail address with {hint}"),
    "mobile": ("impostare il numero di cellulare {hint}", "set the mobile number {hint}"),
    "app": ("attivare un'app di autenticazione", "enable an authenticator app"),
}


def _when(epoch: str, language: str) -> str:
    """A moment as a parent reads it: Italian time, day and hour."""
    moment = clock.rome(int(epoch))
    label = "" if moment.utcoffset() else " UTC"
    if language == "en" and not label:
        label = " (Italian time)"
    return moment.strftime("%d/%m/%Y alle %H:%M" if language == "it" else "%d/%m/%Y at %H:%M") + label


def _derived(params: dict[str, str]) -> dict[str, str]:
    values = {}
    if params.get("alphabet") and params.get("code"):
        # A temporary code as the operator's screen and the page write it: ABCDE-FGHJK.
        from chiave.credentials.temporary_codes import printable

        values["code"] = printable(params["code"])
    if params.get("change") in _CHANGE_TEXTS:
        italian, english = _CHANGE_TEXTS[params["change"]]
        values["change_text"] = italian.format(hint=params.get("hint", ""))
        values["change_text_en"] = english.format(hint=params.get("hint", ""))
    if params.get("usable_from"):
        values["when"] = _when(params["usable_from"], "it")
        values["when_en"] = _when(params["usable_from"], "en")
    return values


def _paragraphs(notice: Notice, language: str) -> tuple[str, list[str]]:
    subject, paragraphs = _TEXTS[notice.template][language]
    values = {
        **notice.params,
        **_derived(notice.params),
        "school": notice.school_name,
        "school_id": notice.school_id,
    }
    return subject, [paragraph.format_map(values) for paragraph in paragraphs]


def _html_paragraph(paragraph: str, link: str | None) -> str:
    if link and paragraph == link:
        escaped = html.escape(link)
        return f'<p><a href="{escaped}">{escaped}</a></p>'
    return f"<p>{html.escape(paragraph)}</p>"


def render(notice: Notice) -> Rendered:
    languages = ["en"] if notice.language == "en" else ["it", "en"]
    link = notice.params.get("link")
    subjects, text_blocks, html_blocks = [], [], []
    for language in languages:
        subject, paragraphs = _paragraphs(notice, language)
        subjects.append(subject)
        text_blocks.append("\n\n".join(paragraphs))
        html_blocks.append("".join(_html_paragraph(p, link) for p in paragraphs))
    text = f"\n\n{_SEPARATOR}\n\n".join(text_blocks)
    body_html = f"<hr><p><em>{html.escape(_SEPARATOR)}</em></p>".join(html_blocks)
    privacy = privacy_url(notice)
    if privacy:
        # Every e-mail names where its privacy notice is (GDPR art. 13).
        text += f"\n\n--\n{_PRIVACY_LABEL}: {privacy}"
        escaped = html.escape(privacy)
        body_html += f'<hr><p><small><a href="{escaped}">{html.escape(_PRIVACY_LABEL)}</a></small></p>'
    return Rendered(
        subject=subjects[0],
        text=text + "\n",
        html=f'<!doctype html><html lang="{languages[0]}"><body>{body_html}</body></html>',
    )


_PRIVACY_LABEL = "Informativa privacy (privacy notice)"


def privacy_url(notice: Notice) -> str | None:
    """The privacy notice of the pages the mail's school uses: its portal
    (as the notice names it, or its link's), else the deployment's."""
    base = notice.params.get("portal_url") or ""
    if not base and notice.link_base:
        parts = urlsplit(notice.link_base)
        base = f"{parts.scheme}://{parts.netloc}"
    base = base or portal_url()
    return f"{base.rstrip('/')}/privacy" if base else None


def mime_message(
    notice: Notice, rendered: Rendered, sender_address: str, attachments: tuple[Attachment, ...] = ()
) -> bytes:
    """A multipart/alternative message (multipart/mixed with its attachments):
    the school's name in From, its office in Reply-To, our verified domain as
    the sending address."""
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = formataddr((f"{notice.school_name} (Chiave)", sender_address))
    message["To"] = notice.to
    message["Reply-To"] = notice.reply_to
    message["Message-ID"] = make_msgid(idstring=notice.id, domain=sender_address.split("@")[-1])
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    for attachment in attachments:
        maintype, subtype = attachment.content_type.split("/")
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message.as_bytes()
