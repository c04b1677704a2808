"""python serve.py --dir DIR [--port N]: the local federation on 127.0.0.1.

Migrates a fresh SQLite database in DIR, seeds the trust anchor and the two
providers, writes what a relying party pins to DIR/federation.json, prints
`listening on PORT`, and serves. `POST /_local/onboard?sub=<entity id>`
onboards an intermediate (Chiave's) below the anchor."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0)
    arguments = parser.parse_args()
    arguments.dir.mkdir(parents=True, exist_ok=True)
    server = make_server(
        "127.0.0.1", arguments.port, None, server_class=ThreadingServer, handler_class=QuietHandler
    )
    base = f"http://127.0.0.1:{server.server_port}"
    os.environ.update(
        {
            "FEDERATION_BASE": base,
            "FEDERATION_DIR": str(arguments.dir),
            "DJANGO_SETTINGS_MODULE": "federation_local.settings",
        }
    )
    sys.path.insert(0, str(Path(__file__).parent))
    (arguments.dir / "federation.sqlite3").unlink(missing_ok=True)

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.core.wsgi import get_wsgi_application
    from federation_local import seed

    pinned = seed.seed(base)
    (arguments.dir / "federation.json").write_text(seed.as_json(pinned))
    django_app = get_wsgi_application()

    def application(environ, start_response):  # type: ignore[no-untyped-def]
        if environ["PATH_INFO"] == "/_local/onboard" and environ["REQUEST_METHOD"] == "POST":
            subject = parse_qs(environ.get("QUERY_STRING", "")).get("sub", [""])[0]
            body = json.dumps(seed.onboard(subject)).encode()
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return django_app(environ, start_response)

    server.set_app(application)
    print(f"listening on {server.server_port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
