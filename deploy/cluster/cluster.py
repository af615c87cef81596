"""A local cluster of gameplatform on one machine, real binaries, no containers: ``make cluster``.

Started in this order, each in a temporary directory of its own and on ports from ``--base-port``:

| part | ports (base +) | what it holds |
|---|---|---|
| PostgreSQL (the machine's) | `--postgres` | a database of the cluster's own (`--database`), migrated and seeded |
| pgbouncer, transaction mode | 40 | the servers' `DATABASE_URL` (`DB_PGBOUNCER=1`) |
| 3 Redis servers | 10, 11, 12 | the channel layer, sharded (`CHANNEL_REDIS_URLS`) |
| Redis primary, 1 replica | 20, 21 | cache, tickets, presence, rate limits, timer leases |
| 3 Redis Sentinels | 30, 31, 32 | name the primary (`REDIS_SENTINELS`), promote the replica when it dies |
| 4 uvicorn server processes | 1, 2, 3, 4 | the Makefile's `UVICORN` line, each a process of its own |
| nginx | 0 | the URL: round robin over the servers, REST and WebSockets |

Ctrl-C (or SIGTERM) stops everything in the reverse order, drops the database and removes the
directory (``--keep`` keeps both). ``Cluster`` is also what ``gameplatform/tests/test_cluster_faults.py``
starts and breaks: ``kill_server``, ``kill_shard``, ``kill_primary`` and ``kill_pgbouncer`` SIGKILL one
part; ``restart`` starts it again on its port and directory, as a supervisor would.
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import psycopg
import redis

ROOT = Path(__file__).resolve().parents[2]
MASTER = "gpmaster"
SERVERS = 4
SHARDS = 3
SENTINELS = 3
# The sentinels call the primary down after 1 s without an answer and fail over at once: the
# cluster is for showing failures. Production keeps Sentinel's defaults or a few seconds.
DOWN_AFTER_MS = 1000


def binary(name: str) -> str | None:
    """``name`` on PATH or in /usr/sbin (Debian installs nginx and pgbouncer there)."""
    found = shutil.which(name)
    if found is None and os.access(f"/usr/sbin/{name}", os.X_OK):
        found = f"/usr/sbin/{name}"
    return found


REQUIRED = ("redis-server", "redis-sentinel", "pgbouncer", "nginx")


def missing_binaries() -> list[str]:
    return [name for name in REQUIRED if binary(name) is None]


def makefile_uvicorn() -> tuple[dict[str, str], list[str]]:
    """The Makefile's ``UVICORN`` line: the environment it sets and its flags (servers run what operators run)."""
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    words = shlex.split(re.search(r"^UVICORN\s*:=\s*(.+)$", text, re.MULTILINE).group(1))
    env = {}
    while "=" in words[0]:
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    return env, words[1:]


