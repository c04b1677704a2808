"""Limits that protect people: a cap on link e-mails per recipient and kind
of identifier across register and every kind of reset (it never silences
the holder's own channel), and one per-address limit for the whole
deployment beside each school's own."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chiave.store import schools
from tests.integration.helpers import activate, confirm, last_token, request_reset, unknown_codes

KNOWN = "RSSMRA82C52H501K"
EMAIL = "maria.rossi@example.it"


def _mails_to(stack, address):
    return [email for email in stack.deliver() if email["to"] == address]


def test_one_person_gets_at_most_the_cap_of_link_e_mails_an_hour_by_each_kind_of_identifier(
    stack, load_event
):
    # Given a cap of 3 link e-mails per recipient per hour, and an account
    # activated this hour (its activation link, asked by codice fiscale, was the first of its 3)
    stack.set_policy(otp_required_for_activation=False, link_emails_per_recipient_per_hour=3)
    code = activate(stack, load_event, KNOWN)
    # When links are asked by every identifier four times each, and by register
    answers = []
    for identifier in [KNOWN, code, EMAIL] * 4:
        response = request_reset(stack, load_event, identifier)
        answers.append((response.status, response.raw["body"]))
    registered = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    # Then every answer is the same 202 (the cap reveals nobody)
    assert {answer for answer in answers} == {answers[0]} and answers[0][0] == 202
    assert registered.status == 202
    # And the mailbox got 3 links asked by codice fiscale (activation included), 3 by user code, 3 by e-mail
    assert len([mail for mail in _mails_to(stack, EMAIL) if "#token=" in mail["text"]]) == 9


def test_requests_by_the_public_codice_fiscale_never_silence_the_holder_s_own(stack, load_event):
    # Given an attacker who computed a parent's codice fiscale from public data
    # and filled her mailbox's cap with resets by it
    stack.set_policy(otp_required_for_activation=False, link_emails_per_recipient_per_hour=3)
    code = activate(stack, load_event, KNOWN)
    for _ in range(5):  # the identifier's own hourly limit
        assert request_reset(stack, load_event, KNOWN).status == 202
    before = len(_mails_to(stack, EMAIL))
    # When the parent herself asks by e-mail, and by user code
    for identifier in (EMAIL, code):
        assert request_reset(stack, load_event, identifier).status == 202
    # Then both links reach her, and the newest one works
    links = [mail for mail in _mails_to(stack, EMAIL)[before:] if "#token=" in mail["text"]]
    assert len(links) == 2
    assert confirm(stack, load_event, last_token(stack), "Nuova-Password-2026").status == 200


def test_notices_of_a_credential_change_are_never_capped(stack, load_event):
    # Given a person whose link e-mails reached the cap (activation link, then one reset link)
    activate(stack, load_event, KNOWN)
    stack.set_policy(otp_required_for_activation=False, link_emails_per_recipient_per_hour=2)
    request_reset(stack, load_event, KNOWN)
    token = last_token(stack)
    request_reset(stack, load_event, KNOWN)  # capped
    assert last_token(stack) == token
    # When the password is changed with the link she got
    assert confirm(stack, load_event, token, "Nuova-Password-2026").status == 200
    # Then the notice of the change still reaches her
    assert _mails_to(stack, EMAIL)[-1]["subject"] == "La password è stata cambiata"


def test_in_explicit_disclosure_the_cap_is_told(stack, load_event):
    activate(stack, load_event, KNOWN)
    stack.set_policy(
        otp_required_for_activation=False, disclosure="explicit", link_emails_per_recipient_per_hour=2
    )
    assert request_reset(stack, load_event, KNOWN).status == 202
    refused = request_reset(stack, load_event, KNOWN)
    assert (refused.status, refused.body["code"]) == (429, "rate_limited")
    assert 0 < int(refused.headers["Retry-After"]) <= 3600


@pytest.fixture
def two_schools(stack):
    with stack.env():
        school = schools.get_school("RMIC817009")
        assert school is not None
        schools.put_school(replace(school, id="MIIC8AB001", name="IC Milano"))
    return ["RMIC817009", "MIIC8AB001"]


def test_one_address_has_one_limit_across_every_school(stack, load_event, two_schools):
    # Given a deployment allowing 6 requests per address per hour, and two
    # schools each allowing far more
    stack.deployment.refs["RequestsPerIpPerHour"] = "6"
    # When one address asks both schools in turn
    statuses = []
    for attempt in range(7):
        school = two_schools[attempt % 2]
        event = load_event(
            "register",
            body={"codice_fiscale": KNOWN},
            path_parameters={"school": school},
            source_ip="203.0.113.77",
        )
        statuses.append(stack.call("RegisterFunction", event).status)
    # Then the seventh is refused, whichever school it asks
    assert statuses == [202] * 6 + [429]


def test_each_school_limits_its_own_requests_per_address(stack, load_event, two_schools):
    # Given one school allowing 10 requests per address per hour
    stack.set_policy(requests_per_ip_per_hour=10)
    ip = {"source_ip": "203.0.113.78"}
    for cf in unknown_codes(10):
        event = load_event("register", body={"codice_fiscale": cf}, **ip)
        assert stack.call("RegisterFunction", event).status == 202
    refused = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}, **ip))
    assert refused.status == 429
    # And the other school, with the default limit, still answers that address
    other = load_event(
        "register", body={"codice_fiscale": KNOWN}, path_parameters={"school": "MIIC8AB001"}, **ip
    )
    assert stack.call("RegisterFunction", other).status == 202


def _through_cloudfront(load_event, school: str, parent: str, edge: str):
    """A register request as CloudFront forwards it: from an edge node, naming the parent."""
    return load_event(
        "register",
        body={"codice_fiscale": KNOWN},
        path_parameters={"school": school},
        headers={"CloudFront-Viewer-Address": f"{parent}:{40000 + len(edge)}"},
        source_ip=edge,
    )


def test_behind_cloudfront_each_parent_has_the_limit_not_each_edge_node(stack, load_event, two_schools):
    # Given a deployment allowing 6 requests per address per hour
    stack.deployment.refs["RequestsPerIpPerHour"] = "6"
    edge, other_edge = "130.176.0.1", "130.176.99.2"
    # When one parent asks 7 times, through two edge nodes
    statuses = [
        stack.call(
            "RegisterFunction",
            _through_cloudfront(load_event, two_schools[i % 2], "203.0.113.90", (edge, other_edge)[i % 2]),
        ).status
        for i in range(7)
    ]
    # Then the seventh is refused: the parent is counted, wherever the edge
    assert statuses == [202] * 6 + [429]
    # And another parent behind the same edge node is still answered
    neighbour = _through_cloudfront(load_event, two_schools[0], "2001:db8::7", edge)
    assert stack.call("RegisterFunction", neighbour).status == 202
