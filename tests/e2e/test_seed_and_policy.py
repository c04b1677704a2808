"""make run's SEED and POLICY, over HTTP."""

from __future__ import annotations

import json

from tests.e2e.conftest import start_stack, stop_stack

CSV = (
    "scuola;codice_fiscale;cognome;nome;email;cellulare;ruolo\n"
    "MIIC8AB00X;RSSMRA82C52H501K;Rossi;Maria;daniela.rossi@gmail.com;;genitore\n"
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
