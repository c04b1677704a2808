"""Bulk invitation (the invite console function → the invitation queue →
the invitations function → the bulk outbox → the paced bulk notify): each
person without an account is mailed once, the others are counted with
their reason, resets keep their own lane, and the lane keeps its pace."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any

import pytest

from chiave.domain import AccountStatus, Person, Role
from chiave.notify import pacing
from chiave.store import keys, people
from chiave.store.table import table_name, to_dynamo
from chiave_local.demo import sent
from chiave_local.emulator import template as tpl
from chiave_local.emulator.calls import failing
from chiave_local.emulator.events import load_event
from tests.integration.conftest import REGION
from tests.integration.helpers import SCHOOL, activate, confirm, request_reset, token_in, unknown_codes

MARIA, LUCA, GIULIA = "RSSMRA82C52H501K", "BNCLCU79S05F205Y", "VRDGLI85L61H501C"
INVITATION_SUBJECT = "Invito ad attivare le credenziali del registro elettronico"


def invite(stack, **fields: Any) -> dict[str, Any]:
    """The invite function's answer to the sample event with `fields` changed (None: removed)."""
    event = {**load_event("invite"), **fields}
    answer: dict[str, Any] = stack.functions.invoke(
        "InviteFunction", {name: value for name, value in event.items() if value is not None}
    )
    return answer


def run_invitations(stack) -> list[dict[str, Any]]:
    """The queued orders handled, the bulk lane delivered: every invitation mailed so far."""
    stack.drain("InvitationsFunction", "InvitationQueue")
    stack.drain("BulkNotifyFunction", "BulkOutboxQueue")
    return invitations(stack)


def invitations(stack) -> list[dict[str, Any]]:
    return [mail for mail in sent.outbox(REGION)["emails"] if mail["subject"] == INVITATION_SUBJECT]


def add_parents(stack, count: int, **fields: Any) -> list[str]:
    """`count` new parents of the school, each with an address of their own."""
    codes = unknown_codes(count)
    with stack.env():
        people.put_people(
            Person(
                school_id=SCHOOL,
                codice_fiscale=cf,
                surname="Genitore",
                name=f"N{number}",
                role=Role.GENITORE,
                email=f"genitore{number}@example.it",
                **fields,
            )
            for number, cf in enumerate(codes)
        )
    return codes


def test_everyone_without_an_account_is_invited_once_and_the_rest_are_counted_with_their_reason(
    stack,
):
    # Given the school's parents: Maria active, Luca pending, Giulia without e-mail,
    # one disabled, one whose address bounced
    activate(stack, load_event, MARIA)
    [disabled] = add_parents(stack, 1, status=AccountStatus.DISABLED)
    bounced_address = "genitore0@example.it"
    with stack.env():
        people.put_people(
            [Person(SCHOOL, unknown_codes(2)[1], "Rimbalzo", "Rita", Role.GENITORE, email=bounced_address)]
        )
    bounce = load_event("bounces")
    message = json.loads(bounce["Records"][0]["Sns"]["Message"])
    message["bounce"]["bouncedRecipients"][0]["emailAddress"] = bounced_address
    bounce["Records"][0]["Sns"]["Message"] = json.dumps(message)
    stack.functions.invoke("BouncesFunction", bounce)
    # When ops invites the parents
    answer = invite(stack)
    # Then Luca is invited, and the others are counted with their reason
    assert answer["ok"] is True, answer
    assert (answer["matched"], answer["invited"], answer["skipped"]) == (5, 1, 4)
    assert answer["skipped_by_reason"] == {
        "already_active": 1,
        "disabled": 1,
        "no_email": 1,
        "undeliverable": 1,
    }
    # And once the lane has run, Luca has one invitation, with a link that activates
    mails = run_invitations(stack)
    assert [mail["to"] for mail in mails] == ["luca.bianchi@example.it"]
    activated = confirm(stack, load_event, token_in(mails[0]))
    assert activated.status == 200 and activated.body["user_code"]
    # And the disabled parent was never touched
    assert disabled not in json.dumps(mails)


