"""The federation's statements, signed: read the school and the keys, build
the claims (chiave.federation.statements), sign them in KMS with the
federation key (one Sign each; KMS signs the digest, chiave.oidc.signing)."""

from __future__ import annotations

import json
from typing import Any

from chiave.domain import TrustMark
from chiave.federation import statements
from chiave.oidc import signing
from chiave.runtime.observability import logger
from chiave.runtime.settings import portal_url, settings
from chiave.store import schools

ORGANIZATION = "Chiave"


def _jwks(*keys: Any) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False) for key in keys]}


def federation_jwks() -> dict[str, Any]:
    """The federation keys: the one that signs, and the next one, published before it signs."""
    current = settings()
    ids = [key_id for key_id in (current.federation_key_id, current.next_federation_key_id) if key_id]
    return _jwks(*(signing.public_key(key_id) for key_id in ids))


def relying_party_jwks() -> dict[str, Any]:
    """The leaves' keys as relying parties: one to sign, one providers encrypt to."""
    current = settings()
    return _jwks(
        signing.public_key(current.relying_party_key_id),
        signing.encryption_key(current.relying_party_encryption_key_id),
    )


def _signed(claims: dict[str, Any]) -> str:
    return signing.sign(claims, key_id=settings().federation_key_id, typ=statements.STATEMENT_TYPE)


def intermediate_trust_marks(now: float | None = None) -> list[TrustMark]:
    """The intermediate's own trust marks (INTERMEDIATE_TRUST_MARKS) that are about it and of
    the type they say, and alive at `now` (None: expired ones too, for the check that alarms on
    them); any other is left out and logged (an operator's mistake)."""
    try:
        configured = json.loads(settings().intermediate_trust_marks or "[]")
    except ValueError:
        configured = None
    if not isinstance(configured, list):
        logger.error("INTERMEDIATE_TRUST_MARKS is not a JSON list: no trust mark published")
        return []
    subject = statements.intermediate_id(portal_url())
    marks = []
    for entry in configured:
        if not isinstance(entry, dict):
            logger.error("an intermediate trust mark left out", extra={"reason": "not a JSON object"})
            continue
        mark = TrustMark(str(entry.get("trust_mark_type", "")), str(entry.get("trust_mark", "")))
        problem = statements.trust_mark_problem_for(subject, mark, 0 if now is None else now)
        if problem is None:
            marks.append(mark)
        else:
            logger.error("an intermediate trust mark left out", extra={"reason": problem})
    return marks


def intermediate_configuration(now: float) -> str:
    marks = statements.published_marks(intermediate_trust_marks(now))
    claims = statements.intermediate_configuration(
        portal_url(), ORGANIZATION, settings().trust_anchor, federation_jwks(), marks, now
    )
    return _signed(claims)


def leaf_configuration(school_id: str, now: float) -> str | None:
    """A school's Entity Configuration; None if the school is no leaf."""
    school = schools.get_school(school_id)
    if school is None or not statements.serves(school):
        return None
    claims = statements.leaf_configuration(portal_url(), school, federation_jwks(), relying_party_jwks(), now)
    return _signed(claims)


def subordinate_statement(subject: str, now: float) -> str | None:
    """The intermediate's statement about one of its leaves; None for any other entity."""
    school_id = statements.school_of(portal_url(), subject)
    school = schools.get_school(school_id) if school_id else None
    if school is None or not statements.serves(school):
        return None
    return _signed(statements.subordinate_statement(portal_url(), school.id, federation_jwks(), now))


def leaves() -> list[str]:
    """The entity ids of every school the intermediate answers for."""
    origin = portal_url()
    return [
        statements.leaf_id(origin, school.id) for school in schools.all_schools() if statements.serves(school)
    ]
