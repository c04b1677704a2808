"""docs/REFERENCE.md, generated (`make openapi` writes it with
docs/openapi.json): the per-school policy keys with their defaults and
bounds (chiave.policy), every problem code the API answers
(chiave.api.messages), and the anagrafica CSV format (chiave.italian.anagrafica). A
test keeps the committed file equal to what this renders."""

from __future__ import annotations

from typing import Any

from chiave.api.messages import CATALOGUE
from chiave.domain import Role
from chiave.italian import anagrafica
from chiave.policy import Policy
from chiave_local.emulator import template as tpl

REFERENCE_PATH = tpl.ROOT / "docs" / "REFERENCE.md"


def _bound(field: Any, kind: str) -> str:
    for rule in field.metadata:
        value = getattr(rule, kind, None)
        if value is not None:
            return f"{value:,}" if isinstance(value, int) else str(value)
    return ""


def _default(name: str) -> str:
    value = getattr(Policy(), name)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def render() -> str:
    lines = [
        "# Reference: policy keys, problem codes, the anagrafica file",
        "",
        "Generated from the code (`make openapi`; `local/chiave_local/docgen/reference.py`). The HTTP",
        "contract, route by route, is `docs/openapi.json` (Swagger UI at `/docs` under `make run`).",
        "Times: every `*_s` key and every `expires_in`, `resend_after`, `retry_after` is in",
        "seconds; `expires_at` is a Unix time (seconds since 1970-01-01 UTC).",
        "",
        "## Per-school policy",
        "",
        "A school's item holds only what differs from these defaults; an override outside",
        "its bounds is refused with the key named, never clamped (`POLICY` for `make run`:",
        "a JSON object, school id → overrides).",
        "",
        "| key | default | min | max | what |",
        "|---|---|---:|---:|---|",
    ]
    for name, field in Policy.model_fields.items():
        bounds = f"{_bound(field, 'ge')} | {_bound(field, 'le')}"
        lines.append(f"| `{name}` | {_default(name)} | {bounds} | {field.description} |")
    lines += [
        "",
        "## Problem codes",
        "",
        "Every error is an RFC 9457 problem document (`application/problem+json`) with a stable",
        "`code`; the text is Italian, English with `Accept-Language: en`.",
        "",
        "| code | status | Italian | English |",
        "|---|---:|---|---|",
    ]
    for code, message in CATALOGUE.items():
        lines.append(f"| `{code}` | {message.status} | {message.detail_it} | {message.detail_en} |")
    roles = ", ".join(f"`{role.value}`" for role in Role)
    lines += [
        "",
        "## The anagrafica file",
        "",
        "UTF-8, `;`-separated, one header line, then one person per line:",
        "",
        "```",
        ";".join(anagrafica.HEADER) + "[;" + ";".join(anagrafica.OPTIONAL) + "]",
        "```",
        "",
        f"- `scuola`: the school's codice meccanografico; `ruolo`: one of {roles};",
        "- `codice_fiscale`: checked, check character included (omocodia letters allowed);",
        "- `email`: optional, checked (email-validator); `cellulare`: optional, a mobile number,",
        "  Italian without `+39` or international with its prefix (phonenumberslite);",
        "- `classe`: optional (e.g. `1A`), for inviting by class.",
        "",
        "`make run SEED=file.csv` loads one; on AWS a school drops it in the import bucket",
        "(docs/OPS.md), and a report says what happened to each line.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    REFERENCE_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {REFERENCE_PATH.relative_to(tpl.ROOT)}")


if __name__ == "__main__":
    main()
