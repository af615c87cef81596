"""The TypeScript SDK (client/js) tested in Node against the session's live server.

The package is installed from its lock (``npm ci``, again only when package-lock.json changed, as
the venv is from requirements/dev.txt), built with ``tsc``, and its ``node --test`` suite runs
with ``GAMEPLATFORM_URL`` set to the live server (uvicorn, or daphne under ``LIVE_SERVER=daphne``:
``make test`` runs this under both). The ``js`` snippets of docs/sdks.md and client/js/README.md
marked as checked here run as written in Node, the package installed from the tarball ``npm pack``
makes (as a studio would install it). The examples (examples/arena, examples/autoplay), pages of
a site outside the platform's tree on that tarball installed once by npm, served from an origin of
their own, play in two headless Chromium pages against a server that allows that origin and runs
the built-in modes and a mode ``manage.py startmode`` made: the arena steered by a held key, and a
whole game of every mode played by the autoplay example's bots. The web client's copy of the
package (the bundle /play/ loads) must be what bundling the package now makes. Without Node the
tests skip, saying so.
"""

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import uuid
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from gameplatform.tests.live import LiveServer, free_port, live_server_name

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
    """client/js installed from its lock (when the lock changed) and built into dist/ (the example too)."""
    lock = hashlib.sha256((PACKAGE / "package-lock.json").read_bytes()).hexdigest()
    stamp = PACKAGE / "node_modules" / ".installed-from-lock"
    if not stamp.is_file() or stamp.read_text() != lock:
        npm("ci", "--no-audit", "--no-fund")
        stamp.write_text(lock)
    npm("run", "build")
    npm("run", "build:examples")  # the tests check the arena example's interpolation too
    return PACKAGE


def node_tests(server: str, files: list[Path], env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "GAMEPLATFORM_URL": server, **(env or {})}
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


def another_moderator(live) -> tuple[str, str]:
    """(username, password) of a user in the ``moderator`` role other than ``live.moderator()``:
    an appeal is decided by another moderator than the one who imposed the sanction."""
    username, password = f"live_review_{uuid.uuid4().hex[:8]}", "pass-w0rd-long-enough"
    user = live.register(username, password)
    live.shell(
        "from django.contrib.auth.models import Group; from accounts.models import User; "
        f"u = User.objects.get(pk={user['id']}); u.is_staff = True; u.save(update_fields=['is_staff']); "
        "u.groups.add(Group.objects.get(name='moderator'))"
    )
    return username, password


@pytest.mark.timeout(600)
def test_the_typescript_sdk_passes_its_node_tests_against_the_live_server(live, built_package):
    """The SDK's own Node tests pass against the live server. It takes about a minute: the whole
    ``node --test`` suite (games played, sockets cut and reconnected) runs against the live
    server, after the package's ``npm ci`` (when its lock changed) and ``tsc`` build."""
    files = sorted((built_package / "tests").glob("*.test.js"))
    assert files, "client/js/tests has no *.test.js"
    moderator = live.moderator()  # for tests/safety.test.js: staff suspend a player
    reviewer = another_moderator(live)  # ... and another moderator decides the appeal
    liveops = live.liveops_staff()  # for tests/liveops.test.js: staff change a flag
    staff = {
        "GAMEPLATFORM_MODERATOR": moderator["username"],
        "GAMEPLATFORM_MODERATOR_PASSWORD": moderator["password"],
        "GAMEPLATFORM_REVIEWER": reviewer[0],
        "GAMEPLATFORM_REVIEWER_PASSWORD": reviewer[1],
        "GAMEPLATFORM_LIVEOPS": liveops["username"],
        "GAMEPLATFORM_LIVEOPS_PASSWORD": liveops["password"],
    }
    done = node_tests(live.http, files, staff)
    counts = summary(done.stdout)
    assert done.returncode == 0, f"node --test failed:\n{done.stdout[-12000:]}\n{done.stderr[-4000:]}"
    assert counts.get("pass", 0) > 0 and counts.get("fail") == 0, counts
    assert counts.get("skipped") == 0, f"some tests skipped (no server?):\n{done.stdout[-4000:]}"


