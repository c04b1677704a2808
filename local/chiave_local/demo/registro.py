"""The demo register at /_local/registro: local/registro/server.mjs, a
relying party written with openid-client and run by Node, started on first
use on a loopback port of its own and served through the stack's origin."""

from __future__ import annotations

import http.client
import shutil
import subprocess
import threading
from pathlib import Path

PREFIX = "/_local/registro"
APP = Path(__file__).resolve().parents[2] / "registro"
START_TIMEOUT_S = 15.0
PROXY_TIMEOUT_S = 30.0
# What a browser sends that the register reads, and what it answers that the browser needs.
_FORWARDED = ("Cookie", "Content-Type", "Accept-Language")
_RETURNED = ("Location", "Set-Cookie", "Cache-Control", "Content-Security-Policy")


class Unavailable(Exception):
    """Node or the register's packages are missing; the message says how to install them."""


class DemoRegister:
    def __init__(self, issuer: str, base_url: str, client: dict[str, str]) -> None:
        self.environment = {
            "CHIAVE_ISSUER": issuer,
            "REGISTRO_BASE": f"{base_url}{PREFIX}",
            "REGISTRO_CLIENT_ID": client["client_id"],
            "REGISTRO_CLIENT_SECRET": client["client_secret"],
        }
        self._process: subprocess.Popen[str] | None = None
        self._port = 0
        self._lock = threading.Lock()

    def port(self) -> int:
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start()
            return self._port

    def _start(self) -> None:
        node = shutil.which("node")
        if node is None or not (APP / "node_modules" / "openid-client").is_dir():
            raise Unavailable("the demo register needs Node and `npm ci` in local/registro (by make run)")
        self._process = subprocess.Popen(  # noqa: S603 - our own script, by Node found on PATH
            [node, str(APP / "server.mjs")],
            env={"PATH": "/usr/bin:/bin", **self.environment},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self._process.stdout is not None
        first = self._process.stdout.readline()
        if not first.startswith("listening on "):
            self._process.kill()
            raise Unavailable(f"the demo register did not start: {first.strip()}")
        self._port = int(first.split()[-1])
        # Its errors stay readable on the stack's console; the pipe never fills.
        threading.Thread(target=_echo, args=(self._process.stdout,), daemon=True).start()

    def forward(
        self, method: str, path_and_query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, bytes, dict[str, str]]:
        """The register's answer to this request: status, content type, body, headers."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port(), timeout=PROXY_TIMEOUT_S)
        try:
            sent = {name: headers[name] for name in _FORWARDED if name in headers}
            connection.request(method, path_and_query, body=body or None, headers=sent)
            answer = connection.getresponse()
            data = answer.read()
            returned = {name: answer.getheader(name) for name in _RETURNED if answer.getheader(name)}
            content_type = answer.getheader("Content-Type", "text/plain")
            return answer.status, content_type, data, {k: v for k, v in returned.items() if v}
        finally:
            connection.close()

    def stop(self) -> None:
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.terminate()
                self._process.wait(timeout=5)


def _echo(stream) -> None:  # type: ignore[no-untyped-def]
    for line in stream:
        print(f"registro: {line}", end="", flush=True)
