"""configure_client: a register's client of the sign-in (an OpenID Connect
relying party), as the deployment's operator registers it from the AWS
console (`/_local/invoke/ConfigureClientFunction` locally; docs/SIGN_IN.md).

- `configure`: registers a client, or changes the fields the event gives.
  A new client needs its name, its schools (configured ones) and its
  redirect URIs. Its auth method is `client_secret_basic` (a secret of 256
  random bits, shown once in the answer and kept only as its hash) or
  `private_key_jwt` (the client's public keys, a JWK Set).
- `rotate_secret`: a new secret, shown once; the old one keeps working for
  `grace_hours` (default 24, 0 to 168) while the register moves over.
- `disable` / `enable`: a disabled client signs nobody in.
- `list`: every client, without secrets.

Each change lands with its audit item on the client's trail (the operator,
the invocation id CloudTrail ties to the IAM caller, the reason, each
field's old and new value; a secret never)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Literal

from chiave.credentials import tokens
from chiave.domain import SCOPES, Client
from chiave.errors import ClientNotFound, InvalidClientConfiguration
from chiave.runtime.observability import count_outcome, logger
from chiave.store import audit, clients, schools

ClientAction = Literal["configure", "list", "rotate_secret", "disable", "enable"]
# What a new client cannot do without.
REQUIRED = ("name", "schools", "redirect_uris")
HOUR_S = 3600
DEFAULT_GRACE_HOURS = 24


@dataclass(frozen=True)
class ClientRequest:
    action: ClientAction
    operator: str
    client_id: str
    reason: str
    request_id: str
    # The fields the event gives (configure), by name.
    fields: dict[str, Any]
    grace_hours: int = DEFAULT_GRACE_HOURS


def run(request: ClientRequest, now: float) -> dict[str, Any]:
    if request.action == "list":
        return {"clients": [_view(client) for client in sorted(clients.all_clients(), key=lambda c: c.id)]}
    current = clients.get_client(request.client_id)
    secret = None
    if request.action == "configure":
        configured, secret = _configured(request.client_id, current, request.fields)
    elif current is None:
        raise ClientNotFound()
    elif request.action == "rotate_secret":
        if current.auth_method != "client_secret_basic":
            raise InvalidClientConfiguration(
                problems=[{"field": "action", "message": "il client non usa un segreto (private_key_jwt)"}]
            )
        secret = tokens.new_token()
        configured = replace(
            current,
            secret_hash=tokens.token_hash(secret),
            previous_secret_hash=current.secret_hash if request.grace_hours else None,
            previous_secret_until=int(now) + request.grace_hours * HOUR_S if request.grace_hours else 0,
        )
    else:
        configured = replace(current, enabled=request.action == "enable")
    changes = _changes(current, configured)
    if secret is not None:
        # Named, never shown: the trail says a secret was set, not which.
        changes["secret"] = {"old": "set" if current and current.secret_hash else None, "new": "set"}
    if changes:
        action = "client_configured" if request.action == "configure" else f"client_{request.action}"
        record = audit.configuration_entry(
            "client",
            configured.id,
            action,
            request.operator,
            request.request_id,
            request.reason,
            now,
            changes,
        )
        clients.save(configured, current is None, record)
    logger.info(
        "client configured",
        extra={"client": request.client_id, "action": request.action, "changed": sorted(changes)},
    )
    count_outcome("configure_client", f"{request.action}_{'changed' if changes else 'unchanged'}")
    answer: dict[str, Any] = {"changed": sorted(changes), "configuration": _view(configured)}
    if secret is not None:
        answer["client_secret"] = secret  # the only time it is shown
    return answer


def _configured(client_id: str, current: Client | None, fields: dict[str, Any]) -> tuple[Client, str | None]:
    """The client with the event's fields applied, and its new secret when it
    gets one; InvalidClientConfiguration names what is wrong."""
    problems: list[dict[str, str]] = []
    if current is None:
        problems += [
            {"field": name, "message": "obbligatorio per un nuovo client"}
            for name in REQUIRED
            if not fields.get(name)
        ]
    base = current or Client(id=client_id, name="", schools=(), redirect_uris=())
    given: dict[str, Any] = {
        name: tuple(value) if isinstance(value, list) else value for name, value in fields.items()
    }
    configured = replace(base, **given)
    unknown = [school for school in configured.schools if schools.get_school(school) is None]
    if unknown:
        problems.append({"field": "schools", "message": f"scuole non configurate: {', '.join(unknown)}"})
    if "openid" not in configured.scopes or not set(configured.scopes) <= set(SCOPES):
        problems.append({"field": "scopes", "message": f"openid, e solo tra: {', '.join(SCOPES)}"})
    secret = None
    if configured.auth_method == "private_key_jwt":
        problems += _jwks_problems(configured.jwks)
        configured = replace(configured, secret_hash=None, previous_secret_hash=None, previous_secret_until=0)
    else:
        configured = replace(configured, jwks=None)
        if configured.secret_hash is None:
            secret = tokens.new_token()
            configured = replace(configured, secret_hash=tokens.token_hash(secret))
    if problems:
        count_outcome("configure_client", "refused")
        raise InvalidClientConfiguration(problems=problems)
    return configured, secret


def _jwks_problems(jwks: str | None) -> list[dict[str, str]]:
    """A client's keys: a JWK Set of public signing keys (RSA or EC), each with its kid."""
    if not jwks:
        return [{"field": "jwks", "message": "obbligatorio con private_key_jwt"}]
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    try:
        keys = json.loads(jwks)["keys"]
        KeySet.import_key_set({"keys": keys})
    except (ValueError, KeyError, TypeError, JoseError) as error:
        return [{"field": "jwks", "message": f"non è un JWK Set valido ({type(error).__name__})"}]
    for key in keys:
        if key.get("kty") not in ("RSA", "EC") or not key.get("kid") or key.get("use", "sig") != "sig":
            return [{"field": "jwks", "message": "solo chiavi RSA o EC di firma, ciascuna con il suo kid"}]
        if "d" in key or "p" in key:
            return [{"field": "jwks", "message": "solo chiavi pubbliche: mai la chiave privata"}]
    return []


def _changes(current: Client | None, configured: Client) -> dict[str, dict[str, Any]]:
    return audit.changes(clients.stored_form(current) if current else {}, clients.stored_form(configured))


def _view(client: Client) -> dict[str, Any]:
    """A client as the console shows it: its registration, never a secret's hash."""
    return {"client": client.id, **clients.stored_form(client)}
