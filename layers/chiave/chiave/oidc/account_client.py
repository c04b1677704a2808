"""The account area (/profilo) as Chiave's own client of the sign-in.

To sign in to the account area, or to sign in again before a sensitive
change, the page goes through the same sign-in as a register (/accedi: the
password under its lockout and the school's second factor, SPID, CIE, a
temporary code), with an authorization request of this client: PKCE S256,
its verifier kept in the browser (an HttpOnly cookie), the code returned to
`/v1/account/return` and taken there once. It is built in, not registered:
it serves whichever school the person signs in to, and answers only to
Chiave's own return address."""

from __future__ import annotations

from chiave.credentials import tokens
from chiave.domain import AuthorizationRequest, Client
from chiave.oidc.authorize import REQUEST_LIFETIME_S, sign_in_page
from chiave.runtime.settings import portal_url

CLIENT_ID = "chiave-profilo"
NAME = "Il tuo profilo Chiave"


def return_uri() -> str:
    return f"{portal_url().rstrip('/')}/v1/account/return"


def client(school_id: str) -> Client:
    """The account area as the sign-in sees it, for the school the person signs in to."""
    return Client(
        id=CLIENT_ID, name=NAME, schools=(school_id,), redirect_uris=(return_uri(),), scopes=("openid",)
    )


def sign_in(school_id: str | None, now: float) -> tuple[str, str]:
    """A sign-in for the account area (at `school_id`, or the school the person
    chooses): where the browser goes (/accedi), and the PKCE verifier it keeps."""
    verifier = tokens.new_token()
    request = AuthorizationRequest(
        id_sha256="",
        client_id=CLIENT_ID,
        redirect_uri=return_uri(),
        scopes=("openid",),
        state=None,
        nonce=None,
        code_challenge=tokens.pkce_challenge(verifier),
        school_id=school_id,
        acr_values=(),
        login_hint=None,
        expires_at=int(now) + REQUEST_LIFETIME_S,
    )
    return sign_in_page(request), verifier