def test_inviting_twice_mails_each_person_once(stack):
    # Given the parents invited once
    first = invite(stack)
    assert first["invited"] == 2  # Maria and Luca; Giulia has no e-mail
    run_invitations(stack)
    # When ops runs the same invitation again (before and after the lane ran)
    second = invite(stack)
    mails = run_invitations(stack)
    # Then nobody is invited again, and each was mailed once
    assert (second["invited"], second["skipped_by_reason"]["already_invited"]) == (0, 2)
    assert Counter(mail["to"] for mail in mails) == {
        "maria.rossi@example.it": 1,
        "luca.bianchi@example.it": 1,
    }


def test_an_order_handed_out_twice_mails_once(stack):
    # Given the sample order (Maria and Luca), handed to the function twice
    first = stack.functions.invoke("InvitationsFunction", load_event("invitations"))
    second = stack.functions.invoke("InvitationsFunction", load_event("invitations"))
    stack.drain("BulkNotifyFunction", "BulkOutboxQueue")
    # Then each parent got one invitation
    assert first == second == {"batchItemFailures": []}
    assert sorted(mail["to"] for mail in invitations(stack)) == [
        "luca.bianchi@example.it",
        "maria.rossi@example.it",
    ]


def test_an_invitation_by_class_invites_only_that_class(stack):
    # Given parents of 1A and of 2B
    in_1a = add_parents(stack, 3, classe="1A")
    # When ops invites class 1a (case ignored)
    answer = invite(stack, classe="1a")
    # Then only 1A's parents are invited
    assert (answer["matched"], answer["invited"]) == (3, 3)
    assert len(run_invitations(stack)) == len(in_1a)


def test_a_student_too_young_is_not_invited(stack):
    # Given a student born 2016 (under the school's minimum age)
    with stack.env():
        people.put_people(
            [Person(SCHOOL, "BNCLRD16A01H501P", "Bianchi", "Leonardo", Role.STUDENTE, email="leo@example.it")]
        )
    answer = invite(stack, role="studente")
    assert answer["skipped_by_reason"] == {"too_young": 1}


def test_a_reset_never_waits_behind_the_invitations(stack):
    # Given 60 invitations waiting on the bulk lane
    add_parents(stack, 58)
    assert invite(stack)["invited"] == 60
    stack.drain("InvitationsFunction", "InvitationQueue")
    assert stack.queued("BulkOutboxQueue") == 60 and stack.queued("OutboxQueue") == 0
    # When Maria asks for a reset
    activate(stack, load_event, MARIA)
    assert request_reset(stack, load_event, MARIA).status == 202
    # Then her mail goes out on its own lane, with every invitation still waiting
    mails = stack.deliver()
    assert mails[-1]["subject"].startswith("Ripristino") and mails[-1]["to"] == "maria.rossi@example.it"
    assert stack.queued("BulkOutboxQueue") == 60


def test_the_bulk_lane_never_sends_more_than_its_share_of_the_quota(stack, monkeypatch):
    # Given a virtual clock (each SES call takes 10 ms) and 30 invitations queued
    now = [1000.0]
    monkeypatch.setattr(pacing, "clock", lambda: now[0])
    monkeypatch.setattr(pacing, "sleep", lambda seconds: now.__setitem__(0, now[0] + seconds))
    from chiave.notify import delivery  # imported by the stack, in its environment

    sends: list[float] = []
    original = delivery.sesv2

    def timed_ses() -> Any:
        client = original()

        class Timed:
            def send_email(self, **request: Any) -> Any:
                sends.append(now[0])
                now[0] += 0.01
                return client.send_email(**request)

        return Timed()

    monkeypatch.setattr(delivery, "sesv2", timed_ses)
    add_parents(stack, 28)
    invite(stack)
    stack.drain("InvitationsFunction", "InvitationQueue")
    # When the bulk notify delivers them
    stack.drain("BulkNotifyFunction", "BulkOutboxQueue")
    # Then in no second did one sender send more than its share
    spec = tpl.functions()["BulkNotifyFunction"]
    quota, senders = float(tpl.parameter_defaults()["SesMailsPerSecond"]), spec.queue_concurrency
    share = pacing.per_sender(quota, senders)
    assert len(sends) == 30
    assert max(sum(1 for t in sends if start <= t < start + 1) for start in sends) <= share
    # And its senders together stay within the quota's bulk share
    assert senders * share <= quota * pacing.BULK_SHARE
    assert int(spec.environment["PACED_SENDERS"]) == senders


