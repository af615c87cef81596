# Two commands for a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2

.PHONY: run test venv lock lint format serve serve-check serve-daphne timers bench

venv: $(VENV)/.installed

# The venv is installed from the lock (every package pinned with its hashes), and again
# whenever the lock changes. Dependencies are edited in requirements/*.in, then `make lock`.
$(VENV)/.installed: requirements/dev.txt client/python/pyproject.toml
	@test -x $(BIN)/python || { echo "==> creating the virtualenv $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "==> installing the locked dependencies (requirements/dev.txt)"
	$(BIN)/pip install --disable-pip-version-check -q --require-hashes -r requirements/dev.txt
	@# Local packages, after the lock: the Python SDK (its dependencies are in the lock).
	$(BIN)/pip install --disable-pip-version-check -q --no-deps -e ./client/python
	@touch $@

# Re-compile the locks from requirements/runtime.in and dev.in, keeping every pin that still
# fits. Upgrade chosen packages (transitive ones too) with UPGRADE="pyjwt twisted"; a top-level
# package is upgraded by editing its pin in the .in file. pip-tools runs from a venv of its own.
PIP_TOOLS := $(VENV)/lock-tools
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(PIP_TOOLS)/bin/pip-compile --quiet --generate-hashes \
	--strip-extras --no-emit-index-url --no-emit-find-links $(foreach p,$(UPGRADE),--upgrade-package $(p))
lock:
	@test -x $(PIP_TOOLS)/bin/pip-compile || { echo "==> installing pip-tools into $(PIP_TOOLS)"; \
		$(PYTHON) -m venv $(PIP_TOOLS) && $(PIP_TOOLS)/bin/pip install -q pip-tools==7.6.2; }
	@echo "==> compiling requirements/runtime.txt"
	$(PIP_COMPILE) -o requirements/runtime.txt requirements/runtime.in
	@echo "==> compiling requirements/dev.txt"
	$(PIP_COMPILE) -o requirements/dev.txt requirements/dev.in

# uvicorn (uvloop + httptools) serves REST and WebSockets; our own access log replaces its.
# No per-message deflate: it costs far more memory per socket than our small frames save.
UVICORN := $(BIN)/uvicorn --no-access-log --ws websockets-sansio --ws-per-message-deflate false \
	--ws-max-size 16777216 --timeout-graceful-shutdown 10

# daphne, still supported: the same application. Its access log is off (ours replaces it). Its
# message and frame limits are the same 16 MiB as uvicorn's, not its default 1 MiB: below them
# every frame reaches the kit's own limit (WS_MAX_FRAME_BYTES); above them autobahn drops the
# connection without a close frame (1006). autobahn refuses to send close codes 1001-2999 for the
# application (django/daphne#374): WS_PRIVATE_CLOSE_CODES=1 closes 4008/4009/4013 instead of
# 1008/1009/1013 (README, "Which server serves what").
DAPHNE := WS_PRIVATE_CLOSE_CODES=1 $(BIN)/daphne --access-log /dev/null \
	--websocket-max-message-size 16777216 --websocket-max-frame-size 16777216

# The embedded default (SQLite, in-memory channel layer) unless DATABASE_URL / REDIS_URL are set.
URL := http://$(HOST):$(PORT)
run: venv
	@if [ -n "$$DATABASE_URL" ]; then echo "==> migrating the database (DATABASE_URL)"; \
		else echo "==> migrating the database (SQLite db.sqlite3)"; fi
	@DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	@echo "==> seeding the demo data (idempotent)"
	@DEBUG=$${DEBUG:-1} $(BIN)/python manage.py seed_demo
	@echo ""
	@echo "gameplatform is starting on $(URL)/ (Ctrl-C stops it)"
	@echo "  web client  $(URL)/play/"
	@echo "  API docs    $(URL)/api/docs/"
	@echo "  admin       $(URL)/admin/  (create an account first: $(BIN)/python manage.py createsuperuser)"
	@echo "  demo logins premium_user_1, premium_user_2, user_1 ... user_5, password testpass123"
	@echo ""
	@DEBUG=$${DEBUG:-1} $(UVICORN) --host $(HOST) --port $(PORT) gameplatform.asgi:application

# More server processes (WORKERS, default 2) on one port: needs DATABASE_URL and REDIS_URL, or
# each process would have a database and a channel layer of its own. WORKERS=1 runs without them.
# uvicorn reads the worker count from WEB_CONCURRENCY, and so does the application (settings).
serve: serve-check venv
	WEB_CONCURRENCY=$(WORKERS) $(UVICORN) --host $(HOST) --port $(PORT) gameplatform.asgi:application

serve-check:
	@if [ "$(WORKERS)" != 1 ] && { [ -z "$$DATABASE_URL" ] || [ -z "$$REDIS_URL" ]; }; then \
		echo "make serve: WORKERS=$(WORKERS) processes need DATABASE_URL and REDIS_URL (PostgreSQL and Redis), or each" >&2; \
		echo "  process has its own database and channel layer and players on different processes never see" >&2; \
		echo "  each other. Set both (README, \"Several processes\"), or run one process: make serve WORKERS=1" >&2; \
		exit 2; fi

# The same application under daphne (still supported; see the README for the differences).
serve-daphne: venv
	$(DAPHNE) -b $(HOST) -p $(PORT) gameplatform.asgi:application

# Dedicated timer runners, for servers started with RUN_TIMERS_IN_SERVER=0.
timers: venv
	$(BIN)/python manage.py run_timers

# Every platform figure against its target (own PostgreSQL database and Redis db; needs wrk).
# ARGS=--quick for a smoke run.
bench: venv
	$(BIN)/python bench/figures.py $(ARGS)

# The whole suite, its live servers under uvicorn; then the tests that start a server (marker
# `live`) again under daphne: both servers are held to the one contract. Exit 5 is "no test ran"
# (ARGS chose no live test).
test: venv
	LIVE_SERVER=uvicorn $(BIN)/pytest $(ARGS)
	@echo "==> the live-server tests again, under daphne (LIVE_SERVER=daphne pytest -m live)"
	LIVE_SERVER=daphne $(BIN)/pytest -m live $(ARGS) || [ $$? -eq 5 ]

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
