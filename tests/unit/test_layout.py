"""The code's shape, kept: a newcomer goes from functions/X to the layer
module named X, and DynamoDB's errors stay inside chiave.store."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "chiave" / "chiave"
FUNCTIONS = sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py"))
# Where a function's module of the same name may live.
HOMES = ("flows", "jobs", "oidc")
# Modules that say what happens in domain words: no AWS SDK errors in them.
DOMAIN_GROUPS = ("flows", "jobs", "steps", "credentials")


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _module_of(function: str) -> str | None:
    """The layer module or package named for the function, if there is one."""
    if (PACKAGE / function / "__init__.py").exists():
        return f"chiave.{function}"
    for home in HOMES:
        if (PACKAGE / home / f"{function}.py").exists():
            return f"chiave.{home}.{function}"
    return None


def test_there_are_functions_to_check():
    assert len(FUNCTIONS) >= 20


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_has_a_layer_module_of_its_name_and_imports_it(function):
    # Given a function folder
    # When its layer module is looked for by name
    module = _module_of(function)
    # Then there is one, and the handler imports it
    assert module is not None, (
        f"functions/{function} has no chiave.flows.{function}, .jobs.{function}, .oidc.{function} or package"
    )
    imported = _imported(ROOT / "functions" / function / "app.py")
    assert any(name == module or name.startswith(module + ".") for name in imported), (
        f"functions/{function}/app.py does not import {module}"
    )


DOMAIN_MODULES = sorted(
    str(path.relative_to(PACKAGE)) for group in DOMAIN_GROUPS for path in (PACKAGE / group).glob("*.py")
)


@pytest.mark.parametrize("module", DOMAIN_MODULES)
def test_no_flow_job_or_credentials_module_touches_botocore(module):
    # Given a flow, job, step or credentials module
    path = PACKAGE / module
    # When its imports and names are read
    imported = _imported(path)
    names = {node.id for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Name)}
    # Then none is botocore's, and no AWS error is caught by name
    assert not [name for name in imported if name.split(".")[0] == "botocore"], module
    assert not names & {"ClientError", "BotoCoreError"}, module


def test_the_package_root_holds_few_modules():
    # Given the layer's package root
    loose = sorted(path.name for path in PACKAGE.glob("*.py") if path.name != "__init__.py")
    # Then its modules are grouped into folders, a handful left at the root
    assert len(loose) <= 6, loose
