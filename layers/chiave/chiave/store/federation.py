"""Resolved trust chains, kept until their earliest expiry (TTL): a provider's
chain is resolved once per expiry, not once per sign-in."""

from __future__ import annotations

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
