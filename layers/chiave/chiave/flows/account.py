"""The account area (/profilo, `/v1/account`): what is the parent's own, with
the browser's session (chiave.steps.session) and never a password.

- `overview`: who, the school, the contacts (masked), the factors, whether
  there is a PIN, the signed-in devices and the registers each signed into,
  and the last sign-ins and credential events from the audit trail.
- `sign_in`/`returned`: the account area signs in through the sign-in, as
  Chiave's own client (chiave.oidc.account_client); signing in again is the
  fresh authentication the sensitive changes want.
- The sensitive changes, each the existing flow's own (its rules, factor
  step-up, notices and audit), after a fresh sign-in: a new password, the
  e-mail and the mobile (proved as ever), an authenticator app enrolled or
  removed, a new PIN.
- `sign_out`: one device, or every device (every session and refresh
  family), each register told (back-channel logout)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from chiave.credentials import tokens
from chiave.errors import NotSignedIn, SignInExpired
from chiave.flows import change_password, contacts, issue_pin, totp
from chiave.oidc import account_client, backchannel_logout
from chiave.runtime import masking
from chiave.runtime.observability import count_outcome, logger
from chiave.steps import session
from chiave.store import audit, clients, grants
from chiave.store.table import Refused, commit_or_transact, numbered, transact

# The newest items of the account's audit trail the area shows (sign-ins, credential events).
SHOWN_EVENTS = 20


@dataclass(frozen=True)
class Device:
    """A signed-in browser: when and how it signed in, the registers it entered."""

    sid: str
    signed_in_at: int
    methods: tuple[str, ...]
    registers: tuple[str, ...]
    this_device: bool


@dataclass(frozen=True)
class Overview:
    school_id: str
    school_name: str
    register_url: str | None
    name: str
    surname: str
    user_code: str | None
    email_hint: str | None
    phone_hint: str | None
    has_password: bool
    has_app: bool
    has_pin: bool
    signed_in_at: int
    fresh_until: int
    devices: list[Device]
    events: list[dict[str, Any]]


def overview(cookie: str | None, now: float) -> Overview:
    held = session.holder(cookie, now)
    school, person, credentials = held.school, held.person, held.credentials
    live = grants.sessions_of_account(school.id, person.codice_fiscale, now)
    # The registers each device entered (the account area itself is no register).
    signed_into = {client for found in live for client in found.clients} - {account_client.CLIENT_ID}
    names = clients.names(sorted(signed_into))
    devices = [
        Device(
            sid=found.signed_in.session_id,
            signed_in_at=found.signed_in.auth_time,
            methods=found.signed_in.amr,
            registers=tuple(names.get(client, client) for client in found.clients if client in signed_into),
            this_device=found.key == held.session.key,
        )
        for found in sorted(live, key=lambda found: -found.signed_in.auth_time)
    ]
    events = [
        {
            "at": int(entry["at"]),
            "action": entry["action"],
            "actor": entry["actor"],
            "outcome": entry["outcome"],
        }
        for entry in audit.trail(school.id, person.codice_fiscale, now)[:SHOWN_EVENTS]
    ]
    count_outcome("account", "overview")
    return Overview(
        school_id=school.id,
        school_name=school.name,
        register_url=school.register_url,
        name=person.name,
        surname=person.surname,
        user_code=person.user_code,
        email_hint=masking.mask_email(person.email) if person.email else None,
        phone_hint=masking.phone_hint(person.mobile) if person.mobile else None,
        has_password=credentials.password_hash is not None,
        has_app=person.totp_sealed is not None,
        has_pin=credentials.pin is not None,
        signed_in_at=held.session.signed_in.auth_time,
        fresh_until=held.session.signed_in.auth_time + session.FRESH_S,
        devices=devices,
        events=events,
    )


def sign_in(cookie: str | None, school_id: str | None, now: float) -> tuple[str, str]:
    """Where the browser signs in to the account area (again, with a session: at
    its school), and the PKCE verifier it keeps until it returns."""
    # Without a session: the school the page names, or the one the person chooses on /accedi.
    with contextlib.suppress(NotSignedIn):
        school_id = session.holder(cookie, now).school.id
    count_outcome("account", "sign_in_asked")
    return account_client.sign_in(school_id, now)


def returned(cookie: str | None, verifier: str | None, code: str, now: float) -> None:
    """Back from the sign-in: the code is the account area's, made for this
    browser's request (PKCE) and its session, and it is taken once."""
    held = session.holder(cookie, now)
    granted = grants.get_code(tokens.token_hash(code)) if tokens.is_well_formed(code) else None
    if (
        granted is None
        or granted.client_id != account_client.CLIENT_ID
        or not verifier
        or tokens.pkce_challenge(verifier) != granted.code_challenge
        or granted.signed_in.session_id != held.session.signed_in.session_id
    ):
        count_outcome("account", "return_refused")
        raise SignInExpired()
    try:
        transact({"code": grants.code_taken(granted.code_sha256, now)})
    except Refused:
        raise SignInExpired() from None
    count_outcome("account", "signed_in")


