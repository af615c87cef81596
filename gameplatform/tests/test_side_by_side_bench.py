"""bench/side_by_side.py, the arena and the lobby fan-out against Colyseus (docs/benchmarks.md): its
command answers --help, its Node programs (the Colyseus rooms, its server, the load generators) parse,
the Colyseus packages are pinned, and its tables put the platform / Colyseus ratio under each pair of
rows. The bench itself (minutes, two cores, npm packages) is run by hand, not here."""

import json
import shutil
import subprocess
import sys

import pytest

from bench.side_by_side import parse_args, table
from gameplatform.tests.live import ROOT

# Times itself or loads the whole machine: `make test` runs it alone, after the tests it runs side by side.
pytestmark = pytest.mark.serial

COLYSEUS = ROOT / "bench" / "colyseus"


def test_the_command_explains_itself():
    done = subprocess.run(
        [sys.executable, "bench/side_by_side.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert "Colyseus" in done.stdout and "--rooms" in done.stdout and "--warmup" in done.stdout
    assert "--scenario" in done.stdout and "lobby" in done.stdout


def test_the_arena_stays_the_default_scenario_and_the_lobby_has_its_own_sizes():
    arena, lobby = parse_args([]), parse_args(["--scenario", "lobby"])
    assert (arena.scenario, arena.sizes, arena.plot.endswith("side_by_side.png")) == ("arena", [25, 50, 100], True)
    assert (lobby.sizes, lobby.members, lobby.senders, lobby.interval) == ([4], 50, 10, 1.0)
    assert lobby.plot.endswith("side_by_side_lobby.png")


def test_a_lobby_sender_faster_than_the_platforms_rate_limit_is_refused():
    with pytest.raises(SystemExit):
        parse_args(["--scenario", "lobby", "--interval", "0.5"])


def test_two_workers_are_a_lobby_figure_and_the_arena_keeps_one_process():
    assert parse_args(["--scenario", "lobby", "--workers", "2"]).workers == 2
    assert parse_args([]).workers == 1
    with pytest.raises(SystemExit):
        parse_args(["--workers", "2"])  # an arena room lives on one process: two would split the rooms


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed")
@pytest.mark.parametrize(
    "program", ["arena_room.mjs", "chat_room.mjs", "server.mjs", "loadgen.mjs", "lobby_loadgen.mjs", "compact.mjs"]
)
def test_the_node_programs_parse(program):
    done = subprocess.run(["node", "--check", program], cwd=COLYSEUS, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_the_platform_sides_are_its_three_encodings():
    args = parse_args(["--sides", "colyseus,platform-msgpack,platform-compact"])
    assert args.side_list == ["colyseus", "platform-msgpack", "platform-compact"]
    with pytest.raises(SystemExit):
        parse_args(["--sides", "platform-cbor"])


# The fixtures the server's encoder made for the TypeScript SDK (client/js/tests/test_compact_fixtures.py).
DECODES_THE_FIXTURES = """
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { decodeFrame } from "./compact.mjs";
const { frames } = JSON.parse(readFileSync(process.argv[1], "utf8"));
for (const f of frames) {
  assert.deepStrictEqual(decodeFrame(Buffer.from(f.compact, "hex"), "compact"), JSON.parse(f.json), f.name);
}
console.log(frames.length);
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed")
@pytest.mark.skipif(
    not (COLYSEUS / "node_modules" / "@msgpack" / "msgpack").is_dir(), reason="bench/colyseus has no npm ci yet"
)
def test_the_load_generators_compact_decoder_reads_the_frames_the_server_encodes():
    fixtures = ROOT / "client" / "js" / "tests" / "compact-fixtures.json"
    command = ["node", "--input-type=module", "--eval", DECODES_THE_FIXTURES, str(fixtures)]
    done = subprocess.run(command, cwd=COLYSEUS, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(json.loads(fixtures.read_text())["frames"])


def test_the_colyseus_peer_is_pinned_to_0_18_and_is_no_dependency_of_the_platform():
    wanted = json.loads((COLYSEUS / "package.json").read_text())["dependencies"]
    assert all(version[0].isdigit() for version in wanted.values()), wanted  # exact versions, no ranges
    assert wanted["@colyseus/core"].startswith("0.18.")
    locked = json.loads((COLYSEUS / "package-lock.json").read_text())["packages"]
    assert locked["node_modules/@colyseus/core"]["version"] == wanted["@colyseus/core"]
    assert not (ROOT / "package.json").exists()
    assert "bench/colyseus/node_modules/" in (ROOT / ".gitignore").read_text().split()


def side(cores: float, bytes_per_patch: float) -> dict:
    return {
        "server_cores": cores,
        "us_per_room_tick": cores / (50 * 20) * 1e6,
        "patch_p50_ms": 50.0,
        "patch_p99_ms": 55.0,
        "missed_pct": 0.0,
        "visible_p50_ms": 40.0,
        "visible_p99_ms": 90.0,
        "bytes_per_patch": bytes_per_patch,
        "rss_mib": 100.0,
        "client_cores": 0.2,
    }


def test_the_table_gives_the_platform_over_colyseus_ratio():
    printed = table([{"rooms": 50, "colyseus": side(0.25, 56.0), "platform": side(0.75, 392.0)}])
    ratio_row = printed.splitlines()[-1]
    assert ratio_row.startswith("50") and "platform / colyseus" in ratio_row
    cells = [c.strip() for c in ratio_row.split("|")]
    assert cells[2:4] == ["3.00×", "3.00×"]  # server cores, µs per room-tick
    assert "7.00×" in cells  # bytes per patch


def lobby_side(cores: float, deliveries_per_s: float, bytes_per_delivery: float) -> dict:
    return {
        "server_cores": cores,
        "us_per_delivery": cores / deliveries_per_s * 1e6,
        "us_per_delivery_with_redis": cores / deliveries_per_s * 1e6,
        "deliveries_per_s": deliveries_per_s,
        "latency_p50_ms": 1.0,
        "latency_p99_ms": 4.0,
        "lost": 0,
        "bytes_per_delivery": bytes_per_delivery,
        "rss_mib": 100.0,
        "client_cores": 0.1,
    }


def test_the_lobby_table_gives_the_ratio_of_cpu_per_delivery():
    colyseus, platform = lobby_side(0.044, 2000.0, 60.0), lobby_side(0.132, 2000.0, 180.0)
    printed = table([{"rooms": 4, "colyseus": colyseus, "platform": platform}], "lobby")
    assert printed.splitlines()[0].startswith("lobbies") and "µs/delivery" in printed.splitlines()[0]
    cells = [c.strip() for c in printed.splitlines()[-1].split("|")]
    assert cells[:2] == ["4", "platform / colyseus"]
    assert cells[2:5] == ["3.00×", "3.00×", "3.00×"]  # server cores, µs per delivery, with Redis
    assert "3.00×" in cells[8]  # bytes per delivery
