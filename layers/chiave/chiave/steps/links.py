"""What register and request-reset share: limits, links and their e-mails,
and the one way both end (settle)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from chiave import ratelimit
from chiave.credentials import tokens
from chiave.domain import AccountStatus, Flow, OtpTerms, Person, Purpose, Role, School
from chiave.errors import InvalidCodiceFiscale, RecipientCapped
from chiave.italian import codice_fiscale, phone
from chiave.notify import outbox
from chiave.notify.outbox import Notice
from chiave.policy import Policy
from chiave.runtime.observability import count_outcome, logger
from chiave.runtime.settings import settings
from chiave.store import flows

# A flow whose token the client holds (a PIN's SMS step, a new mobile): long
# enough to receive and type an SMS code, short enough to be useless later.
STEP_UP_LIFETIME_S = 900

LINK_PATHS = {
    Purpose.ACTIVATION: "attiva",
    Purpose.RESET: "recupera",
    Purpose.EMAIL_VERIFICATION: "conferma-email",
    Purpose.CHANGE_CONFIRMATION: "modifica",
    Purpose.SCHEDULED_CHANGE: "modifica",
}

# Whom a request for nobody opens its cover link for: fields of ordinary
# length, so that what is written and queued weighs what a real link does.
COVER_PERSON = Person(
    school_id="XXXX000000",
    codice_fiscale="XXXXXX00X00X000X",
    surname="Xxxxxxxx",
    name="Xxxxxx",
    role=Role.GENITORE,
    email="xxxxxx.xxxxxxxx@xxxxxxx.it",
    mobile="+390000000000",
    status=AccountStatus.ACTIVE,
    user_code="000000000",
)


@dataclass(frozen=True)
class Accepted:
    """The 202 answer; `email_hint` only in explicit disclosure."""

    email_hint: str | None = None


@dataclass(frozen=True)
class Link:
    """A link to open: the flow to store and the e-mail that carries it."""

    flow: Flow
    notice: Notice


def parse_codice_fiscale(raw: str) -> str:
    if not codice_fiscale.is_valid(raw):
        raise InvalidCodiceFiscale()
    return codice_fiscale.canonical(raw)


def request_counters(
    scope: str, school: School, identifier: str, client_ip: str, now: float
) -> list[ratelimit.Counter]:
    policy = school.policy
    return [
        ratelimit.hourly(scope, f"{school.id}|{identifier}", policy.requests_per_identifier_per_hour, now),
        *ip_counters(school, client_ip, now),
    ]


def ip_counters(school: School, client_ip: str, now: float) -> list[ratelimit.Counter]:
    return ratelimit.per_ip(
        school.id, client_ip, school.policy.requests_per_ip_per_hour, settings().requests_per_ip_per_hour, now
    )


def recipient_counters(
    school: School, notices: list[Notice], asked_by: str, now: float
) -> list[ratelimit.Counter]:
    """One counter per address the request e-mails and kind of identifier it
    named (`asked_by`: codice fiscale, user code, e-mail), counting its e-mails.

    Apart per kind, so the cap never silences the holder's own channel:
    requests by a codice fiscale (computable from public data) fill only the
    codice fiscale's share of a mailbox, and the holder asking by e-mail or
    by user code still gets the link. A mailbox gets at most the cap per kind."""
    # A cover notice counts a recipient nobody has: the same write, nobody's limit.
    subjects = Counter(notice.id if notice.channel == "none" else notice.to.casefold() for notice in notices)
    return [
        ratelimit.hourly(
            ratelimit.RECIPIENT_SCOPE,
            f"{school.id}|{subject}|{asked_by}",
            school.policy.link_emails_per_recipient_per_hour,
            now,
            amount=amount,
        )
        for subject, amount in subjects.items()
    ]


def settle(
    flow_name: str,
    school: School,
    counters: list[ratelimit.Counter],
    links: list[Link],
    extra_notices: list[Notice],
    outcome: str,
    asked_by: str,
    now: float,
    answering: str | None = None,
    **log_facts: object,
) -> str:
    """How register and request-reset end, whatever they found.

    The message is queued first, then the request is counted and the links
    stored in one transaction with the message's commit receipt (over a limit
    nothing is opened, and notify never delivers the message). A request that
    opens no link opens a cover instead, so every answer makes the same AWS
    calls and writes and queues the same amount. Returns the outcome."""
    purpose = Purpose.ACTIVATION if flow_name == "register" else Purpose.RESET
    covers = [] if links else [cover_link(school, purpose, now)]
    if answering is not None:  # a reset from the sign-in page: the register's request goes with it
        links = [replace(link, flow=replace(link.flow, answers_request=answering)) for link in links]
        covers = [replace(link, flow=replace(link.flow, answers_request=answering)) for link in covers]
    notices = [link.notice for link in links] + extra_notices or [link.notice for link in covers]
    recipients = recipient_counters(school, notices, asked_by, now)
    message = outbox.queue(notices)
    try:
        flows.count_requests_and_open_flows(
            counters + recipients,
            [link.flow for link in links],
            [link.flow for link in covers],
            message.commit_id,
            now,
        )
    except RecipientCapped:
        # Only the recipient's cap refused: the request still counts, nothing
        # is opened, and notify never delivers the message (no receipt).
        flows.count_requests_and_open_flows(counters, [], [], outbox.new_id(), now)
        _ended(flow_name, school, "recipient_capped", **log_facts)
        if school.policy.disclosure == "explicit":
            raise
        return "recipient_capped"
    _ended(flow_name, school, outcome, **log_facts)
    return outcome


def _ended(flow_name: str, school: School, outcome: str, **log_facts: object) -> None:
    logger.info(f"{flow_name} handled", extra={"outcome": outcome, "school": school.id, **log_facts})
    count_outcome(flow_name, outcome)


def lacks_mobile_for_activation(school: School, person: Person) -> bool:
    """The school activates only with an SMS code ("a due vie") and has no
    number for this person that may receive one: a link could not be
    completed, so none is sent (register, invitations), and the school
    office is who can help (the school report's call list)."""
    policy = school.policy
    if not policy.otp_required_for_activation:
        return False
    return person.mobile is None or not phone.may_receive_sms(person.mobile, policy.sms_allowed_prefixes)


def link_lifetime(policy: Policy, purpose: Purpose) -> int:
    if purpose is Purpose.ACTIVATION:
        return policy.activation_link_lifetime_s
    return policy.reset_link_lifetime_s


def new_flow(
    school: School,
    person: Person,
    purpose: Purpose,
    token_sha256: str,
    lifetime: int,
    otp_required: bool,
    now: float,
) -> Flow:
    """A flow for `person`, with the school's terms fixed as they are now."""
    policy = school.policy
    return Flow(
        token_sha256=token_sha256,
        purpose=purpose,
        school_id=school.id,
        school_name=school.name,
        reply_to=school.reply_to,
        codice_fiscale=person.codice_fiscale,
        surname=person.surname,
        name=person.name,
        email=person.email or "",
        user_code=person.user_code,
        account_status=person.status,
        credential_epoch=person.credential_epoch,
        created_at=int(now),
        expires_at=int(now) + lifetime,
        otp_required=otp_required,
        password_profile=policy.password_profile,
        language=policy.language,
        in_person_identification=policy.in_person_identification,
        mobile=person.mobile,
        otp_terms=OtpTerms.of(policy, urlsplit(school.portal_url).hostname or ""),
        audit_retention_days=policy.audit_retention_days,
        # Its codes come from the app when the account has one (Flow.otp_by_app says when).
        totp_sealed=person.totp_sealed,
        register_url=school.register_url,
    )


def open_link(school: School, person: Person, purpose: Purpose, now: float) -> Link:
    """A new link for `person`: the flow to store and the e-mail that carries it.

    The table keeps the token's SHA-256; the queue carries it sealed."""
    assert person.email is not None
    policy = school.policy
    token, sealed = tokens.new_sealed_token(tokens.data_key(settings().outbox_key_id))
    lifetime = link_lifetime(policy, purpose)
    otp_required = {
        Purpose.ACTIVATION: policy.otp_required_for_activation,
        Purpose.RESET: policy.otp_required_for_reset,
    }.get(purpose, False)
    flow = new_flow(school, person, purpose, tokens.token_hash(token), lifetime, otp_required, now)
    params = {
        "name": person.name,
        "hours": str(lifetime // 3600),
        "minutes": str(lifetime // 60),
        "user_code": person.user_code or "",
    }
    notice = Notice(
        template=purpose.value,
        language=policy.language,
        to=person.email,
        school_name=school.name,
        reply_to=school.reply_to,
        params=params,
        # The token travels in the fragment: it never reaches a server log.
        link_base=f"{school.portal_url.rstrip('/')}/{LINK_PATHS[purpose]}#token=",
        sealed_token=sealed,
        school_id=school.id,
    )
    return Link(flow, notice)


def reminder(school: School, flow: Flow, now: float) -> Link:
    """A fresh link for an unused activation link about to expire (its token
    is not stored, so the e-mail cannot repeat it): the same account, terms
    and expiry, a new token; the old link keeps working until it expires."""
    hours = str(max(1, (flow.expires_at - int(now)) // 3600))
    return fresh_link(
        school,
        flow,
        "activation_reminder",
        {"hours": hours},
        created_at=int(now),
        reminded_at=int(now),
        otp_verified=False,
    )


def fresh_link(
    school: School, flow: Flow, template: outbox.Template, params: dict[str, str], **changes: Any
) -> Link:
    """The flow under a new token (with `changes`), and the e-mail that
    carries its link to the flow's address."""
    token, sealed = tokens.new_sealed_token(tokens.data_key(settings().outbox_key_id))
    fresh = replace(flow, token_sha256=tokens.token_hash(token), **changes)
    notice = outbox.to_flow_holder(fresh, template, **params)
    assert notice is not None, "a link goes to the flow's own address"
    link_base = f"{school.portal_url.rstrip('/')}/{LINK_PATHS[fresh.purpose]}#token="
    notice = notice.model_copy(update={"link_base": link_base, "sealed_token": sealed})
    return Link(fresh, notice)


def cover_link(school: School, purpose: Purpose, now: float) -> Link:
    """What a request that sends nothing opens: a link for nobody, built as a
    real one is, stored under a key no token leads to, queued as a notice
    notify drops."""
    link = open_link(school, COVER_PERSON, purpose, now)
    return replace(link, notice=link.notice.model_copy(update={"channel": "none"}))
