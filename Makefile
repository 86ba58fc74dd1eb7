# Returns Desk — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_ORDERS ?= 1500
DEMO_RETURNS ?= 600

.PHONY: install demo test lint check-python clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Returns Desk needs Python 3.11; set PYTHON=/path/to/python3.11")'

$(STAMP): pyproject.toml | check-python
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make demo: install, migrate the SQLite database, load the demo shop once, run web + worker (Ctrl-C stops both).
demo: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty --orders $(DEMO_ORDERS) --returns $(DEMO_RETURNS)
	@echo ""
	@echo "  Returns Desk is starting at http://127.0.0.1:8000"
	@echo "    desk:   http://127.0.0.1:8000/desk/     admin: http://127.0.0.1:8000/admin/"
	@echo "    customer portal: http://127.0.0.1:8000/returns/   health: http://127.0.0.1:8000/healthz/"
	@echo "  Demo logins:  manager / manager  (Managers, superuser)"
	@echo "                agent   / agent    (Agents)"
	@echo "  Ctrl-C stops the web server and the worker."
	@echo ""
	$(BIN)/honcho --procfile Procfile.demo start

## make test: install if needed, then run the whole suite (SQLite unless DATABASE_URL says otherwise).
test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm db-test*.sqlite3 .pytest_cache .hypothesis
