"""``make serve``'s rolling restart (``kill -HUP`` on uvicorn's parent process): under load its new
workers come into service, and when one is not ready in time the aborted restart is loud.

uvicorn's parent starts each new worker and waits up to ``--timeout-worker-healthcheck`` seconds
(the Makefile's line) for it to be ready before it stops the old one; past that it keeps the old
one and aborts the restart with an ERROR of its logger ``uvicorn.error``. The parent never loads
the application, so the Makefile's ``--log-config`` (``gameplatform/operations/uvicorn-logging.json``)
is what makes that line JSON and counts it in ``gameplatform_uvicorn_errors_total``.
"""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from conftest import requires_postgres, requires_redis
from gameplatform.tests.live import ROOT, LiveServer, bearer, free_port, live_server_name, makefile_uvicorn_args

pytestmark = [
    pytest.mark.live,
    requires_postgres,
    requires_redis,
    pytest.mark.skipif(live_server_name() != "uvicorn", reason="make serve's workers are uvicorn's; daphne has none"),
]

DEPLOY_PAGE = ROOT / "docs" / "operations" / "deploy.md"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _records(log: Path) -> list[dict]:
    records = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def _metric(text: str, name: str) -> float:
    found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
    assert found, f"{name} is not in /metrics"
    return float(found.group(1))


async def _requests(server: LiveServer, access: str, done: asyncio.Event, answered: list) -> None:
    """A client asking ``GET /api/me/`` again and again until ``done``; each answer's (time, status)."""
    async with httpx.AsyncClient(base_url=server.http, headers=bearer(access), timeout=10) as http:
        while not done.is_set():
            try:
                status = (await http.get("/api/me/")).status_code
            except httpx.TransportError:  # a keep-alive connection the stopping worker closed
                status = None
            answered.append((time.monotonic(), status))


async def _socket(server: LiveServer, access: str, done: asyncio.Event, closes: list) -> None:
    """A notifications socket that a client opens again whenever the server closes it, until ``done``."""
    while not done.is_set():
        try:
            ws = await connect(
                f"{server.ws}/ws/notifications/", additional_headers=bearer(access), ping_interval=None, open_timeout=10
            )
        except InvalidStatus as refused:  # 503: it reached a worker that is stopping; try again
            closes.append(refused.response.status_code)
            continue
        waiting = asyncio.ensure_future(done.wait())
        reading = asyncio.ensure_future(ws.wait_closed())
        await asyncio.wait({waiting, reading}, return_when=asyncio.FIRST_COMPLETED)
        if waiting.done():
            reading.cancel()
            await ws.close()
            return
        waiting.cancel()
        closes.append(ws.close_code)


async def test_a_rolling_restart_under_load_brings_new_worker_processes_into_service(tmp_path):
    """Two workers, clients asking and holding sockets all along; ``kill -HUP`` on the parent. Both
    workers are replaced by new processes, each logging ``server started`` with its pid, the
    sockets are closed 1012 ("service restart") and reopened, the clients' requests are answered
    by the new processes, and the parent logs no error."""
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    server = LiveServer(tmp_path, env={"WEB_CONCURRENCY": "2", "PROMETHEUS_MULTIPROC_DIR": str(metrics)}).start()
    try:
        users = [await asyncio.to_thread(server.login, f"user_{n}") for n in range(1, 5)]
        old = await asyncio.to_thread(server.database_workers)  # uvicorn's workers (spawned)
        assert len(old) == 2
        done, answered, closes = asyncio.Event(), [], []
        load = [asyncio.ensure_future(_requests(server, u["access"], done, answered)) for u in users]
        load += [asyncio.ensure_future(_socket(server, u["access"], done, closes)) for u in users]
        async with asyncio.timeout(15):  # the load is on before the restart
            while len([a for a in answered if a[1] == 200]) < 20:  # noqa: ASYNC110 - the clients' progress
                await asyncio.sleep(0.05)
        offset = server.log_size()

        server.process.send_signal(signal.SIGHUP)
        async with asyncio.timeout(90):  # each new worker ready, then its old one stopped
            while (  # noqa: ASYNC110 - another process's state
                any(_alive(pid) for pid in old) or len(new := await asyncio.to_thread(server.database_workers)) < 2
            ):
                await asyncio.sleep(0.1)
        restarted = time.monotonic()
        async with asyncio.timeout(15):  # and answering the clients
            while len([a for a in answered if a[0] > restarted and a[1] == 200]) < 20:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        done.set()
        await asyncio.gather(*load)

        assert not new & old
        started = {r["pid"] for r in _records(server.log_path) if r.get("message") == "server started"}
        assert new <= started, (new, started)
        assert closes and set(closes) <= {1012, 503}, closes  # "service restart" (or a handshake on the stopping one)
        assert {status for at, status in answered if at > restarted} == {200}
        assert server.errors_since(offset) == []
        async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
            assert _metric((await http.get("/metrics")).text, "gameplatform_uvicorn_errors_total") == 0
        server.assert_alive()
    finally:
        server.stop()


