# The two commands: `make demo` and `make test`. Everything else is set up by them.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test lint typecheck unit demo sandbox-personio sandbox-leapsome bench readme clean

venv: $(STAMP)

$(STAMP): requirements-dev.txt tap-personio/pyproject.toml target-leapsome/pyproject.toml personio-webhooks/pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -e ./tap-personio -e ./target-leapsome \
		-e ./personio-webhooks
	touch $(STAMP)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy tap-personio/tap_personio target-leapsome/target_leapsome personio-webhooks/personio_webhooks sandbox harness demo bench contracts

unit: venv
	$(BIN)/pytest -q

test: lint typecheck unit

demo: venv
	$(BIN)/python -m demo

sandbox-personio: venv
	$(BIN)/python -m sandbox personio --port 8765 --employees 300 --realistic

sandbox-leapsome: venv
	$(BIN)/python -m sandbox leapsome --port 8766 --max-text-length 255

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .meltano .demo
readme:
	$(BIN)/python -m harness.readme
