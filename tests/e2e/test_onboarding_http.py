"""A school onboarded from scratch through the local stack, as an operator
does it on AWS: configured from the console (/_local/invoke), its anagrafica
dropped in the import bucket, a parent registered; its name and office in
her e-mail, the school in the public list. A refused override changes nothing."""

from __future__ import annotations

import json
import time

from chiave_local.emulator.events import EVENTS
from tests.e2e.test_school_year_http import _report

SCHOOL = "RMIC8GF002"
PARENT = "BNCLRA80A41H501D"
PARENT_EMAIL = "laura.bianchi@example.it"


def _sample(name: str) -> dict:
    event: dict = json.loads((EVENTS / f"{name}.json").read_text("utf-8"))
    return event


def _public_list(stack) -> dict[str, dict]:
    answer = stack.request("GET", "/scuole.json")
    assert answer.status == 200 and answer.headers["Cache-Control"].startswith("public")
    return {entry["code"]: entry for entry in answer.json["schools"]}


def test_a_school_is_onboarded_from_scratch_and_its_first_parent_registers(local_stack):
    # Given a school the deployment does not serve yet
    assert SCHOOL not in _public_list(local_stack)
    # When the operator configures it from the console (its portal: this stack's pages)
    event = {**_sample("configure_school"), "portal_url": local_stack.base_url}
    configured = local_stack.post("/_local/invoke/ConfigureSchoolFunction", event).json
    assert configured["ok"] and configured["request_id"], configured
    # Then the public list shows it, by code, name and town only
    listed = _public_list(local_stack)[SCHOOL]
    assert listed == {"code": SCHOOL, "name": "Istituto Comprensivo Via Ferraironi", "town": "Roma"}
    # When an override out of bounds is sent, it is refused, named, and nothing changes
    refused = local_stack.post(
        "/_local/invoke/ConfigureSchoolFunction",
        {**event, "name": "Altro nome", "policy": {"otp_length": 12}},
    ).json
    assert not refused["ok"] and "otp_length" in refused["error"]["problems"][0]["message"]
    assert _public_list(local_stack)[SCHOOL]["name"] == "Istituto Comprensivo Via Ferraironi"
    # When the school's secretary drops its anagrafica
    client, bucket = local_stack.aws("s3"), local_stack.resource("ImportBucket")
    header = "scuola;codice_fiscale;cognome;nome;email;cellulare;ruolo\n"
    rows = header + f"{SCHOOL};{PARENT};Bianchi;Laura;{PARENT_EMAIL};3391112233;genitore\n"
    client.put_object(Bucket=bucket, Key=f"imports/{SCHOOL}/anagrafica.csv", Body=rows.encode("utf-8"))
    assert f"2;{PARENT};inserita;" in _report(client, bucket, f"imports/{SCHOOL}/esiti/anagrafica.esito.csv")
    # And a parent registers
    registered = local_stack.post(f"/v1/schools/{SCHOOL}/registrations", {"codice_fiscale": PARENT})
    assert registered.status == 202
    # Then her e-mail comes in the school's name, replies go to its office, the link to its portal
    [mail] = local_stack.emails_to(PARENT_EMAIL, at_least=1)
    assert "Istituto Comprensivo Via Ferraironi (Chiave)" in mail["from"], mail["from"]
    assert mail["reply_to"] == "rmic8gf002@istruzione.it"
    assert "Istituto Comprensivo Via Ferraironi" in mail["text"]
    assert f"{local_stack.base_url}/attiva#token=" in mail["text"]
    # When the operator disables the school, its parents are told the service is closed
    disabled = local_stack.post(
        "/_local/invoke/ConfigureSchoolFunction", _sample("configure_school_disable")
    ).json
    assert disabled["ok"] and disabled["changed"] == ["enabled"]
    closed = local_stack.post(f"/v1/schools/{SCHOOL}/registrations", {"codice_fiscale": PARENT})
    assert (closed.status, closed.json["code"]) == (403, "school_closed")
    assert SCHOOL not in _public_list(local_stack)
    time.sleep(0.5)
    assert len(local_stack.emails_to(PARENT_EMAIL, at_least=0)) == 1
