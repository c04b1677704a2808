"""What the provider says of itself (OpenID Connect Discovery 1.0): its
issuer, endpoints and what it supports. The issuer is the pages' origin
followed by /oidc: pages, API and provider share one origin."""

from __future__ import annotations

from typing import Any

from chiave.domain import SCOPES
from chiave.runtime.settings import portal_url

# What a sign-in proved (acr), and how (amr, RFC 8176).
ACR_PASSWORD = "urn:chiave:acr:password"  # noqa: S105 - a name, not a secret
ACR_SECOND_FACTOR = "urn:chiave:acr:password-otp"
# SPID's levels, CIE id's named alike (chiave.federation.relying_party): what "Entra con SPID / CIE" proved.
ACR_IDENTITY = tuple(f"https://www.spid.gov.it/SpidL{level}" for level in (1, 2, 3))
ACR_VALUES = (ACR_PASSWORD, ACR_SECOND_FACTOR, *ACR_IDENTITY)
# What a client's assertion (private_key_jwt) may be signed with: never none, never a MAC.
ASSERTION_ALGORITHMS = ("RS256", "PS256", "ES256")
# The claims beside the standard ones: the school, its name, the role, the user code, the codice fiscale.
CLAIMS = (
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "sid",
    "given_name",
    "family_name",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "school",
    "school_name",
    "role",
    "user_code",
    "codice_fiscale",
)


def issuer() -> str:
    return f"{portal_url().rstrip('/')}/oidc"


def endpoint(name: str) -> str:
    return f"{issuer()}/{name}"


def configuration() -> dict[str, Any]:
    base = issuer()
    auth_methods = ["private_key_jwt", "client_secret_basic"]
    return {
        "issuer": base,
        "authorization_endpoint": endpoint("authorize"),
        "token_endpoint": endpoint("token"),
        "userinfo_endpoint": endpoint("userinfo"),
        "jwks_uri": endpoint("jwks"),
        "revocation_endpoint": endpoint("revoke"),
        "end_session_endpoint": endpoint("end-session"),
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": list(ACR_VALUES),
        "prompt_values_supported": ["none", "login"],
        "claims_supported": list(CLAIMS),
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "ui_locales_supported": ["it", "en"],
    }
