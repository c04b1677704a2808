"""The account area (/profilo) as a parent meets it on a phone, and the
sign-in's ends reaching the registers: each change refused without a fresh
sign-in and made after one; "Esci da tutti i dispositivi" and the office's
erase reaching the demo register (openid-client); a parent of two schools
choosing on the sign-in page."""

from __future__ import annotations

import re
import time
from urllib.parse import quote

import pyotp
from playwright.sync_api import Page, expect

from chiave.credentials import tokens
from chiave.steps.session import FRESH_S
from chiave.store import keys
from tests.browser.conftest import (
    PARENTS,
    REGISTER_EXCHANGE_MS,
    SCHOOL,
    SECOND_SCHOOL,
    demo_register_serving,
    look,
    parent_mobile,
)
from tests.browser.test_pages import PASSWORD, _claims, activate, sms_code

NEW_PASSWORD = "Lavagna-Verde-77"

# A back-channel logout goes through the logout queue: a moment, on a busy machine a few.
TOLD_MS = 20_000


def _texts(portal, number: str) -> int:
    return len(portal.request("GET", f"/_local/outbox?to={quote(number)}").json["sms"])


def _sms_code(portal, number: str, at_least: int) -> str:
    deadline = time.monotonic() + 15
    while True:
        texts = portal.request("GET", f"/_local/outbox?to={quote(number)}").json["sms"]
        if len(texts) >= at_least or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    return re.search(r"#(\d{6,8})$", texts[-1]["text"]).group(1)


def _sign_in_here(page: Page, login: str, password: str = PASSWORD) -> None:
    expect(page).to_have_url(re.compile(r"/accedi\?richiesta="))
    page.get_by_label("Codice utente o e-mail").fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Entra").click()


def _into_the_account_area(page: Page, login: str) -> None:
    """From /profilo, signed out: Entra, the sign-in page, and back."""
    page.goto("/profilo")
    expect(page.locator("#profile-signed-out")).to_be_visible()
    page.locator("#profile-sign-in").click()
    _sign_in_here(page, login)
    expect(page).to_have_url(re.compile(r"/profilo$"))
    expect(page.locator("#profile")).to_be_visible()


def _signed_in_ago(page: Page, portal, seconds: int) -> None:
    """As if this browser's session had signed in `seconds` ago."""
    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == "__Host-chiave-session")
    portal.aws("dynamodb").update_item(
        TableName=portal.resource("Table"),
        Key={name: {"S": value} for name, value in keys.session(tokens.token_hash(cookie)).items()},
        UpdateExpression="SET auth_time = :then",
        ExpressionAttributeValues={":then": {"N": str(int(time.time()) - seconds)}},
    )


def _sms_step(page: Page, portal, number: str) -> None:
    """The step-up's code, texted to `number` when she asks for it."""
    expect(page.locator("#otp-step")).to_be_visible()
    before = _texts(portal, number)
    page.get_by_role("button", name="Invia il codice").click()
    page.get_by_label("Codice ricevuto").fill(_sms_code(portal, number, before + 1))
    page.get_by_role("button", name="Verifica").click()


def test_each_change_asks_a_fresh_sign_in_when_due_and_is_made_after_one(page: Page, portal):
    # Given parent 17 with her credentials, in the account area (its own sign-in)
    user_code = activate(page, portal, 17)
    page.goto("/profilo")
    look(page, "45-profilo-non-entrato")
    _into_the_account_area(page, user_code)
    expect(page.locator("#profile-name")).to_have_text("Numero17 Genitore")
    expect(page.locator("#profile-confirm")).to_be_hidden()
    expect(page.locator("#devices")).to_contain_text("Questo dispositivo")
    look(page, "46-profilo")
    # When her sign-in is older than the account area allows
    _signed_in_ago(page, portal, FRESH_S + 60)
    page.reload()
    expect(page.locator("#profile-confirm")).to_be_visible()
    attempts = {
        "password": lambda: (
            page.get_by_label("Nuova password", exact=True).fill(NEW_PASSWORD),
            page.get_by_label("Ripeti password").fill(NEW_PASSWORD),
            page.get_by_role("button", name="Cambia la password").click(),
        ),
        "e-mail": lambda: (
            page.get_by_label("Nuovo indirizzo e-mail").fill("nuova17@example.it"),
            page.get_by_role("button", name="Cambia l'e-mail").click(),
        ),
        "mobile": lambda: (
            page.get_by_label("Nuovo numero di cellulare").fill("3471117017"),
            page.get_by_role("button", name="Cambia il cellulare").click(),
        ),
        "app": lambda: page.get_by_role("button", name="Collega un'app di autenticazione").click(),
        "PIN": lambda: page.get_by_role("button", name="Chiedi un nuovo PIN").click(),
    }
    # Then every change is refused, saying to confirm it is her first, with the button to do so
    for name, attempt in attempts.items():
        page.evaluate("document.querySelector('#message').replaceChildren()")
        attempt()
        expect(page.locator("#message"), name).to_contain_text("conferma prima che sei tu")
        expect(page.locator("#message").get_by_role("link", name="Conferma che sei tu")).to_be_visible()
    look(page, "47-profilo-conferma")
    # When she confirms (the sign-in again, her password under its lockout) and comes back
    page.locator("#profile-confirm").click()
    _sign_in_here(page, user_code)
    expect(page).to_have_url(re.compile(r"/profilo$"))
    expect(page.locator("#profile-confirm")).to_be_hidden()
    # Then a new PIN is shown once, and a new password is set
    page.get_by_role("button", name="Chiedi un nuovo PIN").click()
    if page.locator("#otp-step").is_visible():  # a school that asks the SMS code for a PIN
        _sms_step(page, portal, parent_mobile(17))
    expect(page.locator("#pin")).to_have_text(re.compile(r"^\d{5,8}$"))
    page.get_by_label("Nuova password", exact=True).fill("password")
    page.get_by_label("Ripeti password").fill("password")
    page.get_by_role("button", name="Cambia la password").click()
    expect(page.locator("#rules")).not_to_be_empty()
    attempts["password"]()
    expect(page.locator("#message")).to_contain_text("Password cambiata")
    look(page, "48-profilo-password")
    # And the register's sign-in takes the new password
    page.goto("/_local/registro/")
    page.get_by_role("button", name="Entra").click()
    expect(page.locator("#signed-in")).to_be_visible(timeout=REGISTER_EXCHANGE_MS)  # the session, at once


