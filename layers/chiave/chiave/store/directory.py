"""What the pages know of the schools, published by the configuration
action as static files on the pages' origin, cacheable by anyone:

- `/scuole.json`, the list the school search reads: each enabled school's
  code, name and town, and nothing else;
- `/scuole/{code}.json`, one school's public profile: what its pages name
  (name, town, the register, the privacy notice's controller and DPO), and
  whether its service is closed."""

from __future__ import annotations

import json
from collections.abc import Iterable

from chiave.domain import School
from chiave.runtime.aws import s3
from chiave.runtime.settings import settings

KEY = "scuole.json"
# Browsers and CloudFront may keep it five minutes: a new school shows within that.
CACHE_CONTROL = "public, max-age=300"


def document(schools: Iterable[School]) -> bytes:
    listed = sorted(
        (
            {"code": school.id, "name": school.name, "town": school.town}
            for school in schools
            if school.enabled
        ),
        key=lambda entry: (entry["name"].casefold(), entry["code"]),
    )
    return json.dumps({"schools": listed}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def profile_key(school_id: str) -> str:
    return f"scuole/{school_id}.json"


def profile(school: School) -> bytes:
    contacts = {
        role: {"name": contact.name, "email": contact.email}
        for role, contact in (("controller", school.controller), ("dpo", school.dpo))
        if contact is not None
    }
    document = {
        "code": school.id,
        "name": school.name,
        "town": school.town,
        "register_url": school.register_url,
        "closed": not school.enabled,
        # What the sign-in page offers (SPEC §5): the methods, and a transition's last day.
        "sign_in_methods": list(school.policy.sign_in_methods),
        "passwords_until": school.policy.passwords_until,
        **contacts,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def publish_profile(school: School) -> None:
    s3().put_object(
        Bucket=settings().portal_bucket,
        Key=profile_key(school.id),
        Body=profile(school),
        ContentType="application/json; charset=utf-8",
        CacheControl=CACHE_CONTROL,
    )


def withdraw_profile(school_id: str) -> None:
    """A school that was never configured has no profile."""
    s3().delete_object(Bucket=settings().portal_bucket, Key=profile_key(school_id))


def publish(schools: Iterable[School]) -> None:
    s3().put_object(
        Bucket=settings().portal_bucket,
        Key=KEY,
        Body=document(schools),
        ContentType="application/json; charset=utf-8",
        CacheControl=CACHE_CONTROL,
    )
