"""bench/game_moves.py runs on the SDK: a small run of it against the live server keeps both working."""

import sys

import pytest

from gameplatform.tests.live import ROOT

# Times itself or loads the whole machine: `make test` runs it alone, after the tests it runs side by side.
pytestmark = pytest.mark.serial

sys.path.insert(0, str(ROOT / "bench"))  # the bench scripts import each other by module name

import game_moves  # noqa: E402


async def test_game_moves_bench_plays_its_draws_through_the_sdk(server, make_client, capsys):
    pairs, games, firsts = [], [], []
    for _ in range(2):
        first, second = await make_client("benchx"), await make_client("bencho")
        assert (await first.join_queue())["status"] == "queued"  # the longest waiting plays left (X)
        game_id = (await second.join_queue())["game_id"]
        pairs.append([(None, first.access_token), (None, second.access_token)])
        games.append([game_id])
        firsts.append(first)
    rtts = await game_moves.run([server.ws], pairs, games)
    assert len(rtts) == 2 * len(game_moves.DRAW)
    assert "18 moves over 1 server process(es)" in capsys.readouterr().out
    for first, (game_id,) in zip(firsts, games, strict=True):
        game = await first.get_game(game_id)
        assert (game["state"], game["reason"]) == ("finished", "draw")