def wait_until(check, *, timeout: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = check()
            if answer:
                return answer
        except (OSError, redis.RedisError, psycopg.Error, httpx.HTTPError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(every)


class Process:
    """One process of the cluster: its command, environment and log file; killed, stopped, restarted."""

    def __init__(self, name: str, argv: list[str], directory: Path, *, env: dict | None = None, port: int = 0):
        self.name, self.argv, self.directory, self.port = name, argv, directory, port
        self.env = env
        self.log_path = directory / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no goodbye to clients, replicas or sentinels."""
        if self.alive():
            self.process.kill()
        if self.process is not None:
            self.process.wait(10)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if self.alive():
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


class Cluster:
    """Everything of ``make cluster``; ``ports`` maps each part to its port (see ``layout``)."""

    def __init__(
        self,
        *,
        base_port: int = 18000,
        postgres: str = "postgres://postgres@127.0.0.1:5432/postgres",
        database: str = "gameplatform_cluster",
        workdir: Path | None = None,
        env: dict | None = None,
        quiet: bool = False,
        ports: dict | None = None,
        keep: bool = False,
    ) -> None:
        self.keep = keep
        self.postgres = urlparse(postgres)
        self.database = database
        self.own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="gameplatform-cluster-"))
        self.workdir.chmod(0o755)  # pgbouncer, run as nobody under root, reads its ini here
        self.extra_env = env or {}
        self.quiet = quiet
        self.ports = ports or layout(base_port)
        self.url = f"http://127.0.0.1:{self.ports['nginx']}"
        self.servers: list[Process] = []
        self.shards: list[Process] = []
        self.redis: list[Process] = []  # [primary at start, replica at start]
        self.sentinels: list[Process] = []
        self.pgbouncer: Process | None = None
        self.nginx: Process | None = None
        self.database_created = False

    # --- what the servers are told -------------------------------------------------------

    def database_url(self, *, through_pgbouncer: bool) -> str:
        user = self.postgres.username or "postgres"
        password = f":{self.postgres.password}" if self.postgres.password else ""
        if through_pgbouncer:
            return f"postgres://{user}{password}@127.0.0.1:{self.ports['pgbouncer']}/{self.database}"
        host = f"{self.postgres.hostname or '127.0.0.1'}:{self.postgres.port or 5432}"
        return f"postgres://{user}{password}@{host}/{self.database}"

    def server_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_", "REDIS_", "CHANNEL_"))}
        env.update(makefile_uvicorn()[0])
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "gameplatform.settings",
                "SECRET_KEY": self.secret_key,
                "DEBUG": "0",
                "DATABASE_URL": self.database_url(through_pgbouncer=True),
                "DB_PGBOUNCER": "1",
                "REDIS_URL": f"redis://{MASTER}/0",
                "REDIS_SENTINELS": ",".join(f"127.0.0.1:{p}" for p in self.ports["sentinels"]),
                "REDIS_SENTINEL_MASTER": MASTER,
                "CHANNEL_REDIS_URLS": ",".join(f"redis://127.0.0.1:{p}/0" for p in self.ports["shards"]),
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "RUN_TIMERS_IN_SERVER": "1",
            }
        )
        env.update(self.extra_env)
        return env

    # --- start and stop ------------------------------------------------------------------

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)

    def start(self) -> Cluster:
        missing = missing_binaries()
        if missing:
            raise RuntimeError(f"the cluster needs {', '.join(missing)} (Debian: apt-get install {' '.join(missing)})")
        self.secret_key = secrets.token_urlsafe(48)
        try:
            self._start_postgres()
            self._start_redis()
            self._start_pgbouncer()
            self._start_servers()
            self._start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def _admin(self, sql: str) -> None:
        url = self.database_url(through_pgbouncer=False).rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql)

    def _start_postgres(self) -> None:
        self.say(f"==> PostgreSQL: database {self.database} (migrate, seed_demo)")
        self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{self.database}"')
        self.database_created = True
        env = {**self.server_env(), "DATABASE_URL": self.database_url(through_pgbouncer=False), "DB_PGBOUNCER": "0"}
        for name in ("REDIS_URL", "REDIS_SENTINELS", "REDIS_SENTINEL_MASTER", "CHANNEL_REDIS_URLS"):
            env.pop(name)  # the Redis servers are not up yet; migrate and seed_demo need none
        for command in (["migrate", "--noinput"], ["seed_demo"]):
            done = subprocess.run(
                [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True
            )
            if done.returncode != 0:
                raise RuntimeError(f"manage.py {command[0]} failed:\n{done.stdout}\n{done.stderr}")

    def _redis_process(self, name: str, port: int, config: str, *, sentinel: bool = False) -> Process:
        directory = self.workdir / name
        directory.mkdir(exist_ok=True)
        conf = directory / ("sentinel.conf" if sentinel else "redis.conf")
        # No persistence: a restarted server comes back empty (the worst case for what it held).
        conf.write_text(f'port {port}\nbind 127.0.0.1\ndir {directory}\nsave ""\nappendonly no\n{config}')
        command = binary("redis-sentinel" if sentinel else "redis-server")
        process = Process(name, [command, str(conf)], self.workdir, port=port)
        process.start()
        wait_until(lambda: redis_client(port).ping(), timeout=10, what=f"{name} on port {port}")
        return process

    def _start_redis(self) -> None:
        self.say(f"==> Redis: {SHARDS} layer shards, a primary, its replica, {SENTINELS} sentinels")
        for n, port in enumerate(self.ports["shards"]):
            self.shards.append(self._redis_process(f"shard-{n + 1}", port, ""))
        primary_port, replica_port = self.ports["redis"]
        self.redis.append(self._redis_process("redis-a", primary_port, ""))
        self.redis.append(self._redis_process("redis-b", replica_port, f"replicaof 127.0.0.1 {primary_port}\n"))
        wait_until(
            lambda: redis_client(replica_port).info("replication")["master_link_status"] == "up",
            timeout=15,
            what="the replica in sync",
        )
        monitor = (
            f"sentinel monitor {MASTER} 127.0.0.1 {primary_port} 2\n"
            f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {MASTER} 3000\n"
            f"sentinel parallel-syncs {MASTER} 1\n"
        )
        for n, port in enumerate(self.ports["sentinels"]):
            self.sentinels.append(self._redis_process(f"sentinel-{n + 1}", port, monitor, sentinel=True))

        def all_know_everyone() -> bool:
            for port in self.ports["sentinels"]:
                client = redis_client(port)
                if len(client.sentinel_slaves(MASTER)) != 1 or len(client.sentinel_sentinels(MASTER)) != 2:
                    return False
            return True

        wait_until(all_know_everyone, timeout=30, what="the sentinels to know the replica and each other", every=0.2)

    def _start_pgbouncer(self) -> None:
        self.say("==> pgbouncer (transaction mode)")
        ini = self.workdir / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"* = host={self.postgres.hostname or '127.0.0.1'} port={self.postgres.port or 5432}"
            f" user={self.postgres.username or 'postgres'}"
            + (f" password={self.postgres.password}" if self.postgres.password else "")
            + "\n[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.ports['pgbouncer']}\nunix_socket_dir =\n"
            "auth_type = any\npool_mode = transaction\n"
            # Four servers with pools of up to 8 connections each share 20 PostgreSQL connections.
            "default_pool_size = 20\nmax_client_conn = 1000\n"
            "ignore_startup_parameters = extra_float_digits\n"
        )
        ini.chmod(0o644)
        user = ["-u", pwd.getpwnam("nobody").pw_name] if os.geteuid() == 0 else []  # it refuses to run as root
        self.pgbouncer = Process("pgbouncer", [binary("pgbouncer"), *user, str(ini)], self.workdir)
        self.pgbouncer.port = self.ports["pgbouncer"]
        self.restart(self.pgbouncer)

    def _start_servers(self) -> None:
        self.say(f"==> {SERVERS} uvicorn server processes")
        env = self.server_env()
        flags = makefile_uvicorn()[1]
        for n, port in enumerate(self.ports["servers"]):
            argv = [sys.executable, "-m", "uvicorn", *flags, "--host", "127.0.0.1", "--port", str(port)]
            server = Process(f"server-{n + 1}", [*argv, "gameplatform.asgi:application"], self.workdir, env=env)
            server.port = port
            server.start()
            self.servers.append(server)
        for server in self.servers:
            self._wait_served(server)

    def _wait_served(self, server: Process) -> None:
        def up() -> bool:
            if not server.alive():
                raise RuntimeError(f"{server.name} exited:\n{server.log_path.read_text()[-3000:]}")
            return httpx.get(f"http://127.0.0.1:{server.port}/readyz", timeout=2).status_code == 200

        wait_until(up, timeout=60, what=f"{server.name} to answer /readyz")

    def _start_nginx(self) -> None:
        self.say("==> nginx")
        directory = self.workdir / "nginx"
        directory.mkdir(exist_ok=True)
        conf = directory / "nginx.conf"
        conf.write_text(nginx_config(directory, self.ports["nginx"], self.ports["servers"]))
        self.nginx = Process("nginx", [binary("nginx"), "-p", str(directory), "-c", str(conf)], self.workdir)
        self.nginx.start()
        wait_until(lambda: httpx.get(f"{self.url}/api/status/", timeout=2).status_code == 200, timeout=15, what="nginx")

    def stop(self) -> None:
        """Everything, the front first; the database dropped and the directory removed unless kept."""
        for process in [self.nginx, *self.servers, self.pgbouncer, *self.sentinels, *self.redis, *self.shards]:
            if process is not None:
                process.stop(signal.SIGQUIT if process is self.nginx else signal.SIGTERM)
        if self.database_created and not self.keep:
            try:
                self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            except psycopg.Error as error:
                print(f"could not drop {self.database}: {error}", file=sys.stderr)
        if self.own_workdir and not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # --- faults ----------------------------------------------------------------------------

    def restart(self, process: Process) -> None:
        """Start a killed part again, on its port and with its files (a supervisor's restart)."""
        process.start()
        if process in self.servers:
            self._wait_served(process)
        elif process is self.pgbouncer:
            url = self.database_url(through_pgbouncer=True)
            wait_until(lambda: psycopg.connect(url, connect_timeout=2).close() or True, timeout=15, what="pgbouncer")
        else:
            wait_until(lambda: redis_client(process.port).ping(), timeout=10, what=process.name)

    def kill_server(self, n: int = 0) -> Process:
        self.servers[n].kill()
        return self.servers[n]

    def kill_shard(self, n: int = 0) -> Process:
        self.shards[n].kill()
        return self.shards[n]

    def primary(self) -> Process:
        """The Redis server the sentinels name as the primary now."""
        host, port = redis_client(self.ports["sentinels"][0]).sentinel_get_master_addr_by_name(MASTER)
        return next(p for p in self.redis if p.port == int(port))

    def kill_primary(self) -> Process:
        primary = self.primary()
        primary.kill()
        return primary

    def kill_pgbouncer(self) -> Process:
        self.pgbouncer.kill()
        return self.pgbouncer

    def logs(self, prefix: str) -> list[Path]:
        return sorted(self.workdir.glob(f"{prefix}*.log"))


def redis_client(port: int) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5, socket_timeout=2)


def layout(base: int) -> dict:
    return {
        "nginx": base,
        "servers": [base + 1 + n for n in range(SERVERS)],
        "shards": [base + 10 + n for n in range(SHARDS)],
        "redis": [base + 20, base + 21],
        "sentinels": [base + 30 + n for n in range(SENTINELS)],
        "pgbouncer": base + 40,
    }


def nginx_config(directory: Path, port: int, servers: list[int]) -> str:
    """Plain http on ``port`` in front of ``servers``, with the proxy settings of deploy/nginx/
    (TLS is that configuration's business; test_load_balancer.py runs it)."""
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {directory / kind};" for kind in ("client_body", "proxy", "fastcgi"))
    upstream = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in servers)
    return f"""{user}
worker_processes 1;
daemon off;
pid {directory / "nginx.pid"};
error_log {directory / "error.log"} warn;
events {{ worker_connections 4096; }}
http {{
{temp}
    uwsgi_temp_path {directory / "uwsgi"};
    scgi_temp_path {directory / "scgi"};
    map $http_upgrade $connection_upgrade {{ default upgrade; "" ""; }}
    log_format cluster '$status $request_method $uri upstream=$upstream_addr upstream_status=$upstream_status';
    access_log {directory / "access.log"} cluster;
    upstream gameplatform {{
{upstream}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 11m;
        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_connect_timeout 2s;
        proxy_next_upstream error timeout;
        proxy_next_upstream_tries 2;
        location = /metrics {{ return 404; }}
        location /ws/ {{
            proxy_pass http://gameplatform;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
            proxy_buffering off;
        }}
        location / {{
            proxy_pass http://gameplatform;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""


def postgres_from_env() -> str:
    """The PostgreSQL server of ``DATABASE_URL`` when it names one, else 127.0.0.1:5432."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else "postgres://postgres@127.0.0.1:5432/postgres"


def interrupted(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="gameplatform on one machine as on many: make cluster")
    parser.add_argument("--base-port", type=int, default=int(os.environ.get("CLUSTER_PORT", 18000)))
    parser.add_argument(
        "--postgres",
        default=os.environ.get("CLUSTER_POSTGRES") or postgres_from_env(),
        help="a PostgreSQL server to create the cluster's database on (its database part is ignored)",
    )
    parser.add_argument("--database", default=os.environ.get("CLUSTER_DATABASE", "gameplatform_cluster"))
    parser.add_argument("--keep", action="store_true", help="keep the directory and the database on exit")
    args = parser.parse_args(argv)
    cluster = Cluster(base_port=args.base_port, postgres=args.postgres, database=args.database, keep=args.keep)
    # Stop as on Ctrl-C, also when started with SIGINT ignored (in the background of a shell
    # without job control, which would otherwise leave every part running).
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    reported = set()
    try:
        cluster.start()
        ports = cluster.ports
        print(
            f"\ngameplatform cluster on {cluster.url}/  (Ctrl-C stops everything)\n"
            f"  web client    {cluster.url}/play/   demo logins user_1 ... user_5, password testpass123\n"
            f"  servers       uvicorn on {', '.join(map(str, ports['servers']))} behind nginx on {ports['nginx']}\n"
            f"  channel layer Redis on {', '.join(map(str, ports['shards']))}\n"
            f"  Redis         primary {ports['redis'][0]}, replica {ports['redis'][1]},"
            f" sentinels {', '.join(map(str, ports['sentinels']))} (master name {MASTER})\n"
            f"  PostgreSQL    database {args.database} through pgbouncer on {ports['pgbouncer']}\n"
            f"  logs          {cluster.workdir}\n",
            flush=True,
        )
        while True:
            for process in cluster.servers:
                if not process.alive() and process.name not in reported:
                    reported.add(process.name)
                    print(f"{process.name} exited; see {process.log_path}", file=sys.stderr)
            time.sleep(1)
    except KeyboardInterrupt:
        print("\n==> stopping the cluster", flush=True)
        return 0
    finally:
        cluster.stop()
        print("stopped" + (f"; kept {cluster.workdir} and database {args.database}" if args.keep else ""))


if __name__ == "__main__":
    sys.exit(main())
