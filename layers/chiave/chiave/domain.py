"""Plain data the flows work on: no AWS in here."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from chiave.policy import DEFAULT_AUDIT_RETENTION_DAYS, Language, PasswordProfile, Policy


class Role(StrEnum):
    GENITORE = "genitore"
    STUDENTE = "studente"
    DOCENTE = "docente"
    PERSONALE = "personale"


class AccountStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    AWAITING_IDENTIFICATION = "awaiting_identification"
    DISABLED = "disabled"
    # "locked" is not stored: it is derived from `locked_until` (time-bound).


WITH_CREDENTIALS = frozenset({AccountStatus.ACTIVE, AccountStatus.AWAITING_IDENTIFICATION})


class Purpose(StrEnum):
    ACTIVATION = "activation"
    RESET = "reset"
    EMAIL_VERIFICATION = "email_verification"
    # A short-lived flow that binds an SMS code to a PIN request (otp_required_for_pin).
    PIN = "pin"
    # The same for a sign-in to a register that asks for a second factor.
    SIGN_IN = "sign_in"
    # A short-lived flow that binds the current factor's code (the app's, or an
    # SMS to the mobile on file) to a change of a factor or a contact.
    FACTOR_CHANGE = "factor_change"
    # A new mobile number, proved by an SMS code sent to it.
    MOBILE_VERIFICATION = "mobile_verification"
    # An authenticator app being enrolled, until its first code confirms it.
    TOTP_ENROLMENT = "totp_enrolment"
    # A change asked for with the password by an account whose only contact is
    # its e-mail: the link to that address that confirms it was the holder...
    CHANGE_CONFIRMATION = "change_confirmation"
    # ...and the confirmed change, waiting out the cool-off: its link (in the
    # notice) completes it afterwards, or cancels it at any time.
    SCHEDULED_CHANGE = "scheduled_change"


# What a link of each purpose may complete with a new password.
SETS_PASSWORD = frozenset({Purpose.ACTIVATION, Purpose.RESET})
# What a link of each purpose changes instead: the account's own contacts.
CHANGES_CONTACT = frozenset({Purpose.EMAIL_VERIFICATION, Purpose.MOBILE_VERIFICATION})
# The two steps of a change made without a second factor (chiave.flows.factor_changes).
CHANGE_BY_EMAIL = frozenset({Purpose.CHANGE_CONFIRMATION, Purpose.SCHEDULED_CHANGE})

# What a factor change changes: the e-mail, the mobile, or the authenticator app.
ChangeKind = Literal["email", "mobile", "app"]


@dataclass(frozen=True)
class Change:
    """A change of a factor or a contact, as asked: what, and to what (the
    new address or number; nothing for an app, whose secret is drawn later)."""

    kind: ChangeKind
    to: str | None = None


@dataclass(frozen=True)
class Contact:
    """Whom a privacy notice names (the controller, the DPO): a name and an e-mail."""

    name: str
    email: str


@dataclass(frozen=True)
class TrustMark:
    """A trust mark the federation issued (a signed JWT), and its type: what
    SPID/CIE providers check that the school's relying party may do."""

    trust_mark_type: str
    trust_mark: str


@dataclass(frozen=True)
class School:
    """A school the deployment serves, as its operator configured it
    (chiave.jobs.configure_school): what the pages, e-mails and privacy
    notice name, and its policy."""

    id: str  # the codice meccanografico
    name: str
    # The school's own codice fiscale (11 digits, the one the Axios app asks for).
    fiscal_code: str
    reply_to: str
    portal_url: str
    policy: Policy = field(default_factory=Policy)
    town: str = ""
    # The school's code in the IPA (indicepa.gov.it): SPID knows it by this.
    ipa_code: str | None = None
    # What the federation issued the school's leaf at onboarding (docs/SPID_CIE.md).
    trust_marks: tuple[TrustMark, ...] = ()
    # Only parents and guardians enter the register (italian.meccanografico).
    primo_ciclo: bool = False
    register_url: str | None = None
    controller: Contact | None = None
    dpo: Contact | None = None
    # A disabled school's pages say the service is closed; nothing is deleted.
    enabled: bool = True
    # Bumped by every change: a change made from an older reading is refused.
    version: int = 0

    def admits_to_registers(self, role: Role) -> bool:
        """Whom the school's registers let in, whatever the method: in the primo ciclo
        only parents and guardians (and staff), never students (SPEC §5)."""
        return not (self.primo_ciclo and role is Role.STUDENTE)


