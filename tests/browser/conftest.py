"""Browser tier: the parents' pages in Debian's Chromium, driven by
Playwright, against a local stack of its own (`python -m chiave_local`, the
pages web/build.py built), on a phone-sized screen. Screenshots of every
page and state go to test-output/screenshots/ (not committed)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from chiave_local.demo import seed
from tests.e2e.conftest import LocalStack, running_stack, start_stack, stop_stack

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "test-output" / "screenshots"
SCHOOL = "RMIC817009"
# The demo register's callback: openid-client exchanges the code and reads userinfo before
# its page answers; on a busy test machine that outlasts Playwright's 5 s default.
REGISTER_EXCHANGE_MS = 20_000
# Two browser workers beside the rest of the suite on a 2-CPU machine: an API answer a parent
# would get in a second can take several; an expectation waits this long before it fails.
expect.set_options(timeout=15_000)
# Phone first: most parents open the link on a phone.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# Chromium's background connections would only be refused on this closed network.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PARENTS = seed.generated_codes(22, "BRW")
# The portal's second school, where the last parent is in the anagrafica too.
SECOND_SCHOOL = "RMIC81800X"


def parent_email(index: int) -> str:
    return f"genitore{index}@example.it"


def parent_mobile(index: int) -> str:
    return f"+39333555{index:04d}"


def demo_register_serving(*schools: str) -> dict[str, Any]:
    """The console event that has the demo register's client serve these schools."""
    return {
        "operator": "ops@example.it",
        "client": seed.DEMO_CLIENT,
        "reason": "Le scuole servite dal registro dimostrativo",
        "schools": list(schools),
    }


@pytest.fixture(scope="session")
def portal() -> Iterator[LocalStack]:
    """A stack whose school has the default policy and a dozen parents with a mobile each."""
    if not (ROOT / "web" / "dist" / "index.html").is_file() or not AXE.is_file():
        pytest.fail("the pages are not built: run `make web`")
    rows = ["scuola;codice_fiscale;cognome;nome;email;cellulare;ruolo"] + [
        f"{SCHOOL};{cf};Genitore;Numero{i};{parent_email(i)};{parent_mobile(i)};genitore"
        for i, cf in enumerate(PARENTS)
    ]
    last = len(PARENTS) - 1
    rows.append(
        f"{SECOND_SCHOOL};{PARENTS[last]};Genitore;Numero{last};{parent_email(last)};{parent_mobile(last)};genitore"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as anagrafica:
        anagrafica.write("\n".join(rows) + "\n")
    process, stack, printed = start_stack("--seed", anagrafica.name)
    if stack is None:
        process.kill()
        pytest.fail(f"the local stack did not start:\n{printed}")
    # The demo register serves the first school only; a test of both says so itself.
    assert stack.post("/_local/invoke/ConfigureClientFunction", demo_register_serving(SCHOOL)).json["ok"]
    yield stack
    stop_stack(process)
    os.unlink(anagrafica.name)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make browser` (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def federated_portal() -> Iterator[LocalStack]:
    """`make run`'s stack: the demo school and, beside it, the local SPID/CIE federation."""
    yield from running_stack("--federation")


@pytest.fixture
def page(browser: Browser, portal: LocalStack) -> Iterator[Page]:
    # bypass_csp: only so that axe-core can be injected; the pages' own CSP is checked by header.
    context = browser.new_context(base_url=portal.base_url, bypass_csp=True, locale="it-IT", **PHONE)
    opened = context.new_page()
    yield opened
    context.close()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of the page as it is now (WCAG 2.1 A and AA)."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]][:3]}
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


# Each visible field's lower boundary and its size, with the contrast of that
# boundary against the background behind it (WCAG 1.4.11: at least 3:1).
_FIELDS_SEEN = """() => {
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const linear = [r, g, b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
  };
  const behind = (element) => {
    for (let node = element.parentElement; node; node = node.parentElement) {
      const color = rgb(getComputedStyle(node).backgroundColor);
      if (color.length === 3 || color[3] > 0) return color.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const fields = [...document.querySelectorAll("input, select, textarea")].filter((field) => {
    const box = field.getBoundingClientRect();
    const shown = box.width > 0 && box.height > 0 && getComputedStyle(field).visibility !== "hidden";
    return shown && !field.hidden && !["hidden", "checkbox"].includes(field.type);
  });
  return fields.map((field) => {
    const style = getComputedStyle(field);
    const box = field.getBoundingClientRect();
    const sides = ["Bottom", "Top", "Left", "Right"]
      .filter((side) => parseFloat(style[`border${side}Width`]) >= 1);
    const contrasts = sides.map((side) => {
      const [a, b] = [luminance(rgb(style[`border${side}Color`])), luminance(behind(field))];
      return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    });
    return { id: field.id, width: box.width, height: box.height, contrast: Math.max(0, ...contrasts) };
  });
}"""


def fields_seen(page: Page) -> list[dict[str, Any]]:
    """The visible fields whose boundary a parent cannot see, or that are too small to use."""
    fields = page.evaluate(_FIELDS_SEEN)
    return [field for field in fields if field["contrast"] < 3 or field["height"] < 24 or field["width"] < 44]


def look(page: Page, name: str) -> None:
    """A screenshot for the reviewer, no serious or critical accessibility
    violation, and every visible field with a boundary a parent can see."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert axe_violations(page) == [], name
    assert fields_seen(page) == [], name
