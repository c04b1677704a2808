"""A register's client of the sign-in registered from the console
(configure_client): its secret shown once and kept as a hash, rotated with a
grace period, its keys checked, refused when a field is wrong, disabled and
enabled, each change on its trail. Against moto."""

from __future__ import annotations

import json
from typing import Any

import pytest
from joserfc.jwk import ECKey, RSAKey

from chiave.credentials import tokens
from chiave.store import audit, clients
from chiave_local.emulator.calls import FAULTS, failing

CLIENT = "registro-demo"


def _configure(stack, load_event, sample: str = "configure_client", **fields: Any) -> dict[str, Any]:
    event = {**load_event(sample), **fields}
    event = {name: value for name, value in event.items() if value is not ...}
    result: dict[str, Any] = stack.functions.invoke("ConfigureClientFunction", event)
    return result


def _client(stack, client_id: str = CLIENT) -> Any:
    with stack.env("ConfigureClientFunction"):
        return clients.get_client(client_id)


def _trail(stack, client_id: str = CLIENT) -> list[dict[str, Any]]:
    with stack.env("ConfigureClientFunction"):
        return audit.configuration_trail("client", client_id)


def _public_jwks(key: Any) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False)]}


def test_a_new_client_gets_a_secret_shown_once_and_kept_as_its_hash(stack, load_event):
    # When the operator registers the sample client
    answer = _configure(stack, load_event)
    # Then the answer shows its secret, once, and its registration without any hash
    assert answer["ok"], answer
    assert (answer["client"], answer["changed"][0]) == (CLIENT, "auth_method")
    secret = answer["client_secret"]
    assert tokens.is_well_formed(secret)
    assert "secret_hash" not in json.dumps(answer["configuration"])
    # And the table keeps only the secret's hash
    client = _client(stack)
    assert client.secret_hash == tokens.token_hash(secret)
    assert client.schools == ("RMIC817009",) and client.scopes == ("openid", "profile", "email")
    # And its trail names the operator, the invocation and says a secret was set, never which
    [entry] = _trail(stack)
    assert (entry["action"], entry["actor"], entry["request_id"]) == (
        "client_configured",
        "ops.bianchi@chiave.example",
        answer["request_id"],
    )
    assert entry["changes"]["secret"] == {"old": None, "new": "set"}
    assert secret not in json.dumps(entry) and client.secret_hash not in json.dumps(entry)
    # And listing it shows no secret either
    listed = _configure(stack, load_event, "configure_client_list")
    assert [item["client"] for item in listed["clients"]] == [CLIENT]
    assert "client_secret" not in listed and client.secret_hash not in json.dumps(listed)


def test_a_changed_field_keeps_the_secret(stack, load_event):
    secret = _configure(stack, load_event)["client_secret"]
    answer = _configure(stack, load_event, name="Registro elettronico nuovo")
    assert answer["changed"] == ["name"] and "client_secret" not in answer
    assert _client(stack).secret_hash == tokens.token_hash(secret)


def test_a_rotated_secret_replaces_the_old_which_works_for_the_grace_period(stack, load_event):
    # Given a client with its first secret
    first = _configure(stack, load_event)["client_secret"]
    # When the operator rotates it
    answer = _configure(stack, load_event, "configure_client_rotate_secret")
    # Then a new secret is shown once, and the old one is kept only for 24 hours
    second = answer["client_secret"]
    assert second != first
    client = _client(stack)
    assert client.secret_hash == tokens.token_hash(second)
    assert client.previous_secret_hash == tokens.token_hash(first)
    assert 23 * 3600 < client.previous_secret_until - _trail(stack)[0]["at"] <= 24 * 3600
    # And with no grace the old one goes at once
    _configure(stack, load_event, "configure_client_rotate_secret", grace_hours=0)
    assert _client(stack).previous_secret_hash is None


