"""Entra con SPID / CIE through the handlers, against a provider of
tests/provider.py in a federation of tests/federation.py (no network): the
request object and private_key_jwt the provider checks, every piece of its
answer Chiave must refuse, the link to the anagrafica by codice fiscale, and
faults at every AWS call and every federation call. Each refusal leaves the
account as it was and the sign-in page saying what to do next."""

from __future__ import annotations

from typing import Any

import pytest

from chiave.federation import fetching
from chiave.federation.trust_chain import FederationUnreachable
from chiave_local.emulator.events import (
    authorize_event,
    load_event,
    query_of,
    sign_in_event,
    token_event,
)
from tests import federation as fed
from tests.integration.helpers import register_client
from tests.integration.spid_cie_world import NOW, SCHOOL, World, claims_of, spid_cie_world

MARIA = "RSSMRA82C52H501K"
SOFIA = "CLMSFO12P54H501O"  # a student, at a primo-ciclo school


def _page(outcome: str, school: str = SCHOOL) -> str:
    return f"accedi?scuola={school}&esito={outcome}"


@pytest.fixture
def world(stack, monkeypatch) -> World:
    return spid_cie_world(stack, monkeypatch)


# ---- signed in ----------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "holder"), [("spid", MARIA), ("cie", "BNCLCU79S05F205Y")])
def test_a_parent_signs_in_and_the_register_s_id_token_carries_the_level(world, profile, holder):
    provider = world.spid if profile == "spid" else world.cie
    assert world.person(holder)["status"] == "pending"
    # When the parent comes back from the provider
    back = world.sign_in(provider)
    # Then the browser goes to the register with a code, and holds a session
    assert back.status == 302 and "code=" in back.headers["Location"], back
    assert back.headers["Set-Cookie"].startswith("__Host-chiave-session=")
    code = query_of(back.headers["Location"])["code"]
    exchanged = world.stack.call("TokenFunction", token_event(world.secret, code=code))
    claims = claims_of(exchanged.body["id_token"])
    assert claims["acr"] == "https://www.spid.gov.it/SpidL2" and claims["amr"] == [profile]
    # And the account is linked, active, with a user code and no password
    person = world.person(holder)
    assert person["status"] == "active" and person["user_code"] and "password_hash" not in person
    linked = [item for item in world.audit(holder) if item["action"] == "identity_linked"]
    assert len(linked) == 1 and linked[0]["details"]["via"] == profile


def test_the_request_object_and_the_client_assertion_are_what_the_profile_asks(world):
    request = world.request()
    started = world.start(world.spid, request)
    asked = query_of(started.headers["Location"])
    claims = world.spid.request_object(started.headers["Location"])
    # A signed request object with PKCE, the school's levels, consent and login, the claims it needs
    assert asked["code_challenge_method"] == "S256" and asked["code_challenge"] == claims["code_challenge"]
    assert claims["acr_values"] == ["https://www.spid.gov.it/SpidL2"]  # the school's minimum
    assert claims["prompt"] == "consent login" and claims["scope"] == ["openid"]
    assert claims["redirect_uri"] == f"{claims['client_id']}/callback"
    wanted = claims["claims"]["userinfo"]
    assert wanted["https://attributes.eid.gov.it/fiscal_number"] == {"essential": True}
    assert {"given_name", "family_name", "email"} <= set(wanted)
    assert len(claims["state"]) >= 32 and len(claims["nonce"]) >= 32
    # And at the token endpoint the leaf signs its own assertion (the provider checked it and PKCE)
    back = world.back(**world.spid.authorize(started.headers["Location"]))
    assert back.status == 302 and "code=" in back.headers["Location"]
    assert world.spid.seen_assertions[-1]["sub"] == claims["client_id"]


def test_an_account_linked_by_spid_has_no_e_mail_proved_for_the_registers(world):
    # Given Maria signed in (and her account activated) by SPID, never by an e-mailed link
    back = world.back(
        SCHOOL, **world.spid.authorize(world.start(world.spid, world.request()).headers["Location"])
    )
    assert "code=" in back.headers["Location"]
    # Then the address the school gave is not one a link of ours proved
    item = world.person(MARIA)
    assert item["status"] == "active" and item.get("email_proved") is None
    from chiave.store.people import person_from

    assert person_from(item).email_verified is False


