"""spid-cie (`GET /oidc/rp/{school}/start`, `GET /oidc/rp/{school}/callback`):
"Entra con SPID" and "Entra con CIE" answer a register's authorization
request with the identity a SPID or CIE provider vouches for, linked to the
school's anagrafica by codice fiscale.

start: the school's leaf (chiave.federation.relying_party) sends the parent
to the provider with a signed request object, PKCE, the school's levels and
the claims it needs; what it sent is kept under the state, for ten minutes.

come back: the state is taken (once: a replay finds nothing), the code
exchanged with private_key_jwt, the ID token and userinfo checked, and the
fiscal number (`TINIT-<codice fiscale>`, as issued: an omocode is another
person) looked up among the school's people. A row signs its person in; the
first time it activates the account (no password, no e-mail link; a user code
if there is none), and it counts as identification. Then, in one
transaction: the account, the session, the code, the request answered and
the audit item. No row, a primo-ciclo student, a disabled account: nothing is
written, and the sign-in page says what to do next.

A password lockout does not block it: SPID and CIE are not the password."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from chiave.credentials import tokens
from chiave.credentials.user_code import new_user_code
from chiave.domain import AccountStatus, AuthorizationRequest, Person, ProviderSignIn, School
from chiave.errors import SchoolNotServed, SignInExpired
from chiave.federation import fetching, providers, relying_party, statements
from chiave.federation.relying_party import IdentityRefused
from chiave.federation.trust_chain import ChainRefused, FederationUnreachable
from chiave.italian import codice_fiscale
from chiave.oidc import authorize, encryption, signing
from chiave.runtime import faults
from chiave.runtime.observability import count_outcome, logger
from chiave.runtime.settings import portal_url, settings
from chiave.steps import entry
from chiave.store import accounts, audit, federation, grants, people, schools
from chiave.store.table import Part, Refused, numbered, transact

USER_CODE_DRAWS = 3


@dataclass(frozen=True)
class Outcome:
    """Where the browser goes: the provider, the register, or the sign-in page
    with what went wrong (`esito`); and the session cookie when signed in."""

    location: str
    session_cookie: str | None = None


def _page(school_id: str | None, outcome: str) -> Outcome:
    """The sign-in page, saying what went wrong and what to do next (its `esito`)."""
    count_outcome("spid_cie", outcome)
    page = f"{portal_url().rstrip('/')}/accedi"
    return Outcome(authorize.with_query(page, scuola=school_id, esito=outcome))


def _school_for(request_id: str, school_id: str, now: float) -> tuple[AuthorizationRequest, School] | str:
    """The register's request and the school, when the register serves it and it is in the
    federation; otherwise the page's outcome."""
    try:
        request, _client, chosen = entry.request_answered_for(request_id, school_id, now)
    except SignInExpired:
        return "expired"
    except SchoolNotServed:
        return "not_served"
    school = schools.get_school(chosen) if chosen == school_id else None
    if school is None or not statements.serves(school):
        return "not_served"
    return request, school


def _or_try_again(school_id: str, step: Callable[[], Outcome]) -> Outcome:
    """The step's outcome; the sign-in page's "riprova" when AWS or the federation
    did not answer (the register's request still stands: nothing was answered)."""
    try:
        return step()
    except FederationUnreachable as unreachable:
        logger.warning("federation unreachable", extra={"reason": str(unreachable)})
        return _page(school_id, "federation_unreachable")
    except faults.AWS_FAILURES as error:
        if not faults.is_transient(error):
            raise
        logger.warning("AWS dependency failed", extra={"error": faults.error_code(error)})
        return _page(school_id, "busy")


def providers_listed(now: float) -> list[dict[str, object]]:
    """The providers the sign-in page offers (FederationUnreachable when the anchor does not answer)."""
    try:
        return providers.listed(fetching.fetch, now)
    except ChainRefused as refused:
        logger.error("no providers: the anchor's list is refused", extra={"reason": refused.reason})
        return []


def start(school_id: str, request_id: str, provider_id: str, now: float) -> Outcome:
    return _or_try_again(school_id, lambda: _start(school_id, request_id, provider_id, now))


