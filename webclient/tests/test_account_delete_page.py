"""``/account/delete/``: the web page that deletes an account without the app (Google Play asks for
one), with the same grace as ``POST /api/me/delete/``. In headless Chromium, and its refusals."""

import httpx
import pytest
from django.test import Client

from accounts.models import User
from webclient.tests.test_browser import auth, register, tab, unique

PASSWORD = "pass-w0rd-long-enough"  # the live server's ``register``


def test_a_player_deletes_their_account_from_the_web_page_in_chromium(web, new_page):
    player = web.register(unique("delme"))
    page = new_page("deleter")
    page.goto(f"{web.http}/account/delete/")
    form = page.locator("#account-delete-form")
    form.locator("input[name=username]").fill(player["username"])
    form.locator("input[name=password]").fill("not the password")
    form.locator("button[type=submit]").click()
    page.locator("p.error").wait_for()

    form = page.locator("#account-delete-form")
    form.locator("input[name=username]").fill(player["username"])
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.locator("#delete-scheduled").wait_for()
    me = httpx.get(f"{web.http}/api/me/", headers=auth(player), timeout=10).json()
    assert me["delete_at"] is not None  # the grace runs: the player may still sign in and cancel


def test_a_player_deletes_their_account_from_play_then_keeps_it(web, new_page):
    """/play/'s Profile tab: "Delete my account" with the password (confirmed) schedules the
    deletion and shows when; "Keep my account" cancels it."""
    page = new_page("player")
    username = unique("playdel")
    register(page, web.http, username)
    page.on("dialog", lambda dialog: dialog.accept())
    tab(page, "profile")
    form = page.locator("#delete-account-form")
    form.locator("input[name=password]").fill("a-long-pass-phrase-42")  # register()'s
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#delete-pending:not([hidden])")
    assert page.evaluate("window.gameplatform.me.delete_at") is not None
    page.click("#delete-cancel")
    page.wait_for_selector("#delete-account-form:not([hidden])")
    assert page.evaluate("window.gameplatform.me.delete_at") is None


@pytest.mark.django_db
def test_the_page_refuses_a_wrong_password_and_schedules_nothing(make_user):
    alice = make_user("alice")
    page = Client()
    wrong = page.post("/account/delete/", {"username": "alice", "password": "nope"})
    assert wrong.status_code == 400 and b"Wrong username/email or password." in wrong.content
    alice.refresh_from_db()
    assert alice.delete_at is None
    right = page.post("/account/delete/", {"username": "alice", "password": "pass-w0rd-long"})
    assert right.status_code == 200 and b"delete-scheduled" in right.content
    assert User.objects.get(pk=alice.pk).delete_at is not None
