# Two commands for a fresh machine with Python 3.11: `make run` and `make test`. `make` alone
# (or `make help`) lists every target: a target's line ends with `## what it does`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2

.PHONY: help run dev test canary venv install lock lint format serve serve-check serve-daphne timers bench superuser docs docs-serve
.PHONY: sdk-bundle kubernetes-check
.PHONY: cluster cluster-test
.DEFAULT_GOAL := help

help: ## list the targets (this)
	@echo "make TARGET   (README.md and docs/ say more; the two commands of a fresh machine: make run, make test)"
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-z][a-z-]*:.*## / {printf "  %-13s %s\n", $$1, $$2}' $(firstword $(MAKEFILE_LIST))

venv: $(VENV)/.installed ## create .venv and install the locked dependencies (again when the lock changes)

install: venv ## the same as venv

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
lock: ## re-compile requirements/*.txt from requirements/*.in (UPGRADE="pkg ..." upgrades those)
	@test -x $(PIP_TOOLS)/bin/pip-compile || { echo "==> installing pip-tools into $(PIP_TOOLS)"; \
		$(PYTHON) -m venv $(PIP_TOOLS) && $(PIP_TOOLS)/bin/pip install -q pip-tools==7.6.2; }
	@echo "==> compiling requirements/runtime.txt"
	$(PIP_COMPILE) -o requirements/runtime.txt requirements/runtime.in
	@echo "==> compiling requirements/dev.txt"
	$(PIP_COMPILE) -o requirements/dev.txt requirements/dev.in

# uvicorn (uvloop + httptools) serves REST and WebSockets; our own access log replaces its.
# Several workers (make serve): uvicorn's parent process logs through --log-config (JSON, its errors
# counted in gameplatform_uvicorn_errors_total: gameplatform/operations/uvicorn_parent.py), and on
# SIGHUP waits up to --timeout-worker-healthcheck seconds for each new worker to be ready before it
# stops the old one; past that it keeps the old one and aborts the restart. 30 s: a worker took up to
# 7 s to start under load on a 2-core machine (docs/operations/deploy.md, "Rolling restarts").
# Its WebSockets are the project's own protocol (preparedws/, a package of its own on websockets' Sans-I/O
# API): a broadcast is framed once and written to each socket in the call, and an idle socket holds
# about 7 KiB less than under uvicorn's websockets-sansio.
# No per-message deflate: it costs far more memory per socket than our small frames save.
UVICORN := $(BIN)/uvicorn --no-access-log --ws preparedws:PreparedFramesProtocol --ws-per-message-deflate false \
	--ws-max-size 16777216 --timeout-graceful-shutdown 10 --timeout-worker-healthcheck 30 \
	--log-config gameplatform/operations/uvicorn-logging.json

# daphne, still supported: the same application. Its access log is off (ours replaces it). Its
# message and frame limits are the same 16 MiB as uvicorn's, not its default 1 MiB: below them
# every frame reaches the kit's own limit (WS_MAX_FRAME_BYTES); above them autobahn drops the
# connection without a close frame (1006). autobahn refuses to send close codes 1001-2999 for the
# application (django/daphne#374): WS_PRIVATE_CLOSE_CODES=1 closes 4008/4009/4013 instead of
# 1008/1009/1013 (docs/operations/index.md, "Which server serves what").
DAPHNE := WS_PRIVATE_CLOSE_CODES=1 $(BIN)/daphne --access-log /dev/null \
	--websocket-max-message-size 16777216 --websocket-max-frame-size 16777216

# The embedded default (SQLite, in-memory channel layer) unless DATABASE_URL / REDIS_URL are set.
URL := http://$(HOST):$(PORT)
run: venv ## migrate, seed the demo data, serve on http://127.0.0.1:8000/ (HOST, PORT; SQLite unless DATABASE_URL)
	@if [ -n "$$DATABASE_URL" ]; then echo "==> migrating the database (DATABASE_URL)"; \
		else echo "==> migrating the database (SQLite db.sqlite3)"; fi
	@DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	@echo "==> seeding the demo data (idempotent)"
	@DEBUG=$${DEBUG:-1} $(BIN)/python manage.py seed_demo
	@echo ""
	@echo "gameplatform is starting on $(URL)/ (Ctrl-C stops it)"
	@echo "  web client  $(URL)/play/"
	@echo "  API docs    $(URL)/api/docs/ (REST), $(URL)/api/asyncapi/ (sockets)"
	@echo "  admin       $(URL)/admin/  (create an account first: make superuser)"
	@echo "  demo logins premium_user_1, premium_user_2, user_1 ... user_5, password testpass123"
	@echo ""
	@DEBUG=$${DEBUG:-1} $(UVICORN) --host $(HOST) --port $(PORT) gameplatform.asgi:application

