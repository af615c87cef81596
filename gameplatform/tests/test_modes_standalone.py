"""The mode API and its test kit stand alone: standard library only, nothing imported from outside
``gameplatform.modes`` (no Django, no runtime), so a studio's mode tests need nothing else."""

import shutil
import subprocess
import sys
import textwrap

from gameplatform.tests.live import ROOT

PLAY = textwrap.dedent(
    """
    import sys

    sys.path.insert(0, {here!r})
    import gameplatform.modes
    from gameplatform.modes.testing import ModeTester
    from tictactoe import TicTacToe
    from arena import Arena

    game = ModeTester(TicTacToe())
    game.start()
    for player, cell in [(1, 0), (2, 3), (1, 1), (2, 4), (1, 2)]:
        game.move(player, {{"cell": cell}})
    game.refused(2, "game_over", move={{"cell": 8}})
    assert game.result.winner == 1, game.result
    assert game.view(2)["board"][:3] == ["X", "X", "X"]

    arena = ModeTester(Arena(), players=3)
    arena.start()
    arena.input(1, {{"dx": 1.0, "dy": 0.0}})
    arena.advance(seconds=1.0)
    assert arena.room.ctx.tick == 20

    outside = sorted(
        name
        for name in sys.modules
        if name.split(".")[0] not in sys.stdlib_module_names
        and name.split(".")[0] not in {{"__main__", "gameplatform", "tictactoe", "arena"}}
    )
    assert outside == [], outside
    assert sorted(n for n in sys.modules if n.startswith("gameplatform.")) == sorted(
        n for n in sys.modules if n.startswith("gameplatform.modes")
    )
    print("played")
    """
)


def test_a_built_in_mode_plays_in_the_test_kit_with_only_the_mode_api_on_the_path(tmp_path):
    package = tmp_path / "gameplatform"
    shutil.copytree(ROOT / "gameplatform" / "modes", package / "modes", ignore=shutil.ignore_patterns("__pycache__"))
    (package / "__init__.py").write_text("")
    for mode in ("tictactoe", "arena"):
        shutil.copy(ROOT / "game" / "modes" / "builtin" / f"{mode}.py", tmp_path / f"{mode}.py")

    # -I: no PYTHONPATH, no user site, not the current directory; -S: no site-packages at all.
    run = subprocess.run(
        [sys.executable, "-I", "-S", "-c", PLAY.format(here=str(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )

    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "played"
