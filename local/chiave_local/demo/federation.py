"""The local SPID/CIE federation beside the stack (`make run`):
local/federation/serve.py, on spid-cie-oidc in a virtual environment of its
own (.venv-federation: it pins pydantic 1 and Django < 5). It serves a trust
anchor and a SPID and a CIE provider on a loopback port; Chiave's
intermediate names that anchor as its superior and is onboarded there once
the stack answers."""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
APP = ROOT / "local" / "federation" / "serve.py"
PYTHON = ROOT / ".venv-federation" / "bin" / "python"
START_TIMEOUT_S = 60.0
ONBOARD_PATIENCE_S = 60.0


class Unavailable(Exception):
    """The federation's virtual environment is missing; the message says how to make it."""


class LocalFederation:
    def __init__(
        self, process: subprocess.Popen[str], workdir: tempfile.TemporaryDirectory[str], base: str
    ) -> None:
        self.process = process
        self.workdir = workdir
        self.base = base
        self.pinned: dict[str, Any] = json.loads((Path(workdir.name) / "federation.json").read_text())

    @property
    def trust_anchor(self) -> str:
        return str(self.pinned["trust_anchor"])

    @classmethod
    def start(cls) -> LocalFederation:
        if not PYTHON.exists():
            raise Unavailable("the local federation needs .venv-federation (make run makes it)")
        workdir = tempfile.TemporaryDirectory(prefix="chiave-federation-")
        process = subprocess.Popen(  # noqa: S603 - our own script, in our own virtual environment
            [str(PYTHON), str(APP), "--dir", workdir.name],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        first = process.stdout.readline()
        if not first.startswith("listening on "):
            process.kill()
            rest = process.stdout.read()[-2000:]
            raise Unavailable(f"the local federation did not start: {first.strip()} {rest}")
        threading.Thread(target=process.stdout.read, daemon=True).start()
        return cls(process, workdir, f"http://127.0.0.1:{int(first.split()[-1])}")

    def onboard(self, subject: str) -> dict[str, Any]:
        """As the anchor's operator would: the intermediate's keys recorded below the anchor.
        Tried again for a minute: the stack's first statement may come from a cold container
        on a busy machine."""
        url = f"{self.base}/_local/onboard?sub={subject}"
        deadline = time.monotonic() + ONBOARD_PATIENCE_S
        while True:
            request = urllib.request.Request(url, method="POST")  # noqa: S310 - loopback
            try:
                with urllib.request.urlopen(request, timeout=ONBOARD_PATIENCE_S) as answer:  # noqa: S310
                    onboarded: dict[str, Any] = json.loads(answer.read())
                return onboarded
            except urllib.error.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.workdir.cleanup()
