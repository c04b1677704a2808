"""Every key of the single table is built here, and nowhere else.

Item types (see template.yaml):
  school        PK=SCHOOL#{school}          SK=SCHOOL
  person        PK=SCHOOL#{school}          SK=PERSON#{codice fiscale}  as issued; anagrafica row + account
  user code     PK=USERCODE#{code}          SK=USERCODE                 uniqueness, never deleted
  flow          PK=FLOW#{sha256(token)}     SK=FLOW                     an e-mailed link
  cover         PK=COVER#{sha256(token)}    SK=FLOW                     what a request for nobody
                                                                        writes instead of a flow
  commit        PK=COMMIT#{commit id}       SK=COMMIT                   receipt: the transaction a
                                                                        queued message announces landed
  rate counter  PK=RATE#{scope}#{subject}   SK=WINDOW#{window start}    fixed-window counter
  login         PK=LOGIN#{school}#{hash}    SK=LOGIN                    failures and locks of one login
                                                                        identifier, known or not
  audit         PK=AUDIT#{school}#{hash}    SK=AT#{time}#{id}           what happened to one account, by
                                                                        whom (TTL: audit_retention_days)
  school audit  PK=AUDIT#{school}#SCHOOL    SK=AT#{time}#{id}           a school's configuration changes
  client        PK=OIDC#CLIENTS             SK=CLIENT#{client id}       a register's client of the sign-in
  client audit  PK=AUDIT#CLIENT#{client}    SK=AT#{time}#{id}           a client's registration changes
  authz request PK=AUTHZ#{sha256(id)}       SK=AUTHZ                    a register's request, while the
                                                                        person signs in (TTL)
  session       PK=SESSION#{sha256(cookie)} SK=SESSION                  a signed-in browser (TTL)
  code          PK=CODE#{sha256(code)}      SK=CODE                     an authorization code (TTL)
  access token  PK=TOKEN#{sha256(token)}    SK=TOKEN                    what userinfo answers (TTL)
  refresh token PK=REFRESH#{sha256(token)}  SK=REFRESH                  used once, rotated (TTL)
  token family  PK=FAMILY#{id}              SK=FAMILY                   a code's tokens and their heirs:
                                                                        revoked together (TTL)
  assertion     PK=JTI#{client}#{sha256}    SK=JTI                      a client assertion, used once (TTL)
  trust chain   PK=CHAIN#{sha256(entity)}   SK=CHAIN                    a federation provider's resolved
                                                                        chain, until its earliest expiry (TTL)
  provider sign-in PK=IDSTATE#{sha256(state)} SK=IDSTATE                 a sign-in sent to a SPID or
                                                                        CIE provider, until it comes back
                                                                        (once; TTL)
  provider list PK=CONFIG#providers         SK=CONFIG                   the federation's SPID and CIE
                                                                        providers, for the sign-in page (TTL)
  idempotency   PK=IDEMPOTENCY#{consumer}   SK={record key}             Powertools idempotency
  sweep cursor  PK=CONFIG#sweep             SK=CONFIG                   how far the expiry sweep went
  erased        PK=ERASED#{school}          SK={hash of cf}             a person erased on request
Indexes:
  ByUserCode      user_code                         person by user code
  ByEmail         email_key = {school}#{e-mail}     people by e-mail within a school
  ByExpiryBucket  expiry_bucket (hour), expires_at  short-lived items for the sweep
  ByAccount       account_ref = hash(school, cf)    an account's flows, sessions and token families
                                                    (erase, disable and revoke find them; keys only)
  BySchoolList    school_list = "schools", school_id  every school (the school items only)
"""

from __future__ import annotations

import hashlib
import time

Key = dict[str, str]

PARTITION = "PK"
SORT = "SK"
TTL_ATTRIBUTE = "delete_after"
BY_USER_CODE = "ByUserCode"
BY_EMAIL = "ByEmail"
BY_EXPIRY_BUCKET = "ByExpiryBucket"
BY_ACCOUNT = "ByAccount"
BY_SCHOOL_LIST = "BySchoolList"
# The one value of `school_list`: every school item is in the index, nothing else.
SCHOOL_LIST = "schools"
# Every person of a school shares the school's partition under this prefix.
PERSON_PREFIX = "PERSON#"


def school(school_id: str) -> Key:
    return {PARTITION: f"SCHOOL#{school_id}", SORT: "SCHOOL"}


def client(client_id: str) -> Key:
    return {PARTITION: "OIDC#CLIENTS", SORT: f"CLIENT#{client_id}"}


def client_audit(client_id: str, at: float, entry_id: str) -> Key:
    """A client's own trail: who registered or changed it, from what to what."""
    return {PARTITION: f"AUDIT#CLIENT#{client_id}", SORT: f"AT#{int(at * 1e6):017d}#{entry_id}"}


def authorization_request(id_sha256: str) -> Key:
    return {PARTITION: f"AUTHZ#{id_sha256}", SORT: "AUTHZ"}


def session(cookie_sha256: str) -> Key:
    return {PARTITION: f"SESSION#{cookie_sha256}", SORT: "SESSION"}


def authorization_code(code_sha256: str) -> Key:
    return {PARTITION: f"CODE#{code_sha256}", SORT: "CODE"}


def access_token(token_sha256: str) -> Key:
    return {PARTITION: f"TOKEN#{token_sha256}", SORT: "TOKEN"}