# The dev loop: `make run`'s server with --reload, after dev_prepare, which migrates and seeds only
# when needed (an unapplied migration; demo data missing) and names the directories to watch: the
# project's packages and the package of every GAME_MODES mode from outside it (a studio's, on
# PYTHONPATH or installed). An edit there restarts the server, not the preparation (docs/development.md).
dev: venv ## run with reload: a change to the project or a mode package is served in seconds
	@echo "==> preparing the database (migrate and seed only when needed)"
	@export DEBUG=$${DEBUG:-1}; reload=$$($(BIN)/python manage.py dev_prepare) && \
	echo "" && echo "gameplatform (make dev) is starting on $(URL)/ and reloads on every edit (Ctrl-C stops it)" && \
	eval exec $(UVICORN) --reload $$reload --host $(HOST) --port $(PORT) gameplatform.asgi:application

# An admin account in the database `make run` uses (DATABASE_URL, or SQLite db.sqlite3), through
# the venv's Python. Without a terminal (CI, scripts) Django's createsuperuser --noinput reads
# DJANGO_SUPERUSER_USERNAME, DJANGO_SUPERUSER_PASSWORD and DJANGO_SUPERUSER_EMAIL; with neither a
# terminal nor those it would skip silently, so the target stops and says what to set.
superuser: venv ## create an admin account (asks; or from DJANGO_SUPERUSER_USERNAME/PASSWORD/EMAIL)
	@if [ -n "$$DJANGO_SUPERUSER_USERNAME" ] && [ -n "$$DJANGO_SUPERUSER_PASSWORD" ]; then ask=--noinput; \
	elif [ -t 0 ]; then ask=; \
	else \
		echo "make superuser: no terminal to ask on; set DJANGO_SUPERUSER_USERNAME, DJANGO_SUPERUSER_PASSWORD" >&2; \
		echo "  and DJANGO_SUPERUSER_EMAIL (Django's createsuperuser --noinput reads them)" >&2; \
		exit 2; fi; \
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput -v 0 && \
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py createsuperuser $$ask

# More server processes (WORKERS, default 2) on one port: needs DATABASE_URL and REDIS_URL, or
# each process would have a database and a channel layer of its own. WORKERS=1 runs without them.
# uvicorn reads the worker count from WEB_CONCURRENCY, and so does the application (settings).
# Their metrics (and the parent's count of aborted restarts) add up in one directory: PROMETHEUS_MULTIPROC_DIR,
# or when it is unset one of make serve's own per port, emptied at each start (docs/operations/monitoring.md).
serve: serve-check venv ## WORKERS uvicorn processes on one port (needs DATABASE_URL and REDIS_URL past 1)
	@if [ "$(WORKERS)" != 1 ] && [ -z "$$PROMETHEUS_MULTIPROC_DIR" ]; then \
		export PROMETHEUS_MULTIPROC_DIR="$${TMPDIR:-/tmp}/gameplatform-metrics-$(PORT)"; \
		rm -rf "$$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$$PROMETHEUS_MULTIPROC_DIR" && \
		echo "==> the processes' metrics add up in $$PROMETHEUS_MULTIPROC_DIR (emptied; PROMETHEUS_MULTIPROC_DIR)"; fi; \
	WEB_CONCURRENCY=$(WORKERS) exec $(UVICORN) --host $(HOST) --port $(PORT) gameplatform.asgi:application

