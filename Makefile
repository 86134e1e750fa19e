# The one entry point. `make demo` and `make test` set up everything they need into .venv.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Only folders that hold Python yet (mypy refuses an empty one).
SRC = $(foreach d,layers/shared local functions tests benchmarks,$(if $(shell find $(d) -name '*.py' 2>/dev/null | head -1),$(d)))
WIX_EMULATOR_PORT ?= 8765

.DEFAULT_GOAL := help
.PHONY: help install test check format format-check lint typecheck pytest bench wix-emulator clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): requirements/runtime.txt requirements/dev.txt pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip==25.3
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

install: $(STAMP)  ## create .venv with the pinned dependencies and this project (editable)

test: check pytest  ## everything CI checks: format, lint, types, template lint, tests

check: format-check lint typecheck  ## static checks only

format:  $(STAMP)  ## rewrite files with the formatter
	$(BIN)/ruff format $(SRC)
	$(BIN)/ruff check --fix $(SRC)

format-check: $(STAMP)
	$(BIN)/ruff format --check $(SRC)

lint: $(STAMP)
	$(BIN)/ruff check $(SRC)

typecheck: $(STAMP)
	$(BIN)/mypy $(SRC)

pytest: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)  ## speed and memory benchmarks (prints numbers)
	$(BIN)/python -m benchmarks

wix-emulator: $(STAMP)  ## run the Wix emulator on 127.0.0.1:$(WIX_EMULATOR_PORT)
	$(BIN)/wix-emulator --port $(WIX_EMULATOR_PORT)

clean:  ## remove the virtualenv and build output
	rm -rf $(VENV) .aws-sam build .mypy_cache .ruff_cache