def test_a_second_sign_in_keeps_the_account_and_adds_no_second_link(world):
    world.sign_in(world.spid)
    user_code = world.person(MARIA)["user_code"]
    world.sign_in(world.spid)
    assert world.person(MARIA)["user_code"] == user_code
    actions = [item["action"] for item in world.audit(MARIA)]
    assert actions.count("identity_linked") == 1 and actions.count("signed_in") == 1


# ---- refused: what the provider answers ---------------------------------------------------


BROKEN: dict[str, tuple[dict[str, Any], str]] = {
    "unsigned ID token": ({"id_token_unsigned": True}, "provider_error"),
    "ID token signed by another key": ({"id_token_signer": fed.CIE_PROVIDER}, "provider_error"),
    "wrong iss": ({"id_token_changes": {"iss": fed.CIE_PROVIDER}}, "provider_error"),
    "wrong aud": ({"id_token_changes": {"aud": ["https://another-rp.example"]}}, "provider_error"),
    "expired ID token": ({"id_token_changes": {"exp": NOW - 120}}, "provider_error"),
    "another nonce": ({"id_token_changes": {"nonce": "x" * 43}}, "provider_error"),
    "no nonce": ({"id_token_changes": {"nonce": None}}, "provider_error"),
    "level below the school's minimum": ({"level": 1}, "level_too_low"),
    "no level": ({"id_token_changes": {"acr": None}}, "level_too_low"),
    "userinfo not encrypted": ({"userinfo_plain": True}, "provider_error"),
    "userinfo about another subject": ({"userinfo_changes": {"sub": "someone-else"}}, "provider_error"),
    "no fiscal number": (
        {"userinfo_changes": {"https://attributes.eid.gov.it/fiscal_number": None}},
        "provider_error",
    ),
    "a fiscal number that is no codice fiscale": (
        {"fiscal_number": "TINIT-RSSMRA82C52H501X"},
        "provider_error",
    ),
    "the token endpoint refuses": ({"token_status": 400}, "provider_error"),
}


@pytest.mark.parametrize("broken", BROKEN, ids=list(BROKEN))
def test_a_broken_answer_is_refused_with_a_page_and_nothing_linked(world, broken):
    changes, outcome = BROKEN[broken]
    for name, value in changes.items():
        setattr(world.spid, name, value)
    back = world.sign_in(world.spid)
    assert back.status == 302 and back.headers["Location"].endswith(_page(outcome)), back.headers
    assert "Set-Cookie" not in back.headers
    assert world.person(MARIA)["status"] == "pending" and world.audit(MARIA) == []


def test_a_school_s_higher_minimum_refuses_a_level_the_default_accepts(world):
    world.stack.set_policy(SCHOOL, spid_min_level=3)
    back = world.sign_in(world.spid)
    assert back.headers["Location"].endswith(_page("level_too_low"))
    world.spid.level = 3
    back = world.sign_in(world.spid)
    assert "code=" in back.headers["Location"]
    # And the register is told the level the provider signed her in at
    code = query_of(back.headers["Location"])["code"]
    exchanged = world.stack.call("TokenFunction", token_event(world.secret, code=code))
    assert claims_of(exchanged.body["id_token"])["acr"] == "https://www.spid.gov.it/SpidL3"


@pytest.mark.parametrize(
    ("callback", "outcome"),
    [
        ({"state": None}, "expired"),  # no state: nothing to answer
        ({"code": None}, "provider_error"),  # no code
        ({"code": None, "error": "access_denied"}, "cancelled"),  # the parent said no at the provider
        ({"code": None, "error": "invalid_request"}, "provider_error"),  # the provider refused the request
        ({"state": "a" * 43}, "expired"),  # a state Chiave never sent
    ],
    ids=["no state", "no code", "cancelled", "refused by the provider", "unknown state"],
)
def test_a_callback_without_what_it_needs_is_refused(world, callback, outcome):
    started = world.start(world.spid, world.request())
    params = {**world.spid.authorize(started.headers["Location"]), **callback}
    back = world.back(**{name: value for name, value in params.items() if value is not None})
    assert back.headers["Location"].endswith(_page(outcome))
    assert world.person(MARIA)["status"] == "pending"


