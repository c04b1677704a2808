"""Domain errors: each carries the stable `code` of SPEC §3 and the facts
its problem document shows. The API maps them to problem+json in one place."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"

    def __init__(self, **facts: Any) -> None:
        super().__init__(self.code)
        self.facts = facts


class InvalidCodiceFiscale(DomainError):
    code = "invalid_codice_fiscale"


class InvalidUserCode(DomainError):
    code = "invalid_user_code"


class SchoolNotFound(DomainError):
    code = "school_not_found"


class SchoolClosed(DomainError):
    """The school's service was disabled by the deployment's operator."""

    code = "school_closed"


class ConfigurationConflict(DomainError):
    """Someone changed the school since this action read it: read it again."""

    code = "configuration_conflict"


class InvalidSchoolConfiguration(DomainError):
    """facts: problems, each field and what is wrong with it."""

    code = "invalid_school_configuration"


class ClientNotFound(DomainError):
    """No register's client of the sign-in has this id."""

    code = "client_not_found"


class InvalidClientConfiguration(DomainError):
    """facts: problems, each field and what is wrong with it."""

    code = "invalid_client_configuration"


class SignInExpired(DomainError):
    """The register's authorization request is gone (answered, or older than ten minutes)."""

    code = "sign_in_expired"


class AppMissing(DomainError):
    """Removing an authenticator app from an account that has none."""

    code = "app_missing"


class NotSignedIn(DomainError):
    """The account area without a live session (never signed in here, signed out, ended)."""

    code = "not_signed_in"


class FreshSignInRequired(DomainError):
    """A sensitive change in the account area, longer after the sign-in than it allows.
    facts: max_age, the seconds it allows."""

    code = "fresh_sign_in_required"


class SchoolNotServed(DomainError):
    """The register signing the person in does not serve this school."""

    code = "school_not_served"


class PasswordsNotOffered(DomainError):
    """The school signs people in to its registers with SPID or CIE only (SPEC §5)."""

    code = "passwords_not_offered"


class StudentNotAdmitted(DomainError):
    """A student of a primo-ciclo school: only parents and guardians enter its registers (SPEC §5)."""

    code = "student_primo_ciclo"


class FormReferenceMismatch(DomainError):
    """The adhesion form's reference the office read is not this account's."""

    code = "form_reference_mismatch"


class PersonNotFound(DomainError):
    code = "person_not_found"


class AlreadyRegistered(DomainError):
    code = "already_registered"


class EmailMissing(DomainError):
    code = "email_missing"


class AccountNotFound(DomainError):
    code = "account_not_found"


class TokenInvalid(DomainError):
    code = "token_invalid"


class TokenExpired(DomainError):
    code = "token_expired"


class TokenUsed(DomainError):
    code = "token_used"


class TokenSuperseded(DomainError):
    """The link's account changed since it was opened (another contact change,
    a new password): the link no longer applies."""

    code = "token_superseded"


class OtpRequired(DomainError):
    """The flow needs a verified SMS code first. For a PIN, facts carry the
    short-lived flow's token (in the body, never in a URL), its lifetime and
    where the code will go."""

    code = "otp_required"


class EmailConfirmationRequired(DomainError):
    """A change asked for with the password alone by an account whose only
    contact is its e-mail: a link went to that address (facts: email_hint,
    cool_off_s, how long the change then waits)."""

    code = "email_confirmation_required"


class ChangeCoolingOff(DomainError):
    """A scheduled change before its cool-off ends (facts: usable_from, retry_after)."""

    code = "change_cooling_off"


class OtpInvalid(DomainError):
    """facts: attempts_left."""

    code = "otp_invalid"


class OtpLocked(DomainError):
    """Every attempt of the challenge failed: a new code is needed."""

    code = "otp_locked"


class OtpExpired(DomainError):
    """The code's lifetime passed, or it was used, or replaced by a newer one."""

    code = "otp_expired"


class OtpNotNeeded(DomainError):
    """The flow asks for no code, or its phone is already verified."""

    code = "otp_not_needed"


class MobileMissing(DomainError):
    code = "mobile_missing"


class MobileNotAllowed(DomainError):
    """Not a mobile in E.164, or outside the school's allowed prefixes."""

    code = "mobile_not_allowed"


class SmsUnavailable(DomainError):
    """Ops switched SMS off for the whole deployment. facts: retry_after."""

    code = "sms_unavailable"


class RateLimited(DomainError):
    """facts: retry_after (seconds)."""

    code = "rate_limited"


class WeakPassword(DomainError):
    """facts: rules (names of the failed rules), profile."""

    code = "weak_password"


class AccountUnavailable(DomainError):
    """The account was disabled by ops while a link was open."""

    code = "account_unavailable"


class RecipientCapped(DomainError):
    """The recipient got as many link e-mails this hour as the policy allows.
    Told only in explicit disclosure (as rate_limited); in private disclosure
    the answer stays the usual 202. facts: retry_after (seconds)."""

    code = "rate_limited"


class InvalidLogin(DomainError):
    """Neither a user code nor an e-mail address."""

    code = "invalid_login"


class InvalidCredentials(DomainError):
    """A wrong password, or a login nobody has: told apart by nothing."""

    code = "invalid_credentials"


class AccountLocked(DomainError):
    """Too many wrong passwords for this login. facts: retry_after (seconds)."""

    code = "account_locked"


class PinInvalid(DomainError):
    code = "pin_invalid"


class PinLocked(DomainError):
    """`pin_max_attempts` wrong PINs: locked until a new PIN is issued."""

    code = "pin_locked"


class StudentTooYoung(DomainError):
    """A student under the school's `student_min_age` (explicit disclosure only)."""

    code = "student_too_young"


class ContactUnchanged(DomainError):
    """The new e-mail or mobile is the one already on the account."""

    code = "contact_unchanged"


class OtpByApp(DomainError):
    """The account uses an authenticator app: no SMS is sent for its flows."""

    code = "otp_by_app"
