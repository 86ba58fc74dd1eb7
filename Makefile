# Returns Desk — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_ORDERS ?= 1500
DEMO_RETURNS ?= 600
# The demo's refunds go through the Stripe client to a local Stripe test server (localstripe, `manage.py
# run_localstripe`), its webhooks back to the desk: no account, no network. DEMO_STRIPE=0: the manual provider only.
DEMO_STRIPE ?= 1
DEMO_STRIPE_PORT ?= 8420
# The demo shop is in Bristol: its pages show times in the shop's zone, named ("14:05 GMT").
DEMO_TIME_ZONE ?= Europe/London
demo: export TIME_ZONE = $(DEMO_TIME_ZONE)
ifeq ($(DEMO_STRIPE),1)
DEMO_PROCESSES := web worker money email documents stripe
demo: export STRIPE_API_BASE = http://127.0.0.1:$(DEMO_STRIPE_PORT)
demo: export STRIPE_SECRET_KEY = sk_test_returns_desk_demo
demo: export STRIPE_WEBHOOK_SECRET = whsec_returns_desk_demo
else
DEMO_PROCESSES := web worker money email documents
endif

.PHONY: install demo test test-fast lint check-python clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Returns Desk needs Python 3.11; set PYTHON=/path/to/python3.11")'

$(STAMP): pyproject.toml | check-python
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# axe-core, from the npm registry, for the accessibility test (tests/browser/test_accessibility.py injects it).
# `npm ci` installs exactly what package-lock.json pins; without a lock file, `npm install` writes one.
AXE := node_modules/axe-core/axe.min.js

$(AXE): package.json $(wildcard package-lock.json)
	@command -v npm >/dev/null || { echo "npm is missing: apt-get install -y nodejs npm"; exit 1; }
	if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
	touch $(AXE)

install: $(STAMP) $(AXE)

## make demo: install, migrate the SQLite database, load the demo shop once, run web + worker + local Stripe
## (Ctrl-C stops them all).
demo: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty --orders $(DEMO_ORDERS) --returns $(DEMO_RETURNS)
	@echo ""
	@echo "  Returns Desk is starting at http://127.0.0.1:8000"
	@echo "    desk:   http://127.0.0.1:8000/desk/     admin: http://127.0.0.1:8000/admin/"
	@echo "    customer portal: http://127.0.0.1:8000/returns/   health: http://127.0.0.1:8000/healthz/"
	@echo "  Demo logins:  manager / manager  (Managers, superuser),"
	@$(BIN)/python manage.py demo_otp_code manager --banner
	@echo "                agent   / agent    (Agents; no second factor unless they set one up)"
ifeq ($(DEMO_STRIPE),1)
	@echo "  Stripe test mode: refunds go to a local Stripe test server at $$STRIPE_API_BASE (localstripe),"
	@echo "    its webhooks to http://127.0.0.1:8000/webhooks/stripe/. No real money moves."
	@echo "  Ctrl-C stops the web server, the workers and the local Stripe server."
else
	@echo "  Ctrl-C stops the web server and the workers."
endif
	@echo ""
	$(BIN)/honcho --procfile Procfile.demo start $(DEMO_PROCESSES)

## make test: install if needed, then run the whole suite (SQLite unless DATABASE_URL says otherwise).
test: $(STAMP) $(AXE)
	$(BIN)/python -m pytest

## make test-fast: everything but the browser and the slow tests (a worker process, the state machine, seeding).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not browser and not slow"

lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) node_modules db.sqlite3 db.sqlite3-wal db.sqlite3-shm db.sqlite3-localstripe.pickle db-test*.sqlite3 .pytest_cache .hypothesis
