"""A real server process for black-box tests: uvicorn or daphne with the Makefile's flags, its own database.

``LiveServer`` runs ``manage.py migrate`` and ``seed_demo`` on a database of its own (a SQLite
file, or a throwaway PostgreSQL database beside the test database when ``DATABASE_URL`` is
PostgreSQL: there the database is a copy, made by PostgreSQL in a second or two, of one migrated
database every test process shares (``migrated_template``: migrating takes about 13 s of CPU, and
a suite's processes and server environments used to migrate afresh several dozen times), then
seeded, and the next server of the process whose environment cannot make its data differ gets a
copy of the seeded one), then the exact ``UVICORN`` command line of the Makefile, or its ``DAPHNE`` line when
``LIVE_SERVER=daphne`` (``make test`` runs the ``live`` tests a second time that way). A server a
test starts shares the test's ``REDIS_URL`` (several servers of one test are one deployment, and
the test reads their presence); the session's shared server (``session_server``) has a Redis
database of its own (``session_redis_url``): its timers, which sweep presence every second, run
all session long and would otherwise sweep what a test process planted. Everything the server logs
goes to a file the tests read back (``errors_since``): an unhandled exception fails them, and
so does a credential in the log (``credentials_logged``, checked when the server stops).
"""

import asyncio
import atexit
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "live-server-test-secret-key-not-for-production-0123456789"