# How a register's backend proves it is the client (RFC 7523; RFC 6749 §2.3.1).
ClientAuthMethod = Literal["private_key_jwt", "client_secret_basic"]
# The scopes a client may be allowed: OpenID Connect's, and Chiave's own for
# the codice fiscale, which goes out only to a client allowed it.
SCOPES = ("openid", "profile", "email", "phone", "codice_fiscale")


@dataclass(frozen=True)
class Client:
    """A register's client of the sign-in (OpenID Connect relying party), as
    the deployment's operator registered it (chiave.jobs.configure_client)."""

    id: str
    name: str  # what the sign-in page names: "Registro elettronico ..."
    schools: tuple[str, ...]  # it signs in only people of these schools
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ("openid",)
    auth_method: ClientAuthMethod = "client_secret_basic"
    # client_secret_basic: the secret's SHA-256 (it is 256 random bits, shown once),
    # and the one it replaced, valid until the register has moved to the new one.
    secret_hash: str | None = None
    previous_secret_hash: str | None = None
    previous_secret_until: int = 0
    # private_key_jwt: the client's public keys (a JWK Set, JSON).
    jwks: str | None = None
    # Where Chiave posts a logout token when a session that signed into it ends
    # (OpenID Connect Back-Channel Logout 1.0); None: the register is not told.
    backchannel_logout_uri: str | None = None
    enabled: bool = True
    version: int = 0


@dataclass(frozen=True)
class AuthorizationRequest:
    """A register's authorization request (OpenID Connect Core §3.1.2.1),
    checked, kept while the person signs in at /accedi."""

    id_sha256: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    nonce: str | None
    code_challenge: str
    school_id: str | None  # named by the request, or chosen on the page
    acr_values: tuple[str, ...]
    login_hint: str | None
    expires_at: int


@dataclass(frozen=True)
class SignedIn:
    """Who a session or a code stands for, and how they proved it."""

    school_id: str
    codice_fiscale: str
    auth_time: int
    acr: str
    amr: tuple[str, ...]
    session_id: str  # `sid`: the session's public id, never its cookie


@dataclass(frozen=True)
class ProviderSignIn:
    """A sign-in sent to a SPID or CIE provider, kept under its `state` until the
    parent comes back (once, within the request object's lifetime)."""

    state_sha256: str
    request_sha256: str  # the register's authorization request it answers
    school_id: str
    provider: str  # the provider's entity id
    profile: str  # spid, cie
    nonce: str
    code_verifier: str  # PKCE: useless without the code, which only the parent's browser carries
    min_level: int
    expires_at: int


@dataclass(frozen=True)
class AuthorizationCode:
    """What a code is exchanged for at the token endpoint, once, within 60 s."""

    code_sha256: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    nonce: str | None
    code_challenge: str
    signed_in: SignedIn
    expires_at: int
    used_at: int | None = None


@dataclass(frozen=True)
class Person:
    """An anagrafica row and the account that goes with it (one item)."""

    school_id: str
    codice_fiscale: str  # as issued (an omocode is another person), normalised
    surname: str
    name: str
    role: Role
    email: str | None = None
    mobile: str | None = None
    # The class (e.g. "1A") the school's file gives, for inviting by class.
    classe: str | None = None
    status: AccountStatus = AccountStatus.PENDING
    user_code: str | None = None
    # Bumped whenever a credential is set: links issued before die with it.
    credential_epoch: int = 0
    # The enrolled authenticator app's secret, encrypted under the TOTP KMS
    # key (chiave.credentials.totp); None: no app, codes go by SMS.
    totp_sealed: str | None = None
    # The school's file changed an active account's e-mail (chiave.jobs.imports):
    # the address before, and when. Resets keep going there for a cool-off.
    previous_email: str | None = None
    email_changed_by_school_at: int | None = None
    # The address a link last proved (activation, reset, a change): the e-mail is
    # "verified" for the registers only while it is still this one.
    email_proved: str | None = None

    @property
    def email_verified(self) -> bool:
        return bool(
            self.email and self.email_proved and self.email_proved.casefold() == self.email.casefold()
        )

    @property
    def has_credentials(self) -> bool:
        return self.status in WITH_CREDENTIALS

    def reset_address(self, cool_off_s: int, now: float) -> str | None:
        """Where a reset link goes: the e-mail on file, or, for the cool-off
        after the school's file changed it, the address it had (a wrong or
        forged file cannot redirect a reset at once)."""
        changed_at = self.email_changed_by_school_at
        if self.previous_email and changed_at is not None and now < changed_at + cool_off_s:
            return self.previous_email
        return self.email


