# Resolution Center — developer entry points (GNU make).
#   make venv     create .venv and install requirements.txt (re-runs when it changes)
#   make run      migrate + seed on first run, serve on http://127.0.0.1:8050
#   make test     import contracts (.importlinter), then pytest on SQLite and PostgreSQL
#                 (ARGS="-k foo" passes extra args; TEST_DATABASE_URL= make test  -> SQLite
#                 leg only, PG tests skip)
#   make lint-imports  the import contracts alone
#   make browser-deps  axe-core for the browser tests (npm ci in tests/browser; make test runs it)
#   make bench    tests/perf against BENCH_DATABASE_URL (BENCH_CASES=20000 for a quick run)
#   make migrate  alembic upgrade head on the configured database
#   make clean / distclean

SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
# pyenv's 3.11 first (Debian's /usr/bin/python3 may lack ensurepip).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
STAMP := $(VENV)/.installed
REQS  := requirements.txt $(wildcard requirements-dev.txt)

PG_DEFAULT_URL := postgresql+psycopg2://postgres@127.0.0.1:5432/postgres
# ?= keeps a caller's value, including an empty one (which disables the PG leg).
TEST_DATABASE_URL  ?= $(PG_DEFAULT_URL)
BENCH_DATABASE_URL ?= $(PG_DEFAULT_URL)
export TEST_DATABASE_URL BENCH_DATABASE_URL

ARGS ?=

.PHONY: venv run test lint-imports browser-deps bench migrate clean distclean

# axe-core (the accessibility checker the browser tests inject) from the npm registry, at the
# version tests/browser/package-lock.json pins; npm ci re-runs only when the lock changes.
BROWSER_DEPS := tests/browser/node_modules/.package-lock.json

venv: $(STAMP)

$(STAMP): $(REQS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q $(foreach r,$(REQS),-r $(r)) \
		2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
	@touch $@

run: venv
	$(PY) app.py

# The layers point one way (STYLE.md "The house"): a broken contract fails before any test runs.
lint-imports: venv
	$(VENV)/bin/lint-imports --no-cache

# pytest exit 5 = "no tests collected": reported, but not a failure.
browser-deps: $(BROWSER_DEPS)

$(BROWSER_DEPS): tests/browser/package-lock.json tests/browser/package.json
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	@touch $@

test: venv lint-imports browser-deps
	@rc=0; $(PY) -m pytest $(ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: WARNING: pytest collected no tests"; rc=0; fi; \
	exit $$rc

# The data set is built (or reused) first, outside pytest, so no test timeout can cut the
# build short; pytest then trusts that build (BENCH_TRUST_CACHE=1) even if code changed
# meanwhile. BENCH_CASES=20000 make bench is the quick run. Results: instance/bench.json.
BENCH_CASES   ?= 1000000
BENCH_TIMEOUT ?= 1800
export BENCH_CASES

bench: venv
	$(PY) -m tests.perf.build
	BENCH_TRUST_CACHE=1 $(PY) -m pytest tests/perf -q -s -p no:cacheprovider --timeout=$(BENCH_TIMEOUT) $(ARGS)

migrate: venv
	$(PY) -m dashboard migrate

clean:
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -print0 | xargs -0 rm -rf
	rm -rf .pytest_cache test-artifacts
	rm -rf tests/browser/node_modules

distclean: clean
	rm -rf $(VENV)
