"""SMS codes: kept on their flow's item, so one read serves send-otp and
verify-otp; only the code's keyed hash is stored."""

from __future__ import annotations

from collections.abc import Sequence

from chiave.domain import Challenge, Flow
from chiave.errors import RateLimited, TokenUsed
from chiave.ratelimit import Counter
from chiave.store import accounts, keys
from chiave.store.conditions import CODE_ATTEMPTS_LEFT, LINK_STILL_OPEN, LINK_UNUSED
from chiave.store.table import (
    Item,
    Refused,
    commit,
    counted,
    refuse_if_over,
    table_name,
    to_dynamo,
    transact,
    update_if,
)


def challenge_from(item: Item) -> Challenge | None:
    if "otp_code_hash" not in item:
        return None
    return Challenge(
        code_hash=item["otp_code_hash"],
        pepper_version=item["otp_pepper_version"],
        issued_at=item["otp_issued_at"],
        expires_at=item["otp_expires_at"],
        sends=item["otp_sends"],
        failures=item.get("otp_failures", 0),
        used_at=item.get("otp_used_at"),
    )


def attributes(challenge: Challenge) -> Item:
    """A code's attributes on its flow's item (a flow opened with its first code)."""
    return {
        "otp_code_hash": challenge.code_hash,
        "otp_pepper_version": challenge.pepper_version,
        "otp_issued_at": challenge.issued_at,
        "otp_expires_at": challenge.expires_at,
        "otp_sends": challenge.sends,
        "otp_failures": challenge.failures,
    }


def send_code(
    flow: Flow,
    challenge: Challenge,
    expected_sends: int,
    counters: Sequence[Counter],
    commit_id: str,
    now: float,
) -> None:
    """Store the flow's new code (replacing any other) and count the SMS
    against every cap, atomically, with the queued message's receipt. A
    concurrent send of the same flow, or one past the flow's end, loses.

    Raises RateLimited for a cap, OtpNotNeeded when the flow moved on."""
    update = {
        "Update": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.flow(flow.token_sha256)),
            "UpdateExpression": "SET otp_code_hash = :hash, otp_pepper_version = :version, "
            "otp_issued_at = :now, otp_expires_at = :expires, otp_sends = :sends, otp_failures = :failures "
            "REMOVE otp_used_at",
            "ConditionExpression": f"{LINK_UNUSED} AND otp_verified = :false AND "
            "(otp_sends = :expected OR (attribute_not_exists(otp_sends) AND :expected = :zero))",
            "ExpressionAttributeValues": to_dynamo(
                {
                    ":hash": challenge.code_hash,
                    ":version": challenge.pepper_version,
                    ":now": challenge.issued_at,
                    ":expires": challenge.expires_at,
                    ":sends": challenge.sends,
                    ":failures": challenge.failures,
                    ":false": False,
                    ":expected": expected_sends,
                    ":zero": 0,
                }
            ),
        }
    }
    # A password set since the link was issued has killed it: no SMS for a dead link.
    still_live = {
        "ConditionCheck": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.person(flow.school_id, flow.codice_fiscale)),
            "ConditionExpression": "credential_epoch = :epoch",
            "ExpressionAttributeValues": to_dynamo({":epoch": flow.credential_epoch}),
        }
    }
    try:
        commit({"code": update, "epoch": still_live, **counted(counters)}, commit_id, now)
    except Refused as refused:
        refuse_if_over(counters, refused, now)
        if "epoch" in refused:
            raise TokenUsed() from None
        if "code" in refused:
            # Another send of this flow won the race, or the flow was used or verified meanwhile.
            cooldown = flow.otp_terms.resend_cooldown_s if flow.otp_terms else 1
            raise RateLimited(retry_after=max(1, cooldown)) from None
        raise


def count_code_failure(flow: Flow, challenge: Challenge, max_attempts: int) -> int | None:
    """One more wrong code against this code, never past `max_attempts`;
    the new count, or None when the code changed, was used or is locked."""
    return _add_failure(
        flow,
        "otp_code_hash = :hash AND otp_failures < :max AND attribute_not_exists(otp_used_at)",
        {":hash": challenge.code_hash, ":max": max_attempts},
    )


def _add_failure(flow: Flow, condition: str, values: Item) -> int | None:
    """Count one wrong code on the flow's item while `condition` holds; the new count, or None."""
    answer = update_if(
        TableName=table_name(),
        Key=to_dynamo(keys.flow(flow.token_sha256)),
        UpdateExpression="ADD otp_failures :one",
        ConditionExpression=condition,
        ExpressionAttributeValues=to_dynamo({":one": 1, **values}),
        ReturnValues="UPDATED_NEW",
    )
    return None if answer is None else int(answer["Attributes"]["otp_failures"]["N"])


def mark_verified(flow: Flow, challenge: Challenge, max_attempts: int, now: int) -> bool:
    """Burn the code and mark the flow verified, if the code is still the
    flow's, unused, unlocked and alive, and the flow unused: at most one
    verification ever succeeds. False when it lost."""
    answer = update_if(
        TableName=table_name(),
        Key=to_dynamo(keys.flow(flow.token_sha256)),
        UpdateExpression="SET otp_used_at = :now, otp_verified = :true",
        ConditionExpression="otp_code_hash = :hash AND otp_failures < :max "
        "AND attribute_not_exists(otp_used_at) AND otp_expires_at > :now "
        "AND attribute_not_exists(used_at)",
        ExpressionAttributeValues=to_dynamo(
            {":now": now, ":true": True, ":hash": challenge.code_hash, ":max": max_attempts}
        ),
    )
    return answer is not None


# ---- codes from an authenticator app (chiave.credentials.totp) --------------------------


def count_app_code_failure(flow: Flow, max_attempts: int) -> int | None:
    """One more wrong app code against this flow, never past `max_attempts`;
    the new count, or None when the flow was used or is locked meanwhile."""
    return _add_failure(
        flow,
        f"{LINK_UNUSED} AND {CODE_ATTEMPTS_LEFT}",
        {":max": max_attempts},
    )


def mark_verified_by_app(flow: Flow, step: int, max_attempts: int, now: int) -> str:
    """Mark the flow verified by the app's code of `step`, and take that step
    on the account so it is never accepted again, atomically. "verified";
    "replayed" when the account already used that step (or a later one) or
    its app changed; "lost" when the flow moved on (used, locked, verified,
    expired)."""
    verify = {
        "Update": {
            "TableName": table_name(),
            "Key": to_dynamo(keys.flow(flow.token_sha256)),
            "UpdateExpression": "SET otp_verified = :true",
            "ConditionExpression": f"{LINK_STILL_OPEN} AND otp_verified = :false AND {CODE_ATTEMPTS_LEFT}",
            "ExpressionAttributeValues": to_dynamo(
                {":true": True, ":false": False, ":now": now, ":max": max_attempts}
            ),
        }
    }
    try:
        transact({"link": verify, "app step": accounts.use_totp_step(flow, step)})
    except Refused as refused:
        if "link" in refused:
            return "lost"
        if "app step" in refused:
            return "replayed"
        raise
    return "verified"
