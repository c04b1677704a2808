"""confirm-reset: set the password with a link token; completes both
activation and reset (SPEC §2.5)."""

from __future__ import annotations

import hmac
from dataclasses import replace

from chiave.credentials import passwords, tokens
from chiave.credentials.user_code import new_user_code
from chiave.domain import SETS_PASSWORD, AccountStatus, AdhesionForm, Flow, PasswordSet, Purpose
from chiave.errors import AccountUnavailable, DomainError, OtpRequired, TokenInvalid, TokenUsed, WeakPassword
from chiave.notify import adhesion_form, outbox
from chiave.notify.outbox import Notice
from chiave.oidc import authorize, discovery
from chiave.runtime import coldstart
from chiave.runtime.observability import count_outcome, logger
from chiave.steps import entry
from chiave.steps.reading import check_open, load_flow
from chiave.store import accounts, audit, flows, grants, people

coldstart.on_warm_up(passwords.warm_hashing)
coldstart.on_warm_up(passwords.warm_rules)

USER_CODE_DRAWS = 5
# A client whose answer was lost (a timeout, a dropped connection) may send
# the same confirmation again this long after it succeeded, with the key it
# sent the first time, and is given the same answer: the user code is never
# lost. A replay never checks a password (SPEC §6): no key, no answer.
REPLAY_WINDOW_S = 900


def confirm(token: str, new_password: str, now: float, confirmation_key: str | None = None) -> PasswordSet:
    moment = int(now)
    flow = load_flow(token)
    if flow.purpose not in SETS_PASSWORD:
        raise TokenInvalid()  # a PIN's SMS step sets no password
    key_digest = tokens.token_hash(confirmation_key) if confirmation_key else None
    if flow.used_at is not None:
        return _replay(flow, key_digest, moment)
    check_open(flow, moment)
    if flow.otp_required and not flow.otp_verified:
        _check_still_open(flow)  # a superseded link is dead, whatever step it was at
        raise OtpRequired()
    code = flow.user_code or new_user_code()
    failed = passwords.failed_rules(
        new_password, flow.password_profile, [flow.codice_fiscale, flow.name, flow.surname, code]
    )
    if failed:
        _check_still_open(flow)  # a dead link is told so before any password rule
        count_outcome("confirm_reset", "weak_password")
        raise WeakPassword(rules=failed, profile=flow.password_profile)
    password_hash = passwords.hash_secret(new_password)
    new_status: AccountStatus | None = None
    if flow.purpose is Purpose.ACTIVATION:
        new_status = (
            AccountStatus.AWAITING_IDENTIFICATION if flow.in_person_identification else AccountStatus.ACTIVE
        )
    back = _back_to_the_register(flow, now)
    for _draw in range(USER_CODE_DRAWS):
        # The confirmation e-mail is queued before the commit it announces;
        # a new draw is a new commit with a message of its own.
        message = outbox.queue([_notice(flow, code, new_status, moment)])
        try:
            record = audit.entry(
                flow.school_id,
                flow.codice_fiscale,
                "password_set" if flow.purpose is Purpose.ACTIVATION else "password_reset",
                "self",
                "done",
                flow.audit_retention_days,
                now,
                via="e-mail link",
            )
            flows.complete_flow(
                flow,
                password_hash,
                code,
                new_status,
                record,
                message.commit_id,
                moment,
                key_digest,
                signed_in=back.parts if back else None,
            )
            break
        except accounts.UserCodeTaken:
            code = new_user_code()
        except flows.SignInAnswered:
            back = None  # answered meanwhile (another tab): the password is set all the same
    else:
        raise RuntimeError("no free user code after several draws")
    status = new_status or flow.account_status
    logger.info("confirm-reset completed", extra={"purpose": flow.purpose.value, "school": flow.school_id})
    count_outcome("confirm_reset", f"{flow.purpose.value}_completed" + ("_signed_in" if back else ""))
    completed = _completed(flow, code, status, moment)
    if back is None:
        return completed
    return replace(completed, redirect=back.redirect, session_cookie=back.session_cookie)


def _back_to_the_register(flow: Flow, now: float) -> authorize.Answered | None:
    """A reset asked from the sign-in page: the register's request answered with the new
    password, while it is still open, its register serves the school and the person may enter
    with a password (chiave.steps.entry); otherwise the reset is only a reset."""
    if flow.answers_request is None or flow.purpose is not Purpose.RESET:
        return None
    try:
        request, client, school_id = entry.answerable(
            grants.get_request(flow.answers_request, now), flow.school_id
        )
    except DomainError:
        return None
    school, person = people.get_school_and_person(flow.school_id, flow.codice_fiscale)
    if school_id != flow.school_id or school is None or person is None:
        return None
    try:
        entry.may_enter_with_password(school, person, now)
    except DomainError:
        return None
    signed_in = entry.signed_in(school.id, person.codice_fiscale, discovery.ACR_PASSWORD, ("pwd",), now)
    done = authorize.answered(request, signed_in, now)
    record = audit.entry(
        school.id,
        person.codice_fiscale,
        "signed_in",
        "self",
        "done",
        flow.audit_retention_days,
        now,
        via="reset link",
        client=client.id,
        acr=signed_in.acr,
    )
    return replace(done, parts=[*done.parts, record])


def _completed(flow: Flow, user_code: str, status: AccountStatus, at: int) -> PasswordSet:
    form = None
    if status is AccountStatus.AWAITING_IDENTIFICATION:
        form = _adhesion_form(flow, user_code, at)
    return PasswordSet(user_code=user_code, status=status, adhesion_form=form)


def _adhesion_form(flow: Flow, user_code: str, at: int) -> AdhesionForm:
    return AdhesionForm.of(flow.school_id, flow.school_name, flow, user_code, at)


def _check_still_open(flow: Flow) -> None:
    epoch, status = accounts.account_state(flow.school_id, flow.codice_fiscale)
    if status == AccountStatus.DISABLED:
        raise AccountUnavailable()
    if epoch != flow.credential_epoch:
        raise TokenUsed()  # superseded: a credential was set since this link


def _replay(flow: Flow, key_digest: str | None, now: int) -> PasswordSet:
    """The same confirmation sent again (its answer was lost) gets the same
    answer; anything else meets a used link. Only the key the first request
    carried proves it is the same confirmation: the link and a password do
    not, so a used link is never a way to test passwords."""
    assert flow.used_at is not None
    if (
        flow.completed_user_code is None
        or flow.completed_status is None
        or flow.completed_key is None
        or key_digest is None
        or not hmac.compare_digest(flow.completed_key, key_digest)
        or now - flow.used_at > REPLAY_WINDOW_S
    ):
        raise TokenUsed()
    count_outcome("confirm_reset", "replayed")
    return _completed(flow, flow.completed_user_code, AccountStatus(flow.completed_status), flow.used_at)


def _notice(flow: Flow, user_code: str, new_status: AccountStatus | None, at: int) -> Notice:
    """The second mail: the user code after activation (with the adhesion
    form when the school identifies in person), a notice after a reset.
    Never the password."""
    template: outbox.Template = "password_changed"
    params = {"user_code": user_code}
    if flow.purpose is Purpose.ACTIVATION:
        form = None
        if new_status is AccountStatus.AWAITING_IDENTIFICATION:
            form = _adhesion_form(flow, user_code, at)
        template, params = adhesion_form.done_mail(user_code, form)
    return Notice(
        template=template,
        language=flow.language,
        to=flow.email,
        school_name=flow.school_name,
        reply_to=flow.reply_to,
        params={"name": flow.name, **params},
        school_id=flow.school_id,
    )
