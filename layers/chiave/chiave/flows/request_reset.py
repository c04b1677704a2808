"""request-reset: "Password dimenticata?" by codice fiscale, user code or
e-mail (SPEC §2.2)."""

from __future__ import annotations

from dataclasses import replace

from chiave.credentials import tokens, user_code
from chiave.domain import Person, Purpose, School
from chiave.errors import AccountNotFound, EmailMissing, InvalidUserCode
from chiave.runtime import masking
from chiave.steps.links import Accepted, open_link, parse_codice_fiscale, request_counters, settle
from chiave.steps.reading import school_served
from chiave.store import people as people_store
from chiave.store import schools

# One e-mail address may serve several accounts of a school (two parents
# sharing a mailbox); each gets its own link, up to this many.
MAX_ACCOUNTS_PER_EMAIL = 5


def classify(identifier: str) -> tuple[str, str]:
    """(kind, normalised value); raises for a malformed user code or cf."""
    value = identifier.strip()
    if "@" in value:
        return "email", value.casefold()
    if user_code.looks_like_user_code(value):
        if not user_code.is_valid(value):
            raise InvalidUserCode()
        return "user_code", value
    return "codice_fiscale", parse_codice_fiscale(value)


def _lookup(school_id: str, kind: str, value: str) -> tuple[School | None, list[Person]]:
    if kind == "codice_fiscale":
        school, person = people_store.get_school_and_person(school_id, value)
        return school, [person] if person else []
    school = schools.get_school(school_id)
    if school is None:
        return None, []
    if kind == "user_code":
        people = people_store.people_by_user_code(value)
    else:
        people = people_store.people_by_email(school_id, value, limit=MAX_ACCOUNTS_PER_EMAIL)
    return school, [person for person in people if person.school_id == school_id]


def request_reset(
    school_id: str, identifier: str, client_ip: str, now: float, request_id: str | None = None
) -> Accepted:
    kind, value = classify(identifier)
    found, people = _lookup(school_id, kind, value)
    school = school_served(found)
    with_credentials = [person for person in people if person.has_credentials]
    cool_off_s = school.policy.factor_change_cool_off_s
    # Each to the address a reset may use now (Person.reset_address).
    reachable = [
        replace(person, email=address)
        for person in with_credentials
        if (address := person.reset_address(cool_off_s, now))
    ]
    links = [open_link(school, person, Purpose.RESET, now) for person in reachable]
    settle(
        "request_reset",
        school,
        request_counters("reset", school, f"{kind}:{value}", client_ip, now),
        links,
        [],
        "link_sent" if links else ("email_missing" if with_credentials else "no_account"),
        kind,
        now,
        identifier_kind=kind,
        link_count=len(links),
        # Only its hash, and for a cover too: the same write whoever is asked for.
        answering=tokens.token_hash(request_id) if request_id and tokens.is_well_formed(request_id) else None,
    )
    if school.policy.disclosure == "private":
        return Accepted()
    if not with_credentials:
        raise AccountNotFound()
    if not reachable:
        raise EmailMissing()
    first_email = reachable[0].email
    assert first_email is not None
    return Accepted(email_hint=masking.mask_email(first_email))
