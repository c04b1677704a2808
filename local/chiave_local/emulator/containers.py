"""The template's functions in processes of their own, as Lambda runs them:
each container imports its function under only that function's environment,
keeps its own module state (clients, caches, Powertools' idempotency) and
serves one invocation at a time; a function gets up to POOL_SIZE containers
(`make run CONTAINERS=32`, as Lambda scales out), started on first use (a
real cold start, locally) and kept warm. Different functions, and several
containers of one, run at the same time, so races happen for real.

The local stack (`make run`, the end-to-end tests, `make load`) uses this;
the integration tests invoke in-process (chiave_local.emulator.runtime), where moto is
in-process too.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import traceback
from multiprocessing.connection import Connection
from typing import Any

from chiave_local.emulator import template as tpl
from chiave_local.emulator.resources import Deployment
from chiave_local.emulator.runtime import function_environment, lambda_context, load_module

POOL_SIZE = 4
_SPAWN = multiprocessing.get_context("spawn")


class InvocationFailed(Exception):
    """The function raised (Lambda would report a function error)."""


def _serve(spec: tpl.FunctionSpec, environment: dict[str, str], region: str, connection: Connection) -> None:
    """A container's life: take the function's environment, import it, then
    serve invocations until told to stop."""
    os.environ.update(environment)
    handler = getattr(load_module(spec), spec.attribute)
    while True:
        event = connection.recv()
        if event is None:
            return
        try:
            connection.send(("result", handler(event, lambda_context(spec, region))))
        except Exception:
            connection.send(("error", traceback.format_exc()))


class Container:
    def __init__(self, spec: tpl.FunctionSpec, deployment: Deployment) -> None:
        self.connection, child = _SPAWN.Pipe()
        environment = {**_aws_credentials(), **function_environment(spec, deployment)}
        self.process = _SPAWN.Process(
            target=_serve,
            args=(spec, environment, deployment.region, child),
            name=f"container-{spec.logical_id}",
            daemon=True,
        )
        self.process.start()
        child.close()

    def invoke(self, event: dict[str, Any]) -> Any:
        self.connection.send(event)
        kind, value = self.connection.recv()
        if kind == "error":
            raise InvocationFailed(value)
        return value

    def stop(self) -> None:
        with contextlib.suppress(OSError):  # already gone
            self.connection.send(None)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()


def _aws_credentials() -> dict[str, str]:
    names = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION")
    return {name: os.environ[name] for name in names if name in os.environ}


class ContainerFunctions:
    """The template's functions, each in a pool of containers (same interface
    as chiave_local.emulator.runtime.Functions)."""

    def __init__(
        self,
        deployment: Deployment,
        pool_size: int = POOL_SIZE,
        specs: dict[str, tpl.FunctionSpec] | None = None,
    ) -> None:
        self.deployment = deployment
        self.specs = tpl.functions() if specs is None else specs
        self.pool_size = pool_size
        self._idle: dict[str, list[Container]] = {name: [] for name in self.specs}
        self._started: dict[str, list[Container]] = {name: [] for name in self.specs}
        self._changed = threading.Condition()

    def _take(self, logical_id: str) -> Container:
        with self._changed:
            while True:
                if self._idle[logical_id]:
                    return self._idle[logical_id].pop()
                if len(self._started[logical_id]) < self.pool_size:
                    container = Container(self.specs[logical_id], self.deployment)
                    self._started[logical_id].append(container)
                    return container
                self._changed.wait()

    def _give_back(self, logical_id: str, container: Container) -> None:
        with self._changed:
            self._idle[logical_id].append(container)
            self._changed.notify_all()  # waiters of every function share it

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        container = self._take(logical_id)
        try:
            result = container.invoke(event)
        except (EOFError, OSError) as error:  # the container died: Lambda replaces it
            with self._changed:
                self._started[logical_id].remove(container)
                self._changed.notify_all()  # waiters of every function share it
            container.stop()
            raise InvocationFailed(f"{logical_id} container exited") from error
        except InvocationFailed:
            self._give_back(logical_id, container)
            raise
        self._give_back(logical_id, container)
        return result

    def stop(self) -> None:
        with self._changed:
            containers = [c for started in self._started.values() for c in started]
        for container in containers:
            container.stop()
