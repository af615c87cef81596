"""Player safety at /play/ in headless Chromium: a player reports a lobby message's sender, a
direct message's sender and a group message's sender from the page (each report filed with its
conversation as its context), a sanction reaches the page as its banner, and a suspended player
appeals from the signed-out page with the appeal token the refused login carried, with no
"Play as guest" to come back by."""

import httpx

from webclient.tests.test_browser import LOUNGE, auth, befriend, register, tab, unique

PASSWORD = "a-long-pass-phrase-42"  # register()'s


def staff_headers(web) -> dict:
    moderator = web.moderator()
    return auth(web.login(moderator["username"], moderator["password"]))


def report_from(line, reason: str, comment: str) -> None:
    """Fill and send the Report form of a page's ``line`` (a message or a friend)."""
    line.locator(".report-open").click()
    line.locator("select[name=reason]").select_option(reason)
    line.locator("input[name=comment]").fill(comment)
    line.locator("button[type=submit]").click()
    line.locator(".reported").wait_for()


def queued_report(web, staff: dict, reporter_id: int, user_id: int) -> dict:
    queue = httpx.get(f"{web.http}/api/moderation/reports/", headers=staff, timeout=10).json()["results"]
    [report] = [r for r in queue if r["user"]["id"] == user_id and r["reporter"]["id"] == reporter_id]
    return report


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


def test_a_player_reports_a_direct_message_and_a_group_message_each_with_its_conversation(web, new_page):
    ann = new_page("ann")
    register(ann, web.http, unique("dmrann"))
    ann_user = {
        "id": ann.evaluate("window.gameplatform.me.id"),
        "access": ann.evaluate("window.gameplatform.gp.tokens.access"),
    }
    bob, cat = web.register(unique("dmrbob")), web.register(unique("grcat"))
    befriend(web.http, bob, ann_user)
    sent = httpx.post(
        f"{web.http}/api/dm/{ann_user['id']}/messages/",
        json={"content": "you will regret it"},
        headers=auth(bob),
        timeout=10,
    )
    assert sent.status_code == 201, sent.text

    # A direct message: Ann opens the conversation from her friends and reports Bob's message.
    tab(ann, "friends")
    ann.click(f"#friend-list li[data-username='{bob['username']}'] button:has-text('Message')")
    line = ann.locator(f"#dm-messages li[data-message-id='{sent.json()['id']}']")
    report_from(line, "harassment", "A threat in my messages.")
    # The friend in the list has the same Report action (the same form).
    assert ann.locator(f"#friend-list li[data-username='{bob['username']}'] .report-open").count() == 1

    # A group message: Cat's group, Ann joins it on the page and reports what Cat wrote there.
    group = httpx.post(
        f"{web.http}/api/groups/", json={"name": unique("Safe club "), "open": True}, headers=auth(cat), timeout=10
    )
    assert group.status_code == 201, group.text
    group_id = group.json()["id"]
    assert httpx.post(f"{web.http}/api/groups/{group_id}/join/", headers=auth(ann_user), timeout=10).status_code in (
        200,
        201,
    )
    said = httpx.post(
        f"{web.http}/api/groups/{group_id}/messages/",
        json={"content": "free coins at my site"},
        headers=auth(cat),
        timeout=10,
    )
    assert said.status_code == 201, said.text
    tab(ann, "groups")
    ann.click(f"#group-mine li[data-group-id='{group_id}'] button:has-text('Open')")
    line = ann.locator(f"#group-messages li[data-message-id='{said.json()['id']}']")
    report_from(line, "spam", "Selling coins in the club.")
    # Her own messages have no Report action.
    ann.fill("#group-chat-input", "not me")
    ann.press("#group-chat-input", "Enter")
    ann.wait_for_selector("#group-messages li.mine:has-text('not me')")
    assert ann.locator("#group-messages li.mine .report-open").count() == 0

    staff = staff_headers(web)
    dm_report = queued_report(web, staff, ann_user["id"], bob["id"])
    assert (dm_report["reason"], dm_report["context"]) == ("harassment", {"dm_user_id": bob["id"]})
    assert "you will regret it" in str(dm_report["evidence"])
    group_report = queued_report(web, staff, ann_user["id"], cat["id"])
    assert (group_report["reason"], group_report["context"]) == ("spam", {"group_id": group_id})
    assert group_report["comment"] == "Selling coins in the club."
    assert "free coins at my site" in str(group_report["evidence"])
    assert ann.problems == [], ann.problems