@dataclass(frozen=True)
class AdhesionForm:
    """The adhesion form (modulo di adesione) of an account that waits for
    in-person identification (Istanze OnLine): the holder brings it to the
    school office and signs it there; the office's record names its reference."""

    school_id: str
    school_name: str
    surname: str
    name: str
    codice_fiscale: str
    user_code: str
    issued_at: int  # when the password was set

    @classmethod
    def of(
        cls, school_id: str, school_name: str, holder: Person | Flow, user_code: str, at: int
    ) -> AdhesionForm:
        """The form of the holder (a person, or the flow that activates one)."""
        return cls(
            school_id=school_id,
            school_name=school_name,
            surname=holder.surname,
            name=holder.name,
            codice_fiscale=holder.codice_fiscale,
            user_code=user_code,
            issued_at=at,
        )

    @property
    def reference(self) -> str:
        # Derived, never stored: the user code is unique, the school makes it readable.
        return form_reference(self.school_id, self.user_code)


@dataclass(frozen=True)
class PasswordSet:
    """What setting the first or a new password answers: the user code, the
    account's status, and the adhesion form the holder brings to the school
    office when the account waits for in-person identification."""

    user_code: str
    status: AccountStatus
    adhesion_form: AdhesionForm | None = None
    # Set from the sign-in page (a register's request): the register, with its code, and the
    # browser's session there.
    redirect: str | None = None
    session_cookie: str | None = None


def form_reference(school_id: str, user_code: str) -> str:
    """The reference printed on an account's adhesion form."""
    return f"ADE-{school_id}-{user_code}"


@dataclass(frozen=True)
class Credentials:
    """The secrets' hashes of an account (on its person item): never logged,
    never returned."""

    password_hash: str | None = None
    # Hashes of earlier passwords, newest first (change-password refuses them).
    password_history: tuple[str, ...] = ()
    pin: StoredPin | None = None
    pin_failures: int = 0
    must_change_password: bool = False
    # A temporary code the school issued, until it is redeemed or expires.
    temporary_code_hash: str | None = None
    temporary_code_expires_at: int = 0
    # When the account first got a password: of several accounts sharing one
    # e-mail, the first activated is the one that e-mail logs in.
    activated_at: int | None = None

    def temporary_code(self, now: float) -> str | None:
        """The live temporary code's hash, if any."""
        return self.temporary_code_hash if now < self.temporary_code_expires_at else None


@dataclass(frozen=True)
class StoredPin:
    """What is kept of a PIN: argon2id over its HMAC under a pepper version."""

    hash: str
    pepper_version: str


# A lock never lasts longer than this, however often it doubled (SPEC §5).
MAX_LOCK_S = 24 * 3600


@dataclass(frozen=True)
class LoginState:
    """Wrong passwords given for one login identifier (a user code or an
    e-mail) at a school, whether or not an account has it (SPEC §5, NIST SP
    800-63B). `failures` reaching the policy's maximum locks it from the last
    failure for `login_lock_s`, doubled for each lock served before (`locks`),
    up to 24 h. The lock is derived, never stored: nothing can leave it on."""

    failures: int = 0
    last_failure_at: int = 0
    locks: int = 0
    # The lock (its last failure's time) whose holder was told: a lock whose
    # notice was lost (a fault after the attempt) is told by the next attempt.
    noticed_at: int = 0

    def notice_owed(self, policy: Policy, now: float) -> bool:
        return self.retry_after(policy, now) is not None and self.noticed_at != self.last_failure_at

    def lock_s(self, policy: Policy) -> int:
        return min(policy.login_lock_s * (1 << min(self.locks, 17)), MAX_LOCK_S)

    def locked_until(self, policy: Policy) -> int | None:
        if self.failures < policy.login_max_failures:
            return None
        return self.last_failure_at + self.lock_s(policy)

    def retry_after(self, policy: Policy, now: float) -> int | None:
        """Seconds the lock has left; None when not locked."""
        until = self.locked_until(policy)
        if until is None or now >= until:
            return None
        return max(1, int(until - now))

    def lock_served(self, policy: Policy, now: float) -> bool:
        """A full series whose lock is over: the next failure starts a new one."""
        until = self.locked_until(policy)
        return until is not None and now >= until


@dataclass(frozen=True)
class OtpTerms:
    """The school's SMS rules (SPEC §5) when a link was issued: send-otp and
    verify-otp read the flow alone."""

    length: int
    lifetime_s: int
    max_attempts: int
    max_sends: int
    resend_cooldown_s: int
    per_number_per_day: int
    per_school_per_day: int
    allowed_prefixes: tuple[str, ...]
    requests_per_ip_per_hour: int
    # For the SMS's last line, `@{host} #{code}`, which browsers fill in (WebOTP).
    portal_host: str

    @classmethod
    def of(cls, policy: Policy, portal_host: str) -> OtpTerms:
        terms = {term: getattr(policy, key) for term, key in _OTP_TERMS_OF_POLICY.items()}
        return cls(**terms, allowed_prefixes=tuple(policy.sms_allowed_prefixes), portal_host=portal_host)


