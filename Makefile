# The two commands of the README: `make run` (demo, no services needed) and `make test`
# (the whole suite on PostgreSQL with a real broker and Celery worker).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/onestop
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: install run test lint bench faults schema messages assets clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

PORT ?= 8000
PEERS_PORT ?= 8100
PORTAL_PORT ?= 8200
PLATFORM_PORT ?= 8300

run: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	ONESTOP_PEERS_URL=http://127.0.0.1:$(PEERS_PORT) $(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py configure_national_portal --url http://127.0.0.1:$(PORTAL_PORT)
	$(BIN)/python manage.py configure_platform --url http://127.0.0.1:$(PLATFORM_PORT) --consumer 000.00.00.H29
	@echo "onestop runs on http://127.0.0.1:$(PORT) (API: /api/v1/, docs: /api/docs/, admin: /admin/)"
	@echo "the stand-in agency systems (population, business and land registries) on http://127.0.0.1:$(PEERS_PORT)"
	@echo "the stand-in National Public Service Portal on http://127.0.0.1:$(PORTAL_PORT)"
	@echo "the stand-in data-sharing platform (LGSP), which every exchange goes through, on http://127.0.0.1:$(PLATFORM_PORT)"
	$(BIN)/python -m onestop.peers.server --host 127.0.0.1 --port $(PEERS_PORT) & peers=$$!; \
	$(BIN)/python -m onestop.peers.national_portal --host 127.0.0.1 --port $(PORTAL_PORT) & portal=$$!; \
	$(BIN)/python -m onestop.peers.platform --host 127.0.0.1 --port $(PLATFORM_PORT) \
		--providers population=http://127.0.0.1:$(PEERS_PORT),business_registry=http://127.0.0.1:$(PEERS_PORT),land_registry=http://127.0.0.1:$(PEERS_PORT) & platform=$$!; \
	trap 'kill $$peers $$portal $$platform 2>/dev/null' EXIT INT TERM; \
	ONESTOP_SITE_URL=http://127.0.0.1:$(PORT) $(BIN)/python manage.py demo_national_portal && \
	DEBUG=$${DEBUG:-1} ONESTOP_SITE_URL=http://127.0.0.1:$(PORT) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: install
	$(BIN)/ruff check .

test: install lint
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
	$(BIN)/pytest $(PYTEST_ARGS)

# The performance suite (targets table, pgbench ratios): `make bench`, or `make bench BENCH_ARGS=--quick`.
# PostgreSQL and Redis as for `make test`; figures and JSON in bench/results/. Then the other benchmarks.
bench: install
	$(BIN)/python bench/suite.py $(BENCH_ARGS)
	$(BIN)/python bench/exchanges.py $(filter --quick,$(BENCH_ARGS))
	$(BIN)/python bench/pages.py

faults: install  # a private PostgreSQL and Redis of their own; figures in bench/results/faults-*.json
	$(BIN)/python bench/faults/run_all.py

schema: install  # on PostgreSQL like the tests: integer limits in the schema follow the database
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(BIN)/python manage.py spectacular --lang en --file docs/openapi.yaml --validate

# Apps with a locale/ folder of their own keep their catalogue; the rest share locale/ at the top.
APP_CATALOGUES := $(patsubst %/locale,%,$(wildcard onestop/*/locale))

messages: install
	$(BIN)/python manage.py makemessages -l vi --ignore=.venv --ignore=tests --ignore=bench --ignore=frontend \
		$(foreach app,$(APP_CATALOGUES),--ignore="$(app)/*")
	for app in $(APP_CATALOGUES); do (cd $$app && $(CURDIR)/$(BIN)/python $(CURDIR)/manage.py makemessages -l vi); done
	$(BIN)/python manage.py compilemessages -l vi --ignore=.venv

assets:  # rebuild the committed bpmn-js files (needs npm)
	cd frontend && npm ci && npm run build

clean:
	rm -rf $(VENV) var staticfiles
