# Taskforge. On a fresh machine: `make run` starts the whole stack against this
# machine's PostgreSQL and Redis; `make test` installs what the tests need and runs them.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
COMPOSE ?= docker compose
API ?= http://localhost:8080
LOCAL_ENV := set -a && . ./local.env && set +a

.PHONY: install services run test lint unit test-fast test-e2e test-faults bench chaos up down logs build migrate migrate-down test-job clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed ## create .venv with Taskforge and its test tools

services: ## make sure the local PostgreSQL and Redis run, with the taskforge role and database
	./scripts/local-services.sh

run: install services ## api + worker + scheduler against the local services (Ctrl-C stops all)
	$(LOCAL_ENV) && exec $(BIN)/taskforge run

lint: install ## ruff, mypy --strict and the layering contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: install services lint ## everything CI runs
	$(BIN)/pytest

# The suites are selected by marker (tests/conftest.py marks each test by its directory).
unit: install ## the unit tests: seconds, no services
	$(BIN)/pytest -m unit

test-fast: install services ## the unit tests and the port contract suites
	$(BIN)/pytest -m "unit or contract"

test-e2e: install services ## real taskforge processes driven over HTTP and the command line
	$(BIN)/pytest -m e2e

test-faults: install services ## crashes and outages on a private PostgreSQL and Redis
	$(BIN)/pytest -m faults

bench: install services ## measure on this machine and rewrite BENCHMARKS.md; BENCH_ARGS="--help"
	$(BIN)/python -m bench $(BENCH_ARGS)

chaos: install services ## random faults, many rounds; CHAOS_ARGS="--seed N --rounds N --jobs N"
	$(BIN)/python -m tests.faults.chaos $(CHAOS_ARGS)

up: ## the Docker Compose stack, built and started in the background
	$(COMPOSE) up --build -d

down:
	$(COMPOSE) down

logs:
	$(COMPOSE) logs -f api worker

build:
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
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
