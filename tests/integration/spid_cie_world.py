"""Entra con SPID / CIE through the handlers, in a federation of
tests/federation.py with providers of tests/provider.py (no network):
what the integration tests and the least-privilege drive share."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from chiave.federation import fetching
from chiave.store import keys
from chiave.store.table import from_dynamo, to_dynamo
from chiave_local.emulator.events import authorize_event, load_event, query_of, spid_cie_event
from tests import federation as fed
from tests.integration.helpers import register_client
from tests.provider import Provider

NOW = int(time.time())
SCHOOL = "RMIC817009"
CIE_MARK = f"{fed.ANCHOR}/openid_provider/cie"


def claims_of(token: str) -> dict[str, Any]:
    from joserfc import jws

    return json.loads(jws.extract_compact(token.encode()).payload)


@dataclass
class World:
    stack: Any
    federation: fed.Federation
    spid: Provider
    cie: Provider
    secret: str  # the register's client secret

    def request(self, **params: str | None) -> str:
        """A register's authorization request, kept while the parent signs in: its id."""
        asked = self.stack.call("AuthorizeFunction", authorize_event(**{"school": SCHOOL, **params}))
        assert asked.status == 302, asked.body
        return query_of(asked.headers["Location"])["richiesta"]

    def start(self, provider: Provider, request: str, school: str = SCHOOL) -> Any:
        event = spid_cie_event("start", school, richiesta=request, provider=provider.entity_id)
        return self.stack.call("SpidCieFunction", event)

    def back(self, school: str = SCHOOL, **params: str) -> Any:
        return self.stack.call("SpidCieFunction", spid_cie_event("callback", school, **params))

    def sign_in(self, provider: Provider, school: str = SCHOOL, **request: str | None) -> Any:
        started = self.start(provider, self.request(**request), school)
        assert started.status == 302 and started.headers["Location"].startswith(provider.entity_id), started
        return self.back(school, **provider.authorize(started.headers["Location"]))

    def person(self, codice_fiscale: str, school: str = SCHOOL) -> dict[str, Any]:
        from chiave.runtime.aws import dynamodb
        from chiave.store.table import table_name

        with self.stack.env("SpidCieFunction"):
            key = to_dynamo(keys.person(school, codice_fiscale))
            return from_dynamo(dynamodb().get_item(TableName=table_name(), Key=key)["Item"])

    def audit(self, codice_fiscale: str, school: str = SCHOOL) -> list[dict[str, Any]]:
        from chiave.runtime.aws import dynamodb
        from chiave.store.table import table_name

        with self.stack.env("SpidCieFunction"):
            answer = dynamodb().query(
                TableName=table_name(),
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": {"S": keys.audit_partition(school, codice_fiscale)}},
            )
        return [from_dynamo(item) for item in answer["Items"]]


def spid_cie_world(stack: Any, monkeypatch: Any) -> World:
    """The stack in a federation of tests/federation.py, with a SPID and a CIE
    provider of tests/provider.py."""
    # A federation: the anchor (with a list endpoint), a SPID provider, a CIE provider with CIE's mark
    federation = fed.spid_and_cie(NOW)
    anchor_entity = fed.federation_entity(fed.ANCHOR)
    anchor_entity["federation_entity"]["federation_list_endpoint"] = f"{fed.ANCHOR}/list"
    federation.entity(fed.ANCHOR, [], anchor_entity, trust_mark_issuers={fed.SPID_MARK: [fed.ANCHOR]})
    federation.entity(
        fed.CIE_PROVIDER,
        [fed.INTERMEDIATE],
        {"openid_provider": fed.provider_metadata(fed.CIE_PROVIDER)},
        trust_marks=[federation.trust_mark(fed.CIE_PROVIDER, mark_type=CIE_MARK)],
    )
    listed = json.dumps([fed.SPID_PROVIDER, fed.CIE_PROVIDER])
    federation.served[f"{fed.ANCHOR}/list?entity_type=openid_provider"] = listed
    stack.deployment.refs.update(
        {
            "TrustAnchor": fed.ANCHOR,
            "TrustAnchorJwks": json.dumps(fed.jwks(fed.ANCHOR)),
            "ProviderTrustMarks": json.dumps({"spid": [fed.SPID_MARK], "cie": [CIE_MARK]}),
        }
    )
    # The school's leaf as a provider reads it: its relying party's keys
    leaf = stack.functions.invoke("FederationFunction", load_event("federation_rp"))["body"]
    leaf_keys = claims_of(leaf)["metadata"]["openid_relying_party"]["jwks"]
    spid = Provider(fed.SPID_PROVIDER, leaf_keys)
    cie = Provider(fed.CIE_PROVIDER, leaf_keys, fiscal_number="TINIT-BNCLCU79S05F205Y")
    by_entity = {fed.SPID_PROVIDER: spid, fed.CIE_PROVIDER: cie}

    def call(url: str, **asked: Any) -> tuple[int, bytes]:
        for entity_id, provider in by_entity.items():
            if url.startswith(entity_id):
                return provider.call(url, **asked)
        raise AssertionError(f"no such server: {url}")

    monkeypatch.setattr(fetching, "fetch", federation.fetch)
    monkeypatch.setattr(fetching, "call", call)
    return World(stack, federation, spid, cie, register_client(stack))
