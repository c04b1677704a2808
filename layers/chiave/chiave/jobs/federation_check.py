"""The federation check, every hour: how long Chiave's place in the SPID/CIE
federation still holds, as metrics the alarms watch (docs/RUNBOOK.md):

- `federation.superior_seconds_left`: until the trust anchor's statement
  about the intermediate expires (0: the anchor does not vouch for it);
- `federation.trust_mark_seconds_left`: until the first of the schools'
  trust marks, or of the intermediate's own, expires;
- `federation.reachable`: 1, or 0 when the trust anchor did not answer.

It reads and fetches; it writes nothing."""

from __future__ import annotations

from typing import Any

from chiave.federation import fetching, publication, statements, trust_chain
from chiave.runtime.observability import gauge_seconds, logger, metrics
from chiave.runtime.settings import portal_url, settings
from chiave.store import schools

SUPERIOR_LEFT = "federation.superior_seconds_left"
TRUST_MARK_LEFT = "federation.trust_mark_seconds_left"
REACHABLE = "federation.reachable"


def _trust_marks_left(now: float) -> float | None:
    """Seconds until the first trust mark of any leaf, or of the intermediate, expires; None if
    none expires."""
    marks = [
        *(
            mark
            for school in schools.all_schools()
            if statements.serves(school)
            for mark in school.trust_marks
        ),
        *publication.intermediate_trust_marks(),  # expired ones too: the alarm says so
    ]
    ends = [
        claims["exp"]
        for mark in marks
        if (claims := statements.trust_mark_claims(mark.trust_mark)) and isinstance(claims.get("exp"), int)
    ]
    return min(ends) - now if ends else None


def _superior_left(fetch: trust_chain.Fetch, now: float) -> float:
    """Seconds until the trust anchor's statement about the intermediate expires; 0 if none."""
    anchor = settings().trust_anchor
    superior = trust_chain.configuration(fetch, anchor, now)
    subject = statements.intermediate_id(portal_url())
    about = trust_chain.subordinate_statement(fetch, superior, superior.claims["jwks"], subject, now)
    return float(about.claims["exp"]) - now


def run(now: float, fetch: trust_chain.Fetch = fetching.fetch) -> dict[str, Any]:
    report: dict[str, Any] = {}
    marks_left = _trust_marks_left(now)
    if marks_left is not None:
        gauge_seconds(TRUST_MARK_LEFT, max(marks_left, 0))
        report["trust_mark_seconds_left"] = marks_left
    superior_left: float | None = None
    reachable = 1
    try:
        superior_left = _superior_left(fetch, now)
    except trust_chain.FederationUnreachable as unreachable:
        logger.warning("federation check: the anchor did not answer", extra={"reason": str(unreachable)})
        reachable = 0
    except trust_chain.ChainRefused as refused:
        logger.warning("federation check: not vouched for", extra={"reason": refused.reason})
        superior_left = 0.0
    metrics.add_metric(name=REACHABLE, unit="Count", value=reachable)
    report["reachable"] = bool(reachable)
    if superior_left is not None:
        gauge_seconds(SUPERIOR_LEFT, max(superior_left, 0))
        report["superior_seconds_left"] = superior_left
    return report