# --- the browser build the site serves ------------------------------------------------------------

BUNDLE = PACKAGE.parents[1] / "webclient" / "static" / "webclient" / "gameplatform-client.js"


def test_the_web_clients_copy_of_the_sdk_is_the_bundle_of_this_package(built_package, tmp_path):
    """``/play/`` loads the package from the committed bundle (``make run`` needs no Node): a
    bundle made now from client/js/src must be that file, byte for byte."""
    fresh = tmp_path / "gameplatform-client.js"
    done = subprocess.run(
        [NODE, "scripts/bundle.mjs", str(fresh)], cwd=built_package, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"the bundle did not build:\n{done.stdout}\n{done.stderr}"
    assert BUNDLE.is_file(), f"{BUNDLE.relative_to(PACKAGE.parents[1])} is missing: run make sdk-bundle"
    assert BUNDLE.read_text() == fresh.read_text(), (
        "webclient/static/webclient/gameplatform-client.js is stale (client/js changed since it was made): "
        "run make sdk-bundle and commit the file"
    )


# --- the documentation's snippets -------------------------------------------------------------

ROOT = PACKAGE.parents[1]
# The pages whose ```js blocks marked "checked by" this file are run here (test_docs.py checks
# that the marker names an existing test that reads the page): docs/sdks.md and client/js/README.md.
DOCUMENTED = [ROOT / "docs" / "sdks.md", PACKAGE / "README.md"]
CHECKED_HERE = "<!-- checked by: client/js/tests/test_sdk_js_live.py -->"
FENCE = re.compile(r"^```js\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def checked_snippets(page: Path) -> list[str]:
    """The ```js blocks of a page right after this file's ``checked by`` marker."""
    return [
        m[1] for m in FENCE.finditer(page.read_text()) if page.read_text()[: m.start()].rstrip().endswith(CHECKED_HERE)
    ]


@pytest.fixture(scope="session")
def packed_package(built_package, tmp_path_factory) -> Path:
    """The tarball ``npm pack`` makes, unpacked: what a studio installs (only the files it ships)."""
    out = tmp_path_factory.mktemp("pack")
    (packed,) = json.loads(npm("pack", "--json", "--ignore-scripts", "--pack-destination", str(out)))
    unpacked = out / "unpacked"
    with tarfile.open(out / packed["filename"]) as tar:
        tar.extractall(unpacked, filter="data")
    return unpacked / "package"


def installed_like_an_application(tmp_path: Path, package: Path) -> Path:
    """A folder whose node_modules holds the packed package, installed by npm from its tarball with
    its dependencies, and ws, as an application's would. The dependencies' tarballs come from npm's
    cache (``npm ci`` filled it); their metadata, which ``npm ci`` never fetches (it reads the lock),
    from the registry when the cache lacks it (``--prefer-offline``: a fresh machine's cache does)."""
    (tmp_path / "package.json").write_text(json.dumps({"name": "snippets", "private": True}))
    (tarball,) = package.parents[1].glob("*.tgz")
    args = ("install", "--prefer-offline", "--no-audit", "--no-fund", "--no-save", str(tarball))
    done = subprocess.run([NPM, *args], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"npm install of the packed package failed:\n{done.stdout}\n{done.stderr}"
    (tmp_path / "node_modules" / "ws").symlink_to(PACKAGE / "node_modules" / "ws")
    return tmp_path


@pytest.mark.timeout(300)
@pytest.mark.parametrize("page", DOCUMENTED, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_typescript_sdk_snippets_of_the_docs_run_as_written_against_the_live_server(
    page, live, packed_package, tmp_path
):
    snippets = checked_snippets(page)
    assert snippets, f"{page.relative_to(ROOT)} has no js block marked {CHECKED_HERE}"
    app = installed_like_an_application(tmp_path, packed_package)
    for n, snippet in enumerate(snippets):
        source = app / f"snippet_{n}.mjs"
        source.write_text(snippet.replace("http://127.0.0.1:8000", live.http))
        done = subprocess.run([NODE, str(source)], cwd=app, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{page.name} snippet {n} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"


# --- a studio's site: the examples on the packed package ------------------------------------------
# One site outside the platform's tree holds both examples (examples/arena, examples/autoplay), with
# the package installed once by npm from the tarball; one server serves it all: the built-in modes
# and a mode `manage.py startmode` made, with the site's origin allowed.

EXAMPLES = ("arena", "autoplay")
INSTALLED = "../node_modules/@gameplatform/client/dist/index.js"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def studio_site(packed_package, tmp_path_factory) -> Path:
    """The examples as a studio's site: each page and its built script in a folder of its own, and
    the package installed by npm from the tarball ``npm pack`` made; each page's import map points
    at the installed copy."""
    site = tmp_path_factory.mktemp("studio") / "site"
    for example in EXAMPLES:
        ignore = shutil.ignore_patterns("src", "tsconfig.json")
        shutil.copytree(PACKAGE / "examples" / example, site / example, ignore=ignore)
        page = site / example / "index.html"
        page.write_text(page.read_text().replace("../../dist/index.js", INSTALLED))
        assert INSTALLED in page.read_text(), f"examples/{example}/index.html has no import map to rewrite"
    (site / "package.json").write_text(json.dumps({"name": "studio-site", "private": True}))
    (tarball,) = packed_package.parents[1].glob("*.tgz")
    done = subprocess.run(
        [NPM, "install", "--offline", "--no-audit", "--no-fund", "--no-save", str(tarball)],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"npm install of the packed package failed:\n{done.stdout}\n{done.stderr}"
    assert (site / "node_modules" / "@gameplatform" / "client" / "dist" / "index.js").is_file()
    assert not (site / "node_modules" / "@gameplatform" / "client").is_symlink(), "npm linked the tree: not a copy"
    return site


@pytest.fixture(scope="module")
def studio_origin(studio_site):
    """The studio's site served on a port of its own."""
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(QuietHandler, directory=str(studio_site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()


# The studio's mode: what ``manage.py startmode nim`` writes (the template's game, "first to 10"),
# untouched, registered as docs/development.md shows (its folder on PYTHONPATH, its class in GAME_MODES).
STUDIO_MODE = "nim"


@pytest.fixture(scope="module")
def studio_mode_path(tmp_path_factory) -> Path:
    """The folder holding the package ``manage.py startmode`` made, outside the platform's tree."""
    games = tmp_path_factory.mktemp("mygames")
    done = subprocess.run(
        [sys.executable, "manage.py", "startmode", STUDIO_MODE, "--directory", str(games)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"manage.py startmode failed:\n{done.stdout}\n{done.stderr}"
    assert (games / STUDIO_MODE / "mode.py").is_file()
    return games


@pytest.fixture(scope="module")
def studio_server(tmp_path_factory, studio_origin, studio_mode_path):
    """A server running every built-in mode and the studio's, allowing the studio's origin."""
    modes = [*settings.BUILTIN_GAME_MODES, f"{STUDIO_MODE}.mode.{STUDIO_MODE.capitalize()}"]
    path = os.pathsep.join(p for p in (str(studio_mode_path), os.environ.get("PYTHONPATH")) if p)
    env = {"CORS_ORIGINS": studio_origin, "GAME_MODES": ",".join(modes), "PYTHONPATH": path}
    server = LiveServer(tmp_path_factory.mktemp("studio-server"), env=env).start()
    yield server
    server.stop()


# Module scope: Playwright's sync API runs an event loop in this thread while it is open.
@pytest.fixture(scope="module")
def browser():
    from webclient.tests.conftest import CHROMIUM_ARGS, find_chromium

    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        path = find_chromium(playwright)
        if path is None:
            pytest.skip("no Chromium found (set CHROMIUM_PATH, or install chromium)")
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def two_browsers(browser):
    """Two pages, each in a context of its own (its own storage: two guests); the page errors of
    both are kept in ``problems``."""
    contexts = [browser.new_context() for _ in range(2)]
    pages = [context.new_page() for context in contexts]
    problems = []
    for page in pages:
        page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
        page.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
    yield pages, problems
    for context in contexts:
        context.close()


@pytest.mark.live
# The page is what this tests; the SDK's own tests above hold daphne to the contract.
@pytest.mark.skipif(live_server_name() == "daphne", reason="the arena example's page is tested under uvicorn only")
@pytest.mark.timeout(300)
def test_two_pages_of_the_arena_example_play_and_a_held_key_moves_my_dot(studio_server, studio_origin, two_browsers):
    """Two pages of the arena example play, and a held key moves my dot on both. It takes tens of seconds
    as the first of the module's page tests: it installs the packed package into the studio's
    site and starts the studio's server and Chromium, then the two pages are matched and play
    until the held key shows."""
    pages, problems = two_browsers
    url = f"{studio_origin}/arena/index.html?server={studio_server.http}"
    for page in pages:
        page.goto(url)
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
    pages[0].evaluate("window.arena.room.forfeit()")  # the game ends rather than run out its 90 s
    pages[1].wait_for_function("window.arena.room.over?.reason === 'forfeit'", timeout=10_000)


# Every mode the server runs, and the bot of examples/autoplay that plays it (None: the mode's own name).
PLAYED = [
    *((import_string(path).name, None) for path in settings.BUILTIN_GAME_MODES),
    (STUDIO_MODE, "first_to_ten"),  # the startmode template's game, under the studio's name
]


@pytest.mark.live
@pytest.mark.skipif(live_server_name() == "daphne", reason="the example pages are tested under uvicorn only")
@pytest.mark.timeout(300)
@pytest.mark.parametrize(("mode", "bot"), PLAYED, ids=[mode for mode, _ in PLAYED])
def test_two_pages_on_the_packed_package_play_a_whole_game_of_the_mode_and_both_see_it_end(
    mode, bot, studio_server, studio_origin, two_browsers
):
    """examples/autoplay, installed as a studio would, in two browsers: both are matched into one
    game, a bot plays each side by the mode's rules, and both hear ``game_over`` with the same
    result the server recorded.
    Each game is played to its end through the queue: arena in real time until a bot has 10 gems (at
    most 90 s of game time), the turn-based games in seconds; the first of the module's page tests
    on a worker also builds the studio's site on the packed package and starts the studio's server
    and Chromium."""
    pages, problems = two_browsers
    listed = [m["name"] for m in httpx.get(f"{studio_server.http}/api/game/modes/").json()["results"]]
    assert mode in listed, listed
    query = urlencode({"server": studio_server.http, "mode": mode, **({"bot": bot} if bot else {})})
    for page in pages:
        page.goto(f"{studio_origin}/autoplay/index.html?{query}")
    ended = "window.autoplay && (window.autoplay.record !== null || window.autoplay.error !== null)"
    for page in pages:
        page.wait_for_function(ended, timeout=150_000)
    seen = [
        page.evaluate(
            "({error: autoplay.error, me: autoplay.client.userId, gameId: autoplay.gameId,"
            " over: autoplay.gameOver, record: autoplay.record, status: autoplay.status})"
        )
        for page in pages
    ]
    assert [s["error"] for s in seen] == [None, None], seen
    first, second = seen
    assert first["me"] != second["me"], "two guests"
    assert first["gameId"] == second["gameId"], "one game"
    assert first["over"] is not None and second["over"] is not None, "both pages heard game_over"
    assert first["over"] == second["over"], "the same result on both pages"
    assert first["over"]["reason"] in ("win", "draw"), first["over"]  # played to its end, nobody left
    record = first["record"]
    assert record == second["record"]
    assert (record["mode"], record["state"], record["winner_id"]) == (mode, "finished", first["over"]["winner_id"])
    assert {p["id"] for p in record["players"]} == {first["me"], second["me"]}
    assert all(s["status"].startswith("game over") for s in seen), seen
    assert not problems, problems
