# OPD Queue: `make run` serves the app with demo data, `make test` runs the whole suite.
# Both create the virtualenv and install what they need on a fresh machine.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-sqlite lint screenshots bench install dev-install migrate seed check-python clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "OPD Queue needs Python 3.11 or newer (set PYTHON=...)")'

$(PY): | check-python
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed-base: requirements/base.txt | $(PY)
	$(PY) -m pip install -q -r requirements/base.txt
	touch $@

$(VENV)/.installed-dev: requirements/base.txt requirements/dev.txt | $(PY)
	$(PY) -m pip install -q -r requirements/dev.txt
	touch $@ $(VENV)/.installed-base

install: $(VENV)/.installed-base
dev-install: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_demo_consents

## Serve on http://$(HOST):$(PORT) (HTTP and websockets), with demo data loaded.
run: seed
	$(PY) manage.py runserver $(HOST):$(PORT)

## ruff, and the import contracts between the layers (.importlinter).
lint: dev-install
	$(VENV)/bin/ruff check .
	PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/lint-imports

## Lint, then the whole test suite. PostgreSQL/Redis from DATABASE_URL/REDIS_URL, else embedded ones;
## then the in-process tests again on SQLite, the embedded default a newcomer's `make run` uses.
test: lint
	$(PY) -m pytest $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-sqlite

## The in-process tests (the allocation service, pages, API, sockets) on SQLite: not the browser,
## multi-process and concurrency ones (tests/concurrency/test_sqlite_race.py races on SQLite itself),
## nor those marked postgresql (PostgreSQL-only SQL).
test-sqlite: dev-install
	DATABASE_URL=sqlite:///$(abspath $(VENV))/sqlite-tests.sqlite3 $(PY) -m pytest -q -m "not browser and not postgresql" \
	  --ignore=tests/e2e --ignore=tests/integration --ignore=tests/concurrency

## The README's screenshots (docs/screenshots), taken by the browser tests.
screenshots: dev-install
	SCREENSHOTS_DIR=$(abspath docs/screenshots) $(PY) -m pytest -q tests/e2e

## Benchmarks; each writes its section of docs/benchmarks.md.
BENCHES ?= bookings booking_cpu push_latency push_size report patient_search notices mvp_compare metrics_overhead
bench: dev-install
	@for b in $(BENCHES); do \
	  if [ -f bench/$$b.py ]; then echo "== bench.$$b"; $(PY) -m bench.$$b || exit 1; fi; \
	done

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
