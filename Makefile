# NEXUS Portal — `make run` to try it, `make test` to test it. Needs Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: install run worker beat test lint bench probe messages gcds clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "NEXUS Portal needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[dev]"
	rm -rf build *.egg-info
	touch $@

install: $(VENV)/.installed

# Links in e-mails follow the port served on (unless SITE_URL says otherwise).
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo_data
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# A Celery worker and beat for `make run`: give all three the same REDIS_URL (and
# DATABASE_URL). Without REDIS_URL tasks run eagerly in the web process and need neither.
worker: install
	@test -n "$(REDIS_URL)" || grep -qs '^REDIS_URL=' .env || { echo "make worker needs REDIS_URL (e.g. redis://127.0.0.1:6379/0)"; exit 1; }
	$(BIN)/celery -A nexus_portal worker -l info

beat: install
	@test -n "$(REDIS_URL)" || grep -qs '^REDIS_URL=' .env || { echo "make beat needs REDIS_URL (e.g. redis://127.0.0.1:6379/0)"; exit 1; }
	mkdir -p var
	$(BIN)/celery -A nexus_portal beat -l info --schedule var/celerybeat-schedule

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check

bench: install
	$(BIN)/python bench/soonest.py
	$(BIN)/python bench/scheduler.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/booking.py
	$(BIN)/python bench/booking_http.py
	$(BIN)/python bench/entry_exit.py

# Hostile input against the real server from outside (bench/probe.py): not a speed figure.
probe: install
	cd bench && ../$(BIN)/python probe.py

messages: install
	$(BIN)/python manage.py makemessages --locale fr --no-obsolete --ignore '.venv/*' --ignore 'bench/*' --ignore 'node_modules/*'
	$(BIN)/python manage.py compilemessages --locale fr --ignore '.venv/*'

# The GC Design System's files (static/gcds, committed): the exact versions in package.json
# and package-lock.json, from the npm registry, copied by tools/gcds_assets.py. Needs npm.
gcds: install
	npm ci --no-audit --no-fund --ignore-scripts
	$(BIN)/python tools/gcds_assets.py

clean:
	rm -rf $(VENV) var staticfiles
