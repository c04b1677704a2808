"""Least privilege, checked: every AWS action a function takes, on the
resource it takes it on, is granted by that function's policy in
template.yaml, and the policy grants nothing the functions never do.

The functions are driven through every path that calls AWS (each flow, its
refusals, a lost commit answer, a replayed confirmation, notify deferring and
delivering), with every boto3 call recorded and charged to the function whose
environment it ran in. KMS use behind the encrypted table, queues and
environments (StorageKey) happens inside AWS, not in our calls: it is listed
by hand below, each with its reason.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from typing import Any
from unittest import mock
from urllib.parse import urlencode

import botocore.client
import pyotp
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from chiave.credentials import passwords, pepper, tokens, totp
from chiave.oidc import discovery, signing
from chiave.store import keys
from chiave.store import sweep as sweep_store
from chiave_local.demo import sent
from chiave_local.emulator import template as tpl
from chiave_local.emulator.calls import failing
from chiave_local.emulator.events import load_event as load_event_of
from chiave_local.emulator.events import query_of, sign_in_event
from tests.integration.conftest import REGION
from tests.integration.helpers import (
    PASSWORD,
    SCHOOL,
    activate,
    authorize,
    change_factor,
    change_password,
    confirm,
    issue_pin,
    last_token,
    ops,
    paper_code_redemption,
    register_client,
    request_reset,
    sign_in_answer,
    signed_in_code,
    signed_in_session,
    token_event_authorization,
    token_in,
    token_request,
    verify_credentials,
    verify_pin,
)

KNOWN = "RSSMRA82C52H501K"
# Maria's password after the credential paths (none of her last five).
LATEST_PASSWORD = "Gessetto-Rosso-55"

# Used by AWS on the function's behalf (SSE-KMS and encrypted environments):
# function -> {(action, resource logical id): reason}.
_WRITES_STORAGE = {
    ("kms:Decrypt", "StorageKey"): "its environment, the table and the queue are encrypted with StorageKey",
    ("kms:Encrypt", "StorageKey"): "it writes to the table encrypted with StorageKey",
    (
        "kms:GenerateDataKey",
        "StorageKey",
    ): "it writes to the table and sends to the queue, encrypted with StorageKey",
}
BY_AWS: dict[str, dict[tuple[str, str], str]] = {
    "RegisterFunction": _WRITES_STORAGE,
    "RequestResetFunction": _WRITES_STORAGE,
    "ConfirmResetFunction": _WRITES_STORAGE,
    "NotifyFunction": {
        **_WRITES_STORAGE,
        ("ses:SendRawEmail", "SenderIdentity"): "SES authorises a raw-content SendEmail as SendRawEmail",
    },
    "SendOtpFunction": _WRITES_STORAGE,
    "VerifyOtpFunction": _WRITES_STORAGE,
    "IssuePinFunction": _WRITES_STORAGE,
    "ChangePasswordFunction": _WRITES_STORAGE,
    "VerifyCredentialsFunction": _WRITES_STORAGE,
    "VerifyPinFunction": _WRITES_STORAGE,
    "OpsFunction": _WRITES_STORAGE,
    "RedeemTemporaryCodeFunction": _WRITES_STORAGE,
    "ContactsFunction": _WRITES_STORAGE,
    "TotpFunction": _WRITES_STORAGE,
    "FactorChangesFunction": _WRITES_STORAGE,
    "ConfigureSchoolFunction": _WRITES_STORAGE,
    "ConfigureClientFunction": _WRITES_STORAGE,
    "ExpirySweepFunction": _WRITES_STORAGE,
    "BouncesFunction": _WRITES_STORAGE,
    "ImportFunction": {
        **_WRITES_STORAGE,
        (
            "kms:Decrypt",
            "StorageKey",
        ): "its environment, the table and the bucket are encrypted with StorageKey",
    },
    "InvitationsFunction": _WRITES_STORAGE,
    "BulkNotifyFunction": {
        **_WRITES_STORAGE,
        ("ses:SendRawEmail", "SenderIdentity"): "SES authorises a raw-content SendEmail as SendRawEmail",
    },
    "InviteFunction": {
        ("kms:Decrypt", "StorageKey"): "its environment and the table it reads are encrypted with StorageKey",
        ("kms:GenerateDataKey", "StorageKey"): "it sends to the invitation queue, encrypted with StorageKey",
    },
    "SchoolReportFunction": {
        ("kms:Decrypt", "StorageKey"): "its environment and the table it reads are encrypted with StorageKey",
        ("kms:GenerateDataKey", "StorageKey"): "it writes to the bucket, encrypted with StorageKey",
    },
    "FlowStatusFunction": {
        ("kms:Decrypt", "StorageKey"): "its environment and the table it reads are encrypted with StorageKey",
    },
    "DiscoveryFunction": {
        ("kms:Decrypt", "StorageKey"): "its environment is encrypted with StorageKey",
    },
    "AuthorizeFunction": _WRITES_STORAGE,
    "SignInFunction": _WRITES_STORAGE,
    "TokenFunction": _WRITES_STORAGE,
    "RevocationFunction": _WRITES_STORAGE,
    "EndSessionFunction": _WRITES_STORAGE,
    "AccountFunction": _WRITES_STORAGE,
    "BackchannelLogoutFunction": {
        ("kms:Decrypt", "StorageKey"): "its environment, the table and queue it reads: StorageKey",
    },
    "UserinfoFunction": {
        ("kms:Decrypt", "StorageKey"): "its environment and the table it reads are encrypted with StorageKey",
    },
    "FederationFunction": {
        ("kms:Decrypt", "StorageKey"): "its environment and the table it reads are encrypted with StorageKey",
    },
    "FederationCheckFunction": {
        ("kms:Decrypt", "StorageKey"): "its environment and the table it reads are encrypted with StorageKey",
    },
    "SpidCieFunction": _WRITES_STORAGE,
}

_ITEM_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _actions(service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The IAM actions one call needs, each with the parameters naming its resource."""
    if operation == "TransactWriteItems":
        return [
            (f"dynamodb:{_ITEM_ACTIONS[kind]}", body)
            for item in params["TransactItems"]
            for kind, body in item.items()
        ]
    prefix = {"sesv2": "ses"}.get(service, service)
    # S3 authorises HeadObject as GetObject; SQS a batch send as SendMessage.
    operation = {"HeadObject": "GetObject", "SendMessageBatch": "SendMessage"}.get(operation, operation)
    return [(f"{prefix}:{operation}", params)]


