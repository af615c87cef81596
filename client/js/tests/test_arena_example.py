"""The arena example (client/js/examples/arena): a page outside the platform's tree, built on the
package, served from an origin of its own, plays the arena in headless Chromium against a live
server that allows that origin (CORS_ORIGINS)."""

import functools
import shutil
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from gameplatform.tests.live import LiveServer, free_port, live_server_name

PACKAGE = Path(__file__).resolve().parents[1]
NPM = shutil.which("npm")

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(NPM is None, reason="node and npm are not installed: the example is built with tsc"),
    # The page is what this tests; the SDK's own tests (test_sdk_js_live.py) hold daphne to the contract.
    pytest.mark.skipif(live_server_name() == "daphne", reason="the arena example's page is tested under uvicorn only"),
]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture
def example_origin():
    """client/js built (the package and the example) and served on a port of its own."""
    for script in ("build", "build:examples"):
        done = subprocess.run([NPM, "run", script], cwd=PACKAGE, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"npm run {script}:\n{done.stdout}\n{done.stderr}"
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(QuietHandler, directory=str(PACKAGE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def arena_server(tmp_path, example_origin):
    server = LiveServer(tmp_path, env={"CORS_ORIGINS": example_origin}).start()
    yield server
    server.stop()


@pytest.mark.timeout(300)
def test_two_pages_of_the_arena_example_play_and_a_held_key_moves_my_dot(arena_server, example_origin):
    from webclient.tests.conftest import CHROMIUM_ARGS, find_chromium

    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    url = f"{example_origin}/examples/arena/index.html?server={arena_server.http}"
    with sync_api.sync_playwright() as playwright:
        path = find_chromium(playwright)
        if path is None:
            pytest.skip("no Chromium found (set CHROMIUM_PATH, or install chromium)")
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            problems = []
            pages = []
            for _ in range(2):  # two contexts: two browsers, two guests
                page = browser.new_context().new_page()
                page.on("pageerror", lambda error: problems.append(str(error)))
                page.goto(url)
                pages.append(page)
            for page in pages:
                page.wait_for_function("window.arena?.room?.state === 'active'", timeout=30_000)
            me = pages[0].evaluate("String(window.arena.client.userId)")
            start = pages[0].evaluate(f"window.arena.room.view.players['{me}'].x")
            pages[0].keyboard.down("ArrowRight")
            pages[0].wait_for_function(f"window.arena.room.view.players['{me}'].x > {start} + 5", timeout=10_000)
            pages[0].keyboard.up("ArrowRight")
            # The other page sees my dot move too, and both draw it where their views say (interpolated).
            pages[1].wait_for_function(f"window.arena.room.view.players['{me}'].x > {start} + 5", timeout=10_000)
            pages[1].wait_for_function(f"window.arena.drawn['{me}'].x > {start} + 5", timeout=10_000)
            status = pages[0].evaluate("window.arena.status")
            assert status.startswith("time left"), status
            assert not problems, problems
        finally:
            browser.close()
