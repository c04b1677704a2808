"""The parents' pages and the local mailbox, as `make run` serves them at
the demo school's portal URL (http://127.0.0.1:3000/): the pages web/build.py
built (web/dist), with the headers CloudFront's policy sets on AWS, and
`/_local/mailbox`, every e-mail and SMS of the outbox, newest first, with
clickable links."""

from __future__ import annotations

import html
import importlib.util
import re
from pathlib import Path
from typing import Any

DIST = Path(__file__).resolve().parents[3] / "web" / "dist"


# The pages web/build.py builds (its PAGES), by path, as CloudFront's
# function maps them: "/" to index.html, "/x" to x.html.
def _page_names() -> list[str]:
    spec = importlib.util.spec_from_file_location("web_build", DIST.parent / "build.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return list(build.PAGES)


PAGES = {("/" if name == "index" else f"/{name}"): name for name in _page_names()}
_TYPES = {".css": "text/css", ".js": "text/javascript", ".woff2": "font/woff2"}
# The same policy as the template's CloudFront response headers (template.yaml, PortalHeaders).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
NOT_BUILT = b"Pagine non costruite: esegui `make web` (the pages are not built: run `make web`)."
_TOKEN = re.compile(r"#token=([A-Za-z0-9_-]{20,})")
_LINK = re.compile(r"https?://[^\s<>\"]+")


def page(path: str) -> tuple[str, bytes] | None:
    """(content type, body) of a page or asset; None when there is none."""
    if path in PAGES:
        target = DIST / f"{PAGES[path]}.html"
        content_type = "text/html; charset=utf-8"
    elif path.startswith("/assets/") and ".." not in path:
        target = DIST / path.lstrip("/")
        content_type = _TYPES.get(target.suffix, "application/octet-stream")
    else:
        return None
    if not target.is_file():
        if path in PAGES and not DIST.is_dir():
            return "text/plain; charset=utf-8", NOT_BUILT
        return None
    return content_type, target.read_bytes()


def with_tokens(outbox: dict[str, list[dict[str, Any]]], to: str | None, last: int | None) -> dict[str, Any]:
    """The outbox as SPEC §4 has it, each e-mail with the link token it
    carries (`token`, or null); with `to`, only what went there; with
    `last`, only the newest `last` of each kind."""
    emails = [{**mail, "token": _token(mail)} for mail in outbox["emails"]]
    sms = list(outbox["sms"])
    if to:
        emails = [mail for mail in emails if mail["to"] == to]
        sms = [text for text in sms if text["to"] == to]
    if last is not None:
        emails, sms = emails[len(emails) - last :] if last else [], sms[len(sms) - last :] if last else []
    return {"emails": emails, "sms": sms}


# What the samples in events/ hold where a live link's token goes.
TOKEN_PLACEHOLDER = "REPLACE-WITH-THE-TOKEN-FROM-THE-E-MAIL-LINK"  # noqa: S105 - a placeholder, not a secret


def newest_link(outbox: dict[str, list[dict[str, Any]]]) -> dict[str, Any] | None:
    """The newest e-mail that carries a link, with its `token`; None before any."""
    linked = [mail for mail in with_tokens(outbox, None, None)["emails"] if mail["token"]]
    return linked[-1] if linked else None


def _token(mail: dict[str, Any]) -> str | None:
    found = _TOKEN.search(mail.get("text", ""))
    return found.group(1) if found else None


def _linked(text: str) -> str:
    """Plain text as HTML, its addresses clickable."""
    escaped = html.escape(text)
    return _LINK.sub(lambda found: f'<a href="{found.group(0)}">{found.group(0)}</a>', escaped)


def _attachments(attachments: list[dict[str, Any]]) -> str:
    """Each attachment as a link that saves it (the adhesion form's PDF)."""
    if not attachments:
        return ""
    links = "".join(
        f'<li><a download="{html.escape(item["filename"])}" '
        f'href="data:{html.escape(item["content_type"])};base64,{item["base64"]}">'
        f"{html.escape(item['filename'])}</a> ({item['size'] // 1024} KB)</li>"
        for item in attachments
    )
    return f'<p class="to">Allegati (attachments):</p><ul class="attachments">{links}</ul>'


def mailbox(outbox: dict[str, list[dict[str, Any]]]) -> bytes:
    """Every e-mail and SMS, newest first: the text with its links, the HTML as sent."""
    items = []
    for mail in reversed(outbox["emails"]):
        items.append(
            '<article class="mail">'
            f"<h2>{html.escape(mail['subject'])}</h2>"
            f'<p class="to">A / to: {html.escape(mail["to"])}</p>'
            f'<div class="text">{_linked(mail["text"])}</div>'
            f"{_attachments(mail.get('attachments', []))}"
            "<details><summary>HTML</summary>"
            f'<iframe title="HTML" sandbox srcdoc="{html.escape(mail.get("html", ""))}"></iframe></details>'
            "</article>"
        )
    for text in reversed(outbox["sms"]):
        items.append(
            f'<article class="sms"><h2>SMS</h2><p class="to">A / to: {html.escape(text["to"])}</p>'
            f'<div class="text">{html.escape(text["text"])}</div></article>'
        )
    body = "".join(items) or "<p>Nessun messaggio (no messages yet).</p>"
    return (
        '<!doctype html><html lang="it"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Posta locale · Local mailbox</title><style>"
        "body{font-family:sans-serif;max-width:50rem;margin:1rem auto;padding:0 1rem}"
        "article{border:1px solid #ccc;border-radius:4px;padding:.5rem 1rem;margin:1rem 0}"
        ".text{white-space:pre-wrap;overflow-wrap:anywhere}iframe{width:100%;height:20rem;border:0}"
        "</style></head><body><h1>Posta locale (local mailbox)</h1>"
        f"<p>E-mail e SMS dell'outbox, dal più recente (newest first).</p>{body}</body></html>"
    ).encode()
