"""The SPID and CIE providers Chiave trusts: a provider's trust chain, kept
while it lasts (chiave.store.federation), else resolved and kept. A refused
chain is never kept, so the next sign-in tries again."""

from __future__ import annotations

from typing import Any

from chiave.federation.trust_chain import Anchor, Fetch, TrustChain, resolve
from chiave.store import federation


def trusted(fetch: Fetch, subject: str, anchor: Anchor, now: float, **checks: Any) -> TrustChain:
    """`checks`: resolve's `entity_type` and `required_marks`."""
    kept = federation.get_chain(subject, now)
    if kept is not None and kept.entity_type == checks.get("entity_type", "openid_provider"):
        return kept
    chain = resolve(fetch, subject, anchor, now, **checks)
    federation.put_chain(chain)
    return chain
