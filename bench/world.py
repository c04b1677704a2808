"""The bench's world: the local stack in this process, the people it is
seeded with, and the events the sections make from it (fresh links, SMS
and app codes, logins, committed outbox messages)."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest import mock

import pyotp
from botocore.config import Config

import chiave
from chiave.credentials import totp
from chiave.runtime import aws
from chiave.store import keys
from chiave_local.demo import seed, sent
from chiave_local.emulator.events import (
    authorize_event,
    client_authorization,
    load_event,
    query_of,
    sign_in_event,
    spid_cie_event,
    token_event,
)
from chiave_local.emulator.worker import QueuePoller
from chiave_local.stack import RunningStack, start

# Cold starts run under the Lambda runtime's Python where the machine has it
# (make bench sets BENCH_PYTHON), with the layer on the path as on Lambda.
PYTHON = os.environ.get("BENCH_PYTHON") or sys.executable
LAYER = Path(os.environ.get("BENCH_LAYER") or Path(chiave.__file__).resolve().parent.parent)
ACTIVE = "RSSMRA82C52H501K"  # activated once, then reset again and again
PENDING = "BNCLCU79S05F205Y"  # registers on every run (limits raised for the bench)
POLICY = {
    "RMIC817009": {
        "otp_required_for_activation": False,
        "requests_per_identifier_per_hour": 100,
        "requests_per_ip_per_hour": 10_000,
        "link_emails_per_recipient_per_hour": 20,
        # The password sign-in is measured beside SPID's, as the demo school offers both.
        "sign_in_methods": ["spid", "cie", "password"],
    }
}
PARITY_PAIRS = 40
# Timing parity: people who register once each, people activated to ask for
# a reset once each, and codes nobody has.
PARITY_PENDING = seed.generated_codes(PARITY_PAIRS, "PND")
PARITY_ACTIVE = seed.generated_codes(PARITY_PAIRS, "TTV")
PARITY_UNKNOWN = seed.generated_codes(2 * PARITY_PAIRS, "NSS")
# Timing parity of a login by e-mail: a mailbox of one account, and one two accounts share.
SOLO_PARENT = seed.generated_codes(1, "SOL")[0]
SHARED_PARENTS = seed.generated_codes(2, "SHR")
SOLO_EMAIL, SHARED_EMAIL = "solo.genitore@example.it", "famiglia.condivisa@example.it"
MAILBOX_ROWS = f"RMIC817009;{SOLO_PARENT};Soli;Genitore;{SOLO_EMAIL};;genitore\n" + "".join(
    f"RMIC817009;{cf};Condivisi;Genitore{i};{SHARED_EMAIL};;genitore\n" for i, cf in enumerate(SHARED_PARENTS)
)
# A parent who enters with SPID (a provider of the tests' federation, no network).
SPID_PARENT = seed.generated_codes(1, "SPD")[0]
# A parent activated once for the credential flows: PINs, checks, password changes.
PIN_HOLDER = seed.generated_codes(1, "PIN")[0]
HOLDER_PASSWORD = "Quaderno-Blu-42"  # noqa: S105 - a demo parent of the local stack
# A second school on the default policy (SMS code required), whose parents
# each have a mobile: one registers for every SMS flow the bench measures.
OTP_SCHOOL = "RMEE000001"
OTP_PARENTS = seed.generated_codes(60, "OTP")
# Its resets want a code too: the parent with an authenticator app gives the app's.
POLICY[OTP_SCHOOL] = {
    "otp_resend_cooldown_s": 0,
    "requests_per_ip_per_hour": 10_000,
    "otp_required_for_reset": True,
    "requests_per_identifier_per_hour": 100,
    "link_emails_per_recipient_per_hour": 20,
}
# Changes of a factor or a contact, and their functions: the account's factor proves them first.
STEPPED_UP = {
    "contacts_email": "ContactsFunction",
    "contacts_mobile": "ContactsFunction",
    "totp_enrol": "TotpFunction",
}
# A parent there who changes her contacts and enrols an authenticator app.
APP_HOLDER = seed.generated_codes(1, "APP")[0]
APP_HOLDER_ROW = f"{OTP_SCHOOL};{APP_HOLDER};Neri;Genitrice;app.holder@example.it;+393339999999;genitore\n"


class World:
    """The stack and its people, and the events the sections make from them."""

    def __init__(self, stack: RunningStack, workdir: Path) -> None:
        self.stack = stack
        self.functions = stack.functions
        self.workdir = workdir
        self.poller = QueuePoller(self.functions, "NotifyFunction", "OutboxQueue")
        self.resets = 0
        self.otp_links = 0
        self.holder = ""  # the PIN holder's user code, once activated
        self.app_holder = ""  # APP_HOLDER's user code, once activated
        # APP_HOLDER's authenticator app once enrolled, and the last time step it gave
        self.app: pyotp.TOTP | None = None
        self.app_step = 0
        self.holder_password = HOLDER_PASSWORD
        self.user_code = ""  # ACTIVE's user code, once activated
        self.active_password = HOLDER_PASSWORD  # ACTIVE's, until the account area changes it
        self.client_secret = ""  # the sample register's, once registered (configure_client)
        self._session_cookie = ""
        self._spid: Any = None  # the SPID provider, once the federation is set up
        self.federation_http: list[str] = []  # what the federation's servers were asked, in order
        self._told: _Listening | None = None  # the register's back-channel endpoint, once started

    def call(self, function_id: str, event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.functions.invoke(function_id, event)
        return result

    def deliver(self) -> list[dict[str, Any]]:
        while self.poller.poll_once():
            pass
        return sent.outbox(self.stack.deployment.region)["emails"]

    def token(self) -> str:
        found = re.search(r"#token=([A-Za-z0-9_-]{43})", self.deliver()[-1]["text"])
        assert found
        return found.group(1)

    def reset_token(self) -> str:
        # Spread over many accounts: one mailbox gets at most 20 links an hour.
        self.resets += 1
        cf = PARITY_ACTIVE[self.resets % len(PARITY_ACTIVE)]
        self.call("RequestResetFunction", load_event("request_reset", body={"identifier": cf}))
        return self.token()

    def otp_token(self) -> str:
        """A fresh activation link that needs an SMS code."""
        cf = OTP_PARENTS[self.otp_links % len(OTP_PARENTS)]
        self.otp_links += 1
        event = load_event("register", body={"codice_fiscale": cf}, path_parameters={"school": OTP_SCHOOL})
        self.call("RegisterFunction", event)
        return self.token()

    def otp_code(self, token: str) -> str:
        self.call("SendOtpFunction", load_event("send_otp", body={"token": token}))
        self.deliver()
        found = re.search(r"#(\d{6,8})$", sent.outbox(self.stack.deployment.region)["sms"][-1]["text"])
        assert found
        return found.group(1)

    def verify_event(self) -> dict[str, Any]:
        token = self.otp_token()
        return load_event("verify_otp", body={"token": token, "code": self.otp_code(token)})

    def activate(self, cf: str = ACTIVE) -> str:
        self.call("RegisterFunction", load_event("register", body={"codice_fiscale": cf}))
        event = load_event("confirm_reset", body={"token": self.token(), "new_password": "Quaderno-Blu-42"})
        return str(json.loads(self.call("ConfirmResetFunction", event)["body"])["user_code"])

    def login_event(self, sample: str, login: str | None = None) -> dict[str, Any]:
        body = {"school": "RMIC817009", "login": login or self.holder, "password": self.holder_password}
        return load_event(sample, body=body)

    def change_event(self) -> dict[str, Any]:
        """A change to a new password (the history refuses the last five)."""
        new = f"Nuova-{uuid.uuid4().hex[:8]}-1"
        body = {
            "school": "RMIC817009",
            "login": self.holder,
            "current_password": self.holder_password,
            "new_password": new,
        }
        self.holder_password = new
        return load_event("change_password", body=body)

    def pin_event(self) -> dict[str, Any]:
        issued = self.call("IssuePinFunction", self.login_event("issue_pin"))
        pin = json.loads(issued["body"])["pin"]
        return load_event("verify_pin", body={"school": "RMIC817009", "user_code": self.holder, "pin": pin})

    def redeem_event(self) -> dict[str, Any]:
        """A temporary code handed over on paper (Giulia has no e-mail), to redeem."""
        paper = self.call("OpsFunction", load_event("ops_issue_temporary_code"))
        body = {
            "school": "RMIC817009",
            "login": "VRDGLI85L61H501C",
            "temporary_code": paper["temporary_code"],
            "new_password": f"Nuova-{uuid.uuid4().hex[:8]}-1",
        }
        return load_event("redeem_temporary_code", body=body)

    def activate_with_code(self, cf: str, school: str) -> str:
        """Activate at a school that wants an SMS code for it."""
        event = load_event("register", body={"codice_fiscale": cf}, path_parameters={"school": school})
        self.call("RegisterFunction", event)
        token = self.token()
        code = self.otp_code(token)
        self.call("VerifyOtpFunction", load_event("verify_otp", body={"token": token, "code": code}))
        event = load_event("confirm_reset", body={"token": token, "new_password": HOLDER_PASSWORD})
        return str(json.loads(self.call("ConfirmResetFunction", event)["body"])["user_code"])

    def app_event(self, sample: str, **fields: str) -> dict[str, Any]:
        body = {"school": OTP_SCHOOL, "login": self.app_holder, "password": HOLDER_PASSWORD, **fields}
        if sample in STEPPED_UP:
            return self.stepped_up(sample, body)
        return load_event(sample, body=body)

    def stepped_up(self, sample: str, body: dict[str, Any]) -> dict[str, Any]:
        """A change of a factor or a contact, its step-up done: the event
        carries the token her app's code (or the SMS to her mobile) verified."""
        asked = self.call(STEPPED_UP[sample], load_event(sample, body=body))
        answer = json.loads(asked["body"])
        if asked["statusCode"] != 403 or answer.get("code") != "otp_required":
            return load_event(sample, body=body)
        token = answer["token"]
        code = self.app_code() if answer["otp_method"] == "app" else self.otp_code(token)
        self.call("VerifyOtpFunction", load_event("verify_otp", body={"token": token, "code": code}))
        return load_event(sample, body={**body, "token": token})

    def app_code(self, step: int | None = None) -> str:
        """The app's code of a time step the account has not used yet (or of
        `step`), waiting for the next step when the window has none left."""
        assert self.app is not None
        while step is None:
            now_step = int(time.time()) // 30
            step = next((s for s in (now_step, now_step + 1) if s > self.app_step), None)
            if step is None:
                time.sleep(30 - time.time() % 30 + 0.1)
        self.app_step = max(self.app_step, step)
        return str(self.app.at(step * 30))

    def new_email_event(self) -> dict[str, Any]:
        return self.app_event("contacts_email", email=f"nuova-{uuid.uuid4().hex[:8]}@example.it")

    def new_mobile_event(self) -> dict[str, Any]:
        return self.app_event("contacts_mobile", mobile=f"+39347{secrets.randbelow(10**7):07d}")

    def email_confirmation_event(self) -> dict[str, Any]:
        self.call("ContactsFunction", self.new_email_event())
        found = re.search(r"#token=([A-Za-z0-9_-]{43})", self.deliver()[-2]["text"])
        assert found
        return load_event("contacts_confirm", body={"token": found.group(1)})

    def enrolment(self) -> tuple[str, pyotp.TOTP]:
        started = json.loads(self.call("TotpFunction", self.app_event("totp_enrol"))["body"])
        return started["enrolment"], pyotp.TOTP(started["secret"])

    def enrolment_confirmation_event(self) -> dict[str, Any]:
        enrolment, app = self.enrolment()
        self.app, self.app_step = app, 0  # hers once the confirmation is made
        return load_event("totp_confirm", body={"enrolment": enrolment, "code": self.app_code()})

    def app_code_event(self) -> dict[str, Any]:
        """A reset link of the parent with an app, and its current code: the
        app is enrolled anew with the step before, so the current one is unused."""
        enrolment, app = self.enrolment()
        self.app, self.app_step = app, 0
        confirmation = {"enrolment": enrolment, "code": self.app_code(int(time.time()) // 30 - 1)}
        self.call("TotpFunction", load_event("totp_confirm", body=confirmation))
        reset = load_event(
            "request_reset", body={"identifier": APP_HOLDER}, path_parameters={"school": OTP_SCHOOL}
        )
        self.call("RequestResetFunction", reset)
        event = load_event("verify_otp", body={"token": self.token(), "code": self.app_code()})
        totp.forget()  # the enrolment ran in this process: a verifying container has not seen the secret
        return event

    # ---- a register signing ACTIVE in (the sign-in's endpoints) ------------------------

    def register_client(self) -> None:
        answer = self.call("ConfigureClientFunction", load_event("configure_client"))
        self.client_secret = str(answer["client_secret"])

    def sign_in_request_event(self) -> dict[str, Any]:
        """The sign-in page's call for a fresh request, ACTIVE's password."""
        asked = self.call("AuthorizeFunction", authorize_event())
        request = query_of(_header(asked, "Location"))["richiesta"]
        return sign_in_event(request, self.user_code, self.active_password)

    def signed_in(self) -> tuple[str, str]:
        """A sign-in at the page: the code the register receives, and the session cookie."""
        answer = self.call("SignInFunction", self.sign_in_request_event())
        code = query_of(json.loads(answer["body"])["redirect"])["code"]
        cookie = _header(answer, "Set-Cookie").split(";")[0]
        return code, cookie

    def session(self) -> str:
        if not self._session_cookie:
            self._session_cookie = self.signed_in()[1]
        return self._session_cookie

    def code_exchange_event(self) -> dict[str, Any]:
        return token_event(self.client_secret, code=self.signed_in()[0])

    def tokens(self) -> dict[str, Any]:
        issued: dict[str, Any] = json.loads(self.call("TokenFunction", self.code_exchange_event())["body"])
        return issued

    # ---- Entra con SPID, with the provider's chain cached -----------------------------------

    def spid_provider(self) -> Any:
        """A SPID provider in a federation (tests/federation.py, tests/provider.py: no network),
        pinned as a deployment pins its anchor; every federation HTTP call counted."""
        if self._spid is not None:
            return self._spid
        from joserfc import jws

        from chiave.federation import fetching
        from tests import federation as fed
        from tests.provider import Provider

        now = int(time.time())
        federation = fed.spid_and_cie(now)
        self.stack.deployment.refs.update(
            {
                "TrustAnchor": fed.ANCHOR,
                "TrustAnchorJwks": json.dumps(fed.jwks(fed.ANCHOR)),
                "ProviderTrustMarks": json.dumps({"spid": [fed.SPID_MARK], "cie": []}),
            }
        )
        statement = self.call("FederationFunction", load_event("federation_rp"))["body"]
        leaf = json.loads(jws.extract_compact(statement.encode()).payload)
        leaf_keys = leaf["metadata"]["openid_relying_party"]["jwks"]
        provider = Provider(fed.SPID_PROVIDER, leaf_keys, fiscal_number=f"TINIT-{SPID_PARENT}")

        def fetch(url: str) -> bytes:
            self.federation_http.append("statement")
            return federation.fetch(url)

        def call(url: str, **asked: Any) -> tuple[int, bytes]:
            self.federation_http.append(url.rsplit("/", 1)[-1])
            return provider.call(url, **asked)

        mock.patch.object(fetching, "fetch", fetch).start()
        mock.patch.object(fetching, "call", call).start()
        self._spid = provider
        return provider

    def spid_start_event(self) -> dict[str, Any]:
        """The sign-in page's "Entra con SPID" for a fresh request."""
        provider = self.spid_provider()
        asked = self.call("AuthorizeFunction", authorize_event())
        request = query_of(_header(asked, "Location"))["richiesta"]
        return spid_cie_event("start", richiesta=request, provider=provider.entity_id)

    def spid_callback_event(self) -> dict[str, Any]:
        """Back from the provider, SPID_PARENT signed in there."""
        started = self.call("SpidCieFunction", self.spid_start_event())
        return spid_cie_event("callback", **self.spid_provider().authorize(_header(started, "Location")))

    def refresh_event(self) -> dict[str, Any]:
        refresh = self.tokens()["refresh_token"]
        return token_event(self.client_secret, grant_type="refresh_token", refresh_token=refresh)

    def userinfo_event(self) -> dict[str, Any]:
        return load_event("userinfo", headers={"Authorization": f"Bearer {self.tokens()['access_token']}"})

    def revocation_event(self) -> dict[str, Any]:
        refresh = self.tokens()["refresh_token"]
        basic = {"Authorization": client_authorization(self.client_secret)}
        return load_event("revocation", raw_body=f"token={refresh}", headers=basic)

    def end_session_event(self) -> dict[str, Any]:
        """RP-initiated logout with the ID token as hint, from the browser that signed in."""
        _code, cookie = self.signed_in()
        event = load_event("end_session", headers={"Cookie": cookie})
        hint = self.tokens()["id_token"]
        event["queryStringParameters"] = {"id_token_hint": hint}
        event["multiValueQueryStringParameters"] = {"id_token_hint": [hint]}
        return event

    # ---- the account area, and a register told of a logout ------------------------------

    def account_event(self, sample: str, **body: Any) -> dict[str, Any]:
        """An account-area call from a browser that has just signed in (fresh)."""
        _code, cookie = self.signed_in()
        return load_event(sample, body=body or None, headers={"Cookie": cookie})

    def new_password_event(self) -> dict[str, Any]:
        """ACTIVE's new password from the account area (she signs in with it from then on)."""
        event = self.account_event("account_password", new_password=f"Lavagna-{secrets.token_hex(4)}-7A")
        self.active_password = json.loads(event["body"])["new_password"]
        return event

    def logout_event(self) -> dict[str, Any]:
        """A logout for the sample register, its commit landed: the SQS event its consumer gets."""
        # Imported here: at the bench's import, before the functions' environment, Powertools'
        # metrics would start without their namespace.
        from chiave.notify import outbox
        from chiave.oidc.backchannel_logout import Logout

        if self._told is None:
            self._told = _Listening()
            configured = {**load_event("configure_client"), "backchannel_logout_uri": self._told.uri}
            self.call("ConfigureClientFunction", configured)
        commit_id = outbox.new_id()
        self.committed(commit_id)
        logout = Logout(
            commit_id=commit_id, commit_by=outbox.commit_deadline(), client_id="registro-demo", sid="s" * 22
        )
        event = load_event("backchannel_logout")
        event["Records"][0]["body"] = logout.model_dump_json()
        return event

    def committed(self, commit_id: str) -> None:
        """The receipt a flow's transaction writes for the message it queued."""
        self.stack.deployment.client("dynamodb").put_item(
            TableName=self.stack.deployment.refs["Table"],
            Item={name: {"S": value} for name, value in keys.commit_receipt(commit_id).items()},
        )


def seed_files(workdir: Path) -> tuple[Path, Path]:
    """The anagrafica and the policies the bench's stack starts with."""
    policy = workdir / "policy.json"
    policy.write_text(json.dumps(POLICY), encoding="utf-8")
    anagrafica = workdir / "anagrafica.csv"
    otp_rows = "".join(
        f"{OTP_SCHOOL};{code};Verdi;Genitore{i:05d};otp{i:05d}@example.it;+39333{i:07d};genitore\n"
        for i, code in enumerate(OTP_PARENTS)
    )
    anagrafica.write_text(
        seed.generated_csv("RMIC817009", [PIN_HOLDER, SPID_PARENT, *PARITY_PENDING, *PARITY_ACTIVE])
        + otp_rows
        + APP_HOLDER_ROW
        + MAILBOX_ROWS,
        encoding="utf-8",
    )
    return anagrafica, policy


class _Listening:
    """A register's back-channel logout endpoint on loopback: it answers 200."""

    def __init__(self) -> None:
        class Answer(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.uri = f"http://127.0.0.1:{server.server_address[1]}/backchannel-logout"


def _header(result: dict[str, Any], name: str) -> str:
    """A header of a proxy integration's answer (single- or multi-valued: the last)."""
    values = (result.get("multiValueHeaders") or {}).get(name) or [(result.get("headers") or {})[name]]
    return str(values[-1])


@contextmanager
def running(workdir: Path) -> Iterator[World]:
    """The stack in this process (the bench watches the calls its AWS
    clients make), its parents activated."""
    anagrafica, policy = seed_files(workdir)
    stack = start(0, anagrafica, policy, run_pollers=False, isolated=False)
    try:
        world = World(stack, workdir)
        world.user_code = world.activate()
        world.register_client()
        world.holder = world.activate(PIN_HOLDER)
        world.app_holder = world.activate_with_code(APP_HOLDER, OTP_SCHOOL)
        for cf in [*PARITY_ACTIVE, SOLO_PARENT, *SHARED_PARENTS]:
            world.activate(cf)
        yield world
    finally:
        stack.stop()


@contextmanager
def patient_clients() -> Iterator[None]:
    """moto, in this process, takes seconds to page a partition of tens of
    thousands of people, which DynamoDB serves in milliseconds: clients with
    a longer read timeout than the functions' 2 s, for one measure only."""
    patient = Config(retries={"mode": "standard", "max_attempts": 3}, read_timeout=120)
    aws.dynamodb.cache_clear()
    aws.s3.cache_clear()
    try:
        with mock.patch.object(aws, "_CONFIG", patient):
            yield
    finally:
        aws.dynamodb.cache_clear()
        aws.s3.cache_clear()


def python_version() -> str:
    answer = subprocess.run(
        [PYTHON, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return f"Python {answer.stdout.strip()} ({PYTHON})"