def test_contacts_and_the_app_change_through_their_factor(page: Page, portal):
    # Given parent 18 in the account area, just signed in
    user_code = activate(page, portal, 18)
    _into_the_account_area(page, user_code)
    # When she changes her e-mail: her mobile's code first, then a link to the new address
    page.get_by_label("Nuovo indirizzo e-mail").fill("nuova18@example.it")
    page.get_by_role("button", name="Cambia l'e-mail").click()
    _sms_step(page, portal, parent_mobile(18))
    expect(page.locator("#message")).to_contain_text("apri il suo link")
    assert portal.emails_to("nuova18@example.it", at_least=1)
    # When she changes her mobile: her mobile's code, then the new number's
    new_mobile = "+393471118018"
    page.get_by_label("Nuovo numero di cellulare").fill(new_mobile)
    page.get_by_role("button", name="Cambia il cellulare").click()
    _sms_step(page, portal, parent_mobile(18))
    expect(page.locator("#message")).to_contain_text("al nuovo numero")
    page.get_by_label("Codice ricevuto").fill(_sms_code(portal, new_mobile, 1))
    page.get_by_role("button", name="Verifica").click()
    expect(page.locator("#message")).to_contain_text("il tuo numero di cellulare è ora")
    # When she links an authenticator app: the new mobile's code, then the app's first code
    page.get_by_role("button", name="Collega un'app di autenticazione").click()
    _sms_step(page, portal, new_mobile)
    expect(page.locator("#app-step")).to_be_visible()
    look(page, "49-profilo-app")
    app = pyotp.TOTP(page.locator("#app-secret").inner_text().replace(" ", ""))
    page.get_by_label("Codice mostrato dall'app").last.fill(app.now())
    page.locator("#app-form").get_by_role("button", name="Verifica").click()
    expect(page.locator("#message")).to_contain_text("l'app di autenticazione è attiva")
    # Then the account area says so, and removing it asks a code from that app
    page.reload()
    expect(page.locator("#profile-app")).to_contain_text("Collegata")
    page.get_by_role("button", name="Togli l'app di autenticazione").click()
    expect(page.locator("#otp-step")).to_be_visible()
    page.locator("#otp-code").fill(app.at(time.time() + 30))  # the step after the enrolment's
    page.locator("#otp-form").get_by_role("button", name="Verifica").click()
    expect(page.locator("#message")).to_contain_text("App tolta")
    expect(page.locator("#profile-app")).to_contain_text("Nessuna")
    events = page.locator("#events")
    page.reload()
    for said in ("hai chiesto di cambiare l'e-mail", "il cellulare è cambiato", "hai tolto l'app"):
        expect(events).to_contain_text(said)
    look(page, "50-profilo-eventi")


def test_signing_out_everywhere_reaches_the_demo_register(page: Page, portal):
    # Given parent 19 signed in at the demo register (openid-client)
    user_code = activate(page, portal, 19)
    page.goto("/_local/registro/")
    page.get_by_role("button", name="Entra").click()
    _sign_in_here(page, user_code)
    expect(page.locator("#signed-in")).to_be_visible(timeout=REGISTER_EXCHANGE_MS)
    # When, in the account area (the same session), she signs out of every device
    page.goto("/profilo")
    expect(page.locator("#devices")).to_contain_text("Registro elettronico dimostrativo")
    page.get_by_role("button", name="Esci da tutti i dispositivi").click()
    expect(page.locator("#message")).to_contain_text("Sei uscito da tutti i dispositivi")
    expect(page.locator("#profile-signed-out")).to_be_visible()
    look(page, "51-profilo-uscito")
    # Then the register was told (back-channel logout): its own session ended too
    expect(_told_by_chiave(page)).to_be_visible(timeout=TOLD_MS)
    look(page, "52-registro-avvisato")


