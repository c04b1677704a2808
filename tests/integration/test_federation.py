"""Chiave in the SPID/CIE federation: the intermediate's and each school's
Entity Configuration (signed with its own keys in KMS, the fields the
profile asks, no private part), the intermediate's subordinate statements
and list, which schools are leaves, a rotation's next key, and their size
at 50 schools."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest
from joserfc import jws, jwt
from joserfc.jwk import KeySet

from chiave.federation import statements
from chiave.oidc import signing
from chiave.store import schools
from chiave_local.emulator.events import load_event

SCHOOL = "RMIC817009"
ORIGIN = "http://127.0.0.1:3000"  # the integration stack's one origin
INTERMEDIATE = f"{ORIGIN}/oidc/federation"
LEAF = f"{ORIGIN}/oidc/rp/{SCHOOL}"
PRIVATE_PARTS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


@pytest.fixture(autouse=True)
def fresh_keys():
    signing.forget()  # each test's moto has keys of its own
    yield
    signing.forget()


def _answer(stack, sample: str, **changes: Any) -> dict[str, Any]:
    event = load_event(sample)
    for name, value in changes.items():
        event[name] = value
    result: dict[str, Any] = stack.functions.invoke("FederationFunction", event)
    return result


def _statement(stack, sample: str, **changes: Any) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A statement's header and claims (not yet verified), and the JWT."""
    answer = _answer(stack, sample, **changes)
    assert answer["statusCode"] == 200, answer
    content_type = (answer.get("multiValueHeaders") or {}).get("Content-Type", [""])[-1]
    assert content_type == "application/entity-statement+jwt"
    token = answer["body"]
    compact = jws.extract_compact(token.encode())
    return compact.protected, json.loads(compact.payload), token


def _verified(token: str, keys: dict[str, Any]) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, KeySet.import_key_set(keys), algorithms=["RS256"]).claims  # type: ignore[arg-type]
    return claims


def _no_private_part(jwks: dict[str, Any]) -> None:
    for key in jwks["keys"]:
        assert not PRIVATE_PARTS & set(key), key
        assert key["kty"] == "RSA" and key["kid"]


def test_the_intermediate_configuration_is_signed_by_its_own_keys_and_names_its_superior(stack):
    header, claims, token = _statement(stack, "federation_federation")
    # Signed by a key it publishes itself, as an entity statement
    assert header["typ"] == "entity-statement+jwt" and header["alg"] == "RS256"
    assert _verified(token, claims["jwks"]) == claims
    _no_private_part(claims["jwks"])
    # Of itself, under its superior, with its endpoints
    assert claims["iss"] == claims["sub"] == INTERMEDIATE
    assert claims["authority_hints"] == ["https://registry.spid.gov.it"]
    assert claims["trust_marks"] == [] and claims["exp"] - claims["iat"] == statements.STATEMENT_LIFETIME_S
    entity = claims["metadata"]["federation_entity"]
    assert entity["federation_fetch_endpoint"] == f"{INTERMEDIATE}/fetch"
    assert entity["federation_list_endpoint"] == f"{INTERMEDIATE}/list"


def test_a_school_s_leaf_is_a_relying_party_with_its_ipa_code_and_keys_to_sign_and_decrypt(stack):
    header, claims, token = _statement(stack, "federation_rp")
    assert header["typ"] == "entity-statement+jwt"
    assert _verified(token, claims["jwks"]) == claims
    _no_private_part(claims["jwks"])
    assert claims["iss"] == claims["sub"] == LEAF
    assert claims["authority_hints"] == [INTERMEDIATE] and "trust_marks" in claims
    entity = claims["metadata"]["federation_entity"]
    assert entity["ipa_code"] == "istsc_rmic817009"
    assert entity["organization_name"] == "Istituto Comprensivo Via Guicciardini 8"
    rp = claims["metadata"]["openid_relying_party"]
    assert rp["client_id"] == LEAF and rp["client_registration_types"] == ["automatic"]
    assert rp["response_types"] == ["code"] and "authorization_code" in rp["grant_types"]
    assert rp["token_endpoint_auth_method"] == "private_key_jwt"
    assert rp["redirect_uris"] == [f"{LEAF}/callback"]
    _no_private_part(rp["jwks"])
    assert sorted(key["use"] for key in rp["jwks"]["keys"]) == ["enc", "sig"]
    # The relying party's keys are not the federation's
    assert {k["kid"] for k in rp["jwks"]["keys"]}.isdisjoint({k["kid"] for k in claims["jwks"]["keys"]})


