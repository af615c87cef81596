"""Browser tests: headless Chromium (Playwright) against a real server process.

Chromium is looked up as ``CHROMIUM_PATH``, then ``chromium`` / ``chromium-browser`` /
``google-chrome`` on the ``PATH``, then Playwright's own download; without one the tests
skip, saying so. A failing test leaves a screenshot of every page it opened in
``test-artifacts/``.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

from gameplatform.tests.live import ROOT

ARTIFACTS = ROOT / "test-artifacts"
# Headless in a closed sandbox: no GPU, no first-run or background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium(playwright) -> str | None:
    candidates = [os.environ.get("CHROMIUM_PATH")]
    candidates += [shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")]
    try:
        candidates.append(playwright.chromium.executable_path)
    except Exception:  # no browser downloaded for Playwright
        pass
    return next((path for path in candidates if path and Path(path).is_file()), None)


@pytest.fixture
def web(live):
    """The session's live server (root conftest.py: DEBUG off, the demo data), checked for logged
    errors after each test."""
    return live


# Module scope, not session: Playwright's sync API runs an event loop in this thread while it is
# open, and the async tests collected after these (pytest-asyncio) need the thread free again.
@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        path = find_chromium(playwright)
        if path is None:
            pytest.skip("no Chromium found (set CHROMIUM_PATH, or install chromium)")
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def new_page(request, browser):
    """``new_page(name)``: a page in a fresh browser context (its own storage: one person each).

    Console errors and uncaught exceptions of the page are kept in ``page.problems``.
    """
    contexts = []

    def make(name: str):
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.problems = []
        page.on("pageerror", lambda error: page.problems.append(f"uncaught: {error}"))
        page.on("console", lambda msg: msg.type == "error" and page.problems.append(f"console: {msg.text}"))
        contexts.append((name, context, page))
        return page

    yield make
    failed = any(getattr(getattr(request.node, f"report_{when}", None), "failed", False) for when in ("setup", "call"))
    for name, context, page in contexts:
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            stem = re.sub(r"[^\w.-]+", "_", f"{request.node.name}-{name}")
            try:
                page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
            except Exception:  # the page may be gone; the other screenshots still count
                pass
        context.close()