# What a credential looks like in a log line, independently of the redaction rule it checks
# (gameplatform.core.logs): a JWT; a value of token=, ticket=, refresh=, password=, or of the whole
# names code=, state=, openid.sig= (a sign-in callback's), that is not "[redacted]"; a JSON
# "access"/"refresh"/"token"/"ticket"/"password" string (quotes escaped or not) that is not either.
CREDENTIAL = re.compile(
    r"eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}"
    r"|\b(?:token|ticket|refresh|password)=(?!\[redacted\]|%5Bredacted%5D)[^&\s\"\\]+"
    r"|(?<![\w%.-])(?:code|state|openid\.sig)=(?!\[redacted\]|%5Bredacted%5D)[^&\s\"\\]+"
    r'|\\?"(?:access|refresh|token|ticket|password)\\?"\s*:\s*\\?"(?!\[redacted\])',
    re.IGNORECASE,
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The servers the live tests can run: each one's Makefile variable, how it takes an address, and
# how it is told to take the client's address from X-Forwarded-For of any peer (behind a balancer).
SERVERS = {
    "uvicorn": {
        "variable": "UVICORN",
        "bind": ["--host", "127.0.0.1", "--port"],
        "trust_proxy": {"env": {"FORWARDED_ALLOW_IPS": "*"}, "args": []},
    },
    "daphne": {
        "variable": "DAPHNE",
        "bind": ["-b", "127.0.0.1", "-p"],
        "trust_proxy": {"env": {}, "args": ["--proxy-headers"]},
    },
}


# What daphne cannot do, as the reasons of the live tests it fails (``daphne_differs``, conftest.py).
# (autobahn's refusal of close codes 1001-2999 is no such reason: the Makefile's daphne line sets
# WS_PRIVATE_CLOSE_CODES, and ``LiveServer.close_code`` says which code to expect.)
DAPHNE_CLOSE_REPLY = (
    "autobahn answers a client's close frame with 1000, not the client's code (RFC 6455 only says an"
    " endpoint typically echoes it), and the browser reports the code it got back: a client that closes"
    " with 4000 to drop its socket sees 1000, which the SDK takes for a final close"
)
DAPHNE_DROPS_OVER_ITS_LIMIT = (
    "past --websocket-max-message-size autobahn drops the connection without a close frame (1006);"
    " daphne has no option to close 1009 instead"
)


def live_server_name() -> str:
    """The server of this test run: ``LIVE_SERVER`` (``uvicorn``, the default, or ``daphne``)."""
    name = os.environ.get("LIVE_SERVER") or "uvicorn"
    assert name in SERVERS, f"LIVE_SERVER={name!r}: one of {', '.join(SERVERS)}"
    return name


def makefile_server_command(server: str) -> tuple[dict[str, str], list[str]]:
    """The Makefile's line for ``server``: the environment it sets (``NAME=value`` before the
    executable) and its flags (after it), so tests run what operators run."""
    variable = SERVERS[server]["variable"]
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    line = re.search(rf"^{variable}\s*:=\s*(.+)$", text, re.MULTILINE).group(1)
    words = shlex.split(line)
    env = {}
    while "=" in words[0]:
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    assert words[0].endswith(server), words
    return env, words[1:]


def makefile_server_args(server: str) -> list[str]:
    """The flags of the Makefile's line for ``server`` (after the executable)."""
    return makefile_server_command(server)[1]


def makefile_uvicorn_args() -> list[str]:
    return makefile_server_args("uvicorn")


def live_server_args(server: str) -> list[str]:
    """The Makefile's flags, with uvicorn's ``--ws`` replaced by ``LIVE_UVICORN_WS`` when it is set
    (``websockets-sansio``: uvicorn's own protocol, where the Makefile runs the project's,
    ``preparedws``)."""
    args = makefile_server_args(server)
    ws = os.environ.get("LIVE_UVICORN_WS")
    if server == "uvicorn" and ws:
        args[args.index("--ws") + 1] = ws
    return args


def session_redis_url() -> str:
    """The Redis database of the session's shared live server: ``LIVE_REDIS_URL``, or the suite's
    ``REDIS_URL`` with the database next to it (0 and 1, 14 and 15: give concurrent runs even numbers)."""
    if os.environ.get("LIVE_REDIS_URL"):
        return os.environ["LIVE_REDIS_URL"]
    url = urlparse(settings.REDIS_URL)
    index = int(url.path.lstrip("/") or 0)
    return urlunparse(url._replace(path=f"/{index ^ 1}"))


# The environment variables only a running server reads: servers that differ in these alone share
# one prepared database (``LiveServer.start``), where any other difference migrates and seeds afresh.
RUNTIME_ONLY = frozenset(
    {
        "DATABASE_URL",
        "REDIS_URL",
        "WEB_CONCURRENCY",
        "DB_POOL_TIMEOUT",
        "PRESENCE_TTL_SECONDS",
        "PROMETHEUS_MULTIPROC_DIR",
        "FORWARDED_ALLOW_IPS",
        "REDIS_SENTINELS",
        "REDIS_SENTINEL_MASTER",
        "CHANNEL_REDIS_URLS",
    }
)

# A prepared database's key (``LiveServer._template_key``) -> a copy of such a database, seeded;
# each copy -> the address its DROP is sent to when the process ends.
_prepared_templates: dict[tuple, str] = {}
_template_admin_urls: dict[str, str] = {}

# The shared migrated databases' names: this prefix, then a digest of what migrating writes.
MIGRATED_PREFIX = "gp_migrated_"


def migrations_digest() -> str:
    """What a migrated database depends on: Django's version and every migration file of the
    project (their names and contents). Settings and the environment play no part: no migration
    reads them but for the user model, which is fixed, and the database, which is PostgreSQL here."""
    import hashlib

    import django

    digest = hashlib.sha256(django.get_version().encode())
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def migrated_template(admin_url: str, env: dict) -> str:
    """The name of a database on ``admin_url``'s PostgreSQL with every migration applied and nothing
    else, shared by every test process of every run on that server while the migrations stay as
    they are (``migrations_digest``): the first process to ask migrates it (``manage.py migrate``
    with ``env``), under an advisory lock that the others wait on, and renames it into place, so no
    process ever copies a half-migrated one. Copies of it are made with ``CREATE DATABASE ...
    TEMPLATE``. Shared ones of other migrations are dropped when a new one is made (one that is
    being copied at that moment refuses the drop and stays until the next). ``.ci/run`` drops
    them all at its start."""
    import psycopg

    name = f"{MIGRATED_PREFIX}{migrations_digest()}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", [MIGRATED_PREFIX])
        try:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                return name
            building = f"{name}_building"
            conn.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{building}"')
            url = urlparse(admin_url)._replace(path=f"/{building}").geturl()
            done = subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput"],
                cwd=ROOT,
                env={**env, "DATABASE_URL": url},
                capture_output=True,
                text=True,
            )
            assert done.returncode == 0, f"manage.py migrate failed:\n{done.stdout}\n{done.stderr}"
            _wait_for_no_sessions(conn, building)
            conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
            stale = conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
                [MIGRATED_PREFIX.replace("_", r"\_") + "%", name],
            ).fetchall()
            for (old,) in stale:
                try:
                    conn.execute(f'DROP DATABASE IF EXISTS "{old}"')
                except psycopg.errors.ObjectInUse:
                    pass  # being copied by a run of other migrations: dropped by the next new one
            return name
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", [MIGRATED_PREFIX])


