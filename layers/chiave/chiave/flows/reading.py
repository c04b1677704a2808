"""A flow read from its link's token, refused unless still usable: what
every flow a link opens starts with (confirm, status, the SMS code)."""

from __future__ import annotations

from chiave import store
from chiave.credentials import tokens
from chiave.domain import Challenge, Flow
from chiave.errors import TokenExpired, TokenInvalid, TokenUsed


def load_flow(token: str) -> Flow:
    if not tokens.is_well_formed(token):
        raise TokenInvalid()
    flow = store.get_flow(tokens.token_hash(token))
    if flow is None:
        raise TokenInvalid()
    return flow


def check_open(flow: Flow, now: float) -> None:
    """Refuse a link that is no longer usable.

    Expiry is checked here on every read: TTL deletes items up to two days
    late, and moto (like DynamoDB) keeps expired items until then."""
    if flow.used_at is not None:
        raise TokenUsed()
    if flow.is_expired(now):
        raise TokenExpired()


def load_open_flow(token: str, now: float) -> Flow:
    """The flow a token stands for, refused unless it is still usable."""
    flow = load_flow(token)
    check_open(flow, now)
    return flow


def load_flow_and_code(token: str) -> tuple[Flow, Challenge | None]:
    if not tokens.is_well_formed(token):
        raise TokenInvalid()
    flow, challenge = store.get_flow_and_challenge(tokens.token_hash(token))
    if flow is None:
        raise TokenInvalid()
    return flow, challenge
