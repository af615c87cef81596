"""The admin in headless Chromium against a real server process (DEBUG off, static files from the
ASGI server): a staff member signs in and opens its pages, and every request a page makes is
answered, so the browser's console stays clean."""

import httpx
import pytest

from webclient.tests.test_browser import make_admin, unique

PASSWORD = "a-long-pass-phrase-42"


@pytest.fixture
def admin_page(web, new_page):
    """A page signed in to the admin as a new superuser, keeping every response it got: ``page.answers``."""
    username = unique("boss")
    make_admin(web, username, PASSWORD)
    page = new_page("admin")
    page.answers = []
    page.on("response", lambda response: page.answers.append((response.status, response.url)))
    page.goto(f"{web.http}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    return page


@pytest.mark.parametrize("path", ["/admin/", "/admin/operations/", "/admin/game/game/"])
def test_every_request_of_an_admin_page_is_answered_and_its_console_stays_clean(web, admin_page, path):
    admin_page.answers.clear()
    admin_page.goto(f"{web.http}{path}", wait_until="load")
    admin_page.wait_for_load_state("networkidle")  # the favicon is asked for after the page's load
    assert admin_page.answers, "the page made no request"
    failed = [(status, url) for status, url in admin_page.answers if status >= 400]
    assert failed == []
    assert admin_page.problems == []  # the console: the favicon's request is not among the responses


def test_the_icon_a_browser_asks_for_is_answered_with_no_content(web):
    answer = httpx.get(f"{web.http}/favicon.ico", timeout=10)
    assert (answer.status_code, answer.content) == (204, b"")
    assert answer.headers["cache-control"] == "public, max-age=86400"
