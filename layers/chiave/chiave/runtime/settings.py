"""The environment template.yaml gives each function, as a pydantic model."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(alias="TABLE_NAME")
    outbox_queue_url: str = Field("", alias="OUTBOX_QUEUE_URL")
    # Back-channel logouts, queued before the commit that ends a session.
    logout_queue_url: str = Field("", alias="LOGOUT_QUEUE_URL")
    ses_configuration_set: str = Field("", alias="SES_CONFIGURATION_SET")
    sender_address: str = Field("", alias="SENDER_ADDRESS")
    # The KMS key that seals link tokens in the outbox (chiave.credentials.tokens).
    outbox_key_id: str = Field("", alias="OUTBOX_KEY_ID")
    # The KMS key that encrypts authenticator apps' secrets (chiave.credentials.totp).
    totp_key_id: str = Field("", alias="TOTP_KEY_ID")
    # One limit per client address for the whole deployment, across schools.
    requests_per_ip_per_hour: int = Field(1000, alias="REQUESTS_PER_IP_PER_HOUR")
    # The Secrets Manager secret holding the pepper (chiave.credentials.pepper).
    pepper_secret_id: str = Field("", alias="PEPPER_SECRET_ID")
    # SMS sender name (alphanumeric, registered with AGCOM in Italy) and origination number.
    sms_sender_id: str = Field("", alias="SMS_SENDER_ID")
    sms_origination_number: str = Field("", alias="SMS_ORIGINATION_NUMBER")
    # The bulk lane (chiave.notify.pacing): SES's sending quota, and how many
    # senders share it (its queue's maximum concurrency); 0: not paced.
    ses_mails_per_second: float = Field(14, alias="SES_MAILS_PER_SECOND", gt=0)
    paced_senders: int = Field(0, alias="PACED_SENDERS", ge=0)
    # Where a bulk invitation's orders wait (chiave.jobs.invite).
    invitation_queue_url: str = Field("", alias="INVITATION_QUEUE_URL")
    # Where the school report's CSV is written (chiave.jobs.school_report).
    report_bucket: str = Field("", alias="REPORT_BUCKET")
    # Where the public list of schools is published (the pages' bucket; chiave.jobs.configure_school).
    portal_bucket: str = Field("", alias="PORTAL_BUCKET")
    # The sign-in's KMS keys: the one that signs ID tokens, and one published
    # beside it during a rotation (chiave.oidc.signing).
    signing_key_id: str = Field("", alias="SIGNING_KEY_ID")
    next_signing_key_id: str = Field("", alias="NEXT_SIGNING_KEY_ID")
    # The SPID/CIE federation (chiave.federation): the superior of the
    # deployment's intermediate, the keys its statements are signed with (and
    # the next, published first), and the keys the schools' leaves use as
    # relying parties: signing (request objects, private_key_jwt), encryption (userinfo).
    trust_anchor: str = Field("", alias="TRUST_ANCHOR")
    federation_key_id: str = Field("", alias="FEDERATION_KEY_ID")
    next_federation_key_id: str = Field("", alias="NEXT_FEDERATION_KEY_ID")
    relying_party_key_id: str = Field("", alias="RELYING_PARTY_KEY_ID")
    relying_party_encryption_key_id: str = Field("", alias="RELYING_PARTY_ENCRYPTION_KEY_ID")
    # The trust anchor's public keys, pinned (a JWK Set, as its operator publishes
    # them), and the trust mark types that make a provider a SPID or a CIE one
    # (a JSON object: {"spid": [types], "cie": [types]}). Public values, not secrets.
    trust_anchor_jwks: str = Field("", alias="TRUST_ANCHOR_JWKS")
    # The intermediate's own trust marks, as the anchor issued them (a JSON list of
    # {"trust_mark_type", "trust_mark"}); public, published in its Entity Configuration.
    intermediate_trust_marks: str = Field("", alias="INTERMEDIATE_TRUST_MARKS")
    provider_trust_marks: str = Field("", alias="PROVIDER_TRUST_MARKS")
    # The secret the pairwise `sub` is derived under (chiave.credentials.subjects).
    subject_secret_id: str = Field("", alias="SUBJECT_SECRET_ID")


def settings() -> Settings:
    # Read on every call (microseconds): the local stack runs several
    # functions, each with its own environment, in one process.
    return Settings.model_validate(dict(os.environ))


def portal_url() -> str:
    """The one origin (CloudFront): the pages, the API and the sign-in's
    issuer; a school's default portal. Read apart from Settings: a handler
    may need it where nothing else of the environment is."""
    return os.environ.get("PORTAL_URL", "")
