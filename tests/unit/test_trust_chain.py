"""Trust chains, resolved against a federation built for the test
(tests/federation.py): the chains that hold, and each way one is broken,
refused with its reason. No AWS: `resolve` reads only what `fetch` gives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chiave.federation.trust_chain import Anchor, ChainRefused, resolve
from tests import federation as fed
from tests.federation import ANCHOR, CIE_PROVIDER, INTERMEDIATE, SPID_MARK, SPID_PROVIDER, Federation

NOW = 1_796_000_000
PINNED = Anchor(ANCHOR, fed.jwks(ANCHOR))


def _resolve(federation: Federation, subject: str = SPID_PROVIDER, anchor: Anchor = PINNED, **options: Any):
    return resolve(federation.fetch, subject, anchor, NOW, required_marks=(SPID_MARK,), **options)


@pytest.mark.parametrize(("provider", "length"), [(SPID_PROVIDER, 2), (CIE_PROVIDER, 3)], ids=["spid", "cie"])
def test_a_provider_s_chain_reaches_the_anchor_and_lasts_until_its_earliest_expiry(provider, length):
    # Given a federation whose intermediate's statement ends first
    federation = fed.spid_and_cie(NOW)
    federation.vouch(ANCHOR, INTERMEDIATE, lifetime=3600)
    chain = _resolve(federation, provider)
    # Then the chain holds: the provider's configuration and each superior's statement
    assert len(chain.statements) == length
    assert chain.metadata["issuer"] == provider and chain.trust_marks == (SPID_MARK,)
    assert chain.expires_at == (NOW + 3600 if provider == CIE_PROVIDER else NOW + fed.DAY)


def test_the_chain_s_metadata_policies_are_combined_from_the_anchor_down_and_applied():
    federation = fed.spid_and_cie(NOW)
    # The anchor allows only private_key_jwt and adds a level; the intermediate narrows the algorithms
    anchor_policy = {
        "openid_provider": {
            "token_endpoint_auth_methods_supported": {"subset_of": ["private_key_jwt"]},
            "acr_values_supported": {"add": ["https://www.spid.gov.it/SpidL3"], "essential": True},
            "service_documentation": {"default": "https://docs.example"},
        }
    }
    federation.vouch(ANCHOR, INTERMEDIATE, metadata_policy=anchor_policy)
    narrowing = {"openid_provider": {"id_token_signing_alg_values_supported": {"subset_of": ["RS256"]}}}
    federation.vouch(INTERMEDIATE, CIE_PROVIDER, metadata_policy=narrowing)
    metadata = _resolve(federation, CIE_PROVIDER).metadata
    assert metadata["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]
    assert metadata["service_documentation"] == "https://docs.example"


def _rogue_superior(federation: Federation) -> None:
    # A "trust anchor" of its own making: it vouches, but nobody pinned its keys
    federation.entity("https://rogue.example", [], fed.federation_entity("https://rogue.example"))
    federation.entity(
        SPID_PROVIDER, ["https://rogue.example"], {"openid_provider": fed.provider_metadata(SPID_PROVIDER)}
    )
    federation.vouch("https://rogue.example", SPID_PROVIDER)


def _impostor_anchor(federation: Federation) -> None:
    # The anchor's own address answering with keys that are not the pinned ones
    federation.entity(ANCHOR, [], fed.federation_entity(ANCHOR), keys_of="https://impostor.example")
    federation.subordinates[(ANCHOR, SPID_PROVIDER)]["_signer"] = "https://impostor.example"


def _signed_by_an_unvouched_key(federation: Federation) -> None:
    # The provider's configuration signed by a key its superior never vouched for
    federation.entity(
        SPID_PROVIDER,
        [ANCHOR],
        {"openid_provider": fed.provider_metadata(SPID_PROVIDER)},
        keys_of="https://stolen.example",
        trust_marks=[federation.trust_mark(SPID_PROVIDER)],
    )


def _with_marks(*marks: Callable[[Federation], dict]) -> Callable[[Federation], None]:
    def change(federation: Federation) -> None:
        federation.entity(
            SPID_PROVIDER,
            [ANCHOR],
            {"openid_provider": fed.provider_metadata(SPID_PROVIDER)},
            trust_marks=[make(federation) for make in marks],
        )

    return change


def _unsigned(federation: Federation) -> None:
    import base64
    import json

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    claims = {
        "iss": SPID_PROVIDER,
        "sub": SPID_PROVIDER,
        "iat": NOW,
        "exp": NOW + fed.DAY,
        "jwks": fed.jwks(SPID_PROVIDER),
    }
    federation.served[f"{SPID_PROVIDER}/.well-known/openid-federation"] = (
        f"{part({'alg': 'none'})}.{part(claims)}."
    )


def _policy_broken(federation: Federation) -> None:
    policy = {
        "openid_provider": {"token_endpoint_auth_methods_supported": {"superset_of": ["tls_client_auth"]}}
    }
    federation.vouch(ANCHOR, SPID_PROVIDER, metadata_policy=policy)


BROKEN: dict[str, tuple[Callable[[Federation], None], str]] = {
    "does-not-reach-the-anchor": (_rogue_superior, "no superior leads to the trust anchor"),
    "an-impostor-at-the-anchor-s-address": (_impostor_anchor, "the trust anchor"),
    "an-expired-subordinate-statement": (
        lambda f: f.vouch(ANCHOR, SPID_PROVIDER, lifetime=-1),
        "statement about https://spid-provider.example has expired",
    ),
    "an-expired-configuration": (
        lambda f: f.entity(
            SPID_PROVIDER, [ANCHOR], {"openid_provider": fed.provider_metadata(SPID_PROVIDER)}, lifetime=-1
        ),
        "configuration has expired",
    ),
    "a-key-the-superior-never-vouched-for": (_signed_by_an_unvouched_key, "does not verify"),
    "alg-none": (_unsigned, "signed with 'none'"),
    "no-trust-mark": (_with_marks(), "no trust mark"),
    "an-expired-trust-mark": (_with_marks(lambda f: f.trust_mark(SPID_PROVIDER, lifetime=-1)), "has expired"),
    "a-trust-mark-from-an-unknown-issuer": (
        _with_marks(lambda f: f.trust_mark(SPID_PROVIDER, issuer=INTERMEDIATE)),
        "an issuer the anchor does not know",
    ),
    "a-trust-mark-for-another-entity": (
        _with_marks(lambda f: f.trust_mark(CIE_PROVIDER)),
        "about another entity",
    ),
    "a-metadata-policy-the-provider-fails": (_policy_broken, "metadata policy does not hold"),
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_a_broken_chain_is_refused_with_its_reason(broken):
    # Given the federation with one piece broken
    federation = fed.spid_and_cie(NOW)
    change, reason = BROKEN[broken]
    change(federation)
    # Then the provider is not trusted, and the reason says which piece
    with pytest.raises(ChainRefused) as refused:
        _resolve(federation)
    assert reason in refused.value.reason, refused.value.reason
