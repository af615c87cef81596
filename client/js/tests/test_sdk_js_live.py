"""The TypeScript SDK (client/js) tested in Node against the session's live server.

The package is installed from its lock (``npm ci``, again only when package-lock.json changed, as
the venv is from requirements/dev.txt), built with ``tsc``, and its ``node --test`` suite runs
with ``GAMEPLATFORM_URL`` set to the live server (uvicorn, or daphne under ``LIVE_SERVER=daphne``:
``make test`` runs this under both). Without Node the test skips, saying so.
"""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]
NODE = shutil.which("node")
NPM = shutil.which("npm")

pytestmark = pytest.mark.skipif(
    NODE is None or NPM is None, reason="node and npm are not installed: the TypeScript SDK (client/js) needs Node 20"
)


def npm(*args: str, timeout: float = 300) -> str:
    done = subprocess.run([NPM, *args], cwd=PACKAGE, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"npm {' '.join(args)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.fixture(scope="session")
def built_package() -> Path:
    """client/js installed from its lock (when the lock changed) and built into dist/."""
    lock = hashlib.sha256((PACKAGE / "package-lock.json").read_bytes()).hexdigest()
    stamp = PACKAGE / "node_modules" / ".installed-from-lock"
    if not stamp.is_file() or stamp.read_text() != lock:
        npm("ci", "--no-audit", "--no-fund")
        stamp.write_text(lock)
    npm("run", "build")
    return PACKAGE


def node_tests(server: str, files: list[Path]) -> subprocess.CompletedProcess:
    env = {**os.environ, "GAMEPLATFORM_URL": server}
    command = [NODE, "--test", *(str(f.relative_to(PACKAGE)) for f in files)]
    return subprocess.run(command, cwd=PACKAGE, env=env, capture_output=True, text=True, timeout=500)


def summary(output: str) -> dict[str, int]:
    """The counts of node's closing TAP lines (``# pass 20``...)."""
    counts = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "#" and parts[2].isdigit():
            counts[parts[1]] = int(parts[2])
    return counts


@pytest.mark.timeout(600)
def test_the_typescript_sdk_passes_its_node_tests_against_the_live_server(live, built_package):
    files = sorted((built_package / "tests").glob("*.test.js"))
    assert files, "client/js/tests has no *.test.js"
    done = node_tests(live.http, files)
    counts = summary(done.stdout)
    assert done.returncode == 0, f"node --test failed:\n{done.stdout[-12000:]}\n{done.stderr[-4000:]}"
    assert counts.get("pass", 0) > 0 and counts.get("fail") == 0, counts
    assert counts.get("skipped") == 0, f"some tests skipped (no server?):\n{done.stdout[-4000:]}"