def test_a_replayed_state_signs_nobody_in(world):
    # Given a sign-in that came back once, and an attacker who saw its callback
    started = world.start(world.spid, world.request())
    callback = world.spid.authorize(started.headers["Location"])
    assert "code=" in world.back(**callback).headers["Location"]
    # When the same state comes back with a fresh code of the attacker's own
    replay = {
        **callback,
        "code": world.spid.authorize(world.start(world.spid, world.request()).headers["Location"])["code"],
    }
    again = world.back(**replay)
    # Then the state is spent
    assert again.headers["Location"].endswith(_page("expired")) and "Set-Cookie" not in again.headers


def test_a_state_from_another_school_s_sign_in_is_refused(world):
    started = world.start(world.spid, world.request())
    back = world.back("MIIS00900T", **world.spid.authorize(started.headers["Location"]))
    assert back.headers["Location"].endswith(_page("expired", "MIIS00900T"))


# ---- the anagrafica decides ---------------------------------------------------------------


def test_nobody_of_the_school_is_told_to_ask_the_office_and_nothing_is_created(world):
    world.spid.fiscal_number = "TINIT-NREPLA80A01H501B"
    back = world.sign_in(world.spid)
    assert back.headers["Location"].endswith(_page("not_in_anagrafica"))
    from chiave.store import people

    with world.stack.env("SpidCieFunction"):
        assert people.get_school_and_person(SCHOOL, "NREPLA80A01H501B")[1] is None


def test_an_omocode_is_another_person_never_folded_into_the_base_code(world):
    # Maria's code with a digit replaced by its omocodia letter: the code of someone else
    world.spid.fiscal_number = "TINIT-RSSMRA82C52H50MC"
    back = world.sign_in(world.spid)
    assert back.headers["Location"].endswith(_page("not_in_anagrafica"))
    assert world.person(MARIA)["status"] == "pending"


def test_a_primo_ciclo_student_is_refused_whatever_the_method(world):
    world.spid.fiscal_number = f"TINIT-{SOFIA}"
    back = world.sign_in(world.spid)
    assert back.headers["Location"].endswith(_page("student_primo_ciclo"))
    assert world.person(SOFIA)["status"] == "pending"
    # And with a password of her own (she is 14: the school gave her credentials), refused alike
    from tests.integration.helpers import activate

    user_code = activate(world.stack, load_event, SOFIA)
    answer = world.stack.call("SignInFunction", sign_in_event(world.request(), user_code, "Quaderno-Blu-42"))
    assert answer.status == 403 and answer.body["code"] == "student_primo_ciclo"


def test_a_disabled_account_is_refused(world):
    from tests.integration.helpers import ops

    ops(world.stack, action="disable", codice_fiscale=MARIA)
    back = world.sign_in(world.spid)
    assert back.headers["Location"].endswith(_page("account_disabled"))


def test_a_parent_of_two_schools_chooses_the_school_and_is_signed_in_there(world):
    from dataclasses import replace

    from chiave.domain import AccountStatus
    from chiave.store import people, schools

    # Given a second school with Maria in its anagrafica, both served by the register
    other = "RMIC81800X"
    with world.stack.env("ConfigureSchoolFunction"):
        demo = schools.get_school(SCHOOL)
        schools.put_school(
            replace(demo, id=other, name="Istituto Comprensivo Due", ipa_code="istsc_rmic81800x")
        )
        maria = people.get_school_and_person(SCHOOL, MARIA)[1]
        people.put_people([replace(maria, school_id=other, status=AccountStatus.PENDING, user_code=None)])
    register_client(world.stack, schools=[SCHOOL, other])
    # When the register names no school, the parent picks the second one on the sign-in page
    asked = world.stack.call("AuthorizeFunction", authorize_event(school=None))
    request = query_of(asked.headers["Location"])["richiesta"]
    started = world.start(world.spid, request, school=other)
    back = world.back(other, **world.spid.authorize(started.headers["Location"]))
    # Then she is signed in there, and only there
    assert "code=" in back.headers["Location"], back.headers
    assert world.person(MARIA, other)["status"] == "active"
    assert world.person(MARIA)["status"] == "pending"


