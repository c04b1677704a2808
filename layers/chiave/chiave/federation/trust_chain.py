"""Trust chains (OpenID Federation 1.0 §10): why Chiave may trust a SPID or
CIE provider. From the provider's Entity Configuration up its
`authority_hints` to the trust anchor, each superior's subordinate statement
(from its fetch endpoint) vouches for the keys of the entity below; the
anchor's own keys are pinned (configured, never learnt from the network).
Then the chain's metadata policies are combined and applied to the
provider's metadata, its trust marks checked, and the chain lasts until its
earliest expiry.

Plain functions over what `fetch` returns (chiave.federation.fetching over
HTTP; tests give their own federation). joserfc reads the JOSE grammar and
checks signatures: RS256, PS256 and ES256 only, never `none` or a MAC."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from chiave.federation import policy, statements
from chiave.federation.statements import WELL_KNOWN

ALGORITHMS = ["RS256", "PS256", "ES256"]
MAX_DEPTH = 4  # provider, intermediates, anchor: SPID's chains are two or three long
Fetch = Callable[[str], bytes]


class ChainRefused(Exception):
    """The provider cannot be trusted; `reason` says why, for the logs and the page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FederationUnreachable(Exception):
    """A federation's server did not answer in time, or answered 5xx: try again later."""


@dataclass(frozen=True)
class Anchor:
    entity_id: str
    jwks: dict[str, Any]  # pinned: the anchor's keys as its operator publishes them


@dataclass(frozen=True)
class TrustChain:
    subject: str
    entity_type: str  # openid_provider
    metadata: dict[str, Any]  # as the chain's policies make it
    trust_marks: tuple[str, ...]  # the types of the trust marks that held
    expires_at: int  # the earliest expiry of any statement or trust mark it rests on
    statements: tuple[str, ...]  # leaf's configuration, then each superior's statement


@dataclass(frozen=True)
class _Statement:
    token: str
    claims: dict[str, Any]


def _read(token: str) -> _Statement:
    """A statement's claims, not yet trusted: its grammar, algorithm and type checked."""
    written = statements.as_written(token)
    if written is None:
        raise ChainRefused("an answer that is not a signed statement")
    header, claims = written
    if header.get("alg") not in ALGORITHMS:
        raise ChainRefused(f"a statement signed with {header.get('alg')!r}")
    return _Statement(token.strip(), claims)


def _verify(statement: _Statement, jwks: Any, who: str) -> None:
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    try:
        jwt.decode(statement.token, KeySet.import_key_set(jwks), algorithms=ALGORITHMS)
    except (JoseError, ValueError, TypeError, KeyError):
        raise ChainRefused(f"{who}: the signature does not verify with the keys vouched for") from None


def _alive(claims: dict[str, Any], now: float, what: str) -> None:
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
        raise ChainRefused(f"{what} has expired")


def _get(fetch: Fetch, url: str) -> _Statement:
    try:
        body = fetch(url).decode("utf-8")
    except UnicodeDecodeError:
        raise ChainRefused(f"{url}: not a statement") from None
    return _read(body)


def configuration(fetch: Fetch, entity_id: str, now: float) -> _Statement:
    """An entity's own configuration: about itself, signed with the keys it names, alive."""
    statement = _get(fetch, entity_id.rstrip("/") + WELL_KNOWN)
    claims = statement.claims
    if claims.get("iss") != entity_id or claims.get("sub") != entity_id:
        raise ChainRefused(f"{entity_id}: a configuration about another entity")
    _verify(statement, claims.get("jwks"), entity_id)
    _alive(claims, now, f"{entity_id}'s configuration")
    return statement


def subordinate_statement(
    fetch: Fetch, superior: _Statement, keys: Any, subject: str, now: float
) -> _Statement:
    """What `superior` (its configuration, trusted with `keys`) says of `subject`,
    from its fetch endpoint: signed by it, about that subject, alive."""
    issuer = superior.claims["sub"]
    entity = superior.claims.get("metadata", {}).get("federation_entity", {})
    endpoint = entity.get("federation_fetch_endpoint")
    if not endpoint:
        raise ChainRefused(f"{issuer} has no fetch endpoint")
    about = _get(fetch, f"{endpoint}?sub={quote(subject, safe='')}")
    _verify(about, keys, issuer)
    if about.claims.get("iss") != issuer or about.claims.get("sub") != subject:
        raise ChainRefused(f"{issuer}: a statement about another entity")
    _alive(about.claims, now, f"{issuer}'s statement about {subject}")
    return about