SLOW_APP = """
import os, time

# A worker started after the test made this file takes far longer than the readiness wait.
if os.path.exists(os.environ["SLOW_START_MARKER"]):
    time.sleep(60)

from gameplatform.asgi import application  # noqa: E402
"""


def test_a_restart_whose_new_worker_is_not_ready_in_time_is_an_error_in_json_and_counted(tmp_path):
    """The Makefile's uvicorn line with a readiness wait of 3 s and an application that, once the
    test says so, takes a minute to start: ``kill -HUP`` aborts the restart. The parent's line
    is JSON at ERROR from ``uvicorn.error``, ``gameplatform_uvicorn_errors_total`` is 1 on
    ``/metrics``, and the old workers go on serving."""
    server = LiveServer(tmp_path)  # its prepared database and environment; started here by hand
    server.prepare_database()
    metrics, marker = tmp_path / "metrics", tmp_path / "slow-start"
    metrics.mkdir()
    (tmp_path / "slow_app.py").write_text(SLOW_APP)
    args = makefile_uvicorn_args()
    assert "--log-config" in args
    args[args.index("--timeout-worker-healthcheck") + 1] = "3"
    env = {
        **server.env,
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "SLOW_START_MARKER": str(marker),
    }
    port, log = free_port(), tmp_path / "parent.log"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        *args,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "slow_app:application",
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while len([r for r in _records(log) if r.get("message") == "server started"]) < 2:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        server.process = process  # for database_workers: the workers are this process's children
        workers = server.database_workers()
        assert len(workers) == 2
        marker.touch()

        process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while not (aborted := [r for r in _records(log) if r.get("level") == "ERROR"]):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)

        (line,) = aborted
        assert line["logger"] == "uvicorn.error"
        assert re.fullmatch(
            r"New child process \[\d+\] was not ready in time; keeping worker \[\d+\] and aborting the restart\.",
            line["message"],
        ), line
        assert line["time"].endswith("Z") and "color_message" not in line
        assert "Received SIGHUP, restarting processes." in [r.get("message") for r in _records(log)]
        assert _metric(httpx.get(f"{url}/metrics", timeout=10).text, "gameplatform_uvicorn_errors_total") == 1
        assert httpx.get(f"{url}/api/status/", timeout=10).status_code == 200
        assert server.database_workers() == workers  # the old code serves on, the same processes
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        server.process = None
        server.stop()


def test_the_readiness_wait_of_the_makefile_has_margin_over_the_start_time_the_deploy_page_measured():
    """``--timeout-worker-healthcheck`` is at least three times the slowest worker start the
    deploy page reports under load (uvicorn's 5 s default was not enough: restarts aborted)."""
    wait = int(makefile_uvicorn_args()[makefile_uvicorn_args().index("--timeout-worker-healthcheck") + 1])
    page = DEPLOY_PAGE.read_text()
    measured = re.search(r"slowest worker took ([\d.]+) s from its start to ready", page)
    assert measured, "docs/operations/deploy.md gives the slowest worker start it measured"
    assert wait >= 3 * float(measured.group(1)), (wait, measured.group(1))