def test_a_client_with_keys_has_no_secret_and_its_keys_must_be_public_signing_keys(stack, load_event):
    key = RSAKey.generate_key(2048, parameters={"kid": "registro-2026", "use": "sig"})
    base = {"auth_method": "private_key_jwt"}
    # When the operator registers a client with its public keys
    answer = _configure(stack, load_event, **base, jwks=_public_jwks(key))
    # Then it has no secret, and a rotation of one is refused
    assert answer["ok"] and "client_secret" not in answer
    assert (
        _client(stack).secret_hash is None
        and json.loads(_client(stack).jwks)["keys"][0]["kid"] == "registro-2026"
    )
    refused = _configure(stack, load_event, "configure_client_rotate_secret")
    assert refused["error"]["code"] == "invalid_client_configuration"
    # And keys that are not a client's public signing keys are refused, naming the field
    private = {"keys": [key.as_dict(private=True)]}
    no_kid = {"keys": [{k: v for k, v in key.as_dict(private=False).items() if k != "kid"}]}
    for jwks in (private, no_kid, {"keys": [{"kty": "RSA", "kid": "x", "n": "AQAB"}]}, {"nokeys": []}):
        refused = _configure(stack, load_event, client="altro-registro", **base, jwks=jwks)
        assert refused["error"]["code"] == "invalid_client_configuration", jwks
        assert [problem["field"] for problem in refused["error"]["problems"]] == ["jwks"]
        assert _client(stack, "altro-registro") is None
    ec = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})
    assert _configure(stack, load_event, client="altro-registro", **base, jwks=_public_jwks(ec))["ok"]


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"schools": ["RMIC00000X"]}, "schools"),
        ({"scopes": ["profile"]}, "scopes"),
        ({"name": ..., "schools": ..., "redirect_uris": ...}, "name"),
    ],
)
def test_a_client_that_cannot_work_is_refused_and_nothing_is_written(stack, load_event, fields, field):
    answer = _configure(stack, load_event, **fields)
    assert answer["error"]["code"] == "invalid_client_configuration", answer
    assert field in {problem["field"] for problem in answer["error"]["problems"]}
    assert _client(stack) is None and _trail(stack) == []


@pytest.mark.parametrize(
    "fields",
    [
        {"redirect_uris": ["http://registro.example.it/callback"]},  # plain HTTP off this machine
        {"redirect_uris": ["https://registro.example.it/callback#frammento"]},
        {"redirect_uris": []},
        {"client": "Registro Demo"},
        {"auth_method": "none"},
        {"scopes": ["openid", "admin"]},
        {"action": "list"},  # a client named for list
        {"action": "disable"},  # fields with another action than configure
        {"name": None},
    ],
)
def test_a_malformed_event_is_refused_by_field(stack, load_event, fields):
    answer = _configure(stack, load_event, **fields)
    assert answer["ok"] is False and answer["error"]["code"] == "validation_error", answer
    assert _client(stack) is None


def test_a_disabled_client_is_kept_and_enabled_again(stack, load_event):
    _configure(stack, load_event)
    assert _configure(stack, load_event, "configure_client_disable")["changed"] == ["enabled"]
    assert _client(stack).enabled is False
    assert _configure(stack, load_event, "configure_client_disable")["changed"] == []
    assert _configure(stack, load_event, "configure_client_enable")["ok"]
    assert _client(stack).enabled is True
    assert [entry["action"] for entry in _trail(stack)] == [
        "client_enable",
        "client_disable",
        "client_configured",
    ]


def test_an_unknown_client_cannot_be_disabled(stack, load_event):
    answer = _configure(stack, load_event, "configure_client_disable", client="nessuno")
    assert answer["error"]["code"] == "client_not_found"


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("sample", ["configure_client", "configure_client_rotate_secret"])
def test_a_fault_at_any_call_changes_nothing_and_says_to_run_it_again(stack, load_event, sample, fault):
    # Given the client whose secret is rotated exists
    if sample != "configure_client":
        _configure(stack, load_event)
    before = (_client(stack), _trail(stack))
    position = 0
    while True:
        # When the call at `position` fails
        with stack.env("ConfigureClientFunction"), failing(fault, position) as made:
            answer = _configure(stack, load_event, sample)
        if len(made) <= position:
            break
        # Then the operator is told to run it again, and nothing changed
        assert answer["ok"] is False and answer["error"]["code"] == "service_unavailable", answer
        assert (_client(stack), _trail(stack)) == before, (sample, made)
        position += 1
    assert answer["ok"] is True and position >= 2
