"""contacts: an active account's own e-mail and mobile ("Associa indirizzo
e-mail", Spaggiari's first access), changed only once the new one is proved.

- E-mail: login and password open an `email_verification` link to the new
  address (the reset link's lifetime) and tell the old address. The address
  changes when the link is confirmed; from then on login and reset by e-mail
  follow it.
- Mobile: login and password open a short flow whose first SMS code goes to
  the new number at once (send-otp resends, verify-otp checks it, never with
  the app's codes); confirming the verified flow changes the number and
  tells the e-mail on file.

Either confirmation kills every other open link (the credential epoch moves
on), so a link still in the old mailbox dies with the change. Each step is
on the account's audit trail."""

from __future__ import annotations

from dataclasses import dataclass, replace

from chiave import ratelimit
from chiave.credentials import tokens
from chiave.domain import CHANGES_CONTACT, Change, Person, Purpose, School
from chiave.errors import ContactUnchanged, MobileNotAllowed, OtpRequired, SmsUnavailable, TokenInvalid
from chiave.flows import send_otp
from chiave.italian import phone
from chiave.notify import outbox
from chiave.runtime import masking
from chiave.runtime.observability import count_outcome, logger
from chiave.steps import login, step_up
from chiave.steps.links import STEP_UP_LIFETIME_S, new_flow, open_link
from chiave.steps.reading import check_open, load_flow
from chiave.store import accounts, audit, flows, keys, schools
from chiave.store.table import Part


def request_email_change(asked: step_up.Asked, new_email: str, now: float) -> None:
    authenticated = step_up.authenticate("contacts", asked, now)
    email_change_for(authenticated, new_email, asked.token, now)


def email_change_for(
    authenticated: login.Authenticated, new_email: str, token: str | None, now: float
) -> None:
    """For the account just authenticated (a login, or the account area's session)."""
    school, person = authenticated.school, authenticated.person
    if person.email and person.email.casefold() == new_email.casefold():
        raise ContactUnchanged()
    proof = step_up.for_factor_change(authenticated, Change("email", new_email), token, "contacts", now)
    started = start_email_change(school, person, new_email, now)
    record = login.audit_entry(authenticated, "email_change_requested", now, to=masking.mask_email(new_email))
    login.commit_unchanged(authenticated, [*started.parts, record, *proof], started.commit_id, now)
    logger.info("e-mail change requested", extra=login.log_facts(authenticated))
    count_outcome("contacts", "email_link_sent")


@dataclass(frozen=True)
class Started:
    """A change's next step, ready to commit: its parts, the counters it
    counts against, the queued message's commit id."""

    parts: list[Part]
    counters: list[ratelimit.Counter]
    commit_id: str


def start_email_change(school: School, person: Person, new_email: str, now: float) -> Started:
    """The link that proves the new address, to it, and a notice to the old one."""
    # The link goes to the new address; the flow carries it until confirmed.
    link = open_link(school, replace(person, email=new_email), Purpose.EMAIL_VERIFICATION, now)
    warning = outbox.to_holder(
        school, person, "email_change_requested", email_hint=masking.mask_email(new_email)
    )
    message = outbox.queue([link.notice, warning])
    return Started([flows.put(link.flow)], [], message.commit_id)


@dataclass(frozen=True)
class MobileChallenge:
    """The flow's token (for send-otp, verify-otp and the confirmation) and
    the first code's terms."""

    token: str
    sent: send_otp.Sent


def request_mobile_change(asked: step_up.Asked, new_mobile: str, now: float) -> MobileChallenge:
    authenticated = step_up.authenticate("contacts", asked, now)
    return mobile_change_for(authenticated, new_mobile, asked.token, now)


