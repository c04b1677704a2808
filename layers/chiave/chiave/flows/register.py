"""register: a person asks for credentials with their codice fiscale (SPEC §2.1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from chiave.domain import AccountStatus, Person, Purpose, Role, School
from chiave.errors import (
    AlreadyRegistered,
    DomainError,
    EmailMissing,
    MobileMissing,
    PersonNotFound,
    StudentTooYoung,
)
from chiave.italian import codice_fiscale
from chiave.notify import outbox
from chiave.notify.outbox import Notice
from chiave.runtime import masking
from chiave.steps.links import (
    Accepted,
    Link,
    lacks_mobile_for_activation,
    open_link,
    parse_codice_fiscale,
    request_counters,
    settle,
)
from chiave.steps.reading import school_served
from chiave.store import people


@dataclass(frozen=True)
class Decision:
    outcome: str
    refusal: DomainError | None = None  # shown only in explicit disclosure
    links: list[Link] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


def register(school_id: str, raw_codice_fiscale: str, client_ip: str, now: float) -> Accepted:
    cf = parse_codice_fiscale(raw_codice_fiscale)
    found, person = people.get_school_and_person(school_id, cf)
    school = school_served(found)
    decision = decide(school, person, now)
    # Counted whatever the outcome, before anything is revealed.
    outcome = settle(
        "register",
        school,
        request_counters("register", school, cf, client_ip, now),
        decision.links,
        decision.notices,
        decision.outcome,
        "codice_fiscale",
        now,
        codice_fiscale=masking.mask_codice_fiscale(cf),
    )
    if school.policy.disclosure == "private":
        return Accepted()
    if decision.refusal is not None:
        raise decision.refusal
    assert person is not None and person.email is not None and outcome == "link_sent"
    return Accepted(email_hint=masking.mask_email(person.email))


def decide(school: School, person: Person | None, now: float) -> Decision:
    if person is None:
        return Decision("person_unknown", PersonNotFound())
    if person.has_credentials or person.status is AccountStatus.DISABLED:
        notices = []
        if person.email and person.has_credentials and school.policy.disclosure == "private":
            # The screen cannot say "already registered" without enumeration: the mail can.
            notices.append(
                Notice(
                    template="already_registered",
                    language=school.policy.language,
                    to=person.email,
                    school_name=school.name,
                    reply_to=school.reply_to,
                    params={"name": person.name, "portal_url": school.portal_url},
                    school_id=school.id,
                )
            )
        return Decision("already_registered", AlreadyRegistered(), notices=notices)
    if not person.email:
        return Decision("email_missing", EmailMissing())
    if too_young(school, person, now):
        return Decision("student_too_young", StudentTooYoung())
    if lacks_mobile_for_activation(school, person):
        # A link could not be completed: the mail (never the page) says to give the school a mobile.
        notice = outbox.to_holder(school, person, "activation_needs_mobile", school_id=school.id)
        return Decision("mobile_missing", MobileMissing(), notices=[notice])
    return Decision("link_sent", links=[open_link(school, person, Purpose.ACTIVATION, now)])


def too_young(school: School, person: Person, now: float) -> bool:
    """A student younger than the school lets have credentials of their own."""
    if person.role is not Role.STUDENTE:
        return False
    age = codice_fiscale.age(person.codice_fiscale, datetime.fromtimestamp(now, tz=UTC).date())
    return age is not None and age < school.policy.student_min_age
