"""Fixtures shared by every app's tests: people, authenticated clients, sockets, clean stores."""

import asyncio
import functools
import itertools
import os
import time

import pytest
import redis
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from gameplatform.data import ratelimit
from gameplatform.data.redis import get_redis
from gameplatform.tests.live import live_server_name, session_redis_url, session_server

_usernames = itertools.count(1)

requires_postgres = pytest.mark.skipif(not settings.IS_POSTGRES, reason="needs PostgreSQL (set DATABASE_URL)")
requires_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (set REDIS_URL)")


def infrastructure_required() -> bool:
    """CI (``CI=true``, as .ci/run runs) or ``CLUSTER_REQUIRED=1``: the scale-out tests must run there."""
    return os.environ.get("CLUSTER_REQUIRED", "") not in ("", "0") or os.environ.get("CI", "").lower() in ("1", "true")


def requires_binaries(missing: str | None) -> pytest.MarkDecorator:
    """``missing`` says what this machine lacks for the test (a binary, an OS user; None: nothing).
    The test then skips with that reason, or fails with it where ``infrastructure_required()``:
    CI cannot turn green by skipping the cluster, Sentinel or pgbouncer tests."""
    return pytest.mark.needs_binaries(missing)


def _test_database() -> dict:
    """The test database's settings: Django's rule for its name (``TEST["NAME"]``, else ``test_``
    and the database's name), on the server and as the user of ``DATABASES["default"]``."""
    database = settings.DATABASES["default"]
    name = (database.get("TEST") or {}).get("NAME") or f"test_{database['NAME']}"
    return {**database, "NAME": name}


def _admin_url(database: dict) -> str:
    user = database["USER"] or ""
    return f"postgresql://{user}@{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}/postgres"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On PostgreSQL the test database is a copy (``CREATE DATABASE ... TEMPLATE``, a second or two)
    of the migrated database every test process shares (``live.migrated_template``), where each
    process (three workers a run, four runs in CI) used to migrate its own for about 13 s of CPU.
    Django's set-up then finds it there (``django_db_keepdb``) and its ``migrate`` has nothing to do."""
    if not settings.IS_POSTGRES:
        return
    import psycopg

    from gameplatform.tests.live import migrated_template

    database = _test_database()
    admin_url = _admin_url(database)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    template = migrated_template(admin_url, {**env, "DJANGO_SETTINGS_MODULE": "gameplatform.test_settings"})
    with psycopg.connect(admin_url, password=database["PASSWORD"] or None, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database["NAME"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database["NAME"]}" TEMPLATE "{template}"')


@pytest.fixture(scope="session")
def django_db_keepdb(request):
    """Kept, on PostgreSQL: the database is already there, a fresh copy (above), and Django must
    not make it again; it is dropped at the session's end (``close_db_pool_before_teardown``)."""
    return bool(request.config.getvalue("reuse_db")) or settings.IS_POSTGRES


@pytest.fixture(autouse=True)
def database_connections_given_back():
    """After each test, every connection of this process's pool is back: the database worker
    threads give back the ones they keep between units (a later test's threads need the pool's
    places: four kept, with a race's threads, left none), and a pool that still lends out more
    than the test's own thread holds (a thread that ended holding one) is made anew, so one
    test's leftovers never time out the next test's ("couldn't get a connection")."""
    yield
    from django.db import connections

    from gameplatform.data import db

    db.reset_pool()
    try:
        asyncio.get_running_loop()
        return  # a loop runs on this thread (a browser's sync API): Django refuses connection work here
    except RuntimeError:
        pass
    if not settings.IS_POSTGRES:
        return
    default = connections["default"]
    if not hasattr(default, "close_pool") or "pool" not in default.settings_dict.get("OPTIONS", {}):
        return
    stats = default.pool.get_stats()  # psycopg_pool's figures: connections made, and idle in the pool
    lent = stats.get("pool_size", 0) - stats.get("pool_available", 0)
    if lent > (1 if default.connection is not None else 0):
        default.close()
        default.close_pool()


@pytest.fixture(scope="session", autouse=True)
def close_db_pool_before_teardown(django_db_setup, django_db_blocker, request):
    """Pooled connections opened by consumer threads, the connections the database worker
    threads keep, and the worker processes (``DB_PROCESSES``), would keep the test database
    busy at drop time."""
    yield
    from django.db import connections

    from gameplatform.data import db

    db.reset_processes()
    db.reset_pool()  # each worker thread gives back the connection it keeps between units

    for conn in connections.all():
        if hasattr(conn, "close_pool"):
            conn.close_pool()
    if settings.IS_POSTGRES:
        _wait_for_sessions_to_end(connections["default"].settings_dict)
        if not request.config.getvalue("reuse_db"):
            _drop_database(connections["default"].settings_dict)


def _drop_database(database: dict) -> None:
    """The test database at the session's end (kept by Django's teardown: ``django_db_keepdb``)."""
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(_admin_url(database), password=database["PASSWORD"] or None, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database["NAME"]}" WITH (FORCE)')


def _wait_for_sessions_to_end(database: dict, seconds: float = 2.0) -> None:
    """A process that closed its connections and ended leaves the database a moment later: the
    server side of a connection ends after its client. Waits for the test database's sessions to go."""
    import psycopg

    params = {"host": database["HOST"], "port": database["PORT"], "user": database["USER"], "dbname": "postgres"}
    with psycopg.connect(**{k: v for k, v in params.items() if v}, password=database["PASSWORD"] or None) as conn:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            count = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database["NAME"]])
            if count.fetchone()[0] == 0:
                return
            time.sleep(0.05)


