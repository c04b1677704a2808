"""make run's SEED and POLICY, over HTTP."""

from __future__ import annotations

import json
import re

from tests.e2e.conftest import start_stack, stop_stack

CSV = (
    "scuola;codice_fiscale;cognome;nome;email;cellulare;ruolo\n"
    "MIIC8AB00X;RSSMRA82C52H501K;Rossi;Maria;daniela.rossi@gmail.com;3331234567;genitore\n"
)


def test_seed_and_policy_are_honoured(tmp_path):
    # Given an anagrafica and an explicit-disclosure policy for its school
    seed = tmp_path / "anagrafica.csv"
    seed.write_text("\ufeff" + CSV, encoding="utf-8")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"MIIC8AB00X": {"disclosure": "explicit"}}), encoding="utf-8")
    process, stack, printed = start_stack("--seed", str(seed), "--policy", str(policy))
    assert stack is not None, printed
    try:
        # When the person registers, and somebody unknown does
        known = stack.post("/v1/schools/MIIC8AB00X/registrations", {"codice_fiscale": "RSSMRA82C52H501K"})
        unknown = stack.post("/v1/schools/MIIC8AB00X/registrations", {"codice_fiscale": "BNCGNN80A01H501T"})
        demo = stack.post("/v1/schools/RMIC817009/registrations", {"codice_fiscale": "RSSMRA82C52H501K"})
    finally:
        stop_stack(process)
    # Then the seed's school answers with the seeds' explicit messages
    assert (known.status, known.json["email_hint"]) == (202, "d*****i@gmail.com")
    assert (unknown.status, unknown.json["code"]) == (404, "person_not_found")
    # And the demo school is not loaded
    assert (demo.status, demo.json["code"]) == (404, "school_not_found")


def test_a_policy_out_of_bounds_is_refused_with_a_clear_error(tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"RMIC817009": {"otp_length": 12}}), encoding="utf-8")
    process, stack, printed = start_stack("--policy", str(policy))
    assert stack is None
    assert process.wait(timeout=10) == 2
    assert "otp_length" in printed and "less than or equal to 8" in printed


def test_a_school_that_asks_the_sms_code_for_resets_gets_it_over_http(tmp_path):
    # Given a school whose policy asks the SMS code on activation and on resets
    seed = tmp_path / "anagrafica.csv"
    seed.write_text(CSV.replace(";;genitore", ";333 123 4567;genitore"), encoding="utf-8")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"MIIC8AB00X": {"otp_required_for_reset": True}}), encoding="utf-8")
    process, stack, printed = start_stack("--seed", str(seed), "--policy", str(policy))
    assert stack is not None, printed
    mailbox, phone = "daniela.rossi@gmail.com", "+393331234567"

    def through_sms(token: str, texts: int) -> None:
        assert stack.post("/v1/otp/send", {"token": token}).status == 202
        code = re.search(r"#(\d{6})$", stack.sms_to(phone, at_least=texts)[-1]["text"]).group(1)
        assert stack.post("/v1/otp/verify", {"token": token, "code": code}).status == 200

    try:
        # When she activates (link + code), then asks for a reset and confirms it
        stack.post("/v1/schools/MIIC8AB00X/registrations", {"codice_fiscale": "RSSMRA82C52H501K"})
        token = _token(stack.emails_to(mailbox, at_least=1)[0])
        through_sms(token, 1)
        done = stack.post("/v1/password-resets/confirm", {"token": token, "new_password": "Quaderno-Blu-42"})
        stack.post("/v1/schools/MIIC8AB00X/password-resets", {"identifier": "RSSMRA82C52H501K"})
        # (notify's containers may send the activation's confirmation after the reset link)
        reset = _token(
            next(e for e in stack.emails_to(mailbox, at_least=3) if "/recupera#token=" in e["text"])
        )
        refused = stack.post(
            "/v1/password-resets/confirm", {"token": reset, "new_password": "Nuova-Chiave-2026"}
        )
        through_sms(reset, 2)
        changed = stack.post(
            "/v1/password-resets/confirm", {"token": reset, "new_password": "Nuova-Chiave-2026"}
        )
    finally:
        stop_stack(process)
    # Then the reset was refused until the code was verified, and then accepted
    assert done.status == 200, done.text
    assert (refused.status, refused.json["code"]) == (403, "otp_required")
    assert changed.json == {"user_code": done.json["user_code"], "status": "active"}


def _token(email: dict) -> str:
    return re.search(r"#token=([A-Za-z0-9_-]{43})", email["text"]).group(1)
