"""The public list of schools (`/scuole.json` on the pages' origin): what
the pages' school search reads, published by the configuration action as a
static file, cacheable by anyone. It holds each enabled school's code, name
and town, and nothing else."""

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


def publish(schools: Iterable[School]) -> None:
    s3().put_object(
        Bucket=settings().portal_bucket,
        Key=KEY,
        Body=document(schools),
        ContentType="application/json; charset=utf-8",
        CacheControl=CACHE_CONTROL,
    )