def _wait_for_no_sessions(conn, database: str, seconds: float = 10.0) -> None:
    """A process that ended leaves its database a moment after it: the server side of a
    connection ends after its client. A database is renamed or copied only with no session."""
    deadline = time.monotonic() + seconds
    while conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database]).fetchone()[0]:
        assert time.monotonic() < deadline, f"sessions still open on {database}"
        time.sleep(0.05)


@atexit.register
def _drop_templates() -> None:
    import psycopg

    for template, admin_url in _template_admin_urls.items():
        try:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        except psycopg.OperationalError:
            pass  # a test's own PostgreSQL, stopped with its test: the template went with it


def session_server(workdir: Path) -> "LiveServer":
    """The server the session's ``live`` tests share (not started)."""
    return LiveServer(workdir, env={"REDIS_URL": session_redis_url()} if settings.REDIS_URL else None)


class LiveServer:
    """``database_url``: a database of the test's choosing, created, migrated and dropped unless
    ``prepare=False`` (then the server joins one another server prepared); ``env``: more
    environment for the server process; ``server``: ``uvicorn`` or ``daphne`` (default:
    ``LIVE_SERVER``); ``trust_proxy``: the client's address comes from X-Forwarded-For, whoever
    sends it (a server behind a balancer)."""

    def __init__(
        self,
        workdir: Path,
        *,
        database_url: str | None = None,
        prepare: bool = True,
        env: dict | None = None,
        server: str | None = None,
        trust_proxy: bool = False,
    ) -> None:
        self.workdir = workdir
        self.server = server or live_server_name()
        proxy = SERVERS[self.server]["trust_proxy"] if trust_proxy else {"env": {}, "args": []}
        self.extra_args = proxy["args"]
        self.prepare = prepare
        self.port = free_port()
        self.http = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.process: subprocess.Popen | None = None
        self.pg_database: str | None = None
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        self.env.update(
            {
                "DJANGO_SETTINGS_MODULE": "gameplatform.settings",
                "SECRET_KEY": SECRET_KEY,
                "DEBUG": "0",
                "RUN_TIMERS_IN_SERVER": "1",
                "LOG_LEVEL": "INFO",
                # Every test of the session registers from 127.0.0.1 (default: 10 per hour).
                "REGISTRATIONS_PER_ADDRESS": "100000",
                # Two players queued for the arena start at once (no fill window for more to come).
                "QUEUE_FILL_SECONDS": "0",
            }
        )
        if database_url:
            self.env["DATABASE_URL"] = database_url
            if database_url.startswith("postgres"):
                self.pg_database = urlparse(database_url).path.lstrip("/")
        elif settings.IS_POSTGRES:
            # One database per server: two servers of a session never drop each other's.
            self.pg_database = f"{settings.DATABASES['default']['NAME'][:40]}_live_{uuid.uuid4().hex[:8]}"
            url = urlparse(settings.DATABASE_URL)
            self.env["DATABASE_URL"] = urlunparse(url._replace(path=f"/{self.pg_database}"))
        else:
            self.env["DATABASE_URL"] = f"sqlite:///{workdir / 'live.sqlite3'}"
        self.env.update(makefile_server_command(self.server)[0])  # what the Makefile's line sets
        self.env.update(proxy["env"])
        self.env.update(env or {})

    # --- life cycle -----------------------------------------------------------------

    def start(self) -> "LiveServer":
        if self.prepare:
            self.prepare_database()
        args = [*live_server_args(self.server), *self.extra_args, *SERVERS[self.server]["bind"], str(self.port)]
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - open for the server's lifetime
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.server, *args, "gameplatform.asgi:application"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, self.log_path.read_text()
            try:
                # 301: a server that sends plain http to https (SECURE_SSL_REDIRECT) is up too.
                if httpx.get(f"{self.http}/api/status/", timeout=2).status_code in (200, 301, 503):
                    return self
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)

    def prepare_database(self, *, seed: bool = True) -> None:
        """The server's database made afresh, migrated, then seeded unless ``seed`` is false (what
        ``start`` does first when ``prepare``; a test calls it alone for a database a bench then
        runs on). On PostgreSQL it is a copy (``CREATE DATABASE ... TEMPLATE``, a second or two) of
        the migrated database every test process shares (``migrated_template``), then seeded; the
        seeded database is kept as a template too, and the next server of this process with the
        same key (``_template_key``) gets a copy of it, seeded already."""
        if not self.pg_database:
            self._manage(["migrate", "--noinput"])
            if seed:
                self._manage(["seed_demo"])
            return
        self._pg(f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)')
        key = self._template_key()
        if seed and key in _prepared_templates:
            self._pg_copy(template_of=_prepared_templates[key], name=self.pg_database)
            return
        admin_url = urlparse(self.env["DATABASE_URL"])._replace(path="/postgres").geturl()
        self._pg_copy(template_of=migrated_template(admin_url, self.env), name=self.pg_database)
        if seed:
            self._manage(["seed_demo"])
            self._keep_as_template(key)

    def _manage(self, command: list[str]) -> None:
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"manage.py {command[0]} failed:\n{done.stdout}\n{done.stderr}"

    def _template_key(self) -> tuple:
        """What ``migrate`` and ``seed_demo`` write can depend on: the server's environment, but the
        variables only a running server reads (``RUNTIME_ONLY``); and the PostgreSQL cluster the
        database is on, by its system identifier (a test's own PostgreSQL has none of the others'
        templates, even on an address an earlier one had)."""
        return (self._pg_cluster(), *sorted((k, v) for k, v in self.env.items() if k not in RUNTIME_ONLY))

    def _pg_cluster(self) -> tuple[str, int]:
        """The PostgreSQL server's address and its cluster's system identifier (made by ``initdb``,
        the same across restarts, different for every cluster)."""
        import psycopg

        admin_url = urlparse(self.env["DATABASE_URL"])._replace(path="/postgres").geturl()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            (identifier,) = conn.execute("SELECT system_identifier FROM pg_control_system()").fetchone()
        return admin_url, identifier

    def _keep_as_template(self, key: tuple) -> None:
        """A copy of the database as it is now (seeded), for the next prepared database of this process
        with the same key (dropped at exit). Not kept if the database's sessions linger (the copy
        needs none): the next server then seeds as this one did."""
        template = f"{self.pg_database[:40]}_tpl_{uuid.uuid4().hex[:8]}"
        if self._pg_copy(template_of=self.pg_database, name=template, required=False):
            admin_url = urlparse(self.env["DATABASE_URL"])._replace(path="/postgres").geturl()
            _prepared_templates[key] = template
            _template_admin_urls[template] = admin_url

    def _pg_copy(self, template_of: str, name: str, *, required: bool = True) -> bool:
        """``CREATE DATABASE name TEMPLATE template_of``: PostgreSQL copies it file by file (a second or
        two, where migrating and seeding take most of a minute). The source must have no session:
        those of the processes that just ended it leave a moment after them."""
        import psycopg

        deadline = time.monotonic() + 10
        while True:
            try:
                self._pg(f'CREATE DATABASE "{name}" TEMPLATE "{template_of}"')
                return True
            except psycopg.errors.ObjectInUse:
                if time.monotonic() > deadline:
                    if required:
                        raise
                    return False
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process is not None:
            self.log.close()
        if self.pg_database and self.prepare:
            self._pg(f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)')
        leaked = self.credentials_logged()
        assert not leaked, "the server logged credentials:\n" + "\n".join(leaked[:5])

    def kill(self) -> None:
        """SIGKILL: the process dies on the spot (no shutdown, no socket closed, no presence left)."""
        self.process.kill()
        self.process.wait(10)

    def _pg(self, sql: str) -> None:
        import psycopg

        admin_url = urlparse(self.env["DATABASE_URL"])._replace(path="/postgres").geturl()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql)

    # --- what tests read back --------------------------------------------------------

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def errors_since(self, offset: int) -> list[str]:
        """Log lines after ``offset`` that report an error or an unhandled exception."""
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
        bad = []
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict):
                if str(record.get("level", "")).upper() in {"ERROR", "CRITICAL"} or record.get("exc"):
                    bad.append(line)
            elif "Traceback" in line or "ERROR" in line:
                bad.append(line)
        return bad

    def credentials_logged(self, offset: int = 0) -> list[str]:
        """Log lines after ``offset`` that hold a token, a ticket or a password."""
        if not self.log_path.exists():
            return []
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace")
        return [line for line in text.splitlines() if CREDENTIAL.search(line)]

    def close_code(self, code: int) -> int:
        """The close code this server sends where the contract says ``code``: with
        ``WS_PRIVATE_CLOSE_CODES`` in its environment (the Makefile's daphne line), a standard
        code 1001-1999 + 3000 (4008, 4009, 4013), which autobahn lets the application send."""
        private = self.env.get("WS_PRIVATE_CLOSE_CODES", "").strip().lower() in {"1", "true", "on"}
        return code + 3000 if private and 1001 <= code <= 1999 else code

    def database_workers(self) -> set[int]:
        """The server's database worker processes (``DB_PROCESSES``): its children multiprocessing spawned."""
        found = set()
        for entry in Path("/proc").iterdir():
            try:
                if not entry.name.isdigit() or b"spawn_main" not in (entry / "cmdline").read_bytes():
                    continue
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    found.add(int(entry.name))
            except (OSError, ValueError):
                pass
        return found

    def assert_alive(self) -> None:
        assert self.process is not None and self.process.poll() is None, "the server process died"

    # --- clients ----------------------------------------------------------------------

    def register(self, username: str, password: str = "pass-w0rd-long-enough") -> dict:
        """A new user through the REST API: ``{"id", "access", ...}``."""
        response = httpx.post(
            f"{self.http}/api/auth/register/",
            json={
                "username": username,
                "email": f"{username}@example.com",
                "password": password,
                "password_confirm": password,
            },
            timeout=10,
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return {"id": body["user"]["id"], "username": username, "access": body["access"]}

    def login(self, username: str, password: str = "testpass123") -> dict:
        response = httpx.post(
            f"{self.http}/api/auth/login/", json={"username": username, "password": password}, timeout=10
        )
        assert response.status_code == 200, response.text
        body = response.json()
        me = httpx.get(f"{self.http}/api/me/", headers=bearer(body["access"]), timeout=10).json()
        return {"id": me["id"], "username": username, "access": body["access"]}

    def moderator(self) -> dict:
        """A user in the ``moderator`` role (``is_staff``), made once per server: ``register``'s
        dict with its ``password``. The role is given on the server's own database (``manage.py shell``)."""
        return self._staff("moderator")

    def liveops_staff(self) -> dict:
        """A user in the ``liveops`` role (``is_staff``), made once per server, as ``moderator()``."""
        return self._staff("liveops")

    def _staff(self, role: str) -> dict:
        made = self.__dict__.setdefault("_staff_users", {})
        if role not in made:
            username, password = f"live_{role[:4]}_{uuid.uuid4().hex[:8]}", "pass-w0rd-long-enough"
            user = self.register(username, password)
            self.shell(
                "from django.contrib.auth.models import Group; from accounts.models import User; "
                f"u = User.objects.get(pk={user['id']}); u.is_staff = True; u.save(update_fields=['is_staff']); "
                f"u.groups.add(Group.objects.get(name={role!r}))"
            )
            made[role] = {**user, "password": password}
        return made[role]

    def shell(self, code: str) -> str:
        """Run ``code`` with ``manage.py shell -c`` on the server's database; what it printed."""
        command = [sys.executable, "manage.py", "shell", "-c", code]
        done = subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True)
        assert done.returncode == 0, f"manage.py shell failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def online_users(self) -> int:
        return httpx.get(f"{self.http}/api/status/", timeout=10).json()["online_users"]