def _told_by_chiave(page: Page):
    """The demo register's page, reloaded until it says Chiave told it of the logout."""
    deadline = time.monotonic() + TOLD_MS / 1000
    while time.monotonic() < deadline:
        page.goto("/_local/registro/")
        if page.locator("#logged-out").count():
            break
        time.sleep(0.5)
    return page.locator("#logged-out")


def test_the_office_s_erase_ends_a_live_session_and_refresh_family(page: Page, portal):
    # Given parent 20 at the demo register, its refresh token in hand, and a register that is
    # not told (so what ends its tokens is the erase itself, not the logout)
    user_code = activate(page, portal, 20)
    invoke = "/_local/invoke/ConfigureClientFunction"
    client = {"operator": "ops@example.it", "client": "registro-locale", "reason": "Prova"}
    uri = f"{portal.base_url}/_local/registro/backchannel-logout"
    assert portal.post(invoke, {**client, "backchannel_logout_uri": None}).json["ok"]
    try:
        page.goto("/_local/registro/")
        page.get_by_role("button", name="Entra").click()
        _sign_in_here(page, user_code)
        expect(page.locator("#signed-in")).to_be_visible(timeout=REGISTER_EXCHANGE_MS)
        # When the office erases her account from the console
        erase = {"operator": "segreteria@example.it", "reason": "Richiesta dell'interessata"}
        answer = portal.post(
            "/_local/invoke/OpsFunction",
            {**erase, "action": "erase", "school": SCHOOL, "codice_fiscale": PARENTS[20]},
        ).json
        assert answer["ok"] and answer["erased"], answer
        # Then the register's refresh token no longer works
        page.get_by_role("button", name="Rinnova i token").click()
        expect(page.locator("#error")).to_contain_text("invalid_grant")
        # And Chiave's session is gone: the account area asks her to sign in
        page.goto("/profilo")
        expect(page.locator("#profile-signed-out")).to_be_visible()
    finally:
        assert portal.post(invoke, {**client, "backchannel_logout_uri": uri}).json["ok"]


def test_a_parent_of_two_schools_chooses_one_with_her_password(page: Page, portal):
    # Given parent 21, in both schools' anagrafiche, with credentials at the second one
    invoke = "/_local/invoke/ConfigureSchoolFunction"
    configure = {
        "operator": "ops@example.it",
        "school": SECOND_SCHOOL,
        "reason": "Prova",
        "action": "configure",
    }
    policy = {"sign_in_methods": ["spid", "cie", "password"]}
    assert portal.post(invoke, {**configure, "policy": policy}).json["ok"]
    page.goto(f"/?scuola={SECOND_SCHOOL}")
    page.get_by_label("Codice fiscale").fill(PARENTS[21])
    page.get_by_role("button", name="Registrati").click()
    expect(page.locator("#message")).to_contain_text("Controlla la posta")
    from tests.browser.test_pages import choose_password, open_newest_link

    open_newest_link(page, portal, 21)
    page.get_by_role("button", name="Invia il codice").click()
    page.get_by_label("Codice ricevuto").fill(sms_code(portal, 21))
    page.get_by_role("button", name="Verifica").click()
    user_code = choose_password(page)
    # When the demo register, serving both schools, names none
    invoke_client = "/_local/invoke/ConfigureClientFunction"
    assert portal.post(invoke_client, demo_register_serving(SCHOOL, SECOND_SCHOOL)).json["ok"]
    try:
        page.goto("/_local/registro/")
        page.get_by_role("button", name="Entra").click()
        expect(page).to_have_url(re.compile(r"/accedi\?richiesta="))
        # Then the sign-in page asks which school, guessing none; she chooses the second one
        field = page.get_by_label("Scuola: nome, comune o codice meccanografico")
        expect(field).to_have_value("")
        field.fill(SECOND_SCHOOL)
        look(page, "53-accedi-due-scuole")
        _sign_in_here_chosen(page, user_code)
        # And the register is told she is a parent there
        expect(page.locator("#signed-in")).to_be_visible(timeout=REGISTER_EXCHANGE_MS)
        assert _claims(page, "Userinfo")["school"] == SECOND_SCHOOL
    finally:
        assert portal.post(invoke_client, demo_register_serving(SCHOOL)).json["ok"]


def _sign_in_here_chosen(page: Page, login: str) -> None:
    page.get_by_label("Codice utente o e-mail").fill(login)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Entra").click()
