# Pilotage — the handful of commands people use. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
UV := .uv/bin/uv
VENV := .venv
PILOTAGE := $(VENV)/bin/pilotage
export UV_PYTHON_DOWNLOADS := never

.DEFAULT_GOAL := help

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

# Front-end packages come from the npm registry at the versions package-lock.json pins,
# and are built into static files Pilotage serves itself.
ASSETS := pilotage/dashboard/static/vendor/charts.js

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

$(ASSETS): node_modules/.package-lock.json assets/charts.js
	npm run build --silent

install: $(UV) $(ASSETS) ## Install Pilotage into .venv from the lock files
	$(UV) sync --frozen --no-dev

install-dev: $(UV) $(ASSETS) ## Install Pilotage and what the tests need
	$(UV) sync --frozen

setup: install ## Install, create the database and load the shipped data
	$(PILOTAGE) migrate --no-input
	$(PILOTAGE) load

run: setup ## Install, load the data and serve Pilotage at http://127.0.0.1:8000
	$(PILOTAGE) serve 127.0.0.1:8000

test: install-dev ## Install the test tools and run the whole test suite
	$(VENV)/bin/pytest

lint: install-dev ## Lint and check formatting
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: install-dev ## Lint, migrations in sync with models, deploy checks
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PILOTAGE) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
		ALLOWED_HOSTS=pilotage.example.org $(PILOTAGE) check --deploy --fail-level WARNING

messages: install-dev ## Compile the translations
	cd pilotage && ../$(PILOTAGE) compilemessages

.PHONY: help install install-dev setup run test lint check messages bench bench-imports bench-magnets bench-dashboard bench-opendata bench-taxonomy

bench-dashboard: install-dev ## Benchmark the public pages against a fixed page (needs PostgreSQL and wrk; ARGS="--quick")
	$(VENV)/bin/python bench/dashboard.py $(ARGS)

bench-opendata: install-dev ## Benchmark the open-data exports against COPY (needs PostgreSQL; ARGS="--quick")
	$(VENV)/bin/python bench/opendata.py $(ARGS)

bench-magnets: install-dev ## Benchmark the magnet engine against plain SQL (needs PostgreSQL; ARGS="--quick")
	$(VENV)/bin/python bench/magnets.py $(ARGS)

bench: install-dev ## Benchmark the indicators engine, the bulk import and the SKOS import (needs PostgreSQL; ARGS="--quick")
	$(VENV)/bin/python bench/indicators.py $(ARGS)
	$(VENV)/bin/python bench/imports.py $(ARGS)
	$(VENV)/bin/python bench/taxonomy.py $(ARGS)

bench-imports: install-dev ## Benchmark the bulk import of values against COPY (needs PostgreSQL; ARGS="--quick")
	$(VENV)/bin/python bench/imports.py $(ARGS)

bench-taxonomy: install-dev ## Benchmark the SKOS import of a 1,150-concept taxonomy, its SHACL check and re-import (ARGS="--quick")
	$(VENV)/bin/python bench/taxonomy.py $(ARGS)
