# ketasite: `make run` serves the demo site, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install lint typecheck bench bench-scale loadtest mutate demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	DJANGO_DEBUG=true $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=true $(BIN)/python manage.py load_demo
	# A job worker beside the server (imports, re-renders, exports, mail), stopped with it.
	DJANGO_DEBUG=true $(BIN)/python manage.py jobs_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DJANGO_DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

# mypy with django-stubs on the rule modules ([tool.mypy] in pyproject.toml). The settings
# module refuses to load without a secret key; this one only lets the plugin read the models.
typecheck: $(STAMP)
	DJANGO_SECRET_KEY=typecheck-only $(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench

# Issue 15's table at scale on PostgreSQL: a corpus of SCALE articles against 100, same run
# (bench/scale.py; not run by CI). SCALE=100000 for the full run; BENCH_SCALE_ARGS e.g.
# "--reuse-database ks_corpus_100k" to measure a corpus built before.
SCALE ?= 20000
BENCH_SCALE_ARGS ?=
bench-scale: $(STAMP)
	$(BIN)/python -m bench.scale --scale $(SCALE) $(BENCH_SCALE_ARGS)

# 60 s of readers and writers. MODE=sqlite (default): one server over SQLite. MODE=pg-redis:
# two servers over one throwaway PostgreSQL database (on DATABASE_URL's server) and REDIS_URL.
MODE ?= sqlite
loadtest: $(STAMP)
	KETASITE_LOAD_MODE=$(MODE) $(BIN)/python -m bench --only load

# Mutation score of the rule modules (mutmut; slow, not run in CI). MODULES=sanitize anchoring ...
# MUTATE_CHILDREN mutants at once (default 1: a shared machine).
MUTATE_CHILDREN ?= 1
mutate: $(STAMP)
	$(BIN)/python tools/mutate.py --max-children $(MUTATE_CHILDREN) $(MODULES)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 bench/results .mutate
