"""authorize (OpenID Connect Core §3.1.2): a register sends the person here.

The client and its redirect URI are checked first, exactly: an unknown
client or a redirect URI it did not register gets an error page, never a
redirect (RFC 9700 §4.1). Every later error goes back to the register with
`error`, its `state` and our `iss` (RFC 9207). The code flow only, PKCE S256
for every client. A browser with a session that fits (its school one of the
client's, `max_age`, `prompt`, the session an `id_token_hint` names) gets its
code at once; `prompt=none` without one gets `login_required`; anyone else
is kept waiting at /accedi while the request is kept (ten minutes)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import urlencode, urlsplit, urlunsplit

from chiave.credentials import tokens
from chiave.domain import AuthorizationCode, AuthorizationRequest, Client, SignedIn
from chiave.oidc import discovery, signing
from chiave.runtime import faults
from chiave.runtime.observability import count_outcome
from chiave.runtime.settings import portal_url
from chiave.store import clients, grants
from chiave.store.table import Part, Refused, transact

REQUEST_LIFETIME_S = 600
CODE_LIFETIME_S = 60
# The browser's session. Absolute: a school day, long enough to move between
# registers, short enough that a shared family device does not stay signed in
# for days. Idle: half an hour unused (no register asked for it) and it ends.
SESSION_LIFETIME_S = 8 * 3600
SESSION_IDLE_S = 30 * 60
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # BASE64URL(SHA-256(verifier)), RFC 7636 §4.2
SCHOOL_CODE = re.compile(r"^[A-Z]{4}[A-Z0-9]{6}$")


@dataclass(frozen=True)
class Redirect:
    location: str


@dataclass(frozen=True)
class ErrorPage:
    """Shown to the person, never sent to a redirect URI nobody registered."""

    error: str
    description_it: str
    description_en: str


def with_query(uri: str, **values: str | None) -> str:
    parts = urlsplit(uri)
    added = urlencode({name: value for name, value in values.items() if value is not None})
    query = f"{parts.query}&{added}" if parts.query else added
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _school_of(params: dict[str, str], client: Client) -> str | None:
    """The school the request names (`school`, or a `login_hint` of `school:CODE`),
    or the client's only one."""
    hinted = params.get("login_hint", "")
    named = params.get("school") or (hinted[len("school:") :] if hinted.startswith("school:") else None)
    if named:
        return named.upper()
    return client.schools[0] if len(client.schools) == 1 else None


def authorize(params: dict[str, str], session_cookie: str | None, now: float) -> Redirect | ErrorPage:
    client = clients.get_client(params["client_id"]) if params.get("client_id") else None
    if client is None or not client.enabled:
        count_outcome("authorize", "unknown_client")
        return ErrorPage(
            "invalid_client",
            "Il registro che ti ha mandato qui non è registrato presso Chiave. Torna al registro e "
            "avvisa la scuola.",
            "The register that sent you here is not registered with Chiave. Go back and tell the school.",
        )
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:
        count_outcome("authorize", "unknown_redirect_uri")
        return ErrorPage(
            "invalid_request",
            "Il registro ha chiesto di tornare a un indirizzo che non ha registrato. Torna al registro e "
            "avvisa la scuola.",
            "The register asked to return to an address it did not register. Go back and tell the school.",
        )
    state = params.get("state")

    def refused(error: str, description: str) -> Redirect:
        count_outcome("authorize", f"error_{error}")
        return Redirect(
            with_query(
                redirect_uri, error=error, error_description=description, state=state, iss=discovery.issuer()
            )
        )

    if "request" in params:
        return refused("request_not_supported", "request objects are not supported")
    if "request_uri" in params:
        return refused("request_uri_not_supported", "request_uri is not supported")
    if not params.get("response_type"):
        return refused("invalid_request", "response_type is missing")
    if params["response_type"] != "code":
        return refused("unsupported_response_type", "only the code flow (response_type=code)")
    scopes = tuple(params.get("scope", "").split())
    if "openid" not in scopes:
        return refused("invalid_scope", "the openid scope is required")
    if not set(scopes) <= set(client.scopes):
        return refused("invalid_scope", "a scope this client is not allowed")
    challenge = params.get("code_challenge", "")
    if params.get("code_challenge_method") != "S256" or not _CHALLENGE.match(challenge):
        return refused("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256")
    prompt = set(params.get("prompt", "").split())
    if "none" in prompt and len(prompt) > 1:
        return refused("invalid_request", "prompt=none goes with no other value")
    max_age = params.get("max_age")
    if max_age is not None and not max_age.isdigit():
        return refused("invalid_request", "max_age is a number of seconds")
    school_id = _school_of(params, client)
    if school_id is not None and (not SCHOOL_CODE.match(school_id) or school_id not in client.schools):
        return refused("access_denied", "this client does not serve that school")
    request = AuthorizationRequest(
        id_sha256="",
        client_id=client.id,
        redirect_uri=redirect_uri,
        scopes=scopes,
        state=state,
        nonce=params.get("nonce"),
        code_challenge=challenge,
        school_id=school_id,
        acr_values=tuple(params.get("acr_values", "").split()),
        login_hint=params.get("login_hint"),
        expires_at=int(now) + REQUEST_LIFETIME_S,
    )
    try:
        return _answer(
            request, client, session_cookie, prompt, max_age, params.get("id_token_hint"), refused, now
        )
    except faults.AWS_FAILURES as error:
        if not faults.is_transient(error):
            raise
        # The register is told to try again (its redirect URI is known by now).
        return refused("temporarily_unavailable", "the service is busy: try again in a few seconds")


