"""The local stack runs each function as Lambda runs it: in containers of its
own, with only its own environment and module state, several at once."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest

from chiave_local.emulator import template as tpl
from chiave_local.emulator.containers import ContainerFunctions, InvocationFailed
from chiave_local.emulator.resources import Deployment

ECHO = tpl.FunctionSpec(
    logical_id="EchoFunction",
    code_dir=Path(__file__).parent / "containers",
    module="echo",
    attribute="handler",
    environment={"ONLY_MINE": "echo", "TABLE_NAME": {"Ref": "Table"}},
    routes=(),
    queue_sources=(),
    timeout_s=7,
)


@pytest.fixture
def functions():
    deployment = Deployment("http://127.0.0.1:1", "eu-south-1", "test", refs={"Table": "the-table"})
    specs = {
        "EchoFunction": ECHO,
        "OtherFunction": replace(ECHO, logical_id="OtherFunction", environment={"ONLY_OTHER": "x"}),
    }
    running = ContainerFunctions(deployment, pool_size=2, specs=specs)
    yield running
    running.stop()


def test_a_container_sees_only_its_function_s_environment(functions):
    names = ["ONLY_MINE", "ONLY_OTHER", "TABLE_NAME", "AWS_LAMBDA_FUNCTION_NAME"]
    echo = functions.invoke("EchoFunction", {"names": names})
    other = functions.invoke("OtherFunction", {"names": names})
    assert echo["environment"] == {
        "ONLY_MINE": "echo",
        "ONLY_OTHER": None,
        "TABLE_NAME": "the-table",
        "AWS_LAMBDA_FUNCTION_NAME": "EchoFunction",
    }
    assert other["environment"]["ONLY_MINE"] is None and other["environment"]["ONLY_OTHER"] == "x"
    assert echo["pid"] != other["pid"]
    assert 6000 < echo["remaining_ms"] <= 7000  # the function's own timeout


def test_a_warm_container_keeps_its_module_state(functions):
    # One at a time, a function reuses its warm container
    first = functions.invoke("EchoFunction", {})
    second = functions.invoke("EchoFunction", {})
    assert first["pid"] == second["pid"]
    assert (first["invocations"], second["invocations"]) == (1, 2)


def test_invocations_run_at_once_in_containers_of_their_own(functions):
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(functions.invoke("EchoFunction", {"sleep": 0.5})))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({result["pid"] for result in results}) == 2


def test_a_function_error_is_reported_and_the_container_stays(functions):
    with pytest.raises(InvocationFailed):
        functions.invoke("EchoFunction", {"sleep": "not a number"})
    assert functions.invoke("EchoFunction", {})["invocations"] >= 1