class Recorder:
    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.used: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self.running: str | None = None  # the function being invoked

    def resources(self, action: str, params: dict[str, Any]) -> list[str]:
        deployment = self.stack.deployment
        if action.startswith("dynamodb:"):
            arn = deployment.attributes[("Table", "Arn")]
            return [f"{arn}/index/{params['IndexName']}" if "IndexName" in params else arn]
        if action.startswith("sqs:"):
            by_url = {url: logical_id for logical_id, url in deployment.refs.items()}
            return [deployment.attributes[(by_url[params["QueueUrl"]], "Arn")]]
        if action.startswith("kms:"):
            # The key a call names; notify's Decrypt names none: the outbox key's data keys.
            return [params.get("KeyId") or deployment.attributes[("OutboxKey", "Arn")]]
        if action.startswith("s3:"):
            # Granted on the upload prefix, as the template writes it, or on a top-level object itself.
            key = params["Key"]
            return [f"arn:aws:s3:::{params['Bucket']}/{key.split('/')[0] + '/*' if '/' in key else key}"]
        if action.startswith("sns:"):
            return ["*"]  # SMS to a phone number: no resource (topics are denied)
        if action.startswith("secretsmanager:"):
            return [params["SecretId"]]
        # SES authorises a send against the identity and the configuration set.
        return [
            _ses_arn(self.stack, "identity/${SenderDomain}"),
            _ses_arn(self.stack, "configuration-set/${EmailConfigurationSet}"),
        ]

    def record(self, service: str, operation: str, params: dict[str, Any]) -> None:
        function = self.running
        if function is None:  # the test itself, seeding or looking
            return
        for action, resource_params in _actions(service, operation, params):
            for resource in self.resources(action, resource_params):
                self.used[function].add((action, resource))


