# Two commands do all set-up on a fresh machine: `make run` and `make test`.
# Both go through `make setup`, which is idempotent (re-installs only when the requirement files change).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
CELERY := $(VENV)/bin/celery
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench check clean browser worker check-deploy reliability load schemathesis-full lock

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# The lock files pin every package, transitive ones too, with their hashes: pip refuses anything else.
$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install --quiet --require-hashes -r requirements-dev.txt
	touch $(STAMP)

## lock: regenerate the hashed lock files from requirements.in and requirements-dev.in (after editing those).
lock: | $(PY)
	$(PIP) install --quiet pip-tools==7.6.2
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	  --no-emit-find-links -o requirements.txt requirements.in
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	  --no-emit-find-links -o requirements-dev.txt requirements-dev.in

## setup: virtualenv, dependencies, a browser for the UI tests, var/ folders. Idempotent.
setup: $(STAMP) browser
	@mkdir -p var
	@if [ ! -f .env ]; then printf '# Development defaults written by make setup (see .env.example). Never use in production.\nDEBUG=true\n' > .env; echo "Wrote .env with DEBUG=true for development"; fi

## browser: Debian's Chromium for the Playwright tests (skipped when present or when apt is not ours).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    (apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)) \
	      || echo "warning: could not install chromium; browser tests will be skipped"; \
	  else echo "note: /usr/bin/chromium is missing; install Debian's chromium package to run the browser tests"; fi; \
	fi

## run: set up, migrate, load the demo and serve the app with a Celery worker and beat (embedded default).
run: export DEBUG ?= true
run: setup
	$(MANAGE) migrate --noinput
	$(MANAGE) setup_lists
	$(MANAGE) load_demo
	$(MANAGE) setup_schedules
	@# The server, a worker and beat; a welcome with the users and the password once the server answers.
	@$(MANAGE) run_dev --port $(PORT)

## test: set up and run the whole suite (PostgreSQL when DATABASE_URL is set, otherwise SQLite).
test: setup
	@if [ -n "$$DATABASE_URL" ]; then echo "Tests on $${DATABASE_URL%%@*}@... (DATABASE_URL)"; \
	 else echo "Tests on SQLite (set DATABASE_URL=postgres://... for PostgreSQL)"; fi
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## check: Django's system checks (event wiring too), migrations in step with the models, ruff, the layer contract.
check: setup
	DEBUG=true $(MANAGE) check
	DEBUG=true $(MANAGE) makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

lint: setup
	$(VENV)/bin/ruff check .

## bench: every benchmark in bench/ but bench_load.py (`make load`), each printing its figures, then one table:
## figure, anchor measured in the same run, target, command (docs/performance.md). BENCH_FULL=1: the issue's sizes.
bench: setup
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) var/.pytest_cache

## check-deploy: Django's deployment checks at warning level with production settings: DEBUG off, a strong key,
## an audit chain key (throwaway values, like a real deployment's environment; without a key audit.E001 fails).
check-deploy: setup
	DEBUG=false ALLOWED_HOSTS=registry.example.org \
	  SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	  AUDIT_HMAC_KEYS="ci:$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(32))')" AUDIT_HMAC_KEY_ID=ci \
	  $(MANAGE) check --deploy --fail-level WARNING

## reliability: the fault-injection tests (private Redis/PostgreSQL, killed workers, broken list servers), each
## scenario run RELIABILITY_RUNS times (default 3); ends with a table: scenario, runs, passed.
reliability: setup
	$(VENV)/bin/pytest -m reliability tests/reliability --count=$${RELIABILITY_RUNS:-3} $(PYTEST_ARGS)

## load: 50 concurrent clients against gunicorn on 1,000,000 equipment; errors and p95 (bench/bench_load.py).
load: setup
	$(PY) bench/bench_load.py

## schemathesis-full: Schemathesis, 1,000 examples per API operation, against a live server (long; not in test).
schemathesis-full: setup
	SCHEMATHESIS_MAX_EXAMPLES=$${SCHEMATHESIS_MAX_EXAMPLES:-1000} $(PY) bench/bench_load.py --schemathesis
