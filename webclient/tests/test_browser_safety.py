"""Player safety at /play/ in headless Chromium: a player reports a lobby message's sender from the
page (the report is filed with the lobby as its context), and a sanction reaches the page as its banner."""

import httpx

from webclient.tests.test_browser import LOUNGE, auth, register, tab, unique


def test_a_player_reports_a_lobby_messages_sender_and_sees_a_sanction_banner(web, new_page):
    ann = new_page("ann")
    register(ann, web.http, unique("rpann"))
    ann_id = ann.evaluate("window.gameplatform.me.id")
    tab(ann, "lobbies")
    ann.locator("#lobby-list li", has_text=LOUNGE).locator(".enter-lobby").click()
    ann.wait_for_selector("#lobby-room:not([hidden])")
    lobby_id = int(ann.get_attribute("#lobby-room", "data-lobby-id"))

    bob = web.register(unique("rpbob"))
    base = f"{web.http}/api/lobbies/{lobby_id}"
    assert httpx.post(f"{base}/join/", headers=auth(bob), timeout=10).status_code in (200, 201)
    posted = httpx.post(f"{base}/messages/", json={"content": "buy gold"}, headers=auth(bob), timeout=10)
    assert posted.status_code == 201, posted.text
    line = ann.locator(f"#lobby-messages li[data-message-id='{posted.json()['id']}']")
    line.locator(".report-open").click()
    line.locator("select[name=reason]").select_option("spam")
    line.locator("input[name=comment]").fill("Selling gold in the lounge.")
    line.locator("button[type=submit]").click()
    line.locator(".reported").wait_for()
    httpx.post(f"{base}/leave/", headers=auth(bob), timeout=10)

    moderator = web.moderator()
    staff = auth(web.login(moderator["username"], moderator["password"]))
    queue = httpx.get(f"{web.http}/api/moderation/reports/", headers=staff, timeout=10).json()["results"]
    [report] = [r for r in queue if r["user"]["id"] == bob["id"]]
    assert (report["reporter"]["id"], report["reason"], report["context"]) == (ann_id, "spam", {"lobby_id": lobby_id})
    assert report["comment"] == "Selling gold in the lounge."

    # A sanction reaches the page at once: the banner says what, why and until when.
    muted = httpx.post(
        f"{web.http}/api/moderation/sanctions/",
        json={"user_id": ann_id, "action": "mute", "duration_hours": 1, "statement": "Spam reports must be true."},
        headers=staff,
        timeout=10,
    )
    assert muted.status_code == 201, muted.text
    ann.wait_for_selector("#sanction-banner[data-action=mute]:has-text('Spam reports must be true.')")
    assert "Until" in ann.text_content("#sanction-banner .sanction-end")
    ann.click("#lobby-leave")
    assert ann.problems == [], ann.problems
