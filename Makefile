# The two commands of the README: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
PORT ?= 8000
# Links in email point at the address `make run` serves, unless the environment names another.
PORTAL_BASE_URL ?= http://127.0.0.1:$(PORT)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint demo migrate worker clean bench profile

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable

## Serve the portal on 127.0.0.1:$(PORT); demo data is loaded the first time (an empty database).
## A Celery worker with its beat runs beside it (log: celery.log), so scheduled jobs (expiry) run too; without
## REDIS_URL tasks are eager, so the beat runs each job in its own process, on the same SQLite file.
run: migrate
	$(BIN)/python manage.py load_demo --if-empty
	PORTAL_BASE_URL=$(PORTAL_BASE_URL) $(BIN)/celery -A accessportal worker --beat --concurrency 1 \
	  --loglevel INFO > celery.log 2>&1 & \
	  celery_pid=$$!; trap 'kill $$celery_pid 2>/dev/null' EXIT INT TERM; \
	  PORTAL_BASE_URL=$(PORTAL_BASE_URL) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## The whole test suite (SQLite and eager Celery unless DATABASE_URL / REDIS_URL say otherwise), spread over
## every core by pytest-xdist; `make test TEST_WORKERS=0` runs it in one process (e.g. to debug with pdb).
## Python keeps bytecode (__pycache__, ignored by git) even where the environment says not to: without it every
## worker, and every process a test starts, compiles the portal and the tests again (about 7 s a process).
TEST_WORKERS ?= auto
test: $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

## Seed a large tenant on a fresh twin of the configured database, measure the hot paths beside the naive way and
## the API under load (gunicorn), print target / measured / verdict; writes bench-results.json and .png.
## `make bench SCALE=10` for ten times the rows, `make bench QUICK=1` for small sizes (under a minute).
bench: $(STAMP)
	$(BIN)/python -m scripts.bench.run --scale $(or $(SCALE),1) $(if $(filter-out 0,$(QUICK)),--quick) $(BENCH_ARGS)

## Where an API request spends its time: the bench's quick tenant on a fresh twin of the configured database,
## each load scenario called in-process, with its time, CPU, queries and a pyinstrument profile
## (`make profile PROFILE_ARGS="--scenario 'root, Digest' --cprofile 40"`).
profile: $(STAMP)
	$(BIN)/python -m scripts.bench.profile $(PROFILE_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

demo: migrate
	$(BIN)/python manage.py load_demo

clean:
	rm -rf $(VENV) db.sqlite3 .pytest_cache
