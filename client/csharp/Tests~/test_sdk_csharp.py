"""The C# SDK (client/csharp): its .NET core built with Mono's ``mcs`` at C# 6 (what every Unity
version compiles), its NUnit tests run offline, and its live tests against the live server
(sign-in, a tic-tac-toe match played to its end through a cut connection, group chat, a flag staff
set and an event tracked), under each server ``make test`` runs. Without Mono the tests skip; in CI
(``CI`` or ``CLUSTER_REQUIRED``) they fail instead: ``.ci/run`` installs Mono."""

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from conftest import requires_binaries

PACKAGE = Path(__file__).resolve().parents[1]
MISSING = [tool for tool in ("mcs", "mono", "nunit-console") if shutil.which(tool) is None]
pytestmark = requires_binaries(
    f"Mono's {', '.join(MISSING)} (apt-get install mono-devel nunit-console)" if MISSING else None
)
SUMMARY = re.compile(r"\b(Tests run|Errors|Failures|Ignored|Not run): (\d+)")


def nunit(env: dict | None = None) -> tuple[subprocess.CompletedProcess, dict[str, int]]:
    """``make test`` of the package: its output and the counts of NUnit's summary lines."""
    done = subprocess.run(
        ["make", "-s", "-C", str(PACKAGE), "test"],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=400,
    )
    counts = {name: int(n) for name, n in SUMMARY.findall(done.stdout)}
    return done, counts


def test_the_csharp_sdk_builds_with_mcs_at_csharp_6_and_passes_its_offline_tests():
    names = ("GAMEPLATFORM_URL", "GAMEPLATFORM_LIVEOPS", "GAMEPLATFORM_LIVEOPS_PASSWORD", "GAMEPLATFORM_PREMIUM")
    env = {name: "" for name in (*names, "GAMEPLATFORM_PREMIUM_PASSWORD")}
    done, counts = nunit(env)
    assert done.returncode == 0, f"{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    assert counts["Tests run"] >= 20 and counts["Errors"] == counts["Failures"] == 0, counts
    live_tests = (PACKAGE / "Tests~" / "LiveTests.cs").read_text().count("[Test]")
    assert counts["Ignored"] == live_tests, "only the live tests wait for a server"


@pytest.mark.timeout(420)
def test_the_csharp_sdk_passes_its_live_tests_against_the_live_server(live):
    """The C# SDK's live tests pass against the live server. It takes tens of seconds: ``make test`` of
    the package compiles the SDK with ``mcs`` and runs its NUnit live tests in Mono, a
    tic-tac-toe match played to its end through a cut connection among them."""
    staff = live.liveops_staff()
    premium_name = f"cs_premium_{uuid.uuid4().hex[:8]}"
    premium = live.register(premium_name)  # a lobby is made by a premium player
    live.shell(f"from accounts.models import User; User.objects.filter(pk={premium['id']}).update(is_premium=True)")
    env = {
        "GAMEPLATFORM_URL": live.http,
        "GAMEPLATFORM_LIVEOPS": staff["username"],
        "GAMEPLATFORM_LIVEOPS_PASSWORD": staff["password"],
        "GAMEPLATFORM_PREMIUM": premium["username"],
        "GAMEPLATFORM_PREMIUM_PASSWORD": "pass-w0rd-long-enough",
    }
    done, counts = nunit(env)
    assert done.returncode == 0, f"{done.stdout[-8000:]}\n{done.stderr[-3000:]}"
    assert counts["Errors"] == counts["Failures"] == counts["Ignored"] == 0, counts
    assert counts["Tests run"] >= 23, counts


FIRST_SCRIPT_PAGE = PACKAGE.parents[1] / "docs" / "unity.md"


def first_script() -> str:
    """The C# block of docs/unity.md that this file checks (the one marked ``checked by`` it)."""
    text = FIRST_SCRIPT_PAGE.read_text()
    blocks = re.findall(
        r"<!-- checked by: client/csharp/Tests~/test_sdk_csharp.py -->\n```csharp\n(.*?)```", text, re.S
    )
    assert len(blocks) == 1, "unity.md has one C# block checked here: the first script"
    return blocks[0]


@pytest.mark.timeout(300)
def test_the_first_script_of_the_unity_page_compiles_and_two_copies_play_a_game_to_its_end(live, tmp_path):
    done, _ = nunit({"GAMEPLATFORM_URL": ""})  # builds build/GamePlatform.dll
    assert done.returncode == 0, done.stdout[-3000:]
    source = tmp_path / "FirstScript.cs"
    source.write_text(first_script())
    program = PACKAGE / "build" / "FirstScript.exe"
    newtonsoft = next(Path("/usr/lib/cli").glob("Newtonsoft.Json-*/Newtonsoft.Json.dll"))
    built = subprocess.run(
        ["mcs", "-langversion:6", "-warnaserror+", f"-out:{program}", "-r:System.Net.Http.dll",
         f"-r:{newtonsoft}", f"-r:{PACKAGE / 'build' / 'GamePlatform.dll'}", str(source)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    names = [f"cs_first_{os.getpid()}_{n}" for n in range(2)]
    players = [
        subprocess.Popen(
            ["mono", str(program), live.http, name], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for name in names
    ]
    try:
        outcomes = [player.communicate(timeout=120) for player in players]
    finally:  # a copy that did not finish in time is stopped, not left running
        for player in players:
            if player.poll() is None:
                player.kill()
                player.wait()
    for player, (out, err) in zip(players, outcomes, strict=True):
        assert player.returncode == 0, err[-3000:]
        assert out.strip() in ("win", "draw"), out


def test_every_asset_of_the_unity_package_has_its_meta_file():
    done = subprocess.run(
        [sys.executable, str(PACKAGE / "unity_meta.py"), "--check"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, f"run `python client/csharp/unity_meta.py` and commit the .meta files:\n{done.stdout}"
