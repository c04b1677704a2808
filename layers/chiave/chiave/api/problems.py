"""RFC 9457 problem documents, in the language the request asked for."""

from __future__ import annotations

import json
from typing import Any

from chiave.messages import CATALOGUE

PROBLEM_CONTENT_TYPE = "application/problem+json"


def negotiate_language(accept_language: str | None) -> str:
    """`en` when the client prefers English over Italian; Italian otherwise."""
    best, best_q = "it", 0.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in ("it", "en") and quality > best_q:
            best, best_q = primary, quality
    return best


def problem(code: str, language: str, extra: dict[str, Any] | None = None) -> tuple[int, dict[str, str], str]:
    """(status, headers, body) of the problem document for `code`."""
    message = CATALOGUE[code]
    english = language == "en"
    document: dict[str, Any] = {
        "type": f"urn:chiave:problem:{code}",
        "title": message.title_en if english else message.title_it,
        "status": message.status,
        "detail": message.detail_en if english else message.detail_it,
        "code": code,
        **(extra or {}),
    }
    headers = {"Content-Type": PROBLEM_CONTENT_TYPE, "Content-Language": language}
    return message.status, headers, json.dumps(document, ensure_ascii=False)
