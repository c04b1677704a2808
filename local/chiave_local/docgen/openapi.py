"""The OpenAPI document, derived from the functions' own resolvers: each
API function contributes its paths; the API's stage is the base URL, and the
sign-in's endpoints are at the origin's root (CloudFront routes /oidc/* to
their own API)."""

from __future__ import annotations

import json
from typing import Any

from chiave_local.emulator import template as tpl
from chiave_local.emulator.runtime import load_module

OPENAPI_PATH = tpl.ROOT / "docs" / "openapi.json"


def build() -> dict[str, Any]:
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Chiave",
            "version": "1.0.0",
            "description": "Credentials for Italian school registers. Errors are RFC 9457 "
            "problem documents, Italian by default, English with `Accept-Language: en`; on the "
            "sign-in's endpoints (/oidc/*) they are OAuth's `{error, error_description}`.",
        },
        "servers": [{"url": f"/{tpl.api_stage()}"}],
        "paths": {},
        "components": {"schemas": {}},
    }
    for spec in sorted(tpl.functions().values(), key=lambda s: s.logical_id):
        if not spec.routes:
            continue
        schema = (
            load_module(spec)
            .app.get_openapi_schema()
            .model_dump(mode="json", by_alias=True, exclude_none=True)
        )
        provider = any(route.provider for route in spec.routes)
        for path, item in schema.get("paths", {}).items():
            document["paths"].setdefault(path, {}).update(item)
            if provider:  # /oidc/token, not /v1/oidc/token
                document["paths"][path]["servers"] = [{"url": "/"}]
        document["components"]["schemas"].update(schema.get("components", {}).get("schemas", {}))
    document["paths"] = dict(sorted(document["paths"].items()))
    document["components"]["schemas"] = dict(sorted(_used(document).items()))
    return document


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {str(node["$ref"]).rsplit("/", 1)[-1]} if "$ref" in node else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


def _used(document: dict[str, Any]) -> dict[str, Any]:
    """The schemas the paths reach, directly or through other schemas:
    Powertools' own validation-error schemas, which no route answers, go."""
    schemas = document["components"]["schemas"]
    reached: set[str] = set()
    pending = _refs(document["paths"])
    while pending:
        name = pending.pop()
        if name in reached or name not in schemas:
            continue
        reached.add(name)
        pending |= _refs(schemas[name])
    return {name: schema for name, schema in schemas.items() if name in reached}


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def main() -> None:
    from chiave_local.docgen import reference

    OPENAPI_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {OPENAPI_PATH.relative_to(tpl.ROOT)}")
    reference.main()


if __name__ == "__main__":
    main()
