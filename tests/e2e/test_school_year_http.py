"""Running a school year through the local stack: a file dropped in the
import bucket (moto S3) is imported and reported, its new parent registers,
the sweep and a bounce run through /_local/invoke."""

from __future__ import annotations

import json
import time

from chiave_local.emulator.events import EVENTS

API = "/v1"
SCHOOL = "RMIC817009"
ELENA = "NRELNE80A41H501V"
ELENA_EMAIL = "elena.neri@example.it"
FILE = (
    "scuola;codice_fiscale;cognome;nome;email;cellulare;ruolo;classe\n"
    f"{SCHOOL};{ELENA};Neri;Elena;{ELENA_EMAIL};3391234567;genitore;1A\n"
    f"{SCHOOL};NRELNE80A41H501X;Neri;Elena;;;genitore;1A\n"
)


def _s3(stack):
    return stack.aws("s3"), stack.resource("ImportBucket")


def _report(client, bucket: str, key: str) -> str:
    deadline = time.monotonic() + 15
    while True:
        try:
            return client.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        except client.exceptions.NoSuchKey:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_dropped_file_is_imported_and_its_new_parent_registers(local_stack):
    # Given the secretary drops the school's file in the import bucket
    client, bucket = _s3(local_stack)
    client.put_object(Bucket=bucket, Key=f"imports/{SCHOOL}/prime-2026.csv", Body=FILE.encode("utf-8"))
    # Then its report appears next to it: one row in, one refused with its reason
    report = _report(client, bucket, f"imports/{SCHOOL}/esiti/prime-2026.esito.csv")
    assert f"2;{ELENA};inserita;" in report
    assert "3;;scartata;codice fiscale non valido" in report
    # And the new parent registers and gets her activation e-mail
    sent = len(local_stack.emails_to(ELENA_EMAIL, at_least=0))
    registered = local_stack.post(f"{API}/schools/{SCHOOL}/registrations", {"codice_fiscale": ELENA})
    assert registered.status == 202
    assert "#token=" in local_stack.emails_to(ELENA_EMAIL, at_least=sent + 1)[-1]["text"]
    # When her address bounces (SES -> SNS -> the bounces function)
    bounce = json.loads((EVENTS / "bounces.json").read_text("utf-8"))
    message = json.loads(bounce["Records"][0]["Sns"]["Message"])
    message["bounce"]["bouncedRecipients"][0]["emailAddress"] = ELENA_EMAIL
    bounce["Records"][0]["Sns"]["Message"] = json.dumps(message)
    assert local_stack.post("/_local/invoke/BouncesFunction", bounce).json["marked"] == 1
    # Then a new request mails her nothing
    again = local_stack.post(f"{API}/schools/{SCHOOL}/registrations", {"codice_fiscale": ELENA})
    assert again.status == 202
    time.sleep(1)
    assert len(local_stack.emails_to(ELENA_EMAIL, at_least=0)) == sent + 1
    # And the sweep runs from the console's sample event
    sweep = json.loads((EVENTS / "expiry_sweep.json").read_text("utf-8"))
    swept = local_stack.post("/_local/invoke/ExpirySweepFunction", sweep)
    assert swept.status == 200 and swept.json["complete"] is True


CLASS_2B = [("PRMGNN80A01H501", "primo"), ("SCNGNN80A01H501", "secondo"), ("TRZGNN80A01H501", "terzo")]


def test_a_class_is_imported_invited_and_reported_on(local_stack):
    from chiave.italian import codice_fiscale

    # Given a file of three new 2B parents, dropped in the import bucket and imported
    people = [(body + codice_fiscale.check_character(body), name) for body, name in CLASS_2B]
    rows = [
        f"{SCHOOL};{cf};Genitore;{name};{name}.2b@example.it;33911100{i};genitore;2B"
        for i, (cf, name) in enumerate(people)
    ]
    client, bucket = _s3(local_stack)
    header = "scuola;codice_fiscale;cognome;nome;email;cellulare;ruolo;classe\n"
    client.put_object(Bucket=bucket, Key=f"imports/{SCHOOL}/2b.csv", Body=(header + "\n".join(rows)).encode())
    assert _report(client, bucket, f"imports/{SCHOOL}/esiti/2b.esito.csv").count(";inserita;") == 3
    # When ops invites class 2B from the console's sample event
    event = {**json.loads((EVENTS / "invite.json").read_text("utf-8")), "classe": "2B"}
    invited = local_stack.post("/_local/invoke/InviteFunction", event).json
    assert (invited["ok"], invited["matched"], invited["invited"]) == (True, 3, 3)
    # Then each parent finds one invitation in the outbox, through the paced bulk lane
    for _, name in people:
        [mail] = local_stack.emails_to(f"{name}.2b@example.it", at_least=1)
        assert "#token=" in mail["text"] and mail["subject"].startswith("Invito")
    # And inviting again sends nothing more
    again = local_stack.post("/_local/invoke/InviteFunction", event).json
    assert (again["invited"], again["skipped_by_reason"]) == (0, {"already_invited": 3})
    # When one address bounces, and ops asks for the report
    bounce = json.loads((EVENTS / "bounces.json").read_text("utf-8"))
    message = json.loads(bounce["Records"][0]["Sns"]["Message"])
    message["bounce"]["bouncedRecipients"][0]["emailAddress"] = "primo.2b@example.it"
    bounce["Records"][0]["Sns"]["Message"] = json.dumps(message)
    assert local_stack.post("/_local/invoke/BouncesFunction", bounce).json["marked"] == 1
    sample = json.loads((EVENTS / "school_report.json").read_text("utf-8"))
    report = local_stack.post("/_local/invoke/SchoolReportFunction", sample).json
    # Then the funnel counts them, the call list names the bounced parent, the CSV is in S3
    assert report["ok"] is True and report["funnel"]["invited"] >= 3 and report["funnel"]["bounced"] >= 1
    assert {row["codice_fiscale"]: row["motivo"] for row in report["call_list"]}[
        people[0][0]
    ] == "email_bounced"
    key = report["report"].removeprefix(f"s3://{bucket}/")
    assert people[0][0] in client.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