def new_password(cookie: str | None, password: str, now: float) -> None:
    held = session.holder(cookie, now)
    change_password.set_new_password(session.authenticated(held, None, now), password, "account", now)


def new_email(cookie: str | None, email: str, token: str | None, now: float) -> None:
    held = session.holder(cookie, now)
    contacts.email_change_for(session.authenticated(held, token, now), email, token, now)


def new_mobile(cookie: str | None, mobile: str, token: str | None, now: float) -> contacts.MobileChallenge:
    held = session.holder(cookie, now)
    return contacts.mobile_change_for(session.authenticated(held, token, now), mobile, token, now)


def enrol_app(cookie: str | None, token: str | None, now: float) -> totp.Enrolment:
    held = session.holder(cookie, now)
    return totp.enrol_for(session.authenticated(held, token, now), token, "account", now)


def remove_app(cookie: str | None, token: str | None, now: float) -> None:
    held = session.holder(cookie, now)
    totp.remove(session.authenticated(held, token, now), token, "account", now)


def new_pin(cookie: str | None, token: str | None, now: float) -> issue_pin.IssuedPin:
    held = session.holder(cookie, now)
    return issue_pin.pin_for(session.authenticated(held, token, now), token, "account", now)


@dataclass(frozen=True)
class SignedOut:
    devices: int
    # This browser's own session ended (its cookie is cleared).
    here: bool


def sign_out(cookie: str | None, which: str, now: float) -> SignedOut:
    """`which`: a device's sid, or "all": every session and refresh family of the
    account. Every register the ended sessions signed into is told."""
    held = session.holder(cookie, now)
    person = held.person
    if which == "all":
        ending = grants.ended_with_account(person.school_id, person.codice_fiscale, now)
        parts, rest, logouts, ended = ending.parts, ending.rest, ending.logouts, ending.count
        here = True
    else:
        chosen = [
            found
            for found in grants.sessions_of_account(person.school_id, person.codice_fiscale, now)
            if found.signed_in.session_id == which
        ]
        parts = [grants.session_ended(found.key) for found in chosen]
        rest, logouts, ended = [], [logout for found in chosen for logout in found.logouts], len(chosen)
        here = any(found.key == held.session.key for found in chosen)
    record = audit.entry(
        held.school.id,
        person.codice_fiscale,
        "signed_out_everywhere" if which == "all" else "signed_out_device",
        "self",
        "done",
        held.school.policy.audit_retention_days,
        now,
        devices=str(ended),
    )
    commit_id = backchannel_logout.announce(logouts)
    commit_or_transact({**numbered("ended", parts), "audit": record}, commit_id, now)
    grants.end_now(rest)
    logger.info(
        "signed out",
        extra={
            "school": held.school.id,
            "codice_fiscale": masking.mask_codice_fiscale(person.codice_fiscale),
            "which": "all" if which == "all" else "one",
            "devices": ended,
        },
    )
    count_outcome("account", "signed_out_everywhere" if which == "all" else "signed_out_device")
    return SignedOut(devices=ended, here=here)
