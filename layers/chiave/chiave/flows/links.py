"""What register and request-reset share: limits, links and their e-mails."""

from __future__ import annotations

from dataclasses import dataclass

from chiave import codice_fiscale, outbox, ratelimit, store, tokens
from chiave.domain import Flow, Person, Purpose, School
from chiave.errors import InvalidCodiceFiscale
from chiave.observability import count_outcome, logger
from chiave.outbox import Notice
from chiave.policy import Policy

LINK_PATHS = {Purpose.ACTIVATION: "attiva", Purpose.RESET: "recupera"}


@dataclass(frozen=True)
class Accepted:
    """The 202 answer; `email_hint` only in explicit disclosure."""

    email_hint: str | None = None


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
        # One counter per address across flows and schools: it measures the address.
        ratelimit.hourly("ip", client_ip, policy.requests_per_ip_per_hour, now),
    ]


def settle(
    flow_name: str,
    school: School,
    counters: list[ratelimit.Counter],
    flows: list[Flow],
    notices: list[Notice],
    outcome: str,
    now: float,
    **log_facts: object,
) -> None:
    """How register and request-reset end, whatever they found: the request is
    counted and the links stored in one transaction (over a limit, nothing is
    opened), the notices queued, the outcome logged and counted.

    In private disclosure a request that sends nothing still queues a padding
    notice, so every answer makes the same AWS calls."""
    store.count_requests_and_open_flows(counters, flows, now)
    if notices or school.policy.disclosure == "private":
        outbox.enqueue(notices or [outbox.padding()])
    logger.info(f"{flow_name} handled", extra={"outcome": outcome, "school": school.id, **log_facts})
    count_outcome(flow_name, outcome)


def link_lifetime(policy: Policy, purpose: Purpose) -> int:
    if purpose is Purpose.ACTIVATION:
        return policy.activation_link_lifetime_s
    return policy.reset_link_lifetime_s


def open_link(school: School, person: Person, purpose: Purpose, now: float) -> tuple[Flow, Notice]:
    """A new link for `person`: the flow to store and the e-mail that carries it.

    The token lives only in the e-mail; the table keeps its SHA-256."""
    assert person.email is not None
    policy = school.policy
    token = tokens.new_token()
    lifetime = link_lifetime(policy, purpose)
    otp_required = (
        policy.otp_required_for_activation if purpose is Purpose.ACTIVATION else policy.otp_required_for_reset
    )
    flow = Flow(
        token_sha256=tokens.token_hash(token),
        purpose=purpose,
        school_id=school.id,
        school_name=school.name,
        reply_to=school.reply_to,
        codice_fiscale=person.codice_fiscale,
        surname=person.surname,
        name=person.name,
        email=person.email,
        user_code=person.user_code,
        account_status=person.status,
        credential_epoch=person.credential_epoch,
        created_at=int(now),
        expires_at=int(now) + lifetime,
        otp_required=otp_required,
        password_profile=policy.password_profile,
        language=policy.language,
        in_person_identification=policy.in_person_identification,
    )
    # The token travels in the fragment: it never reaches a server log.
    link = f"{school.portal_url.rstrip('/')}/{LINK_PATHS[purpose]}#token={token}"
    params = {
        "name": person.name,
        "link": link,
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
    )
    return flow, notice
