"""The local stack's stand-in for API Gateway's AWS_IAM authorisation of the
internal routes: a request must carry a SigV4 signature (service
`execute-api`) made with the local register vendor's credentials, recent,
over the very method, path, headers and body received. What API Gateway
answers otherwise is the template's gateway response of the same name.

On AWS the vendor assumes its role and signs with the session's temporary
credentials (docs/INTERNAL_API.md); locally one fixed pair stands for it."""

from __future__ import annotations

import hmac
import re
import time
from calendar import timegm

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from chiave_local.emulator.resources import ACCOUNT_ID

SERVICE = "execute-api"
# The local register vendor: what docs/ARCHITECTURE.md's snippet signs with.
VENDOR_ACCESS_KEY = "AKIALOCALREGISTERVNDR"
VENDOR_SECRET_KEY = "local-register-vendor-secret"  # noqa: S105 - the local stack only, published in docs/ARCHITECTURE.md
VENDOR_ROLE_SESSION_ARN = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/register-vendor/local"
# API Gateway refuses signatures older (or newer) than this.
MAX_SKEW_S = 15 * 60

_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)"
    r"/aws4_request,\s*SignedHeaders=(?P<headers>[a-z0-9;-]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)


def refusal(
    method: str, url: str, headers: dict[str, str], body: bytes, now: float | None = None
) -> str | None:
    """None when the request is signed by the local vendor; otherwise the
    gateway response API Gateway would give (MISSING_AUTHENTICATION_TOKEN,
    INVALID_SIGNATURE, ACCESS_DENIED)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    authorization = lowered.get("authorization")
    if not authorization:
        return "MISSING_AUTHENTICATION_TOKEN"
    shape = _AUTHORIZATION.match(authorization.strip())
    amz_date = lowered.get("x-amz-date", "")
    if shape is None or shape["service"] != SERVICE or not re.fullmatch(r"\d{8}T\d{6}Z", amz_date):
        return "INVALID_SIGNATURE"
    signed_at = timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    if abs((now or time.time()) - signed_at) > MAX_SKEW_S or not amz_date.startswith(shape["date"]):
        return "INVALID_SIGNATURE"
    if shape["key"] != VENDOR_ACCESS_KEY:
        return "ACCESS_DENIED"
    signed = shape["headers"].split(";")
    if "host" not in signed or any(name not in lowered for name in signed):
        return "INVALID_SIGNATURE"
    request = AWSRequest(method=method, url=url, data=body, headers={name: lowered[name] for name in signed})
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(VENDOR_ACCESS_KEY, VENDOR_SECRET_KEY), SERVICE, shape["region"])
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, shape["signature"]):
        return "INVALID_SIGNATURE"
    return None
