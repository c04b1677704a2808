"""What a flow starts with, refused unless usable: the flow its link's token
stands for (confirm, status, the SMS code), or the school it names."""

from __future__ import annotations

from chiave.credentials import tokens
from chiave.domain import Challenge, Flow, School
from chiave.errors import SchoolClosed, SchoolNotFound, TokenExpired, TokenInvalid, TokenUsed
from chiave.store import flows


def school_served(school: School | None) -> School:
    """The school a request names, while the deployment serves it: a
    disabled one answers that the service is closed (its data stays)."""
    if school is None:
        raise SchoolNotFound()
    if not school.enabled:
        raise SchoolClosed()
    return school


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
