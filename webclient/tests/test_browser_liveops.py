"""Live operations at /play/ in headless Chromium: the live events running for the player show in
a banner (the seeded festival, to join; an event staff make meanwhile, and the flag it overrides,
arrive without a reload), and a message staff send reaches the player's inbox live, its unread
count going down once it is opened.

``UPDATE_SCREENSHOTS=1`` also writes ``docs/webclient-liveops.png``."""

import os
from datetime import UTC, datetime, timedelta

import httpx

from gameplatform.testhelpers import wait_until
from gameplatform.tests.live import ROOT
from liveops import demo
from webclient.tests.test_browser import auth, register, tab, unique

SCREENSHOT = {"x": 0, "y": 0, "width": 1280, "height": 420}  # the banner and the Inbox tab's cards
PUSHED = 5_000  # ms: the push comes about a second after a change (the timers deliver, caches catch up)


def unread(page) -> int:
    text = page.text_content("#liveops-unread") or ""
    return int(text) if page.is_visible("#liveops-unread") else 0


def test_the_seeded_festival_shows_in_the_banner_and_a_player_joins_it(web, new_page):
    ann = new_page("ann")
    register(ann, web.http, unique("loann"))
    festival = ann.locator("#liveops-banner .live-event", has_text="Launch festival")
    festival.wait_for()
    assert "until" in festival.locator(".live-event-end").text_content()
    assert festival.get_attribute("data-joined") == "false"
    festival.locator(".join-live-event").click()
    ann.locator("#liveops-banner .live-event[data-joined=true]", has_text="Launch festival").locator(
        ".joined"
    ).wait_for()
    # The page asks the server again: joined it stays.
    ann.reload()
    ann.locator("#liveops-banner .live-event[data-joined=true]", has_text="Launch festival").wait_for()
    assert ann.problems == [], ann.problems


def test_the_web_client_tells_the_server_it_is_the_web_with_the_players_language_and_time_zone(web, new_page):
    """A "web players" segment (``platform: web``) holds every browser player from their first page."""
    name = unique("loweb")
    ann = new_page("ann")
    register(ann, web.http, name)
    login = httpx.post(
        f"{web.http}/api/auth/login/", json={"username": name, "password": "a-long-pass-phrase-42"}, timeout=10
    )

    def attributes() -> dict | None:
        said = httpx.get(f"{web.http}/api/liveops/attributes/", headers=auth(login.json()), timeout=10).json()
        return said if said["platform"] == "web" else None

    said = wait_until(attributes, what="the web client's attributes")
    assert said["custom"]["locale"] and "/" in said["custom"]["timezone"] or said["custom"]["timezone"] == "UTC"
    assert ann.problems == [], ann.problems


def test_staff_changes_reach_the_banner_and_the_inbox_live_and_opening_a_message_reads_it(web, new_page):
    ann = new_page("ann")
    register(ann, web.http, unique("loann"))
    ann_id = ann.evaluate("window.gameplatform.me.id")
    ann.locator("#liveops-banner .live-event", has_text="Launch festival").wait_for()
    tab(ann, "inbox")
    ann.wait_for_selector("#liveops-messages li")
    before = unread(ann)
    ann.evaluate("window.notReloaded = true")

    ops = web.liveops_staff()
    staff = auth(web.login(ops["username"], ops["password"]))
    now = datetime.now(UTC)
    made = httpx.post(
        f"{web.http}/api/liveops/admin/live-events/",
        json={
            "name": unique("Ann's hour"),
            "value": {"title": "Triple XP hour", "text": "For you alone, this hour."},
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(),
            "condition": {"id": ann_id},
            "overrides": {demo.FLAG: 3},
        },
        headers=staff,
        timeout=10,
    )
    assert made.status_code == 201, made.text
    event = ann.locator(f"#liveops-banner .live-event[data-event-id='{made.json()['id']}']")
    event.locator(".live-event-title:text('Triple XP hour')").wait_for(timeout=PUSHED)
    ann.wait_for_selector("#liveops-banner .live-boost:text('XP ×3')", timeout=PUSHED)

    sent = httpx.post(
        f"{web.http}/api/liveops/admin/messages/",
        json={"title": "A gift for you", "body": "Open the store: 50 gold are waiting.", "condition": {"id": ann_id}},
        headers=staff,
        timeout=10,
    )
    assert sent.status_code == 201, sent.text
    line = ann.locator(f"#liveops-messages li.unread[data-message-id='{sent.json()['id']}']")
    line.wait_for(timeout=PUSHED)
    ann.wait_for_selector(f"#liveops-unread:text('{before + 1}')")
    ann.wait_for_selector(f"#badge-messages:text('{before + 1}')")
    assert ann.evaluate("window.notReloaded") is True

    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        ann.screenshot(path=str(ROOT / "docs" / "webclient-liveops.png"), clip=SCREENSHOT)

    line.locator(".message-open").click()
    read = ann.locator(f"#liveops-messages li.read[data-message-id='{sent.json()['id']}']")
    read.locator(".message-body:text('50 gold are waiting')").wait_for()
    if before == 0:
        ann.wait_for_selector("#liveops-unread", state="hidden")
    else:
        ann.wait_for_selector(f"#liveops-unread:text('{before}')")
    mine = ann.evaluate("window.gameplatform.gp.liveops().inbox()")
    [message] = [m for m in mine if m["id"] == sent.json()["id"]]
    assert message["read_at"] is not None

    gone = httpx.delete(f"{web.http}/api/liveops/admin/live-events/{made.json()['id']}/", headers=staff, timeout=10)
    assert gone.status_code == 204, gone.text
    ann.wait_for_selector(
        f"#liveops-banner .live-event[data-event-id='{made.json()['id']}']", state="detached", timeout=PUSHED
    )
    assert ann.problems == [], ann.problems


def test_a_gift_in_the_inbox_is_claimed_once_with_its_button(web, new_page):
    ann = new_page("ann")
    register(ann, web.http, unique("loann"))
    ann_id = ann.evaluate("window.gameplatform.me.id")
    tab(ann, "inbox")
    ann.wait_for_selector("#liveops-messages li")
    ops = web.liveops_staff()
    staff = auth(web.login(ops["username"], ops["password"]))
    sent = httpx.post(
        f"{web.http}/api/liveops/admin/messages/",
        json={
            "title": "Sorry for the downtime",
            "condition": {"id": ann_id},
            "grants": {"gold": 100, "gems": 5},
            "expires_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
        },
        headers=staff,
        timeout=10,
    )
    assert sent.status_code == 201, sent.text
    line = ann.locator(f"#liveops-messages li[data-message-id='{sent.json()['id']}']")
    line.locator(".message-gift:has-text('Gift: 100 gold, 5 gems')").wait_for(timeout=PUSHED)
    line.locator(".claim-gift").click()
    ann.locator(f"#liveops-messages li.read[data-message-id='{sent.json()['id']}'] .tag.claimed").wait_for()
    assert ann.locator(f"#liveops-messages li[data-message-id='{sent.json()['id']}'] .claim-gift").count() == 0
    ann.reload()  # claimed it stays
    tab(ann, "inbox")
    ann.locator(f"#liveops-messages li[data-message-id='{sent.json()['id']}'] .tag.claimed").wait_for()
    assert ann.problems == [], ann.problems
