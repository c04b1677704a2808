"""Every bad input's problem document, byte for byte, against a recorded
copy (problem_documents.json): how requests are validated may change (it
did, for a leaner cold start), what a client reads may not.

The cases are generated per API function of the template: each malformed
body of test_bad_input, each field of the sample body made bad in each way,
each odd path parameter; in Italian and in English. After a deliberate
change of wording, `CHIAVE_RECORD_PROBLEMS=1 make test` records them anew."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from chiave_local.emulator import template
from tests.integration.test_bad_input import BAD_BODIES

RECORDED = Path(__file__).with_name("problem_documents.json")
LANGUAGES = {"it": "it-IT,it;q=0.9", "en": "en-GB,en;q=0.9"}
BAD_VALUES: dict[str, Any] = {
    "missing": ...,
    "null": None,
    "number": 12345,
    "true": True,
    "list": ["x"],
    "object": {"x": "y"},
    "empty": "",
    "blank": " ",
    "long": "A" * 2000,
    "NUL": "a\u0000b",
    "escape": "x\u001bx",
    "lone surrogate": "\ud800x",
}
ODD_PATH_VALUES = [
    "",
    "x" * 300,
    "RMIC 81700",
    "ÀMIC817009",
    "../../etc/passwd",
    "RMIC81700\u0000",
    "rmic817009",
]
API_FUNCTIONS = template.api_samples()
_SAMPLES_OF = Counter(function_id for function_id, _ in API_FUNCTIONS)


def _recorded_as(function_id: str, sample: str) -> str:
    """A function's documents, or one route's when the function has several."""
    return function_id if _SAMPLES_OF[function_id] == 1 else f"{function_id} {sample}"


def _bodies(load_event: Any, sample: str) -> dict[str, str | None]:
    if load_event(sample)["body"] is None:
        return {}  # a GET (the account area's): no body to make bad
    valid = json.loads(load_event(sample)["body"])
    bodies: dict[str, str | None] = {f"body: {case}": body for case, body in BAD_BODIES.items()}
    for field in valid:
        for case, value in BAD_VALUES.items():
            changed = {name: given for name, given in valid.items() if name != field}
            if value is not ...:
                changed[field] = value
            # ensure_ascii keeps a lone surrogate as the escape a client would send.
            bodies[f"{field}: {case}"] = json.dumps(changed)
    return bodies


def _documents(stack: Any, load_event: Any, function_id: str, sample: str) -> dict[str, Any]:
    cases: dict[str, dict[str, Any]] = {
        case: {"raw_body": body} for case, body in _bodies(load_event, sample).items()
    }
    for parameter in load_event(sample).get("pathParameters") or {}:
        for value in ODD_PATH_VALUES:
            cases[f"path {parameter}: {value!r}"] = {"path_parameters": {parameter: value}}
    documents = {}
    for case, overrides in cases.items():
        for language, accept in LANGUAGES.items():
            event = load_event(sample, headers={"Accept-Language": accept}, **overrides)
            if "raw_body" in overrides and overrides["raw_body"] is None:
                event["body"] = None
            response = stack.call(function_id, event)
            if response.status < 400:
                continue  # accepted: not a problem (e.g. a lower-case school code)
            documents[f"{case} [{language}]"] = {
                "status": response.status,
                "headers": {
                    name: response.headers.get(name)
                    for name in ("Content-Type", "Content-Language", "Retry-After")
                    if response.headers.get(name) is not None
                },
                "body": response.body,
            }
    return documents


@pytest.mark.parametrize("function_id, sample", API_FUNCTIONS)
def test_problem_documents_are_exactly_as_recorded(stack, load_event, function_id, sample):
    # Given the problem documents recorded for this function
    recorded = json.loads(RECORDED.read_text("utf-8")) if RECORDED.exists() else {}
    # When every bad input is sent, in both languages
    documents = _documents(stack, load_event, function_id, sample)
    if os.environ.get("CHIAVE_RECORD_PROBLEMS") == "1":
        recorded[_recorded_as(function_id, sample)] = documents
        RECORDED.write_text(
            json.dumps(recorded, indent=1, ensure_ascii=False, sort_keys=True) + "\n", "utf-8"
        )
        return
    # Then each answer is the recorded one: status, headers and body
    expected = recorded.get(_recorded_as(function_id, sample))
    assert expected is not None, f"nothing recorded for {sample}: CHIAVE_RECORD_PROBLEMS=1"
    assert sorted(documents) == sorted(expected)
    for case, document in documents.items():
        assert document == expected[case], case
