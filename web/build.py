"""make web: the parents' pages into web/dist — each page in the shared
layout, with bootstrap-italia's stylesheet and fonts from node_modules (a
pinned npm package, no CDN), our script and stylesheet.

CHIAVE_API_URL (default `/v1`) is where the pages call the API: on their
own origin, as `make run` serves it and as CloudFront routes it on AWS."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sys
from pathlib import Path

WEB = Path(__file__).resolve().parent
SOURCE = WEB / "src"
DIST = WEB / "dist"
ITALIA = WEB / "node_modules" / "bootstrap-italia" / "dist"

# page -> (source fragment, Italian title); the English title is in chiave.js.
PAGES = {
    "index": ("index", "Registrati"),
    "password-dimenticata": ("password-dimenticata", "Password dimenticata?"),
    "attiva": ("link", "Attiva le credenziali"),
    "recupera": ("link", "Ripristino credenziali"),
    "conferma-email": ("conferma-email", "Conferma dell'indirizzo e-mail"),
    "modifica": ("modifica", "Modifica del tuo account"),
    "codice-temporaneo": ("codice-temporaneo", "Hai un codice temporaneo?"),
    "pin": ("pin", "PIN per il registro"),
    "accedi": ("accedi", "Entra nel registro"),
    "profilo": ("profilo", "Il tuo profilo"),
    "privacy": ("privacy", "Informativa privacy"),
    "accessibilita": ("accessibilita", "Dichiarazione di accessibilità"),
}


def _included(html: str) -> str:
    """`<!-- include: name -->` replaced by src/parts/name.html (a part several pages share)."""
    return re.sub(
        r"<!-- include: ([a-z-]+) -->\n",
        lambda found: (SOURCE / "parts" / f"{found.group(1)}.html").read_text("utf-8"),
        html,
    )


def build(api: str) -> None:
    if not ITALIA.is_dir():
        sys.exit("web/node_modules is missing: run `make web` (npm ci in web/)")
    shutil.rmtree(DIST, ignore_errors=True)
    (DIST / "assets" / "fonts").mkdir(parents=True)
    layout = (SOURCE / "layout.html").read_text("utf-8")
    for page, (fragment, title) in PAGES.items():
        body = _included((SOURCE / "pages" / f"{fragment}.html").read_text("utf-8"))
        html = (
            layout.replace("{{api}}", api)
            .replace("{{page}}", page)
            .replace("{{title}}", title)
            .replace("{{body}}", body)
        )
        (DIST / f"{page}.html").write_text(html, "utf-8")
    shutil.copy(ITALIA / "css" / "bootstrap-italia.min.css", DIST / "assets")
    for font in (ITALIA / "fonts" / "Titillium_Web").glob("*.woff2"):
        shutil.copy(font, DIST / "assets" / "fonts")
    shutil.copy(SOURCE / "chiave.css", DIST / "assets")
    script = (SOURCE / "chiave.js").read_text("utf-8")
    (DIST / "assets" / "chiave.js").write_text(script.replace(PROBLEMS_MARK, _problems(), 1), "utf-8")


# Where chiave.js receives the API's problem texts in both languages, so a
# problem on screen is said again in the other language when the parent
# switches. Derived from the one catalogue (chiave/api/messages.py).
PROBLEMS_MARK = "/* problems: web/build.py */ {}"
MESSAGES = WEB.parent / "layers" / "chiave" / "chiave" / "api" / "messages.py"


def _problems() -> str:
    # Loaded by its path: the catalogue needs nothing, the chiave package more.
    spec = importlib.util.spec_from_file_location("chiave_messages", MESSAGES)
    assert spec is not None and spec.loader is not None
    messages = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(messages)
    texts = {code: [m.detail_it, m.detail_en] for code, m in messages.CATALOGUE.items()}
    return json.dumps(texts, ensure_ascii=False, sort_keys=True)


if __name__ == "__main__":
    build(os.environ.get("CHIAVE_API_URL", "/v1"))
    print(f"built {len(PAGES)} pages into {DIST.relative_to(WEB.parent)}")
