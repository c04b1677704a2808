"""Client items: the registers' clients of the sign-in, as the deployment's
operator registered them, and their registration trail. A secret is kept
only as its hash."""

from __future__ import annotations

from chiave.domain import Client
from chiave.runtime.aws import dynamodb
from chiave.store import keys
from chiave.store.table import (
    Item,
    Part,
    batch_get,
    from_dynamo,
    query_all,
    save_configured,
    table_name,
    to_dynamo,
)
from chiave.store.table import found as found_item

_LISTS = ("schools", "redirect_uris", "post_logout_redirect_uris", "scopes")


def _client_item(client: Client) -> Item:
    item: Item = {
        **keys.client(client.id),
        "entity": "client",
        "client_id": client.id,
        "name": client.name,
        "auth_method": client.auth_method,
        "enabled": client.enabled,
        "version": client.version,
        "previous_secret_until": client.previous_secret_until,
        **{name: list(getattr(client, name)) for name in _LISTS},
    }
    optional = {
        "secret_hash": client.secret_hash,
        "previous_secret_hash": client.previous_secret_hash,
        "jwks": client.jwks,
        "backchannel_logout_uri": client.backchannel_logout_uri,
    }
    return item | {name: value for name, value in optional.items() if value is not None}


def client_from(item: Item) -> Client:
    return Client(
        id=item["client_id"],
        name=item["name"],
        auth_method=item["auth_method"],
        enabled=bool(item.get("enabled", True)),
        version=int(item.get("version", 0)),
        secret_hash=item.get("secret_hash"),
        previous_secret_hash=item.get("previous_secret_hash"),
        previous_secret_until=int(item.get("previous_secret_until", 0)),
        jwks=item.get("jwks"),
        backchannel_logout_uri=item.get("backchannel_logout_uri"),
        **{name: tuple(item.get(name, ())) for name in _LISTS},
    )


def stored_form(client: Client) -> Item:
    """The client as the table keeps it, without its keys, its version or a
    secret's hash: what an audit item compares and the console shows."""
    item = _client_item(client)
    for name in (*keys.client(client.id), "entity", "client_id", "version", "secret_hash"):
        item.pop(name, None)
    item.pop("previous_secret_hash", None)
    return item


def get_client(client_id: str) -> Client | None:
    answer = dynamodb().get_item(
        TableName=table_name(), Key=to_dynamo(keys.client(client_id)), ConsistentRead=True
    )
    return client_from(from_dynamo(answer["Item"])) if "Item" in answer else None


def names(client_ids: list[str]) -> dict[str, str]:
    """The registered clients' names, by client id, in one read."""
    wanted = [keys.client(client_id) for client_id in client_ids]
    found = batch_get(wanted) if wanted else {}
    return {item["client_id"]: item["name"] for key in wanted if (item := found_item(found, key))}


def all_clients() -> list[Client]:
    partition = keys.client("")[keys.PARTITION]
    request = {
        "TableName": table_name(),
        "KeyConditionExpression": "PK = :clients",
        "ExpressionAttributeValues": {":clients": {"S": partition}},
        "ConsistentRead": True,
    }
    return [client_from(item) for item in query_all(request)]


def save(client: Client, is_new: bool, audit_entry: Part) -> None:
    """The client written as registered, with its audit item, in one
    transaction, only if nobody changed it since it was read; raises
    ConfigurationConflict otherwise."""
    save_configured("client", _client_item(client), is_new, audit_entry)
