"""Real faults against real server processes: PostgreSQL restarted, one server process killed.

- PostgreSQL: a cluster of the test's own (initdb in a temp dir, a free port; never the shared
  one) under a live uvicorn server. Stopped: REST answers 503 ``unavailable`` (never 500), an
  open socket's frame that needs the database gets ``error`` unavailable and the socket stays
  open. Started again: REST answers 200 within seconds without a server restart, and what was
  acknowledged before the restart is still there.
- One of two server processes on one database and Redis killed with SIGKILL: a friend on the
  other process hears ``presence offline`` once, within the presence TTL (plus the sweep), and
  the user reconnects to the other process and is served there.
"""

import asyncio
import contextlib
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx
import pytest
from django.conf import settings
from websockets.asyncio.client import connect

from conftest import requires_postgres, requires_redis
from gameplatform.tests.live import LiveServer, bearer, free_port, receive_type
from gameplatform.tests.test_faults import OwnRedis, requires_redis_server

# Each test starts live servers: run again under daphne by `make test` (conftest.py).
pytestmark = pytest.mark.live

_run = uuid.uuid4().hex[:6]


def _postgres_bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return candidates[-1].parent if candidates else None


def _own_postgres_unavailable() -> str | None:
    bindir = _postgres_bindir()
    if bindir is None or not (bindir / "pg_ctl").exists():
        return "needs PostgreSQL's initdb and pg_ctl"
    if os.geteuid() == 0:  # initdb and postgres refuse root: run them as the postgres user
        if shutil.which("runuser") is None:
            return "running as root needs runuser"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root needs a postgres OS user"
    return None


requires_own_postgres = pytest.mark.skipif(
    _own_postgres_unavailable() is not None, reason=_own_postgres_unavailable() or ""
)


class OwnPostgres:
    """A throwaway PostgreSQL cluster in a temp dir on a free port, trust auth, user ``postgres``."""

    def __init__(self) -> None:
        self.bindir = _postgres_bindir()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="gp-own-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.as_postgres = ["runuser", "-u", "postgres", "--"]

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run(
            [*self.as_postgres, str(self.bindir / args[0]), *args[1:]], capture_output=True, text=True, timeout=timeout
        )
        assert done.returncode == 0, f"{args[0]} failed:\n{done.stdout}\n{done.stderr}"

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def own_postgres():
    cluster = OwnPostgres()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


async def open_socket(http_base: str, path: str, access: str):
    return await connect(
        http_base.replace("http://", "ws://") + path,
        additional_headers=bearer(access),
        compression=None,
        ping_interval=None,
        open_timeout=10,
    )


async def receive_chat(ws, content: str, timeout: float = 10) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = await receive_type(ws, "chat_message", timeout=timeout)
            if frame["message"]["content"] == content:
                return frame


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert response.json()["code"] == "unavailable"
    assert int(response.headers["Retry-After"]) >= 1


def statuses_logged(server: LiveServer) -> list[int]:
    """Every HTTP status of the server's access log."""
    found = []
    for line in server.log_path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("status"), int):
            found.append(record["status"])
    return found


# --- PostgreSQL restarted ------------------------------------------------------------


@requires_own_postgres
async def test_postgres_restart_answers_503_keeps_sockets_recovers_without_restart_and_loses_nothing(
    own_postgres, tmp_path
):
    """A PostgreSQL restart under a live server: 503 meanwhile, sockets kept, recovered without a
    restart, nothing lost. It takes tens of seconds: it makes a PostgreSQL cluster of its own
    (``initdb``), starts a server migrated onto it, then stops that cluster and starts it again,
    waiting for REST to recover."""
    server = LiveServer(
        tmp_path,
        database_url=own_postgres.url("gp_restart"),
        # A request waits at most 1 s for a pooled connection while PostgreSQL is gone.
        env={"DB_POOL_TIMEOUT": "1"},
    )
    await asyncio.to_thread(server.start)
    try:
        async with httpx.AsyncClient(base_url=server.http, timeout=20) as http:
            owner = await asyncio.to_thread(server.login, "premium_user_1")
            auth = bearer(owner["access"])
            assert (await http.get("/api/me/", headers=auth)).status_code == 200
            created = await http.post(
                "/api/lobbies/",
                json={"name": f"restart {_run}", "is_public": True, "max_participants": 8},
                headers=auth,
            )
            assert created.status_code == 201, created.text
            lobby_id = created.json()["id"]
            ws = await open_socket(server.http, f"/ws/lobbies/{lobby_id}/", owner["access"])
            await receive_type(ws, "lobby_state")

            # Acknowledged before the restart: a REST write (201) and a socket write (broadcast back).
            posted = await http.post(
                f"/api/lobbies/{lobby_id}/messages/", json={"content": "acknowledged by REST"}, headers=auth
            )
            assert posted.status_code == 201, posted.text
            await ws.send(json.dumps({"type": "chat_message", "message": "acknowledged by socket", "ref": 1}))
            await receive_chat(ws, "acknowledged by socket")

            await asyncio.to_thread(own_postgres.stop, "fast")
            stopped = time.monotonic()
            assert_unavailable(await http.get("/api/me/", headers=auth))
            assert_unavailable(
                await http.post("/api/auth/login/", json={"username": "premium_user_1", "password": "testpass123"})
            )
            status = await http.get("/api/status/")
            assert status.status_code == 503 and status.json()["database"] == "error"
            # The open socket: a frame that needs the database is refused, the socket stays open.
            await ws.send(json.dumps({"type": "chat_message", "message": "during the outage", "ref": 2}))
            frame = await receive_type(ws, "error", timeout=15)
            assert frame["code"] == "unavailable" and frame["ref"] == 2
            await ws.send(json.dumps({"type": "ping"}))
            await receive_type(ws, "pong")
            assert time.monotonic() - stopped < 30  # nothing hung

            await asyncio.to_thread(own_postgres.start)
            started = time.monotonic()
            while (me := await http.get("/api/me/", headers=auth)).status_code != 200:
                assert me.status_code == 503, (me.status_code, me.text[:300])
                assert time.monotonic() - started < 10, "REST did not recover within 10 s"
                await asyncio.sleep(0.2)
            recovered = server.log_size()
            # Every later request too (the pool's broken connections were replaced, not handed out).
            for _ in range(10):
                assert (await http.get("/api/me/", headers=auth)).status_code == 200
            assert (await http.get("/api/status/")).status_code == 200

            listed = await http.get(f"/api/lobbies/{lobby_id}/messages/", headers=auth)
            assert listed.status_code == 200
            assert "acknowledged by REST" in listed.text and "acknowledged by socket" in listed.text
            assert "during the outage" not in listed.text

            # The socket opened before the restart works again.
            await ws.send(json.dumps({"type": "chat_message", "message": "after the restart", "ref": 3}))
            await receive_chat(ws, "after the restart")
            await ws.close()
        server.assert_alive()
        assert 500 not in statuses_logged(server)
        # (During the outage the timers log their failed jobs; once it is over, nothing fails.)
        errors = server.errors_since(recovered)
        assert not errors, "errors after PostgreSQL was back:\n" + "\n".join(errors)
    finally:
        with contextlib.suppress(Exception):  # the cluster goes with the fixture; keep the test's own failure
            await asyncio.to_thread(server.stop)