def mobile_change_for(
    authenticated: login.Authenticated, new_mobile: str, token: str | None, now: float
) -> MobileChallenge:
    """For the account just authenticated (a login, or the account area's session)."""
    school, person = authenticated.school, authenticated.person
    if new_mobile == person.mobile:
        raise ContactUnchanged()
    check_mobile(school, new_mobile)
    proof = step_up.for_factor_change(authenticated, Change("mobile", new_mobile), token, "contacts", now)
    challenge, started = start_mobile_change(school, person, new_mobile, now)
    record = login.audit_entry(
        authenticated, "mobile_change_requested", now, to=masking.mask_phone(new_mobile)
    )
    # The SMS counts against the number's and the school's daily caps, and the
    # change against the account's own, with the login.
    counted = replace(authenticated, counters=[*authenticated.counters, *started.counters])
    login.commit_unchanged(counted, [*started.parts, record, *proof], started.commit_id, now)
    logger.info("mobile change requested", extra=login.log_facts(authenticated))
    count_outcome("contacts", "mobile_code_sent")
    return challenge


def check_mobile(school: School, new_mobile: str) -> None:
    if not phone.may_receive_sms(new_mobile, school.policy.sms_allowed_prefixes):
        raise MobileNotAllowed()


def start_mobile_change(
    school: School, person: Person, new_mobile: str, now: float
) -> tuple[MobileChallenge, Started]:
    """A short flow whose first SMS code goes to the new number at once."""
    if not schools.sms_enabled():
        count_outcome("contacts", "sms_switched_off")
        raise SmsUnavailable(retry_after=send_otp.SWITCHED_OFF_RETRY_AFTER_S)
    token = tokens.new_token()
    flow = new_flow(
        school,
        replace(person, mobile=new_mobile),
        Purpose.MOBILE_VERIFICATION,
        tokens.token_hash(token),
        STEP_UP_LIFETIME_S,
        otp_required=True,
        now=now,
    )
    assert flow.otp_terms is not None
    challenge, sms = send_otp.new_code(flow, None, now)
    message = outbox.queue([sms])
    caps = [*send_otp.daily_counters(flow, flow.otp_terms, now), *mobile_change_caps(school, person, now)]
    started = Started([flows.put(flow, challenge)], caps, message.commit_id)
    return MobileChallenge(token=token, sent=send_otp.sent(flow, challenge)), started


def mobile_change_caps(school: School, person: Person, now: float) -> list[ratelimit.Counter]:
    """How many mobile changes one account may start, a day and in 30 days:
    each texts a new number, so no account may use up the school's SMS."""
    policy, account = school.policy, keys.account_ref(school.id, person.codice_fiscale)
    per_day, per_month = (
        policy.mobile_changes_per_account_per_day,
        policy.mobile_changes_per_account_per_month,
    )
    return [
        ratelimit.daily("mobile_changes_day", account, per_day, now),
        ratelimit.fixed_window("mobile_changes_month", account, per_month, ratelimit.MONTH_S, now),
    ]


@dataclass(frozen=True)
class ContactChanged:
    changed: str  # "email" or "mobile"
    hint: str


def confirm_contact(token: str, now: float) -> ContactChanged:
    flow = load_flow(token)
    if flow.purpose not in CHANGES_CONTACT:
        raise TokenInvalid()
    check_open(flow, now)
    if flow.otp_required and not flow.otp_verified:
        raise OtpRequired()
    moment = int(now)
    if flow.purpose is Purpose.EMAIL_VERIFICATION:
        changed, hint = "email", masking.mask_email(flow.email)
        change = accounts.change_email(flow, moment)
        notice = outbox.to_flow_holder(flow, "email_changed")
        masked = masking.mask_email(flow.email)
    else:
        assert flow.mobile is not None
        changed, hint = "mobile", masking.phone_hint(flow.mobile)
        change = accounts.change_mobile(flow, moment)
        notice = outbox.to_flow_holder(flow, "mobile_changed", phone_hint=hint)
        masked = masking.mask_phone(flow.mobile)
    record = audit.entry(
        flow.school_id,
        flow.codice_fiscale,
        f"{changed}_changed",
        "self",
        "done",
        flow.audit_retention_days,
        now,
        to=masked,
        via="e-mail link" if changed == "email" else "sms code",
    )
    commit_id = outbox.queue([notice]).commit_id if notice else None
    flows.finish(flow, change, [record], commit_id, moment)
    logger.info(
        "contact changed",
        extra={
            "school": flow.school_id,
            "changed": changed,
            "codice_fiscale": masking.mask_codice_fiscale(flow.codice_fiscale),
        },
    )
    count_outcome("contacts", f"{changed}_changed")
    return ContactChanged(changed=changed, hint=hint)