serve-check: ## refuse several workers without PostgreSQL and Redis (run by serve)
	@if [ "$(WORKERS)" != 1 ] && { [ -z "$$DATABASE_URL" ] || [ -z "$$REDIS_URL" ]; }; then \
		echo "make serve: WORKERS=$(WORKERS) processes need DATABASE_URL and REDIS_URL (PostgreSQL and Redis), or each" >&2; \
		echo "  process has its own database and channel layer and players on different processes never see" >&2; \
		echo "  each other. Set both (docs/operations, \"Several processes\"), or run one process: make serve WORKERS=1" >&2; \
		exit 2; fi

# The same application under daphne (still supported; docs/operations/index.md lists the differences).
serve-daphne: venv ## the same application under daphne
	$(DAPHNE) -b $(HOST) -p $(PORT) gameplatform.asgi:application

# Dedicated timer runners, for servers started with RUN_TIMERS_IN_SERVER=0.
timers: venv ## the background timers, for servers started with RUN_TIMERS_IN_SERVER=0
	$(BIN)/python manage.py run_timers

# Every platform figure against its target (own PostgreSQL database and Redis db; needs wrk).
# ARGS=--quick for a smoke run.
bench: venv ## every platform figure against its target (ARGS=--quick for a smoke run; needs wrk)
	$(BIN)/python bench/figures.py $(ARGS)

# The whole suite in three runs (docs/development.md, "Running the tests side by side"):
# 1. every test but the `serial` ones, on TEST_WORKERS processes side by side (pytest-xdist; each
#    worker a deployment of its own, gameplatform/test_settings.py), a module's tests on one worker;
# 2. the `serial` tests (a bench's quick run, a cluster's faults: they time themselves or load the
#    whole machine), one at a time, alone;
# 3. the live tests marked `contract` again under daphne, side by side: both servers are held to
#    the one contract, each route and frame family of it once more.
# A side-by-side run's failures (at most 8) run once more alone (.ci/alone.py): a test that passes
# alone counts as passed and is listed at the end as flaky under load, to be fixed.
# All three run even when one fails (then make test fails at the end). Each run writes a JUnit
# report to test-reports/; the runs' times and the slowest tests print at the end. Exit 5 is "no
# test ran" (ARGS chose none of a run's tests). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 3
REPORTS := test-reports
PYTEST_SIDE_BY_SIDE = $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile
ALONE = $(BIN)/python .ci/alone.py
test: venv ## the whole suite: side by side (TEST_WORKERS), the serial tests, the contract under daphne (ARGS=)
	@rm -rf $(REPORTS) && mkdir -p $(REPORTS); failed=; \
	echo "==> 1. the suite on $(TEST_WORKERS) workers side by side, but the serial tests (pytest -m 'not serial')"; \
	LIVE_SERVER=uvicorn FAILED_TESTS=$(REPORTS)/1-failed.txt $(PYTEST_SIDE_BY_SIDE) -m "not serial" \
		--junitxml=$(REPORTS)/1-side-by-side.xml $(ARGS) || [ $$? -eq 5 ] \
		|| LIVE_SERVER=uvicorn $(ALONE) $(REPORTS)/1-failed.txt -- $(BIN)/pytest --junitxml=$(REPORTS)/1-alone.xml \
		|| failed="$$failed 1"; \
	echo "==> 2. the serial tests, one at a time (pytest -m serial)"; \
	LIVE_SERVER=uvicorn $(BIN)/pytest -m serial --junitxml=$(REPORTS)/2-serial.xml $(ARGS) \
		|| [ $$? -eq 5 ] || failed="$$failed 2"; \
	echo "==> 3. the contract's live tests again, under daphne (LIVE_SERVER=daphne pytest -m 'contract and live')"; \
	LIVE_SERVER=daphne FAILED_TESTS=$(REPORTS)/3-failed.txt $(PYTEST_SIDE_BY_SIDE) -m "contract and live" \
		--junitxml=$(REPORTS)/3-daphne.xml $(ARGS) || [ $$? -eq 5 ] \
		|| LIVE_SERVER=daphne $(ALONE) $(REPORTS)/3-failed.txt -- $(BIN)/pytest --junitxml=$(REPORTS)/3-alone.xml \
		|| failed="$$failed 3"; \
	$(BIN)/python .ci/timings.py $(REPORTS); \
	if [ -n "$$failed" ]; then echo "==> make test: run(s)$$failed failed" >&2; exit 1; fi

