"""end_session (OpenID Connect RP-Initiated Logout 1.0): a register sends
the person here to sign out of Chiave too.

The browser's session ends (its item deleted, its cookie cleared). With a
valid `id_token_hint` (an ID token Chiave signed, expired or not) it ends at
once; without one, a page asks first, and the form it posts carries the
session cookie only from Chiave's own page (SameSite=Lax), so another site
cannot sign anyone out. The person is sent back only to a
`post_logout_redirect_uri` the client registered, with its `state`; any
other gets an error page, never a redirect. Every other register the
session signed into is told (back-channel logout, chiave.oidc.backchannel_logout)."""

from __future__ import annotations

from dataclasses import dataclass

from chiave.credentials import tokens
from chiave.domain import Client
from chiave.oidc import backchannel_logout, discovery, signing
from chiave.oidc.authorize import ErrorPage, with_query
from chiave.runtime.observability import count_outcome
from chiave.store import clients, grants
from chiave.store.table import commit_or_transact


@dataclass(frozen=True)
class SignedOut:
    """The session ended: where to go (None: Chiave's own page says so)."""

    location: str | None


@dataclass(frozen=True)
class ConfirmFirst:
    """No valid hint: the person confirms on Chiave's page (the same parameters, posted)."""

    params: dict[str, str]


def sign_out(cookie_sha256: str, asking_client: str | None, now: float) -> None:
    """The session ends; every register it signed into but the one asking is told."""
    session = grants.get_live_session(cookie_sha256, now)
    if session is None:
        return
    logouts = [(client, sid) for client, sid in session.logouts if client != asking_client]
    commit_id = backchannel_logout.announce(logouts)
    commit_or_transact({"session": grants.session_ended(session.key)}, commit_id, now)


def _hinted_client(hint: str) -> str | None:
    """The client an ID token Chiave signed was issued to; None if it is not one."""
    claims = signing.issued_id_token(hint, discovery.issuer())
    return None if claims is None else str(claims["aud"])


def end_session(
    params: dict[str, str], session_cookie: str | None, confirmed: bool, now: float
) -> SignedOut | ConfirmFirst | ErrorPage:
    hint = params.get("id_token_hint")
    hinted = _hinted_client(hint) if hint else None
    if hint and hinted is None:
        return ErrorPage(
            "invalid_request",
            "Il registro ha mandato una richiesta di uscita non valida. Chiudi il browser per uscire.",
            "The register sent a sign-out request that is not valid. Close the browser to sign out.",
        )
    client_id = params.get("client_id") or hinted
    if hinted and client_id != hinted:
        client_id = None
    client: Client | None = clients.get_client(client_id) if client_id else None
    back = params.get("post_logout_redirect_uri")
    if back is not None and (client is None or back not in client.post_logout_redirect_uris):
        count_outcome("end_session", "unknown_post_logout_uri")
        return ErrorPage(
            "invalid_request",
            "Il registro ha chiesto di tornare a un indirizzo che non ha registrato. Per uscire, chiudi il "
            "browser e avvisa la scuola.",
            "The register asked to return to an address it did not register. To sign out, close the "
            "browser and tell the school.",
        )
    if hinted is None and not confirmed:
        return ConfirmFirst({name: value for name, value in params.items() if name != "id_token_hint"})
    if session_cookie and tokens.is_well_formed(session_cookie):
        sign_out(tokens.token_hash(session_cookie), client_id, now)
    count_outcome("end_session", "signed_out")
    if back is None:
        return SignedOut(None)
    return SignedOut(with_query(back, state=params.get("state")))
