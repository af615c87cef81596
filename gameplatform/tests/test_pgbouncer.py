"""pgbouncer in transaction mode between a server process and PostgreSQL, for real.

The test starts pgbouncer (its own ini, transaction pooling, three server connections for
the server's pool of eight) and a live server whose ``DATABASE_URL`` is pgbouncer, with
``DB_PGBOUNCER=1``. Migrations, registrations, the queue's matcher (transaction-level advisory
locks) and reads repeated well past psycopg's prepare threshold all run through it from many
threads at once; then pgbouncer is restarted and the server serves again, answering 503
``unavailable`` meanwhile, never 500.
"""

import os
import pwd
import shutil
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx
import psycopg
import pytest
from django.conf import settings

from conftest import requires_binaries, requires_postgres
from gameplatform.tests.live import ROOT, LiveServer, bearer, free_port
from gameplatform.tests.test_faults_live import assert_unavailable, statuses_logged

PGBOUNCER = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)


def _pgbouncer_unavailable() -> str | None:
    if PGBOUNCER is None:
        return "needs pgbouncer"
    if os.geteuid() == 0:  # pgbouncer refuses root: it runs as nobody
        try:
            pwd.getpwnam("nobody")
        except KeyError:
            return "running as root needs a nobody OS user for pgbouncer"
    return None


pytestmark = [
    requires_postgres,
    pytest.mark.live,
    requires_binaries(_pgbouncer_unavailable()),
    pytest.mark.timeout(120),
]

PLAYERS = 12
READS = 15  # per player, on top of everything else: past psycopg's prepare threshold (5) on every connection


class PgBouncer:
    """pgbouncer on a free port in transaction mode, in front of the test's PostgreSQL."""

    def __init__(self, directory: Path) -> None:
        postgres = urlparse(settings.DATABASE_URL)
        self.port = free_port()
        self.directory = directory
        self.ini = directory / "pgbouncer.ini"
        self.ini.write_text(
            "[databases]\n"
            f"* = host={postgres.hostname} port={postgres.port or 5432} user={postgres.username or 'postgres'}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            "auth_type = any\npool_mode = transaction\n"
            "default_pool_size = 3\nmax_client_conn = 500\n"
            # psycopg does not send it, Django's migrate may; pgbouncer refuses what it does not know.
            "ignore_startup_parameters = extra_float_digits\n"
        )
        self.ini.chmod(0o644)
        self.log = directory / "pgbouncer.log"
        self.process: subprocess.Popen | None = None

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([PGBOUNCER, *user, str(self.ini)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                assert self.process.poll() is None, self.log.read_text()
                assert time.monotonic() < deadline, "pgbouncer did not start"
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def pgbouncer(tmp_path):
    tmp_path.chmod(0o755)
    bouncer = PgBouncer(tmp_path)
    bouncer.start()
    yield bouncer
    bouncer.stop()


def test_prepared_statements_break_under_transaction_pooling_without_the_setting(pgbouncer):
    """Why the setting exists: psycopg's own default (prepare after 5 runs) fails through pgbouncer 1.18."""
    database = "postgres"  # any database: the statements are psycopg's own
    failures = []
    with (
        psycopg.connect(pgbouncer.url(database), autocommit=True, prepare_threshold=0) as one,
        psycopg.connect(pgbouncer.url(database), autocommit=True, prepare_threshold=0) as two,
        psycopg.connect(pgbouncer.url(database), autocommit=True, prepare_threshold=0) as three,
        psycopg.connect(pgbouncer.url(database), autocommit=True, prepare_threshold=0) as four,
    ):
        for _ in range(5):
            for conn in (one, two, three, four):
                try:
                    conn.execute("SELECT %s::int + 1", [1]).fetchone()
                except psycopg.errors.Error as exc:
                    failures.append(type(exc).__name__)
    assert failures  # "prepared statement ... already exists" / "... does not exist"


def _workload(server: LiveServer, players: int) -> dict:
    """Players register, queue and read, all at once: every answer's status counted, where each
    player stands in the queue, and one player's access token."""
    run = uuid.uuid4().hex[:6]
    statuses: dict[int, int] = {}

    def player(n: int) -> tuple[int, dict, str]:
        user = server.register(f"bouncer_{run}_{n}")
        with httpx.Client(base_url=server.http, headers=bearer(user["access"]), timeout=20) as http:
            for response in (
                http.post("/api/matchmaking/join/", json={"mode": "tictactoe"}),
                *(http.get("/api/me/") for _ in range(READS)),
                http.get("/api/lobbies/"),
            ):
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            # A join that found another matcher at work leaves the pairing to it (or to the next round).
            deadline = time.monotonic() + 15
            while (status := http.get("/api/matchmaking/status/").json())["status"] == "queued":
                assert time.monotonic() < deadline, status
                time.sleep(0.2)
            return user["id"], status, user["access"]

    with ThreadPoolExecutor(players) as pool:
        results = list(pool.map(player, range(players)))
    return {"statuses": statuses, "queue": {uid: status for uid, status, _ in results}, "access": results[0][2]}


def _admin(sql: str) -> None:
    url = urlparse(settings.DATABASE_URL)
    with psycopg.connect(urlunparse(url._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(sql)


def test_a_server_behind_pgbouncer_in_transaction_mode_serves_a_concurrent_workload_and_a_restart(
    pgbouncer, tmp_path, capsys
):
    database = f"{settings.DATABASES['default']['NAME'][:40]}_bouncer"
    _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{database}"')
    env = {"DB_PGBOUNCER": "1", "DB_POOL_TIMEOUT": "1"}
    server = LiveServer(tmp_path / "server", database_url=pgbouncer.url(database), prepare=False, env=env)
    (tmp_path / "server").mkdir()
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],  # through pgbouncer too
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
    )
    assert migrated.returncode == 0, migrated.stderr
    server.start()
    try:
        done = _workload(server, PLAYERS)
        assert set(done["statuses"]) == {200}, done["statuses"]
        games = [status.get("game_id") for status in done["queue"].values()]
        # The matcher paired everyone (its advisory lock held per transaction): 6 games of 2.
        assert all(games), done["queue"]
        assert sorted(games.count(game) for game in set(games)) == [2] * (PLAYERS // 2)

        with httpx.Client(base_url=server.http, headers=bearer(done["access"]), timeout=20) as http:
            pgbouncer.stop()
            stopped = time.monotonic()
            assert_unavailable(http.get("/api/me/"))
            pgbouncer.start()
            while (answer := http.get("/api/me/")).status_code != 200:
                assert_unavailable(answer)
                assert time.monotonic() - stopped < 30, "not serving again 30 s after pgbouncer came back"
                time.sleep(0.1)
            recovered = time.monotonic() - stopped
        again = _workload(server, 4)
        assert set(again["statuses"]) == {200}, again["statuses"]
        assert 500 not in statuses_logged(server)
        with capsys.disabled():
            print(f"\npgbouncer restarted: the server serves again {recovered:.1f} s after it went down")
    finally:
        server.stop()
        _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