@pytest.mark.parametrize("quota", [3, 5, 14, 50, 200])
def test_the_pace_fits_the_quota_at_any_size(quota):
    senders = tpl.functions()["BulkNotifyFunction"].queue_concurrency
    assert 1 <= senders * pacing.per_sender(quota, senders) <= quota * pacing.BULK_SHARE


def test_resets_are_not_paced(stack):
    notify = tpl.functions()["NotifyFunction"]
    assert "PACED_SENDERS" not in notify.environment


@pytest.mark.parametrize("operation", ["Query", "SendMessageBatch", "GetItem"])
def test_a_fault_in_the_console_action_is_a_clear_error_and_running_it_again_invites_once(stack, operation):
    # Given an AWS fault during the invitation
    with stack.env("InviteFunction"), failing("throttling", operation=operation):
        answer = invite(stack)
    assert answer["ok"] is False and answer["error"]["code"] == "service_unavailable"
    # When ops runs it again, Then each parent is mailed once
    invite(stack)
    assert Counter(mail["to"] for mail in run_invitations(stack)) == {
        "maria.rossi@example.it": 1,
        "luca.bianchi@example.it": 1,
    }


@pytest.mark.parametrize(
    "operation", ["GetItem", "BatchGetItem", "GenerateDataKey", "SendMessageBatch", "TransactWriteItems"]
)
def test_a_fault_in_an_order_is_retried_and_invites_once(stack, operation):
    # Given an order that meets an AWS fault the first time
    invite(stack)
    with failing("throttling", operation=operation):
        stack.drain("InvitationsFunction", "InvitationQueue")
    # When the queue hands it out again
    stack.release_failed("InvitationsFunction", "InvitationQueue")
    mails = run_invitations(stack)
    # Then each parent got exactly one invitation
    assert Counter(mail["to"] for mail in mails) == {
        "maria.rossi@example.it": 1,
        "luca.bianchi@example.it": 1,
    }


def test_bad_console_events_are_clear_errors(stack):
    for fields in ({"role": "nonno"}, {"school": "XX"}, {"reason": ""}, {"operator": None}):
        answer = invite(stack, **fields)
        assert answer["ok"] is False and answer["error"]["code"] == "validation_error", fields
    unknown = invite(stack, school="ZZIC000000")
    assert unknown["error"]["code"] == "school_not_found"


# ---- the school report: the funnel and the call list ---------------------------------


def school_report(stack, **fields: Any) -> dict[str, Any]:
    event = {**load_event("school_report"), **fields}
    answer: dict[str, Any] = stack.functions.invoke(
        "SchoolReportFunction", {name: value for name, value in event.items() if value is not None}
    )
    return answer


def invited_days_ago(stack, codici_fiscali: list[str], days: int) -> None:
    """As if these people's invitations had been sent `days` ago."""
    client = stack.deployment.client("dynamodb")
    with stack.env():
        for cf in codici_fiscali:
            client.update_item(
                TableName=table_name(),
                Key=to_dynamo(keys.person(SCHOOL, cf)),
                UpdateExpression="SET invited_at = invited_at - :shift",
                ExpressionAttributeValues={":shift": {"N": str(days * 86_400)}},
            )


def test_the_report_follows_each_parent_from_invited_to_activated_or_expired(stack):
    # Given three invited parents: Maria's invitation delivered and used, Luca's
    # left unused past its expiry, a third whose address bounced; Giulia without e-mail
    [third] = add_parents(stack, 1)
    invite(stack)
    mails = run_invitations(stack)
    stack.functions.invoke("BouncesFunction", load_event("bounces_delivery"))
    maria_mail = next(mail for mail in mails if mail["to"] == "maria.rossi@example.it")
    assert confirm(stack, load_event, token_in(maria_mail)).status == 200
    bounce = load_event("bounces")
    message = json.loads(bounce["Records"][0]["Sns"]["Message"])
    message["bounce"]["bouncedRecipients"][0]["emailAddress"] = "genitore0@example.it"
    bounce["Records"][0]["Sns"]["Message"] = json.dumps(message)
    stack.functions.invoke("BouncesFunction", bounce)
    # When ops asks for the report four days later (links live three)
    invited_days_ago(stack, [MARIA, LUCA, third], 4)
    answer = school_report(stack)
    # Then the funnel counts each stage
    assert answer["ok"] is True, answer
    assert answer["funnel"] == {"invited": 3, "delivered": 1, "bounced": 1, "activated": 1, "expired": 2}
    # And the call list names whom e-mail cannot reach, with why
    reasons = {row["codice_fiscale"]: row["motivo"] for row in answer["call_list"]}
    assert reasons == {LUCA: "link_expired", GIULIA: "no_email", third: "email_bounced"}
    # And the CSV in S3 says the same, in Italian, without a secret
    bucket, key = answer["report"].removeprefix("s3://").split("/", 1)
    text = stack.deployment.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    lines = text.splitlines()
    assert lines[0] == "codice_fiscale;cognome;nome;ruolo;classe;cellulare;motivo" and len(lines) == 4
    assert "nessun indirizzo e-mail" in text and "scaduto" in text and "non riceve posta" in text
    assert "token" not in text and "password" not in text.casefold()