def test_the_intermediate_vouches_for_its_leaves_by_fetch_and_lists_them(stack):
    _h, intermediate, _t = _statement(stack, "federation_federation")
    _h, leaf, _t = _statement(stack, "federation_rp")
    # The subordinate statement: the intermediate's word (its keys), on the leaf's keys
    _h, claims, token = _statement(stack, "federation_fetch")
    assert _verified(token, intermediate["jwks"]) == claims
    assert (claims["iss"], claims["sub"]) == (INTERMEDIATE, LEAF)
    assert claims["jwks"] == leaf["jwks"]
    # And the list names the leaf
    listed = _answer(stack, "federation_list")
    assert listed["statusCode"] == 200 and json.loads(listed["body"]) == [LEAF]


@pytest.mark.parametrize(
    ("query", "status", "error"),
    [
        ({"sub": f"{ORIGIN}/oidc/rp/RMIC00000X"}, 404, "not_found"),  # no such school
        ({"sub": "https://altro.example/oidc/rp/RMIC817009"}, 404, "not_found"),  # another origin's
        ({"sub": INTERMEDIATE}, 404, "not_found"),  # itself: no subordinate
        (None, 400, "invalid_request"),
    ],
)
def test_fetch_answers_only_for_its_own_leaves(stack, query, status, error):
    multi = {name: [value] for name, value in query.items()} if query else None
    answer = _answer(
        stack, "federation_fetch", queryStringParameters=query, multiValueQueryStringParameters=multi
    )
    assert answer["statusCode"] == status and json.loads(answer["body"])["error"] == error


@pytest.mark.parametrize("change", [{"ipa_code": None}, {"enabled": False}], ids=["no-ipa-code", "disabled"])
def test_a_school_without_its_ipa_code_or_disabled_is_no_leaf(stack, change):
    with stack.env():
        school = schools.get_school(SCHOOL)
        schools.put_school(replace(school, **change))
    assert _answer(stack, "federation_rp")["statusCode"] == 404
    assert _answer(stack, "federation_fetch")["statusCode"] == 404
    assert json.loads(_answer(stack, "federation_list")["body"]) == []


def test_a_rotation_publishes_the_next_federation_key_before_it_signs(stack):
    # Given a next key set beside the current one
    kms = stack.deployment.client("kms")
    spec = stack.functions.specs["FederationFunction"]
    next_key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    spec.environment["NEXT_FEDERATION_KEY_ID"] = next_key
    header, claims, token = _statement(stack, "federation_federation")
    # Then both are published, and the statement is still signed by the current one
    assert len(claims["jwks"]["keys"]) == 2
    current = [key for key in claims["jwks"]["keys"] if key["kid"] == header["kid"]]
    assert len(current) == 1 and _verified(token, {"keys": current}) == claims


def test_at_50_schools_the_statements_keep_their_size_and_the_list_grows_by_one_line_each(stack):
    # Given 50 schools with their IPA codes
    with stack.env():
        model = schools.get_school(SCHOOL)
        for number in range(49):
            code = f"RMIC8{number:04d}X"
            schools.put_school(replace(model, id=code, ipa_code=f"istsc_{code.lower()}"))
    listed = json.loads(_answer(stack, "federation_list")["body"])
    assert len(listed) == 50
    sizes = {
        sample: len(_answer(stack, sample)["body"].encode())
        for sample in ("federation_federation", "federation_rp", "federation_fetch")
    }
    # Then each statement stays the size of its keys, whatever the number of schools
    assert sizes["federation_federation"] < 2_500, sizes
    assert sizes["federation_rp"] < 5_000, sizes
    assert sizes["federation_fetch"] < 2_500, sizes
    # And the list is one entity id a school
    assert len(_answer(stack, "federation_list")["body"].encode()) < 50 * 60, listed[:2]


