"""Start-up: what a container does once (chiave/runtime/coldstart.py), on demand
and under SnapStart, where many containers resume from one snapshot."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

from snapshot_restore_py import get_after_restore, get_before_snapshot

from chiave.api import models
from chiave.credentials import tokens
from chiave.runtime import aws
from chiave_local.emulator import template
from chiave_local.emulator.calls import recording

ROOT = Path(__file__).resolve().parents[2]


def _run_hooks(registry):
    for hook, args, kwargs in registry:
        hook(*args, **kwargs)


def _snapshot():
    """What Lambda does once, when it publishes a version."""
    _run_hooks(get_before_snapshot())


def _restore():
    """What Lambda does in each container it resumes from the snapshot."""
    _run_hooks(get_after_restore())


def test_before_the_snapshot_clients_and_validators_are_built(stack):
    # Given a container whose modules have loaded and made nothing yet
    aws.reset_clients()
    # When Lambda takes the snapshot
    with stack.env():
        _snapshot()
    # Then every client the functions use exists, and every body model is built
    assert {client.meta.service_model.service_name for client in aws.clients()} == {
        "dynamodb",
        "sqs",
        "kms",
        "sesv2",
        "sns",
        "secretsmanager",
    }
    assert all(model.__pydantic_complete__ for model in models.Body.__subclasses__())


def test_the_snapshot_holds_no_secret_and_calls_nothing(stack):
    # Given a container about to be snapshotted
    with stack.env(), recording() as calls:
        # When Lambda takes the snapshot
        _snapshot()
    # Then no AWS call was made: no data key is in the snapshot's memory
    assert calls == []
    assert tokens.data_key.cache_info().currsize == 0


def test_containers_resumed_from_one_snapshot_draw_different_retry_pauses():
    # Given the random state a snapshot holds
    state = random.getstate()
    draws = []
    for _ in range(2):
        # When two containers resume from it
        random.setstate(state)
        _restore()
        draws.append([random.random() for _ in range(4)])
    # Then their jitter differs
    assert draws[0] != draws[1]


def test_containers_resumed_from_one_snapshot_seal_links_with_keys_of_their_own(stack):
    with stack.env():
        key_id = stack.deployment.refs["OutboxKey"]
        # Given a container that made its data key (as an invocation before the snapshot would)
        before = tokens.data_key(key_id)
        # When it is resumed from a snapshot
        _restore()
        # Then it makes a new one
        assert tokens.data_key(key_id).plaintext != before.plaintext


def test_a_container_resumed_from_the_snapshot_serves_with_the_clients_made_before_it(stack, load_event):
    # Given clients made before the snapshot
    aws.reset_clients()
    with stack.env():
        _snapshot()
    made = dict(aws.creation_times)
    # When a resumed container registers a parent
    _restore()
    response = stack.call(
        "RegisterFunction", load_event("register", body={"codice_fiscale": "BNCLCU79S05F205Y"})
    )
    # Then it answers and the link arrives, and no client was made again
    assert response.status == 202
    assert re.search(r"#token=[A-Za-z0-9_-]{43}", stack.deliver()[-1]["text"])
    assert aws.creation_times == made


def _start_in_a_fresh_interpreter(function_id: str, environment: dict[str, str]) -> dict[str, object]:
    spec = template.functions()[function_id]
    probe = (
        "import gc, importlib.util, json, sys\n"
        "import chiave\n"
        "paused = not gc.isenabled()\n"
        f"spec = importlib.util.spec_from_file_location('app', {str(spec.code_dir / 'app.py')!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "print(json.dumps({'paused_while_loading': paused, 'enabled_after': gc.isenabled(),"
        " 'frozen': gc.get_freeze_count()}))\n"
    )
    variables = {name: value for name, value in os.environ.items() if name != "AWS_LAMBDA_FUNCTION_NAME"}
    variables |= {
        "TABLE_NAME": "t",
        "OUTBOX_QUEUE_URL": "q",
        "OUTBOX_KEY_ID": "k",
        "AWS_DEFAULT_REGION": "eu-south-1",
    }
    variables |= environment
    answer = subprocess.run(
        [sys.executable, "-c", probe], env=variables, capture_output=True, text=True, check=True
    )
    return json.loads(answer.stdout)


def test_on_lambda_the_collector_rests_while_a_function_loads_then_keeps_what_it_built():
    # Given a Lambda container (its function name is in the environment)
    for function_id in ("RegisterFunction", "NotifyFunction"):
        # When the function module loads
        started = _start_in_a_fresh_interpreter(function_id, {"AWS_LAMBDA_FUNCTION_NAME": function_id})
        # Then the collector was off meanwhile, and is on again with what loading built frozen
        assert started == {"paused_while_loading": True, "enabled_after": True, "frozen": started["frozen"]}
        assert started["frozen"] > 10_000


def test_elsewhere_importing_chiave_leaves_the_collector_alone():
    # Given a process that is not a Lambda container (tests, the local stack's tools)
    # When a function module loads
    started = _start_in_a_fresh_interpreter("RegisterFunction", {})
    # Then the collector was never paused and nothing was frozen
    assert started == {"paused_while_loading": False, "enabled_after": True, "frozen": 0}