def _answer(
    request: AuthorizationRequest,
    client: Client,
    session_cookie: str | None,
    prompt: set[str],
    max_age: str | None,
    hint: str | None,
    refused: Callable[[str, str], Redirect],
    now: float,
) -> Redirect:
    hinted_session = None
    if hint is not None:
        # oidcc-id-token-hint: the person the register last signed in, by the session it named
        claims = signing.issued_id_token(hint, discovery.issuer())
        if claims is None or claims["aud"] != client.id:
            return refused("invalid_request", "id_token_hint is not an ID token issued to this client")
        hinted_session = claims.get("sid")
    if session_cookie and "login" not in prompt:
        signed_in = grants.get_session(tokens.token_hash(session_cookie), now)
        if (
            signed_in is not None
            and _fits(signed_in, request, client, max_age, now)
            and hinted_session in (None, signed_in.session_id)
        ):
            code, part = grant_code(request, signed_in, now)
            used = grants.session_used(
                tokens.token_hash(session_cookie), int(now) + SESSION_IDLE_S, client.id, now
            )
            try:
                transact({"code": part, "session": used})
            except Refused:
                pass  # the session ended meanwhile (signed out, idle): as if there were none
            else:
                count_outcome("authorize", "signed_in_already")
                return Redirect(callback(request, code))
    if "none" in prompt:
        return refused("login_required", "nobody is signed in here")
    count_outcome("authorize", "sign_in_asked")
    return Redirect(sign_in_page(request))


def sign_in_page(request: AuthorizationRequest) -> str:
    """The request kept while the person signs in (ten minutes), and where they do: /accedi."""
    request_id = tokens.new_token()
    grants.put_request(replace(request, id_sha256=tokens.token_hash(request_id)))
    accedi = f"{portal_url().rstrip('/')}/accedi"
    return with_query(accedi, richiesta=request_id, scuola=request.school_id)


def _fits(
    signed_in: SignedIn, request: AuthorizationRequest, client: Client, max_age: str | None, now: float
) -> bool:
    """A session stands for this request: one of the client's schools (the
    one asked, if any), signed in recently enough, as strongly as asked."""
    if signed_in.school_id not in client.schools:
        return False
    if request.school_id is not None and signed_in.school_id != request.school_id:
        return False
    if max_age is not None and now - signed_in.auth_time > int(max_age):
        return False
    return not (request.acr_values and signed_in.acr not in request.acr_values)


def grant_code(request: AuthorizationRequest, signed_in: SignedIn, now: float) -> tuple[str, Part]:
    """A new code for the request and its transaction part."""
    code = tokens.new_token()
    granted = AuthorizationCode(
        code_sha256=tokens.token_hash(code),
        client_id=request.client_id,
        redirect_uri=request.redirect_uri,
        scopes=request.scopes,
        nonce=request.nonce,
        code_challenge=request.code_challenge,
        signed_in=signed_in,
        expires_at=int(now) + CODE_LIFETIME_S,
    )
    return code, grants.put_code(granted)


@dataclass(frozen=True)
class Answered:
    """A request answered for someone just signed in: where the browser goes
    (the register, with the code), its session cookie, and what to write (the
    session, the code, the request answered) in the sign-in's own transaction."""

    redirect: str
    session_cookie: str
    parts: list[Part]


def answered(
    request: AuthorizationRequest, signed_in: SignedIn, now: float, held: str | None = None
) -> Answered:
    """`held`: the session cookie the browser sent. When it is a live session of
    the same person, that session is signed in again (a fresh authentication:
    `auth_time`, `acr`, `amr`; its sid and cookie kept, so the registers it
    signed into still know it); otherwise the browser gets a new session."""
    current = (
        grants.get_live_session(tokens.token_hash(held), now)
        if held and tokens.is_well_formed(held)
        else None
    )
    expires_at, idle_until = int(now) + SESSION_LIFETIME_S, int(now) + SESSION_IDLE_S
    person = (signed_in.school_id, signed_in.codice_fiscale)
    if held and current and (current.signed_in.school_id, current.signed_in.codice_fiscale) == person:
        cookie, signed_in = held, replace(signed_in, session_id=current.signed_in.session_id)
        session = grants.session_signed_in_again(
            current.key, signed_in, expires_at, idle_until, request.client_id, now
        )
    else:
        cookie = tokens.new_token()
        session = grants.put_session(
            tokens.token_hash(cookie), signed_in, expires_at, idle_until, client_id=request.client_id
        )
    code, code_part = grant_code(request, signed_in, now)
    return Answered(
        callback(request, code), cookie, [session, code_part, grants.request_answered(request, now)]
    )


def callback(request: AuthorizationRequest, code: str) -> str:
    """Where the browser takes the code: the register's own redirect URI, as registered."""
    return with_query(request.redirect_uri, code=code, state=request.state, iss=discovery.issuer())
