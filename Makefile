# Mostik — the two commands a newcomer needs are `make run` and `make test`.
# Everything else here is for day-to-day work; `make help` lists it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
STAMP  := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | sha1sum | cut -c1-12)
DEMO_PRODUCTS ?= 5000
HOST ?= 127.0.0.1
PORT ?= 5000

.DEFAULT_GOAL := help
.PHONY: help install run test retest lint format translations-extract translations-update translations-compile \
        db-upgrade db-migrate demo-data bench clean browsers

help:  ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'

$(STAMP): setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP) translations-compile  ## Create .venv, install the app and its tools, compile translations

translations-compile: $(STAMP)  ## Compile translations/*.po into .mo files
	@$(BIN)/pybabel compile --statistics -d translations 2>&1 | grep -v "^compiling" || true

translations-extract: $(STAMP)  ## Extract messages from the code into translations/messages.pot
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 --no-location --sort-output \
		-o translations/messages.pot .

translations-update: translations-extract  ## Merge new messages into the ru and en catalogues
	$(BIN)/pybabel update -i translations/messages.pot -d translations --width 120 --ignore-obsolete

db-upgrade: install  ## Apply migrations to DATABASE_URL (default: instance/mostik.db)
	$(FLASK) db upgrade

db-migrate: install  ## Autogenerate a migration: make db-migrate m="what changed"
	$(FLASK) db migrate -m "$(m)"

demo-data: db-upgrade  ## Seed demo data if the catalogue is empty, load the stored CBR rates
	MOSTIK_ENV=development $(FLASK) seed-demo --if-empty --products $(DEMO_PRODUCTS)
	MOSTIK_ENV=development $(FLASK) fx update --file storefront/fx/samples/cbr_daily_demo.xml

run: demo-data  ## Run the storefront and CRM with demo data at http://127.0.0.1:5000
	@echo "Mostik: http://$(HOST):$(PORT)/  (CRM: http://$(HOST):$(PORT)/crm/)"
	MOSTIK_ENV=development JOBS_IN_PROCESS=1 $(FLASK) run --host $(HOST) --port $(PORT)

CHROMIUM ?= /usr/bin/chromium

browsers:  ## Install Debian's chromium for the browser tests (only when it is missing)
	@{ test -x $(CHROMIUM) && dpkg -s fonts-noto-color-emoji >/dev/null 2>&1; } || { echo "Installing chromium (apt-get)…"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji) \
		|| sudo sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji'; }

test: install browsers  ## Install everything the tests need and run lint and the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest $(PYTEST_ARGS)

retest: install  ## Re-run only the tests that failed last time
	$(BIN)/pytest --lf $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)  ## Format the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:  ## Remove the virtualenv, caches and compiled translations (keeps instance/)
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts
	find . -name '__pycache__' -type d -prune -exec rm -rf {} +
	find translations -name '*.mo' -delete

BENCH_PRODUCTS ?= 1000000
BENCH_ARGS ?=
bench: install  ## Benchmark: N products on SQLite (+ PostgreSQL with BENCH_DATABASE_URL), gunicorn + wrk
	@command -v wrk >/dev/null || { sudo apt-get install -y wrk || apt-get install -y wrk; }
	$(BIN)/python -m bench.run --products $(BENCH_PRODUCTS) $(BENCH_ARGS)
