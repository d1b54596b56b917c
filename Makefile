# passnum — developer commands. `make` alone lists them.
#
# Installs are incremental: the virtualenv is (re)filled only when pyproject.toml is
# newer than its stamp, the front-end files only when package-lock.json is.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app passnum
PY_STAMP := $(VENV)/.installed
JS_STAMP := static/vendor/.built
PYTEST_ARGS ?=
# test processes (pytest-xdist); each test file stays in one process, with its fixtures
TEST_WORKERS ?= auto
BENCH_ARGS ?=
RELIABILITY_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install assets run serve test lint migration bench reliability

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'
	@echo '  (make run and make serve honour PORT; make test passes PYTEST_ARGS to pytest and runs TEST_WORKERS processes, make bench BENCH_ARGS)'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "passnum needs Python >= 3.11; '$(PYTHON)' is missing or older."; \
		echo "Install one, or name it: make PYTHON=/path/to/python3.12 $(MAKECMDGOALS)"; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

$(JS_STAMP): package-lock.json scripts/build-assets.mjs
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund && npm run --silent build && touch $@; \
	else \
		echo "npm not found: front-end libraries (static/vendor/) not built; the scanner page needs them."; \
	fi

install: $(PY_STAMP) ## Create .venv and install passnum with its dev tools
assets: $(JS_STAMP) ## Fetch the front-end libraries (npm) into static/vendor/

run: install assets ## Migrate, load the demo data, serve on http://127.0.0.1:$PORT (5000)
	$(FLASK) db upgrade
	$(FLASK) demo --quiet-if-loaded
	@echo "passnum: http://127.0.0.1:$${PORT:-5000}/"
	PASSNUM_BASE_URL=$${PASSNUM_BASE_URL:-http://127.0.0.1:$${PORT:-5000}} \
		$(FLASK) run --host 127.0.0.1 --port $${PORT:-5000}

serve: install assets ## Production: migrate, then gunicorn (gunicorn.conf.py) on $PORT (8000)
	$(FLASK) db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: install assets ## Run the test suite (PYTEST_ARGS="-k redeem -x" …)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: install assets ## Benchmarks on throw-away PostgreSQL/SQLite databases (BENCH_ARGS=--quick)
	$(BIN)/python -m bench $(BENCH_ARGS)

reliability: install assets ## Soak with faults on a throw-away PostgreSQL, then reconcile (RELIABILITY_ARGS=--quick)
	$(BIN)/python -m bench.reliability $(RELIABILITY_ARGS)

lint: install ## Check the code: ruff, the import layers (import-linter), the types (mypy)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

migration: install ## Write a migration for model changes: make migration m="add venue opening hours"
	@test -n "$(m)" || { echo 'usage: make migration m="what changed"'; exit 1; }
	@# compare the models with a scratch database at head, not with local data
	@scratch=$$(mktemp -d) && trap 'rm -rf "$$scratch"' EXIT && \
		DATABASE_URL="sqlite:///$$scratch/head.sqlite3" $(FLASK) db upgrade && \
		DATABASE_URL="sqlite:///$$scratch/head.sqlite3" $(FLASK) db migrate -m "$(m)"