kubernetes-check: venv ## render deploy/kubernetes/'s overlays, validate them against the Kubernetes schemas, check the invariants
	$(BIN)/python deploy/kubernetes/check.py

# The local cluster (deploy/cluster/cluster.py, docs/operations/past-one-machine.md): four
# uvicorn processes behind nginx, the channel layer on three Redis servers, Redis through Sentinel
# (a primary, a replica, three sentinels), pgbouncer, a database of its own on the PostgreSQL of
# DATABASE_URL (or 127.0.0.1:5432). Ports from CLUSTER_PORT on (default 18000). Ctrl-C stops it all.
CLUSTER_PORT ?= 18000
cluster: venv ## four servers behind nginx, sharded layer, Sentinel, pgbouncer (CLUSTER_PORT; Ctrl-C stops)
	$(BIN)/python deploy/cluster/cluster.py --base-port $(CLUSTER_PORT) $(ARGS)

# The failure test on that cluster (marker `cluster`; `make test` runs it too): each part killed in
# turn while players chat, walk and play; prints the recovery times. Needs a PostgreSQL DATABASE_URL.
cluster-test: venv ## kill each part of the cluster in turn under players; print the recovery times
	$(BIN)/pytest -m cluster $(ARGS)

# The upgrade canary: part of the suite on the newest releases of the frameworks the kit is built
# on (CANARY_PACKAGES; websockets for preparedws, the WebSocket protocol), the rest of the lock as it is, in a venv of its own (.venv-canary). The
# venv is installed from the lock (hash-checked) when the lock changes; then every run upgrades
# CANARY_PACKAGES to their newest release (unlocked, unhashed: a warning light, never a build).
# The newest Django needs Python 3.12 or newer: CANARY_PYTHON, else the first python3.12,
# python3.13 or python3.14 that runs (on PATH, or a pyenv version). Its venv has no setuptools
# (3.11's had), which the licence test builds the SDK's metadata with: installed beside the lock.
# CANARY_TESTS chooses the tests (docs/development.md, "The upgrade canary", says which and why):
# the kit's tests but the infrastructure ones (balancer, pgbouncer, sentinel, the local cluster, faults,
# fuzzing, the manual, make dev, the image's mode packages, the rolling restart...) and slow ones of its own
# code, one module or two of each app, the SDK's calls, preparedws's own tests (the protocol under the newest
# uvicorn and websockets); not the serial ones (benches' quick runs). Each test
# runs once: the live ones marked `contract` under daphne, the rest (other live ones too) under uvicorn.
# `make canary CANARY_TESTS=` runs the whole suite; ARGS= adds pytest options.
CANARY := .venv-canary
CANARY_PACKAGES := Django djangorestframework djangorestframework-simplejwt channels channels-redis uvicorn websockets daphne
CANARY_PYTHON ?=
CANARY_KIT_SKIPS := test_fuzz.py test_faults.py test_faults_live.py test_load_balancer.py test_scale_out_live.py \
	test_cluster_faults.py test_metrics.py test_seed_routes.py test_docs.py test_pgbouncer.py test_redis_sentinel.py test_hub_restart.py \
	test_makefile.py test_make_dev.py test_make_cluster.py test_ship_modes.py test_ws_origin.py test_db_workers.py \
	test_db_processes.py test_rolling_restart_live.py test_room_placement_bench.py test_scale_out_settings.py
CANARY_TESTS ?= gameplatform/tests $(addprefix --ignore=gameplatform/tests/,$(CANARY_KIT_SKIPS)) \
	accounts/tests/test_auth_api.py accounts/tests/test_token_user.py chat/tests/test_dm_api.py \
	chat/tests/test_lobby_admin_demo.py friends/tests/test_requests_api.py game/tests/test_game_api.py \
	groups/tests/test_group_api.py leaderboards/tests/test_leaderboards.py matchmaking/tests/test_queue.py \
	notifications/tests/test_socket.py progression/tests/test_battle_socket.py storage/tests/test_storage_api.py \
	world/tests/test_characters_api.py webclient/tests/test_admin_operations.py \
	client/python/tests/test_sdk_live.py client/python/tests/test_sdk_calls.py preparedws/tests

