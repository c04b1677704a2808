"""The person a browser's session stands for: the account area (/profilo)
reads and changes what is the parent's own with the session, never with a
password (the password is typed only on the sign-in page, under its lockout).

A sensitive change wants a fresh sign-in: the session signed in, or signed in
again, within FRESH_S (the account area's `max_age`), and it still is when the
change commits (the session is checked in the change's own transaction).
What a change does is its flow's own, with no second copy of a rule: the
holder becomes a `login.Authenticated` whose login is the session."""

from __future__ import annotations

from dataclasses import dataclass

from chiave.credentials import tokens
from chiave.domain import AccountStatus, Credentials, Person, School
from chiave.errors import FreshSignInRequired, NotSignedIn
from chiave.steps import login
from chiave.steps.reading import flow_key
from chiave.store import accounts, flows, grants, schools

# Five minutes: long enough to sign in again and make the change, short
# enough that a device left open does not let someone else make it.
FRESH_S = 300


@dataclass(frozen=True)
class Holder:
    """A live session, its account (active) and school."""

    cookie_sha256: str
    session: grants.Session
    school: School
    person: Person
    credentials: Credentials

    def fresh(self, now: float) -> bool:
        return now - self.session.signed_in.auth_time <= FRESH_S


def holder(cookie: str | None, now: float) -> Holder:
    """Whom the browser's session cookie stands for; NotSignedIn without a live
    session of an active account at a school served."""
    if not cookie or not tokens.is_well_formed(cookie):
        raise NotSignedIn()
    cookie_sha256 = tokens.token_hash(cookie)
    session = grants.get_live_session(cookie_sha256, now)
    if session is None:
        raise NotSignedIn()
    school_id, codice_fiscale = session.signed_in.school_id, session.signed_in.codice_fiscale
    account = accounts.get_account(school_id, codice_fiscale)
    school = schools.get_school(school_id)
    active = account is not None and account[0].status is AccountStatus.ACTIVE
    if account is None or not active or school is None or not school.enabled:
        raise NotSignedIn()
    return Holder(cookie_sha256, session, school, *account)


def authenticated(held: Holder, token: str | None, now: float, fresh: bool = True) -> login.Authenticated:
    """The holder as a flow's login: `fresh` (a sensitive change) wants the
    session signed in within FRESH_S, now and when the change commits; `token`
    names the change's step-up flow, as a login's would."""
    if fresh and not held.fresh(now):
        raise FreshSignInRequired(max_age=FRESH_S)
    since = int(now) - FRESH_S if fresh else 0
    return login.Authenticated(
        school=held.school,
        person=held.person,
        credentials=held.credentials,
        login=login.Login("session", held.session.signed_in.session_id),
        password_hash=held.credentials.password_hash,
        rehashed=None,
        counters=[],
        flow=flows.get_flow(flow_key(token)) if token else None,
        holds=(grants.session_holds(held.cookie_sha256, since, now),),
    )
