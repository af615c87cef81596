"""The guide docs/build-your-own-game.md works as written: its files make a mode whose tests pass,
and the platform lists and plays that mode once GAME_MODES names it."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from game import registry
from game.offline import game_play_offline, start_all
from game.services import game_create
from gameplatform.modes import Mode
from gameplatform.modes.schema import Int, Obj
from gameplatform.modes.testing import ModeTester

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "build-your-own-game.md"


def guide_block(marker: str) -> str:
    """The one ```python block of the guide that holds ``marker``."""
    found = [block for block in re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S) if marker in block]
    assert len(found) == 1, f"{len(found)} python blocks of the guide hold {marker!r}"
    return found[0]


def guide_files() -> dict[str, str]:
    """Every ```python block whose first line is ``# file: <path>``."""
    blocks = re.findall(r"```python\n# file: (\S+)\n(.*?)```", GUIDE.read_text(), re.S)
    return dict(blocks)


@pytest.fixture
def nim_package(tmp_path, monkeypatch):
    files = guide_files()
    assert set(files) == {"nim/mode.py", "nim/tests/test_mode.py"}
    for path, text in files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        (target.parent / "__init__.py").touch()
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_the_guides_mode_passes_the_guides_tests_without_django(nim_package):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{nim_package}"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "nim/tests", "-q", "-p", "no:django", "-p", "no:cacheprovider"],
        cwd=nim_package,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout


@pytest.mark.django_db
def test_the_guides_mode_is_listed_and_played_once_registered(nim_package, settings, client, alice, bob):
    settings.GAME_MODES = [*settings.GAME_MODES, "nim.mode.Nim"]
    registry.modes.cache_clear()
    try:
        assert "nim" in [m["name"] for m in client.get("/api/game/modes/").json()["results"]]
        game = game_create(mode="nim", players=[alice, bob])

        def steps(room):
            start_all(room)
            for taker in [alice, bob] * 3:
                room.move(taker.pk, {"take": 3 if taker == alice else 2})

        game_play_offline(game_id=game.pk, steps=steps)
        game.refresh_from_db()
        assert (game.state, game.winner_id) == ("finished", bob.pk)
    finally:
        registry.modes.cache_clear()


def test_the_guides_card_game_view_shows_my_hand_and_only_the_size_of_the_others():
    """The guide's ``view`` (section 5) as the view of a small card game: what each player's frames
    add up to is their own hand, the others' hand sizes and the top of the pile; a card still in
    another hand never reaches them, a card played onto the pile does."""
    guide = {}
    exec(guide_block("def view(self, state, player):"), guide)  # noqa: S102 - the guide's own code

    class Cards(Mode):
        name = "cards"
        move_schema = Obj(play=Int(0, 9))  # the index of a card of my hand, played onto the pile
        view = guide["view"]

        def setup(self, ctx):
            return {"hands": {"1": ["7H", "QS"], "2": ["2C", "9D", "AS"]}, "pile": ["3H", "KD"]}

        def on_move(self, state, player, movement, ctx):
            state["pile"].append(state["hands"][str(player.id)].pop(movement["play"]))

    game = ModeTester(Cards(), players=2)
    game.start()
    assert game.view(1) == {"my_hand": ["7H", "QS"], "hand_sizes": {"1": 2, "2": 3}, "pile": ["KD"]}
    assert game.view(2) == {"my_hand": ["2C", "9D", "AS"], "hand_sizes": {"1": 2, "2": 3}, "pile": ["KD"]}
    game.move(2, {"play": 0})
    assert game.view(1) == {"my_hand": ["7H", "QS"], "hand_sizes": {"1": 2, "2": 2}, "pile": ["2C"]}
    seen = game.seen_text(1)
    assert "2C" in seen and not any(card in seen for card in ["9D", "AS", "3H"])
