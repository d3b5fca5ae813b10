# ITC — Invoice Transactions Collector. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
# import roots: repository (scripts), the shared package, and each module's lambdas/ folder
IMPORT_ROOTS := $(CURDIR) $(CURDIR)/common/itc_common_utilities $(wildcard $(CURDIR)/terraform_modules/*/lambdas)

.PHONY: help venv db-up db-down stack-up stack-down migrate combined-sql env-table docs demo test lint fmt tf-fmt tf-docs tf-check tf-apply-local rehearse package lock bench clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(STAMP): requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "error: Python 3.11+ is required ($(PYTHON))"; exit 1; }
	@PYTHON=$(PYTHON) bash scripts/build/system_packages.sh venv
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	@touch $@

venv: $(STAMP) ## create .venv with every development and test dependency, and the `itc` command in it
	@purelib=$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'); \
	  printf '%s\n' $(IMPORT_ROOTS) > $$purelib/itc-repo.pth
	@printf '%s\n' '#!$(CURDIR)/$(PY)' '"""The itc command (python -m scripts.itc): written by make venv."""' \
	  'import sys' 'from scripts.itc.cli import main' 'sys.exit(main())' > $(VENV)/bin/itc && chmod +x $(VENV)/bin/itc
	@$(PY) -m scripts.build.compiled venv

db-up: venv ## start the embedded PostgreSQL 16 (under .local/) and print its DSN
	@$(PY) -m scripts.stack.local_pg start

db-down: venv ## stop the embedded PostgreSQL
	@$(PY) -m scripts.stack.local_pg stop

stack-up: venv ## start the local stack: embedded PostgreSQL, moto server, Quickbase simulator
	@$(PY) -m scripts.itc stack up

stack-down: venv ## stop the local stack
	@$(PY) -m scripts.itc stack down

migrate: venv ## apply the numbered SQL scripts to ITC_DATABASE_URL (default: the embedded database)
	@$(PY) -m scripts.itc migrate

combined-sql: venv ## regenerate terraform_modules/itc_data_warehouse/sql_scripts/combined.sql
	@$(PY) terraform_modules/itc_data_warehouse/sql_scripts/combine_sql_files.py

env-table: venv ## regenerate the environment-variable table of docs/CONTRACTS.md from the settings dataclasses
	@$(PY) scripts/build/env_table.py --write

docs: venv ## regenerate docs/data-dictionary.md from the SQL scripts (a fresh throw-away database)
	@$(PY) -m scripts.itc docs

demo: venv ## the main job end to end on the embedded stack; writes reports/
	@$(PY) -m scripts.itc demo

test: venv ## run every test (real PostgreSQL, moto, the Quickbase simulator); installs Chromium/PostgreSQL if missing
	@PYTHON=$(PYTHON) bash scripts/build/system_packages.sh test
	@$(PY) -m scripts.build.compiled venv --require
	@$(PY) -m pytest -q

lint: venv ## ruff over all Python; the env table of docs/CONTRACTS.md is fresh; zizmor and actionlint over .github/workflows
	@$(VENV)/bin/ruff check .
	@$(PY) scripts/build/env_table.py --check
	@PYTHON=$(PYTHON) bash scripts/build/workflow_lint.sh

fmt: venv ## format Python with ruff and Terraform with terraform fmt
	@$(VENV)/bin/ruff check --fix . ; $(VENV)/bin/ruff format .
	@terraform fmt -recursive terraform terraform_modules

tf-fmt: ## terraform fmt -check over every module and environment
	@terraform fmt -check -recursive terraform terraform_modules

tf-docs: venv ## regenerate each Terraform module's and environment's README inputs/outputs tables from its .tf files
	@$(PY) scripts/build/tf_docs.py

tf-check: venv ## fmt, init+validate every module and environment offline, checkov, state machine tests
	@bash scripts/build/tf_check.sh

tf-apply-local: venv ## build the zips with a stand-in CA, apply terraform/itc-beta to a local moto server, destroy it (timed)
	@$(PY) -m scripts.build.tf_apply_local

rehearse: venv ## a day of the deployed form: apply itc-beta to moto, run the applied state machines on the applied zips (python3.12, read-only /var/task + /opt), invoice = answer key, destroy (scripts/build/rehearse.py)
	@$(PY) -m scripts.build.rehearse

package: venv ## build the Lambda zips into dist/ (arm64, python3.12; the demand layer's compiled row builder cross-built); deployment: ITC_DEPLOYMENT_BUILD=1 ITC_RDS_CA_BUNDLE=<global-bundle.pem>
	@PYTHON=$(PYTHON) bash scripts/build/system_packages.sh package
	@$(PY) scripts/build/package_lambdas.py

lock: ## re-lock every Lambda's poetry.lock and export its hash-pinned requirements.lock.txt
	@$(PYTHON) scripts/build/lock_dependencies.py

bench: venv ## measure load, refresh, peers (server COPY, dlt), Verify+, scan, export, packages; write docs/bench/
	@$(PY) -m scripts.bench.load
	@LOG_LEVEL=WARNING $(PY) -m scripts.bench.verifyplus --records $${ITC_BENCH_VERIFYPLUS_RECORDS:-100000}
	@$(PY) -m scripts.bench.scan_extract --demands $${ITC_BENCH_SCAN_DEMANDS:-20000} --scan-demands 0
	@$(PY) -m scripts.bench.export
	@$(PY) -m scripts.bench.package
	@$(PY) -m scripts.bench.scale_model --write && echo "figures: docs/bench/README.md; scale model: docs/scale-model.md"

clean: ## stop the database and remove local state, builds and reports (keeps .venv)
	-@$(PY) -m scripts.stack.local_pg remove 2>/dev/null
	rm -rf .local dist build reports