def refresh_token(token_sha256: str) -> Key:
    return {PARTITION: f"REFRESH#{token_sha256}", SORT: "REFRESH"}


def client_assertion(client_id: str, jti_sha256: str) -> Key:
    return {PARTITION: f"JTI#{client_id}#{jti_sha256}", SORT: "JTI"}


def trust_chain(entity_id: str) -> Key:
    return {PARTITION: f"CHAIN#{hashlib.sha256(entity_id.encode()).hexdigest()}", SORT: "CHAIN"}


def provider_sign_in(state_sha256: str) -> Key:
    return {PARTITION: f"IDSTATE#{state_sha256}", SORT: "IDSTATE"}


def provider_list() -> Key:
    return {PARTITION: "CONFIG#providers", SORT: "CONFIG"}


def is_session(key: Key) -> bool:
    return key[PARTITION].startswith("SESSION#")


def is_sign_in_grant(key: Key) -> bool:
    """A browser's session or a token family: what ends when the account does."""
    return key[PARTITION].startswith(("SESSION#", "FAMILY#"))


def token_family(family_id: str) -> Key:
    return {PARTITION: f"FAMILY#{family_id}", SORT: "FAMILY"}


def person(school_id: str, canonical_cf: str) -> Key:
    return {PARTITION: f"SCHOOL#{school_id}", SORT: f"{PERSON_PREFIX}{canonical_cf}"}


def user_code_reservation(user_code: str) -> Key:
    return {PARTITION: f"USERCODE#{user_code}", SORT: "USERCODE"}


def flow(token_sha256: str) -> Key:
    return {PARTITION: f"FLOW#{token_sha256}", SORT: "FLOW"}


def cover(token_sha256: str) -> Key:
    return {PARTITION: f"COVER#{token_sha256}", SORT: "FLOW"}


def sms_switch() -> Key:
    """The deployment's SMS switch (ops set `sms_enabled` false to stop every SMS)."""
    return {PARTITION: "CONFIG#sms", SORT: "CONFIG"}


def erased_partition(school_id: str) -> str:
    """The school's people erased on request, one item each."""
    return f"ERASED#{school_id}"


def erased(school_id: str, codice_fiscale: str) -> Key:
    """That a person of the school was erased on request (hashed: no PII in keys)."""
    digest = hashlib.sha256(codice_fiscale.encode("utf-8")).hexdigest()[:32]
    return {PARTITION: erased_partition(school_id), SORT: digest}


def sweep_cursor() -> Key:
    """How far the expiry sweep has gone (`swept_until`, epoch seconds)."""
    return {PARTITION: "CONFIG#sweep", SORT: "CONFIG"}


def expiry_buckets(start: float, end: float) -> list[str]:
    """The hours an item expiring in [start, end] may be filed under."""
    first, last = int(start) // 3600, int(end) // 3600
    return [expiry_bucket(hour * 3600) for hour in range(first, last + 1)]


def commit_receipt(commit_id: str) -> Key:
    return {PARTITION: f"COMMIT#{commit_id}", SORT: "COMMIT"}


def rate_counter(scope: str, subject: str, window_start: int) -> Key:
    # The subject (an identifier or an IP) is hashed: no PII in keys.
    digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return {PARTITION: f"RATE#{scope}#{digest}", SORT: f"WINDOW#{window_start}"}


def login(school_id: str, identifier: str) -> Key:
    """Failures of one login identifier (user code or e-mail) at a school,
    whether or not an account has it; hashed: no PII in keys."""
    digest = hashlib.sha256(identifier.casefold().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return {PARTITION: f"LOGIN#{school_id}#{digest}", SORT: "LOGIN"}


def account_login(school_id: str, codice_fiscale: str) -> Key:
    """Failures of one account's logins, whatever identifier named it (SPEC
    §6: one lockout per account); an item of the login kind, hashed alike."""
    return login(school_id, f"account|{codice_fiscale}")


def account_ref(school_id: str, codice_fiscale: str) -> str:
    """What an account's flows, sessions and token families are found by (hashed: no PII in an index key)."""
    return hashlib.sha256(f"{school_id}#{codice_fiscale}".encode()).hexdigest()[:32]


def audit_partition(school_id: str, codice_fiscale: str) -> str:
    """An account's audit trail, found by its codice fiscale (hashed: no PII in keys)."""
    digest = hashlib.sha256(codice_fiscale.encode("utf-8")).hexdigest()[:32]
    return f"AUDIT#{school_id}#{digest}"


def school_audit(school_id: str, at: float, entry_id: str) -> Key:
    """A school's own trail: who changed its configuration, from what to what."""
    return {PARTITION: f"AUDIT#{school_id}#SCHOOL", SORT: f"AT#{int(at * 1e6):017d}#{entry_id}"}


def audit(school_id: str, codice_fiscale: str, at: float, entry_id: str) -> Key:
    # Microseconds: entries of one account sort in the order they happened.
    return {
        PARTITION: audit_partition(school_id, codice_fiscale),
        SORT: f"AT#{int(at * 1e6):017d}#{entry_id}",
    }


def idempotency_partition(consumer: str) -> str:
    return f"IDEMPOTENCY#{consumer}"


def email_index_value(school_id: str, email: str) -> str:
    return f"{school_id}#{email.casefold()}"


def expiry_bucket(expires_at: float) -> str:
    """The hour an item expires in, so the sweep reads one partition per hour."""
    return time.strftime("%Y-%m-%dT%H", time.gmtime(expires_at))