# ---- the school's methods -----------------------------------------------------------------


def test_a_school_without_spid_sends_nobody_to_a_spid_provider(world):
    world.stack.set_policy(SCHOOL, sign_in_methods=["cie"])
    started = world.start(world.spid, world.request())
    assert started.headers["Location"].endswith(_page("method_not_offered"))
    assert world.start(world.cie, world.request()).headers["Location"].startswith(fed.CIE_PROVIDER)


def test_the_providers_listed_are_the_anchor_s_with_chains_that_hold(world):
    listed = world.stack.call("SpidCieFunction", load_event("spid_cie_providers"))
    assert listed.status == 200
    assert [(p["id"], p["profile"]) for p in listed.body["providers"]] == [
        (fed.CIE_PROVIDER, "cie"),
        (fed.SPID_PROVIDER, "spid"),
    ]


def test_an_unreachable_anchor_lists_nothing_and_says_try_again(world, monkeypatch):
    def unreachable(url: str) -> bytes:
        raise FederationUnreachable(url)

    monkeypatch.setattr(fetching, "fetch", unreachable)
    listed = world.stack.call("SpidCieFunction", load_event("spid_cie_providers"))
    assert listed.status == 503 and listed.headers["Retry-After"]
    started = world.start(world.spid, world.request())
    assert started.headers["Location"].endswith(_page("federation_unreachable"))


@pytest.mark.parametrize(
    ("policy", "signs_in"),
    [
        ({"sign_in_methods": ["spid", "cie"], "passwords_until": "2099-08-31"}, True),
        ({"sign_in_methods": ["spid", "cie"], "passwords_until": "2020-08-31"}, False),
        ({"sign_in_methods": ["spid", "cie"]}, False),
        ({"sign_in_methods": ["spid", "cie", "password"]}, True),
    ],
    ids=["in transition", "transition over", "spid and cie only", "passwords allowed"],
)
def test_a_password_signs_in_only_where_the_school_still_offers_it(world, policy, signs_in):
    from tests.integration.helpers import activate

    activate(world.stack, load_event, MARIA)
    world.stack.set_policy(SCHOOL, **policy)
    answer = world.stack.call(
        "SignInFunction", sign_in_event(world.request(), "maria.rossi@example.it", "Quaderno-Blu-42")
    )
    assert answer.status == (200 if signs_in else 403), answer.body
    if not signs_in:
        assert answer.body["code"] == "passwords_not_offered"


# ---- faults -------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["throttling", "timeout", "server_error"])
@pytest.mark.parametrize("step", ["start", "callback"])
def test_a_fault_at_every_aws_call_says_try_again_and_writes_nothing(world, fault, step):
    from tests.integration.helpers import every_call

    # Given sign-ins ready for the step (made before any fault: the faults are the step's own)
    requests = [world.request() for _ in range(40)]
    ready = iter(requests)
    callbacks = iter(
        [
            world.spid.authorize(world.start(world.spid, request).headers["Location"])
            for request in requests[20:]
        ]
    )

    def attempt() -> Any:
        if step == "start":
            return world.start(world.spid, next(ready))
        return world.back(**next(callbacks))

    def check(answer: Any, made: list[str]) -> None:
        location = answer.headers["Location"]
        if location.startswith(fed.SPID_PROVIDER) or "code=" in location:
            return  # the fault was retried away
        assert location.endswith(_page("busy")), (made, location)
        assert world.person(MARIA)["status"] == "pending" and world.audit(MARIA) == []

    # Then each call, failing, gave the page's "riprova"; the last attempt ran unfaulted
    assert every_call(world.stack, "SpidCieFunction", fault, attempt, check) > 3


