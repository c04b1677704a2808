"""AWS calls per flow on a warm container (make bench, section `calls`):
one table row per case below, each against its flow's target."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from bench.world import ACTIVE, PENDING, World
from chiave_local.demo import seed
from chiave_local.emulator.calls import recording
from chiave_local.emulator.events import authorize_event, load_event

Event = dict[str, Any]
UNKNOWN = "BNCGNN80A01H501T"  # a codice fiscale nobody has

CALL_TARGETS = {
    "register": 4,
    "request-reset": 4,
    "confirm-reset": 3,
    "send-otp": 3,
    "verify-otp": 2,
    # A login or a PIN check reserves its attempt before the secret is checked
    # and releases it after a success (SPEC §6): two UpdateItem more than
    # before that rule. issue-pin's also counts notify's queue (SendMessage).
    "issue-pin": 6,
    "verify-credentials": 4,
    "verify-pin": 4,
    # The sign-in's endpoints (issue 23): at most 3 calls, plus the one KMS
    # Sign of a token response (counted apart below).
    "discovery": 3,
    "authorize": 3,
    "token": 3,
    "userinfo": 3,
    "revocation": 3,
    "end-session": 3,
    # A statement: the school (or none), and its one KMS Sign (uncounted, as the token's).
    "federation": 3,
    # Entra con SPID / CIE, the provider's chain cached: to the provider (the request,
    # the client, the school, the chain; the sign-in kept) and back (the state taken, the
    # chain, the request, the school and person, the one transaction, userinfo's Decrypt).
    # The request object's and the client assertion's KMS Sign are uncounted, as the token's.
    "spid-cie": 6,
    # The sign-in page's call is a login, by the same rule as issue-pin's
    # (5 calls without a message), plus the kept request and the client it names.
    "sign-in": 7,
    # The account area, with the session: the session, the account and the school read
    # (3), then the change's own calls: one transaction with the session checked in it, and
    # its notice's SendMessage where it sends one. Signing out everywhere also finds the
    # account's sessions (Query, BatchGetItem) and queues the registers' logouts.
    "account": 7,
    # A logout told: the commit's receipt and the client read; its KMS Sign uncounted.
    "backchannel-logout": 2,
}
# Calls a target does not count: the token response's signature.
UNCOUNTED = {"kms:Sign"}


def _reset(identifier: Callable[[World], str]) -> Callable[[World], Event]:
    return lambda world: load_event("request_reset", body={"identifier": identifier(world)})


def _login(sample: str, login: str | None = None) -> Callable[[World], Event]:
    return lambda world: world.login_event(sample, login)


def _confirm(world: World) -> Event:
    return load_event(
        "confirm_reset", body={"token": world.reset_token(), "new_password": "Nuova-Pass-2026!"}
    )


def _sample(name: str, **body: str) -> Callable[[World], Event]:
    return lambda _world: load_event(name, body=body) if body else load_event(name)


# (flow, case, function, the event: made afresh for each call)
CASES: list[tuple[str, str, str, Callable[[World], Event]]] = [
    ("register", "person known, link sent", "RegisterFunction", _sample("register", codice_fiscale=PENDING)),
    (
        "register",
        "person unknown",
        "RegisterFunction",
        _sample("register", codice_fiscale="BNCGNN80A01H501T"),
    ),
    ("request-reset", "by codice fiscale", "RequestResetFunction", _reset(lambda _: ACTIVE)),
    ("request-reset", "by user code", "RequestResetFunction", _reset(lambda world: world.user_code)),
    ("request-reset", "by e-mail", "RequestResetFunction", _reset(lambda _: "maria.rossi@example.it")),
    ("confirm-reset", "reset link", "ConfirmResetFunction", _confirm),
    (
        "flow status",
        "open link",
        "FlowStatusFunction",
        lambda world: load_event("flow_status", body={"token": world.reset_token()}),
    ),
    (
        "send-otp",
        "first code of a link (pepper and SMS switch cached)",
        "SendOtpFunction",
        lambda world: load_event("send_otp", body={"token": world.otp_token()}),
    ),
    ("verify-otp", "right code", "VerifyOtpFunction", World.verify_event),
    ("issue-pin", "by user code, PIN shown (pepper cached)", "IssuePinFunction", _login("issue_pin")),
    ("issue-pin", "by e-mail", "IssuePinFunction", _login("issue_pin", seed.generated_email(0))),
    ("change-password", "by user code", "ChangePasswordFunction", World.change_event),
    ("verify-credentials", "by user code", "VerifyCredentialsFunction", _login("verify_credentials")),
    (
        "verify-credentials",
        "by e-mail",
        "VerifyCredentialsFunction",
        _login("verify_credentials", seed.generated_email(0)),
    ),
    ("verify-pin", "right PIN", "VerifyPinFunction", World.pin_event),
    ("ops", "unlock (console)", "OpsFunction", _sample("ops_unlock")),
    ("ops", "audit trail (console)", "OpsFunction", _sample("ops")),
    ("ops", "temporary code on paper (console)", "OpsFunction", _sample("ops_issue_temporary_code")),
    ("redeem-temporary-code", "by codice fiscale", "RedeemTemporaryCodeFunction", World.redeem_event),
    ("contacts", "new e-mail (link sent)", "ContactsFunction", World.new_email_event),
    ("contacts", "new mobile (SMS code sent)", "ContactsFunction", World.new_mobile_event),
    ("contacts", "new e-mail confirmed", "ContactsFunction", World.email_confirmation_event),
    ("totp", "enrol", "TotpFunction", lambda world: world.app_event("totp_enrol")),
    ("totp", "confirm (first app code)", "TotpFunction", World.enrolment_confirmation_event),
    (
        "verify-otp (app)",
        "app code, secret not yet decrypted here",
        "VerifyOtpFunction",
        World.app_code_event,
    ),
    ("discovery", "configuration", "DiscoveryFunction", _sample("discovery_openid-configuration")),
    ("discovery", "JWKS (public keys cached)", "DiscoveryFunction", _sample("discovery_jwks")),
    ("authorize", "nobody signed in: to the sign-in page", "AuthorizeFunction", lambda _: authorize_event()),
    (
        "authorize",
        "signed in: the code at once",
        "AuthorizeFunction",
        lambda world: authorize_event(cookie=world.session()),
    ),
    ("sign-in", "password, no second factor", "SignInFunction", World.sign_in_request_event),
    ("token", "code exchanged (public key cached)", "TokenFunction", World.code_exchange_event),
    ("token", "refresh token rotated", "TokenFunction", World.refresh_event),
    ("userinfo", "bearer token", "UserinfoFunction", World.userinfo_event),
    ("revocation", "refresh token (its family)", "RevocationFunction", World.revocation_event),
    ("end-session", "with the ID token as hint", "EndSessionFunction", World.end_session_event),
    ("federation", "a school's Entity Configuration", "FederationFunction", _sample("federation_rp")),
    ("federation", "the intermediate's", "FederationFunction", _sample("federation_federation")),
    ("spid-cie", "to the provider (chain cached)", "SpidCieFunction", World.spid_start_event),
    ("spid-cie", "back, signed in (chain cached)", "SpidCieFunction", World.spid_callback_event),
    ("account", "the overview", "AccountFunction", lambda world: world.account_event("account_account")),
    ("account", "a new password (fresh sign-in)", "AccountFunction", World.new_password_event),
    (
        "account",
        "sign out of every device",
        "AccountFunction",
        lambda world: world.account_event("account_sign-out", device="all"),
    ),
    ("backchannel-logout", "a register told (key cached)", "BackchannelLogoutFunction", World.logout_event),
]


def count_calls(world: World, function_id: str, make_event: Callable[[World], Event]) -> Counter[str]:
    """The AWS calls of one answer, and the federation's HTTP calls (`http:` token, userinfo,
    statement) where it makes any."""
    world.call(function_id, make_event(world))  # warm the container
    event = make_event(world)  # preparing the event may call AWS itself
    asked_before = len(world.federation_http)
    with recording() as made:
        result = world.call(function_id, event)
    assert result.get("statusCode", 200) < 400 and result.get("ok", True), result
    if result.get("statusCode") == 302:  # a browser's redirect: never to the sign-in page's refusal
        assert "esito=" not in str(result.get("headers", {}).get("Location", "")), result
    return Counter(made) + Counter(f"http:{asked}" for asked in world.federation_http[asked_before:])


def measure(world: World) -> list[tuple[str, str, Counter[str]]]:
    return [(flow, case, count_calls(world, function_id, make)) for flow, case, function_id, make in CASES]


def markdown(calls: list[tuple[str, str, Counter[str]]]) -> str:
    lines = [
        "### AWS calls per flow (warm container)",
        "",
        "| flow | case | calls | detail | target |",
        "|---|---|---:|---|---|",
    ]
    for flow, case, counter in calls:
        total = sum(
            count for name, count in counter.items() if name not in UNCOUNTED and not name.startswith("http:")
        )
        target = CALL_TARGETS.get(flow)
        verdict = f"<= {target}: {'met' if total <= target else 'missed'}" if target else ""
        detail = ", ".join(f"{name} x{count}" for name, count in sorted(counter.items()))
        lines.append(f"| {flow} | {case} | {total} | {detail} | {verdict} |")
    return "\n".join([*lines, "", *_signing_capacity(calls)]) + "\n"


# KMS's request quota for RSA key pairs (Sign, Verify, GetPublicKey among them),
# per account and region, shared by every key: AWS's documented default.
KMS_RSA_REQUESTS_PER_S = 500
SIGN_INS_PER_HOUR = 100_000  # a 1 September morning
PEAK_FACTOR = 5  # the busiest minutes against the hour's average (the first bell)


def _signing_capacity(calls: list[tuple[str, str, Counter[str]]]) -> list[str]:
    """The token responses a second the KMS quota allows, against a 1 September morning's need."""
    signs = max(counter["kms:Sign"] for flow, _case, counter in calls if flow == "token")
    capacity = KMS_RSA_REQUESTS_PER_S // signs
    # Each sign-in: one code exchange; a register that keeps the parent past the
    # access token's 15 minutes refreshes once (an ID token each: a Sign).
    per_sign_in = 2 * signs
    average = SIGN_INS_PER_HOUR * per_sign_in / 3600
    peak = average * PEAK_FACTOR
    spid_signs = sum(counter["kms:Sign"] for flow, _case, counter in calls if flow == "spid-cie")
    with_spid = SIGN_INS_PER_HOUR * (per_sign_in + spid_signs) / 3600 * PEAK_FACTOR
    return [
        f"Token responses: {signs} KMS Sign each, so the account's RSA quota "
        f"({KMS_RSA_REQUESTS_PER_S}/s) allows {capacity} a second ({capacity * 3600:,} an hour).",
        f"A 1 September morning of {SIGN_INS_PER_HOUR:,} sign-ins an hour, each a code exchange "
        f"and one refresh: {average:.0f} Sign/s on average, {peak:.0f}/s at {PEAK_FACTOR}x the average "
        f"({peak / KMS_RSA_REQUESTS_PER_S:.0%} of the quota; the token route is throttled at 300/s).",
        f"Entra con SPID / CIE adds {spid_signs} Sign per sign-in (the request object and the client "
        f"assertion): the same morning, every parent by SPID or CIE, is {with_spid:.0f} Sign/s at the peak "
        f"({with_spid / KMS_RSA_REQUESTS_PER_S:.0%} of the default quota): raise the account's RSA quota "
        "(Service Quotas, KMS) before 1 September (docs/PERFORMANCE.md).",
    ]
