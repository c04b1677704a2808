"""The anagrafica import (a CSV dropped in the import bucket): validated row
by row, upserted without touching accounts, never deleting, reported next
to the file; the same file again changes nothing; against moto."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from chiave.store import keys
from chiave_local.emulator.events import load_event
from tests.integration.helpers import PASSWORD, SCHOOL, activate, change_factor, ops, verify_credentials

HEADER = "scuola;codice_fiscale;cognome;nome;email;cellulare;ruolo;classe\n"
MARIA = "RSSMRA82C52H501K"
ROWS = [
    f"{SCHOOL};{MARIA};Rossi;Maria;maria.rossi@example.it;+393331234567;genitore;1A",
    f"{SCHOOL};BNCLCU79S05F205Y;Bianchi;Luca;luca.bianchi@example.it;;genitore;1A",
    f"{SCHOOL};VRDGLI85L61H501C;Verdi;Giulia;;3471234567;genitore;2B",
    f"{SCHOOL};SPSNTN75A30F839Y;Esposito;Antonio;antonio.esposito@example.it;;docente;",
    f"{SCHOOL};CLMSFO12P54H501O;Colombo;Sofia;sofia.colombo@example.it;;studente;3C",
]
NEW_PARENT = f"{SCHOOL};NRELNE80A41H501V;Neri;Elena;elena.neri@example.it;3391234567;genitore;1A"


def _upload(
    stack, text: str | bytes, name: str = "anagrafica-2026-09.csv", school: str = SCHOOL
) -> dict[str, Any]:
    """Drop a file in the import bucket and run the import on its S3 event."""
    event = load_event("imports")
    record = event["Records"][0]["s3"]
    bucket = stack.deployment.refs["ImportBucket"]
    key = f"imports/{school}/{name}"
    body = text.encode("utf-8") if isinstance(text, str) else text
    stack.deployment.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
    record["bucket"]["name"], record["object"]["key"] = bucket, key
    answer: dict[str, Any] = stack.functions.invoke("ImportFunction", event)
    return answer["imports"][0]


def _report(stack, summary: dict[str, Any]) -> list[dict[str, str]]:
    bucket = stack.deployment.refs["ImportBucket"]
    body = stack.deployment.client("s3").get_object(Bucket=bucket, Key=summary["report"])["Body"].read()
    return list(csv.DictReader(io.StringIO(body.decode("utf-8")), delimiter=";"))


def _people(stack, school: str = SCHOOL) -> dict[str, dict[str, Any]]:
    dynamodb = stack.deployment.client("dynamodb")
    answer = dynamodb.query(
        TableName=stack.deployment.refs["Table"],
        KeyConditionExpression="PK = :school AND begins_with(SK, :person)",
        ExpressionAttributeValues={":school": {"S": f"SCHOOL#{school}"}, ":person": {"S": "PERSON#"}},
    )
    return {item["codice_fiscale"]["S"]: item for item in answer["Items"]}


def _table(stack) -> list[dict[str, Any]]:
    items = stack.deployment.client("dynamodb").scan(TableName=stack.deployment.refs["Table"])["Items"]
    return sorted(items, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))


def test_an_import_adds_updates_and_reports_and_the_same_file_again_changes_nothing(stack):
    # Given the demo school, and a file with its people (now with classes) and a new parent
    text = HEADER + "\n".join([*ROWS, NEW_PARENT]) + "\n"
    # When it is imported
    summary = _upload(stack, text)
    # Then the new parent is in, the others updated (their class; Antonio has none), each row reported
    counts = [summary[name] for name in ("accepted", "changed", "unchanged", "rejected", "missing")]
    assert counts == [1, 4, 1, 0, 0]
    people = _people(stack)
    assert people["NRELNE80A41H501V"]["status"]["S"] == "pending"
    assert people[MARIA]["classe"]["S"] == "1A"
    report = _report(stack, summary)
    assert [row["esito"] for row in report] == [*["aggiornata"] * 3, "invariata", "aggiornata", "inserita"]
    # When the same file is uploaded again, Then nothing changes
    before = _table(stack)
    again = _upload(stack, text, "anagrafica-2026-09-bis.csv")
    assert (again["accepted"], again["changed"], again["unchanged"]) == (0, 0, 6)
    assert [item for item in _table(stack) if not item["PK"]["S"].startswith("RATE#")] == [
        item for item in before if not item["PK"]["S"].startswith("RATE#")
    ]


def test_an_import_keeps_passwords_user_codes_and_status_and_deletes_nobody(stack, load_event):
    # Given Maria, active, and a file that renames her and leaves Luca out
    stack.set_policy(otp_required_for_activation=False)
    user_code = activate(stack, load_event, MARIA)
    account_before = {
        name: value
        for name, value in _people(stack)[MARIA].items()
        if name in ("password_hash", "user_code", "status", "credential_epoch")
    }
    renamed = ROWS[0].replace("Rossi;Maria", "Rossi;Maria Grazia")
    summary = _upload(stack, HEADER + "\n".join([renamed, *ROWS[2:]]) + "\n")
    # Then her account is as it was, and her login works
    after = _people(stack)
    assert after[MARIA]["name"]["S"] == "Maria Grazia"
    assert {name: after[MARIA][name] for name in account_before} == account_before
    assert verify_credentials(stack, load_event, user_code, PASSWORD).status == 200
    # And Luca, missing from the file, is still there, reported as such
    assert "BNCLCU79S05F205Y" in after and summary["missing"] == 1
    missing = [row for row in _report(stack, summary) if row["codice_fiscale"] == "BNCLCU79S05F205Y"]
    assert missing[0]["esito"] == "non presente nel file (non rimossa)"


@pytest.mark.parametrize(
    "row, reason",
    [
        (f"{SCHOOL};RSSMRA82C52H501X;Rossi;Maria;;;genitore;", "codice fiscale non valido"),
        (f"{SCHOOL};NRELNE80A41H501V;Neri;Elena;non-una-mail;;genitore;", "indirizzo e-mail non valido"),
        (f"{SCHOOL};NRELNE80A41H501V;Neri;Elena;;;nonno;", "ruolo non valido"),
        (f"{SCHOOL};NRELNE80A41H501V;;Elena;;;genitore;", "cognome e nome sono obbligatori"),
        ("MIIC8AB00X;NRELNE80A41H501V;Neri;Elena;;;genitore;", "diversa da quella del percorso"),
    ],
)
def test_a_bad_row_is_rejected_with_its_reason_and_the_rest_imported(stack, row, reason):
    summary = _upload(stack, HEADER + "\n".join([ROWS[0], row]) + "\n")
    assert summary["rejected"] == 1
    rejected = [line for line in _report(stack, summary) if line["esito"] == "scartata"]
    assert rejected[0]["riga"] == "3" and reason in rejected[0]["dettaglio"]
    # And the office finds the person by the codice fiscale, whenever it could be read
    readable = "RSSMRA82C52H501X" not in row
    assert rejected[0]["codice_fiscale"] == ("NRELNE80A41H501V" if readable else "")


@pytest.mark.parametrize(
    "body, reason",
    [
        (HEADER.replace(";", ",") + ROWS[0].replace(";", ",") + "\n", "intestazione"),
        ("cf;nome\n" + ROWS[0] + "\n", "intestazione"),
        ((HEADER + ROWS[0].replace("Rossi", "Rossì") + "\n").encode("latin-1"), "UTF-8"),
        (HEADER, "non contiene righe"),
        (b"", "intestazione"),
    ],
)
def test_a_file_that_cannot_be_read_changes_nothing_and_says_why(stack, body, reason):
    before = _table(stack)
    summary = _upload(stack, body)
    assert reason in summary["error"]
    assert _report(stack, summary)[0]["esito"] == "file rifiutato"
    assert [item for item in _table(stack)] == before


def test_a_file_over_the_size_limit_is_refused_unread(stack):
    from chiave.jobs import imports

    before = _table(stack)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(imports, "MAX_BYTES", 100)
        summary = _upload(stack, HEADER + "\n".join(ROWS) + "\n")
    assert "troppo grande" in summary["error"] and _table(stack) == before


def test_a_contact_the_holder_proved_wins_unless_the_school_changed_it(stack, load_event):
    # Given Maria, who proved a new address herself
    stack.set_policy(otp_required_for_activation=False)
    user_code = activate(stack, load_event, MARIA)
    body = {"school": SCHOOL, "login": user_code, "password": PASSWORD, "email": "maria.nuova@example.it"}
    change_factor(stack, load_event, "contacts_email", **body)
    import re

    link = re.search(r"#token=([A-Za-z0-9_-]{43})", stack.deliver()[-2]["text"]).group(1)
    assert stack.call("ContactsFunction", load_event("contacts_confirm", body={"token": link})).status == 200
    # When the school imports its unchanged file, Then her own address stays
    kept = _upload(stack, HEADER + ROWS[0] + "\n")
    assert _people(stack)[MARIA]["email"]["S"] == "maria.nuova@example.it"
    assert "mantenuto" in _report(stack, kept)[0]["dettaglio"]
    # When the school changes the address in its file, Then the school's wins, and the report says so
    changed_row = ROWS[0].replace("maria.rossi@example.it", "m.rossi@example.it")
    replaced = _upload(stack, HEADER + changed_row + "\n", "anagrafica-2.csv")
    assert _people(stack)[MARIA]["email"]["S"] == "m.rossi@example.it"
    assert "sostituito" in _report(stack, replaced)[0]["dettaglio"]


def test_a_new_address_clears_a_bounce(stack, load_event):
    stack.functions.invoke("BouncesFunction", load_event("bounces"))
    new_row = ROWS[0].replace("maria.rossi@example.it", "maria.r@example.it")
    _upload(stack, HEADER + new_row + "\n")
    registered = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": MARIA}))
    assert registered.status == 202
    assert stack.deliver()[-1]["to"] == "maria.r@example.it"


def test_a_person_erased_and_listed_again_comes_back_as_a_new_pending_person(stack, load_event):
    # Given Maria, active, then erased at the family's request
    stack.set_policy(otp_required_for_activation=False)
    old_code = activate(stack, load_event, MARIA)
    assert ops(stack, "ops_erase")["ok"]
    # When the school lists her again
    summary = _upload(stack, HEADER + ROWS[0] + "\n")
    # Then she is a new pending person, reported as such, and activates with a new user code
    assert summary["accepted"] == 1 and "cancellazione" in _report(stack, summary)[0]["dettaglio"]
    assert _people(stack)[MARIA]["status"]["S"] == "pending"
    new_code = activate(stack, load_event, MARIA)
    assert new_code != old_code
    dynamodb = stack.deployment.client("dynamodb")
    reserved = dynamodb.get_item(
        TableName=stack.deployment.refs["Table"],
        Key={name: {"S": value} for name, value in keys.user_code_reservation(old_code).items()},
    )
    assert "Item" in reserved


def test_the_sample_event_of_a_file_no_longer_there_gets_a_clear_report(stack, load_event):
    # Given the sample event (events/imports.json) for a file nobody uploaded
    event = load_event("imports")
    event["Records"][0]["s3"]["bucket"]["name"] = stack.deployment.refs["ImportBucket"]
    # When it is run (as /_local/invoke would), Then it says so, and changes nothing
    before = _table(stack)
    summary = stack.functions.invoke("ImportFunction", event)["imports"][0]
    assert "non trovato" in summary["error"] and _table(stack) == before


@pytest.mark.parametrize("fault", ["server_error", "timeout"])
def test_a_fault_at_any_call_of_an_import_is_mended_by_its_retry(stack, load_event, fault):
    from contextlib import suppress

    from chiave_local.emulator.calls import failing

    position = 0
    while True:
        # Given a new school's file (each attempt its own school: a fresh start)
        school = f"RMIC8{position:05d}"
        configured = stack.functions.invoke(
            "ConfigureSchoolFunction", {**load_event("configure_school"), "school": school}
        )
        assert configured["ok"], configured
        text = HEADER + "\n".join(row.replace(SCHOOL, school) for row in [*ROWS, NEW_PARENT]) + "\n"
        # When the call at `position` fails (S3 retries the invocation), and the retry runs clean
        with stack.env("ImportFunction"), failing(fault, position) as made, suppress(Exception):
            _upload(stack, text, "anagrafica.csv", school)
        if len(made) <= position:
            break
        retried = _upload(stack, text, "anagrafica.csv", school)
        # Then the retry leaves every person as a clean import would, and reports them all
        people = _people(stack, school)
        assert len(people) == 6 and all(person["status"]["S"] == "pending" for person in people.values())
        assert people[MARIA]["classe"]["S"] == "1A"
        assert len(_report(stack, retried)) == 6
        position += 1
    assert position >= 3  # the people, the erased, the new people's write


@pytest.mark.parametrize("formula", ["=1+1", "+1+1", "-1+1", "@SUM(1)"])
def test_no_cell_of_the_report_starts_a_formula_whatever_the_file_holds(stack, formula):
    # Given a file with a spreadsheet formula in every field of its rows, valid and not
    rows = [
        f"{SCHOOL};{formula};{formula};{formula};{formula};{formula};genitore;{formula}",
        f"{SCHOOL};{MARIA};{formula};{formula};;;genitore;{formula}",
    ]
    summary = _upload(stack, HEADER + "\n".join(rows) + "\n")
    # When the office opens the report
    bucket = stack.deployment.refs["ImportBucket"]
    text = stack.deployment.client("s3").get_object(Bucket=bucket, Key=summary["report"])["Body"].read()
    cells = [cell for row in csv.reader(io.StringIO(text.decode()), delimiter=";") for cell in row]
    # Then no cell of it starts a formula
    assert len(cells) >= 12
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_a_file_that_replaces_an_active_account_s_e_mail_tells_it_and_resets_wait(stack, load_event):
    import time
    from unittest import mock

    from chiave.runtime import masking
    from tests.integration.helpers import request_reset

    # Given Maria, active, and Luca, who never registered
    stack.set_policy(otp_required_for_activation=False)
    maria = activate(stack, load_event, MARIA)
    before = len(stack.deliver())
    # When the school's file gives both a new address
    rows = [row.replace("maria.rossi@", "maria.r@").replace("luca.bianchi@", "luca.b@") for row in ROWS]
    summary = _upload(stack, HEADER + "\n".join(rows) + "\n")
    assert summary["changed"] == 4  # Antonio's row is as it was
    # Then the address it replaces is told, Maria's only (Luca has no account to take over)
    mails = stack.deliver()[before:]
    assert [mail["to"] for mail in mails] == ["maria.rossi@example.it"]
    assert masking.mask_email("maria.r@example.it") in mails[0]["text"] and "24 ore" in mails[0]["text"]
    # And for the cool-off a reset, by any identifier, still goes to the address she had
    for identifier in (maria, "maria.r@example.it", MARIA):
        request_reset(stack, load_event, identifier)
        assert stack.deliver()[-1]["to"] == "maria.rossi@example.it", identifier
    # And after it, to the school's new address
    with mock.patch("time.time", return_value=time.time() + 86_400 + 60):
        request_reset(stack, load_event, maria)
    assert stack.deliver()[-1]["to"] == "maria.r@example.it"
