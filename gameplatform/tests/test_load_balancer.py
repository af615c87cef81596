"""The deployment as operators run it: the lock, the image's command, the compose file, and the
load balancer's configuration under the real nginx in front of two live server processes.

The nginx test runs ``deploy/nginx/conf.d/gameplatform.conf`` as it is (its ``map``, log format
and every ``location``); only the upstream (``upstream.conf`` resolves the compose service
``web``) is replaced by two live server processes (uvicorn, or daphne in ``make test``'s second
pass), and the ``listen`` lines by free ports. The servers share one database and one Redis and
trust forwarded headers from any address, as the compose file has them (``FORWARDED_ALLOW_IPS=*``;
daphne: ``--proxy-headers``).
"""

import asyncio
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx
import pytest
import yaml
from django.conf import settings
from websockets.asyncio.client import connect

from gameplatform.tests.live import ROOT, LiveServer, bearer, free_port, makefile_uvicorn_args, receive_type
from gameplatform.tests.test_faults import OwnRedis

NGINX_DIR = ROOT / "deploy" / "nginx"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
requires_nginx = pytest.mark.skipif(
    NGINX is None, reason="needs the nginx binary to run deploy/nginx/ (Debian: apt-get install nginx-light)"
)
DEV_ONLY = {"pytest", "pytest-django", "pytest-asyncio", "pytest-timeout", "schemathesis", "hypothesis", "ruff"}
DEV_ONLY |= {"httpx", "playwright"}
_run = uuid.uuid4().hex[:6]


# --- the lock, the image and the compose file ----------------------------------------------


def _pins(path: Path) -> dict[str, str]:
    """``name -> version`` of the ``name==version`` lines of a requirements file."""
    pins = {}
    for line in path.read_text().splitlines():
        found = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", line)
        if found:
            pins[re.sub(r"[-_.]+", "-", found.group(1)).lower()] = found.group(2)
    return pins


def test_the_lock_pins_every_input_with_hashes_and_the_runtime_lock_holds_no_dev_tool():
    requirements = ROOT / "requirements"
    runtime, dev = _pins(requirements / "runtime.txt"), _pins(requirements / "dev.txt")
    for source, lock in (("runtime.in", runtime), ("dev.in", dev)):
        for name, version in _pins(requirements / source).items():
            assert lock.get(name) == version, f"{source} pins {name}=={version}: run `make lock`"
    assert not DEV_ONLY & set(runtime), "dev tools in the runtime lock"
    assert {"twisted", "autobahn", "pyjwt", "asgiref", "websockets"} <= set(runtime), "the lock is not the whole tree"
    # The dev lock installs the runtime at the very same versions (the image runs what CI tests).
    assert {name: dev.get(name) for name in runtime} == runtime
    for lock in ("runtime.txt", "dev.txt"):
        text = (requirements / lock).read_text()
        entries = re.findall(r"^\S+==\S+", text, re.MULTILINE)
        hashed = re.findall(r"^\S+==\S+ \\\n +--hash=sha256:", text, re.MULTILINE)
        assert entries and len(hashed) == len(entries) == text.count("=="), f"{lock}: every package needs its hashes"
        assert "--index-url" not in text and "--find-links" not in text, f"{lock} names an index"


def test_the_image_runs_the_makefile_uvicorn_flags():
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    cmd = json.loads(re.findall(r"^CMD\s+(\[.*\])\s*$", text, re.MULTILINE)[-1])
    assert cmd[0] == "uvicorn" and cmd[-1] == "gameplatform.asgi:application"
    flags = cmd[1:-1]
    assert flags[-4:] == ["--host", "0.0.0.0", "--port", "8000"], flags
    assert flags[:-4] == makefile_uvicorn_args()
    assert "requirements/runtime.txt" in text and "--require-hashes" in text and "USER app" in text


def test_compose_publishes_only_the_balancer_and_starts_servers_after_migrations():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert [name for name, service in services.items() if "ports" in service] == ["lb"]
    assert services["web"]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["timers"]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["web"]["environment"]["RUN_TIMERS_IN_SERVER"] == "0"
    for name in ("migrate", "web", "timers"):
        assert services[name]["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?"), name
    assert "./deploy/nginx/conf.d:/etc/nginx/conf.d:ro" in services["lb"]["volumes"]
    assert "server web:8000 resolve" in (NGINX_DIR / "conf.d" / "upstream.conf").read_text()


# --- nginx in front of two live servers ----------------------------------------------------


