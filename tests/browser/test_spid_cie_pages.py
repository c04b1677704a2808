"""Entra con SPID / CIE in Chromium, on a phone: from the demo register
(openid-client) through Chiave's sign-in page, the local federation's SPID
or CIE provider (spid-cie-oidc), back to Chiave and to the register, which
shows the ID token's level. And the pages that say why not, each with its
next step."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE, REGISTER_EXCHANGE_MS, look
from tests.e2e.conftest import LocalStack

pytestmark = pytest.mark.xdist_group("spid_cie_pages")
LEVEL_2 = "https://www.spid.gov.it/SpidL2"
SCHOOL = "RMIC817009"
CODICI = {"maria.rossi": "RSSMRA82C52H501K", "luca.bianchi": "BNCLCU79S05F205Y"}


@pytest.fixture
def page(browser: Browser, federated_portal: LocalStack) -> Iterator[Page]:
    context = browser.new_context(
        base_url=federated_portal.base_url, bypass_csp=True, locale="it-IT", **PHONE
    )
    opened = context.new_page()
    yield opened
    context.close()


def _claims(page: Page) -> dict[str, str]:
    listing = page.locator("h2", has_text="ID token").locator("xpath=following-sibling::dl[1]")
    names = listing.locator("dt").all_inner_texts()
    return dict(zip(names, listing.locator("dd").all_inner_texts(), strict=True))


def _to_the_provider(page: Page, profile: str, shots: str | None = None) -> None:
    """From the demo register to the local provider's login page."""
    page.goto("/_local/registro/")
    page.get_by_role("button", name="Entra").click()
    expect(page).to_have_url(re.compile(r"/accedi\?richiesta="))
    if profile == "spid":
        page.get_by_role("button", name="Entra con SPID").click()
        expect(page.get_by_role("button", name="SPID locale")).to_be_visible()
        if shots:
            look(page, shots)
        page.get_by_role("button", name="SPID locale").click()
    else:
        if shots:
            look(page, shots)
        page.get_by_role("button", name="Entra con CIE").click()
    expect(page.get_by_role("heading", name="Entra")).to_be_visible()


def _at_the_provider(page: Page, username: str) -> None:
    page.get_by_label("Nome utente").fill(username)
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Entra").click()
    page.get_by_role("button", name="Acconsenti").click()


@pytest.mark.parametrize(
    ("profile", "username", "shots"),
    [("spid", "maria.rossi", "37-accedi-spid"), ("cie", "luca.bianchi", "38-accedi-cie")],
    ids=["spid", "cie"],
)
def test_a_parent_enters_the_register_with_spid_or_cie(
    page: Page, federated_portal: LocalStack, profile, username, shots
):
    # Given the register's sign-in, with SPID's providers from the federation
    _to_the_provider(page, profile, shots)
    # When the parent signs in at the provider and agrees
    _at_the_provider(page, username)
    # Then the register has her, at SPID's level 2, by SPID or CIE
    expect(page.locator("#signed-in")).to_be_visible(timeout=REGISTER_EXCHANGE_MS)
    look(page, f"{shots}-registro")
    claims = _claims(page)
    assert claims["acr"] == LEVEL_2 and profile in claims["amr"]
    # And her account is linked, with no password ever set, and the link is in the audit trail
    person = federated_portal.person(SCHOOL, CODICI[username])
    assert person is not None and person["status"] == "active" and "password_hash" not in person
    linked = [
        item
        for item in federated_portal.audit(SCHOOL, CODICI[username])
        if item["action"] == "identity_linked"
    ]
    assert [item["details"]["via"] for item in linked] == [profile]


@pytest.mark.parametrize(
    ("username", "says", "shot"),
    [
        ("sofia.colombo", "solo i genitori e i tutori", "39-accedi-studente"),
        ("paolo.neri", "non risulta nell'anagrafica", "40-accedi-senza-anagrafica"),
    ],
    ids=["primo-ciclo-student", "not-in-anagrafica"],
)
def test_who_cannot_enter_is_told_why_and_can_try_another_way(page: Page, username, says, shot):
    _to_the_provider(page, "spid")
    _at_the_provider(page, username)
    # Back on the sign-in page: what happened, and the ways to enter still there
    expect(page).to_have_url(re.compile(r"/accedi\?scuola=RMIC817009&esito="))
    expect(page.get_by_role("alert")).to_contain_text(says)
    expect(page.get_by_role("button", name="Entra con SPID")).to_be_visible()
    look(page, shot)


def test_cancelling_at_the_provider_comes_back_to_the_choice(page: Page):
    _to_the_provider(page, "cie")
    page.get_by_label("Nome utente").fill("luca.bianchi")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Entra").click()
    page.get_by_role("link", name="Annulla e torna indietro").click()
    expect(page.locator("#message")).to_contain_text("Hai annullato")
    expect(page.get_by_role("button", name="Entra con CIE")).to_be_visible()
    look(page, "41-accedi-annullato")


@pytest.mark.parametrize(
    ("until", "passwords"), [("2099-08-31", True), ("2020-08-31", False)], ids=["in-transition", "after"]
)
def test_a_school_in_transition_says_until_when_passwords_work(
    page: Page, federated_portal: LocalStack, until, passwords
):
    configure = {
        "operator": "ops@example.it",
        "school": SCHOOL,
        "reason": "Transizione",
        "action": "configure",
    }
    invoke = "/_local/invoke/ConfigureSchoolFunction"
    policy = {"sign_in_methods": ["spid", "cie"], "passwords_until": until}
    assert federated_portal.post(invoke, {**configure, "policy": policy}).json["ok"]
    try:
        page.goto("/_local/registro/")
        page.get_by_role("button", name="Entra").click()
        expect(page.get_by_role("button", name="Entra con SPID")).to_be_visible()
        if passwords:
            # Until its last day, the password too, and the page says until when
            expect(page.locator("#passwords-until")).to_contain_text("Fino al 31 agosto 2099")
            expect(page.get_by_label("Password", exact=True)).to_be_visible()
            look(page, "43-accedi-transizione")
        else:
            expect(page.get_by_label("Password", exact=True)).to_be_hidden()
            look(page, "44-accedi-solo-spid-cie")
    finally:
        reset = {
            **configure,
            "policy": {"sign_in_methods": ["spid", "cie", "password"], "passwords_until": None},
        }
        assert federated_portal.post(invoke, reset).json["ok"]
