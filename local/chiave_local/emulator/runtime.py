"""Run the template's functions in this process, as Lambda would: the
handler the template names, the environment the template gives it, a
Lambda context. Invocations are serialised because the environment is
process-wide."""

from __future__ import annotations

import importlib.util
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

from chiave_local.emulator import template as tpl
from chiave_local.emulator.resources import ACCOUNT_ID, Deployment


class FifoLock:
    """A lock taken in the order it was asked for. Invocations are serialised
    (the environment is process-wide); with threading.Lock a burst of API
    requests could starve the outbox poller for minutes."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._waiting: deque[threading.Event] = deque()

    def __enter__(self) -> None:
        turn = threading.Event()
        with self._guard:
            self._waiting.append(turn)
            if len(self._waiting) == 1:
                turn.set()
        turn.wait()

    def __exit__(self, *_: object) -> None:
        with self._guard:
            self._waiting.popleft()
            if self._waiting:
                self._waiting[0].set()


_lock = FifoLock()
_modules: dict[str, ModuleType] = {}


@dataclass
class LambdaContext:
    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"
    deadline: float = 0.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def lambda_context(spec: tpl.FunctionSpec, region: str) -> LambdaContext:
    """The context of one invocation, its clock started now."""
    return LambdaContext(
        function_name=spec.logical_id,
        invoked_function_arn=f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{spec.logical_id}",
        memory_limit_in_mb=spec.memory_mb,
        aws_request_id=str(uuid.uuid4()),
        deadline=time.monotonic() + spec.timeout_s,
    )


def load_module(spec: tpl.FunctionSpec) -> ModuleType:
    """Import a function's handler module from its CodeUri, under a name of its own."""
    if spec.logical_id not in _modules:
        path = spec.code_dir / f"{spec.module.replace('.', '/')}.py"
        module_spec = importlib.util.spec_from_file_location(f"function_{spec.logical_id}", path)
        assert module_spec is not None and module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        _modules[spec.logical_id] = module
    return _modules[spec.logical_id]


def function_environment(spec: tpl.FunctionSpec, deployment: Deployment) -> dict[str, str]:
    resolved = deployment.resolve(spec.environment)
    variables = {
        **{name: str(value) for name, value in resolved.items()},
        "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id,
        "AWS_REGION": deployment.region,
        "AWS_DEFAULT_REGION": deployment.region,
    }
    if deployment.endpoint_url:
        variables["AWS_ENDPOINT_URL"] = deployment.endpoint_url
    return variables


@contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class Invoker(Protocol):
    """What runs the template's functions: in this process (Functions) or in
    containers of their own (chiave_local.emulator.containers)."""

    deployment: Deployment
    specs: dict[str, tpl.FunctionSpec]

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any: ...


class Functions:
    """The template's functions in this process, ready to invoke."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.specs = tpl.functions()
        # Lambda imports a handler inside its environment, before any event.
        for spec in self.specs.values():
            with _lock, environment(function_environment(spec, deployment)):
                load_module(spec)

    def handler(self, logical_id: str) -> Callable[[dict[str, Any], Any], Any]:
        spec = self.specs[logical_id]
        with _lock, environment(function_environment(spec, self.deployment)):
            handler: Callable[[dict[str, Any], Any], Any] = getattr(load_module(spec), spec.attribute)
        return handler

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        spec = self.specs[logical_id]
        with _lock, environment(function_environment(spec, self.deployment)):
            # The clock starts when the function runs, not while it waits for
            # the lock: on Lambda each invocation has a container of its own.
            context = lambda_context(spec, self.deployment.region)
            handler = getattr(load_module(spec), spec.attribute)
            return handler(event, context)