class Nginx:
    """nginx in the foreground on a free port, with a prefix and temp dirs of its own, running
    the repo's site configuration in front of ``upstreams`` (``host:port``)."""

    def __init__(self, workdir: Path, upstreams: list[str]) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.http = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"
        self.access_log = workdir / "access.log"
        self.error_log = workdir / "error.log"
        self.upstreams = upstreams
        self.process: subprocess.Popen | None = None

    def site(self) -> str:
        """The repo's server configuration; its listen lines on free loopback ports."""
        text = (NGINX_DIR / "conf.d" / "gameplatform.conf").read_text()
        ports = iter([self.port] + [free_port() for _ in range(10)])
        site, count = re.subn(
            r"^(\s*)listen\s+[^;]+;", lambda m: f"{m.group(1)}listen 127.0.0.1:{next(ports)};", text, flags=re.M
        )
        assert count >= 1 and "proxy_pass http://gameplatform;" in site
        return site

    def config(self) -> str:
        servers = "\n".join(f"        server {address};" for address in self.upstreams)
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
        temp = "\n".join(
            f"    {kind}_temp_path {self.workdir / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        return f"""
{user}
worker_processes 1;
daemon off;
pid {self.workdir / "nginx.pid"};
error_log {self.error_log} info;
events {{ worker_connections 1024; }}
http {{
{temp}
    # Which server answered, so the test can tell the two apart (nothing in the site sets headers).
    add_header X-Upstream-Addr $upstream_addr always;
    upstream gameplatform {{
{servers}
        keepalive 8;
    }}
    include {self.workdir / "gameplatform.conf"};
}}
"""

    def start(self) -> "Nginx":
        (self.workdir / "gameplatform.conf").write_text(self.site())
        (self.workdir / "nginx.conf").write_text(self.config())
        self.log = open(self.access_log, "ab")  # noqa: SIM115 - the access log goes to stdout
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.workdir), "-c", str(self.workdir / "nginx.conf"), "-e", str(self.error_log)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while True:
            assert self.process.poll() is None, self.error_log.read_text()
            try:
                httpx.get(f"{self.http}/api/status/", timeout=2)
                return self
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "nginx did not start:\n" + self.error_log.read_text()
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish, write the logs
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process is not None:
            self.log.close()


@pytest.fixture(scope="module")
def balanced(tmp_path_factory):
    """nginx with the repo's configuration in front of two live servers on one database and Redis."""
    workdir = tmp_path_factory.mktemp("balanced")
    own_redis = None
    if settings.REDIS_URL:
        redis_url = settings.REDIS_URL
    elif shutil.which("redis-server"):
        own_redis = OwnRedis(free_port())
        own_redis.start()
        redis_url = own_redis.url
    else:
        pytest.skip("two server processes are one service through Redis: set REDIS_URL or install redis-server")
    if settings.IS_POSTGRES:
        database = f"{settings.DATABASES['default']['NAME']}_lb"[:60]
        database_url = urlunparse(urlparse(settings.DATABASE_URL)._replace(path=f"/{database}"))
    else:
        database_url = f"sqlite:///{workdir / 'lb.sqlite3'}"
    # As in docker-compose.yml: the servers take X-Forwarded-* from any address (trust_proxy).
    env = {"REDIS_URL": redis_url}
    (workdir / "one").mkdir()
    (workdir / "two").mkdir()
    (workdir / "nginx").mkdir()
    one = LiveServer(workdir / "one", database_url=database_url, env=env, trust_proxy=True)
    two = LiveServer(workdir / "two", database_url=database_url, prepare=False, env=env, trust_proxy=True)
    lb = None
    try:
        one.start()
        two.start()
        lb = Nginx(workdir / "nginx", [f"127.0.0.1:{one.port}", f"127.0.0.1:{two.port}"]).start()
        yield lb, one, two
    finally:
        if lb is not None:
            lb.stop()
        two.stop()
        one.stop()
        if own_redis is not None:
            own_redis.stop()


async def _open(lb: Nginx, path: str, access: str, *, query: str = "", origin: str | None = None):
    return await connect(
        f"{lb.ws}{path}{query}",
        additional_headers=bearer(access) if not query else {},
        origin=origin,
        compression=None,
        ping_interval=None,
        open_timeout=10,
    )


async def _open_on(lb: Nginx, upstream: str, path: str, access: str, **kwargs):
    """A socket through the balancer that landed on ``upstream`` (round robin: a few tries)."""
    for _ in range(6):
        ws = await _open(lb, path, access, **kwargs)
        if ws.response.headers.get("X-Upstream-Addr") == upstream:
            return ws
        await ws.close()
    raise AssertionError(
        f"the balancer never sent {path} to {upstream} (no X-Upstream-Addr? an add_header in the site hides it)"
    )


@pytest.mark.live
@requires_nginx
async def test_rest_and_sockets_through_the_balancer_reach_both_servers_as_one_service(balanced):
    lb, one, two = balanced
    upstreams = {f"127.0.0.1:{one.port}", f"127.0.0.1:{two.port}"}
    async with httpx.AsyncClient(base_url=lb.http, timeout=10) as http:
        # REST: register and log in through the balancer; an authenticated read.
        users = []
        for name in (f"lb_a_{_run}", f"lb_b_{_run}"):
            password = "pass-w0rd-long-enough"
            registered = await http.post(
                "/api/auth/register/",
                json={
                    "username": name,
                    "email": f"{name}@example.com",
                    "password": password,
                    "password_confirm": password,
                },
            )
            assert registered.status_code == 201, registered.text
            login = await http.post("/api/auth/login/", json={"username": name, "password": password})
            assert login.status_code == 200, login.text
            me = await http.get("/api/me/", headers=bearer(login.json()["access"]))
            assert me.status_code == 200 and me.json()["username"] == name, me.text
            users.append({"id": me.json()["id"], "access": login.json()["access"]})
        a, b = users
        # Every replica gets requests (round robin, no stickiness needed).
        served = set()
        for _ in range(6):
            response = await http.get("/api/me/", headers=bearer(a["access"]))
            assert response.status_code == 200
            served.add(response.headers["X-Upstream-Addr"])
        assert served == upstreams
        sent = await http.post("/api/friends/requests/", json={"user_id": b["id"]}, headers=bearer(a["access"]))
        assert sent.status_code == 201, sent.text
        accepted = await http.post(f"/api/friends/requests/{sent.json()['id']}/accept/", headers=bearer(b["access"]))
        assert accepted.status_code == 200, accepted.text
        # Metrics stay inside: the balancer does not pass /metrics on (a server would answer
        # the balancer's loopback address).
        for path in ("/metrics", "/metrics/"):
            assert (await http.get(path)).status_code == 404
        assert (await http.get("/healthz")).status_code == 200

    # Sockets through the balancer, one on each server: a DM sent on one reaches the other.
    # A's socket is a browser's (Origin is the balancer's own address: the Host header got through
    # with its port); B's carries its token in the query string, which no log may show.
    one_addr, two_addr = f"127.0.0.1:{one.port}", f"127.0.0.1:{two.port}"
    ws_a = await _open_on(lb, one_addr, f"/ws/dm/{b['id']}/", a["access"], origin=lb.http)
    ws_b = await _open_on(lb, two_addr, f"/ws/dm/{a['id']}/", b["access"], query=f"?token={b['access']}")
    try:
        await ws_a.send(json.dumps({"type": "dm_message", "content": "through one"}))
        heard = await receive_type(ws_b, "dm_message")
        assert heard["message"]["content"] == "through one" and heard["message"]["sender_id"] == a["id"]
        await ws_b.send(json.dumps({"type": "dm_message", "content": "through two"}))
        heard = await _receive_content(ws_a, "through two")
        assert heard["message"]["sender_id"] == b["id"]
    finally:
        await ws_a.close()
        await ws_b.close()

    # nginx logs a socket when it ends: both lines, without the token.
    for _ in range(100):
        log = lb.access_log.read_text()
        if log.count("/ws/dm/") >= 2:
            break
        await asyncio.sleep(0.1)
    assert f"/ws/dm/{a['id']}/" in log and f"/ws/dm/{b['id']}/" in log, log[-2000:]
    assert b["access"] not in log and "token=" not in log
    for server in (one, two):
        server.assert_alive()
        assert not server.errors_since(0), "\n".join(server.errors_since(0))


@pytest.mark.live
@requires_nginx
def test_servers_behind_the_balancer_count_login_failures_per_real_client_address(balanced):
    """Each client's own address reaches the servers (not the balancer's), and a client cannot
    choose it with its own X-Forwarded-For: the per-address login lock holds one client and no other."""
    lb, one, two = balanced

    def client(address: str) -> httpx.Client:
        return httpx.Client(base_url=lb.http, transport=httpx.HTTPTransport(local_address=address), timeout=10)

    limit = 5  # LOGIN_FAILURE_LIMIT's default
    with client("127.0.0.2") as mallory, client("127.0.0.3") as other:
        for n in range(limit):
            failed = mallory.post(
                "/api/auth/login/",
                json={"username": f"nobody_{_run}_{n}", "password": "wrong-password"},  # a new name each time
                headers={"X-Forwarded-For": f"203.0.113.{n}", "X-Real-IP": f"203.0.113.{n}"},
            )
            assert failed.status_code == 401, failed.text
        refused = mallory.post(
            "/api/auth/login/",
            json={"username": "user_1", "password": "testpass123"},
            headers={"X-Forwarded-For": "198.51.100.7"},
        )
        assert refused.status_code == 429, refused.text
        assert refused.json()["code"] == "rate_limited"
        # Another client behind the same balancer is not locked out.
        allowed = other.post("/api/auth/login/", json={"username": "user_1", "password": "testpass123"})
        assert allowed.status_code == 200, allowed.text
    lb_log = lb.access_log.read_text()
    assert "127.0.0.2 " in lb_log and "127.0.0.3 " in lb_log


async def _receive_content(ws, content: str, timeout: float = 10) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = await receive_type(ws, "dm_message", timeout=timeout)
            if frame["message"]["content"] == content:
                return frame
