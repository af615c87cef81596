"""A studio's modes in the image: the Dockerfile and the compose file take ``MODE_PACKAGES`` (pip
requirement specifiers, installed into the image's venv) and ``GAME_MODES`` (docs/operations/deploy.md,
"Shipping your modes").

There is no Docker daemon in the test: the files are read as they are written (the Dockerfile's
stages and instructions, the compose file as YAML with compose's interpolation), and the
Dockerfile's own install step runs here, as written, with its paths pointed at a temporary
target: the studio's package, a directory in a build context, is installed under the platform's
pins, and a live server started with that target on its path and ``GAME_MODES`` naming the mode
lists it. A package that would move one of the platform's pins is refused.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from gameplatform.tests.live import ROOT, LiveServer
from gameplatform.tests.test_load_balancer import OPERATOR, compose_interpolate

BUILT_IN = "game.modes.builtin.tictactoe.TicTacToe,game.modes.builtin.relay.Relay"
MODE = """
from gameplatform.modes import Mode


class Nim(Mode):
    name = "nim"
    title = "Nim, shipped"
    description = "A studio's mode, installed as a package."

    def setup(self, ctx):
        return {}
"""
PYPROJECT = """
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "mygames"
version = "1.4.0"
dependencies = [{dependencies}]

[tool.setuptools]
packages = ["nim"]
"""


def stages() -> dict[str, list[str]]:
    """The Dockerfile's instructions by stage name (continuation lines joined, comments left out)."""
    text = re.sub(r"^\s*#.*\n", "", (ROOT / "Dockerfile").read_text(), flags=re.M).replace("\\\n", " ")
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for line in filter(None, (" ".join(line.split()) for line in text.splitlines())):
        named = re.match(r"FROM \S+ AS (\w+)$", line)
        if named:
            current = found.setdefault(named.group(1), [])
        else:
            current.append(line)
    return found


def install_step() -> str:
    """The shell command of the deps stage's step that installs MODE_PACKAGES."""
    deps = stages()["deps"]
    assert 'ARG MODE_PACKAGES=""' in deps
    (run,) = [line for line in deps if line.startswith("RUN ") and "$MODE_PACKAGES" in line]
    assert deps.index('ARG MODE_PACKAGES=""') < deps.index(run)
    mount, command = re.match(r"RUN (--mount=\S+) (.*)$", run).groups()
    assert mount == "--mount=type=bind,source=.,target=/context,rw"  # relative paths: the build context
    return command


def test_the_image_installs_the_mode_packages_under_the_platforms_pins_after_the_lock():
    deps = stages()["deps"]
    lock = next(i for i, line in enumerate(deps) if "--require-hashes" in line)
    command = install_step()
    assert deps.index(next(line for line in deps if "$MODE_PACKAGES" in line)) > lock
    assert "pip freeze --exclude-editable > /tmp/platform.txt" in command
    assert "pip install --constraint /tmp/platform.txt $MODE_PACKAGES" in command
    assert command.startswith('if [ -n "$MODE_PACKAGES" ]; then')  # none: nothing more is installed


def test_the_image_runs_game_modes_and_loads_them_while_it_is_built():
    runtime = stages()["runtime"]
    assert runtime.index('ARG GAME_MODES=""') < runtime.index("ENV GAME_MODES=$GAME_MODES")
    collect = next(i for i, line in enumerate(runtime) if "manage.py collectstatic" in line)
    assert runtime.index("ENV GAME_MODES=$GAME_MODES") < collect
    assert any(line.startswith("COPY --from=deps /opt/venv /opt/venv") for line in runtime)


