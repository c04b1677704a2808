"""redeem a temporary code (`POST /v1/temporary-codes/redeem`): the code the
school issued, with the login it goes with (user code, e-mail, or codice
fiscale for a person who has neither), sets the first or a new password.
Once: the code is used up; under the same lockout as any login.

From the sign-in page (a register's `request`), the same transaction also
signs the person in and answers the register: the forced password change
done, the register gets a code for a normal ID token (acr password), under
the rules of any password entry (chiave.steps.entry)."""

from __future__ import annotations

from chiave.credentials import passwords, temporary_codes
from chiave.domain import AccountStatus, AdhesionForm, PasswordSet
from chiave.errors import SignInExpired, TokenUsed, WeakPassword
from chiave.notify import adhesion_form, outbox
from chiave.oidc import authorize, discovery
from chiave.runtime import coldstart
from chiave.runtime.observability import count_outcome, logger
from chiave.steps import entry, login
from chiave.store import accounts

coldstart.on_warm_up(passwords.warm_rules)


def redeem(
    school_id: str,
    raw_login: str,
    code: str,
    new_password: str,
    client_ip: str,
    now: float,
    request_id: str | None = None,
) -> PasswordSet:
    answering = entry.request_answered_for(request_id, school_id, now) if request_id else None
    if answering is not None:
        school_id = answering[2]
    authenticated = login.authenticate(
        "redeem_temporary_code",
        school_id,
        raw_login,
        temporary_codes.normalise(code),
        client_ip,
        now,
        checks="temporary_code",
    )
    school, person = authenticated.school, authenticated.person
    assert person.user_code is not None  # issued with the code
    if answering is not None:
        entry.may_enter_with_password(school, person, now)
    profile = school.policy.password_profile
    context = [person.codice_fiscale, person.name, person.surname, person.user_code]
    failed = passwords.failed_rules(new_password, profile, context)
    if failed:
        count_outcome("redeem_temporary_code", "weak_password")
        raise WeakPassword(rules=failed, profile=profile)
    status = person.status
    if status is AccountStatus.PENDING:
        in_person = school.policy.in_person_identification
        status = AccountStatus.AWAITING_IDENTIFICATION if in_person else AccountStatus.ACTIVE
    form = None
    if status is AccountStatus.AWAITING_IDENTIFICATION:
        form = AdhesionForm.of(school.id, school.name, person, person.user_code, int(now))
    template, params = adhesion_form.done_mail(person.user_code, form)
    notice = outbox.to_holder(school, person, template, None, **params)
    message = outbox.queue([notice])
    assert authenticated.password_hash is not None  # the temporary code's hash, just matched
    change = accounts.redeem_temporary_code(
        person, authenticated.password_hash, passwords.hash_secret(new_password), status, int(now)
    )
    record = login.audit_entry(authenticated, "password_set", now, via="temporary code")
    done = None
    others = [record]
    if answering is not None:
        request, client, _school = answering
        signed_in = entry.signed_in(school.id, person.codice_fiscale, discovery.ACR_PASSWORD, ("pwd",), now)
        done = authorize.answered(request, signed_in, now)
        signed = login.audit_entry(authenticated, "signed_in", now, client=client.id, acr=signed_in.acr)
        others += [*done.parts, signed]
    try:
        login.commit_change(authenticated, change, others, message.commit_id, now)
    except TokenUsed:
        raise SignInExpired() from None  # the register's request answered meanwhile
    logger.info("temporary code redeemed", extra=login.log_facts(authenticated))
    count_outcome("redeem_temporary_code", "redeemed_signed_in" if done else "redeemed")
    return PasswordSet(
        user_code=person.user_code,
        status=status,
        adhesion_form=form,
        redirect=done.redirect if done else None,
        session_cookie=done.session_cookie if done else None,
    )