@functools.cache
def _session_redis() -> redis.Redis:
    return redis.Redis.from_url(session_redis_url())


@pytest.fixture(autouse=True)
def clean_shared_stores():
    """Each test starts with an empty cache, rate-limit windows and presence (Redis or process memory)."""
    from gameplatform.operations import timers
    from gameplatform.rooms import store as rooms
    from gameplatform.sockets import presence

    if settings.REDIS_URL:
        get_redis().flushdb()
        _session_redis().flushdb()  # the session's live server's
    else:
        cache.clear()
        ratelimit._local.hits.clear()
    presence._local_store.clear()
    rooms.clear_local_store()
    # Every timer job due at once: a test that ran a round at a made-up time (``run_due(now)``) must not
    # leave the jobs due only when this machine's monotonic clock (its uptime) reaches that time.
    for job in timers.JOBS.values():
        job.next_run = 0.0
    yield


@pytest.fixture
def make_user(django_user_model):
    def make(username: str | None = None, *, premium: bool = False, password: str = "pass-w0rd-long", **extra):
        username = username or f"player{next(_usernames)}"
        return django_user_model.objects.create_user(
            username=username,
            email=extra.pop("email", f"{username}@example.com"),
            password=password,
            is_premium=premium,
            **extra,
        )

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def carol(make_user):
    return make_user("carol")


@pytest.fixture
def premium_owner(make_user):
    return make_user("premium_owner", premium=True)


@pytest.fixture
def make_staff(make_user):
    """A staff user (``is_staff``) in the given roles (``staff.roles``: groups made by a migration)."""
    from django.contrib.auth.models import Group

    def make(username: str, *roles: str, superuser: bool = False):
        user = make_user(username, is_staff=True, is_superuser=superuser)
        user.groups.add(*Group.objects.filter(name__in=roles))
        return user

    return make


@pytest.fixture
def befriend():
    """Make two users friends (both directions), as accepting a request would."""
    from friends.services import friendship_create

    def make(user_a, user_b) -> None:
        friendship_create(user_a=user_a, user_b=user_b)

    return make


@pytest.fixture
def api_client():
    return APIClient()


def access_token_for(user) -> str:
    """An access token (no database write, so async tests can call it)."""
    return str(AccessToken.for_user(user))


@pytest.fixture
def client_for():
    """An APIClient authenticated as ``user`` with a Bearer access token."""

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
        return client

    return make


@pytest.fixture
def ws_connect():
    """Open a socket on the real ASGI application (origin check and JWT middleware included).

    ``user`` authenticates with a Bearer header; ``query`` is appended as-is; ``subprotocols`` are
    offered in the handshake (the second value returned is then the one the server chose).
    Every communicator opened here is disconnected at the end of the test.
    """
    from gameplatform.asgi import application

    opened: list[WebsocketCommunicator] = []

    async def connect(
        path: str,
        user=None,
        *,
        query: str = "",
        origin: str | None = "http://localhost",
        headers=None,
        subprotocols=None,
    ):
        all_headers = list(headers or [])
        if origin is not None:
            all_headers.append((b"origin", origin.encode()))
        if user is not None:
            all_headers.append((b"authorization", f"Bearer {access_token_for(user)}".encode()))
        communicator = WebsocketCommunicator(
            application, f"{path}?{query}" if query else path, headers=all_headers, subprotocols=subprotocols
        )
        opened.append(communicator)
        # A bound for a failure, not a wait: a connect takes about 0.15 s here, and several
        # seconds on a 2-core machine running three workers and their servers.
        connected, code = await communicator.connect(timeout=15)
        return communicator, connected, code

    yield connect
    # Communicators are closed by the tests themselves (``await ws.disconnect()``);
    # anything left open is torn down with the test's event loop.
    opened.clear()


