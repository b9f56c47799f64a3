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
# The local YooKassa stand-in `make run` starts unless real YOOKASSA_SHOP_ID/YOOKASSA_SECRET_KEY are set.
MAIL_SINK_PORT ?= 1025
# The demo's CRM administrator (development database only; production uses `flask staff create`).
DEMO_STAFF_EMAIL ?= admin@mostik.local
DEMO_STAFF_PASSWORD ?= mostik-demo-admin
# The demo buyers (two years of orders) and the password of the demo account managers (README lists them).
DEMO_BUYERS ?= 300
DEMO_MANAGER_PASSWORD ?= mostik-demo-manager
DEMO_BUYER_PASSWORD ?= mostik-demo-buyer
STANDIN_PORT ?= 8765

.DEFAULT_GOAL := help
.PHONY: help install run test check retest lint typecheck format translations-extract translations-update \
        translations-compile db-upgrade db-migrate demo-data bench clean browsers check-lint check-types check-tests \
        settings-table

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

demo-data: db-upgrade  ## Seed demo data (catalogue, buyers, orders, managers) if empty, load the stored CBR rates
	MOSTIK_ENV=development $(FLASK) seed-demo --if-empty --products $(DEMO_PRODUCTS)
	MOSTIK_ENV=development $(FLASK) fx update --file storefront/fx/samples/cbr_daily_demo.xml
	MOSTIK_ENV=development $(FLASK) shipping seed
	MOSTIK_ENV=development $(FLASK) crm seed-tiers
	MOSTIK_ENV=development $(FLASK) crm seed-campaigns
	MOSTIK_ENV=development MOSTIK_STAFF_PASSWORD=$(DEMO_STAFF_PASSWORD) $(FLASK) staff create --if-missing \
		--email $(DEMO_STAFF_EMAIL) --role admin --name "Демо-администратор"
	MOSTIK_ENV=development MOSTIK_STAFF_PASSWORD=$(DEMO_MANAGER_PASSWORD) $(FLASK) staff create --if-missing \
		--email operator@mostik.local --role operator --name "Демо-оператор"
	MOSTIK_ENV=development MOSTIK_DEMO_MANAGER_PASSWORD=$(DEMO_MANAGER_PASSWORD) $(FLASK) crm seed-demo-buyers \
		--if-empty --buyers $(DEMO_BUYERS)
	MOSTIK_ENV=development $(FLASK) crm seed-demo-campaigns --if-empty
	MOSTIK_ENV=development MOSTIK_STAFF_PASSWORD=$(DEMO_MANAGER_PASSWORD) $(FLASK) staff create --if-missing \
		--email finance@mostik.local --role finance --name "Демо-финансист"
	MOSTIK_ENV=development MOSTIK_STAFF_PASSWORD=$(DEMO_MANAGER_PASSWORD) $(FLASK) staff create --if-missing \
		--email marketer@mostik.local --role marketer --name "Демо-маркетолог"
	MOSTIK_ENV=development MOSTIK_DEMO_BUYER_PASSWORD=$(DEMO_BUYER_PASSWORD) $(FLASK) crm demo-buyer-login \
		--email buyer@mostik.local
	MOSTIK_ENV=development $(FLASK) settlement backfill

run: demo-data  ## Run the storefront and CRM with demo data at http://127.0.0.1:5000 (test payments offline)
	@echo "Mostik: http://$(HOST):$(PORT)/  (CRM: http://$(HOST):$(PORT)/crm/ as $(DEMO_STAFF_EMAIL) / $(DEMO_STAFF_PASSWORD))"
	@echo "Account managers: anna@mostik.local, dmitry@mostik.local, olga@mostik.local; operator@mostik.local, finance@mostik.local, marketer@mostik.local / $(DEMO_MANAGER_PASSWORD)"
	@echo "Demo buyer: http://$(HOST):$(PORT)/account/login as buyer@mostik.local / $(DEMO_BUYER_PASSWORD)"
	MOSTIK_ENV=development JOBS_IN_PROCESS=1 PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)} \
		$(BIN)/python -m devtools.mailsink --port $(MAIL_SINK_PORT) -- \
		$(BIN)/python -m devtools.yookassa_standin --unless-real-credentials --port $(STANDIN_PORT) \
		--notify-url http://$(HOST):$(PORT)/payments/yookassa/notifications \
		-- $(FLASK) run --host $(HOST) --port $(PORT)

CHROMIUM ?= /usr/bin/chromium

browsers: node_modules/.package-lock.json  ## Install what the tests drive: chromium (+ emoji font), wrk (Debian, when missing), axe-core (npm)
	@{ test -x $(CHROMIUM) && command -v wrk >/dev/null && dpkg -s fonts-noto-color-emoji >/dev/null 2>&1; } || { \
		echo "Installing chromium, fonts-noto-color-emoji and wrk (apt-get)…"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji wrk) \
		|| sudo sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji wrk'; }

# axe-core, pinned in package.json / package-lock.json, for the accessibility check of the browser tests.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

test: install browsers  ## Install everything the tests need; lint, mypy, the whole suite with coverage (floor: setup.cfg) on every core (at most 4)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n auto --maxprocesses 4 --cov --cov-report=term-missing:skip-covered $(PYTEST_ARGS)

check: install  ## The fast loop: lint, mypy and the suite without browser tests (-n auto), side by side
	@$(MAKE) --no-print-directory -j 3 --output-sync=target check-lint check-types check-tests

check-lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check-types:
	$(BIN)/mypy

check-tests:
	$(BIN)/pytest -q -n auto -m "not browser" $(PYTEST_ARGS)

retest: install  ## Re-run only the tests that failed last time
	$(BIN)/pytest --lf $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)  ## mypy over the code (configured in setup.cfg [mypy])
	$(BIN)/mypy

format: $(STAMP)  ## Format the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

settings-table: $(STAMP)  ## Regenerate the README's configuration table from storefront/config.py
	$(BIN)/python -m devtools.settings_table README.md

clean:  ## Remove the virtualenv, caches and compiled translations (keeps instance/)
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .mypy_cache .coverage .coverage.* .hypothesis test-artifacts
	find . -name '__pycache__' -type d -prune -exec rm -rf {} +
	find translations -name '*.mo' -delete

BENCH_PRODUCTS ?= 1000000
BENCH_ARGS ?=
bench: install  ## Benchmark: N products on SQLite (+ PostgreSQL with BENCH_DATABASE_URL), gunicorn + wrk
	@command -v wrk >/dev/null || { sudo apt-get install -y wrk || apt-get install -y wrk; }
	$(BIN)/python -m bench.run --products $(BENCH_PRODUCTS) $(BENCH_ARGS)
