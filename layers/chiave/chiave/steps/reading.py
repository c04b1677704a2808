"""A flow read from its link's token, refused unless still usable: what
every flow a link opens starts with (confirm, status, the SMS code)."""

from __future__ import annotations

from chiave.credentials import tokens
from chiave.domain import Challenge, Flow
from chiave.errors import TokenExpired, TokenInvalid, TokenUsed
from chiave.store import flows


def flow_key(token: str) -> str:
    """What a token's flow is stored under; a token we could not have issued
    is refused without a lookup."""
    if not tokens.is_well_formed(token):
        raise TokenInvalid()
    return tokens.token_hash(token)


def load_flow_and_code(token: str) -> tuple[Flow, Challenge | None]:
    """The flow a token stands for and its SMS code, in one read."""
    flow, challenge = flows.get_flow_and_challenge(flow_key(token))
    if flow is None:
        raise TokenInvalid()
    return flow, challenge


def load_flow(token: str) -> Flow:
    return load_flow_and_code(token)[0]


def check_open(flow: Flow, now: float) -> None:
    """Refuse a link that is no longer usable.

    Expiry is checked here on every read: TTL deletes items up to two days
    late, and moto (like DynamoDB) keeps expired items until then."""
    if flow.used_at is not None:
        raise TokenUsed()
    if flow.is_expired(now):
        raise TokenExpired()