# ---- the providers' trust chains, kept until their earliest expiry ------------------------


def test_a_provider_s_chain_is_kept_until_its_earliest_expiry_and_a_refused_one_never(stack):
    from chiave.federation import providers
    from chiave.federation.trust_chain import Anchor, ChainRefused
    from tests import federation as fed

    now = 1_796_000_000
    federation = fed.spid_and_cie(now)
    federation.vouch(fed.ANCHOR, fed.SPID_PROVIDER, lifetime=3600)  # the chain's earliest end
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        return federation.fetch(url)

    anchor = Anchor(fed.ANCHOR, fed.jwks(fed.ANCHOR))
    marks = (fed.SPID_MARK,)
    with stack.env("FederationFunction"):
        # Resolved once, then kept
        first = providers.trusted(fetch, fed.SPID_PROVIDER, anchor, now, required_marks=marks)
        resolved_with = len(asked)
        assert resolved_with >= 3 and first.expires_at == now + 3600
        assert providers.trusted(fetch, fed.SPID_PROVIDER, anchor, now + 3599, required_marks=marks) == first
        assert len(asked) == resolved_with
        # Past its earliest expiry it is resolved again; refused, nothing is kept
        federation.vouch(fed.ANCHOR, fed.SPID_PROVIDER, lifetime=-1)
        with pytest.raises(ChainRefused):
            providers.trusted(fetch, fed.SPID_PROVIDER, anchor, now + 3600, required_marks=marks)
        federation.now = now + 3600
        federation.vouch(fed.ANCHOR, fed.SPID_PROVIDER)
        again = providers.trusted(fetch, fed.SPID_PROVIDER, anchor, now + 3600, required_marks=marks)
        assert again.expires_at > now + 3600


# ---- the trust marks a school's leaf got at onboarding ------------------------------------


def _configure_marks(stack, marks: list[dict[str, str]]) -> dict[str, Any]:
    event = {
        "action": "configure",
        "operator": "ops.bianchi@chiave.example",
        "school": SCHOOL,
        "reason": "Trust mark rilasciato da AgID",
        "trust_marks": marks,
    }
    answer: dict[str, Any] = stack.functions.invoke("ConfigureSchoolFunction", event)
    return answer


def test_the_trust_marks_of_a_school_s_onboarding_are_published_in_its_leaf(stack):
    from tests import federation as fed

    issued = fed.Federation(int(time.time())).trust_mark(LEAF, mark_type=fed.SPID_MARK)
    # When ops record the trust mark the federation issued the school
    assert _configure_marks(stack, [issued])["ok"]
    # Then the leaf publishes it, by both names of its type
    _h, claims, _t = _statement(stack, "federation_rp")
    [published] = claims["trust_marks"]
    assert published["trust_mark"] == issued["trust_mark"]
    assert published["trust_mark_type"] == published["id"] == fed.SPID_MARK


@pytest.mark.parametrize(
    ("subject", "lifetime", "message"),
    [
        (f"{ORIGIN}/oidc/rp/MIIC8AB001", 3600, "non per"),  # another school's
        (LEAF, -1, "scaduto"),
    ],
    ids=["another-school-s", "expired"],
)
def test_a_trust_mark_that_is_not_this_school_s_or_has_expired_is_refused(stack, subject, lifetime, message):
    from tests import federation as fed

    mark = fed.Federation(int(time.time())).trust_mark(subject, lifetime=lifetime)
    answer = _configure_marks(stack, [mark])
    assert not answer["ok"] and answer["error"]["code"] == "invalid_school_configuration", answer
    [problem] = answer["error"]["problems"]
    assert problem["field"] == "trust_marks" and message in problem["message"]
    _h, claims, _t = _statement(stack, "federation_rp")
    assert claims["trust_marks"] == []  # nothing recorded


