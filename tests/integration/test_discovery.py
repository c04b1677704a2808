"""The sign-in's discovery document and its keys: the issuer on the pages'
origin, RS256 only, the signing key's public half as a JWK whose kid is its
thumbprint, and a rotation with an ID token in flight. Against moto."""

from __future__ import annotations

import json
import os
from unittest import mock

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError, JoseError, UnsupportedAlgorithmError
from joserfc.jwk import KeySet, OctKey

from chiave.oidc import signing
from chiave.runtime.settings import settings


def _get(stack, load_event, sample: str) -> tuple[int, dict, dict]:
    answer = stack.call("DiscoveryFunction", load_event(sample))
    return answer.status, answer.headers, answer.body


def test_the_discovery_document_names_the_issuer_on_the_pages_origin(stack, load_event):
    status, headers, document = _get(stack, load_event, "discovery_openid-configuration")
    assert status == 200 and headers["Cache-Control"] == "public, max-age=3600"
    issuer = document["issuer"]
    with stack.env("DiscoveryFunction"):
        assert issuer == os.environ["PORTAL_URL"] + "/oidc"
    # oidcc-server: the endpoints under the issuer, the code flow with PKCE S256 only
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert document[name].startswith(issuer + "/"), name
    assert document["response_types_supported"] == ["code"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    assert document["subject_types_supported"] == ["pairwise"]
    assert "none" not in json.dumps(document["token_endpoint_auth_methods_supported"])


def test_the_jwks_publishes_the_signing_key_that_verifies_an_id_token(stack, load_event):
    # Given an ID token signed in KMS
    with stack.env("DiscoveryFunction"):
        token = signing.sign({"iss": "https://example.it/oidc", "sub": "abc"})
    # When a relying party reads the JWKS
    status, _headers, jwks = _get(stack, load_event, "discovery_jwks")
    # Then one RSA public key, its kid the RFC 7638 thumbprint, verifies it; no private part is out
    [key] = jwks["keys"]
    assert status == 200 and (key["kty"], key["use"], key["alg"]) == ("RSA", "sig", "RS256")
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
    keys = KeySet.import_key_set(jwks)
    decoded = jwt.decode(token, keys, algorithms=["RS256"])
    assert decoded.header["kid"] == key["kid"] == keys.keys[0].thumbprint()
    assert decoded.claims["sub"] == "abc"


def test_alg_none_and_hs256_are_never_accepted_as_chiave_s(stack, load_event):
    with stack.env("DiscoveryFunction"):
        token = signing.sign({"sub": "abc"})
    keys = KeySet.import_key_set(_get(stack, load_event, "discovery_jwks")[2])
    header, payload, _signature = token.split(".")
    # An unsigned copy, and one MACed with the public modulus as a shared secret, do not verify
    with pytest.raises((UnsupportedAlgorithmError, BadSignatureError, ValueError)):
        jwt.decode(f"{header}.{payload}.", keys, algorithms=["RS256"])
    forged = jwt.encode({"alg": "HS256"}, {"sub": "abc"}, OctKey.import_key(keys.keys[0].as_dict()["n"]))
    with pytest.raises((UnsupportedAlgorithmError, BadSignatureError, ValueError)):
        jwt.decode(forged, keys, algorithms=["RS256"])


def test_a_rotation_publishes_the_next_key_first_and_tokens_in_flight_still_verify(stack, load_event):
    kms = stack.deployment.client("kms")
    with stack.env("DiscoveryFunction"):
        first = settings().signing_key_id
        # Given an ID token signed by the first key, still in a relying party's hands
        in_flight = signing.sign({"sub": "abc"})
    second = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    # When the next key is published (NextSigningKeyArn): two keys, the first still signs
    with stack.env("DiscoveryFunction"), mock.patch.dict(os.environ, {"NEXT_SIGNING_KEY_ID": second}):
        published = signing.jwks()
        assert len(published["keys"]) == 2
        assert (
            jwt.decode(signing.sign({"sub": "abc"}), KeySet.import_key_set(published)).header["kid"]
            == signing.public_key(first).kid
        )
    # When the next key signs and the first stays published: both tokens verify
    swapped = {"SIGNING_KEY_ID": second, "NEXT_SIGNING_KEY_ID": first}
    with stack.env("DiscoveryFunction"), mock.patch.dict(os.environ, swapped):
        fresh = signing.sign({"sub": "abc"})
        keys = KeySet.import_key_set(signing.jwks())
        assert jwt.decode(fresh, keys).header["kid"] == signing.public_key(second).kid
        assert jwt.decode(in_flight, keys).claims["sub"] == "abc"
    # And once the first is dropped, a token it signed no longer verifies
    with stack.env("DiscoveryFunction"), mock.patch.dict(os.environ, {"SIGNING_KEY_ID": second}):
        only_second = KeySet.import_key_set(signing.jwks())
    with pytest.raises(JoseError):
        jwt.decode(in_flight, only_second)