def test_a_game_modes_path_that_does_not_import_fails_the_images_collectstatic(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(GAME_MODES=f"{BUILT_IN},nim.mode.Nim", STATIC_ROOT=str(tmp_path / "static"), SECRET_KEY="x" * 50)
    done = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "GAME_MODES: 'nim.mode.Nim' does not import" in done.stderr


def test_compose_builds_with_the_studios_packages_and_runs_their_modes():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    studio = {**OPERATOR, "MODE_PACKAGES": "./studio/mygames", "GAME_MODES": f"{BUILT_IN},nim.mode.Nim"}
    for name in ("migrate", "web", "timers"):
        service = compose["services"][name]
        args = {k: compose_interpolate(v, studio) for k, v in service["build"]["args"].items()}
        assert args == {"MODE_PACKAGES": "./studio/mygames", "GAME_MODES": f"{BUILT_IN},nim.mode.Nim"}, name
        assert service["build"]["context"] == "."
        assert compose_interpolate(service["environment"]["GAME_MODES"], studio) == studio["GAME_MODES"], name
        # Without them: nothing more installed, and the built-in modes.
        assert {k: compose_interpolate(v, OPERATOR) for k, v in service["build"]["args"].items()} == {
            "MODE_PACKAGES": "",
            "GAME_MODES": "",
        }
        assert compose_interpolate(service["environment"]["GAME_MODES"], OPERATOR) == ""


def test_an_empty_game_modes_runs_the_built_in_modes():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    code = "from django.conf import settings; print(','.join(settings.GAME_MODES))"
    said = {}
    for value in ("", None):
        env.pop("GAME_MODES", None)
        if value is not None:
            env["GAME_MODES"] = value
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        said[value] = done.stdout.strip().splitlines()[-1]
    assert said[""] == said[None]
    assert said[""].split(",")[:2] == BUILT_IN.split(",") and len(said[""].split(",")) == 4


def run_install_step(context: Path, target: Path, packages: str) -> subprocess.CompletedProcess:
    """The Dockerfile's step as written, its venv's pip this one's and its /context ``context``;
    pip installs into ``target`` (``--target``) instead of the venv."""
    command = install_step().replace("/opt/venv/bin/pip", f"{sys.executable} -m pip").replace("/context", str(context))
    target.parent.mkdir(parents=True, exist_ok=True)
    command = command.replace("/tmp/platform.txt", str(target.parent / "platform.txt"))
    command = command.replace(" -m pip install ", f" -m pip install --target {target} ")
    env = {**os.environ, "MODE_PACKAGES": packages, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True, timeout=300)


def studio_package(context: Path, dependencies: str = "") -> None:
    package = context / "studio" / "mygames"
    (package / "nim").mkdir(parents=True)
    (package / "nim" / "__init__.py").touch()
    (package / "nim" / "mode.py").write_text(MODE)
    (package / "pyproject.toml").write_text(PYPROJECT.format(dependencies=dependencies))


@pytest.mark.live
def test_a_mode_package_installed_by_the_images_step_is_served_by_a_server_that_lists_it(tmp_path):
    """A studio's package installed by the Dockerfile's step is served by a server that lists its
    mode. It takes tens of seconds: pip resolves the package under the platform's pins for real, then
    a server of its own starts (migrations and the demo data) with the installed mode on its
    path."""
    context, target = tmp_path / "context", tmp_path / "build" / "site"
    studio_package(context)
    done = run_install_step(context, target, "./studio/mygames")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (target / "nim" / "mode.py").read_text() == MODE
    assert not [p.name for p in target.iterdir() if not p.name.startswith(("nim", "mygames"))]  # nothing else

    pythonpath = os.pathsep.join(p for p in (str(target), os.environ.get("PYTHONPATH")) if p)
    server = LiveServer(tmp_path, env={"PYTHONPATH": pythonpath, "GAME_MODES": f"{BUILT_IN},nim.mode.Nim"})
    server.start()
    try:
        listed = httpx.get(f"{server.http}/api/game/modes/", timeout=10).json()["results"]
        assert [(m["name"], m["title"]) for m in listed][-1] == ("nim", "Nim, shipped")
        assert [m["name"] for m in listed] == ["tictactoe", "relay", "nim"]
    finally:
        server.stop()


def test_a_mode_package_that_would_move_a_platform_pin_is_refused(tmp_path):
    context, target = tmp_path / "context", tmp_path / "build" / "site"
    studio_package(context, dependencies='"Django<5"')
    done = run_install_step(context, target, "./studio/mygames")
    assert done.returncode != 0
    assert "django" in (done.stdout + done.stderr).lower() and "conflict" in (done.stdout + done.stderr).lower()
    assert not target.exists() or not (target / "nim").exists()
