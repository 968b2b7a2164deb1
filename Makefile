# Taskforge. On a fresh machine: `make run` starts the whole stack against this
# machine's PostgreSQL and Redis; `make test` installs what the tests need and runs them.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
COMPOSE ?= docker compose
API ?= http://localhost:8080
LOCAL_ENV := set -a && . ./local.env && set +a
# Swagger UI, at the version package-lock.json pins, beside the module that serves /docs.
SWAGGER_UI := taskforge_entrypoints/rest/api_docs_assets/swagger-ui
SWAGGER_UI_FILES := swagger-ui-bundle.js swagger-ui.css index.css favicon-32x32.png LICENSE NOTICE package.json
# apt-get needs root; a developer who is not root gets sudo.
APT_GET := $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: install test-tools services run test lint unit test-fast test-e2e test-faults test-cluster screenshots bench chaos up down logs build migrate migrate-down test-job clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# npm ci takes exactly what package-lock.json names, checked against its integrity hashes;
# .npmrc keeps install scripts from running.
$(SWAGGER_UI)/package.json: package.json package-lock.json
	command -v npm >/dev/null || { $(APT_GET) update && $(APT_GET) install -y --no-install-recommends npm; }
	npm ci
	rm -rf $(SWAGGER_UI) && mkdir -p $(SWAGGER_UI)
	cd node_modules/swagger-ui-dist && cp $(SWAGGER_UI_FILES) $(CURDIR)/$(SWAGGER_UI)/

install: $(BIN)/.installed $(SWAGGER_UI)/package.json ## create .venv with Taskforge and its test tools, fetch Swagger UI for /docs and axe-core for the dashboard tests

test-tools: ## Debian's chromium, for the tests that render /docs and the dashboard; pgbouncer, for the tests behind it; redis-server and redis-cli, for the test Redis Cluster
	command -v chromium >/dev/null || { $(APT_GET) update && $(APT_GET) install -y --no-install-recommends chromium; }
	test -x /usr/sbin/pgbouncer || { $(APT_GET) update && $(APT_GET) install -y --no-install-recommends pgbouncer; }
	{ command -v redis-server && command -v redis-cli; } >/dev/null || { $(APT_GET) update && $(APT_GET) install -y --no-install-recommends redis-server redis-tools; }

services: ## make sure the local PostgreSQL and Redis run, with the taskforge role and database
	./scripts/local-services.sh

run: install services ## api + worker + scheduler against the local services (Ctrl-C stops all)
	$(LOCAL_ENV) && exec $(BIN)/taskforge run

lint: install ## ruff, mypy --strict and the layering contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: install test-tools services lint ## everything CI runs
	$(BIN)/pytest

# The suites are selected by marker (tests/conftest.py marks each test by its directory).
unit: install ## the unit tests: seconds, no services
	$(BIN)/pytest -m unit

test-fast: install services ## the unit tests and the port contract suites
	$(BIN)/pytest -m "unit or contract"

test-e2e: install test-tools services ## real taskforge processes driven over HTTP and the command line
	$(BIN)/pytest -m e2e

test-faults: install test-tools services ## crashes and outages on a private PostgreSQL and Redis
	$(BIN)/pytest -m faults

screenshots: install test-tools services ## drive the dashboard in Chromium and rewrite docs/screenshots
	TASKFORGE_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/e2e/test_dashboard.py -k accessibility
test-cluster: install test-tools services ## cluster mode on a local Redis Cluster: flows, a master killed, slots moved
	$(BIN)/pytest -m cluster

bench: install services ## measure on this machine and rewrite BENCHMARKS.md; BENCH_ARGS="--help"
	$(BIN)/python -m bench $(BENCH_ARGS)

chaos: install services ## random faults, many rounds; CHAOS_ARGS="--seed N --rounds N --jobs N"
	$(BIN)/python -m tests.faults.chaos $(CHAOS_ARGS)

up: $(SWAGGER_UI)/package.json ## the Docker Compose stack, built and started in the background
	$(COMPOSE) up --build -d

down:
	$(COMPOSE) down

logs:
	$(COMPOSE) logs -f api worker

build: $(SWAGGER_UI)/package.json
	$(COMPOSE) build

migrate: ## apply the SQL migrations to the compose database
	$(COMPOSE) run --rm migrate migrate up

migrate-down: ## roll back every migration, newest first (001 drops the jobs table)
	$(COMPOSE) run --rm migrate migrate down

test-job: ## POST a sample ping job to $(API)
	curl -sS -X POST $(API)/v1/jobs -H 'Content-Type: application/json' \
		-d '{"job_type":"ping","payload":{"message":"hello"}}'
	@echo

clean:
	rm -rf $(VENV) node_modules $(SWAGGER_UI) .pytest_cache .mypy_cache .ruff_cache *.egg-info