def come_back(school_id: str, params: dict[str, str], now: float, held: str | None = None) -> Outcome:
    return _or_try_again(school_id, lambda: _come_back(school_id, params, now, held))


def _start(school_id: str, request_id: str, provider_id: str, now: float) -> Outcome:
    found = _school_for(request_id, school_id, now)
    if isinstance(found, str):
        return _page(school_id, found)
    request, school = found
    try:
        provider = providers.provider(fetching.fetch, provider_id, now)
    except ChainRefused as refused:
        logger.warning("provider refused", extra={"provider": provider_id, "reason": refused.reason})
        return _page(school_id, "provider_unknown")
    if provider.profile not in school.policy.sign_in_methods:
        return _page(school_id, "method_not_offered")
    leaf = statements.leaf_id(portal_url(), school.id)
    state, nonce, verifier = tokens.new_token(), tokens.new_token(), tokens.new_token()
    level = school.policy.spid_min_level
    claims = relying_party.request_object(
        leaf, provider.metadata, state, nonce, tokens.pkce_challenge(verifier), level, now
    )
    signed = signing.sign(claims, key_id=settings().relying_party_key_id)
    federation.put_provider_sign_in(
        ProviderSignIn(
            state_sha256=tokens.token_hash(state),
            request_sha256=request.id_sha256,
            school_id=school.id,
            provider=provider.entity_id,
            profile=provider.profile,
            nonce=nonce,
            code_verifier=verifier,
            min_level=level,
            expires_at=int(now) + relying_party.REQUEST_LIFETIME_S,
        )
    )
    count_outcome("spid_cie", f"sent_{provider.profile}")
    location = authorize.with_query(
        provider.metadata["authorization_endpoint"],
        client_id=leaf,
        response_type="code",
        scope="openid",
        code_challenge=claims["code_challenge"],
        code_challenge_method="S256",
        request=signed,
    )
    return Outcome(location)


def _come_back(school_id: str, params: dict[str, str], now: float, held: str | None) -> Outcome:
    state = params.get("state", "")
    sent = federation.take_provider_sign_in(tokens.token_hash(state), now) if state else None
    if sent is None or sent.school_id != school_id:
        return _page(school_id, "expired")  # no state, a replay, or too late
    if "error" in params:
        logger.info("provider said no", extra={"provider": sent.provider, "error": params.get("error")})
        return _page(school_id, "cancelled" if _cancelled(params) else "provider_error")
    if not params.get("code"):
        logger.warning("no code from the provider", extra={"provider": sent.provider})
        return _page(school_id, "provider_error")
    try:
        provider = providers.provider(fetching.fetch, sent.provider, now)
        fiscal_number, level = _identity(sent, provider.metadata, params["code"], now)
    except ChainRefused as refused:
        logger.warning("provider refused", extra={"provider": sent.provider, "reason": refused.reason})
        return _page(school_id, "provider_error")
    except IdentityRefused as refused:
        logger.warning("identity refused", extra={"provider": sent.provider, "reason": refused.reason})
        return _page(school_id, refused.outcome)
    request = grants.get_request(sent.request_sha256, now)
    if request is None:
        return _page(school_id, "expired")
    return _link(sent, request, fiscal_number, level, now, held)


def _cancelled(params: dict[str, str]) -> bool:
    """The parent said no at the provider (rather than the provider refusing the request):
    `access_denied`, or spid-cie-oidc's "rejected by user"."""
    said = params.get("error_description", "").lower()
    return params.get("error") == "access_denied" or "rejected by user" in said


