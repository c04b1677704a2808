"""The two local providers (SPID's and CIE's profile) in one process, on
spid-cie-oidc's provider views, subclassed for what one process needs and
for the broken responses a relying party must refuse.

The package's views serve one provider per process: they reverse URLs by
name and take the first provider in the database as the issuer. Here each
provider has its own URL configuration (`urls_spid`, `urls_cie`), picked per
request by `ProviderUrls` from the path, and its views name their issuer
and profile.

The package lists a relying party's test modes (TestingPageChecksForm) but
in 1.6.3 they change nothing. On the consent page here the tester picks
one, and the answer is broken that way: no code, no state, an unsigned ID
token, an ID token signed with a key nobody published."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptojwt.jwk.rsa import new_rsa_key
from django.conf import settings
from django.urls import path
from spid_cie_oidc.entity.jwtse import create_jws, unpad_jwt_head, unpad_jwt_payload
from spid_cie_oidc.entity.models import FederationEntityConfiguration
from spid_cie_oidc.entity.views import entity_configuration
from spid_cie_oidc.provider.exceptions import ValidationException
from spid_cie_oidc.provider.settings import OIDCFED_PROVIDER_PROFILES
from spid_cie_oidc.provider.views.authz_request_view import AuthzRequestView
from spid_cie_oidc.provider.views.consent_page_view import ConsentPageView, oidc_provider_not_consent
from spid_cie_oidc.provider.views.token_endpoint import TokenEndpoint
from spid_cie_oidc.provider.views.userinfo_endpoint import UserInfoEndpoint
from spid_cie_oidc.relying_party_test.forms import TestingPageChecksForm

from federation_local.seed import PROVIDER_NAMES, TEST_USERS

PROFILES = ("spid", "cie")
BROKEN_RESPONSES = dict(TestingPageChecksForm.CHOICES)


def entity_id(profile: str) -> str:
    return f"{settings.FEDERATION_BASE}/{profile}"


class ThisProvider:
    """What a view needs to know of the provider it serves."""

    profile = ""

    def get_issuer(self) -> FederationEntityConfiguration:
        return FederationEntityConfiguration.objects.get(sub=entity_id(self.profile))

    def validate_json_schema(self, payload: dict[str, Any], schema_type: str, error_description: str) -> None:
        try:
            OIDCFED_PROVIDER_PROFILES[self.profile][schema_type](**payload)
        except Exception:
            raise ValidationException() from None


class Authorization(ThisProvider, AuthzRequestView):
    template = "op_user_login.html"

    def get_url_consent(self, user: Any) -> str:
        return f"/{self.profile}/consent"


class Consent(ThisProvider, ConsentPageView):
    """The consent page, where the tester may also pick a broken response."""

    template = "op_user_consent.html"

    def post(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.broken = request.POST.get("test", "")
        if self.broken not in BROKEN_RESPONSES:
            self.broken = ""
        answer = super().post(request, *args, **kwargs)
        if self.broken in ("send_auth_code_no_code", "send_auth_code_no_state") and answer.status_code == 302:
            dropped = "code" if self.broken == "send_auth_code_no_code" else "state"
            answer["Location"] = _without(answer["Location"], dropped)
        return answer

    def get_iss_token_data(self, session, issuer):  # type: ignore[no-untyped-def]
        data = super().get_iss_token_data(session, issuer)
        if self.broken == "unsigned_id_token":
            data["id_token"] = _unsigned(data["id_token"])
        elif self.broken == "id_token_with_wrong_signature":
            data["id_token"] = _signed_by_a_stranger(data["id_token"])
        return data


class Token(ThisProvider, TokenEndpoint):
    pass


class UserInfo(ThisProvider, UserInfoEndpoint):
    pass


def _without(location: str, parameter: str) -> str:
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(location)
    kept = [(k, v) for k, v in parse_qsl(parts.query) if k != parameter]
    return urlunsplit(parts._replace(query=urlencode(kept)))


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _unsigned(token: str) -> str:
    """The same claims under `alg: none`, with no signature (RFC 7519 §6)."""
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(unpad_jwt_payload(token))}."


def _signed_by_a_stranger(token: str) -> str:
    """The same claims and `kid`, signed by a key the provider never published."""
    stranger = new_rsa_key(kid=unpad_jwt_head(token).get("kid"))
    return create_jws(unpad_jwt_payload(token), stranger.serialize(private=True))


def urlpatterns(profile: str) -> list[Any]:
    """One provider's routes, under its own path, named as the package's views reverse them."""
    prefix = f"{profile}/"
    views = {"profile": profile}
    return [
        path(f"{prefix}.well-known/openid-federation", entity_configuration, name="entity_configuration"),
        path(f"{prefix}authorization", Authorization.as_view(**views), name="oidc_provider_authnrequest"),
        path(f"{prefix}consent", Consent.as_view(**views), name="oidc_provider_consent"),
        path(f"{prefix}token", Token.as_view(**views), name="oidc_provider_token_endpoint"),
        path(f"{prefix}userinfo", UserInfo.as_view(**views), name="oidc_provider_userinfo_endpoint"),
        path(f"{prefix}notconsent", oidc_provider_not_consent, name="oidc_provider_not_consent"),
    ]


def on_every_page(request) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Template context: the broken responses a tester may pick, and the test users."""
    profile = request.path.strip("/").split("/", 1)[0]
    return {
        "broken_responses": list(BROKEN_RESPONSES.items()),
        "test_users": TEST_USERS,
        "provider_name": PROVIDER_NAMES.get(profile, ""),
        "profile": profile,
    }


class ProviderUrls:
    """Middleware: a request under /spid/ or /cie/ resolves (and reverses) in that provider's URLs."""

    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request):  # type: ignore[no-untyped-def]
        first = request.path.strip("/").split("/", 1)[0]
        if first in PROFILES:
            request.urlconf = f"federation_local.urls_{first}"
        return self.get_response(request)