def test_the_report_s_csv_never_hands_the_office_a_formula(stack):
    # Given parents without an e-mail whose names and mobiles a spreadsheet would run as formulas
    codes = unknown_codes(2)
    with stack.env():
        for cf, surname in zip(codes, ['=HYPERLINK("https://evil.example")', "@SUM(A1)"], strict=True):
            people.put_people([Person(SCHOOL, cf, surname, "-2+3", Role.GENITORE, mobile="+393331112222")])
    # When ops asks for the report and the office opens its CSV
    answer = school_report(stack)
    bucket, key = answer["report"].removeprefix("s3://").split("/", 1)
    text = stack.deployment.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    cells = [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]
    # Then every such cell is text, its value kept after the apostrophe
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert {"'@SUM(A1)", "'-2+3", "'+393331112222"} <= set(cells)


def test_a_delivery_is_recorded_only_for_an_invitation(stack):
    # Given Maria invited, and a delivery event of another kind of mail
    invite(stack)
    run_invitations(stack)
    other = load_event("bounces_delivery")
    message = json.loads(other["Records"][0]["Sns"]["Message"])
    message["mail"]["tags"]["template"] = ["reset"]
    other["Records"][0]["Sns"]["Message"] = json.dumps(message)
    # Then it records nothing; the invitation's delivery records one
    assert stack.functions.invoke("BouncesFunction", other)["marked"] == 0
    assert stack.functions.invoke("BouncesFunction", load_event("bounces_delivery"))["marked"] == 1
    assert stack.functions.invoke("BouncesFunction", load_event("bounces_delivery"))["marked"] == 0
    assert school_report(stack)["funnel"]["delivered"] == 1


def test_the_report_of_an_unknown_school_is_a_clear_error(stack):
    assert school_report(stack, school="ZZIC000000")["error"]["code"] == "school_not_found"
    assert school_report(stack, role="zio")["error"]["code"] == "validation_error"


def test_two_orders_for_the_same_people_at_once_invite_them_once(stack, monkeypatch):
    # Given two orders for Maria and Luca that both read them before either invited them
    from chiave.jobs import invitations as flow  # imported by the stack, in its environment

    with stack.env("InvitationsFunction"):
        stale = people.enrolled(SCHOOL, [MARIA, LUCA])
    first = stack.functions.invoke("InvitationsFunction", load_event("invitations"))
    monkeypatch.setattr(flow.people, "enrolled", lambda *_: stale)
    # When the second commits after the first
    second = stack.functions.invoke("InvitationsFunction", load_event("invitations"))
    stack.drain("BulkNotifyFunction", "BulkOutboxQueue")
    # Then its transactions are refused and each parent got one invitation
    assert first == second == {"batchItemFailures": []}
    assert Counter(mail["to"] for mail in invitations(stack)) == {
        "maria.rossi@example.it": 1,
        "luca.bianchi@example.it": 1,
    }


@pytest.mark.parametrize("operation", ["GetItem", "Query", "PutObject"])
def test_a_fault_in_the_report_is_a_clear_error_and_writes_nothing(stack, operation):
    # Given an AWS fault while the report is made
    with stack.env("SchoolReportFunction"), failing("unreachable", operation=operation):
        answer = school_report(stack)
    # Then ops hears "try again", and no report was written
    assert answer["ok"] is False and answer["error"]["code"] == "service_unavailable"
    bucket = stack.deployment.refs["ImportBucket"]
    listed = stack.deployment.client("s3").list_objects_v2(Bucket=bucket, Prefix="reports/")
    assert listed.get("KeyCount", 0) == 0
    # And running it again works
    assert school_report(stack)["ok"] is True
