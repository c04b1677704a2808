"""A parent with a phone and no help: the pages, the local mailbox and the
SMS, in a real browser (Chromium), each state checked with axe-core."""

from __future__ import annotations

import base64
import re
import time
from urllib.parse import quote

import pyotp
import pytest
from playwright.sync_api import Page, expect

from chiave.credentials import tokens
from chiave.store import keys
from tests.browser.conftest import (
    PARENTS,
    PHONE,
    REGISTER_EXCHANGE_MS,
    SCHOOL,
    SHOTS,
    look,
    parent_email,
    parent_mobile,
)
from tests.pdf import pdf_text

PASSWORD = "Quaderno-Blu-42"


def sms_code(portal, index: int, at_least: int = 1) -> str:
    """The newest SMS code texted to parent `index`."""
    deadline = time.monotonic() + 15
    while True:
        texts = portal.request("GET", f"/_local/outbox?to={quote(parent_mobile(index))}").json["sms"]
        if len(texts) >= at_least or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    found = re.search(r"#(\d{6,8})$", texts[-1]["text"])
    assert found, texts
    return found.group(1)


def open_newest_link(page: Page, portal, index: int, at_least: int = 1) -> None:
    """In the local mailbox, click the link of the newest e-mail to parent `index`."""
    portal.emails_to(parent_email(index), at_least=at_least)
    page.goto("/_local/mailbox")
    # Words wrap whole; only an over-long address may break
    assert page.locator(".text").first.evaluate("e => getComputedStyle(e).wordBreak") != "break-all"
    # The newest mail that carries a link: a notice without one may have been sent after it.
    link = page.locator(".text a[href*='#token=']")
    mail = page.locator("article.mail", has_text=parent_email(index)).filter(has=link).first
    mail.locator(".text a[href*='#token=']").first.click()


def register(page: Page, index: int) -> None:
    page.goto(f"/?scuola={SCHOOL}")
    # Typed as a parent might: lower case, with spaces
    spaced = " ".join(PARENTS[index][i : i + 4] for i in range(0, 16, 4)).lower()
    page.get_by_label("Codice fiscale").fill(spaced)
    page.get_by_role("button", name="Registrati").click()
    expect(page.locator("#message")).to_contain_text("Controlla la posta")


def choose_password(page: Page, password: str = PASSWORD) -> str:
    page.get_by_label("Nuova password", exact=True).fill(password)
    expect(page.locator("#rules li[data-rule='min_length']")).to_have_attribute("data-met", "true")
    page.get_by_label("Ripeti password").fill(password)
    page.get_by_role("button", name="Salva la password").click()
    expect(page.locator("#user-code")).to_have_text(re.compile(r"^\d{9}$"))
    return page.locator("#user-code").inner_text()


def activate(page: Page, portal, index: int) -> str:
    """Parent `index` registers and activates in the browser; her user code."""
    register(page, index)
    open_newest_link(page, portal, index)
    page.get_by_role("button", name="Invia il codice").click()
    page.get_by_label("Codice ricevuto").fill(sms_code(portal, index))
    page.get_by_role("button", name="Verifica").click()
    return choose_password(page)


def test_a_parent_activates_from_the_mailbox_with_the_sms_code(page: Page, portal):
    # Given a parent of a default-policy school asks for credentials on the first page
    register(page, 0)
    look(page, "01-registrati-inviato")
    # When she opens the link from the mailbox
    open_newest_link(page, portal, 0)
    # Then the token leaves the address bar once read
    expect(page).to_have_url(re.compile(r"/attiva(\?[^#]*)?$"))
    # And the page says what the link is for, and asks for the SMS code first (rules: with the password)
    expect(page.locator("#purpose")).to_contain_text("attivi le credenziali")
    expect(page.locator("#otp-step")).to_be_visible()
    expect(page.locator("#rules-box")).to_be_hidden()
    look(page, "02-attiva-sms")
    page.get_by_role("button", name="Invia il codice").click()
    expect(page.locator("#otp-countdown")).to_contain_text("secondi")
    code_field = page.get_by_label("Codice ricevuto")
    assert code_field.get_attribute("autocomplete") == "one-time-code"
    assert (code_field.get_attribute("inputmode"), code_field.get_attribute("type")) == ("numeric", "text")
    code_field.fill(sms_code(portal, 0))
    page.get_by_role("button", name="Verifica").click()
    # And then the password with the school's rules, none marked failed before she types
    expect(page.locator("#password-step")).to_be_visible()
    expect(page.locator("#rules li[data-rule='min_length']")).to_contain_text("almeno 8 caratteri")
    assert not [text for text in page.locator("#rules li").all_inner_texts() if text.startswith("✗")]
    # And ticked live as she types
    page.get_by_label("Nuova password", exact=True).fill("abc")
    expect(page.locator("#rules li[data-rule='min_length']")).to_have_attribute("data-met", "false")
    look(page, "03-attiva-password")
    for field in ("#new-password", "#repeat-password"):
        assert page.locator(field).get_attribute("autocomplete") == "new-password"
    # And finally her user code, large, with a copy button; the confirmation carried the page's own key
    confirmations = []
    page.on(
        "request",
        lambda sent: (
            confirmations.append(sent.post_data_json)
            if sent.url.endswith("/password-resets/confirm")
            else None
        ),
    )
    user_code = choose_password(page)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,64}", confirmations[-1]["confirmation_key"])
    expect(page.get_by_role("button", name="Copia il codice")).to_be_visible()
    expect(page.locator("#username")).to_have_value(user_code)
    # And a next step: the school's register, as the school configured it, and the PIN page
    to_register = page.get_by_role("link", name="Entra nel registro")
    expect(to_register).to_have_attribute("href", "https://registro.icguicciardini.example")
    expect(page.locator("#to-pin")).to_have_attribute("href", re.compile(r"^/pin"))
    look(page, "04-attiva-fatto")