def _up(
    fetch: Fetch, entity: _Statement, anchor: Anchor, now: float, depth: int
) -> tuple[list[_Statement], _Statement]:
    """The superiors' statements from `entity` up to the anchor, and the anchor's configuration."""
    if depth > MAX_DEPTH:
        raise ChainRefused("the chain is longer than any this federation has")
    hints = entity.claims.get("authority_hints") or []
    refusals = []
    for hint in hints:
        try:
            superior = configuration(fetch, hint, now)
            keys = superior.claims["jwks"]
            if hint == anchor.entity_id:
                _verify(superior, anchor.jwks, "the trust anchor")
                keys = anchor.jwks
            about = subordinate_statement(fetch, superior, keys, entity.claims["sub"], now)
            # The superior vouches for the keys the entity signs its configuration with.
            _verify(entity, about.claims.get("jwks"), entity.claims["sub"])
            if hint == anchor.entity_id:
                return [about], superior
            above, anchor_configuration = _up(fetch, superior, anchor, now, depth + 1)
            return [about, *above], anchor_configuration
        except ChainRefused as refused:
            refusals.append(refused.reason)
    raise ChainRefused(
        "no superior leads to the trust anchor" + (f" ({'; '.join(refusals)})" if refusals else "")
    )


def _trust_marks(
    fetch: Fetch,
    leaf: _Statement,
    anchor: Anchor,
    anchor_configuration: _Statement,
    required: tuple[str, ...],
    now: float,
) -> tuple[tuple[str, ...], list[int]]:
    """The types of the leaf's trust marks that hold, and their expiries; refused
    unless one of the required types holds."""
    issuers_of = anchor_configuration.claims.get("trust_mark_issuers") or {}
    held, expiries, refusals = [], [], []
    for entry in leaf.claims.get("trust_marks") or []:
        mark_type = entry.get("trust_mark_type") or entry.get("id")
        try:
            mark = _read(entry.get("trust_mark", ""))
            issuer = str(mark.claims.get("iss"))
            if issuer == anchor.entity_id:
                keys = anchor.jwks
            elif issuer in issuers_of.get(mark_type, []):
                keys = configuration(fetch, issuer, now).claims["jwks"]
            else:
                raise ChainRefused(f"a trust mark from an issuer the anchor does not know ({issuer})")
            _verify(mark, keys, f"the trust mark {mark_type}")
            claimed_type = mark.claims.get("trust_mark_type") or mark.claims.get("id")
            if mark.claims.get("sub") != leaf.claims["sub"] or claimed_type != mark_type:
                raise ChainRefused(f"the trust mark {mark_type} is about another entity or type")
            if "exp" in mark.claims:
                _alive(mark.claims, now, f"the trust mark {mark_type}")
                expiries.append(int(mark.claims["exp"]))
            held.append(mark_type)
        except ChainRefused as refused:
            refusals.append(refused.reason)
    if required and not set(held) & set(required):
        reasons = "; ".join(refusals) or "none shown"
        raise ChainRefused(f"no trust mark of {', '.join(required)} holds ({reasons})")
    return tuple(held), expiries


def resolve(
    fetch: Fetch,
    subject: str,
    anchor: Anchor,
    now: float,
    entity_type: str = "openid_provider",
    required_marks: tuple[str, ...] = (),
) -> TrustChain:
    """The trust chain of `subject` up to `anchor`, or ChainRefused (FederationUnreachable
    when a server of the federation does not answer)."""
    leaf = configuration(fetch, subject, now)
    statements, anchor_configuration = _up(fetch, leaf, anchor, now, depth=1)
    # The anchor's policy first: a superior's word is never loosened below it.
    combined = policy.combine(
        statement.claims.get("metadata_policy") or {} for statement in reversed(statements)
    )
    metadata = dict(leaf.claims.get("metadata", {}).get(entity_type) or {})
    if not metadata:
        raise ChainRefused(f"{subject} is no {entity_type}")
    metadata.update((statements[0].claims.get("metadata") or {}).get(entity_type) or {})
    try:
        metadata = policy.apply(combined.get(entity_type, {}), metadata)
    except policy.PolicyError as broken:
        raise ChainRefused(f"the metadata policy does not hold: {broken}") from None
    marks, mark_expiries = _trust_marks(fetch, leaf, anchor, anchor_configuration, required_marks, now)
    expiries = [leaf.claims["exp"], *(s.claims["exp"] for s in statements), *mark_expiries]
    return TrustChain(
        subject=subject,
        entity_type=entity_type,
        metadata=metadata,
        trust_marks=marks,
        expires_at=min(expiries),
        statements=(leaf.token, *(s.token for s in statements)),
    )
