"""A school configured from the console (configure_school): created,
changed field by field with its trail, refused when a field or an override
is wrong, disabled and enabled; the public list follows. Against moto."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chiave.store import audit, schools
from chiave_local.emulator.calls import FAULTS, failing
from tests.integration.helpers import activate

NEW_SCHOOL = "RMIC8GF002"


def _configure(stack, load_event, sample: str = "configure_school", **fields: Any) -> dict[str, Any]:
    event = {**load_event(sample), **fields}
    event = {name: value for name, value in event.items() if value is not ...}
    result: dict[str, Any] = stack.functions.invoke("ConfigureSchoolFunction", event)
    return result


def _public_list(stack) -> dict[str, Any]:
    s3 = stack.deployment.client("s3")
    published = s3.get_object(Bucket=stack.deployment.refs["PortalBucket"], Key="scuole.json")
    assert published["CacheControl"].startswith("public")
    document: dict[str, Any] = json.loads(published["Body"].read())
    return document


def _school_item(stack, school_id: str = NEW_SCHOOL) -> Any:
    with stack.env("ConfigureSchoolFunction"):
        return schools.get_school(school_id)


def _trail(stack, school_id: str = NEW_SCHOOL) -> list[dict[str, Any]]:
    with stack.env("ConfigureSchoolFunction"):
        return audit.configuration_trail("school", school_id)


def test_a_new_school_is_created_audited_and_listed(stack, load_event):
    # When the operator configures a new school with the sample event
    answer = _configure(stack, load_event)
    # Then it exists as given, primo ciclo by its code, with the invocation id named
    assert answer["ok"], answer
    assert answer["request_id"]
    school = _school_item(stack)
    assert (school.name, school.town, school.fiscal_code, school.ipa_code) == (
        "Istituto Comprensivo Via Ferraironi",
        "Roma",
        "97713980584",
        "istsc_rmic8gf002",
    )
    assert school.primo_ciclo and school.enabled and school.policy.otp_required_for_pin
    assert school.controller and school.dpo and school.dpo.email == "dpo@privacyscuole.example"
    # And its trail names the operator, the invocation, the reason, each field from nothing to its value
    [entry] = _trail(stack)
    assert (entry["actor"], entry["request_id"], entry["action"]) == (
        "ops.bianchi@chiave.example",
        answer["request_id"],
        "school_configured",
    )
    assert entry["changes"]["name"] == {"old": None, "new": "Istituto Comprensivo Via Ferraironi"}
    # And the public list shows it with its code, name and town, and nothing else
    listed = {entry["code"]: entry for entry in _public_list(stack)["schools"]}
    assert listed[NEW_SCHOOL] == {"code": NEW_SCHOOL, "name": school.name, "town": "Roma"}
    assert all(set(entry) == {"code", "name", "town"} for entry in listed.values())


def test_a_change_keeps_what_it_does_not_name_and_records_old_and_new(stack, load_event):
    # Given a configured school
    _configure(stack, load_event)
    # When only its name and one override change
    answer = _configure(
        stack,
        load_event,
        name="IC Via Ferraironi",
        town=...,
        fiscal_code=...,
        ipa_code=...,
        portal_url=...,
        reply_to=...,
        register_url=...,
        controller=...,
        dpo=...,
        policy={"pin_length": 8},
    )
    # Then only those changed, and the trail says from what to what
    assert answer["ok"] and answer["changed"] == ["name", "policy"], answer
    school = _school_item(stack)
    assert (school.name, school.town, school.policy.pin_length) == ("IC Via Ferraironi", "Roma", 8)
    assert school.policy.otp_required_for_pin  # the earlier override stays
    newest = _trail(stack)[0]
    assert newest["changes"]["name"] == {
        "old": "Istituto Comprensivo Via Ferraironi",
        "new": "IC Via Ferraironi",
    }
    # And running the same action again changes nothing and writes no trail
    again = _configure(stack, load_event, name="IC Via Ferraironi", policy={"pin_length": 8})
    assert again["ok"] and again["changed"] == []
    assert len(_trail(stack)) == 2


BAD_FIELDS = {
    "fiscal_code": "1234567890",
    "ipa_code": "istsc rmic",
    "portal_url": "http://credenziali.example.it",
    "reply_to": "non-un-indirizzo",
    "register_url": "javascript:alert(1)",
    "controller": {"name": "Dirigente"},
    "town": "",
    "name": None,
    "primo_ciclo": "sì",
    "policy": "tutto",
}


@pytest.mark.parametrize("field", sorted(BAD_FIELDS))
def test_a_bad_field_is_refused_and_named_and_nothing_changes(stack, load_event, field):
    # Given a configured school, and the list as published
    _configure(stack, load_event)
    before, listed = _school_item(stack), _public_list(stack)
    # When one field is wrong
    answer = _configure(stack, load_event, **{field: BAD_FIELDS[field]})
    # Then the action is refused, naming it, and nothing changed
    assert not answer["ok"] and answer["error"]["code"] == "validation_error", answer
    assert any(field in error["field"] for error in answer["error"]["errors"]), answer
    assert _school_item(stack) == before and _public_list(stack) == listed


@pytest.mark.parametrize(
    "override, named",
    [
        ({"otp_length": 12}, "otp_length"),
        ({"factor_change_cool_off_s": 60}, "factor_change_cool_off_s"),
        ({"nuova": 1}, "nuova"),
    ],
)
def test_an_override_out_of_bounds_is_refused_and_named(stack, load_event, override, named):
    _configure(stack, load_event)
    before = _school_item(stack)
    answer = _configure(stack, load_event, policy=override)
    assert not answer["ok"] and answer["error"]["code"] == "invalid_school_configuration", answer
    [problem] = answer["error"]["problems"]
    assert problem["field"] == "policy" and named in problem["message"]
    assert _school_item(stack) == before and len(_trail(stack)) == 1


def test_a_null_override_or_policy_goes_back_to_the_default(stack, load_event):
    _configure(stack, load_event, policy={"otp_required_for_pin": True, "pin_length": 8})
    assert _configure(stack, load_event, policy={"pin_length": None})["ok"]
    school = _school_item(stack)
    assert (school.policy.pin_length, school.policy.otp_required_for_pin) == (6, True)
    assert _configure(stack, load_event, policy=None)["ok"]
    assert not _school_item(stack).policy.otp_required_for_pin


def test_a_new_school_needs_its_name_town_code_and_reply_to(stack, load_event):
    answer = _configure(stack, load_event, name=..., town=..., fiscal_code=..., reply_to=...)
    assert not answer["ok"] and answer["error"]["code"] == "invalid_school_configuration"
    assert {problem["field"] for problem in answer["error"]["problems"]} == {
        "name",
        "town",
        "fiscal_code",
        "reply_to",
    }
    assert _school_item(stack) is None


def test_primo_ciclo_follows_the_code_unless_overridden(stack, load_event):
    liceo = {"school": "RMPS12000X", "ipa_code": ...}
    assert _configure(stack, load_event, **liceo)["ok"]
    assert not _school_item(stack, "RMPS12000X").primo_ciclo
    assert _configure(stack, load_event, **liceo, primo_ciclo=True)["ok"]
    assert _school_item(stack, "RMPS12000X").primo_ciclo


def test_a_disabled_school_is_closed_to_parents_and_off_the_list(stack, load_event):
    # Given the demo school, with an active parent
    user_code = activate(stack, load_event, "RSSMRA82C52H501K")
    # When the operator disables it
    disabled = _configure(stack, load_event, "configure_school_disable", school="RMIC817009")
    assert disabled["ok"] and disabled["changed"] == ["enabled"], disabled
    # Then registering, resetting and logging in say the service is closed, and its data stays
    for function_id, sample, body in (
        ("RegisterFunction", "register", {"codice_fiscale": "RSSMRA82C52H501K"}),
        ("RequestResetFunction", "request_reset", {"identifier": user_code}),
        ("IssuePinFunction", "issue_pin", {"school": "RMIC817009", "login": user_code, "password": "x"}),
    ):
        answer = stack.call(function_id, load_event(sample, body=body))
        assert (answer.status, answer.body["code"]) == (403, "school_closed"), function_id
    assert "RMIC817009" not in {entry["code"] for entry in _public_list(stack)["schools"]}
    # When it is enabled again, it is back
    enabled = _configure(stack, load_event, "configure_school_enable", school="RMIC817009")
    assert enabled["ok"] and enabled["changed"] == ["enabled"]
    assert "RMIC817009" in {entry["code"] for entry in _public_list(stack)["schools"]}
    actions = [entry["action"] for entry in _trail(stack, "RMIC817009")]
    assert actions[:2] == ["school_enabled", "school_disabled"]


def test_the_list_names_every_school_enabled_or_not(stack, load_event):
    _configure(stack, load_event)
    _configure(stack, load_event, "configure_school_disable")
    listed = _configure(stack, load_event, "configure_school_list")
    assert listed["ok"], listed
    by_code = {school["school"]: school for school in listed["schools"]}
    assert by_code[NEW_SCHOOL]["enabled"] is False and by_code["RMIC817009"]["enabled"] is True


def _state(stack) -> tuple[list[Any], bytes | None]:
    """The table and the published list, as a reader would find them."""
    items = stack.deployment.client("dynamodb").scan(TableName=stack.deployment.refs["Table"])["Items"]
    s3 = stack.deployment.client("s3")
    try:
        listed = s3.get_object(Bucket=stack.deployment.refs["PortalBucket"], Key="scuole.json")["Body"].read()
    except s3.exceptions.NoSuchKey:
        listed = None
    return sorted(items, key=lambda item: (item["PK"]["S"], item["SK"]["S"])), listed


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("sample", ["configure_school", "configure_school_disable"])
def test_a_fault_at_any_call_changes_nothing_and_says_to_run_it_again(stack, load_event, sample, fault):
    # Given the school to disable exists
    if sample == "configure_school_disable":
        _configure(stack, load_event)
    before = _state(stack)
    position = 0
    while True:
        # When the call at `position` fails
        with stack.env("ConfigureSchoolFunction"), failing(fault, position) as made:
            answer = _configure(stack, load_event, sample)
        if len(made) <= position:
            break  # the action made fewer calls: this attempt ran unfaulted
        # Then the operator is told to run it again, and neither the table nor the list changed
        assert answer["ok"] is False and answer["error"]["code"] == "service_unavailable", answer
        assert _state(stack) == before, (sample, made)
        position += 1
    assert answer["ok"] is True and position >= 4


@pytest.mark.parametrize(
    "function_id, sample",
    [
        ("ConfigureSchoolFunction", "configure_school"),
        ("ConfigureClientFunction", "configure_client"),
        ("OpsFunction", "ops"),
        ("InviteFunction", "invite"),
        ("SchoolReportFunction", "school_report"),
    ],
)
def test_every_console_answer_names_its_invocation(stack, load_event, function_id, sample):
    # Given a console action that succeeds, and one refused
    done = stack.functions.invoke(function_id, load_event(sample))
    refused = stack.functions.invoke(function_id, {**load_event(sample), "reason": ""})
    # Then both name the invocation id that CloudTrail ties to the IAM caller
    assert refused["ok"] is False
    for answer in (done, refused):
        assert answer["request_id"], answer
