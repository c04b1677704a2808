"""A school's parents behind one address (its NAT, a parents' evening): the
transactions that share its counters conflict, and all still get answers."""

from __future__ import annotations

from chiave.store import keys
from chiave_local.emulator.calls import conflicting
from tests.integration.helpers import unknown_codes

NAT = "203.0.113.50"


def _counter(stack, scope, subject):
    window = max(
        int(item["SK"]["S"].split("#")[1])
        for item in stack.deployment.client("dynamodb").scan(TableName=stack.deployment.refs["Table"])[
            "Items"
        ]
        if item["PK"]["S"] == keys.rate_counter(scope, subject, 0)["PK"]
    )
    key = {name: {"S": value} for name, value in keys.rate_counter(scope, subject, window).items()}
    item = stack.deployment.client("dynamodb").get_item(TableName=stack.deployment.refs["Table"], Key=key)
    return int(item["Item"]["request_count"]["N"])


def test_fifty_parents_behind_one_address_all_get_their_answer(stack, load_event):
    # Given 50 parents registering from one address, and every transaction
    # losing two races with the others before it lands
    answers = []
    with stack.env(), conflicting(losses=2) as attempts:
        for cf in unknown_codes(50):
            event = load_event("register", body={"codice_fiscale": cf}, source_ip=NAT)
            answers.append(stack.call("RegisterFunction", event).status)
    # Then every parent is answered 202, and each request was counted once
    assert answers == [202] * 50
    assert len(attempts) == 150
    assert _counter(stack, "ip", f"RMIC817009|{NAT}") == 50
    assert _counter(stack, "ip", NAT) == 50


def test_conflicts_that_outlast_the_time_budget_answer_503_and_commit_nothing(stack, load_event):
    # Given a counter so busy that no attempt lands
    event = load_event("register", body={"codice_fiscale": "RSSMRA82C52H501K"}, source_ip=NAT)
    with stack.env(), conflicting(losses=10_000):
        response = stack.call("RegisterFunction", event)
    # Then the answer is 503 with Retry-After, never 500, and no e-mail leaves
    assert response.status == 503
    assert response.body["code"] == "service_unavailable"
    assert response.headers["Retry-After"] == "1"
    assert stack.deliver() == []
