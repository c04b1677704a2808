"""Chiave's place in the federation over HTTP, through the local stack: the
intermediate's and a school's Entity Configurations served as entity
statements on the one origin, and the school's leaf resolved, by the same
trust-chain rules Chiave applies to providers, up to a trust anchor that
onboarded the intermediate with the keys it publishes."""

from __future__ import annotations

import json
import time

from chiave.federation import fetching
from chiave.federation.statements import WELL_KNOWN
from chiave.federation.trust_chain import Anchor, resolve
from tests import federation as fed

SCHOOL = "RMIC817009"
TRUST_ANCHOR = "https://registry.spid.gov.it"  # the template's default TrustAnchor, here a test one


def test_the_statements_are_served_as_entity_statements_and_the_list_as_json(local_stack):
    for path in (
        "/oidc/federation/.well-known/openid-federation",
        f"/oidc/rp/{SCHOOL}/.well-known/openid-federation",
    ):
        answer = local_stack.request("GET", path)
        assert answer.status == 200 and answer.headers["Content-Type"] == "application/entity-statement+jwt"
        assert answer.text.count(".") == 2
    listed = local_stack.request("GET", "/oidc/federation/list")
    assert f"{local_stack.base_url}/oidc/rp/{SCHOOL}" in json.loads(listed.text)


def test_a_school_s_leaf_resolves_up_to_the_trust_anchor_that_onboarded_the_intermediate(local_stack):
    now = int(time.time())
    intermediate = f"{local_stack.base_url}/oidc/federation"
    leaf = f"{local_stack.base_url}/oidc/rp/{SCHOOL}"
    # (Warmed first: a cold container on a busy test machine can outlast the federation's 3 s.)
    for warmed in (intermediate, leaf):
        assert local_stack.request("GET", f"{warmed[len(local_stack.base_url) :]}{WELL_KNOWN}").status == 200
    # Given a trust anchor that onboarded the intermediate with the keys its configuration publishes
    published = fetching.fetch(f"{intermediate}/.well-known/openid-federation").decode()
    from joserfc import jws

    intermediate_keys = json.loads(jws.extract_compact(published.encode()).payload)["jwks"]
    federation = fed.Federation(now)
    federation.entity(TRUST_ANCHOR, [], fed.federation_entity(TRUST_ANCHOR))
    federation.vouch(TRUST_ANCHOR, intermediate, keys=intermediate_keys)

    def fetch(url: str) -> bytes:
        # Chiave's own entities over HTTP from the stack; the anchor's from the test federation
        return fetching.fetch(url) if url.startswith(local_stack.base_url) else federation.fetch(url)

    # When the leaf's chain is resolved as a provider would resolve it
    chain = resolve(fetch, leaf, Anchor(TRUST_ANCHOR, fed.jwks(TRUST_ANCHOR)), now, "openid_relying_party")
    # Then it holds: the leaf's configuration, the intermediate's word on it, the anchor's on the intermediate
    assert len(chain.statements) == 3
    assert (
        chain.metadata["client_id"] == leaf
        and chain.metadata["token_endpoint_auth_method"] == "private_key_jwt"
    )


def test_make_run_names_the_federation_and_takes_an_existing_trust_anchor():
    from joserfc import jws

    from tests.e2e.conftest import start_stack, stop_stack

    # Given `make run TRUST_ANCHOR=...`: a federation that already exists (AgID's test one, say)
    process, stack, printed = start_stack("--trust-anchor", "https://federation-test.example")
    assert stack is not None, printed
    try:
        # Then /_local/info names it and Chiave's entities
        federation = stack.request("GET", "/_local/info").json["federation"]
        assert federation == {
            "trust_anchor": "https://federation-test.example",
            "intermediate": f"{stack.base_url}/oidc/federation",
            "leaves": f"{stack.base_url}/oidc/federation/list",
        }
        # And the intermediate names it as its superior
        published = stack.request("GET", "/oidc/federation/.well-known/openid-federation").text
        claims = json.loads(jws.extract_compact(published.encode()).payload)
        assert claims["authority_hints"] == ["https://federation-test.example"]
    finally:
        stop_stack(process)


def test_make_run_s_local_federation_vouches_for_its_providers_and_onboards_chiave():
    from chiave.federation.trust_chain import ChainRefused, FederationUnreachable
    from tests.e2e.conftest import start_stack, stop_stack

    # Given `make run`: the stack and, beside it, the local federation (spid-cie-oidc)
    process, stack, printed = start_stack("--federation")
    assert stack is not None, printed
    try:
        local = stack.request("GET", "/_local/info").json["federation"]["local"]
        anchor = Anchor(local["trust_anchor"], local["trust_anchor_jwks"])
        now = time.time()
        # Then Chiave resolves the SPID and the CIE provider's chains, each with its trust mark
        for name, provider in local["providers"].items():
            marks = (local["trust_mark_types"][name],)
            chain = resolve(fetching.fetch, provider, anchor, now, required_marks=marks)
            assert chain.trust_marks == marks and chain.metadata["issuer"] == provider
        # And the anchor onboarded Chiave's intermediate: a school's leaf resolves up to it
        leaf = f"{stack.base_url}/oidc/rp/{SCHOOL}"
        deadline = time.monotonic() + 15
        while True:
            try:
                chain = resolve(fetching.fetch, leaf, anchor, time.time(), "openid_relying_party")
                break
            except ChainRefused:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert len(chain.statements) == 3 and chain.metadata["client_id"] == leaf
    finally:
        stop_stack(process)
    # And a terminated stack takes its federation with it (no process left behind)
    deadline = time.monotonic() + 10
    while True:
        try:
            fetching.fetch(f"{anchor.entity_id.rstrip('/')}/.well-known/openid-federation")
        except FederationUnreachable:
            break
        assert time.monotonic() < deadline, "the local federation outlived its stack"
        time.sleep(0.2)
