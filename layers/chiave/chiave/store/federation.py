"""The federation as Chiave keeps it: resolved trust chains, until their
earliest expiry (TTL: a provider's chain is resolved once per expiry, not
once per sign-in); the list of providers the sign-in page offers; and each
sign-in sent to a provider, until the parent comes back with its state."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from chiave.domain import ProviderSignIn
from chiave.federation.trust_chain import TrustChain
from chiave.runtime.aws import dynamodb
from chiave.store import keys
from chiave.store.table import from_dynamo, table_name, to_dynamo


def put_chain(chain: TrustChain) -> None:
    item = {
        **keys.trust_chain(chain.subject),
        "entity": "trust_chain",
        "subject": chain.subject,
        "entity_type": chain.entity_type,
        "metadata": chain.metadata,
        "trust_marks": list(chain.trust_marks),
        "statements": list(chain.statements),
        "expires_at": chain.expires_at,
        keys.TTL_ATTRIBUTE: chain.expires_at,
    }
    dynamodb().put_item(TableName=table_name(), Item=to_dynamo(item))


def get_chain(entity_id: str, now: float) -> TrustChain | None:
    answer = dynamodb().get_item(TableName=table_name(), Key=to_dynamo(keys.trust_chain(entity_id)))
    if "Item" not in answer:
        return None
    item = from_dynamo(answer["Item"])
    if int(item["expires_at"]) <= now:
        return None
    return TrustChain(
        subject=str(item["subject"]),
        entity_type=str(item["entity_type"]),
        metadata=dict(item["metadata"]),
        trust_marks=tuple(item["trust_marks"]),
        expires_at=int(item["expires_at"]),
        statements=tuple(item["statements"]),
    )


def put_provider_sign_in(sent: ProviderSignIn) -> None:
    item = {
        **keys.provider_sign_in(sent.state_sha256),
        "entity": "provider_sign_in",
        **asdict(sent),
        keys.TTL_ATTRIBUTE: sent.expires_at,
    }
    dynamodb().put_item(
        TableName=table_name(), Item=to_dynamo(item), ConditionExpression="attribute_not_exists(PK)"
    )


def take_provider_sign_in(state_sha256: str, now: float) -> ProviderSignIn | None:
    """The sign-in a state names, deleted as it is read: a state comes back once.
    None if it never was, came back already, or expired."""
    try:
        answer = dynamodb().delete_item(
            TableName=table_name(),
            Key=to_dynamo(keys.provider_sign_in(state_sha256)),
            ConditionExpression="attribute_exists(PK)",
            ReturnValues="ALL_OLD",
        )
    except dynamodb().exceptions.ConditionalCheckFailedException:
        return None
    item = from_dynamo(answer["Attributes"])
    if int(item["expires_at"]) <= now:
        return None
    fields = {name: item[name] for name in ProviderSignIn.__dataclass_fields__}
    return ProviderSignIn(
        **{**fields, "min_level": int(fields["min_level"]), "expires_at": int(item["expires_at"])}
    )


def put_provider_list(providers: list[dict[str, Any]], expires_at: int) -> None:
    item = {
        **keys.provider_list(),
        "entity": "provider_list",
        "providers": providers,
        "expires_at": expires_at,
        keys.TTL_ATTRIBUTE: expires_at,
    }
    dynamodb().put_item(TableName=table_name(), Item=to_dynamo(item))


def get_provider_list(now: float) -> list[dict[str, Any]] | None:
    answer = dynamodb().get_item(TableName=table_name(), Key=to_dynamo(keys.provider_list()))
    if "Item" not in answer or int(from_dynamo(answer["Item"])["expires_at"]) <= now:
        return None
    return list(from_dynamo(answer["Item"])["providers"])