def test_a_reload_never_sends_another_sms(page: Page, portal):
    register(page, 1)
    open_newest_link(page, portal, 1)
    page.get_by_role("button", name="Invia il codice").click()
    sms_code(portal, 1)
    page.reload()
    expect(page.locator("#otp-step")).to_be_visible()
    # The resend waits out its cooldown, counted down from the flow status
    expect(page.get_by_role("button", name="Invia il codice")).to_be_disabled()
    time.sleep(1)
    texts = portal.request("GET", f"/_local/outbox?to={quote(parent_mobile(1))}").json["sms"]
    assert len(texts) == 1


def test_a_wrong_code_says_how_many_attempts_are_left(page: Page, portal):
    register(page, 2)
    open_newest_link(page, portal, 2)
    page.get_by_role("button", name="Invia il codice").click()
    right = sms_code(portal, 2)
    page.get_by_label("Codice ricevuto").fill(f"{(int(right) + 1) % 10**6:06d}")
    page.get_by_role("button", name="Verifica").click()
    expect(page.locator("#message")).to_contain_text("Tentativi rimasti")
    look(page, "05-codice-errato")


def test_a_reset_by_e_mail_link(page: Page, portal):
    # Given a parent with credentials
    activate(page, portal, 3)
    # When she forgets it and asks by e-mail address
    page.goto(f"/password-dimenticata?scuola={SCHOOL}")
    page.get_by_label("Codice fiscale, codice utente o e-mail").fill(parent_email(3))
    page.get_by_role("button", name="Invia il link").click()
    expect(page.locator("#message")).to_contain_text("Controlla la posta")
    look(page, "06-password-dimenticata")
    # Then the newest mail's link lets her choose a new password
    open_newest_link(page, portal, 3, at_least=3)
    expect(page).to_have_url(re.compile(r"/recupera(\?[^#]*)?$"))
    if page.locator("#otp-step").is_visible():
        page.get_by_role("button", name="Invia il codice").click()
        page.get_by_label("Codice ricevuto").fill(sms_code(portal, 3, at_least=2))
        page.get_by_role("button", name="Verifica").click()
    look(page, "07-recupera")
    choose_password(page, "Lavagna-Verde-77")


def _expire(portal, token: str) -> None:
    """As if the link's lifetime had passed (its flow's expires_at moved back)."""
    portal.aws("dynamodb").update_item(
        TableName=portal.resource("Table"),
        Key={name: {"S": value} for name, value in keys.flow(tokens.token_hash(token)).items()},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 60)}},
    )


def test_an_expired_link_offers_a_new_one(page: Page, portal):
    register(page, 4)
    portal.emails_to(parent_email(4), at_least=1)
    [mail] = portal.request("GET", f"/_local/outbox?to={quote(parent_email(4))}&last=1").json["emails"]
    _expire(portal, mail["token"])
    page.goto(f"/attiva#token={mail['token']}")
    expect(page.locator("#message")).to_contain_text("scadut")
    new_link = page.get_by_role("link", name="Chiedi un nuovo link")
    expect(new_link).to_be_visible()
    look(page, "08-link-scaduto")
    new_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrati")


def test_the_pin_page(page: Page, portal):
    # Given an active parent
    user_code = activate(page, portal, 5)
    # When she asks for the PIN with her user code and password
    page.goto(f"/pin?scuola={SCHOOL}")
    look(page, "09-pin")
    page.get_by_label("Codice utente o e-mail").fill(user_code)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Chiedi il PIN").click()
    if page.locator("#otp-step").is_visible():
        page.get_by_role("button", name="Invia il codice").click()
        page.get_by_label("Codice ricevuto").fill(sms_code(portal, 5, at_least=2))
        page.get_by_role("button", name="Verifica").click()
    # Then the PIN is shown once, or she is told it went by e-mail (per policy)
    shown = page.locator("#pin")
    expect(shown.or_(page.locator("#message .alert-success"))).to_be_visible()
    look(page, "10-pin-fatto")