async def receive_type(communicator: WebsocketCommunicator, frame_type: str, timeout: float = 3) -> dict:
    """The next frame of ``frame_type``, skipping others (e.g. presence noise)."""
    while True:
        frame = await communicator.receive_json_from(timeout=timeout)
        if frame.get("type") == frame_type:
            return frame


async def closed_with(communicator: WebsocketCommunicator, timeout: float = 3) -> int:
    """The close code the socket ends with, skipping the frames before it (an error, presence noise)."""
    while True:
        message = await communicator.receive_output(timeout=timeout)
        if message["type"] == "websocket.close":
            return message.get("code")


# --- a real server process, shared by the black-box tests of every folder ------------


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "cluster: starts the whole local cluster of `make cluster` and breaks it (`make cluster-test` runs these)",
    )
    config.addinivalue_line(
        "markers",
        "needs_binaries(missing): what the machine lacks for this test (None: nothing); it skips saying so,"
        " or fails where CI or CLUSTER_REQUIRED is set (conftest.requires_binaries)",
    )
    config.addinivalue_line(
        "markers", "live: starts a real server process (LiveServer); `make test` runs these again under daphne"
    )
    config.addinivalue_line(
        "markers",
        "serial: measures time against a bound or loads the whole machine (a bench's quick run, a cluster's"
        " faults); `make test` runs these alone, after the tests it runs side by side (docs/development.md)",
    )
    config.addinivalue_line(
        "markers",
        "contract: a live test that holds a route or frame family of the contract to the server;"
        ' `make test` runs these again under daphne (docs/development.md, "The second server")',
    )
    config.addinivalue_line(
        "markers",
        "daphne_differs(reason): daphne cannot do what this live test asks, for the reason given;"
        " with LIVE_SERVER=daphne the test is an expected failure (strict: it fails once daphne passes it)",
    )


def pytest_runtest_logreport(report):
    """Under ``FAILED_TESTS=FILE`` (``make test``'s side-by-side runs), each failed test's id goes
    to FILE, once, from the process that prints the run's results (pytest-xdist's controller, not
    its workers): ``.ci/alone.py`` then runs them once more alone."""
    path = os.environ.get("FAILED_TESTS")
    if path and report.failed and not os.environ.get("PYTEST_XDIST_WORKER"):
        with open(path, "a") as failed:
            failed.write(f"{report.nodeid}\n")


def pytest_runtest_setup(item):
    """A ``needs_binaries`` test whose binaries are missing skips, or fails in CI (``requires_binaries``)."""
    for mark in item.iter_markers("needs_binaries"):
        missing = mark.args[0]
        if not missing:
            continue
        if infrastructure_required():
            pytest.fail(f"{missing} (CI or CLUSTER_REQUIRED is set: this test may not skip)", pytrace=False)
        pytest.skip(missing)


def pytest_collection_modifyitems(items):
    """Every test on the session's live server is a ``live`` test (tests that start servers of
    their own carry the marker themselves). Under daphne, ``daphne_differs`` tests are expected
    to fail, each with its reason in the summary, and run last: whatever such a failure leaves on
    the shared server (a user still online) cannot disturb the tests that pass."""
    daphne = live_server_name() == "daphne"
    differing = []
    for item in items:
        if "live_server_process" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.live)
        differs = item.get_closest_marker("daphne_differs")
        if daphne and differs is not None:
            item.add_marker(pytest.mark.xfail(reason=f"daphne: {differs.args[0]}", strict=True))
            differing.append(item)
    if differing:
        items[:] = [item for item in items if item not in differing] + differing


@pytest.fixture(scope="session")
def live_server_process(tmp_path_factory):
    """One real server process (the Makefile's flags for ``LIVE_SERVER``, uvicorn unless it says
    daphne; DEBUG off, the demo data) for the session: the kit's socket and fuzz tests, the
    Python SDK's and the browser tests all use it."""
    server = session_server(tmp_path_factory.mktemp("live")).start()
    yield server
    server.stop()


@pytest.fixture
def live(request, live_server_process):
    """The live server; the test fails if the server logged an error or a credential, or died meanwhile
    (a ``daphne_differs`` test under daphne: what it logged is part of its expected failure)."""
    offset = live_server_process.log_size()
    yield live_server_process
    live_server_process.assert_alive()
    if live_server_process.server == "daphne" and request.node.get_closest_marker("daphne_differs"):
        return
    errors = live_server_process.errors_since(offset)
    assert not errors, "the server logged errors:\n" + "\n".join(errors)
    leaked = live_server_process.credentials_logged(offset)
    assert not leaked, "the server logged credentials:\n" + "\n".join(leaked[:5])