def test_the_intermediate_publishes_its_own_trust_marks_and_leaves_out_one_not_its_own(stack):
    from tests import federation as fed

    # Given the marks the anchor issued the intermediate at onboarding, and one for somebody else
    now = int(time.time())
    own = fed.Federation(now).trust_mark(INTERMEDIATE, mark_type=fed.SPID_MARK)
    stray = fed.Federation(now).trust_mark(LEAF, mark_type=fed.SPID_MARK)
    stack.deployment.refs["IntermediateTrustMarks"] = json.dumps([own, stray, "not an object"])
    # Then its Entity Configuration publishes its own, by both names of its type, and only that
    _h, claims, _t = _statement(stack, "federation_federation")
    assert [(m["trust_mark"], m["trust_mark_type"], m["id"]) for m in claims["trust_marks"]] == [
        (own["trust_mark"], fed.SPID_MARK, fed.SPID_MARK)
    ]


def test_the_check_counts_the_intermediate_s_trust_mark_too(stack):
    from tests import federation as fed

    now = int(time.time())
    own = fed.Federation(now).trust_mark(INTERMEDIATE, lifetime=5 * fed.DAY)
    stack.deployment.refs["IntermediateTrustMarks"] = json.dumps([own])
    report = _check(stack, _anchor_vouching(now, lifetime=3600), now)
    assert report["trust_mark_seconds_left"] == 5 * fed.DAY


# ---- the hourly check: before Chiave drops out of the federation -------------------------


def _anchor_vouching(now: int, lifetime: int):
    """A trust anchor that vouches for this deployment's intermediate for `lifetime` seconds."""
    from chiave.federation.trust_chain import ChainRefused
    from tests import federation as fed

    federation = fed.Federation(now)
    federation.entity(fed.ANCHOR, [], fed.federation_entity(fed.ANCHOR))
    if lifetime:
        federation.vouch(fed.ANCHOR, INTERMEDIATE, lifetime=lifetime)

    def fetch(url: str) -> bytes:
        try:
            return federation.fetch(url)
        except LookupError:
            raise ChainRefused(f"{url}: 404") from None

    return fetch


def _check(stack, fetch, now: int) -> dict[str, Any]:
    from chiave.jobs import federation_check

    spec = stack.functions.specs["FederationCheckFunction"]
    spec.environment["TRUST_ANCHOR"] = "https://trust-anchor.example"
    with stack.env("FederationCheckFunction"):
        return federation_check.run(now, fetch)


def test_the_check_measures_the_anchor_s_statement_and_the_first_trust_mark_to_end(stack):
    from tests import federation as fed

    now = int(time.time())
    mark = fed.Federation(now).trust_mark(LEAF, lifetime=10 * fed.DAY)
    assert _configure_marks(stack, [mark])["ok"]
    report = _check(stack, _anchor_vouching(now, lifetime=3600), now)
    assert report == {
        "reachable": True,
        "superior_seconds_left": 3600,
        "trust_mark_seconds_left": 10 * fed.DAY,
    }


def test_the_check_tells_an_anchor_that_no_longer_vouches_from_one_that_does_not_answer(stack):
    from chiave.federation.trust_chain import FederationUnreachable

    now = int(time.time())
    # Not vouched for (de-registered, or not yet onboarded): no time left
    assert _check(stack, _anchor_vouching(now, lifetime=0), now) == {
        "reachable": True,
        "superior_seconds_left": 0,
    }

    # Not answering: unreachable, and nothing said of the statement
    def down(url: str) -> bytes:
        raise FederationUnreachable(f"{url}: timed out")

    assert _check(stack, down, now) == {"reachable": False}


def test_the_alarms_watch_the_metrics_the_check_publishes():
    from chiave.jobs import federation_check
    from chiave_local.emulator import template as tpl

    resources = tpl.template()["Resources"]
    watched = {
        resources[alarm]["Properties"]["MetricName"]
        for alarm in ("FederationTrustMarkAlarm", "FederationSuperiorAlarm", "FederationUnreachableAlarm")
    }
    assert watched == {
        federation_check.TRUST_MARK_LEFT,
        federation_check.SUPERIOR_LEFT,
        federation_check.REACHABLE,
    }
