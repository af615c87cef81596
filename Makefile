# Two commands for a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv lint format serve serve-daphne timers bench

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

# uvicorn (uvloop + httptools) serves REST and WebSockets; our own access log replaces its.
# No per-message deflate: it costs far more memory per socket than our small frames save.
UVICORN := $(BIN)/uvicorn --no-access-log --ws websockets-sansio --ws-per-message-deflate false \
	--ws-max-size 16777216 --timeout-graceful-shutdown 10

# The embedded default (SQLite, in-memory channel layer) unless DATABASE_URL / REDIS_URL are set.
run: venv
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-1} $(UVICORN) --host $(HOST) --port $(PORT) gameplatform.asgi:application

# More server processes (WORKERS, default 2) on one port: needs DATABASE_URL and REDIS_URL.
serve: venv
	$(UVICORN) --workers $${WORKERS:-2} --host $(HOST) --port $(PORT) gameplatform.asgi:application

# The same application under daphne (still supported; see the README for the differences).
serve-daphne: venv
	$(BIN)/daphne --access-log /dev/null -b $(HOST) -p $(PORT) gameplatform.asgi:application

# Dedicated timer runners, for servers started with RUN_TIMERS_IN_SERVER=0.
timers: venv
	$(BIN)/python manage.py run_timers

# Every platform figure against its target (own PostgreSQL database and Redis db; needs wrk).
# ARGS=--quick for a smoke run.
bench: venv
	$(BIN)/python bench/figures.py $(ARGS)

test: venv
	$(BIN)/pytest $(ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
