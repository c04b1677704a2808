"""Trust chains over real HTTP: a federation (tests/federation.py) served on
127.0.0.1, resolved through chiave.federation.fetching; and every way a
federation's server fails, each reported as what it is: unreachable (try
again later) or refused (the answer is no statement)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chiave.federation import fetching
from chiave.federation.trust_chain import Anchor, ChainRefused, FederationUnreachable, resolve
from tests import federation as fed

NOW = int(time.time())
HOST = "127.0.0.1"


class Served:
    """What the server answers: the federation's statements, or a fault for one path."""

    def __init__(self) -> None:
        self.federation: fed.Federation | None = None
        self.fault: tuple[str, Any] | None = None  # (path, fault)
        self.base = ""


@pytest.fixture
def served() -> Iterator[Served]:
    state = Served()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if state.fault and self.path.startswith(state.fault[0]):
                kind = state.fault[1]
                if kind == "slow":
                    time.sleep(1.0)
                status, body = {"500": (500, b"boom"), "404": (404, b"{}"), "json": (200, b"{not json")}.get(
                    kind, (200, b"x" * (fetching.MAX_STATEMENT_BYTES + 10))
                )
            else:
                try:
                    status, body = 200, state.federation.fetch(f"{state.base}{self.path}")  # type: ignore[union-attr]
                except LookupError:
                    status, body = 404, b""
            self.send_response(status)
            self.send_header("Content-Type", "application/entity-statement+jwt")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer((HOST, 0), Handler)
    state.base = f"http://{HOST}:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


def _local_federation(base: str) -> tuple[fed.Federation, str, Anchor]:
    """The anchor and a SPID provider, both at the served address (paths tell them apart)."""
    anchor, provider = f"{base}/ta", f"{base}/op"
    federation = fed.Federation(NOW)
    entity = {"federation_entity": {"federation_fetch_endpoint": f"{anchor}/fetch"}}
    federation.entity(anchor, [], entity)
    federation.entity(
        provider,
        [anchor],
        {"openid_provider": fed.provider_metadata(provider)},
        trust_marks=[federation.trust_mark(provider, issuer=anchor, mark_type=fed.SPID_MARK)],
    )
    federation.vouch(anchor, provider)
    return federation, provider, Anchor(anchor, fed.jwks(anchor))


def test_a_chain_resolves_over_http(served):
    federation, provider, anchor = _local_federation(served.base)
    served.federation = federation
    chain = resolve(fetching.fetch, provider, anchor, NOW, required_marks=(fed.SPID_MARK,))
    assert chain.metadata["issuer"] == provider and len(chain.statements) == 2


@pytest.mark.parametrize(
    ("fault", "raised"),
    [
        ("slow", FederationUnreachable),  # a timeout
        ("500", FederationUnreachable),
        ("404", ChainRefused),
        ("json", ChainRefused),  # bad JSON: no statement
        ("huge", ChainRefused),
    ],
)
@pytest.mark.parametrize("where", ["/op/.well-known", "/ta/.well-known", "/ta/fetch"])
def test_a_failing_federation_server_is_reported_as_what_it_is(served, monkeypatch, fault, raised, where):
    monkeypatch.setattr(fetching, "TIMEOUT_S", 0.3)
    federation, provider, anchor = _local_federation(served.base)
    served.federation, served.fault = federation, (where, fault)
    with pytest.raises(raised):
        resolve(fetching.fetch, provider, anchor, NOW, required_marks=(fed.SPID_MARK,))


def test_only_https_or_the_loopback_is_fetched():
    with pytest.raises(ChainRefused):
        fetching.fetch("http://provider.example/.well-known/openid-federation")