$(CANARY)/.installed: requirements/dev.txt client/python/pyproject.toml
	@py="$(CANARY_PYTHON)"; \
	if [ -z "$$py" ]; then for v in 3.12 3.13 3.14; do \
		for c in python$$v $$(pyenv root 2>/dev/null)/versions/$$v*/bin/python$$v; do \
			if "$$c" -c "import sys; assert sys.version_info >= (3, 12)" >/dev/null 2>&1; then py=$$c; break 2; fi; \
		done; done; fi; \
	if [ -z "$$py" ]; then echo "make canary: the newest Django needs Python 3.12 or newer; none found:" \
		"set CANARY_PYTHON=/path/to/python3.12" >&2; exit 2; fi; \
	echo "==> creating the canary virtualenv $(CANARY) ($$py)"; rm -rf $(CANARY) && "$$py" -m venv $(CANARY)
	@echo "==> installing the locked dependencies into $(CANARY) (requirements/dev.txt)"
	$(CANARY)/bin/pip install --disable-pip-version-check -q --require-hashes -r requirements/dev.txt
	$(CANARY)/bin/pip install --disable-pip-version-check -q setuptools
	$(CANARY)/bin/pip install --disable-pip-version-check -q --no-deps -e ./client/python
	@touch $@

canary: $(CANARY)/.installed ## part of the suite on the newest Django, DRF, Channels, uvicorn, websockets, daphne... (CANARY_TESTS=, ARGS=)
	@echo "==> upgrading $(CANARY_PACKAGES) to their newest releases"
	$(CANARY)/bin/pip install --disable-pip-version-check -q --upgrade $(CANARY_PACKAGES)
	$(CANARY)/bin/pip check
	@$(CANARY)/bin/python -c "import sys; from importlib.metadata import version; \
		print('==> the canary: Python', sys.version.split()[0] + ',', ', '.join(p + ' ' + version(p) for p in sys.argv[1:]))" \
		$(CANARY_PACKAGES)
	@mkdir -p $(REPORTS) && rm -f $(REPORTS)/4-failed.txt $(REPORTS)/5-failed.txt
	LIVE_SERVER=uvicorn FAILED_TESTS=$(REPORTS)/4-failed.txt $(CANARY)/bin/pytest -n $(TEST_WORKERS) --dist loadfile \
		-m "not serial and not (contract and live)" --junitxml=$(REPORTS)/4-canary.xml $(CANARY_TESTS) $(ARGS) \
		|| LIVE_SERVER=uvicorn $(CANARY)/bin/python .ci/alone.py $(REPORTS)/4-failed.txt -- \
			$(CANARY)/bin/pytest --junitxml=$(REPORTS)/4-alone.xml
	@echo "==> the canary's contract tests, under daphne"
	LIVE_SERVER=daphne FAILED_TESTS=$(REPORTS)/5-failed.txt $(CANARY)/bin/pytest -n $(TEST_WORKERS) --dist loadfile \
		-m "contract and live" --junitxml=$(REPORTS)/5-canary-daphne.xml $(CANARY_TESTS) $(ARGS) || [ $$? -eq 5 ] \
		|| LIVE_SERVER=daphne $(CANARY)/bin/python .ci/alone.py $(REPORTS)/5-failed.txt -- \
			$(CANARY)/bin/pytest --junitxml=$(REPORTS)/5-alone.xml

lint: venv ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv ## ruff format and ruff check --fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The web client's copy of the TypeScript SDK (client/js): one ES module that WhiteNoise serves, committed
# so that `make run` needs no Node. Run it after changing client/js/src; `make test` fails while the
# committed file differs from a fresh bundle (client/js/tests/test_sdk_js_live.py). Needs Node 20 and npm.
sdk-bundle: ## rebuild webclient/static/webclient/gameplatform-client.js from client/js (needs Node 20)
	cd client/js && npm ci --no-audit --no-fund && npm run bundle

# The manual (mkdocs.yml, docs/): built strictly, so a broken link, a missing anchor or a page left
# out of the nav fails the build (gameplatform/tests/test_docs.py builds it the same way).
DOCS_PORT ?= 8001
docs: venv ## build the manual (docs/, MkDocs Material) into site/, strictly: any warning fails
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

docs-serve: venv ## serve the manual with live reload on http://127.0.0.1:8001/ (DOCS_PORT)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:$(DOCS_PORT)