def test_a_suspended_player_sees_why_and_appeals_from_the_signed_out_page_with_the_appeal_token(web, new_page):
    ann = new_page("ann")
    ann_name = unique("susann")
    register(ann, web.http, ann_name)
    ann_id = ann.evaluate("window.gameplatform.me.id")

    staff = staff_headers(web)
    suspended = httpx.post(
        f"{web.http}/api/moderation/sanctions/",
        json={"user_id": ann_id, "action": "suspend", "duration_hours": 24, "statement": "Threats to other players."},
        headers=staff,
        timeout=10,
    )
    assert suspended.status_code == 201, suspended.text
    sanction_id = suspended.json()["id"]

    # The open page is told at once: what, why and until when; its live connection ends.
    ann.wait_for_selector("#sanction-banner[data-action=suspend]:has-text('Threats to other players.')")
    ann.wait_for_selector("#conn-status:not(.live)")
    # The socket's close (it says only "suspended") leaves the banner saying what, why and when.
    ann.wait_for_timeout(500)
    assert ann.get_attribute("#sanction-banner", "data-action") == "suspend"
    assert "Threats to other players." in ann.text_content("#sanction-banner .sanction-statement")
    assert "Until" in ann.text_content("#sanction-banner .sanction-end")

    # Signed out, the login is refused with the statement, and the banner takes the appeal there.
    ann.evaluate("window.gameplatform.gp.logout()")
    ann.wait_for_selector("#login-form", state="visible")
    form = ann.locator("#login-form")
    form.locator("input[name=username]").fill(ann_name)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    banner = ann.locator("#sanction-banner:has-text('Threats to other players.')")
    banner.locator(".appeal-form textarea[name=text]").fill("I was quoting a film line, not threatening anyone.")
    banner.locator(".appeal-form button[type=submit]").click()
    ann.wait_for_selector("#sanction-banner .appeal-sent")
    assert ann.evaluate("window.gameplatform.me") is None

    appeals = httpx.get(f"{web.http}/api/moderation/appeals/?status=open", headers=staff, timeout=10).json()
    appeals = appeals["results"] if isinstance(appeals, dict) else appeals
    [appeal] = [a for a in appeals if a["sanction"]["id"] == sanction_id]
    assert appeal["text"] == "I was quoting a film line, not threatening anyone."

    # No way back as a guest: the page offers none under the banner, and the server makes none on
    # this browser (the page sent its device id when it registered).
    assert ann.locator("#guest-login").is_hidden()
    guest = ann.evaluate(
        """async () => {
          const answer = await fetch("/api/auth/device/", {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ device_id: localStorage.getItem("gameplatform.device") }),
          });
          return [answer.status, (await answer.json()).code];
        }"""
    )
    assert guest == [403, "account_suspended"]
    # The browser logs each refused request (the token's refresh, the login): nothing else went wrong.
    forbidden = "console: Failed to load resource: the server responded with a status of 403 (Forbidden)"
    assert [p for p in ann.problems if p != forbidden] == [], ann.problems


def test_a_suspended_player_s_game_panel_and_games_list_show_the_game_forfeited(web, new_page):
    ann, bob = new_page("ann"), new_page("bob")
    register(ann, web.http, unique("gsann"))
    register(bob, web.http, unique("gsbob"))
    for page in (ann, bob):
        tab(page, "play")
        page.click("#queue-join")
    for page in (ann, bob):
        page.wait_for_selector("#game-panel:not([hidden]) #game-ready:visible")
        page.click("#game-ready")
    for page in (ann, bob):
        page.wait_for_selector("#game-panel[data-state=active]")
    game_id = ann.get_attribute("#game-panel", "data-game-id")
    ann.wait_for_selector(f"#game-history li[data-game-id='{game_id}']")

    ann_id = ann.evaluate("window.gameplatform.me.id")
    suspended = httpx.post(
        f"{web.http}/api/moderation/sanctions/",
        json={"user_id": ann_id, "action": "suspend", "duration_hours": 24, "statement": "Win trading."},
        headers=staff_headers(web),
        timeout=10,
    )
    assert suspended.status_code == 201, suspended.text

    # The server forfeits the game: the opponent wins, and the suspended player's page says so too,
    # with nothing left to play (no Forfeit, no "Opponent's turn…"), though it can read nothing more.
    # Whether their socket closes before the game_over reaches it is a race: either way the page
    # says the game ended by their forfeit.
    bob.wait_for_selector("#game-status:has-text('You won')")
    forfeited = "^(You lost|Your account is suspended: you left this game) by forfeit"
    ann.wait_for_selector(f"#game-status:text-matches('{forfeited}')")
    assert ann.locator("#game-forfeit").is_hidden()
    assert ann.locator("#game-close").is_visible()
    assert ann.locator("#board .cell:not([disabled])").count() == 0
    line = ann.locator(f"#game-history li[data-game-id='{game_id}']")
    assert line.locator(".outcome").text_content() == "forfeited"
    assert line.locator("button:has-text('Open')").count() == 0
    assert ann.text_content("#queue-status") == "No games while the account is suspended or banned."
    assert ann.locator("#queue-join").is_hidden()
