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
.PHONY: help install test check format format-check lint typecheck pytest bench wix-emulator clean demo chromium
.PHONY: template-lint validate build deploy
.PHONY: chaos load soak eval large-export

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): requirements/runtime.txt requirements/dev.txt pyproject.toml $(wildcard local/*/__init__.py)
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip==25.3
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# The SAM translator (the rehearsal's transform) and cfn-lint pin pydantic to one minor version: their
# own venv, so they never decide the Lambda runtime's pydantic (requirements/sam-translator.txt).
TRANSLATOR := $(VENV)/tools/sam-translator
TRANSLATOR_STAMP := $(TRANSLATOR)/.installed
# Wix's official JavaScript SDK, exact versions (local/wix_sdk_check/package-lock.json), for the test
# that runs it against the emulator (tests/integration/test_wix_sdk_contract.py); npm ci, once.
WIX_SDK := $(VENV)/tools/wix-sdk
WIX_SDK_STAMP := $(WIX_SDK)/.installed
INSTALLED := $(STAMP) $(TRANSLATOR_STAMP) $(WIX_SDK_STAMP)

$(TRANSLATOR_STAMP): requirements/sam-translator.txt | $(STAMP)
	rm -rf $(TRANSLATOR) && mkdir -p $(dir $(TRANSLATOR))
	$(PY) -m venv $(TRANSLATOR)
	$(TRANSLATOR)/bin/pip install --quiet --disable-pip-version-check -r requirements/sam-translator.txt
	touch $@

$(WIX_SDK_STAMP): local/wix_sdk_check/package.json local/wix_sdk_check/package-lock.json | $(STAMP)
	rm -rf $(WIX_SDK) && mkdir -p $(WIX_SDK)
	cp local/wix_sdk_check/package.json local/wix_sdk_check/package-lock.json $(WIX_SDK)/
	npm ci --prefix $(WIX_SDK) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

install: $(INSTALLED)  ## create .venv (pinned dependencies, this project editable), the translator's venv and the pinned Wix SDK

# Debian's Chromium for the browser tests (tests/browser: Playwright for Python drives it headless
# through CHROMIUM, never a browser Playwright downloads). Installed with apt-get when missing; the stamp
# records its version. apt-get update first, so a stale package list never names a version that is gone;
# no recommended packages (udev, upower, printer tools) but the fonts a screenshot of a page needs.
CHROMIUM ?= /usr/bin/chromium
CHROMIUM_STAMP := $(VENV)/.chromium
CHROMIUM_LOG := $(VENV)/chromium-install.log

$(CHROMIUM):
	@mkdir -p $(VENV)
	@if [ "$$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null; then sudo=sudo; \
	else echo "$@ is missing and installing Debian's chromium needs root or sudo: run 'apt-get install chromium' as root, then make test" >&2; exit 1; fi; \
	command -v apt-get >/dev/null || { echo "$@ is missing and there is no apt-get: install Chromium there (or set CHROMIUM=/path/to/chromium), then make test" >&2; exit 1; }; \
	echo "Installing Debian's chromium with apt-get (log: $(CHROMIUM_LOG))"; \
	{ $$sudo apt-get -o DPkg::Lock::Timeout=300 -qq update && $$sudo env DEBIAN_FRONTEND=noninteractive \
	  apt-get -o DPkg::Lock::Timeout=300 -qq -y install --no-install-recommends chromium fonts-liberation; } >$(CHROMIUM_LOG) 2>&1 \
	|| { tail -n 20 $(CHROMIUM_LOG) >&2; echo "apt-get could not install chromium (log: $(CHROMIUM_LOG))" >&2; exit 1; }
	@test -x $@ || { echo "chromium is installed but $@ is still missing (CHROMIUM=$@?)" >&2; exit 1; }

$(CHROMIUM_STAMP): $(CHROMIUM)
	@mkdir -p $(VENV)
	timeout 60 $(CHROMIUM) --version >$@

chromium: $(CHROMIUM_STAMP)  ## install Debian's Chromium for the browser tests (tests/browser) unless it is there

test: check pytest  ## everything CI checks: format, lint, types, template lint, tests

check: format-check lint typecheck template-lint  ## static checks only

format:  $(STAMP)  ## rewrite files with the formatter
	$(BIN)/ruff format $(SRC)
	$(BIN)/ruff check --fix $(SRC)

format-check: $(STAMP)
	$(BIN)/ruff format --check $(SRC)

lint: $(STAMP)
	$(BIN)/ruff check $(SRC)

typecheck: $(STAMP)
	$(BIN)/mypy $(SRC)

pytest: $(INSTALLED) $(CHROMIUM_STAMP)
	CHROMIUM=$(CHROMIUM) $(BIN)/pytest

bench: $(INSTALLED)  ## speed and memory benchmarks (prints numbers)
	$(BIN)/python -m benchmarks

# A generated export past Wix's 10 MB (docs/large-files.md), written where it is never committed.
ROWS ?= 1200000
OUT ?= /tmp/large-export.csv
large-export: $(STAMP)  ## write a generated export of ROWS rows (default 1200000, ~137 MB) to OUT (default /tmp/large-export.csv)
	$(BIN)/python -m benchmarks.generate --rows $(ROWS) --out $(OUT)

wix-emulator: $(STAMP)  ## run the Wix emulator on 127.0.0.1:$(WIX_EMULATOR_PORT)
	$(BIN)/wix-emulator --port $(WIX_EMULATOR_PORT)

# The whole pipeline on this machine (template.yaml in moto, the real handlers, the Wix emulator).
# Options: FILE=path.csv EMAIL_COLUMN=<name|index> POINTS_COLUMN=<name|index> DRY_RUN=1
# WIX_CALLS_PER_MINUTE=n (the stack's per-site Wix budget; a FILE past 10 MB gets 6000 unless set)
# UNDO=1: then drop the import's undo file (as loyalty-import undo does) and follow it too.
# ISOLATED=1: each function in its own process with only requirements/runtime.txt, as in Lambda.
demo: $(INSTALLED)  ## rehearse the pipeline locally on a sample (or FILE=...; APPROVE=1|'EMAIL=i,POINTS=j', REJECT=1 answer a review): no AWS account, Docker or network
	$(BIN)/python -m rehearsal $(if $(FILE),--file $(FILE)) $(if $(WIX_CALLS_PER_MINUTE),--wix-calls-per-minute $(WIX_CALLS_PER_MINUTE)) $(if $(EMAIL_COLUMN),--email-column $(EMAIL_COLUMN)) $(if $(POINTS_COLUMN),--points-column $(POINTS_COLUMN)) $(if $(DRY_RUN),--dry-run) $(if $(UNDO),--undo) $(if $(ISOLATED),--isolated) $(if $(APPROVE),--approve '$(APPROVE)') $(if $(REJECT),--reject)

# Faults, load and hostile input through the same rehearsal (see README "Proving it").
chaos: $(INSTALLED)  ## fault matrix on the local rehearsal: every Wix call x fault, AWS faults, kills; table + JSON line
	$(BIN)/python -m chaos

load: $(INSTALLED)  ## 100 files of mixed sizes over 3 Wix sites at once (200 calls/min each, realistic times): table + JSON line (LOAD_ARGS='--no-large ...')
	$(BIN)/python -m chaos.load $(LOAD_ARGS)

SEED ?= 11
soak: $(INSTALLED)  ## 300 files, faults of every kind (kills too) at random points, seeded (SEED=11); JSON line
	$(BIN)/python -m chaos.soak --seed $(SEED)

# The inspection's auto / review / refuse decisions against every labelled corpus (local/evaluation).
eval: $(INSTALLED)  ## score the inspection's decisions over every labelled corpus and adversarial variants; table + JSON line
	$(BIN)/python -m evaluation

# --- AWS: build, deploy, template checks -------------------------------------------------------
# SAM CLI and checkov pin their own versions of boto3, pydantic and friends, so each lives in its own
# venv under .venv/tools (created on first use) and never moves the pins of the dev venv.
TOOLS := $(VENV)/tools
SAM_CLI_VERSION := 1.170.0
CHECKOV_VERSION := 3.3.30
SAM_STAMP := $(TOOLS)/sam/.installed-$(SAM_CLI_VERSION)
CHECKOV_STAMP := $(TOOLS)/checkov/.installed-$(CHECKOV_VERSION)
# No telemetry, no colour codes in logs; checkov must not fetch its guideline mappings.
SAM := SAM_CLI_TELEMETRY=0 $(TOOLS)/sam/bin/sam
CHECKOV := BC_SKIP_MAPPING=TRUE $(TOOLS)/checkov/bin/checkov

$(SAM_STAMP):
	rm -rf $(TOOLS)/sam && mkdir -p $(TOOLS)
	$(PY) -m venv $(TOOLS)/sam
	$(TOOLS)/sam/bin/pip install --quiet --disable-pip-version-check aws-sam-cli==$(SAM_CLI_VERSION)
	touch $@

$(CHECKOV_STAMP):
	rm -rf $(TOOLS)/checkov && mkdir -p $(TOOLS)
	$(PY) -m venv $(TOOLS)/checkov
	$(TOOLS)/checkov/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	touch $@

template-lint: $(INSTALLED) $(CHECKOV_STAMP)  ## cfn-lint and checkov on template.yaml (skips are justified in place)
	$(TRANSLATOR)/bin/cfn-lint template.yaml
	$(CHECKOV) --file template.yaml --framework cloudformation --skip-download --compact --quiet

validate: $(SAM_STAMP)  ## sam validate --lint (offline)
	$(SAM) validate --lint --template template.yaml

# The layers and functions use SAM's makefile build: wheels for python3.13/arm64 picked by pip
# --platform, so no Docker and no local python3.13. PYTHON is the pip the dependencies layer runs.
build: $(SAM_STAMP) $(STAMP)  ## build the Lambda artifacts into .aws-sam/build (no Docker needed), then check the layers
	PYTHON=$(abspath $(TOOLS)/sam/bin/python) $(SAM) build --template template.yaml
	$(BIN)/python -m layer_check .aws-sam/build

# First deploy: --guided asks for the stack name, region and parameters and writes samconfig.toml
# (kept out of git: it holds account-specific choices); later deploys reuse it.
deploy: build  ## deploy to AWS with SAM (guided the first time)
	if [ -f samconfig.toml ]; then $(SAM) deploy; else $(SAM) deploy --guided --capabilities CAPABILITY_IAM; fi

clean:  ## remove the virtualenv and build output
	rm -rf $(VENV) .aws-sam build .mypy_cache .ruff_cache
