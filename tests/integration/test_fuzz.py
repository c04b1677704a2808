"""Any body at all: never a 5xx (property-based)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = st.sampled_from(["codice_fiscale", "identifier", "token", "new_password", "school"])
BODIES = st.one_of(
    JSON_VALUES.map(json.dumps),
    st.dictionaries(FIELDS, JSON_VALUES, max_size=3).map(json.dumps),
    # Raw text, lone surrogates and control characters included.
    st.text(st.characters(exclude_categories=()), max_size=200),
)
SAMPLES = st.sampled_from(
    [
        ("RegisterFunction", "register"),
        ("RequestResetFunction", "request_reset"),
        ("ConfirmResetFunction", "confirm_reset"),
        ("FlowStatusFunction", "flow_status"),
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sample=SAMPLES, body=BODIES)
def test_no_body_gets_a_server_error(stack, load_event, sample, body):
    function_id, name = sample
    response = stack.call(function_id, load_event(name, raw_body=body))
    assert response.status < 500, (body, response.raw)
    if response.status >= 400:
        assert response.headers["Content-Type"] == "application/problem+json"