def _ses_arn(stack: Any, suffix: str) -> str:
    resolved: str = stack.deployment.resolve(
        {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:" + suffix}
    )
    return resolved


def _granted(stack: Any, function_id: str) -> set[tuple[str, str]]:
    resource = tpl.resources_of_type("AWS::Serverless::Function")[function_id]
    granted = set()
    for policy in resource["Properties"].get("Policies", []):
        for statement in policy["Statement"]:
            if statement.get("Effect") == "Deny":
                continue
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            # Resolved first: a condition (Fn::If) may choose a list of resources.
            resolved = stack.deployment.resolve(statement["Resource"])
            resources = resolved if isinstance(resolved, list) else [resolved]
            for action in actions:
                for arn in resources:
                    granted.add((action, arn))
    return granted


def _by_aws(stack: Any, function_id: str) -> set[tuple[str, str]]:
    resolved = set()
    for action, logical_id in BY_AWS.get(function_id, {}):
        if logical_id == "SenderIdentity":
            resolved.add((action, _ses_arn(stack, "identity/${SenderDomain}")))
            resolved.add((action, _ses_arn(stack, "configuration-set/${EmailConfigurationSet}")))
        else:
            resolved.add((action, stack.deployment.attributes[(logical_id, "Arn")]))
    return resolved


@pytest.fixture
def recorded(stack, monkeypatch):
    recorder = Recorder(stack)
    original = botocore.client.BaseClient._make_api_call

    def recording(client: Any, operation: str, params: dict[str, Any]) -> Any:
        recorder.record(client.meta.service_model.service_name, operation, params)
        return original(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    invoke = stack.functions.invoke

    def invoking(function_id: str, event: dict[str, Any]) -> Any:
        recorder.running = function_id
        # In-process, functions share module state; each Lambda container
        # makes its own data key, so every function must be seen making one.
        tokens.forget_keys()
        pepper.forget()
        totp.forget()
        try:
            return invoke(function_id, event)
        finally:
            recorder.running = None

    monkeypatch.setattr(stack.functions, "invoke", invoking)
    return recorder


def _drive_every_path(stack, load_event):
    stack.set_policy(otp_required_for_activation=False, link_emails_per_recipient_per_hour=2)
    # register: known, unknown, already registered
    code = activated = activate(stack, load_event, KNOWN)
    for cf in (KNOWN, "BNCGNN80A01H501T"):
        stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": cf}))
    # reset by each identifier, one over the recipient's cap
    for identifier in (KNOWN, code, "maria.rossi@example.it", KNOWN):
        request_reset(stack, load_event, identifier)
    token = last_token(stack)
    # flow status, a weak password on a live link, the confirmation, its replay
    stack.call("FlowStatusFunction", load_event("flow_status", body={"token": token}))
    confirm(stack, load_event, token, "weak")
    confirm(stack, load_event, token, PASSWORD)
    confirm(stack, load_event, token, PASSWORD)
    _drive_the_sign_in(stack, load_event, code)
    _drive_the_logouts(stack, load_event, code)
    # a commit whose answer is lost, resolved by its receipt
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": "BNCLCU79S05F205Y"}))
    with stack.env("ConfirmResetFunction"), failing("timeout", operation="TransactWriteItems", applied=True):
        confirm(stack, load_event, last_token(stack))
    # notify: a message met before its commit is deferred, then delivered
    message = {
        **json.loads(load_event("notify")["Records"][0]["body"]),
        "commit_id": "deferred-then-delivered",
        "commit_by": int(time.time()) + 60,
    }
    sqs = stack.deployment.client("sqs")
    sqs.send_message(QueueUrl=stack.deployment.refs["OutboxQueue"], MessageBody=json.dumps(message))
    stack.deliver()
    stack.deployment.client("dynamodb").put_item(
        TableName=stack.deployment.refs["Table"],
        Item={name: {"S": value} for name, value in keys.commit_receipt("deferred-then-delivered").items()},
    )
    stack.release_failed()
    # notify: SES fails once (the idempotency record is dropped), then the retry sends
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": "SPSNTN75A30F839Y"}))
    with stack.env("NotifyFunction"), failing("throttling", operation="SendEmail"):
        stack.deliver()
    stack.release_failed()
    stack.deliver()
    # SMS: a code sent (and texted by notify), a wrong one, the right one
    stack.set_policy(otp_required_for_reset=True, link_emails_per_recipient_per_hour=20)
    request_reset(stack, load_event, KNOWN)
    token = last_token(stack)
    stack.call("SendOtpFunction", load_event("send_otp", body={"token": token}))
    stack.deliver()
    code = re.search(r"#(\d{6})$", sent.outbox(REGION)["sms"][-1]["text"]).group(1)
    for guess in (f"{(int(code) + 1) % 10**6:06d}", code):
        stack.call("VerifyOtpFunction", load_event("verify_otp", body={"token": token, "code": guess}))
    _drive_the_credential_paths(stack, load_event, user_code=activated)
    _drive_the_sweep(stack, load_event)
    _drive_the_federation(stack, load_event)
    _drive_spid_and_cie(stack)
    _drive_the_sign_in_page_s_other_ways(stack, load_event)
    _drive_the_account_area_by_e_mail(stack, load_event)


def _account(stack, load_event, sample: str, cookie: str, **body: Any) -> Any:
    return stack.call("AccountFunction", load_event(sample, body=body or None, headers={"Cookie": cookie}))


def _drive_the_account_area(stack, load_event, user_code):
    """Maria's account area (a mobile, no app yet): the overview, signing in again (to
    /accedi and back), an app's enrolment and a PIN after her SMS code, one device signed out."""
    cookie = signed_in_session(stack, load_event, user_code, LATEST_PASSWORD)
    _account(stack, load_event, "account_account", cookie)
    started = stack.call("AccountFunction", load_event("account_sign-in", headers={"Cookie": cookie}))
    verifier = started.headers["Set-Cookie"].split(";")[0]
    event = sign_in_event(query_of(started.headers["Location"])["richiesta"], user_code, LATEST_PASSWORD)
    event["headers"]["Cookie"] = cookie
    back = query_of(stack.call("SignInFunction", event).body["redirect"])
    returned = load_event("account_return", headers={"Cookie": f"{cookie}; {verifier}"})
    returned["queryStringParameters"] = back
    stack.call("AccountFunction", returned)
    stack.call("AccountFunction", load_event("account_sign-in", headers={"Cookie": ""}))
    change_factor(stack, load_event, "account_app", headers={"Cookie": cookie})
    change_factor(stack, load_event, "account_pin", headers={"Cookie": cookie})
    device = _account(stack, load_event, "account_account", cookie).body["devices"][0]["id"]
    _account(stack, load_event, "account_sign-out", cookie, device=device)


def _drive_the_account_area_by_e_mail(stack, load_event):
    """Luca's account area (an e-mail, no mobile): a new password, a new address and a
    removal refused (he has no app), every device signed out."""
    cookie = signed_in_session(stack, load_event, "luca.b@example.it")  # as the school's import left it
    _account(stack, load_event, "account_password", cookie, new_password="Lavagna-Gialla-19")
    _account(stack, load_event, "account_email", cookie, email="luca.nuovo@example.it")
    _account(stack, load_event, "account_mobile", cookie, mobile="+393471112233")
    _account(stack, load_event, "account_remove", cookie)
    _account(stack, load_event, "account_sign-out", cookie, device="all")


def _drive_the_federation(stack, load_event):
    """The intermediate's and a school's Entity Configurations, a subordinate statement, the list
    (invoked as they are: statements are JWTs, not JSON)."""
    signing.forget()  # the federation function's own container reads its keys itself
    for sample in ("federation_federation", "federation_rp", "federation_fetch", "federation_list"):
        stack.functions.invoke("FederationFunction", load_event(sample))
    # The hourly check: every school's trust marks; the anchor (here a closed port: refused at once)
    stack.functions.specs["FederationCheckFunction"].environment["TRUST_ANCHOR"] = "http://127.0.0.1:9"
    stack.functions.invoke("FederationCheckFunction", load_event("federation_check"))


def _drive_the_sign_in_page_s_other_ways(stack, load_event):
    """From the sign-in page: a reset that goes back to the register (Antonio, activated here),
    and the office's temporary code."""
    stack.set_policy(link_emails_per_recipient_per_hour=20, requests_per_identifier_per_hour=100)
    antonio = "SPSNTN75A30F839Y"
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": antonio}))
    if "#token=" in stack.deliver()[-1]["text"]:  # not yet active: his activation link
        confirm(stack, load_event, last_token(stack))
    fresh = query_of(authorize(stack, load_event).headers["Location"])["richiesta"]
    reset = {"identifier": antonio, "request": fresh}
    stack.call("RequestResetFunction", load_event("request_reset", body=reset))
    confirm(stack, load_event, last_token(stack), "Lavagna-Verde-77")
    paper = paper_code_redemption(stack, load_event)
    fresh = query_of(authorize(stack, load_event).headers["Location"])["richiesta"]
    paper["body"] = json.dumps({**json.loads(paper["body"]), "request": fresh})
    stack.call("RedeemTemporaryCodeFunction", paper)


def _drive_spid_and_cie(stack):
    """The providers listed; a SPID sign-in, the first (the account linked) and a second one;
    one refused (nobody of the school)."""
    from tests.integration.spid_cie_world import spid_cie_world

    with pytest.MonkeyPatch.context() as patch:
        world = spid_cie_world(stack, patch)
        signing.forget()  # its own container reads the leaf's keys itself
        stack.call("SpidCieFunction", load_event_of("spid_cie_providers"))
        world.spid.fiscal_number = "TINIT-VRDGLI85L61H501C"
        world.sign_in(world.spid)
        world.sign_in(world.spid)
        world.spid.fiscal_number = "TINIT-NREPLA80A01H501B"
        world.sign_in(world.spid)


def _drive_the_sweep(stack, load_event):
    """A reminder a day before an unused activation link expires, its closing, its deletion."""
    stack.set_policy(otp_required_for_activation=False)
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": "CLMSFO12P54H501O"}))
    stack.deliver()
    expires_at = int(time.time()) + 72 * 3600
    for at in (expires_at - 24 * 3600 + 60, expires_at + 60, expires_at + 7 * 24 * 3600 + 60):
        with stack.env("ExpirySweepFunction"):
            sweep_store.advance_cursor(sweep_store.cursor(), at - 15 * 60)
        with mock.patch("time.time", return_value=at):
            stack.functions.invoke("ExpirySweepFunction", load_event("expiry_sweep"))
    stack.deliver()
    # Sofia's address bounces (SES -> SNS -> the bounces function)
    bounce = load_event("bounces")
    message = json.loads(bounce["Records"][0]["Sns"]["Message"])
    message["bounce"]["bouncedRecipients"][0]["emailAddress"] = "sofia.colombo@example.it"
    bounce["Records"][0]["Sns"]["Message"] = json.dumps(message)
    stack.functions.invoke("BouncesFunction", bounce)
    _drive_the_import(stack)
    _drive_the_school_year_console(stack, load_event)
    _drive_the_schools(stack, load_event)
    _drive_the_clients(stack, load_event)


def _drive_the_sign_in(stack, load_event, user_code):
    """A register's client signs Maria in: authorize, the sign-in page's
    answer, the code exchanged, userinfo; a replayed code; a wrong password."""
    for sample in ("discovery_openid-configuration", "discovery_jwks"):
        stack.call("DiscoveryFunction", load_event(sample))
    secret = register_client(stack)
    code = signed_in_code(stack, load_event, user_code)
    signing.forget()  # the token function's own container: it reads the public key itself
    tokens = token_request(stack, load_event, secret, code=code).body
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    stack.call("UserinfoFunction", load_event("userinfo", headers=bearer))
    refreshed = token_request(
        stack, load_event, secret, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    ).body
    revocation = load_event("revocation", raw_body=f"token={refreshed['refresh_token']}")
    revocation["headers"]["Authorization"] = token_event_authorization(secret)
    stack.call("RevocationFunction", revocation)
    revocation["body"] = f"token={refreshed['access_token']}"
    stack.call("RevocationFunction", revocation)
    # The register asks silently for the person its ID token names (id_token_hint)
    signing.forget()  # authorize's own container reads the published keys itself
    authorize(stack, load_event, prompt="none", id_token_hint=tokens["id_token"])
    # A browser still signed in gets its code at once, and its session kept alive
    authorize(stack, load_event, cookie=signed_in_session(stack, load_event, user_code))
    token_request(stack, load_event, secret, code=code)  # replayed: its family revoked
    # The register signs her out of Chiave too: the question, then the form posted
    # (pages, not JSON: invoked as they are)
    stack.functions.invoke("EndSessionFunction", load_event("end_session"))
    signing.forget()  # the end-session function's own container reads the keys itself
    hinted = load_event("end_session")
    hinted["queryStringParameters"] = {"id_token_hint": tokens["id_token"]}
    hinted["multiValueQueryStringParameters"] = {"id_token_hint": [tokens["id_token"]]}
    hinted["headers"]["Cookie"] = "__Host-chiave-session=" + "x" * 43
    stack.functions.invoke("EndSessionFunction", hinted)
    stack.functions.invoke("EndSessionFunction", load_event("end_session_post"))
    # A client with keys (private_key_jwt) revokes with an assertion (its jti kept)
    key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    register_client(
        stack,
        client="registro-chiavi",
        auth_method="private_key_jwt",
        jwks={"keys": [key.as_dict(private=False)]},
    )
    with stack.env("RevocationFunction"):
        audience = discovery.endpoint("token")
    now = int(time.time())
    claims = {
        "iss": "registro-chiavi",
        "sub": "registro-chiavi",
        "aud": audience,
        "jti": "j1",
        "exp": now + 60,
    }
    signed = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
    form = urlencode(
        {
            "token": "x" * 43,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": signed,
        }
    )
    stack.call("RevocationFunction", load_event("revocation", raw_body=form, headers={"Authorization": ""}))
    asked = authorize(stack, load_event)
    request = query_of(asked.headers["Location"])["richiesta"]
    sign_in_answer(stack, load_event, request, "maria.rossi@example.it", "Sbagliata-1!")
    # A login nobody has, tried until it locks (its notice a cover, as for anyone)
    for _attempt in range(12):
        sign_in_answer(stack, load_event, request, "nessuno@example.it", "Sbagliata-1!")


def _drive_the_logouts(stack, load_event, user_code):
    """Sessions end and the registers they signed into are told: the person
    signs out on Chiave's own page, the office disables her (its commit lost
    the first time: that logout waits for it, then is dropped), and the
    logouts posted to a register that does not answer."""
    register_client(stack, backchannel_logout_uri="http://127.0.0.1:9/backchannel-logout")
    cookie = signed_in_session(stack, load_event, user_code)
    signed_out = load_event("end_session_post", raw_body="state=s", headers={"Cookie": cookie})
    stack.functions.invoke("EndSessionFunction", signed_out)
    signed_in_session(stack, load_event, user_code)
    with stack.env("OpsFunction"), failing("throttling", operation="TransactWriteItems"):
        ops(stack, "ops_disable")
    stack.drain("BackchannelLogoutFunction", "LogoutQueue")
    ops(stack, "ops_disable")
    ops(stack, "ops_enable")
    signing.forget()  # the logout function's own container reads the public key itself
    stack.drain("BackchannelLogoutFunction", "LogoutQueue")


def _drive_the_clients(stack, load_event):
    """A register's client registered, changed, its secret rotated, listed, disabled and enabled."""
    for sample in (
        "configure_client",
        "configure_client_rotate_secret",
        "configure_client_list",
        "configure_client_disable",
        "configure_client_enable",
    ):
        stack.functions.invoke("ConfigureClientFunction", load_event(sample))


def _drive_the_schools(stack, load_event):
    """A school configured, changed, refused, listed, disabled and enabled."""
    for sample in ("configure_school", "configure_school_list", "configure_school_disable"):
        stack.functions.invoke("ConfigureSchoolFunction", load_event(sample))
    refused = {**load_event("configure_school"), "policy": {"otp_length": 12}}
    stack.functions.invoke("ConfigureSchoolFunction", refused)
    # A new school whose commit fails: its profile is withdrawn again
    failed = {**load_event("configure_school"), "school": "RMIC8GF003"}
    with failing("throttling", operation="TransactWriteItems"):
        stack.functions.invoke("ConfigureSchoolFunction", failed)
    stack.functions.invoke("ConfigureSchoolFunction", load_event("configure_school_enable"))


def _drive_the_school_year_console(stack, load_event):
    """A bulk invitation (an order failing once, its orphan mail deferred on
    the bulk lane, SES failing once), an invitation's delivery, the school report."""
    stack.functions.invoke("InviteFunction", load_event("invite"))
    with failing("throttling", operation="TransactWriteItems"):
        stack.drain("InvitationsFunction", "InvitationQueue")
    stack.drain("BulkNotifyFunction", "BulkOutboxQueue")
    stack.release_failed("InvitationsFunction", "InvitationQueue")
    stack.drain("InvitationsFunction", "InvitationQueue")
    with failing("throttling", operation="SendEmail"):  # its idempotency record dropped
        stack.drain("BulkNotifyFunction", "BulkOutboxQueue")
    stack.release_failed("BulkNotifyFunction", "BulkOutboxQueue")
    stack.drain("BulkNotifyFunction", "BulkOutboxQueue")
    stack.functions.invoke("BouncesFunction", load_event("bounces_delivery"))
    stack.functions.invoke("SchoolReportFunction", load_event("school_report"))


def _drive_the_import(stack):
    from chiave_local.emulator.events import load_event

    """A school's file: a new person, a changed one (an active account's
    e-mail replaced: its notice), a bad row; its report."""
    rows = [
        "scuola;codice_fiscale;cognome;nome;email;cellulare;ruolo;classe",
        "RMIC817009;BNCLCU79S05F205Y;Bianchi;Luca;luca.b@example.it;;genitore;1A",
        "RMIC817009;NRELNE80A41H501V;Neri;Elena;elena.neri@example.it;;genitore;1A",
        "RMIC817009;NRELNE80A41H501X;Neri;Elena;;;genitore;",
    ]
    bucket, key = stack.deployment.refs["ImportBucket"], "imports/RMIC817009/anagrafica.csv"
    stack.deployment.client("s3").put_object(Bucket=bucket, Key=key, Body="\n".join(rows).encode())
    event = load_event("imports")
    event["Records"][0]["s3"]["bucket"]["name"] = bucket
    event["Records"][0]["s3"]["object"]["key"] = key
    stack.functions.invoke("ImportFunction", event)


def _drive_the_credential_paths(stack, load_event, user_code):
    """issue-pin (each delivery, the SMS step), change-password, the internal
    checks: right, wrong, locking (its notice), upgrading an old hash."""
    stack.set_policy(
        otp_required_for_activation=False,
        login_max_failures=2,
        pin_max_attempts=2,
        requests_per_identifier_per_hour=100,
        link_emails_per_recipient_per_hour=20,
    )
    email = "maria.rossi@example.it"
    pin = issue_pin(stack, load_event, user_code).body["pin"]
    for guess in (f"{(int(pin) + 1) % 10**6:06d}", pin):
        verify_pin(stack, load_event, user_code, guess)
    for function in (verify_credentials, issue_pin):
        for _ in range(2):
            function(stack, load_event, email, "Sbagliata-1!")  # the second locks, and mails
        stack.deliver()
        request_reset(stack, load_event, email)
        confirm(stack, load_event, last_token(stack), PASSWORD)
    verify_credentials(stack, load_event, email, "Sbagliata-1!")
    verify_credentials(stack, load_event, email)  # clears the failure
    stack.set_policy(
        otp_required_for_activation=False,
        pin_delivery="email",
        otp_required_for_pin=True,
        requests_per_identifier_per_hour=100,
    )
    token = issue_pin(stack, load_event, email).body["token"]
    stack.call("SendOtpFunction", load_event("send_otp", body={"token": token}))
    stack.deliver()
    code = re.search(r"#(\d{6})$", sent.outbox(REGION)["sms"][-1]["text"]).group(1)
    stack.call("VerifyOtpFunction", load_event("verify_otp", body={"token": token, "code": code}))
    issue_pin(stack, load_event, email, token=token)
    change_password(stack, load_event, email, PASSWORD, "weak")
    change_password(stack, load_event, email, PASSWORD, "Lavagna-Verde-77")
    # A password hashed with older argon2 parameters is upgraded by the check
    with mock.patch.object(passwords, "ARGON2_TIME_COST", 2):
        passwords._hasher.cache_clear()
        change_password(stack, load_event, user_code, "Lavagna-Verde-77", LATEST_PASSWORD)
    passwords._hasher.cache_clear()
    verify_credentials(stack, load_event, user_code, LATEST_PASSWORD)
    stack.deliver()
    _drive_the_contacts_and_the_app(stack, load_event, user_code)
    _drive_the_changes_by_email(stack, load_event)
    # ops: every action from the console, one by user code
    for sample in ("ops_unlock", "ops_disable", "ops_enable", "ops_revoke", "ops"):
        stack.functions.invoke("OpsFunction", load_event(sample))
    by_user_code = {**load_event("ops_disable"), "user_code": user_code}
    del by_user_code["codice_fiscale"]
    stack.functions.invoke("OpsFunction", by_user_code)
    # ops: an identification in person activates an account waiting for it, and mails its holder
    stack.set_policy(otp_required_for_activation=False, in_person_identification=True)
    antonio = "SPSNTN75A30F839Y"
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": antonio}))
    if "#token=" in stack.deliver()[-1]["text"]:  # not yet active: his activation link
        confirm(stack, load_event, last_token(stack))
    stack.functions.invoke(
        "OpsFunction", {**load_event("ops_record_identification"), "codice_fiscale": antonio}
    )
    # ops: temporary codes, by e-mail (a new user code reserved) and on paper; one redeemed
    sofia = {**load_event("ops_issue_temporary_code"), "codice_fiscale": "CLMSFO12P54H501O"}
    stack.functions.invoke("OpsFunction", sofia)
    redemption = paper_code_redemption(stack, load_event)
    stack.call("RedeemTemporaryCodeFunction", redemption)
    body = json.loads(redemption["body"])

    for login in ("VRDGLI85L61H501C", "sofia.colombo@example.it"):
        body = {**body, "login": login, "temporary_code": "AAAAA-AAAAA"}
        stack.call("RedeemTemporaryCodeFunction", load_event("redeem_temporary_code", body=body))
    stack.deliver()
    # ops: erase, last (Maria leaves the school)
    stack.functions.invoke("OpsFunction", load_event("ops_erase"))


def _drive_the_changes_by_email(stack, load_event):
    """Luca, whose only contact is his e-mail: each change asked with the
    password, confirmed from his mailbox, one cancelled, each completed
    after the cool-off (a new number's SMS, an app's secret)."""
    login = {"school": SCHOOL, "login": "luca.bianchi@example.it", "password": PASSWORD}
    asked = {
        "contacts_email": ("ContactsFunction", {"email": "luca.nuovo@example.it"}),
        "contacts_mobile": ("ContactsFunction", {"mobile": "+393401112233"}),
        "totp_enrol": ("TotpFunction", {}),
    }
    scheduled = []
    for sample, (function_id, change) in asked.items():
        stack.call(function_id, load_event(sample, body={**login, **change}))
        confirmation = token_in(stack.deliver()[-1])
        confirmed = stack.call(
            "FactorChangesFunction", load_event("factor_changes_confirm", body={"token": confirmation})
        )
        scheduled.append((token_in(stack.deliver()[-1]), confirmed.body["usable_from"]))
    stack.call("FactorChangesFunction", load_event("factor_changes_cancel", body={"token": scheduled[0][0]}))
    for token, usable_from in scheduled:
        with mock.patch("time.time", return_value=usable_from + 1):
            stack.call("FactorChangesFunction", load_event("factor_changes_complete", body={"token": token}))
    stack.deliver()


def _drive_the_contacts_and_the_app(stack, load_event, user_code):
    """A new address (its link confirmed), a new number (its code verified,
    then confirmed), an authenticator app enrolled and its code verified."""
    _drive_the_account_area(stack, load_event, user_code)
    login = {"school": SCHOOL, "login": user_code, "password": LATEST_PASSWORD}
    new_address = {**login, "email": "maria.nuova@example.it"}
    change_factor(stack, load_event, "contacts_email", **new_address)
    link = re.search(r"#token=([A-Za-z0-9_-]{43})", stack.deliver()[-2]["text"]).group(1)
    stack.call("ContactsFunction", load_event("contacts_confirm", body={"token": link}))
    # From here on by the new address, which logs in now (each login kind is driven)
    login = {**login, "login": "maria.nuova@example.it"}
    new_number = {**login, "mobile": "+393471234567"}
    token = change_factor(stack, load_event, "contacts_mobile", **new_number).body["token"]
    stack.deliver()
    code = re.search(r"#(\d{6})$", sent.outbox(REGION)["sms"][-1]["text"]).group(1)
    stack.call("VerifyOtpFunction", load_event("verify_otp", body={"token": token, "code": code}))
    stack.call("ContactsFunction", load_event("contacts_confirm", body={"token": token}))
    started = change_factor(stack, load_event, "totp_enrol", **login).body
    app = pyotp.TOTP(started["secret"])
    confirmation = {"enrolment": started["enrolment"], "code": app.now()}
    stack.call("TotpFunction", load_event("totp_confirm", body=confirmation))
    stack.set_policy(otp_required_for_activation=False, otp_required_for_reset=True)
    request_reset(stack, load_event, user_code)
    later = time.time() + 30
    with mock.patch("time.time", return_value=later):
        body = {"token": last_token(stack), "code": app.at(later)}
        stack.call("VerifyOtpFunction", load_event("verify_otp", body=body))
    stack.deliver()


def test_topics_are_denied_to_notify():
    notify = tpl.resources_of_type("AWS::Serverless::Function")["NotifyFunction"]
    statements = [
        statement for policy in notify["Properties"]["Policies"] for statement in policy["Statement"]
    ]
    denied = [statement for statement in statements if statement.get("Effect") == "Deny"]
    assert [(statement["Action"], statement["Resource"]) for statement in denied] == [
        ("sns:Publish", {"Fn::Sub": "arn:${AWS::Partition}:sns:*:*:*"})
    ]


def test_every_action_is_granted_and_every_grant_is_used(stack, load_event, recorded):
    # Given every path of every function, driven with its calls recorded
    _drive_every_path(stack, load_event)
    for function_id in tpl.functions():
        used = recorded.used[function_id]
        granted = _granted(stack, function_id)
        by_aws = _by_aws(stack, function_id)
        # Then each action used is granted, on that resource
        assert used - granted == set(), (function_id, "not granted")
        # And each grant is used by the code, or by AWS for it (listed with a reason)
        assert granted - used - by_aws == set(), (function_id, "granted, never used")
        assert by_aws <= granted, (function_id, "listed by hand, not granted")
