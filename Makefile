# Chiave - one virtual environment, made here, holds everything the project
# needs; every target installs it first, so a fresh clone needs only Python.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000
CONTAINERS ?= 4
SEED ?=
POLICY ?=
TRUST_ANCHOR ?=
PYTEST_WORKERS ?= 2

.PHONY: help install run test unit integration e2e lint openapi bench load build web browser clean

help:
	@echo "make run    - the whole API on http://127.0.0.1:$(PORT) over moto (PORT, SEED, POLICY, CONTAINERS, TRUST_ANCHOR)"
	@echo "make test   - every test (unit, integration, end to end)"
	@echo "make lint   - ruff, mypy, cfn-lint, checkov"
	@echo "make bench  - AWS calls per flow, timing parity, cold starts on demand and SnapStart (docs/PERFORMANCE.md)"
	@echo "make load   - 20,000 people, 200 parents at once for 30 s, on 127.0.0.1 (LOAD_CLIENTS, LOAD_SECONDS)"
	@echo "make web    - the parents' pages into web/dist (npm ci: bootstrap-italia, axe-core)"
	@echo "make build  - the pages, then sam build (no Docker)"
	@echo "make openapi - regenerate docs/openapi.json"

$(STAMP): pyproject.toml layers/chiave/requirements.txt requirements-lambda-runtime.txt requirements-dev.txt functions/notify/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The parents' pages: npm ci fetches the pinned bootstrap-italia and
# axe-core (web/package-lock.json) from the npm registry, once.
WEB_STAMP := web/dist/.built
$(WEB_STAMP): web/package-lock.json web/build.py layers/chiave/chiave/api/messages.py $(wildcard web/src/*) $(wildcard web/src/pages/*) $(wildcard web/src/parts/*)
	@echo "npm ci in web/: bootstrap-italia and axe-core, pinned by web/package-lock.json"
	cd web && npm ci --no-audit --no-fund --loglevel=error
	$(PYTHON) web/build.py
	touch $(WEB_STAMP)

web: $(WEB_STAMP)

# The demo register (/_local/registro): openid-client, pinned by local/registro/package-lock.json.
REGISTRO_STAMP := local/registro/node_modules/.installed
$(REGISTRO_STAMP): local/registro/package-lock.json
	cd local/registro && npm ci --no-audit --no-fund --loglevel=error
	touch $(REGISTRO_STAMP)

# The browser tests drive Debian's chromium (Playwright's own download is
# not reachable here): installed with apt when run as root, else one line says how.
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "apt-get install chromium (Debian's, for the browser tests)"; \
	    (apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || \
	     (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null)); \
	  else echo "The browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; fi; }

# The local SPID/CIE federation (spid-cie-oidc pins pydantic 1 and Django < 5): a virtual environment of its own.
FEDERATION_VENV := .venv-federation
FEDERATION_STAMP := $(FEDERATION_VENV)/.installed
$(FEDERATION_STAMP): local/federation/requirements.txt
	test -x $(FEDERATION_VENV)/bin/python || $(PYTHON) -m venv $(FEDERATION_VENV)
	$(FEDERATION_VENV)/bin/python -m pip install --quiet -r local/federation/requirements.txt
	touch $(FEDERATION_STAMP)

run: $(STAMP) $(WEB_STAMP) $(REGISTRO_STAMP) $(FEDERATION_STAMP)
	$(BIN)/python -m chiave_local --federation --port $(PORT) --containers $(CONTAINERS) $(if $(SEED),--seed $(SEED)) $(if $(POLICY),--policy $(POLICY)) $(if $(TRUST_ANCHOR),--trust-anchor $(TRUST_ANCHOR))

test: $(STAMP) $(WEB_STAMP) $(REGISTRO_STAMP) $(FEDERATION_STAMP) browser
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup tests

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration

e2e: $(STAMP)
	$(BIN)/python -m pytest tests/e2e

CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30

$(CHECKOV_VENV)/bin/checkov:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)

# checkov has its own virtual environment: its pins would fight the project's.
lint: $(STAMP) $(CHECKOV_VENV)/bin/checkov
	$(BIN)/ruff check .
	$(BIN)/ruff format --check layers local functions tests bench
	$(BIN)/mypy
	for handler in functions/*/app.py; do $(BIN)/mypy "$$handler" || exit 1; done
	$(BIN)/cfn-lint template.yaml edge-waf.yaml
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml --quiet --compact --skip-download --framework cloudformation --file template.yaml --file edge-waf.yaml

openapi: $(STAMP)
	$(BIN)/python -m chiave_local.docgen.openapi

# Cold starts are measured under the Lambda runtime's Python (python3.13)
# when the machine has one, in a virtual environment holding what Lambda
# would: the layer's requirements and the runtime's own libraries.
# The first python3.13 on the PATH that runs (a pyenv shim without that version does not).
LAMBDA_PYTHON ?= $(firstword $(foreach candidate,$(shell which -a python3.13 2>/dev/null),$(shell "$(candidate)" -c "import sys; sys.exit(sys.version_info[:2] != (3, 13))" 2>/dev/null && echo "$(candidate)")))
LAMBDA_VENV := .venv-lambda
LAMBDA_STAMP := $(LAMBDA_VENV)/.installed

$(LAMBDA_STAMP): layers/chiave/requirements.txt requirements-lambda-runtime.txt functions/notify/requirements.txt
	test -x $(LAMBDA_VENV)/bin/python || $(LAMBDA_PYTHON) -m venv $(LAMBDA_VENV)
	$(LAMBDA_VENV)/bin/python -m pip install --quiet -r layers/chiave/requirements.txt -r requirements-lambda-runtime.txt -r functions/notify/requirements.txt
	touch $(LAMBDA_STAMP)

bench: $(STAMP) $(if $(LAMBDA_PYTHON),$(LAMBDA_STAMP))
	@test -n "$(LAMBDA_PYTHON)" || echo "no python3.13 that runs on the PATH: cold starts measured under $(BIN)/python"
	BENCH_PYTHON=$(if $(LAMBDA_PYTHON),$(LAMBDA_VENV)/bin/python,$(BIN)/python) $(BIN)/python -m bench

load: $(STAMP)
	$(BIN)/python -m bench.load

SAM_VENV := .venv-sam
build: $(WEB_STAMP)
	@test -x $(SAM_VENV)/bin/sam || echo "downloading aws-sam-cli from PyPI into $(SAM_VENV) (once)"
	test -x $(SAM_VENV)/bin/sam || ($(PYTHON) -m venv $(SAM_VENV) && $(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli)
	PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" sam build

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) $(LAMBDA_VENV) $(FEDERATION_VENV) .aws-sam .mypy_cache .ruff_cache .pytest_cache
