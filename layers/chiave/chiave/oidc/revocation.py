"""revocation (RFC 7009): a register's backend says a token is no longer
needed (its user signed out of the register). A refresh token revokes its
whole family (every access and refresh token of that sign-in); an access
token stops working at once. The answer is the same 200 whether the token
was known or not (§2.2): only the client's own tokens are touched."""

from __future__ import annotations

from chiave.credentials import tokens
from chiave.domain import Client
from chiave.oidc.http import OAuthError
from chiave.runtime.observability import count_outcome
from chiave.store import grants


def revoke(client: Client, params: dict[str, str], now: float) -> None:
    raw = params.get("token", "")
    if not raw:
        raise OAuthError("invalid_request", "token is missing")
    if not tokens.is_well_formed(raw):
        count_outcome("revocation", "unknown")
        return
    digest = tokens.token_hash(raw)
    # The hint orders the lookups only (§2.1): either kind is found.
    kinds = ["access_token", "refresh_token"]
    if params.get("token_type_hint") != "access_token":
        kinds.reverse()
    for kind in kinds:
        if kind == "refresh_token":
            held = grants.get_refresh_token(digest)
            if held is not None and held["client_id"] == client.id:
                grants.revoke_family(held["family"])
                count_outcome("revocation", "refresh_token")
                return
        else:
            access = grants.get_access_token(digest, now)
            if access is not None and access["client_id"] == client.id:
                grants.delete_access_token(digest)
                count_outcome("revocation", "access_token")
                return
    count_outcome("revocation", "unknown")