def _identity(sent: ProviderSignIn, provider: dict[str, object], code: str, now: float) -> tuple[str, str]:
    """The codice fiscale the provider vouches for and the level it signed the person in at,
    after the code's exchange and every check."""
    leaf = statements.leaf_id(portal_url(), sent.school_id)
    token_endpoint = str(provider["token_endpoint"])
    assertion = signing.sign(
        relying_party.client_assertion(leaf, token_endpoint, now), key_id=settings().relying_party_key_id
    )
    status, body = fetching.call(
        token_endpoint,
        form={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": f"{leaf}/callback",
            "client_id": leaf,
            "client_assertion_type": relying_party.ASSERTION_TYPE,
            "client_assertion": assertion,
            "code_verifier": sent.code_verifier,
        },
        accept="application/json",
    )
    try:
        answer = json.loads(body) if status == 200 else {}
    except ValueError:
        answer = {}
    if not isinstance(answer, dict) or not answer.get("id_token") or not answer.get("access_token"):
        raise IdentityRefused("provider_error", f"the token endpoint answered {status} without tokens")
    claims = relying_party.id_token_claims(
        str(answer["id_token"]), dict(provider), leaf, sent.nonce, sent.min_level, now
    )
    status, body = fetching.call(str(provider["userinfo_endpoint"]), bearer=str(answer["access_token"]))
    if status != 200:
        raise IdentityRefused("provider_error", f"userinfo answered {status}")
    current = settings()
    try:
        signed = encryption.opened(
            body.decode("utf-8", "replace"),
            current.relying_party_encryption_key_id,
            signing.encryption_key(current.relying_party_encryption_key_id),
        )
    except encryption.NotOpened as unopened:
        raise IdentityRefused(
            "provider_error", f"userinfo is not encrypted to the leaf: {unopened}"
        ) from None
    userinfo = relying_party.userinfo_claims(signed, dict(provider), str(claims["sub"]))
    return relying_party.fiscal_number(userinfo), str(claims["acr"])


def _link(
    sent: ProviderSignIn,
    request: AuthorizationRequest,
    fiscal_number: str,
    level: str,
    now: float,
    held: str | None,
) -> Outcome:
    school_id = sent.school_id
    try:
        canonical = codice_fiscale.canonical(fiscal_number)
    except ValueError:
        return _page(school_id, "provider_error")
    school, person = people.get_school_and_person(school_id, canonical)
    if school is None or not school.enabled:
        return _page(school_id, "not_served")
    if person is None:
        return _page(school_id, "not_in_anagrafica")
    if not school.admits_to_registers(person.role):
        return _page(school_id, "student_primo_ciclo")
    if person.status is AccountStatus.DISABLED:
        return _page(school_id, "account_disabled")
    return _signed_in(sent, request, school, person, level, now, held)


def _signed_in(
    sent: ProviderSignIn,
    request: AuthorizationRequest,
    school: School,
    person: Person,
    level: str,
    now: float,
    held: str | None,
) -> Outcome:
    """`held`: the browser's session cookie (the same person's session is signed in again)."""
    signed_in = entry.signed_in(school.id, person.codice_fiscale, level, (sent.profile,), now)
    first_time = person.status is not AccountStatus.ACTIVE
    user_code = person.user_code or new_user_code()
    for _draw in range(USER_CODE_DRAWS):
        done = authorize.answered(request, signed_in, now, held)
        parts: dict[str, Part] = {
            "account": accounts.signed_in_by_identity(person, user_code, sent.profile, int(now)),
            **numbered("grant", done.parts),
            "audit": audit.entry(
                school.id,
                person.codice_fiscale,
                "identity_linked" if first_time else "signed_in",
                "self",
                "done",
                school.policy.audit_retention_days,
                now,
                via=sent.profile,
                provider=sent.provider,
                client=request.client_id,
                acr=signed_in.acr,
            ),
        }
        if user_code != person.user_code:
            parts["user code"] = accounts.reserve_user_code(
                school.id, person.codice_fiscale, user_code, int(now)
            )
        try:
            transact(parts)
        except Refused as refused:
            if "user code" in refused and first_time:
                user_code = new_user_code()
                continue
            return _page(school.id, "expired")  # the request answered, or the account changed, meanwhile
        break
    else:
        raise RuntimeError("no free user code after several draws")
    logger.info("signed in", extra={"school": school.id, "via": sent.profile, "first_time": first_time})
    count_outcome("spid_cie", f"signed_in_{sent.profile}")
    return Outcome(done.redirect, done.session_cookie)
