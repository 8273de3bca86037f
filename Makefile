# Set-up and everyday commands. Each target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

UV := build/uv/bin/uv
UV_VERSION := 0.13.9

.PHONY: sample test lint format lock

sample: $(VENV)/.installed  ## ingest the bundled samples into out/ (Prefect ephemeral mode)
	$(BIN)/pressroom ingest data/samples --out out

test: $(VENV)/.installed  ## lint, then the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Exactly the versions of requirements.lock, then pressroom itself (editable, no other packages).
# `pip check` fails if pyproject.toml asks for something the lock lacks: run `make lock`.
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	touch $@

# Regenerate requirements.lock from pyproject.toml (the dev extra included) for Python 3.11.
# Pins already in the lock are kept where they still fit; `make lock LOCK_ARGS=--upgrade` takes
# the newest versions pyproject.toml allows.
lock: $(UV)
	$(UV) pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--custom-compile-command 'make lock' --quiet $(LOCK_ARGS) -o requirements.lock

$(UV):  # uv in a tool environment of its own, never in $(VENV)
	$(PYTHON) -m venv build/uv
	build/uv/bin/python -m pip install --quiet uv==$(UV_VERSION)
