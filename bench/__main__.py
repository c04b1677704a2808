"""make bench: (a) cold start of each function next to a boto3 + GetItem
baseline, (b) AWS calls per flow on a warm container. Prints Markdown."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest import mock

import pyotp
from botocore.config import Config

import chiave
from bench import coldstarts, logs_to, parity
from chiave import aws, keys
from chiave.credentials import totp
from chiave.domain import Person, Purpose, Role
from chiave.flows import links
from chiave.notify import pacing
from chiave.store import flows, people, schools
from chiave.store import sweep as swept
from chiave.store.table import write_batch
from chiave_local import seed, sent
from chiave_local.calls import recording
from chiave_local.events import load_event
from chiave_local.runtime import environment, function_environment
from chiave_local.stack import RunningStack, start
from chiave_local.template import FunctionSpec, parameter_defaults
from chiave_local.worker import QueuePoller

RUNS = int(os.environ.get("BENCH_RUNS", "7"))
LOG_PATH = os.environ.get("BENCH_LOG", ".bench.log")
COLD_SCRIPT = Path(__file__).with_name("cold.py")
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
    }
}
# Timing parity: people who register once each, people activated to ask for
# a reset once each, and codes nobody has.
PARITY_PENDING = seed.generated_codes(parity.PAIRS, "PND")
PARITY_ACTIVE = seed.generated_codes(parity.PAIRS, "TTV")
PARITY_UNKNOWN = seed.generated_codes(2 * parity.PAIRS, "NSS")
# A parent activated once for the credential flows: PINs, checks, password changes.
PIN_HOLDER = seed.generated_codes(1, "PIN")[0]
HOLDER_PASSWORD = "Quaderno-Blu-42"  # noqa: S105 - a demo parent of the local stack
CALL_TARGETS = {
    "register": 4,
    "request-reset": 4,
    "confirm-reset": 3,
    "send-otp": 3,
    "verify-otp": 2,
    # issue-pin's target is 3 plus notify's queue (SendMessage).
    "issue-pin": 4,
    "verify-credentials": 2,
    "verify-pin": 2,
}
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
# A parent there who changes her contacts and enrols an authenticator app.
APP_HOLDER = seed.generated_codes(1, "APP")[0]
APP_HOLDER_ROW = f"{OTP_SCHOOL};{APP_HOLDER};Neri;Genitrice;app.holder@example.it;+393339999999;genitore\n"


class Bench:
    def __init__(self, stack: RunningStack, workdir: Path) -> None:
        self.stack = stack
        self.functions = stack.functions
        self.workdir = workdir
        self.poller = QueuePoller(self.functions, "NotifyFunction", "OutboxQueue")
        self.resets = 0
        self.otp_links = 0
        self.holder = ""  # the PIN holder's user code, once activated
        self.app_holder = ""  # APP_HOLDER's user code, once activated
        self.holder_password = HOLDER_PASSWORD

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
        return load_event(sample, body=body)

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
        return load_event("totp_confirm", body={"enrolment": enrolment, "code": app.now()})

    def app_code_event(self) -> dict[str, Any]:
        """A reset link of the parent with an app, and its current code: the
        app is enrolled anew with the step before, so the current one is unused."""
        enrolment, app = self.enrolment()
        confirmation = {"enrolment": enrolment, "code": app.at(time.time() - 30)}
        self.call("TotpFunction", load_event("totp_confirm", body=confirmation))
        reset = load_event(
            "request_reset", body={"identifier": APP_HOLDER}, path_parameters={"school": OTP_SCHOOL}
        )
        self.call("RequestResetFunction", reset)
        event = load_event("verify_otp", body={"token": self.token(), "code": app.now()})
        totp.forget()  # the enrolment ran in this process: a verifying container has not seen the secret
        return event

    def import_school(self, rows: int) -> list[dict[str, Any]]:
        """A new school's file of `rows` new parents, then the same file again."""
        codes = seed.generated_codes(rows, "IMP")
        lines = ["scuola;codice_fiscale;cognome;nome;email;cellulare;ruolo;classe"] + [
            f"{IMPORT_SCHOOL};{code};Rossi;Genitore{i:05d};genitore{i:05d}@example.it;+39333{i:07d};genitore;1A"
            for i, code in enumerate(codes)
        ]
        bucket = self.stack.deployment.refs["ImportBucket"]
        s3 = self.stack.deployment.client("s3")
        runs = []
        for name in ("first upload (all new)", "same file again"):
            key = f"imports/{IMPORT_SCHOOL}/{uuid.uuid4().hex}.csv"
            s3.put_object(Bucket=bucket, Key=key, Body="\n".join(lines).encode("utf-8"))
            event = load_event("imports")
            event["Records"][0]["s3"]["bucket"]["name"], event["Records"][0]["s3"]["object"]["key"] = (
                bucket,
                key,
            )
            started = time.perf_counter()
            with patient_clients(), recording() as made:
                answer = self.call("ImportFunction", event)["imports"][0]
            seconds = time.perf_counter() - started
            writes = sum(1 for call in made if call in ("dynamodb:BatchWriteItem", "dynamodb:UpdateItem"))
            summary = ", ".join(
                f"{outcome} {answer[outcome]}" for outcome in ("accepted", "changed", "unchanged", "rejected")
            )
            runs.append(
                {"file": name, "rows": rows, "seconds": seconds, "writes": writes, "summary": summary}
            )
        return runs

    # ---- the school year: the sweep's reads, a bulk invitation's calls ----------------

    def sweep_reads(self, live: int, expired: int = 50) -> dict[str, Any]:
        """Items the sweep reads for `expired` links among `live` ones; then
        every link it was given is removed, for the next measure."""
        now = int(time.time())
        spec = self.functions.specs["ExpirySweepFunction"]
        with environment(function_environment(spec, self.stack.deployment)):
            school = schools.get_school("RMIC817009")
            assert school is not None
            person = Person(
                school.id, ACTIVE, "Rossi", "Maria", Role.GENITORE, email="maria.rossi@example.it"
            )
            model = links.new_flow(school, person, Purpose.ACTIVATION, "", 3600, False, now)
            expiries = [now + 60 + (i * 97) % (23 * 3600) for i in range(live)]
            expiries += [now - 60 - i * 15 for i in range(expired)]
            made = [replace(model, token_sha256=secrets.token_hex(32), expires_at=at) for at in expiries]
            for start in range(0, len(made), 25):
                write_batch(
                    [{"PutRequest": {"Item": flows.put(f)["Put"]["Item"]}} for f in made[start : start + 25]]
                )
            swept.advance_cursor(swept.cursor(), now - 15 * 60)
        read = [0]

        def count(parsed: dict[str, Any], **_: Any) -> None:
            read[0] += len(parsed.get("Items", [])) + (1 if "Item" in parsed else 0)
            read[0] += sum(len(items) for items in parsed.get("Responses", {}).values())

        client = aws.dynamodb()
        client.meta.events.register("after-call.dynamodb", count, unique_id="bench-sweep")
        try:
            with mock.patch("time.time", return_value=now):
                result = self.call("ExpirySweepFunction", load_event("expiry_sweep"))
        finally:
            client.meta.events.unregister("after-call.dynamodb", unique_id="bench-sweep")
        with environment(function_environment(spec, self.stack.deployment)):
            swept.delete_all([keys.flow(flow.token_sha256) for flow in made])
        return {"live": live, "expired": result["expired_unused"], "read": read[0]}

    def invite_school(self, count: int) -> dict[str, Any]:
        """A school of `count` parents without an account, invited in bulk:
        the calls of the console action, of the orders, of the paced lane
        (its pace on a virtual clock: the lane's duration at the quota)."""
        codes = seed.generated_codes(count, "INV")
        spec = self.functions.specs["InviteFunction"]
        with environment(function_environment(spec, self.stack.deployment)):
            demo = schools.get_school("RMIC817009")
            assert demo is not None
            schools.put_school(replace(demo, id=INVITE_SCHOOL))
            people.put_people(
                Person(
                    INVITE_SCHOOL,
                    cf,
                    "Rossi",
                    f"Genitore{i:05d}",
                    Role.GENITORE,
                    email=f"inv{i:05d}@example.it",
                )
                for i, cf in enumerate(codes)
            )
        phases: dict[str, Counter[str]] = {}
        started = time.perf_counter()
        with patient_clients(), recording() as made:
            answer = self.call("InviteFunction", {**load_event("invite"), "school": INVITE_SCHOOL})
        phases["invite (console)"] = Counter(made)
        # The lane drains while orders come in, as on AWS (and moto's queues stay short).
        orders = QueuePoller(self.functions, "InvitationsFunction", "InvitationQueue")
        lane = QueuePoller(self.functions, "BulkNotifyFunction", "BulkOutboxQueue")
        phases["invitations (orders)"], phases["bulk notify (paced)"] = Counter(), Counter()
        virtual = [0.0]
        with (
            mock.patch.object(pacing, "clock", lambda: virtual[0]),
            mock.patch.object(pacing, "sleep", lambda seconds: virtual.__setitem__(0, virtual[0] + seconds)),
        ):
            while True:
                with recording() as made:
                    handed = orders.poll_once()
                phases["invitations (orders)"].update(made)
                with recording() as made:
                    while lane.poll_once():
                        pass
                phases["bulk notify (paced)"].update(made)
                if not handed:
                    break
        bulk = self.functions.specs["BulkNotifyFunction"]
        quota = float(parameter_defaults()["SesMailsPerSecond"])
        senders = bulk.queue_concurrency
        return {
            "people": count,
            "invited": answer["invited"],
            "phases": phases,
            "seconds": time.perf_counter() - started,
            "lane_minutes": count / (senders * pacing.per_sender(quota, senders)) / 60,
            "pace": f"{senders} senders x {pacing.per_sender(quota, senders)}/s of a {quota:g}/s quota",
        }

    def committed(self, commit_id: str) -> None:
        """The receipt a flow's transaction writes for the message it queued."""
        self.stack.deployment.client("dynamodb").put_item(
            TableName=self.stack.deployment.refs["Table"],
            Item={name: {"S": value} for name, value in keys.commit_receipt(commit_id).items()},
        )

    # ---- (c) timing parity ------------------------------------------------------------

    def timing_parity(self) -> list[parity.Comparison]:
        def request(function_id: str, sample: str, field: str, value: str) -> Any:
            return lambda: self.call(function_id, load_event(sample, body={field: value}))

        def requests(function_id: str, sample: str, field: str, values: list[str]) -> list[Any]:
            return [request(function_id, sample, field, value) for value in values]

        unknown = PARITY_UNKNOWN
        comparisons = [
            parity.compare(
                "register",
                requests("RegisterFunction", "register", "codice_fiscale", PARITY_PENDING),
                requests("RegisterFunction", "register", "codice_fiscale", unknown[: parity.PAIRS]),
            ),
            parity.compare(
                "request-reset (codice fiscale)",
                requests("RequestResetFunction", "request_reset", "identifier", PARITY_ACTIVE),
                requests("RequestResetFunction", "request_reset", "identifier", unknown[parity.PAIRS :]),
            ),
        ]
        self.deliver()
        return comparisons

    # ---- (a) cold start -------------------------------------------------------------

    def event_for(self, spec: FunctionSpec) -> dict[str, Any]:
        """The function's sample event (events/<folder>.json), made live where
        its flow needs state: a fresh link, a committed message."""
        folder = spec.code_dir.name
        if spec.logical_id == "RegisterFunction":
            return load_event(folder, body={"codice_fiscale": PENDING})
        if spec.logical_id == "RequestResetFunction":
            return load_event(folder, body={"identifier": "maria.rossi@example.it"})
        if spec.logical_id == "ConfirmResetFunction":
            password = f"Nuova-{uuid.uuid4().hex[:8]}-1"
            return load_event(folder, body={"token": self.reset_token(), "new_password": password})
        if spec.logical_id == "FlowStatusFunction":
            return load_event(folder, body={"token": self.reset_token()})
        if spec.logical_id == "SendOtpFunction":
            return load_event(folder, body={"token": self.otp_token()})
        if spec.logical_id == "VerifyOtpFunction":
            return self.verify_event()
        if spec.logical_id in ("IssuePinFunction", "VerifyCredentialsFunction"):
            return self.login_event(folder)
        if spec.logical_id == "ChangePasswordFunction":
            return self.change_event()
        if spec.logical_id == "VerifyPinFunction":
            return self.pin_event()
        if spec.logical_id == "RedeemTemporaryCodeFunction":
            return self.redeem_event()
        if spec.logical_id == "ContactsFunction":
            return self.new_email_event()
        if spec.logical_id == "TotpFunction":
            return self.app_event("totp_enrol")
        event = load_event(folder)
        body = json.loads(event["Records"][0]["body"]) if spec.queue_sources else {}
        if "notices" in body:  # an outbox message whose commit has landed
            message = body | {"commit_id": uuid.uuid4().hex}
            message["notices"][0]["id"] = uuid.uuid4().hex
            self.committed(message["commit_id"])
            event["Records"][0]["body"] = json.dumps(message)
        return event

    def cold_once(self, target: coldstarts.Target) -> coldstarts.Run:
        spec = self.functions.specs[target.function_id or "FlowStatusFunction"]
        environment = {
            **os.environ,
            **function_environment(spec, self.stack.deployment),
            # The layer on the path, as Lambda puts /opt/python there.
            "PYTHONPATH": str(LAYER),
        }
        # Bytecode as a deployment compiled for its runtime would have it.
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        if target.function_id is None:
            handler_file, event_path = "baseline", "-"
        else:
            handler_file = str(spec.code_dir / f"{spec.module}.py")
            event_file = self.workdir / f"{target.function_id}-{uuid.uuid4().hex}.json"
            event_file.write_text(json.dumps(self.event_for(spec)), encoding="utf-8")
            event_path = str(event_file)
        started = time.perf_counter()
        process = subprocess.Popen(
            [PYTHON, str(COLD_SCRIPT), handler_file, event_path, target.mode],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        # communicate() lets this process's moto thread serve the child meanwhile.
        _, errors = process.communicate(timeout=120)
        wall = time.perf_counter() - started
        lines = errors.strip().splitlines()
        if process.returncode != 0 or not lines:
            raise RuntimeError(f"{handler_file} failed:\n" + "\n".join(lines[-20:]))
        return coldstarts.Run.from_report(json.loads(lines[-1]), wall)

    def cold_starts(self) -> list[coldstarts.Row]:
        targets = coldstarts.targets(self.functions.specs.values())
        runs: dict[coldstarts.Target, list[coldstarts.Run]] = {target: [] for target in targets}
        for target in targets:  # a discarded round: writes bytecode, warms the page cache
            self.cold_once(target)
        for _ in range(RUNS):  # interleaved, so drift hits every target alike
            for target in targets:
                runs[target].append(self.cold_once(target))
        return coldstarts.rows(runs)

    # ---- (b) AWS calls per flow -------------------------------------------------------

    def count_calls(self, function_id: str, make_event: Any) -> Counter[str]:
        self.call(function_id, make_event())  # warm the container
        event = make_event()  # preparing the event may call AWS itself
        with recording() as made:
            result = self.call(function_id, event)
        assert result.get("statusCode", 200) < 300 and result.get("ok", True), result
        return Counter(made)

    def calls_per_flow(self, user_code: str) -> list[tuple[str, str, Counter[str]]]:
        def register_unknown() -> dict[str, Any]:
            return load_event("register", body={"codice_fiscale": "BNCGNN80A01H501T"})

        def reset(identifier: str) -> Any:
            return lambda: load_event("request_reset", body={"identifier": identifier})

        def confirm() -> dict[str, Any]:
            return load_event(
                "confirm_reset", body={"token": self.reset_token(), "new_password": "Nuova-Pass-2026!"}
            )

        cases = [
            (
                "register",
                "person known, link sent",
                "RegisterFunction",
                lambda: load_event("register", body={"codice_fiscale": PENDING}),
            ),
            ("register", "person unknown", "RegisterFunction", register_unknown),
            ("request-reset", "by codice fiscale", "RequestResetFunction", reset(ACTIVE)),
            ("request-reset", "by user code", "RequestResetFunction", reset(user_code)),
            ("request-reset", "by e-mail", "RequestResetFunction", reset("maria.rossi@example.it")),
            ("confirm-reset", "reset link", "ConfirmResetFunction", confirm),
            (
                "flow status",
                "open link",
                "FlowStatusFunction",
                lambda: load_event("flow_status", body={"token": self.reset_token()}),
            ),
            (
                "send-otp",
                "first code of a link (pepper and SMS switch cached)",
                "SendOtpFunction",
                lambda: load_event("send_otp", body={"token": self.otp_token()}),
            ),
            ("verify-otp", "right code", "VerifyOtpFunction", self.verify_event),
            (
                "issue-pin",
                "by user code, PIN shown (pepper cached)",
                "IssuePinFunction",
                lambda: self.login_event("issue_pin"),
            ),
            (
                "issue-pin",
                "by e-mail",
                "IssuePinFunction",
                lambda: self.login_event("issue_pin", seed.generated_email(0)),
            ),
            ("change-password", "by user code", "ChangePasswordFunction", self.change_event),
            (
                "verify-credentials",
                "by user code",
                "VerifyCredentialsFunction",
                lambda: self.login_event("verify_credentials"),
            ),
            (
                "verify-credentials",
                "by e-mail",
                "VerifyCredentialsFunction",
                lambda: self.login_event("verify_credentials", seed.generated_email(0)),
            ),
            ("verify-pin", "right PIN", "VerifyPinFunction", self.pin_event),
            ("ops", "unlock (console)", "OpsFunction", lambda: load_event("ops_unlock")),
            ("ops", "audit trail (console)", "OpsFunction", lambda: load_event("ops")),
            (
                "ops",
                "temporary code on paper (console)",
                "OpsFunction",
                lambda: load_event("ops_issue_temporary_code"),
            ),
            ("redeem-temporary-code", "by codice fiscale", "RedeemTemporaryCodeFunction", self.redeem_event),
            ("contacts", "new e-mail (link sent)", "ContactsFunction", self.new_email_event),
            ("contacts", "new mobile (SMS code sent)", "ContactsFunction", self.new_mobile_event),
            ("contacts", "new e-mail confirmed", "ContactsFunction", self.email_confirmation_event),
            ("totp", "enrol", "TotpFunction", lambda: self.app_event("totp_enrol")),
            ("totp", "confirm (first app code)", "TotpFunction", self.enrolment_confirmation_event),
            (
                "verify-otp (app)",
                "app code, secret not yet decrypted here",
                "VerifyOtpFunction",
                self.app_code_event,
            ),
        ]
        return [(flow, case, self.count_calls(function_id, make)) for flow, case, function_id, make in cases]


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


def import_markdown(runs: list[dict[str, Any]]) -> str:
    lines = [
        "### Anagrafica import (one invocation, moto in this process)",
        "",
        "| file | rows | seconds | write requests | rows per write request | outcome |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        per_request = run["rows"] / max(1, run["writes"])
        verdict = ">= 25: met" if per_request >= 25 or run["writes"] == 0 else "< 25: missed"
        lines.append(
            f"| {run['file']} | {run['rows']} | {run['seconds']:.1f} | {run['writes']} | "
            f"{per_request:.1f} ({verdict}) | {run['summary']} |"
        )
    return "\n".join(lines) + "\n"


def python_version() -> str:
    answer = subprocess.run(
        [PYTHON, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return f"Python {answer.stdout.strip()} ({PYTHON})"


def calls_markdown(calls: list[tuple[str, str, Counter[str]]]) -> str:
    lines = [
        "### AWS calls per flow (warm container)",
        "",
        "| flow | case | calls | detail | target |",
        "|---|---|---:|---|---|",
    ]
    for flow, case, counter in calls:
        total = sum(counter.values())
        target = CALL_TARGETS.get(flow)
        verdict = f"<= {target}: {'met' if total <= target else 'missed'}" if target else ""
        detail = ", ".join(f"{name} x{count}" for name, count in sorted(counter.items()))
        lines.append(f"| {flow} | {case} | {total} | {detail} | {verdict} |")
    return "\n".join(lines) + "\n"


def sweep_markdown(runs: list[dict[str, Any]]) -> str:
    lines = [
        "### Expiry sweep: items read (links expired in the last quarter hour among live ones)",
        "",
        "| live links | expired | items read | per expired link | target |",
        "|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        ratio = run["read"] / max(1, run["expired"])
        verdict = "<= 1.1: met" if run["read"] <= 1.1 * run["expired"] + 2 else "> 1.1: missed"
        lines.append(f"| {run['live']:,} | {run['expired']} | {run['read']} | {ratio:.2f} | {verdict} |")
    return "\n".join(lines) + "\n"


def invite_markdown(run: dict[str, Any]) -> str:
    lines = [
        f"### Bulk invitation of {run['people']:,} parents ({run['invited']:,} invited; "
        f"{run['seconds']:.0f} s on moto in this process)",
        "",
        "| phase | SQS calls | SES calls | DynamoDB calls | KMS calls | detail |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for phase, counter in run["phases"].items():
        by_service: Counter[str] = Counter()
        for call, number in counter.items():
            by_service[call.split(":")[0]] += number
        detail = ", ".join(f"{name} x{number}" for name, number in sorted(counter.items()))
        lines.append(
            f"| {phase} | {by_service['sqs']} | {by_service['sesv2']} | {by_service['dynamodb']} | "
            f"{by_service['kms']} | {detail} |"
        )
    lines += ["", f"The paced lane ({run['pace']}) sends them in {run['lane_minutes']:.0f} minutes."]
    return "\n".join(lines) + "\n"


SECTIONS = ("calls", "argon2", "parity", "cold", "import", "sweep", "invite")
INVITE_PEOPLE = int(os.environ.get("BENCH_INVITE_PEOPLE", "10000"))
INVITE_SCHOOL = "RMIC8INV01"
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "50000"))
IMPORT_SCHOOL = "RMIC8IMP01"
ARGON2_SCRIPT = Path(__file__).with_name("argon2cost.py")
ARGON2_BUDGET_MS = 60


def argon2_cost() -> dict[str, Any]:
    """One verification's CPU, under the runtime's Python and the layer as deployed."""
    answer = subprocess.run(
        [PYTHON, str(ARGON2_SCRIPT)],
        env={**os.environ, "PYTHONPATH": str(LAYER)},
        capture_output=True,
        text=True,
        check=True,
    )
    measured: dict[str, Any] = json.loads(answer.stdout.strip().splitlines()[-1])
    return measured


def argon2_markdown(cost: dict[str, Any]) -> str:
    verdict = "met" if cost["ours_ms"] <= ARGON2_BUDGET_MS else "missed"
    return (
        "### argon2id: CPU per verification (median)\n\n"
        "| parameters | CPU | target |\n|---|---:|---|\n"
        f"| chiave: {cost['parameters']} | {cost['ours_ms']} ms | <= {ARGON2_BUDGET_MS} ms: {verdict} |\n"
        f"| OWASP minimum: m=19456 KiB, t=2, p=1 | {cost['owasp_minimum_ms']} ms | |\n"
    )


def main(argv: list[str]) -> int:
    """make bench: every section; `python -m bench cold` (etc.): just those."""
    sections = [name for name in SECTIONS if name in argv] or list(SECTIONS)
    with tempfile.TemporaryDirectory() as workdir:
        policy = Path(workdir) / "policy.json"
        policy.write_text(json.dumps(POLICY), encoding="utf-8")
        anagrafica = Path(workdir) / "anagrafica.csv"
        otp_rows = "".join(
            f"{OTP_SCHOOL};{code};Verdi;Genitore{i:05d};otp{i:05d}@example.it;+39333{i:07d};genitore\n"
            for i, code in enumerate(OTP_PARENTS)
        )
        anagrafica.write_text(
            seed.generated_csv("RMIC817009", [PIN_HOLDER, *PARITY_PENDING, *PARITY_ACTIVE])
            + otp_rows
            + APP_HOLDER_ROW,
            encoding="utf-8",
        )
        with logs_to(Path(LOG_PATH)):
            measured = measure(sections, anagrafica, policy, Path(workdir))
    parts = [f"(the functions' logs: {LOG_PATH})\n"]
    if "calls" in measured:
        parts.append(calls_markdown(measured["calls"]))
    if "argon2" in measured:
        parts.append(argon2_markdown(measured["argon2"]))
    if "parity" in measured:
        parts.append(parity.markdown(measured["parity"]))
    if "cold" in measured:
        parts.append(coldstarts.markdown(measured["cold"], RUNS, python_version()))
    if "import" in measured:
        parts.append(import_markdown(measured["import"]))
    if "sweep" in measured:
        parts.append(sweep_markdown(measured["sweep"]))
    if "invite" in measured:
        parts.append(invite_markdown(measured["invite"]))
    print("\n".join(parts))
    return 0


def measure(sections: list[str], anagrafica: Path, policy: Path, workdir: Path) -> dict[str, Any]:
    # In this process: the bench watches the calls the AWS clients make.
    stack = start(0, anagrafica, policy, run_pollers=False, isolated=False)
    measured: dict[str, Any] = {}
    try:
        bench = Bench(stack, workdir)
        user_code = bench.activate()
        bench.holder = bench.activate(PIN_HOLDER)
        bench.app_holder = bench.activate_with_code(APP_HOLDER, OTP_SCHOOL)
        for cf in PARITY_ACTIVE:
            bench.activate(cf)
        if "calls" in sections:
            measured["calls"] = bench.calls_per_flow(user_code)
        if "argon2" in sections:
            measured["argon2"] = argon2_cost()
        if "parity" in sections:
            measured["parity"] = bench.timing_parity()
        if "cold" in sections:
            measured["cold"] = bench.cold_starts()
        if "import" in sections:
            measured["import"] = bench.import_school(IMPORT_ROWS)
        if "sweep" in sections:
            measured["sweep"] = [bench.sweep_reads(live) for live in (2_000, 20_000)]
        if "invite" in sections:
            measured["invite"] = bench.invite_school(INVITE_PEOPLE)
    finally:
        stack.stop()
    return measured


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