def test_a_wrong_check_character_is_caught_in_the_page(page: Page, portal):
    page.goto(f"/?scuola={SCHOOL}")
    wrong = PARENTS[6][:15] + ("A" if PARENTS[6][15] != "A" else "B")
    page.get_by_label("Codice fiscale").fill(wrong)
    page.get_by_role("button", name="Registrati").click()
    expect(page.locator("#cf-error")).to_contain_text("non è valido")
    expect(page.get_by_label("Codice fiscale")).to_have_attribute("aria-invalid", "true")
    look(page, "11-codice-fiscale-errato")


def test_the_english_switch(page: Page, portal):
    page.goto(f"/?scuola={SCHOOL}")
    page.get_by_role("button", name="Read this page in English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # It is remembered on the next page, and the API answers in English too
    page.goto("/attiva#token=" + "x" * 43)
    expect(page.get_by_role("heading", level=1)).to_have_text("Activate your credentials")
    expect(page.locator("#message")).to_contain_text("link")
    look(page, "12-english")


def test_switching_language_says_again_what_is_on_screen_and_keeps_the_title(page: Page, portal):
    # Given a page that told the parent something, in Italian
    page.goto("/pin")
    page.evaluate("localStorage.setItem('chiave-language', 'it')")
    page.reload()
    page.get_by_label("Scuola: nome, comune o codice meccanografico").fill("nessuna scuola così")
    page.get_by_role("button", name="Chiedi il PIN").click()
    expect(page.locator("#message")).to_contain_text("Scegli la scuola dall'elenco")
    # When she switches to English
    page.get_by_role("button", name="Read this page in English").click()
    # Then the same sentence is said in English, and the tab's title keeps its suffix
    expect(page.locator("#message")).to_contain_text("Choose the school from the list")
    assert page.title() == "Register PIN · School register"
    # And a text written in both languages shows only the one chosen
    page.goto("/privacy")
    expect(page.locator("main div[lang='en']")).to_be_visible()
    expect(page.locator("main div[lang='it']")).to_be_hidden()
    # Given the API refused a user code (its check digit), in English
    page.goto(f"/pin?scuola={SCHOOL}")
    page.get_by_label("User code or e-mail").fill("123456789")
    page.get_by_label("Password", exact=True).fill("Sbagliata-1!")
    page.get_by_role("button", name="Ask for the PIN").click()
    expect(page.locator("#message")).to_contain_text(
        "The user code is not valid: check the digits you typed."
    )
    # When she switches back to Italian, the API's problem is said in Italian
    page.get_by_role("button", name="Leggi la pagina in italiano").click()
    expect(page.locator("#message")).to_contain_text("Il codice utente non è valido: controlla le cifre")


def test_every_static_page_passes_axe_and_sends_the_security_headers(page: Page, portal):
    for path, name in (
        ("/", "13-registrati"),
        ("/password-dimenticata", "14-password-dimenticata-vuota"),
        ("/pin", "15-pin-vuota"),
        ("/privacy", "16-privacy"),
        ("/accessibilita", "17-accessibilita"),
        ("/attiva", "18-attiva-senza-token"),
        ("/accedi", "34-accedi-senza-richiesta"),
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        headers = response.headers
        assert "default-src 'none'" in headers["content-security-policy"], path
        # No page, the sign-in's least of all, may be framed (clickjacking)
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["referrer-policy"] == "no-referrer" and "set-cookie" not in headers, path
        expect(page.get_by_role("link", name="Informativa privacy")).to_be_visible()
        look(page, name)


@pytest.mark.parametrize(
    "path",
    ["/", "/password-dimenticata", "/pin", "/attiva#token=" + "A" * 43, "/accedi?richiesta=" + "A" * 43],
)
def test_without_the_script_no_form_can_send_a_secret(browser, portal, path):
    # Given a browser that runs no script (blocked, or not yet loaded)
    context = browser.new_context(base_url=portal.base_url, java_script_enabled=False, **PHONE)
    page = context.new_page()
    try:
        page.goto(path)
        # Then every form posts, never puts its fields in the address, and is inert until the script runs
        forms = page.locator("form")
        assert forms.count() >= 1
        for index in range(forms.count()):
            form = forms.nth(index)
            assert form.get_attribute("method") == "post"
            assert form.locator("fieldset[disabled]").count() == 1
        for field in page.locator("form input").all():
            assert field.is_disabled()
        # And the page says why
        expect(page.locator("noscript")).to_have_count(1)
        before = page.url
        page.keyboard.press("Enter")
        page.wait_for_timeout(300)
        assert page.url == before
    finally:
        context.close()


def _email_only(portal, index: int) -> None:
    """Parent `index`'s account as one whose only contact is its e-mail (a
    school that activates without SMS): her mobile removed."""
    portal.aws("dynamodb").update_item(
        TableName=portal.resource("Table"),
        Key={name: {"S": value} for name, value in keys.person(SCHOOL, PARENTS[index]).items()},
        UpdateExpression="REMOVE mobile",
    )


def _change_links(portal, index: int) -> list[dict]:
    emails = portal.request("GET", f"/_local/outbox?to={quote(parent_email(index))}").json["emails"]
    return [mail for mail in emails if "/modifica#token=" in mail["text"]]


def _ask_with_the_password(portal, index: int, user_code: str, path: str, **change: str) -> None:
    """The change asked with her password alone; once its link is in her mailbox."""
    before = len(_change_links(portal, index))
    body = {"school": SCHOOL, "login": user_code, "password": PASSWORD, **change}
    asked = portal.post(f"/v1/{path}", body)
    assert (asked.status, asked.json["code"]) == (403, "email_confirmation_required"), asked.json
    deadline = time.monotonic() + 15
    while len(_change_links(portal, index)) <= before and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_first_app_without_a_second_factor_waits_the_cool_off_then_is_linked(page: Page, portal):
    # Given a parent whose only contact is her e-mail, who asked for an app with her password
    user_code = activate(page, portal, 11)
    _email_only(portal, 11)
    _ask_with_the_password(portal, 11, user_code, "totp/enrol")
    # When she opens the link in her mailbox and confirms
    open_newest_link(page, portal, 11)
    expect(page).to_have_url(re.compile(r"/modifica(\?[^#]*)?$"))
    expect(page.locator("#change-what")).to_contain_text("attivare un'app di autenticazione")
    look(page, "19-modifica-da-confermare")
    page.get_by_role("button", name="Sì, l'ho chiesta io: conferma").click()
    # Then she is told from when she can complete it, and by which mail
    expect(page.locator("#message")).to_contain_text("Potrai completare la modifica dal")
    look(page, "20-modifica-programmata")
    # When she opens the notice's link before the cool-off ends, she can only wait or cancel
    deadline = time.monotonic() + 15
    while len(_change_links(portal, 11)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    open_newest_link(page, portal, 11)
    expect(page.locator("#change-state")).to_contain_text("Torna a questo link")
    expect(page.get_by_role("button", name="Completa la modifica")).to_be_hidden()
    expect(page.get_by_role("button", name="Non l'ho chiesta io: annulla")).to_be_visible()
    look(page, "21-modifica-in-attesa")
    # When she opens it after the cool-off and completes it with her app's first code
    [notice] = portal.request("GET", f"/_local/outbox?to={quote(parent_email(11))}&last=1").json["emails"]
    portal.aws("dynamodb").update_item(
        TableName=portal.resource("Table"),
        Key={name: {"S": value} for name, value in keys.flow(tokens.token_hash(notice["token"])).items()},
        UpdateExpression="SET usable_from = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
    )
    page.goto("/_local/mailbox")  # a new load: a change of the fragment alone reloads nothing
    page.goto(f"/modifica#token={notice['token']}")
    page.get_by_role("button", name="Completa la modifica").click()
    expect(page.locator("#app-secret")).to_have_text(re.compile(r"^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$"))
    secret = page.locator("#app-secret").inner_text().replace(" ", "")
    expect(page.get_by_role("button", name="Non l'ho chiesta io: annulla")).to_be_hidden()
    look(page, "22-modifica-app")
    page.get_by_label("Codice mostrato dall'app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Verifica").click()
    # Then the app is hers
    expect(page.locator("#message")).to_contain_text("l'app di autenticazione è attiva")


def test_a_change_she_did_not_ask_for_is_cancelled_from_the_link(page: Page, portal):
    # Given someone with her password asked to move her account to their mobile
    user_code = activate(page, portal, 10)
    _email_only(portal, 10)
    _ask_with_the_password(portal, 10, user_code, "contacts/mobile", mobile="+393409999999")
    # When she opens the link and cancels
    open_newest_link(page, portal, 10)
    expect(page.locator("#change-what")).to_contain_text("impostare il numero di cellulare")
    page.get_by_role("button", name="Non l'ho chiesta io: annulla").click()
    # Then nothing changes, and her next step is a new password
    expect(page.locator("#message")).to_contain_text("Modifica annullata")
    expect(page.get_by_role("link", name="Cambia la password")).to_be_visible()
    look(page, "23-modifica-annullata")


def _temporary_code_issued(portal, index: int) -> dict:
    """The school office issues parent `index` a temporary code (e-mailed to her): the ops answer."""
    event = {
        "action": "issue_temporary_code",
        "operator": "segreteria@example.it",
        "school": SCHOOL,
        "codice_fiscale": PARENTS[index],
        "reason": "Primo accesso chiesto allo sportello",
    }
    issued = portal.post("/_local/invoke/OpsFunction", event).json
    assert issued["ok"], issued
    return issued


def test_a_temporary_code_from_the_office_leads_to_the_password_and_the_user_code(page: Page, portal):
    # Given the school office issued parent 9 a temporary code by e-mail
    issued = _temporary_code_issued(portal, 9)
    [mail] = portal.emails_to(parent_email(9), at_least=1)
    # Then the e-mail writes it as the operator's screen does, and links the page it names
    code = re.search(r"[A-Z2-9]{5}-[A-Z2-9]{5}", mail["text"]).group(0)
    link = re.search(r"https?://\S+/codice-temporaneo\?scuola=" + SCHOOL, mail["text"]).group(0)
    # When she opens it and types her e-mail, the code without the dash, and a password
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hai un codice temporaneo?")
    look(page, "24-codice-temporaneo")
    page.get_by_label("Codice utente, e-mail o codice fiscale").fill(parent_email(9))
    page.get_by_label("Codice temporaneo (per esempio ABCDE-FGHJK)").fill(code.replace("-", "").lower())
    page.get_by_label("Nuova password", exact=True).fill(PASSWORD)
    page.get_by_label("Ripeti password").fill(PASSWORD)
    page.get_by_role("button", name="Salva la password").click()
    # Then her user code is shown, with the next step
    expect(page.locator("#user-code")).to_have_text(issued["user_code"])
    expect(page.get_by_role("link", name="PIN per il registro").first).to_be_visible()
    look(page, "25-codice-temporaneo-fatto")


def test_at_a_school_that_identifies_in_person_the_last_screen_prints_the_adhesion_form(page: Page, portal):
    # Given the school identifies its parents in person (Istanze OnLine)
    event = {"operator": "ops@example.it", "school": SCHOOL, "reason": "Identificazione allo sportello"}
    configure = {**event, "action": "configure"}
    assert portal.post(
        "/_local/invoke/ConfigureSchoolFunction", {**configure, "policy": {"in_person_identification": True}}
    ).json["ok"]
    try:
        # When parent 12 activates her credentials
        user_code = activate(page, portal, 12)
        # Then the last screen asks her to print the form, not to enter the register yet
        expect(
            page.get_by_role("heading", name="Ultimo passo: fatti identificare in segreteria")
        ).to_be_visible()
        expect(page.get_by_role("link", name="Entra nel registro")).to_be_hidden()
        expect(page.locator("#to-pin")).to_be_hidden()
        # And the form holds her school, her name and codice fiscale, the user code, the date
        form = page.locator("#adhesion-form")
        expect(form.locator("#form-school")).to_have_text("Istituto Comprensivo Via Guicciardini 8")
        expect(form.locator("#form-reference")).to_have_text(f"ADE-{SCHOOL}-{user_code}")
        expect(form.locator("#form-codice-fiscale")).to_have_text(PARENTS[12])
        expect(form.locator("#form-name")).to_have_text("Numero12")
        expect(form.locator("#form-user-code")).to_have_text(user_code)
        expect(form.locator("#form-date")).to_have_text(time.strftime("%d/%m/%Y"))
        look(page, "29-attiva-modulo-adesione")
        # And the print button prints it: on paper only the form is seen
        page.evaluate("window.print = () => { window.printed = true; }")
        page.get_by_role("button", name="Stampa il modulo o salvalo in PDF").click()
        assert page.evaluate("window.printed") is True
        page.emulate_media(media="print")
        expect(form).to_be_visible()
        expect(page.locator("#user-code")).not_to_be_visible()
        assert page.locator("header").first.evaluate("e => getComputedStyle(e).visibility") == "hidden"
        page.screenshot(path=str(SHOTS / "30-modulo-adesione-stampa.png"), full_page=True)
        page.emulate_media(media="screen")
        # And the confirmation e-mail carries the same form as a PDF
        mails = portal.emails_to(parent_email(12), at_least=2)
        [attachment] = mails[-1]["attachments"]
        assert attachment["filename"] == f"modulo-adesione-ADE-{SCHOOL}-{user_code}.pdf"
        assert PARENTS[12] in pdf_text(base64.b64decode(attachment["base64"]))
    finally:
        assert portal.post(
            "/_local/invoke/ConfigureSchoolFunction",
            {**configure, "policy": {"in_person_identification": None}},
        ).json["ok"]


def test_the_school_is_named_found_by_name_and_its_privacy_contacts_shown(page: Page, portal):
    # Given a page opened with the school's code
    page.goto(f"/pin?scuola={SCHOOL}")
    # Then the page names the school as configured, and the footer keeps it
    expect(page.locator("#school-name")).to_have_text("Istituto Comprensivo Via Guicciardini 8")
    expect(page.locator("#school-where")).to_have_text(f"Roma · {SCHOOL}")
    expect(page.get_by_role("link", name="Password dimenticata?")).to_have_attribute(
        "href", re.compile(f"/password-dimenticata\\?scuola={SCHOOL}$")
    )
    look(page, "26-scuola-nominata")
    # And the privacy notice names its controller and DPO
    page.goto(f"/privacy?scuola={SCHOOL}")
    expect(page.locator("#privacy-school")).to_contain_text("Responsabile della protezione dei dati".lower())
    expect(page.locator("#privacy-school a").last).to_have_attribute(
        "href", "mailto:dpo@icguicciardini.example"
    )
    look(page, "27-privacy-scuola")
    # And the accessibility statement follows AgID's model, its feedback going to the school
    page.goto(f"/accessibilita?scuola={SCHOOL}")
    for heading in ("Stato di conformità", "Meccanismo di feedback", "Procedura di attuazione"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.locator("#feedback-school a")).to_have_attribute("href", "mailto:rmic817009@istruzione.it")
    # When a parent who does not know the code types the school's name on a fresh device
    page.evaluate("localStorage.clear()")
    page.goto("/password-dimenticata")
    # (the portal's two schools listed, this one by its name)
    expect(page.locator("#school-list option")).to_have_count(2)
    labels = [option.get_attribute("label") or "" for option in page.locator("#school-list option").all()]
    assert any("Guicciardini" in label for label in labels), labels
    page.get_by_label("Scuola: nome, comune o codice meccanografico").fill("guicciardini")
    page.get_by_label("Codice fiscale, codice utente o e-mail").fill(parent_email(8))
    page.get_by_role("button", name="Invia il link").click()
    # Then that school is the one asked, and the page names it from then on
    expect(page.locator("#message")).to_contain_text("Controlla la posta")
    expect(page.get_by_label("Scuola: nome, comune o codice meccanografico")).to_have_value(SCHOOL)


def test_a_closed_school_s_pages_say_so_and_send_nothing(page: Page, portal):
    event = {
        "operator": "ops@example.it",
        "school": SCHOOL,
        "reason": "Prova di chiusura del servizio",
    }
    assert portal.post("/_local/invoke/ConfigureSchoolFunction", {**event, "action": "disable"}).json["ok"]
    try:
        page.goto(f"/?scuola={SCHOOL}")
        expect(page.locator("#message")).to_contain_text("è chiuso")
        expect(page.get_by_label("Codice fiscale")).to_be_disabled()
        look(page, "28-scuola-chiusa")
    finally:
        assert portal.post("/_local/invoke/ConfigureSchoolFunction", {**event, "action": "enable"}).json["ok"]


def test_a_button_that_calls_the_api_cannot_be_pressed_twice_and_a_new_link_starts_over(page: Page, portal):
    # Given the PIN page filled in
    page.goto(f"/pin?scuola={SCHOOL}")
    page.get_by_label("Codice utente o e-mail").fill("123456789")
    page.get_by_label("Password", exact=True).fill("Sbagliata-1!")
    # When she presses the button, it waits for the answer, and says so
    pressed = page.evaluate(
        """() => {
            const button = document.querySelector("#pin-form button[type=submit]");
            button.click();
            return [button.disabled, button.getAttribute("aria-busy")];
        }"""
    )
    assert pressed == [True, "true"]
    # And it is back once the answer came
    expect(page.locator("#message .alert")).to_be_visible()
    expect(page.get_by_role("button", name="Chiedi il PIN")).to_be_enabled()
    # When another link is opened in the same tab, the page starts from that link
    page.goto("/attiva#token=" + "A" * 43)
    expect(page.locator("#message")).to_contain_text("non è valido")
    page.evaluate("location.hash = 'token=' + 'B'.repeat(43)")
    expect(page).to_have_url(re.compile(r"/attiva$"))
    reloaded = page.evaluate("performance.getEntriesByType('navigation')[0].type")
    assert reloaded == "reload"


# ---- the sign-in for a register (OpenID Connect) ----------------------------------------

CALLBACK = "https://registro.icguicciardini.example/oidc/callback"


def _register_client(portal) -> None:
    event = {
        "operator": "ops@example.it",
        "reason": "Registro elettronico di prova",
        "client": "registro-demo",
        "name": "Registro elettronico dimostrativo",
        "schools": [SCHOOL],
        "redirect_uris": [CALLBACK],
        "scopes": ["openid", "profile"],
    }
    assert portal.post("/_local/invoke/ConfigureClientFunction", event).json["ok"]


def _authorize_url(**extra: str) -> str:
    from urllib.parse import urlencode

    params = {
        "response_type": "code",
        "client_id": "registro-demo",
        "redirect_uri": CALLBACK,
        "scope": "openid profile",
        "state": "stato-del-registro",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        **extra,
    }
    return "/oidc/authorize?" + urlencode(params)


def _the_register_receives(page: Page) -> list[str]:
    """The register's callback, answered here (the network is closed): the URLs it got."""
    received: list[str] = []

    def answer(route) -> None:
        received.append(route.request.url)
        route.fulfill(
            status=200, content_type="text/html", body="<!doctype html><title>Registro</title><p>ok"
        )

    page.route("https://registro.icguicciardini.example/**", answer)
    return received


def test_a_parent_signs_in_to_the_register_from_its_link(page: Page, portal):
    # Given a register's client, and parent 7 with her credentials
    _register_client(portal)
    user_code = activate(page, portal, 7)
    received = _the_register_receives(page)
    # When the register sends her to sign in
    page.goto(_authorize_url())
    # Then the sign-in page names the school, asks for the login and password, and offers a way back
    expect(page).to_have_url(re.compile(r"/accedi\?richiesta=[A-Za-z0-9_-]{43}&scuola=" + SCHOOL))
    expect(page.get_by_role("heading", level=1)).to_have_text("Entra nel registro")
    expect(page.locator("#school-name")).to_have_text("Istituto Comprensivo Via Guicciardini 8")
    expect(page.get_by_role("link", name="Password dimenticata?").first).to_be_visible()
    look(page, "31-accedi")
    # When she types a wrong password, she is told so and may try again
    page.get_by_label("Codice utente o e-mail").fill(user_code)
    page.get_by_label("Password", exact=True).fill("Sbagliata-1!")
    page.get_by_role("button", name="Entra").click()
    expect(page.locator("#message")).to_contain_text("non corretti")
    look(page, "32-accedi-errore")
    # When she types the right one, she is back at the register with a code and its state
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Entra").click()
    page.wait_for_url(re.compile(r"^https://registro\.icguicciardini\.example/"))
    assert received and "code=" in received[-1] and "state=stato-del-registro" in received[-1]


def test_a_school_that_asks_a_second_factor_signs_in_with_the_sms_code(page: Page, portal):
    _register_client(portal)
    user_code = activate(page, portal, 8)
    event = {"operator": "ops@example.it", "school": SCHOOL, "reason": "Secondo fattore all'accesso"}
    configure = {**event, "action": "configure"}
    invoke = "/_local/invoke/ConfigureSchoolFunction"
    assert portal.post(invoke, {**configure, "policy": {"sign_in_second_factor": True}}).json["ok"]
    try:
        received = _the_register_receives(page)
        page.goto(_authorize_url())
        page.get_by_label("Codice utente o e-mail").fill(user_code)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Entra").click()
        # Then the SMS step, to the mobile on file
        expect(page.locator("#otp-step")).to_be_visible()
        look(page, "33-accedi-sms")
        texts = len(portal.request("GET", f"/_local/outbox?to={quote(parent_mobile(8))}").json["sms"])
        page.get_by_role("button", name="Invia il codice").click()
        page.get_by_label("Codice ricevuto").fill(sms_code(portal, 8, at_least=texts + 1))
        page.get_by_role("button", name="Verifica").click()
        page.wait_for_url(re.compile(r"^https://registro\.icguicciardini\.example/"))
        assert "code=" in received[-1]
    finally:
        assert portal.post(invoke, {**configure, "policy": {"sign_in_second_factor": None}}).json["ok"]


# ---- the demo register: openid-client as the relying party ------------------------------


def _claims(page: Page, section: str) -> dict[str, str]:
    """What the demo register shows it received: the ID token's claims or userinfo's."""
    listing = page.locator("h2", has_text=section).locator("xpath=following-sibling::dl[1]")
    names = listing.locator("dt").all_inner_texts()
    return dict(zip(names, listing.locator("dd").all_inner_texts(), strict=True))


@pytest.mark.parametrize(
    ("index", "second_factor"), [(13, False), (14, True)], ids=["no-second-factor", "sms-code"]
)
def test_the_demo_register_signs_a_parent_in_refreshes_and_signs_out(
    page: Page, portal, index: int, second_factor: bool
):
    # Given parent `index` with her credentials, at a school that asks a second factor or not
    user_code = activate(page, portal, index)
    configure = {"operator": "ops@example.it", "school": SCHOOL, "reason": "Accesso", "action": "configure"}
    policy = {"sign_in_second_factor": True if second_factor else None}
    assert portal.post("/_local/invoke/ConfigureSchoolFunction", {**configure, "policy": policy}).json["ok"]
    try:
        # When the register (openid-client: discovery, PKCE, state, nonce) sends her to Chiave
        page.goto("/_local/registro/")
        look(page, "35-registro-entra")
        page.get_by_role("button", name="Entra").click()
        expect(page).to_have_url(re.compile(r"/accedi\?richiesta="))
        page.get_by_label("Codice utente o e-mail").fill(user_code)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Entra").click()
        if second_factor:
            texts = len(portal.request("GET", f"/_local/outbox?to={quote(parent_mobile(index))}").json["sms"])
            page.get_by_role("button", name="Invia il codice").click()
            page.get_by_label("Codice ricevuto").fill(sms_code(portal, index, at_least=texts + 1))
            page.get_by_role("button", name="Verifica").click()
        # Then the register exchanged the code and openid-client validated the ID token
        # (signature from the JWKS, iss, aud, nonce, exp) and read userinfo for the same subject
        expect(page.locator("#signed-in")).to_be_visible(timeout=REGISTER_EXCHANGE_MS)
        look(page, "36-registro-dentro")
        claims, userinfo = _claims(page, "ID token"), _claims(page, "Userinfo")
        assert claims["iss"] == f"{portal.base_url}/oidc"
        assert claims["aud"] == "registro-locale"
        expected_acr = "urn:chiave:acr:password-otp" if second_factor else "urn:chiave:acr:password"
        assert claims["acr"] == expected_acr
        assert ("sms" in claims["amr"]) is second_factor
        assert userinfo["sub"] == claims["sub"] and userinfo["given_name"] == f"Numero{index}"
        assert PARENTS[index] not in page.content()  # never the codice fiscale (no scope for it)
        # When the register refreshes its tokens, they rotate and the new access token reads userinfo
        page.get_by_role("button", name="Rinnova i token").click()
        expect(page.locator("#refreshes")).to_have_text("1")
        assert _claims(page, "Userinfo")["sub"] == claims["sub"]
        # When she signs out at the register, Chiave ends its session and sends her back
        page.get_by_role("button", name="Esci").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Entra nel registro")
        expect(page).to_have_url(f"{portal.base_url}/_local/registro/")
        # Then a new sign-in asks for her password again
        page.get_by_role("button", name="Entra").click()
        expect(page).to_have_url(re.compile(r"/accedi\?richiesta="))
    finally:
        reset = {**configure, "policy": {"sign_in_second_factor": None}}
        assert portal.post("/_local/invoke/ConfigureSchoolFunction", reset).json["ok"]


def test_a_temporary_code_from_the_register_s_sign_in_leads_back_to_the_register(page: Page, portal):
    # Given parent 15 with a temporary code from the office (she never activated)
    issued = _temporary_code_issued(portal, 15)
    [mail] = portal.emails_to(parent_email(15), at_least=1)
    code = re.search(r"[A-Z2-9]{5}-[A-Z2-9]{5}", mail["text"]).group(0)
    # When the register sends her to sign in, and she follows "Hai un codice temporaneo?"
    page.goto("/_local/registro/")
    page.get_by_role("button", name="Entra").click()
    expect(page).to_have_url(re.compile(r"/accedi\?richiesta="))
    page.get_by_role("link", name="Hai un codice temporaneo della segreteria?").click()
    expect(page).to_have_url(re.compile(r"/codice-temporaneo\?richiesta="))
    look(page, "42-codice-temporaneo-dal-registro")
    page.get_by_label("Codice utente, e-mail o codice fiscale").fill(issued["user_code"])
    page.get_by_label("Codice temporaneo (per esempio ABCDE-FGHJK)").fill(code)
    page.get_by_label("Nuova password", exact=True).fill(PASSWORD)
    page.get_by_label("Ripeti password").fill(PASSWORD)
    page.get_by_role("button", name="Salva la password").click()
    # Then, her password changed as the office's code demands, she is back at the register, signed in
    expect(page.locator("#signed-in")).to_be_visible(timeout=REGISTER_EXCHANGE_MS)
    claims = _claims(page, "ID token")
    assert claims["acr"] == "urn:chiave:acr:password" and claims["aud"] == "registro-locale"


def test_a_reset_asked_at_the_register_s_sign_in_leads_back_to_the_register(page: Page, portal):
    # Given parent 16 with her credentials, who forgot her password
    activate(page, portal, 16)
    # (both activation mails in: the link, then the user code; else the reset's "newest" could be the first)
    sent_before = len(portal.emails_to(parent_email(16), at_least=2))
    # When the register sends her to sign in and she follows "Password dimenticata?"
    page.goto("/_local/registro/")
    page.get_by_role("button", name="Entra").click()
    expect(page).to_have_url(re.compile(r"/accedi\?richiesta="))
    page.locator("#sign-in-forgot").click()
    expect(page).to_have_url(re.compile(r"/password-dimenticata\?richiesta="))
    page.get_by_label("Codice fiscale, codice utente o e-mail").fill(parent_email(16))
    page.get_by_role("button", name="Invia il link").click()
    expect(page.locator("#message")).to_contain_text("Controlla la posta")
    # And sets a new password from the e-mailed link
    open_newest_link(page, portal, 16, at_least=sent_before + 1)
    page.get_by_label("Nuova password", exact=True).fill("Lavagna-Verde-77")
    page.get_by_label("Ripeti password").fill("Lavagna-Verde-77")
    page.get_by_role("button", name="Salva la password").click()
    # Then she is back at the register, signed in with her new password
    expect(page.locator("#signed-in")).to_be_visible(timeout=REGISTER_EXCHANGE_MS)
    assert _claims(page, "ID token")["acr"] == "urn:chiave:acr:password"


def test_a_register_that_names_no_school_lets_the_parent_choose_never_a_guess(page: Page, portal):
    # Given a device that remembers a school (the parent used the pages for it before)
    page.goto(f"/?scuola={SCHOOL}")
    page.evaluate(f"localStorage.setItem('chiave-school', '{SCHOOL}')")
    # When a register serving several schools names none
    page.goto("/accedi?richiesta=" + "A" * 43)
    # Then the sign-in asks which school, and names none on its own
    expect(page.get_by_label("Scuola: nome, comune o codice meccanografico")).to_have_value("")
    expect(page.locator("#school-bar")).to_be_hidden()
