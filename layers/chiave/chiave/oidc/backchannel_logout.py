"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0): when a
session ends (the person signs out, the account area's "esci da tutti i
dispositivi", the console's disable, revoke or erase), every register it
signed into that registered a `backchannel_logout_uri` is told, with a
logout token naming the session (`sid`) posted to that address.

The logouts are queued on LogoutQueue *before* the commit that ends the
sessions, each naming that commit (the outbox's invariant, docs/OUTBOX.md):
`deliver` posts a logout only once its commit landed, so a session that
did not end is never announced as ended. A register that does not answer
2xx is tried again by the queue (then its dead-letter queue)."""

from __future__ import annotations

import secrets
import time

from chiave.notify import outbox
from chiave.oidc import account_client, discovery, signing
from chiave.runtime.aws import send_all
from chiave.runtime.observability import count_outcome, logger
from chiave.runtime.settings import settings
from chiave.store import clients

EVENT = "http://schemas.openid.net/event/backchannel-logout"
TOKEN_LIFETIME_S = 120
TIMEOUT_S = 5.0


class Logout(outbox.Announcement):
    """One register to tell that one session ended."""

    client_id: str
    sid: str


class LogoutNotDelivered(Exception):
    """The register did not take the logout token (retried by the queue)."""


def announce(logouts: list[tuple[str, str]], commit_id: str | None = None) -> str | None:
    """Queue one message per (client, sid), all naming one commit (`commit_id`,
    a notice's, or a new one); the id, for the commit that ends the sessions
    (None: nothing to tell, nothing queued)."""
    # The account area is Chiave's own: nobody to tell.
    logouts = [(client, sid) for client, sid in logouts if client != account_client.CLIENT_ID]
    if not logouts:
        return commit_id
    commit_id, commit_by = commit_id or outbox.new_id(), outbox.commit_deadline()
    correlation_id = logger.get_correlation_id()
    messages = [
        Logout(commit_id=commit_id, commit_by=commit_by, correlation_id=correlation_id, client_id=c, sid=s)
        for c, s in sorted(set(logouts))
    ]
    send_all(settings().logout_queue_url, [message.model_dump_json() for message in messages])
    return commit_id


def parse(body: str) -> Logout:
    return outbox.read(Logout, body, "a logout")


def logout_token(client_id: str, sid: str, now: float) -> str:
    """The logout token (§2.4): signed by the sign-in's key, typed `logout+jwt`, never a nonce."""
    claims = {
        "iss": discovery.issuer(),
        "aud": client_id,
        "iat": int(now),
        "exp": int(now) + TOKEN_LIFETIME_S,
        "jti": secrets.token_urlsafe(16),
        "sid": sid,
        "events": {EVENT: {}},
    }
    return signing.sign(claims, typ="logout+jwt")


def deliver(message: Logout, receipt_handle: str, receive_count: int) -> str:
    """Post one logout once its commit landed; returns what happened."""
    if not outbox.committed(
        message, receipt_handle, receive_count, settings().logout_queue_url, "backchannel_logout"
    ):
        return "abandoned"
    client = clients.get_client(message.client_id)
    if client is None or not client.enabled or not client.backchannel_logout_uri:
        count_outcome("backchannel_logout", "not_asked")
        return "not_asked"
    from chiave.federation.fetching import call
    from chiave.federation.trust_chain import ChainRefused, FederationUnreachable

    token = logout_token(client.id, message.sid, time.time())
    try:
        status, _ = call(client.backchannel_logout_uri, form={"logout_token": token}, accept="*/*")
    except (FederationUnreachable, ChainRefused) as error:
        count_outcome("backchannel_logout", "unreachable")
        raise LogoutNotDelivered(f"{client.id}: {type(error).__name__}") from None
    if not 200 <= status < 300:
        count_outcome("backchannel_logout", "refused")
        raise LogoutNotDelivered(f"{client.id}: answered {status}")
    logger.info("register told of a logout", extra={"client": client.id})
    count_outcome("backchannel_logout", "delivered")
    return "delivered"
