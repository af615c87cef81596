"""How the Makefile starts servers, checked without starting one: ``make serve`` refuses several
processes that would not share a database and a channel layer, and daphne's line takes frames up
to the size uvicorn's does."""

import os
import shutil
import signal
import subprocess
import sys

import pytest

from gameplatform.tests.live import ROOT, makefile_server_args

requires_make = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _env_without(*names: str, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in names and not k.startswith("PYTEST")}
    env.update(extra)
    return env


def _make(*args: str, env: dict) -> subprocess.CompletedProcess:
    # A documentation address (TEST-NET-1), never this machine's: a server that got past the
    # check could not listen, and the test would not leave one running.
    command = ["make", "-s", *args, "HOST=192.0.2.1", "PORT=8000"]
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


@requires_make
@pytest.mark.parametrize("missing", ["REDIS_URL", "DATABASE_URL"])
def test_make_serve_with_two_workers_and_no_shared_store_refuses_and_says_what_to_set(missing):
    env = _env_without("REDIS_URL", "DATABASE_URL", "WORKERS")
    if missing == "DATABASE_URL":
        env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    else:
        env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/gameplatform"
    done = _make("serve", env=env)
    assert done.returncode != 0
    assert "WORKERS=2 processes need DATABASE_URL and REDIS_URL" in done.stderr
    assert "make serve WORKERS=1" in done.stderr
    assert "Uvicorn running" not in done.stdout + done.stderr


@requires_make
def test_make_serve_check_passes_one_worker_alone_and_two_with_both_stores():
    assert _make("serve-check", "WORKERS=1", env=_env_without("REDIS_URL", "DATABASE_URL")).returncode == 0
    both = _env_without(
        "WORKERS", DATABASE_URL="postgres://postgres@127.0.0.1:5432/gameplatform", REDIS_URL="redis://127.0.0.1:6379/0"
    )
    assert _make("serve-check", env=both).returncode == 0


def test_the_application_refuses_several_uvicorn_workers_without_redis():
    """``uvicorn --workers`` without the Makefile: uvicorn and the application both read
    WEB_CONCURRENCY, so a server started with it refuses instead of serving a split service."""
    env = _env_without(
        "REDIS_URL", DJANGO_SETTINGS_MODULE="gameplatform.settings", SECRET_KEY="x" * 50, WEB_CONCURRENCY="2"
    )
    done = subprocess.run(
        [sys.executable, "-c", "import gameplatform.asgi"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "WEB_CONCURRENCY=2 server processes need DATABASE_URL and REDIS_URL" in done.stderr


def _flag(args: list[str], name: str) -> int:
    return int(args[args.index(name) + 1])


def test_daphne_takes_frames_up_to_the_size_uvicorn_does():
    """Below the server's own limit every frame reaches the kit's (WS_MAX_FRAME_BYTES), which
    answers it; daphne's default (1 MiB) would drop a 1 MiB frame without a close (1006)."""
    limit = _flag(makefile_server_args("uvicorn"), "--ws-max-size")
    daphne = makefile_server_args("daphne")
    assert _flag(daphne, "--websocket-max-message-size") == limit
    assert _flag(daphne, "--websocket-max-frame-size") == limit
