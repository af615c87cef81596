"""``manage.py startmode``: a mode package outside the platform, whose own tests pass and which
the registry lists once ``GAME_MODES`` names it."""

import io
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from game import registry

FILES = {"README.md", "__init__.py", "mode.py", "tests/__init__.py", "tests/test_mode.py"}


def startmode(name: str, **options) -> str:
    out = io.StringIO()
    call_command("startmode", name, stdout=out, **options)
    return out.getvalue()


def files_under(path) -> set[str]:
    return {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}


def test_startmode_writes_a_package_whose_own_tests_pass_without_django(tmp_path):
    out = startmode("first_to_ten", directory=str(tmp_path))

    assert files_under(tmp_path / "first_to_ten") == FILES
    assert "class FirstToTen(Mode):" in (tmp_path / "first_to_ten" / "mode.py").read_text()
    assert "-m unittest discover -s first_to_ten -t ." in out
    assert "GAME_MODES=game.modes.builtin.tictactoe.TicTacToe,game.modes.builtin.relay.Relay," in out
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(django_settings.BASE_DIR)  # where gameplatform.modes imports from
    run = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-m", "unittest"]
        + ["discover", "-s", "first_to_ten", "-t", "."],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Ran 4 tests" in run.stderr and run.stderr.rstrip().endswith("OK")


@pytest.fixture
def importable(tmp_path, monkeypatch):
    """``tmp_path`` on ``sys.path`` for one test; modules imported from it and the mode registry forgotten after."""
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    yield tmp_path
    registry.modes.cache_clear()
    for name in set(sys.modules) - before:
        if (getattr(sys.modules[name], "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]


@pytest.mark.django_db
def test_the_modes_route_lists_a_generated_mode_registered_as_the_command_says(importable, settings, client):
    out = startmode("first_to_ten", directory=str(importable))
    settings.GAME_MODES = re.search(r"GAME_MODES=(\S+)", out).group(1).split(",")
    registry.modes.cache_clear()  # the command read the modes configured before

    response = client.get("/api/game/modes/")

    assert response.status_code == 200
    listed = response.json()["results"]
    assert [m["name"] for m in listed] == ["tictactoe", "relay", "battleship", "arena", "first_to_ten"]
    assert listed[-1] == {
        "name": "first_to_ten",
        "title": "First to ten",
        "description": "Take turns adding 1 to 3 to the counter; whoever reaches exactly 10 wins.",
        "min_players": 2,
        "max_players": 4,
        "tick_rate": 0,
        "turn_seconds": 30.0,
        "messages": {
            "player_move": {
                "type": "object",
                "properties": {"add": {"type": "integer", "minimum": 1, "maximum": 3}},
                "required": ["add"],
                "additionalProperties": False,
            },
            "game_action": {},
            "input": None,
        },
        "input_rate": 30.0,
        "join_in_progress": False,
        "spectators": "nobody",
        "spectator_delay": 0.0,
    }


def test_startmode_writes_into_the_current_directory_by_default_and_fills_an_empty_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "duel").mkdir()

    startmode("duel")

    assert files_under(tmp_path / "duel") == FILES
    assert "class Duel(Mode):" in (tmp_path / "duel" / "mode.py").read_text()


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("Duel", "lowercase letters"),
        ("9lives", "starting with a letter"),
        ("two-words", "lowercase letters, digits or _"),
        ("a" * 33, "1 to 32"),
        ("class", "Python keyword"),
        ("json", "module named 'json' is already importable"),
        ("tictactoe", "GAME_MODES already has a mode named 'tictactoe'"),
    ],
)
def test_startmode_refuses_a_name_that_cannot_name_a_mode(tmp_path, name, why):
    with pytest.raises(CommandError, match=re.escape(why)):
        startmode(name, directory=str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_startmode_refuses_a_target_that_exists_and_is_not_empty(tmp_path):
    (tmp_path / "duel").mkdir()
    (tmp_path / "duel" / "notes.txt").write_text("mine")
    (tmp_path / "race").write_text("a file")

    for name in ("duel", "race"):
        with pytest.raises(CommandError, match=f"{name} already exists and is not an empty directory"):
            startmode(name, directory=str(tmp_path))

    assert files_under(tmp_path) == {"duel/notes.txt", "race"}
    assert (tmp_path / "duel" / "notes.txt").read_text() == "mine"
