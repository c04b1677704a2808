"""Attempt limits under the concurrency Lambda gives an attacker: one function
through the local stack at many containers, guesses fired at once."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import start_stack, stop_stack

CONTAINERS = 8
LIMIT = 5
GUESSES = 24


@pytest.mark.slow
def test_parallel_guesses_on_many_containers_check_no_more_than_the_limit(tmp_path):
    # Given a stack whose functions run on 8 containers each, at a school allowing 5 wrong passwords
    policy = tmp_path / "policy.json"
    overrides = {"RMIC817009": {"otp_required_for_activation": False, "login_max_failures": LIMIT}}
    policy.write_text(json.dumps(overrides))
    process, stack, printed = start_stack("--containers", str(CONTAINERS), "--policy", str(policy))
    assert stack is not None, printed
    try:
        stack.post("/v1/schools/RMIC817009/registrations", {"codice_fiscale": "RSSMRA82C52H501K"})
        token = stack.emails_to("maria.rossi@example.it", 1)[-1]["token"]
        confirmed = stack.post(
            "/v1/password-resets/confirm", {"token": token, "new_password": "Quaderno-Blu-42"}
        )
        assert confirmed.status == 200, confirmed.text

        # When 24 wrong passwords arrive at once for her, each in a container of its own
        def change(current: str) -> int:
            body = {
                "school": "RMIC817009",
                "login": "maria.rossi@example.it",
                "current_password": current,
                "new_password": "Mai-Usata-2026!",
            }
            return stack.post("/v1/passwords/change", body).status

        def guess(index: int) -> int:
            return change(f"Sbagliata-{index:02d}!")

        with ThreadPoolExecutor(max_workers=GUESSES) as pool:
            statuses = list(pool.map(guess, range(GUESSES)))
        # Then no more than the limit were checked: at most LIMIT - 1 plain refusals, the rest locked
        assert statuses.count(401) <= LIMIT - 1, statuses
        assert set(statuses) <= {401, 423} and statuses.count(423) >= GUESSES - LIMIT + 1
        # And the right password is locked out too
        assert change("Quaderno-Blu-42") == 423
    finally:
        stop_stack(process)