FEDERATION_FAULTS = ["timeout", "5xx", "bad JSON", "4xx"]


def _failing(fault: str, url: str) -> tuple[int, bytes]:
    """What fetching.call does for a server that fails so: raises for what did not answer."""
    if fault in ("timeout", "5xx"):
        raise FederationUnreachable(f"{url}: {fault}")
    return (200, b"{not json") if fault == "bad JSON" else (400, b'{"error": "invalid_request"}')


@pytest.mark.parametrize("fault", FEDERATION_FAULTS)
@pytest.mark.parametrize("endpoint", ["token", "userinfo"])
def test_a_fault_at_every_federation_call_gives_a_page_and_writes_nothing(
    world, monkeypatch, fault, endpoint
):
    # Given a provider whose token or userinfo endpoint times out, fails or answers nonsense
    answer = world.spid.call

    def broken(url: str, **asked: Any) -> tuple[int, bytes]:
        if url.endswith(f"/{endpoint}"):
            return _failing(fault, url)
        return answer(url, **asked)

    monkeypatch.setattr(fetching, "call", broken)
    back = world.sign_in(world.spid)
    # Then the page says to try again later (it did not answer) or that its answer was refused
    unreachable = fault in ("timeout", "5xx")
    assert back.headers["Location"].endswith(
        _page("federation_unreachable" if unreachable else "provider_error")
    )
    assert "Set-Cookie" not in back.headers
    assert world.person(MARIA)["status"] == "pending" and world.audit(MARIA) == []


@pytest.mark.parametrize("fault", ["timeout", "5xx", "bad JSON"])
def test_a_fault_while_resolving_the_provider_s_chain_gives_a_page_and_keeps_nothing(
    world, monkeypatch, fault
):
    # Given the provider's chain not yet kept, and the anchor failing
    def broken(url: str) -> bytes:
        if fault == "bad JSON":
            return b"{not json"
        raise FederationUnreachable(f"{url}: {fault}")

    monkeypatch.setattr(fetching, "fetch", broken)
    started = world.start(world.spid, world.request())
    # Then the page says so, and no sign-in was sent or kept
    outcome = "provider_unknown" if fault == "bad JSON" else "federation_unreachable"
    assert started.headers["Location"].endswith(_page(outcome))
    from chiave.store import federation as kept

    with world.stack.env("SpidCieFunction"):
        assert kept.get_chain(fed.SPID_PROVIDER, NOW) is None


# ---- what a SPID/CIE sign-in counts as -------------------------------------------------------


def test_a_spid_sign_in_is_identification_an_account_awaiting_it_becomes_active(world):
    from tests.integration.helpers import activate

    # Given a school that identifies in person, and Maria activated there by e-mail link
    world.stack.set_policy(SCHOOL, in_person_identification=True, otp_required_for_activation=False)
    activate(world.stack, load_event, MARIA)
    assert world.person(MARIA)["status"] == "awaiting_identification"
    # When she signs in with SPID (the provider identified her, at level 2)
    back = world.sign_in(world.spid)
    # Then she is signed in, and identified: her account is active, her password kept
    assert "code=" in back.headers["Location"]
    person = world.person(MARIA)
    assert person["status"] == "active" and person["identified_at"] and person["password_hash"]


def test_a_password_lockout_does_not_block_spid(world):
    from tests.integration.helpers import activate

    # Given Maria's password locked by someone guessing it
    user_code = activate(world.stack, load_event, MARIA)
    world.stack.set_policy(SCHOOL, login_max_failures=3)
    for _guess in range(4):
        wrong = sign_in_event(world.request(), user_code, "Sbagliata-1!")
        answer = world.stack.call("SignInFunction", wrong)
    assert answer.status == 423, answer.body
    # When she signs in with SPID
    back = world.sign_in(world.spid)
    # Then she is in: the lock guards the password, which SPID does not use
    assert "code=" in back.headers["Location"], back.headers