# --- one server process killed -----------------------------------------------------------

PRESENCE_TTL = 4
SWEEP_SLACK = 2.0  # the sweep runs every second; a heartbeat may have just happened


def _befriend(server: LiveServer, a: dict, b: dict) -> None:
    sent = httpx.post(
        f"{server.http}/api/friends/requests/", json={"user_id": b["id"]}, headers=bearer(a["access"]), timeout=10
    )
    assert sent.status_code == 201, sent.text
    accepted = httpx.post(
        f"{server.http}/api/friends/requests/{sent.json()['id']}/accept/", headers=bearer(b["access"]), timeout=10
    )
    assert accepted.status_code == 200, accepted.text


@pytest.fixture
def own_redis_server():
    server = OwnRedis(free_port())
    server.start()
    yield server
    server.stop()


@requires_postgres
@requires_redis  # the PostgreSQL + Redis setup only; the servers get a redis-server of their own
@requires_redis_server
async def test_killed_server_its_users_go_offline_once_within_the_ttl_and_another_server_serves_them(
    tmp_path, own_redis_server
):
    url = urlparse(settings.DATABASE_URL)
    database = f"{settings.DATABASES['default']['NAME']}_kill"[:60]
    database_url = urlunparse(url._replace(path=f"/{database}"))
    # A Redis of their own: presence is keyed by user id, and another live server of the session
    # (other database, same ids) sharing one Redis would sweep and announce these users itself.
    env = {"PRESENCE_TTL_SECONDS": str(PRESENCE_TTL), "REDIS_URL": own_redis_server.url}
    one = LiveServer(tmp_path / "one", database_url=database_url, env=env)
    two = LiveServer(tmp_path / "two", database_url=database_url, prepare=False, env=env)
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    await asyncio.to_thread(one.start)
    try:
        await asyncio.to_thread(two.start)
        a = await asyncio.to_thread(one.register, f"victim_{_run}")
        b = await asyncio.to_thread(one.register, f"watcher_{_run}")
        await asyncio.to_thread(_befriend, one, a, b)

        watcher = await open_socket(two.http, "/ws/friends/status/", b["access"])
        snapshot = await receive_type(watcher, "presence_snapshot")
        assert [(f["user_id"], f["online"]) for f in snapshot["friends"]] == [(a["id"], False)]
        victim = await open_socket(one.http, "/ws/notifications/", a["access"])
        await receive_type(watcher, "presence", user_id=a["id"], status="online")

        offset = two.log_size()
        await asyncio.to_thread(one.kill)
        killed = time.monotonic()
        await receive_type(watcher, "presence", timeout=PRESENCE_TTL + SWEEP_SLACK, user_id=a["id"], status="offline")
        took = time.monotonic() - killed
        assert took <= PRESENCE_TTL + SWEEP_SLACK, took
        # Once: nothing more about A while A stays away (more sweeps run meanwhile).
        with pytest.raises(TimeoutError):
            await receive_type(watcher, "presence", timeout=2.5, user_id=a["id"])
        victim.transport.abort()  # the dead server's socket, on the client's side

        # A reconnects to the other server: online again, served there.
        again = await open_socket(two.http, "/ws/notifications/", a["access"])
        await receive_type(watcher, "presence", user_id=a["id"], status="online")
        async with httpx.AsyncClient(base_url=two.http, timeout=10) as http:
            me = await http.get("/api/me/", headers=bearer(a["access"]))
            assert me.status_code == 200 and me.json()["id"] == a["id"]
            assert (await http.get("/api/status/")).json()["online_users"] == 2
        await again.close()
        await receive_type(watcher, "presence", user_id=a["id"], status="offline")
        await watcher.close()
        two.assert_alive()
        errors = two.errors_since(offset)
        assert not errors, "the surviving server logged errors:\n" + "\n".join(errors)
    finally:
        await asyncio.to_thread(two.stop)
        await asyncio.to_thread(one.stop)
