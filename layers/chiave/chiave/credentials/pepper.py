"""The pepper: a key kept outside the table, under which SMS codes (and,
later, PINs) are hashed, so that a dump of the table alone cannot try them.

It lives in a Secrets Manager secret the template generates
(`PepperSecret`), read once per container with Powertools Parameters:
`{"version": "1", "pepper": "…"}`, plus `"previous": {"<version>": "…"}`
after a rotation. Each hash records the version it used; a hash made under a
version this container does not know makes it read the secret again (another
container rotated first). Rotation: docs/SMS.md. Never logged, never returned.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import cache
from typing import Any

from chiave.runtime import coldstart, faults
from chiave.runtime.aws import secretsmanager
from chiave.runtime.settings import settings

# The client before SnapStart's snapshot; the pepper itself only after restore.
coldstart.on_warm_up(secretsmanager)


@dataclass(frozen=True)
class Pepper:
    version: str
    key: bytes


@dataclass(frozen=True)
class Peppers:
    current: Pepper
    by_version: dict[str, Pepper]


def _read() -> dict[str, Any]:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    provider = SecretsProvider(boto3_client=secretsmanager())
    with faults.unwrapped_parameter_errors():
        value: dict[str, Any] = provider.get(settings().pepper_secret_id, transform="json", max_age=0)  # type: ignore[assignment]
    return value


@cache
def _peppers() -> Peppers:
    value = _read()
    current = Pepper(str(value["version"]), str(value["pepper"]).encode("utf-8"))
    known = {
        version: Pepper(version, str(key).encode("utf-8"))
        for version, key in value.get("previous", {}).items()
    }
    return Peppers(current=current, by_version={**known, current.version: current})


def current() -> Pepper:
    return _peppers().current


def version(name: str) -> Pepper | None:
    """The pepper of `name`, reading the secret again once if it is new here."""
    found = _peppers().by_version.get(name)
    if found is None:
        _peppers.cache_clear()
        found = _peppers().by_version.get(name)
    return found


def keyed_hash(pepper: Pepper, *parts: str) -> str:
    """HMAC-SHA-256 under the pepper of the parts, each length-prefixed."""
    message = b"".join(len(part).to_bytes(4, "big") + part.encode("utf-8") for part in parts)
    return hmac.new(pepper.key, message, hashlib.sha256).hexdigest()


def forget() -> None:
    """Tests switch Secrets Manager between sessions."""
    _peppers.cache_clear()


def code_hash(token_sha256: str, code: str, key: Pepper) -> str:
    """What is stored of an SMS code: bound to its flow, under the pepper."""
    return keyed_hash(key, "sms-code", token_sha256, code)