# Each term of a flow's SMS codes, and the policy key it is fixed from.
_OTP_TERMS_OF_POLICY = {
    "length": "otp_length",
    "lifetime_s": "otp_lifetime_s",
    "max_attempts": "otp_max_attempts",
    "max_sends": "otp_max_sends_per_flow",
    "resend_cooldown_s": "otp_resend_cooldown_s",
    "per_number_per_day": "sms_per_number_per_day",
    "per_school_per_day": "sms_per_school_per_day",
    "requests_per_ip_per_hour": "requests_per_ip_per_hour",
}


@dataclass(frozen=True)
class Challenge:
    """The SMS code of a flow (one at a time: a resend replaces it). Only the
    code's keyed hash is stored (chiave.credentials.pepper)."""

    code_hash: str
    pepper_version: str
    issued_at: int
    expires_at: int
    sends: int  # every code sent for this flow
    failures: int  # wrong codes against this code (a resend keeps them)
    used_at: int | None = None

    def locked(self, terms: OtpTerms) -> bool:
        return self.failures >= terms.max_attempts


@dataclass(frozen=True)
class Flow:
    """What an e-mailed link stands for. The terms a confirm needs (password
    profile, OTP requirement, language, recipient) are fixed when the link is
    issued, so confirming reads one item."""

    token_sha256: str
    purpose: Purpose
    school_id: str
    school_name: str
    reply_to: str
    codice_fiscale: str
    surname: str
    name: str
    email: str
    user_code: str | None
    account_status: AccountStatus
    credential_epoch: int
    created_at: int
    expires_at: int
    otp_required: bool
    password_profile: PasswordProfile
    language: Language
    in_person_identification: bool
    otp_verified: bool = False
    # The mobile on file (E.164) and the SMS rules, when the link was issued.
    mobile: str | None = None
    otp_terms: OtpTerms | None = None
    used_at: int | None = None
    # The account's authenticator app when the flow was opened (encrypted):
    # its codes replace the SMS. For a TOTP enrolment, the app being enrolled.
    totp_sealed: str | None = None
    # Wrong app codes given for this flow (SMS codes count on their challenge).
    otp_failures: int = 0
    # When the expiry sweep e-mailed a reminder of this link (or, for a
    # reminder's own fresh link, when it was sent): one reminder per link.
    reminded_at: int | None = None
    # How long the audit items of what the flow does are kept.
    audit_retention_days: int = DEFAULT_AUDIT_RETENTION_DAYS
    # The answer its confirmation gave, kept for a client that lost it.
    completed_user_code: str | None = None
    completed_status: str | None = None
    # The digest of the key the confirming page sent with it: only a request
    # with that key is the same confirmation sent again.
    completed_key: str | None = None
    # A reset asked from the sign-in page: the SHA-256 of the register's request,
    # answered when the new password is set (the parent goes back to the register).
    answers_request: str | None = None
    # A change made without a second factor (CHANGE_BY_EMAIL): what it
    # changes, the school's cool-off when it was asked, and once confirmed,
    # from when it may be completed.
    change_kind: ChangeKind | None = None
    change_to: str | None = None
    cool_off_s: int | None = None
    usable_from: int | None = None
    # The school's register, where the last screen sends the parent on.
    register_url: str | None = None

    def is_expired(self, now: float) -> bool:
        return now >= self.expires_at

    @property
    def otp_by_app(self) -> bool:
        """Its one-time codes come from the account's authenticator app, not
        by SMS (a new number is always proved by SMS to it)."""
        return (
            self.totp_sealed is not None
            and self.purpose is not Purpose.TOTP_ENROLMENT
            and self.purpose is not Purpose.MOBILE_VERIFICATION
        )


def resend_after(challenge: Challenge | None, terms: OtpTerms, now: float) -> int:
    """Seconds until another code may be sent (0: now)."""
    if challenge is None:
        return 0
    return max(0, int(challenge.issued_at + terms.resend_cooldown_s - now))


def can_send_in(flow: Flow, challenge: Challenge | None, now: float) -> int | None:
    """What a page shows: seconds until a code can be sent (0: now), None
    when none can (no code needed, already verified, every send used)."""
    terms = flow.otp_terms
    if terms is None or not flow.otp_required or flow.otp_verified or flow.mobile is None or flow.otp_by_app:
        return None
    if challenge is not None and challenge.sends >= terms.max_sends:
        return None
    return resend_after(challenge, terms, now)