async def receive_type(ws, frame_type: str, timeout: float = 10, **match) -> dict:
    """The next frame of ``frame_type`` whose fields equal ``match`` (others skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == frame_type and all(frame.get(k) == v for k, v in match.items()):
                return frame


def bearer(access: str) -> dict:
    return {"Authorization": f"Bearer {access}"}


class Pair:
    """Two server processes on one database and one redis-server of their own, as a deployment's
    processes share them: ``survivor`` (B) lasts for a whole test module, each test starts the
    other (``second``: A) on the same database and Redis, and may kill it. The redis-server is the
    pair's own: game groups carry ids, and another live server of the session on the shared Redis
    (another database, the same ids) would hear these games."""

    def __init__(self, workdir: Path, suffix: str, env: dict | None = None) -> None:
        from gameplatform.tests.test_faults import OwnRedis

        self.redis = OwnRedis(free_port())
        self.env = dict(env or {})
        url = urlparse(settings.DATABASE_URL)
        database = f"{settings.DATABASES['default']['NAME']}_{suffix}"[:60]
        self.database_url = urlunparse(url._replace(path=f"/{database}"))
        self.workdir = workdir
        self.survivor: LiveServer | None = None

    def __enter__(self) -> "Pair":
        self.redis.start()
        env = {"REDIS_URL": self.redis.url, **self.env}
        self.survivor = LiveServer(self.workdir, database_url=self.database_url, env=env)
        try:
            self.survivor.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self.survivor is not None:
                self.survivor.stop()
        finally:
            self.redis.stop()

    def second(self, workdir: Path) -> LiveServer:
        """Another server on the survivor's database and Redis (not prepared again), started."""
        env = {"REDIS_URL": self.redis.url, **self.env}
        return LiveServer(workdir, database_url=self.database_url, prepare=False, env=env).start()
