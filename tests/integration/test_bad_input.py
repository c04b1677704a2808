"""Bad input of any shape: a 4xx problem+json, never a 5xx, nothing changed."""

from __future__ import annotations

import base64
import json

import pytest

KNOWN = "RSSMRA82C52H501K"

BAD_BODIES = {
    "malformed json": '{"codice_fiscale": ',
    "not an object": '["RSSMRA82C52H501K"]',
    "a bare string": '"RSSMRA82C52H501K"',
    "null": "null",
    "wrong type": '{"codice_fiscale": 12345}',
    "missing field": "{}",
    "extra field": '{"codice_fiscale": "RSSMRA82C52H501K", "admin": true}',
    "empty string": '{"codice_fiscale": ""}',
    "oversized field": json.dumps({"codice_fiscale": "A" * 5000}),
    "oversized body": json.dumps({"codice_fiscale": "A" * 20000}),
    "NUL byte": '{"codice_fiscale": "RSSMRA82C52H501K\\u0000"}',
    "escaped lone surrogate": '{"codice_fiscale": "\\ud800RSSMRA82C52H501K"}',
    "raw lone surrogate": '{"codice_fiscale": "\ud800"}',
    "lone surrogate key": '{"\\udfff": "x"}',
    "deep nesting": "[" * 5000 + "]" * 5000,
    "deep objects": '{"a":' * 3000 + "1" + "}" * 3000,
    "huge number": '{"codice_fiscale": 1' + "0" * 4000 + "}",
    "duplicate keys": '{"codice_fiscale": "x", "codice_fiscale": "RSSMRA82C52H501K!"}',
    "no body": None,
}


def _items(stack):
    dynamodb = stack.deployment.client("dynamodb")
    return dynamodb.scan(TableName=stack.deployment.refs["Table"])["Items"]


def _assert_problem(response, low=400, high=499):
    assert low <= response.status <= high, (response.status, response.raw.get("body"))
    content_type = response.headers.get("Content-Type")
    assert content_type == "application/problem+json", response.headers
    assert response.body["status"] == response.status
    assert response.body["code"] and response.body["title"] and response.body["detail"]


@pytest.mark.parametrize(
    "function_id, sample",
    [
        ("RegisterFunction", "register"),
        ("RequestResetFunction", "request_reset"),
        ("ConfirmResetFunction", "confirm_reset"),
        ("FlowStatusFunction", "flow_status"),
    ],
)
@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_bodies_get_a_problem_and_change_nothing(stack, load_event, function_id, sample, case):
    # Given the table as seeded
    before = _items(stack)
    # When a bad body arrives
    event = load_event(sample)
    event["body"] = BAD_BODIES[case]
    response = stack.call(function_id, event)
    # Then a 4xx problem document answers, and nothing changed or was queued
    _assert_problem(response)
    assert _items(stack) == before
    assert stack.queued() == 0


@pytest.mark.parametrize(
    "school",
    [
        "../../etc/passwd",
        "RMIC817009%00",
        "RMIC81700\u0000",
        "x" * 300,
        "",
        "RMIC 81700",
        "ÀMIC817009",
        "\ud800",
    ],
)
def test_odd_school_path_parameters_get_a_problem(stack, load_event, school):
    event = load_event("register", body={"codice_fiscale": KNOWN}, path_parameters={"school": school})
    response = stack.call("RegisterFunction", event)
    _assert_problem(response)
    assert stack.queued() == 0


OTHER_MEDIA_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "", "*/*"]


@pytest.mark.parametrize("media_type", OTHER_MEDIA_TYPES)
@pytest.mark.parametrize("body", ['{"codice_fiscale": "RSSMRA82C52H501K"}', "", None, "codice_fiscale=X"])
def test_other_media_types_are_refused_whatever_the_body(stack, load_event, media_type, body):
    # Given a body, empty or not, declared as something other than JSON
    event = load_event("register", headers={"Content-Type": media_type})
    event["body"] = body
    # When it arrives, Then it is refused as an unsupported media type and nothing is queued
    response = stack.call("RegisterFunction", event)
    _assert_problem(response)
    assert response.body["code"] == "unsupported_media_type"
    assert stack.queued() == 0


@pytest.mark.parametrize(
    "media_type",
    ["Application/JSON", "APPLICATION/JSON; charset=UTF-8", " application/json ", "application/Json"],
)
def test_the_json_media_type_is_compared_without_letter_case(stack, load_event, media_type):
    event = load_event("register", body={"codice_fiscale": KNOWN}, headers={"Content-Type": media_type})
    assert stack.call("RegisterFunction", event).status == 202
    empty = load_event("register", headers={"Content-Type": media_type})
    empty["body"] = ""
    refused = stack.call("RegisterFunction", empty)
    assert (refused.status, refused.body["code"]) == (422, "validation_error")


def test_base64_bodies_are_decoded_or_refused(stack, load_event):
    event = load_event("register")
    event["isBase64Encoded"] = True
    event["body"] = "%%%not base64%%%"
    _assert_problem(stack.call("RegisterFunction", event))
    event["body"] = base64.b64encode(b"\xff\xfe\x00garbage").decode()
    _assert_problem(stack.call("RegisterFunction", event))
    event["body"] = base64.b64encode(json.dumps({"codice_fiscale": KNOWN}).encode()).decode()
    assert stack.call("RegisterFunction", event).status == 202


def test_validation_problems_name_fields_in_italian_or_english(stack, load_event):
    event = load_event("register", raw_body='{"codice_fiscale": 1, "extra": 2}')
    italian = stack.call("RegisterFunction", event)
    assert italian.body["code"] == "validation_error"
    assert {"field": "body.extra", "message": "campo non previsto"} in italian.body["errors"]
    event = load_event("register", raw_body='{"extra": 2}', headers={"Accept-Language": "en-GB,en;q=0.9"})
    english = stack.call("RegisterFunction", event)
    assert english.body["title"] == "Invalid request"
    assert {"field": "body.codice_fiscale", "message": "required field"} in english.body["errors"]


def test_a_password_is_never_echoed_in_a_problem(stack, load_event):
    secret = "Segreto-Molto-Lungo-1!" * 60  # past the field limit
    event = load_event("confirm_reset", body={"token": "A" * 43, "new_password": secret})
    response = stack.call("ConfirmResetFunction", event)
    _assert_problem(response)
    assert "Segreto" not in response.raw["body"]


@pytest.mark.parametrize(
    "function_id, sample, field, others",
    [
        ("RegisterFunction", "register", "codice_fiscale", {}),
        ("RequestResetFunction", "request_reset", "identifier", {}),
        ("FlowStatusFunction", "flow_status", "token", {}),
        ("ConfirmResetFunction", "confirm_reset", "new_password", {"token": "A" * 43}),
    ],
)
@pytest.mark.parametrize("bad", ["a\\u0000b@example.it", "\\ud800@example.it", "x\\u001b@example.it"])
def test_control_characters_and_lone_surrogates_are_refused_by_field(
    stack, load_event, function_id, sample, field, others, bad
):
    # Given a field carrying what DynamoDB and SMTP cannot take (escaped in JSON)
    body = json.dumps(others)[:-1] + (", " if others else "") + f'"{field}": "{bad}"' + "}"
    # When it is sent
    response = stack.call(function_id, load_event(sample, raw_body=body))
    # Then that field is named as not allowed
    assert (response.status, response.body["code"]) == (422, "validation_error")
    assert {"field": f"body.{field}", "message": "contiene caratteri non ammessi"} in response.body["errors"]
