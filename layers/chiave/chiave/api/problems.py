"""RFC 9457 problem documents, in the language the request asked for."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from chiave.api.messages import CATALOGUE
from chiave.runtime.faults import RETRY_AFTER_S

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


# Problems a client should retry carry Retry-After (header and field), also
# when API Gateway itself answers (template.yaml's GatewayResponses).
DEFAULT_RETRY_AFTER_S = {"service_unavailable": RETRY_AFTER_S, "rate_limited": 1}


def problem(code: str, language: str, extra: dict[str, Any] | None = None) -> tuple[int, dict[str, str], str]:
    """(status, headers, body) of the problem document for `code`."""
    extra = dict(extra or {})
    retry_after = extra.setdefault("retry_after", DEFAULT_RETRY_AFTER_S.get(code))
    if retry_after is None:
        del extra["retry_after"]
    # A code from the authenticator app is not an SMS: its own wording where there is one.
    message = CATALOGUE.get(f"{code}.{extra.get('otp_method')}") or CATALOGUE[code]
    english = language == "en"
    document: dict[str, Any] = {
        "type": f"urn:chiave:problem:{code}",
        "title": message.title_en if english else message.title_it,
        "status": message.status,
        "detail": message.detail_en if english else message.detail_it,
        "code": code,
        **extra,
    }
    headers = {"Content-Type": PROBLEM_CONTENT_TYPE, "Content-Language": language}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return message.status, headers, json.dumps(document, ensure_ascii=False)


FIELD_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("campo obbligatorio", "required field"),
    "extra_forbidden": ("campo non previsto", "unexpected field"),
    "string_type": ("deve essere un testo", "must be a string"),
    "string_too_short": ("non può essere vuoto", "must not be empty"),
    "string_too_long": ("troppo lungo", "too long"),
    "string_pattern_mismatch": ("formato non valido", "invalid format"),
    "value_error": ("contiene caratteri non ammessi", "contains characters that are not allowed"),
    "string_unicode": ("contiene caratteri non ammessi", "contains characters that are not allowed"),
    "model_attributes_type": ("deve essere un oggetto JSON", "must be a JSON object"),
}


def field_errors(issues: Iterable[Mapping[str, Any]], language: str) -> list[dict[str, str]]:
    """Each invalid field and what is wrong with it, in the reader's language;
    never the value (it may be a password)."""
    fields = []
    for issue in issues:
        italian, english = FIELD_MESSAGES.get(issue.get("type", ""), ("valore non valido", "invalid value"))
        location = ".".join(str(part) for part in issue.get("loc", ()))
        fields.append({"field": location, "message": english if language == "en" else italian})
    return fields
