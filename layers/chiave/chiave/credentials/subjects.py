"""Pairwise subject identifiers (OpenID Connect Core §8.1): the `sub` a
register receives is per account and per client, stable for ever, and never
the codice fiscale: two registers cannot join their users by it.

It is an HMAC-SHA256, under a key kept in a Secrets Manager secret the
template generates (`SubjectSecret`, `{"key": "…"}`), of the client and the
account (school and codice fiscale). The key is never rotated: a new key
would give every person new identifiers at every register."""

from __future__ import annotations

import hashlib
import hmac
from functools import cache
from typing import Any

from chiave.credentials import tokens
from chiave.runtime import faults
from chiave.runtime.aws import secretsmanager
from chiave.runtime.settings import settings


@cache
def _key() -> bytes:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    provider = SecretsProvider(boto3_client=secretsmanager())
    with faults.unwrapped_parameter_errors():
        value: dict[str, Any] = provider.get(settings().subject_secret_id, transform="json", max_age=0)  # type: ignore[assignment]
    return str(value["key"]).encode("utf-8")


def pairwise(client_id: str, school_id: str, codice_fiscale: str) -> str:
    digest = hmac.new(_key(), f"{client_id}|{school_id}|{codice_fiscale}".encode(), hashlib.sha256).digest()
    return tokens.b64url(digest)


def forget() -> None:
    """Tests switch Secrets Manager between sessions."""
    _key.cache_clear()
