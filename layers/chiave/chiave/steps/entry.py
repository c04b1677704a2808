"""Entering a school's registers through Chiave's sign-in: the register's
request the sign-in answers, and who may enter with a password. One place
for the rules every way in shares (the sign-in page's password, a
temporary code from the office; SPID and CIE keep the school's `admits`)."""

from __future__ import annotations

import secrets

from chiave.credentials import tokens
from chiave.domain import AuthorizationRequest, Client, Person, School, SignedIn
from chiave.errors import PasswordsNotOffered, SchoolNotServed, SignInExpired, StudentNotAdmitted
from chiave.italian import clock
from chiave.oidc import account_client
from chiave.policy import offers_passwords
from chiave.store import clients, grants


def request_answered_for(
    request_id: str, school_id: str, now: float
) -> tuple[AuthorizationRequest, Client, str]:
    """The register's request (still open), its client (enabled) and the school it is for:
    the one it named, else the one the person chose, if the client serves it."""
    request = (
        grants.get_request(tokens.token_hash(request_id), now) if tokens.is_well_formed(request_id) else None
    )
    return answerable(request, school_id)


def answerable(
    request: AuthorizationRequest | None, school_id: str
) -> tuple[AuthorizationRequest, Client, str]:
    """The request (read: None if gone), its client and the school, as request_answered_for."""
    if request is None:
        raise SignInExpired()
    chosen = request.school_id or school_id
    # The account area is Chiave's own client: it serves the school the person signs in to.
    client = (
        account_client.client(chosen)
        if request.client_id == account_client.CLIENT_ID
        else clients.get_client(request.client_id)
    )
    if client is None or not client.enabled:
        raise SignInExpired()
    if chosen not in client.schools:
        raise SchoolNotServed()
    return request, client, chosen


def signed_in(school_id: str, codice_fiscale: str, acr: str, amr: tuple[str, ...], now: float) -> SignedIn:
    """Who a new session stands for, and how they proved it; its public id (`sid`) new."""
    return SignedIn(
        school_id=school_id,
        codice_fiscale=codice_fiscale,
        auth_time=int(now),
        acr=acr,
        amr=amr,
        session_id=secrets.token_urlsafe(16),
    )


def may_enter_with_password(school: School, person: Person, now: float) -> None:
    """A password (or the office's temporary code) enters the school's registers only while the
    school offers passwords (SPEC §5), and never a primo-ciclo student."""
    if not offers_passwords(school.policy, clock.rome(now).date().isoformat()):
        raise PasswordsNotOffered()
    if not school.admits_to_registers(person.role):
        raise StudentNotAdmitted()
