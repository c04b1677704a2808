"""Ops actions on one account, run from the AWS console (the ops function,
`/_local/invoke/OpsFunction` locally): what a secretary's office asks for.

Each names the operator, the school, the person (codice fiscale or user
code) and a reason; each change and its audit item land in one
transaction, or nothing does. The audit item also carries the invocation's
request id, which CloudTrail's Lambda data event joins to the IAM caller
(docs/OPS.md): an operator is accountable for more than a declared name.

- `unlock`: the account's logins (user code, e-mail) and its PIN take
  attempts again;
- `disable` / `enable`: a disabled account cannot log in, get a link, a
  PIN, or pass a check; its open links die; `enable` restores the status it
  had;
- `revoke`: every open link and the PIN stop working;
- `audit`: the account's audit trail (GDPR art. 15), itself audited;
- `issue_temporary_code`: a one-time code to set a password with (and a
  user code, if the person has none yet), e-mailed to the address on file,
  or answered once to the operator, for printing, when there is none;
- `erase` (GDPR art. 17, when a family leaves and the school asks): the
  person's row, account, logins and open flows go; the user code stays
  reserved for ever, without a name; the audit keeps who erased it and why;
- `record_identification`: the person was identified at the school; an
  account `awaiting_identification` (policy `in_person_identification`)
  becomes active, and its holder is told by e-mail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from chiave.credentials import temporary_codes, tokens, user_code
from chiave.credentials.user_code import new_user_code
from chiave.domain import AccountStatus, Credentials, Person, Role, School, form_reference
from chiave.errors import (
    AccountUnavailable,
    FormReferenceMismatch,
    InvalidCodiceFiscale,
    InvalidUserCode,
    PersonNotFound,
    SchoolNotFound,
)
from chiave.italian import clock, codice_fiscale
from chiave.notify import outbox
from chiave.oidc import backchannel_logout
from chiave.runtime import masking
from chiave.runtime.observability import count_outcome, logger
from chiave.runtime.settings import settings
from chiave.store import accounts, audit, flows, grants, logins, people
from chiave.store.keys import is_sign_in_grant
from chiave.store.table import Part, commit, commit_or_transact, delete, numbered, transact

Action = Literal[
    "unlock", "disable", "enable", "revoke", "audit", "record_identification", "issue_temporary_code", "erase"
]
DocumentType = Literal["carta_identita", "passaporto", "patente", "permesso_di_soggiorno", "altro"]


@dataclass(frozen=True)
class Identification:
    """A person identified at the school (Istanze OnLine): the document seen
    (its type, the last four characters of its number) and whether a
    delegate came with a written proxy instead), and the reference of the
    adhesion form signed there, when the office read it."""

    document_type: DocumentType
    document_last4: str
    delegate_with_written_proxy: bool = False
    form_reference: str | None = None


@dataclass(frozen=True)
class OpsRequest:
    action: Action
    operator: str
    school_id: str
    codice_fiscale: str | None
    user_code: str | None
    reason: str
    # The Lambda invocation's id: CloudTrail's data event names its IAM caller.
    request_id: str
    identification: Identification | None = None


@dataclass(frozen=True)
class Account:
    school: School
    person: Person
    credentials: Credentials


def run(request: OpsRequest, now: float) -> dict[str, Any]:
    account = _find(request)
    result = ACTIONS[request.action](request, account, now)
    logger.info(
        "ops action",
        extra={
            "action": request.action,
            "operator": request.operator,
            "school": request.school_id,
            "codice_fiscale": masking.mask_codice_fiscale(account.person.codice_fiscale),
        },
    )
    count_outcome("ops", request.action)
    return {"person": masking.mask_codice_fiscale(account.person.codice_fiscale), **result}


def _find(request: OpsRequest) -> Account:
    cf = request.codice_fiscale
    if cf is not None:
        if not codice_fiscale.is_valid(cf):
            raise InvalidCodiceFiscale()
        cf = codice_fiscale.canonical(cf)
    else:
        assert request.user_code is not None
        if not user_code.is_valid(request.user_code):
            raise InvalidUserCode()
        holders = people.people_by_user_code(request.user_code)
        owners = [person for person in holders if person.school_id == request.school_id]
        cf = owners[0].codice_fiscale if owners else None
    school, found = accounts.get_school_and_account(request.school_id, cf)
    if school is None:
        raise SchoolNotFound()
    if found is None and request.action == "audit" and cf is not None:
        # An erased person's trail outlives them: it is read by codice fiscale.
        found = (Person(request.school_id, cf, "", "", Role.GENITORE), Credentials())
    if found is None:
        raise PersonNotFound()
    person, credentials = found
    return Account(school, person, credentials)


def _audited(request: OpsRequest, account: Account, now: float, **details: str | None) -> dict[str, Any]:
    return audit.entry(
        account.school.id,
        account.person.codice_fiscale,
        request.action,
        f"operator:{request.operator}",
        "done",
        account.school.policy.audit_retention_days,
        now,
        reason=request.reason,
        request_id=request.request_id,
        **details,
    )


def _unlock(request: OpsRequest, account: Account, now: float) -> dict[str, Any]:
    person = account.person
    identifiers = [login for login in (person.user_code, person.email) if login]
    parts = [logins.clear(person.school_id, login) for login in identifiers]
    parts.append(logins.clear_account(person.school_id, person.codice_fiscale))
    unlocked = ["login"] if identifiers else []
    if account.credentials.pin is not None:
        parts.append(accounts.forgive_pin(person))
        unlocked.append("pin")
    transact(
        {**numbered("unlocked", parts), "audit": _audited(request, account, now, unlocked=",".join(unlocked))}
    )
    return {"unlocked": unlocked}


def _disable(request: OpsRequest, account: Account, now: float) -> dict[str, Any]:
    person = account.person
    if person.status is AccountStatus.DISABLED:
        # Again: whatever a first run had no room to end (end_now failed midway) ends now.
        left = grants.ended_with_account(person.school_id, person.codice_fiscale, now)
        if left.parts:
            _signed_out({}, left, now)
        return {"status": person.status.value, "changed": False}
    record = _audited(request, account, now, status_before=person.status.value)
    ending = grants.ended_with_account(person.school_id, person.codice_fiscale, now)
    _signed_out({"account": accounts.disable(person), "audit": record}, ending, now)
    return {"status": AccountStatus.DISABLED.value, "changed": True, "signed_out": ending.count}


def _signed_out(parts: dict[str, Part], ending: grants.Ending, now: float) -> None:
    """The action's parts, with every session and token family of the account
    ended in the same transaction (as many as it holds; the rest right after),
    and the registers the sessions signed into told (back-channel logout)."""
    commit_or_transact(
        {**parts, **numbered("signed in", ending.parts)}, backchannel_logout.announce(ending.logouts), now
    )
    grants.end_now(ending.rest)


def _enable(request: OpsRequest, account: Account, now: float) -> dict[str, Any]:
    person = account.person
    if person.status is not AccountStatus.DISABLED:
        return {"status": person.status.value, "changed": False}
    before = accounts.disabled_from(person.school_id, person.codice_fiscale)
    if before in (None, AccountStatus.DISABLED):
        before = AccountStatus.ACTIVE if account.credentials.password_hash else AccountStatus.PENDING
    assert before is not None
    record = _audited(request, account, now, status_after=before.value)
    transact({"account": accounts.enable(person, before), "audit": record})
    return {"status": before.value, "changed": True}


def _revoke(request: OpsRequest, account: Account, now: float) -> dict[str, Any]:
    person = account.person
    ending = grants.ended_with_account(person.school_id, person.codice_fiscale, now)
    _signed_out({"account": accounts.revoke(person), "audit": _audited(request, account, now)}, ending, now)
    return {"revoked": ["links", "pin", "sessions"], "signed_out": ending.count}


def _audit(request: OpsRequest, account: Account, now: float) -> dict[str, Any]:
    entries = [
        # Beside the epoch, the moment as the office reads it (ISO 8601, Italian time).
        {**entry, "at_iso": clock.iso(entry["at"])}
        for entry in audit.trail(account.school.id, account.person.codice_fiscale, now)
    ]
    # Reading the trail is itself on the trail: who looked, and why.
    transact({"audit": _audited(request, account, now)})
    return {"entries": entries}


def _record_identification(request: OpsRequest, account: Account, now: float) -> dict[str, Any]:
    seen = request.identification
    assert seen is not None  # the event's model requires it for this action
    person, school = account.person, account.school
    # The form the person signed at the office names the account it was printed for.
    reference = form_reference(school.id, person.user_code) if person.user_code else None
    if seen.form_reference is not None and seen.form_reference != reference:
        raise FormReferenceMismatch()
    record = _audited(
        request,
        account,
        now,
        document_type=seen.document_type,
        document_last4=seen.document_last4.upper(),
        delegate_with_written_proxy=str(seen.delegate_with_written_proxy).lower(),
        form_reference=reference,
    )
    if person.status is not AccountStatus.AWAITING_IDENTIFICATION:
        transact({"audit": record})
        return {"status": person.status.value, "changed": False, "form_reference": reference}
    notice = outbox.to_holder(school, person, "account_active", user_code=person.user_code or "")
    message = outbox.queue([notice])
    commit({"account": accounts.identified(person), "audit": record}, message.commit_id, now)
    return {"status": AccountStatus.ACTIVE.value, "changed": True, "form_reference": reference}


USER_CODE_DRAWS = 5


def _issue_temporary_code(request: OpsRequest, account: Account, now: float) -> dict[str, Any]:
    person, school = account.person, account.school
    if person.status is AccountStatus.DISABLED:
        raise AccountUnavailable()
    policy = school.policy
    delivery = "email" if person.email else "operator"
    # A code answered to the operator is printed and handed over the same day:
    # it lives a school day at most, not as long as a mailed one.
    lifetime = policy.activation_link_lifetime_s
    if delivery == "operator":
        lifetime = min(lifetime, temporary_codes.HANDED_OVER_LIFETIME_S)
    expires_at = int(now) + lifetime
    for _draw in range(USER_CODE_DRAWS):
        code_owner = person.user_code or new_user_code()
        code, sealed = tokens.new_sealed_code(
            tokens.data_key(settings().outbox_key_id), temporary_codes.LENGTH, temporary_codes.ALPHABET
        )
        notice = outbox.to_holder(
            school,
            person,
            "temporary_code",
            sealed,
            user_code=code_owner,
            hours=str(lifetime // 3600),
            length=str(temporary_codes.LENGTH),
            alphabet=temporary_codes.ALPHABET,
        )
        message = outbox.queue([notice])
        record = _audited(request, account, now, delivery=delivery)
        try:
            code_hash = temporary_codes.hash_code(code)
            accounts.issue_temporary_code(
                person, code_hash, expires_at, code_owner, record, message.commit_id, now
            )
            break
        except accounts.UserCodeTaken:
            continue  # someone else drew that user code meanwhile: draw another
    else:
        raise RuntimeError("no free user code after several draws")
    answer: dict[str, Any] = {"user_code": code_owner, "delivery": delivery, "expires_at": expires_at}
    if delivery == "operator":
        # Shown once, to be printed and handed over in person; never stored in the clear.
        answer["temporary_code"] = temporary_codes.printable(code)
    return answer


def _erase(request: OpsRequest, account: Account, now: float) -> dict[str, Any]:
    person = account.person
    reserved = [accounts.keep_user_code_reserved(person.user_code, int(now))] if person.user_code else []
    links = [
        key
        for key in flows.keys_of_account(person.school_id, person.codice_fiscale)
        if not is_sign_in_grant(key)
    ]
    ending = grants.ended_with_account(person.school_id, person.codice_fiscale, now)
    parts = {
        "person": accounts.erase(person),
        "audit": _audited(request, account, now),
        "tombstone": accounts.erased_tombstone(person, int(now)),
        **numbered("link", map(delete, links)),
        **numbered(
            "login",
            (logins.clear(person.school_id, login) for login in (person.user_code, person.email) if login),
        ),
        "account login": logins.clear_account(person.school_id, person.codice_fiscale),
        **numbered("user code", reserved),
    }
    _signed_out(parts, ending, now)
    return {"erased": True, "user_code_reserved": person.user_code}


ACTIONS: dict[str, Callable[[OpsRequest, Account, float], dict[str, Any]]] = {
    "unlock": _unlock,
    "disable": _disable,
    "enable": _enable,
    "revoke": _revoke,
    "audit": _audit,
    "record_identification": _record_identification,
    "issue_temporary_code": _issue_temporary_code,
    "erase": _erase,
}
