"""The load test (``python -m gameplatform_client.loadtest``) against a real server: bots of a
built-in mode and of a mode ``manage.py startmode`` made (with the bot the docs show for it) play
whole games, and the command prints its table, writes its figures and its plot, and reports no
error."""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid

import pytest
from gameplatform_client import GameClient
from gameplatform_client.loadtest import percentile, report, svg_plot

from gameplatform.tests.live import ROOT, LiveServer, live_server_name
from webclient.tests.test_studio_mode_live import NAME, studio, studio_server  # noqa: F401 (fixtures)

SDK = ROOT / "client" / "python"
DOCS_PAGE = ROOT / "docs" / "sdks.md"


def loadtest_command(url: str, *args: str, cwd=None, prefix=None) -> tuple[list[str], dict]:
    """The command as a studio runs it (this repository's SDK first on the path), and its environment.
    ``prefix``: the guests' ``--device-prefix`` (None: the command's own, random for each run)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(SDK), str(cwd or "")) if p)}
    command = [sys.executable, "-m", "gameplatform_client.loadtest", "--url", url, *args]
    return command + (["--device-prefix", prefix] if prefix else []), env


def loadtest(url: str, *args: str, cwd=None, prefix=None, timeout: float = 40) -> subprocess.CompletedProcess:
    command, env = loadtest_command(url, *args, cwd=cwd, prefix=prefix)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_eight_tictactoe_bots_finish_games_for_ten_seconds_without_an_error(live, tmp_path):
    figures, plot = tmp_path / "run.json", tmp_path / "run.svg"

    done = loadtest(
        live.http, "--mode", "tictactoe", "--bots", "8", "--duration", "10", "--json", str(figures),
        "--plot", str(plot),
    )  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(figures.read_text())
    assert result["errors"] == {}
    assert result["games_finished"] >= 8  # 4 tables, each game 5 to 9 moves: many more in 10 s
    assert result["frame_round_trip"]["count"] >= 5 * result["games_finished"]
    assert result["time_to_match"]["count"] >= result["games_finished"]
    assert result["peak_sockets"] == 16  # each bot: its notifications socket and its game's
    assert result["frames_in"] > result["frames_out"] > 0
    assert re.search(r"^frame round trip +\d+ +[\d.]+ ms", done.stdout, re.M), done.stdout
    assert f"games      {result['games_finished']} finished" in done.stdout
    assert "errors     none" in done.stdout
    assert plot.read_text().startswith("<svg") and "polyline" in plot.read_text()


def test_arena_bots_steer_to_gems_and_their_inputs_show_in_the_view(live, tmp_path):
    figures = tmp_path / "run.json"

    done = loadtest(live.http, "--mode", "arena", "--bots", "2", "--duration", "2", "--json", str(figures))

    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(figures.read_text())
    assert result["errors"] == {}
    assert result["games_finished"] == 1  # to 10 gems (or 90 s): past the 2 s, played to its end
    assert result["frame_round_trip"]["count"] == 0  # inputs get no answer
    assert result["input_to_visible"]["count"] > 5
    assert 0 < result["input_to_visible"]["p50_ms"] < 1000
    assert re.search(r"^input to visible +\d+ +[\d.]+ ms", done.stdout, re.M), done.stdout


async def test_a_guest_left_in_a_game_by_an_earlier_run_forfeits_it_and_plays_on(live, tmp_path):
    prefix = f"lt{uuid.uuid4().hex[:10]}"
    stuck = [GameClient(live.http), GameClient(live.http)]
    try:
        for n, client in enumerate(stuck):  # the load test's two first guests, matched and gone
            await client.device_login(f"{prefix}-bot-{n:06d}")
        await stuck[0].join_queue("tictactoe")
        assert (await stuck[1].join_queue("tictactoe"))["status"] == "matched"
    finally:
        for client in stuck:
            await client.disconnect()
    figures = tmp_path / "run.json"

    done = await asyncio.to_thread(
        loadtest, live.http, "--mode", "tictactoe", "--bots", "2", "--duration", "5", "--json", str(figures),
        prefix=prefix,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(figures.read_text())
    # Both bots find the game (or the second finds it already over: the first forfeited it).
    assert result["left_over_games"] in (1, 2) and result["errors"] == {}, done.stdout
    assert result["games_finished"] >= 1, done.stdout
    assert f"{result['left_over_games']} games of an earlier run forfeited" in done.stdout


def test_two_runs_at_once_from_one_machine_each_play_with_guests_of_their_own(live, tmp_path):
    """No ``--device-prefix``: each run draws its own, so the two runs never log in as one guest
    (which closed the other's sockets 4409 and played its games)."""
    runs = []
    for n in (1, 2):
        command, env = loadtest_command(
            live.http, "--mode", "tictactoe", "--bots", "4", "--duration", "5", "--json", str(tmp_path / f"{n}.json")
        )
        runs.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [run.communicate(timeout=60)[0] for run in runs]

    assert [run.returncode for run in runs] == [0, 0], outputs
    results = [json.loads((tmp_path / f"{n}.json").read_text()) for n in (1, 2)]
    assert all(r["errors"] == {} and r["games_finished"] >= 2 for r in results), outputs
    prefixes = [r["device_prefix"] for r in results]
    assert prefixes[0] != prefixes[1] and all(re.fullmatch(r"lt[0-9a-f]{8}", p) for p in prefixes), prefixes
    assert all(f"guests     device ids {p}-bot-..." in out for p, out in zip(prefixes, outputs, strict=True))


def test_a_run_ends_within_its_duration_and_grace_forfeiting_a_game_still_under_way(live, tmp_path):
    """An arena game lasts to 10 gems, far past a run of 1 s with 1 s of grace: the run still ends
    on time, and that game is reported cut off (forfeited), not as an error."""
    figures = tmp_path / "run.json"

    done = loadtest(
        live.http, "--mode", "arena", "--bots", "2", "--duration", "1", "--grace", "1", "--json", str(figures)
    )

    assert done.returncode == 1, done.stdout + done.stderr  # no game finished: said with 1, as ever
    result = json.loads(figures.read_text())
    assert result["elapsed_s"] < 2 + 5, result["elapsed_s"]  # duration and grace, and the time to forfeit and close
    assert result["errors"] == {}
    assert result["cut_off_games"] == 1 and "1 games still under way 1 s past the end: forfeited" in done.stdout


@pytest.mark.live
@pytest.mark.skipif(live_server_name() != "uvicorn", reason="a rolling restart is uvicorn's (make serve's workers)")
def test_a_rolling_restart_during_a_run_is_reported_as_restarts_handled_not_as_closed_sockets(tmp_path):
    """``kill -HUP`` on a two-worker server while the bots play: every socket the restart closes
    (1012, "service restart") the SDK opens again, and the report counts those as restarts handled;
    no bot loses a socket for good (``closed_<code>``) or is refused one (``handshake_<status>``)."""
    server = LiveServer(tmp_path, env={"WEB_CONCURRENCY": "2"}).start()
    try:
        figures = tmp_path / "run.json"
        command, env = loadtest_command(
            server.http, "--mode", "tictactoe", "--bots", "8", "--duration", "25", "--json", str(figures)
        )
        run = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while server.online_users() < 8:  # the bots are in
            assert run.poll() is None and time.monotonic() < deadline, run.communicate()[0]
            time.sleep(0.1)

        server.process.send_signal(signal.SIGHUP)
        output = run.communicate(timeout=120)[0]

        result = json.loads(figures.read_text())
        assert result["restarts"]["sockets_reopened"] >= 1, output
        assert "restarts   handled: " in output
        assert not [code for code in result["errors"] if code.startswith(("closed_", "handshake_"))], output
        assert result["games_finished"] >= 8, output
        server.assert_alive()
    finally:
        server.stop()


def documented_bot() -> str:
    """The bot the SDK page shows for the template of ``manage.py startmode``."""
    page = DOCS_PAGE.read_text()
    found = re.search(r"<!-- checked by: client/python/tests/test_sdk_loadtest.py -->\n```python\n(.*?)```", page, re.S)
    assert found, f"{DOCS_PAGE.name} has no bot block checked by this test"
    return found.group(1)


@pytest.mark.live
def test_bots_play_a_startmode_mode_with_the_bot_the_docs_show(studio_server, tmp_path):  # noqa: F811
    """The load test's bots play a ``startmode`` mode with the bot the docs show. It takes tens of
    seconds: the load test runs as a process of its own for ``--duration 8`` seconds with 4 bots, on
    the studio's server, which the module's first test of it also starts."""
    (tmp_path / "studio_bot.py").write_text(documented_bot())
    figures = tmp_path / "run.json"

    done = loadtest(
        studio_server.http, "--mode", NAME, "--bots", "4", "--duration", "8", "--bot", "studio_bot:play",
        "--json", str(figures), cwd=tmp_path,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(figures.read_text())
    assert result["errors"] == {}
    assert result["games_finished"] >= 2
    assert result["frame_round_trip"]["count"] >= 4 * result["games_finished"]  # 10 in steps of 1 to 3
    assert studio_server.errors_since(0) == []


def test_a_mode_without_a_built_in_bot_asks_for_one(live):
    done = loadtest(live.http, "--mode", "nosuchbot", "--bots", "1", "--duration", "1")

    assert done.returncode == 2
    assert "no built-in bot for the mode 'nosuchbot': give one with --bot module:function" in done.stderr


def test_a_mode_the_server_does_not_run_is_refused_before_any_bot_starts(live, tmp_path):
    (tmp_path / "chess_bot.py").write_text("async def play(game):\n    pass\n")

    done = loadtest(live.http, "--mode", "chess", "--bot", "chess_bot:play", "--duration", "1", cwd=tmp_path)

    assert done.returncode == 2
    assert f"{live.http} does not run the mode 'chess' (it runs tictactoe, relay" in done.stderr


def test_the_report_prints_percentiles_and_errors_by_code():
    result = {
        "mode": "arena", "bots": 2, "duration_s": 5, "ramp_s": 0, "url": "http://x", "elapsed_s": 5.2,
        "frame_round_trip": {"count": 3, "p50_ms": 2.0, "p90_ms": 3.0, "p99_ms": 3.0, "max_ms": 3.0},
        "input_to_visible": {"count": 0, "p50_ms": 0.0, "p90_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0},
        "time_to_match": {"count": 1, "p50_ms": 40.0, "p90_ms": 40.0, "p99_ms": 40.0, "max_ms": 40.0},
        "games_started": 1, "games_finished": 1, "games_per_s": 0.19, "frames_in": 100, "frames_out": 20,
        "frames_in_per_s": 19.2, "frames_out_per_s": 3.8, "peak_sockets": 4,
        "left_over_games": 0, "errors": {"rate_limited": 2},
        "round_trips": [[0.5, 2.0], [1.5, 1.0], [1.7, 3.0]], "inputs_visible": [],
    }  # fmt: skip

    printed = report(result)

    assert "frame round trip        3      2.0 ms      3.0 ms      3.0 ms      3.0 ms" in printed
    assert "errors     rate_limited 2" in printed
    assert "input to visible" not in printed  # no real-time inputs in this run
    assert "note: no game started" not in printed
    assert "note: no game started" in report({**result, "games_started": 0, "games_finished": 0})
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0 and percentile([], 99) == 0.0
    assert svg_plot(result).count("<circle") == 3
