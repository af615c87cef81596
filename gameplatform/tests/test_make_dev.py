"""``make dev``, the dev loop: a studio edits its mode's file and the running server serves the
change within seconds, without migrating or seeding again; a restart of ``make dev`` on a
prepared database migrates and seeds nothing.

The test runs ``make dev`` itself (its command line, the venv taken as built) on a free port and a
SQLite file of its own, with a mode package in a temporary directory on ``PYTHONPATH`` and listed
in ``GAME_MODES`` beside the built-in ones, as ``startmode`` says to run a studio's mode. It prints
the reload time it measured (docs/development.md, "The dev loop", has the figure).
"""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from gameplatform.tests.live import ROOT, free_port

MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="needs make")

BUILT_IN = "game.modes.builtin.tictactoe.TicTacToe,game.modes.builtin.relay.Relay"
MODE = """
from gameplatform.modes import Mode


class Doodle(Mode):
    name = "doodle"
    title = {title!r}
    description = "A mode being written."

    def setup(self, ctx):
        return {{}}
"""
# Generous for a shared 2-core machine; the figure measured is printed and kept in the docs.
START_SECONDS = 180
RELOAD_SECONDS = 30


class DevServer:
    """``make dev`` in a process group of its own, its output in a file."""

    def __init__(self, workdir: Path, env: dict) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.output = workdir / f"make-dev-{self.port}.log"
        self.env = env
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "DevServer":
        with open(self.output, "wb") as out:
            self.process = subprocess.Popen(
                [MAKE, "--no-print-directory", "-o", ".venv/.installed", "dev", f"PORT={self.port}"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: the reloader and its worker stop with it
            )
        return self

    def __exit__(self, *exc) -> None:
        os.killpg(self.process.pid, signal.SIGINT)  # Ctrl-C, as a developer stops it
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def said(self) -> str:
        return self.output.read_text(errors="replace")

    def titles(self) -> dict[str, str] | None:
        try:
            answer = httpx.get(f"{self.url}/api/game/modes/", timeout=2)
        except httpx.HTTPError:
            return None
        if answer.status_code != 200:
            return None
        return {m["name"]: m["title"] for m in answer.json()["results"]}

    def until_title(self, title: str, within: float) -> float:
        """Seconds until the server lists the mode under ``title``."""
        started = time.monotonic()
        while (self.titles() or {}).get("doodle") != title:
            assert self.process.poll() is None, self.said()
            assert time.monotonic() - started < within, f"not served within {within} s:\n{self.said()}"
            time.sleep(0.05)
        return time.monotonic() - started


@pytest.fixture
def studio(tmp_path):
    package = tmp_path / "studio" / "doodle"
    package.mkdir(parents=True)
    (package / "__init__.py").touch()
    (package / "mode.py").write_text(MODE.format(title="Doodle"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.sqlite3'}",
            "PYTHONPATH": str(tmp_path / "studio"),
            "GAME_MODES": f"{BUILT_IN},doodle.mode.Doodle",
        }
    )
    return {"mode": package / "mode.py", "env": env, "dir": tmp_path}


def test_an_edit_of_a_studio_mode_is_served_in_seconds_and_a_restart_prepares_nothing(studio):
    """An edit of a studio's mode is served in seconds, and a restart prepares nothing. It takes
    tens of seconds: it runs ``make dev`` twice, first on a fresh SQLite database (migrated and
    seeded) with an edit reloaded by the autoreloader, then again on that prepared database."""
    with DevServer(studio["dir"], studio["env"]) as dev:
        dev.until_title("Doodle", within=START_SECONDS)
        assert "==> migrating the database" in dev.said()  # a fresh database: migrated and seeded
        assert "Demo users ready" in dev.said()

        studio["mode"].write_text(MODE.format(title="Doodle, edited"))
        reload_seconds = dev.until_title("Doodle, edited", within=RELOAD_SECONDS)
        print(f"make dev: a mode edit served after {reload_seconds:.1f} s")

        assert dev.titles()["tictactoe"] == "Tic-tac-toe"  # the rest of the server came back too
        assert dev.said().count("==> migrating the database") == 1  # the reload prepared nothing

    with DevServer(studio["dir"], studio["env"]) as again:
        restart_seconds = again.until_title("Doodle, edited", within=START_SECONDS)
        print(f"make dev: a restart on the prepared database served after {restart_seconds:.1f} s")
        said = again.said()
        assert "the database is up to date (no migration to apply)" in said
        assert "The demo data is seeded already" in said
        assert "==> migrating the database" not in said and "Demo users ready" not in said
