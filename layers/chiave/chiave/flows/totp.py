"""TOTP enrolment: an active account adds an authenticator app, a stronger
second factor than SMS (NIST SP 800-63B-4 restricts SMS).

`enrol` (login and password) draws a secret, encrypts it (chiave.credentials
.totp) and keeps it on a ten-minute enrolment flow whose token it answers
with the `otpauth://` URI the app scans. `confirm` takes that token and one
code from the app: the app becomes the account's (replacing any earlier
one), and from then on the account's new links take the app's codes instead
of an SMS. Wrong codes count like SMS codes; the confirming step is taken,
so the same code never passes twice."""

from __future__ import annotations

from dataclasses import dataclass, replace

from chiave.credentials import tokens, totp
from chiave.domain import Change, Flow, Person, Purpose, School
from chiave.errors import AppMissing, TokenInvalid
from chiave.notify import outbox
from chiave.runtime import masking
from chiave.runtime.observability import count_outcome, logger
from chiave.steps import app_codes, login, step_up
from chiave.steps.links import new_flow
from chiave.steps.reading import check_open, load_flow
from chiave.store import accounts, audit, flows

ENROLMENT_LIFETIME_S = 600
ISSUER = "Registro"


@dataclass(frozen=True)
class Enrolment:
    token: str
    otpauth_uri: str
    # The same secret, for typing into an app that cannot scan.
    secret: str
    expires_in: int


def enrol(asked: step_up.Asked, now: float) -> Enrolment:
    authenticated = step_up.authenticate("totp_enrol", asked, now)
    return enrol_for(authenticated, asked.token, "totp_enrol", now)


def enrol_for(authenticated: login.Authenticated, token: str | None, flow_name: str, now: float) -> Enrolment:
    """An enrolment for the account just authenticated (a login, or the account area's session)."""
    # A new app replaces the one there is: the password alone never does it.
    proof = step_up.for_factor_change(authenticated, Change("app"), token, flow_name, now)
    enrolment, flow = start_enrolment(authenticated.school, authenticated.person, now)
    login.commit_unchanged(authenticated, [flows.put(flow), *proof], None, now)
    count_outcome(flow_name, "started")
    return enrolment


def remove(authenticated: login.Authenticated, token: str | None, flow_name: str, now: float) -> None:
    """The account's app removed, proved by a code from that same app (the factor
    rules: what the account has proves the change); its codes go by SMS again."""
    person = authenticated.person
    if person.totp_sealed is None:
        raise AppMissing()
    proof = step_up.for_factor_change(authenticated, Change("app"), token, flow_name, now)
    notice = outbox.to_holder(authenticated.school, person, "totp_removed")
    message = outbox.queue([notice])
    change = accounts.remove_totp(person, authenticated.password_hash)
    record = login.audit_entry(authenticated, "totp_removed", now)
    login.commit_change(authenticated, change, [*proof, record], message.commit_id, now)
    logger.info("authenticator app removed", extra=login.log_facts(authenticated))
    count_outcome(flow_name, "app_removed")


def start_enrolment(school: School, person: Person, now: float) -> tuple[Enrolment, Flow]:
    """A new secret, sealed on a ten-minute enrolment flow, and what the app scans."""
    secret = totp.new_secret()
    token = tokens.new_token()
    flow = new_flow(
        school,
        person,
        Purpose.TOTP_ENROLMENT,
        tokens.token_hash(token),
        ENROLMENT_LIFETIME_S,
        otp_required=False,
        now=now,
    )
    flow = replace(flow, totp_sealed=totp.seal(secret, school.id, person.codice_fiscale))
    # The app lists it as "Registro – <school>: <user code>".
    uri = totp.provisioning_uri(secret, person.user_code or "", f"{ISSUER} {school.name}")
    return Enrolment(token=token, otpauth_uri=uri, secret=secret, expires_in=ENROLMENT_LIFETIME_S), flow


def confirm(token: str, code: str, now: float) -> None:
    flow = load_flow(token)
    if flow.purpose is not Purpose.TOTP_ENROLMENT or flow.totp_sealed is None:
        raise TokenInvalid()
    check_open(flow, now)
    step = app_codes.matching_step("totp_confirm", flow, code, now)
    moment = int(now)
    record = audit.entry(
        flow.school_id,
        flow.codice_fiscale,
        "totp_enrolled",
        "self",
        "done",
        flow.audit_retention_days,
        now,
    )
    notice = outbox.to_flow_holder(flow, "totp_enrolled")
    commit_id = outbox.queue([notice]).commit_id if notice else None
    flows.finish(
        flow,
        accounts.enrol_totp(flow, step, moment),
        [record],
        commit_id,
        moment,
        app_codes.max_attempts(flow),
    )
    logger.info(
        "authenticator app enrolled",
        extra={"school": flow.school_id, "codice_fiscale": masking.mask_codice_fiscale(flow.codice_fiscale)},
    )
    count_outcome("totp_confirm", "enrolled")
