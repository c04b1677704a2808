"""The SPID and CIE providers Chiave trusts: a provider's trust chain, kept
while it lasts (chiave.store.federation), else resolved and kept. A refused
chain is never kept, so the next sign-in tries again.

Which providers are SPID's and which CIE's is told by their trust marks: the
deployment names the mark types of each (`PROVIDER_TRUST_MARKS`), and the
trust anchor's keys are pinned (`TRUST_ANCHOR_JWKS`), never learnt."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chiave.federation import trust_chain
from chiave.federation.trust_chain import Anchor, ChainRefused, Fetch, TrustChain, resolve
from chiave.runtime.observability import logger
from chiave.runtime.settings import settings
from chiave.store import federation

# The sign-in page's list: read from the anchor at most this often.
LIST_LIFETIME_S = 3600
MAX_PROVIDERS = 40  # SPID has a dozen providers; CIE one


@dataclass(frozen=True)
class Provider:
    entity_id: str
    profile: str  # spid, cie
    metadata: dict[str, Any]  # openid_provider, as its chain's policies make it


def anchor() -> Anchor:
    current = settings()
    try:
        jwks = json.loads(current.trust_anchor_jwks or "{}")
    except ValueError:
        jwks = {}
    return Anchor(current.trust_anchor, jwks)


def mark_types() -> dict[str, list[str]]:
    """The trust mark types that make a provider a SPID one or a CIE one."""
    try:
        configured = json.loads(settings().provider_trust_marks or "{}")
    except ValueError:
        return {}
    return {profile: list(configured.get(profile) or []) for profile in ("spid", "cie")}


def trusted(fetch: Fetch, subject: str, anchor: Anchor, now: float, **checks: Any) -> TrustChain:
    """`checks`: resolve's `entity_type` and `required_marks`."""
    kept = federation.get_chain(subject, now)
    if kept is not None and kept.entity_type == checks.get("entity_type", "openid_provider"):
        return kept
    chain = resolve(fetch, subject, anchor, now, **checks)
    federation.put_chain(chain)
    return chain


def provider(fetch: Fetch, entity_id: str, now: float) -> Provider:
    """A provider Chiave may send a parent to: its chain reaches the anchor and holds a
    SPID or CIE trust mark. ChainRefused (or FederationUnreachable) otherwise."""
    types = mark_types()
    required = tuple(t for profile in ("spid", "cie") for t in types[profile]) if types else ()
    if not required:
        raise ChainRefused("no SPID or CIE trust mark types are configured (PROVIDER_TRUST_MARKS)")
    chain = trusted(fetch, entity_id, anchor(), now, required_marks=required)
    held = set(chain.trust_marks)
    profile = "cie" if held & set(types["cie"]) else "spid"
    return Provider(entity_id, profile, chain.metadata)


def listed(fetch: Fetch, now: float) -> list[dict[str, Any]]:
    """The providers for the sign-in page (id, profile, name, logo), kept an hour:
    the anchor's list of providers, each with a chain that holds."""
    kept = federation.get_provider_list(now)
    if kept is not None:
        return kept
    pinned = anchor()
    if not pinned.jwks.get("keys") or not any(mark_types().values()):
        # No chain could hold: say so in the logs, and offer none (the page says SPID and CIE are out).
        logger.error("no providers: TRUST_ANCHOR_JWKS or PROVIDER_TRUST_MARKS is not configured")
        return []
    configuration = trust_chain.configuration(fetch, pinned.entity_id, now)
    endpoint = (
        configuration.claims.get("metadata", {}).get("federation_entity", {}).get("federation_list_endpoint")
    )
    if not endpoint:
        raise ChainRefused("the trust anchor has no list endpoint")
    try:
        subjects = json.loads(fetch(f"{endpoint}?entity_type=openid_provider"))
    except ValueError:
        raise ChainRefused("the trust anchor's list is not JSON") from None
    if not isinstance(subjects, list):
        raise ChainRefused("the trust anchor's list is not a list")
    entries = []
    for subject in sorted(str(s) for s in subjects)[:MAX_PROVIDERS]:
        try:
            found = provider(fetch, subject, now)
        except ChainRefused as refused:
            logger.warning("provider left out", extra={"provider": subject, "reason": refused.reason})
            continue
        entries.append(
            {
                "id": found.entity_id,
                "profile": found.profile,
                "name": _name_of(found),
                "logo": found.metadata.get("logo_uri"),
            }
        )
    federation.put_provider_list(entries, int(now) + LIST_LIFETIME_S)
    return entries


def _name_of(found: Provider) -> str:
    for field in ("organization_name", "op_name", "client_name"):
        if isinstance(found.metadata.get(field), str) and found.metadata[field]:
            return str(found.metadata[field])
    return found.entity_id
