# orgops: `make demo` runs the main job on an emulated organization, `make test` runs every test.
# Both create their own virtualenvs. Only `fmt` writes files; `lint` is read-only.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
TOOLS ?= .venv-tools
NODE_TOOLS ?= .node-tools
NPM ?= npm
PY := $(VENV)/bin/python
ARGS ?=
TF_DIR ?= terraform
# Every Terraform folder: the modules (modules/orgops is the composition), this repository's root,
# and the example root of a user's own operations.
TF_FMT_DIRS := modules terraform examples

.PHONY: help venv tools node-tools browser c7n-venv test test-fast lint fmt docs package demo bench emulator run plan apply validate clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("orgops needs Python 3.11+, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# checkov pins an old boto3, so the static-analysis tools live in their own virtualenv.
$(TOOLS)/.installed: tools-requirements.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet -r tools-requirements.txt
	touch $@

# AWS's ASL language service and asl-validator, pinned by tools/asl/package-lock.json, installed
# with the machine's Node.js and npm into a folder of their own (as .venv-tools is for checkov).
$(NODE_TOOLS)/.installed: tools/asl/package.json tools/asl/package-lock.json
	@command -v node >/dev/null || { echo 'the ASL validators need Node.js 20 and npm (apt-get install nodejs npm)'; exit 2; }
	mkdir -p $(NODE_TOOLS)
	cp tools/asl/package.json tools/asl/package-lock.json $(NODE_TOOLS)/
	$(NPM) ci --prefix $(NODE_TOOLS) --no-audit --no-fund --loglevel=error
	touch $@

venv: $(VENV)/.installed ## create the project virtualenv (.venv)

tools: $(TOOLS)/.installed ## create the tools virtualenv (.venv-tools: checkov, cfn-lint, policy_sentry, terraform fmt, provider schema)

node-tools: $(NODE_TOOLS)/.installed ## install the ASL validators (.node-tools: amazon-states-language-service, asl-validator)

# Headless Chromium for the HTML report's test (tests/cli/test_report_html_browser.py): Debian's
# chromium package, installed with apt-get only when no chromium is on the PATH (sudo when not root).
BROWSER_MISSING := the HTML report's test needs Chromium in headless mode: install Debian's chromium package (apt-get install chromium) and run make test again

browser: ## install Debian's chromium (apt-get, sudo when not root) for the HTML report's test, when it is missing
	@command -v chromium >/dev/null && exit 0; \
	command -v apt-get >/dev/null || { echo "no apt-get here: $(BROWSER_MISSING)"; exit 2; }; \
	sudo=; if [ "$$(id -u)" != 0 ]; then command -v sudo >/dev/null || { echo "not root and no sudo: $(BROWSER_MISSING)"; exit 2; }; sudo=sudo; fi; \
	echo "installing Debian's chromium with apt-get (for the HTML report's test)"; \
	$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
		|| { echo "apt-get could not install chromium: $(BROWSER_MISSING)"; exit 2; }; \
	command -v chromium >/dev/null || { echo "chromium is still not on the PATH: $(BROWSER_MISSING)"; exit 2; }

test: $(VENV)/.installed $(TOOLS)/.installed $(NODE_TOOLS)/.installed package browser ## run every test (unit, handlers, e2e, terraform, AWS's validators)
	ORGOPS_TOOLS_VENV=$(TOOLS) ORGOPS_NODE_TOOLS=$(NODE_TOOLS) $(PY) -m pytest $(ARGS)

test-fast: $(VENV)/.installed ## the unit and handler tests only (pure logic and moto; no tools, no emulator)
	$(PY) -m pytest tests/unit tests/handlers $(ARGS)

lint: $(VENV)/.installed $(TOOLS)/.installed ## ruff check, ruff format --check, mypy (runtime and CLI), terraform fmt -check, module READMEs current, mkdocs build --strict (read-only)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	for d in $(TF_FMT_DIRS); do $(TOOLS)/bin/terraform fmt -check -recursive $$d || exit 1; done
	$(PY) tools/module_docs.py --check
	NO_MKDOCS_2_WARNING=1 $(TOOLS)/bin/mkdocs build --strict --site-dir $$(mktemp -d)

fmt: $(VENV)/.installed $(TOOLS)/.installed ## format Python and Terraform in place, rewrite the modules' Inputs/Outputs tables
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	for d in $(TF_FMT_DIRS); do $(TOOLS)/bin/terraform fmt -recursive $$d; done
	$(PY) tools/module_docs.py --write

docs: $(TOOLS)/.installed ## serve the documentation site (docs/, mkdocs.yml) on http://127.0.0.1:8000, rebuilt on every change
	NO_MKDOCS_2_WARNING=1 $(TOOLS)/bin/mkdocs serve

package: $(VENV)/.installed ## build dist/orgops.zip (reproducible); OPERATIONS=DIR adds your own operations (a layer)
	$(PY) build.py $(if $(OPERATIONS),--operations-path $(OPERATIONS))

demo: $(VENV)/.installed ## run every operation on an emulated organization; reports in ./reports
	ORGOPS_NODE_TOOLS=$(NODE_TOOLS) $(PY) -m orgops.emulator.demo $(ARGS)

emulator: $(VENV)/.installed ## serve the emulated AWS endpoint with orgops deployed (Ctrl-C stops)
	ORGOPS_NODE_TOOLS=$(NODE_TOOLS) $(VENV)/bin/orgops emulator $(ARGS)

run: $(VENV)/.installed ## run an operation's state machine: make run OP=public-ips ARGS="--regions eu-west-1"
	@test -n "$(OP)" || { echo 'usage: make run OP=<operation> [ARGS="--regions eu-west-1 --apply ..."]; operations: orgops list'; exit 2; }
	$(VENV)/bin/orgops run $(OP) $(ARGS)

# c7n-org (and the c7n it pins) for the side by side in `make bench`, never in .venv: benchmarks/peer.py.
c7n-venv: $(VENV)/.installed ## c7n-org's own virtualenv (.venv-c7n) for the side by side in `make bench`
	$(PY) -c 'from benchmarks.peer import ensure_c7n_venv; print(ensure_c7n_venv())'

bench: $(VENV)/.installed ## payload, history, cost, wall-time and c7n-org side-by-side benchmark -> benchmarks/results.md
	$(PY) -m benchmarks.bench $(ARGS)

plan: package ## terraform plan (needs the AWS provider and credentials)
	cd $(TF_DIR) && terraform init && terraform plan $(ARGS)

apply: package ## terraform apply (needs the AWS provider and credentials)
	cd $(TF_DIR) && terraform init && terraform apply $(ARGS)

validate: package ## terraform validate + terraform test with mocked providers (needs the AWS provider: not possible offline)
	cd $(TF_DIR) && terraform init -backend=false && terraform validate && terraform test

clean: ## remove virtualenvs, build output and reports
	rm -rf $(VENV) $(TOOLS) $(NODE_TOOLS) .venv-c7n dist reports .pytest_cache .ruff_cache
