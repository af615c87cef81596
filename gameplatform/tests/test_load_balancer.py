"""The deployment as operators run it: the lock, the image's command, the compose file (its
secrets, limits, log rotation and a clean ``check --deploy``), and the load balancer's
configuration under the real nginx, over TLS, in front of two live server processes.

The nginx test runs ``deploy/nginx/conf.d/gameplatform.conf`` as it is (its ``map``, log format,
TLS settings, the http server's redirect and every ``location``) and ``upstream.conf``'s upstreams
(round robin, and the consistent hash of a game's sockets), whose servers (the compose service
``web``, resolved by Docker's DNS) are replaced by two live server processes
(uvicorn, or daphne in ``make test``'s second pass), the ``listen`` lines by free ports, and the
certificate directory by one holding a self-signed certificate made with ``openssl``. The servers
share one database and one Redis, trust forwarded headers from any address and run with the
compose file's HTTPS settings, as the compose file has them (``FORWARDED_ALLOW_IPS=*``; daphne:
``--proxy-headers``).
"""

import asyncio
import json
import os
import pwd
import re
import shutil
import signal
import ssl
import subprocess
import sys
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
TLS_DIR = "/etc/gameplatform/tls"  # where docker-compose.yml mounts TLS_DIR in the balancer
OPENSSL = shutil.which("openssl")
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
requires_nginx = pytest.mark.skipif(
    NGINX is None or OPENSSL is None,
    reason="needs the nginx and openssl binaries to run deploy/nginx/ (Debian: apt-get install nginx-light openssl)",
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
    assert f"${{TLS_DIR:-./deploy/tls}}:{TLS_DIR}:ro" in services["lb"]["volumes"]
    assert services["lb"]["ports"] == ["${HTTP_PORT:-80}:80", "${HTTPS_PORT:-443}:443"]
    assert "server web:8000 resolve" in (NGINX_DIR / "conf.d" / "upstream.conf").read_text()


def compose_interpolate(value: str, variables: dict[str, str]) -> str:
    """A compose value with ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?error}`` replaced
    from ``variables`` as ``docker compose`` does (``$$`` is a literal ``$``); a missing
    ``:?`` variable raises ``LookupError`` with its message (compose refuses to start)."""

    def one(match: re.Match) -> str:
        name, kind, rest = match.group("name"), match.group("kind"), match.group("rest") or ""
        if variables.get(name):
            return variables[name]
        if kind == ":?":
            raise LookupError(f"{name}: {rest}")
        return rest if kind == ":-" else ""

    pattern = r"\$\$|\$\{(?P<name>\w+)(?:(?P<kind>:-|:\?)(?P<rest>[^}]*))?\}"
    return re.sub(pattern, lambda m: "$" if m.group(0) == "$$" else one(m), str(value))


def compose_environment(service: str, variables: dict[str, str]) -> dict[str, str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["services"][service]["environment"]
    return {name: compose_interpolate(value, variables) for name, value in environment.items()}


# What an operator exports before `docker compose up` (docker-compose.yml's header).
OPERATOR = {"SECRET_KEY": "k3y-" + "x7Qz" * 12, "POSTGRES_PASSWORD": "0123456789abcdef" * 3}
# The HTTPS settings compose gives the servers (the live servers behind nginx run with them).
HTTPS_SETTINGS = ("BEHIND_TLS_PROXY", "SECURE_", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")


def test_compose_refuses_to_start_without_a_secret_key_or_a_database_password():
    text = (ROOT / "docker-compose.yml").read_text()
    for name in ("SECRET_KEY", "POSTGRES_PASSWORD"):
        uses = re.findall(rf"\$\{{{name}(:.)?", text)
        assert uses and set(uses) == {":?"}, f"every use of {name} must be ${{{name}:?...}}"
        for service in ("web", "postgres") if name == "POSTGRES_PASSWORD" else ("web",):
            with pytest.raises(LookupError, match=name):
                compose_environment(service, {k: v for k, v in OPERATOR.items() if k != name})
    web = compose_environment("web", OPERATOR)
    assert web["DATABASE_URL"] == f"postgres://postgres:{OPERATOR['POSTGRES_PASSWORD']}@postgres:5432/gameplatform"
    assert compose_environment("postgres", OPERATOR)["POSTGRES_PASSWORD"] == OPERATOR["POSTGRES_PASSWORD"]


def test_every_compose_service_rotates_its_logs_and_has_cpu_and_memory_limits():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name, service in services.items():
        logging = service.get("logging", {})
        assert logging.get("driver") == "json-file", name
        assert {"max-size", "max-file"} <= set(logging.get("options", {})), name
        limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
        assert float(limits["cpus"]) > 0 and re.fullmatch(r"\d+[mg]", limits["memory"]), name


def _check_deploy(environment: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    for name in list(env):  # nothing of this machine's own configuration
        if name in ("DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY") or name.startswith(HTTPS_SETTINGS):
            del env[name]
    env.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_compose_environment():
    done = _check_deploy(compose_environment("web", OPERATOR))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNINGS" not in done.stdout + done.stderr, done.stdout + done.stderr
    # Without the HTTPS settings the same check fails: the test above can fail.
    plain = {k: v for k, v in compose_environment("web", OPERATOR).items() if not k.startswith(HTTPS_SETTINGS)}
    done = _check_deploy(plain)
    assert done.returncode != 0
    # W010: SESSION_COOKIE_SECURE, asked for by the sessions app (the session middleware is
    # Django's through gameplatform.http.middleware, which Django's check does not name).
    for warning in ("security.W004", "security.W008", "security.W010", "security.W016"):
        assert warning in done.stderr, done.stderr
    # HSTS for subdomains and preloading are asked about until an operator decides (compose: 0).
    done = _check_deploy({**compose_environment("web", OPERATOR), "SECURE_HSTS_PRELOAD": ""})
    assert done.returncode != 0 and "security.W021" in done.stderr and "security.W005" not in done.stderr


# --- nginx in front of two live servers ----------------------------------------------------


def self_signed_certificate(directory: Path) -> Path:
    """``fullchain.pem`` and ``privkey.pem`` (certbot's names) for 127.0.0.1 in ``directory``;
    returns the certificate, which clients trust as their only authority."""
    directory.mkdir(exist_ok=True)
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(directory / "privkey.pem")]
        + ["-out", str(directory / "fullchain.pem")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return directory / "fullchain.pem"


class Nginx:
    """nginx in the foreground on free ports (http and https), with a prefix and temp dirs of its
    own, running the repo's site configuration in front of ``upstreams`` (``host:port``)."""

    def __init__(self, workdir: Path, upstreams: list[str]) -> None:
        self.workdir = workdir
        self.port, self.tls_port = free_port(), free_port()
        self.http = f"http://127.0.0.1:{self.port}"
        self.https = f"https://127.0.0.1:{self.tls_port}"
        self.wss = f"wss://127.0.0.1:{self.tls_port}"
        self.access_log = workdir / "access.log"
        self.error_log = workdir / "error.log"
        self.upstreams = upstreams
        self.process: subprocess.Popen | None = None
        self.certificate = self_signed_certificate(workdir / "tls")
        # What clients trust: this certificate only (no system authority).
        self.tls = ssl.create_default_context(cafile=str(self.certificate))

    def site(self) -> str:
        """The repo's server configuration: its listen lines on free loopback ports (80 and 443
        on this balancer's http and https ports, each keeping its parameters such as ``ssl``),
        the certificate and ACME directories in the work directory."""
        text = (NGINX_DIR / "conf.d" / "gameplatform.conf").read_text()
        ports = {"80": self.port, "443": self.tls_port}

        def listen(match: re.Match) -> str:
            port = ports.get(match.group("address"), None) or free_port()
            return f"{match.group('indent')}listen 127.0.0.1:{port}{match.group('params')};"

        site, count = re.subn(
            r"^(?P<indent>\s*)listen\s+(?P<address>\S+?)(?P<params>(?:\s+\w+)*);", listen, text, flags=re.M
        )
        assert count >= 2 and "proxy_pass http://gameplatform;" in site
        assert f"listen 127.0.0.1:{self.tls_port} ssl;" in site and f"listen 127.0.0.1:{self.port};" in site
        assert site.count(TLS_DIR) == 2 and "/var/www/acme" in site
        return site.replace(TLS_DIR, str(self.certificate.parent)).replace("/var/www/acme", str(self.workdir / "acme"))

    def upstream(self) -> str:
        """The repo's upstreams (``upstream.conf``: round robin, and the games' consistent hash)
        in front of this test's servers: each ``server web:8000 ...`` line becomes one line per
        server, and Docker's resolver goes (the servers are addresses here)."""
        text = (NGINX_DIR / "conf.d" / "upstream.conf").read_text()
        text, resolvers = re.subn(r"^resolver\s[^;]*;", "", text, flags=re.M)
        assert resolvers == 1

        def servers(match: re.Match) -> str:
            return "\n".join(f"{match.group('indent')}server {address};" for address in self.upstreams)

        text, count = re.subn(r"^(?P<indent>\s*)server\s+web:8000\b[^;]*;", servers, text, flags=re.M)
        assert count >= 2 and "hash $uri consistent;" in text
        return text

    def config(self) -> str:
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
    include {self.workdir / "upstream.conf"};
    include {self.workdir / "gameplatform.conf"};
}}
"""

    def start(self) -> "Nginx":
        (self.workdir / "upstream.conf").write_text(self.upstream())
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
                httpx.get(f"{self.https}/api/status/", timeout=2, verify=self.tls)
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
    # As in docker-compose.yml: the servers take X-Forwarded-* from any address (trust_proxy) and
    # run with its HTTPS settings (SSL redirect, HSTS, secure cookies, BEHIND_TLS_PROXY).
    https = {k: v for k, v in compose_environment("web", OPERATOR).items() if k.startswith(HTTPS_SETTINGS)}
    assert https["SECURE_SSL_REDIRECT"] == "1" and https["BEHIND_TLS_PROXY"] == "1"
    env = {"REDIS_URL": redis_url, **https}
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
        f"{lb.wss}{path}{query}",
        ssl=lb.tls,
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
    """REST and sockets through the balancer reach both servers as one service. Its own requests
    take seconds; as the module's first live test it starts the ``balanced`` fixture: two live
    servers (one migrating a database of its own) and nginx with a fresh certificate."""
    lb, one, two = balanced
    upstreams = {f"127.0.0.1:{one.port}", f"127.0.0.1:{two.port}"}
    async with httpx.AsyncClient(base_url=lb.https, verify=lb.tls, timeout=10) as http:
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
    # Over TLS (wss). A's socket is a browser's (Origin is the balancer's own https address: the
    # Host header got through with its port, and the servers know the client came over https);
    # B's carries its token in the query string, which no log may show.
    one_addr, two_addr = f"127.0.0.1:{one.port}", f"127.0.0.1:{two.port}"
    ws_a = await _open_on(lb, one_addr, f"/ws/dm/{b['id']}/", a["access"], origin=lb.https)
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
async def test_the_sockets_of_one_game_meet_on_one_server_and_the_games_spread_over_both(balanced):
    """``/ws/game/{id}/`` goes by a consistent hash of the path (upstream.conf): both players of a
    game, however often they reconnect, land on the server process that runs its room, and play
    there; different games still spread over both servers. (nginx says which server answered in
    ``X-Upstream-Addr``: the two live servers are two processes on two ports.)"""
    lb, one, two = balanced
    upstreams = {f"127.0.0.1:{one.port}", f"127.0.0.1:{two.port}"}
    async with httpx.AsyncClient(base_url=lb.https, verify=lb.tls, timeout=10) as http:
        first, second = [await _register(http, f"lb_g{n}_{_run}") for n in (1, 2)]
        queued = await http.post("/api/matchmaking/join/", json={"mode": "tictactoe"}, headers=bearer(first["access"]))
        assert queued.status_code == 200 and queued.json()["status"] == "queued", queued.text
        matched = await http.post(
            "/api/matchmaking/join/", json={"mode": "tictactoe"}, headers=bearer(second["access"])
        )
        assert matched.status_code == 200, matched.text
        answer = matched.json()
        for _ in range(50):  # a matcher of the other server held the mode's lock: it seats them (contract)
            if answer["status"] == "matched":
                break
            await asyncio.sleep(0.1)
            answer = (await http.get("/api/matchmaking/status/", headers=bearer(second["access"]))).json()
        assert answer["status"] == "matched", answer
    game_id = answer["game_id"]
    path = f"/ws/game/{game_id}/"

    # Each player opens the game's socket twice (a reconnect): four handshakes, one server.
    landed, sockets = [], []
    try:
        for player in (first, second, first, second):
            ws = await _open(lb, path, player["access"])
            sockets.append(ws)
            landed.append(ws.response.headers["X-Upstream-Addr"])
            await receive_type(ws, "game_state", id=game_id)
        assert len(set(landed)) == 1 and landed[0] in upstreams, landed
        ws1, ws2 = sockets[2], sockets[3]  # the newer sockets hold the seats
        for ws in (ws1, ws2):
            await ws.send(json.dumps({"type": "player_ready"}))
        for ws in (ws1, ws2):
            await receive_type(ws, "game_state", state="active")
        await ws1.send(json.dumps({"type": "player_move", "movement": {"cell": 4}, "ref": 1}))
        for ws in (ws1, ws2):
            moved = await receive_type(ws, "player_move")
            assert moved["user_id"] == first["id"] and moved["movement"] == {"cell": 4}
    finally:
        for ws in sockets:
            await ws.close()

    # Other games' sockets (the server closes those of no game with 4404; the handshake says
    # where it went): both servers get some, each path always the same one.
    where = {}
    for other in range(1, 25):
        ws = await _open(lb, f"/ws/game/{game_id + other}/", first["access"])
        where[other] = ws.response.headers["X-Upstream-Addr"]
        await ws.close()
    assert set(where.values()) == upstreams, where
    ws = await _open(lb, f"/ws/game/{game_id + 1}/", first["access"])
    assert ws.response.headers["X-Upstream-Addr"] == where[1]
    await ws.close()
    for server in (one, two):
        server.assert_alive()


@pytest.mark.live
@requires_nginx
def test_plain_http_is_redirected_to_https_and_https_answers_with_hsts_and_secure_cookies(balanced):
    """Plain http is redirected to https, and https answers with HSTS and secure cookies. Its own
    steps take seconds (``createsuperuser`` runs as a process of its own); the rest of its time
    is the module's ``balanced`` fixture (two live servers, one migrating a database of its own,
    and nginx with a fresh certificate), started by the first test of the module on a worker and
    stopped after the last."""
    lb, one, two = balanced
    with httpx.Client(timeout=10) as http:
        moved = http.get(f"{lb.http}/api/lobbies/?page=2")
        assert moved.status_code == 301 and moved.headers["Location"] == "https://127.0.0.1/api/lobbies/?page=2"
        # certbot --webroot renewals are answered over plain http.
        challenge = lb.workdir / "acme" / ".well-known" / "acme-challenge"
        challenge.mkdir(parents=True, exist_ok=True)
        (challenge / "t0ken").write_text("t0ken.thumbprint")
        answer = http.get(f"{lb.http}/.well-known/acme-challenge/t0ken")
        assert answer.status_code == 200 and answer.text == "t0ken.thumbprint"
        # A server reached without the balancer over plain http redirects too (SECURE_SSL_REDIRECT),
        # but its probes answer there (the orchestrator and Prometheus reach replicas directly).
        assert http.get(f"{one.http}/api/status/").status_code == 301
        assert http.get(f"{one.http}/healthz").status_code == 200
        assert http.get(f"{one.http}/readyz").status_code == 200

    done = subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--noinput"],
        cwd=ROOT,
        env={
            **one.env,
            "DJANGO_SUPERUSER_USERNAME": f"tls_admin_{_run}",
            "DJANGO_SUPERUSER_PASSWORD": "a-long-admin-passw0rd",
            "DJANGO_SUPERUSER_EMAIL": f"tls_admin_{_run}@example.com",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    with httpx.Client(base_url=lb.https, verify=lb.tls, timeout=10) as https:
        status = https.get("/api/status/")
        assert status.status_code == 200, status.text
        assert status.headers["Strict-Transport-Security"] == "max-age=3600"
        # The admin over https: Django sees a secure request (its CSRF Origin check compares
        # https://host:port), and its cookies only travel over TLS.
        form = https.get("/admin/login/")
        assert form.status_code == 200 and "Secure" in form.headers["Set-Cookie"], form.headers
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        login = https.post(
            "/admin/login/?next=/admin/",
            data={"csrfmiddlewaretoken": token, "username": f"tls_admin_{_run}", "password": "a-long-admin-passw0rd"},
            headers={"Origin": lb.https, "Referer": f"{lb.https}/admin/login/"},
        )
        assert login.status_code == 302 and login.headers["Location"] == "/admin/", login.text[:500]
        session = [c for c in login.headers.get_list("Set-Cookie") if c.startswith("sessionid=")]
        assert session and "Secure" in session[0] and "HttpOnly" in session[0], login.headers
        assert https.get("/admin/").status_code == 200


@pytest.mark.live
@requires_nginx
def test_servers_behind_the_balancer_count_login_failures_per_real_client_address(balanced):
    """Each client's own address reaches the servers (not the balancer's), and a client cannot
    choose it with its own X-Forwarded-For: the per-address login lock holds one client and no other.
    Its own logins take seconds; the rest of its time is the module's ``balanced`` fixture (two live
    servers and nginx), started by the first test of the module on a worker and stopped after the
    last."""
    lb, one, two = balanced

    def client(address: str) -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=address, verify=lb.tls)
        return httpx.Client(base_url=lb.https, transport=transport, timeout=10)

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
    # nginx writes a request's line once its answer is sent: the last one may still be coming.
    deadline = time.monotonic() + 5
    while not ("127.0.0.2 " in (lb_log := lb.access_log.read_text()) and "127.0.0.3 " in lb_log):
        assert time.monotonic() < deadline, lb_log[-2000:]
        time.sleep(0.1)


async def _register(http: httpx.AsyncClient, name: str) -> dict:
    """A new user through the balancer: ``{"id", "access"}``."""
    password = "pass-w0rd-long-enough"
    body = {"username": name, "email": f"{name}@example.com", "password": password, "password_confirm": password}
    registered = await http.post("/api/auth/register/", json=body)
    assert registered.status_code == 201, registered.text
    return {"id": registered.json()["user"]["id"], "access": registered.json()["access"]}


async def _receive_content(ws, content: str, timeout: float = 10) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = await receive_type(ws, "dm_message", timeout=timeout)
            if frame["message"]["content"] == content:
                return frame
