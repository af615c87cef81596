"""The web client at /play/ driven by headless Chromium against a real server process (DEBUG off,
static files from the ASGI server): two people register, become friends, chat in a lobby and play
tic-tac-toe to a win while one of them reloads the page mid-game; seed 000's own ``GameClient``
plays a game from a browser page.

``UPDATE_SCREENSHOTS=1`` also writes the screenshots of the README and the manual,
``docs/webclient*.png``.
"""

import itertools
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from gameplatform.modes.patch import diff
from gameplatform.tests.live import DAPHNE_CLOSE_REPLY, ROOT

SEED_000_CLIENT = Path(__file__).with_name("seed000_game_client.js")
LOUNGE = "Premium Tournament Lounge"  # a public demo lobby with room to spare
_names = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{int(time.time() * 1000) % 10**7}{next(_names)}"


def register(page, base: str, username: str) -> None:
    page.goto(f"{base}/play/")
    form = page.locator("#register-form")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=email]").fill(f"{username}@example.com")
    form.locator("input[name=password]").fill("a-long-pass-phrase-42")
    form.locator("input[name=password_confirm]").fill("a-long-pass-phrase-42")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(f"body[data-user='{username}']")
    page.wait_for_selector("#conn-status.live")


def tab(page, name: str) -> None:
    page.click(f"#tabs button[data-tab={name}]")
    page.wait_for_selector(f"[data-panel={name}]:not([hidden])")


def play_cell(page, cell: int) -> None:
    page.click(f"#board[data-turn=mine] .cell[data-cell='{cell}']:not([disabled])")
    page.wait_for_selector(f"#board .cell[data-cell='{cell}']:text-matches('[XO]')")


def my_turn(page) -> bool:
    return page.get_attribute("#board", "data-turn") == "mine"


def test_two_players_befriend_chat_and_win_a_game_across_a_reload(web, new_page):
    ann, bob = new_page("ann"), new_page("bob")
    ann_name, bob_name = unique("ann"), unique("bob")
    register(ann, web.http, ann_name)
    register(bob, web.http, bob_name)

    # Friends: Ann finds Bob and asks; Bob hears of it live and accepts; both see the other online.
    tab(ann, "friends")
    ann.fill("#user-search-input", bob_name)
    ann.click("#user-search-form button[type=submit]")
    ann.click(f"#user-results li[data-username='{bob_name}'] .add-friend")
    ann.wait_for_selector(f"#friend-requests li.outgoing[data-to='{bob_name}']")
    bob.wait_for_selector("#badge-friends:not([hidden])")
    tab(bob, "friends")
    bob.click(f"#friend-requests li.incoming[data-from='{ann_name}'] .accept-request")
    bob.wait_for_selector(f"#friend-list li[data-username='{ann_name}'][data-online='1']")
    ann.wait_for_selector(f"#friend-list li[data-username='{bob_name}'][data-online='1']")

    # A game invite names a mode two can play, picked from the server's list; Ann takes it back.
    ann.wait_for_selector("#invite-mode option[value=battleship]", state="attached")
    ann.select_option("#invite-mode", "battleship")
    ann.click(f"#friend-list li[data-username='{bob_name}'] .invite-game")
    bob.wait_for_selector("#banner:has-text('invites you to a game of battleship')")
    tab(ann, "inbox")
    ann.click("#invite-sent li:has-text('a game of battleship') button:has-text('Cancel')")
    ann.wait_for_selector("#invite-sent li:has-text('Nothing sent')")
    tab(ann, "friends")

    # A direct message: Bob is told at once (notification socket), then reads the conversation.
    ann.click(f"#friend-list li[data-username='{bob_name}'] button:has-text('Message')")
    ann.fill("#dm-input", "psst, the lounge?")
    ann.press("#dm-input", "Enter")
    ann.wait_for_selector("#dm-messages li.mine:has-text('psst, the lounge?')")
    bob.wait_for_selector(f"#banner:has-text('New message from {ann_name}')")
    bob.click(f"#friend-list li[data-username='{ann_name}'] button:has-text('Message')")
    bob.wait_for_selector("#dm-messages li:has-text('psst, the lounge?')")

    # Lobby chat: both enter the lobby; typing shows, messages cross, members are present.
    for page in (ann, bob):
        tab(page, "lobbies")
        page.locator("#lobby-list li", has_text=LOUNGE).locator(".enter-lobby").click()
        page.wait_for_selector("#lobby-room:not([hidden])")
    ann_id = ann.evaluate("window.gameplatform.me.id")
    bob.wait_for_selector(f"#lobby-members li[data-user-id='{ann_id}'][data-online='1']")
    ann.type("#lobby-chat-input", "hello Bob", delay=20)
    bob.wait_for_selector(f"#lobby-typing:has-text('{ann_name} is typing')")
    ann.press("#lobby-chat-input", "Enter")
    bob.wait_for_selector("#lobby-messages li:has-text('hello Bob')")
    bob.fill("#lobby-chat-input", "hi Ann, up for tic-tac-toe?")
    bob.press("#lobby-chat-input", "Enter")
    ann.wait_for_selector("#lobby-messages li:has-text('up for tic-tac-toe?')")

    # The queue pairs them; both get the board and get ready.
    tab(ann, "play")
    ann.click("#queue-join")
    ann.wait_for_selector("#queue-status:has-text('In the queue')")
    tab(bob, "play")
    bob.click("#queue-join")
    for page in (ann, bob):
        page.wait_for_selector("#game-panel:not([hidden]) #game-ready:visible")
        page.click("#game-ready")
    for page in (ann, bob):
        page.wait_for_selector("#game-panel[data-state=active]")
    assert ann.get_attribute("#game-panel", "data-game-id") == bob.get_attribute("#game-panel", "data-game-id")
    ann.wait_for_function("document.querySelector('#board').dataset.turn !== undefined")
    x, o = (ann, bob) if my_turn(ann) else (bob, ann)

    play_cell(x, 0)
    o.wait_for_selector("#board .cell[data-cell='0']:text('X')")
    play_cell(o, 3)
    x.wait_for_selector("#board .cell[data-cell='3']:text('O')")
    play_cell(x, 1)
    o.wait_for_selector("#board .cell[data-cell='1']:text('X')")
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        (ROOT / "docs").mkdir(exist_ok=True)
        o.screenshot(path=str(ROOT / "docs" / "webclient.png"))

    # O reloads mid-game: the page logs in again from storage, finds the running game, reconnects.
    o.reload()
    o.wait_for_selector("#game-panel[data-state=active]")
    o.wait_for_selector("#board .cell[data-cell='1']:text('X')")
    # The opponent saw the drop or the return (which one depends on which the server handled first).
    x.wait_for_selector("#game-log li:has-text('is back'), #game-log li:has-text('lost the connection')")
    play_cell(o, 4)
    x.wait_for_selector("#board .cell[data-cell='4']:text('O')")
    play_cell(x, 2)

    x.wait_for_selector("#game-status:has-text('You won')")
    o.wait_for_selector("#game-status:has-text('You lost')")
    for page in (ann, bob):
        assert page.get_attribute("#game-panel", "data-state") == "finished"
        assert page.problems == [], page.problems


def test_seed_000_game_client_plays_a_game_in_the_browser(web, new_page):
    """Seed 000's ``GameClient`` (``POST /game/join/``, ``/ws/game/{id}/?token=``), unchanged, in a page
    of the platform: two of them queue, get the same game, get ready and play it to a win."""
    x_user, o_user = web.register(unique("seedx")), web.register(unique("seedo"))
    page = new_page("seed")
    page.goto(f"{web.http}/play/")  # any page of the platform's origin (its CSP applies)
    page.evaluate(f"(() => {{ {SEED_000_CLIENT.read_text()}\n window.GameClient = GameClient; }})()")
    result = page.evaluate(
        """async ({base, first, second}) => {
            const until = async (check, what, ms = 10000) => {
                const start = Date.now();
                while (!check()) {
                    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
                    await new Promise((resolve) => setTimeout(resolve, 25));
                }
            };
            const players = [first, second].map((user) => {
                const client = new GameClient(base, user.access);
                const frames = [];
                const seen = client.handleGameMessage.bind(client);
                client.handleGameMessage = (data) => { frames.push(data); seen(data); };
                return { user, client, frames };
            });
            const queued = await players[0].client.joinQueue();
            const matched = await players[1].client.joinQueue();
            if (matched.status !== "matched") throw new Error(`not matched: ${JSON.stringify([queued, matched])}`);
            for (const p of players) p.client.connectToGame(matched.game_id);
            await until(() => players.every((p) => p.client.socket.readyState === WebSocket.OPEN), "sockets");
            await until(() => players.every((p) => p.frames.some((f) => f.type === "game_state")), "game_state");
            for (const p of players) p.client.sendReady();
            const latest = (p) => [...p.frames].reverse().find((f) => f.type === "game_state");
            await until(() => players.every((p) => latest(p)?.state === "active"), "active");
            // Whoever moves first plays the top row; the other the middle row.
            const plans = new Map();
            const firstId = latest(players[0]).turn;
            for (const p of players) plans.set(p.user.id, p.user.id === firstId ? [0, 1, 2] : [3, 4]);
            let moves = 0;
            while (latest(players[0]).state === "active") {
                const state = latest(players[0]);
                const mover = players.find((p) => p.user.id === state.turn);
                mover.client.sendMove({ cell: plans.get(mover.user.id).shift() });
                moves += 1;
                await until(() => latest(players[0]).board.filter(Boolean).length === moves, `move ${moves}`);
            }
            // The other player's last frame may still be on its way.
            await until(() => players.every((p) => latest(p).state === "finished"), "finished for both");
            return { first: firstId, final: latest(players[0]), other: latest(players[1]), game_id: matched.game_id };
        }""",
        {"base": web.http, "first": x_user, "second": o_user},
    )
    final = result["final"]
    assert final["state"] == "finished"
    assert final["winner_id"] == result["first"]
    assert final["board"][:3] == ["X", "X", "X"]
    assert result["other"]["winner_id"] == result["first"]
    game = httpx.get(
        f"{web.http}/api/games/{result['game_id']}/",
        headers={"Authorization": f"Bearer {x_user['access']}"},
        timeout=10,
    ).json()
    assert game["state"] == "finished" and game["winner_id"] == result["first"]
    assert page.problems == [], page.problems


@pytest.mark.daphne_differs(DAPHNE_CLOSE_REPLY)
def test_sdk_refreshes_reconnects_with_tickets_and_reports_errors(web, new_page):
    """The browser SDK on its own: GamePlatformError objects, a 401 answered by one refresh and a retry,
    a dropped socket reconnected with a fresh one-time ticket (never a token in the URL),
    socket error frames as the same error objects, and bounded, jittered backoff."""
    user = web.register(unique("sdk"))
    page = new_page("sdk")
    page.goto(f"{web.http}/play/")
    out = page.evaluate(
        """async ({username, password}) => {
            const until = async (check, what, ms = 10000) => {
                const start = Date.now();
                while (!check()) {
                    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
                    await new Promise((resolve) => setTimeout(resolve, 25));
                }
            };
            const plain = (e) => ({ name: e.name, status: e.status, code: e.code, detail: e.detail, fields: e.fields });
            const sdk = await import("/static/webclient/gameplatform.js");
            const made = [];  // every connection the SDK makes, through its WebSocket option
            const WebSocket = class extends window.WebSocket {
                constructor(url) { super(url); made.push(this); }
            };
            const gp = new sdk.Client({ storage: sessionStorage, storageKey: "sdk-test", WebSocket });
            const out = {};
            await gp.login(username, "not-the-password").catch((e) => (out.badLogin = plain(e)));
            await gp.register({ username, email: "x@example.com", password: "a", password_confirm: "b" })
                .catch((e) => (out.invalid = plain(e)));
            await gp.login(username, password);
            const firstRefresh = gp.tokens.refresh;
            gp.useTokens({ ...gp.tokens, access: "not.a.token" });  // as if it had expired
            out.me = (await gp.get("/api/me/")).username;
            out.rotated = gp.tokens.refresh !== firstRefresh;
            out.stored = JSON.parse(sessionStorage.getItem("sdk-test")).refresh === gp.tokens.refresh;

            const socket = gp.socket("/ws/notifications/");
            const badges = [], errors = [], statuses = [socket.status];
            socket.on("badge", (frame) => badges.push(frame));
            socket.on("error", (error) => errors.push(plain(error)));
            socket.on("status", (status) => statuses.push(status));
            await until(() => badges.length === 1, "badge");
            made.at(-1).close(4000);  // the connection drops
            await until(() => badges.length === 2, "badge after reconnect");
            socket.send("no_such_frame");
            await until(() => errors.length === 1, "error frame");
            socket.close();
            Object.assign(out, { urls: made.map((ws) => ws.url), errors, statuses });
            out.delays = Array.from({ length: 12 }, (_, attempt) => sdk.backoffDelay(attempt, sdk.DEFAULT_RECONNECT));
            return out;
        }""",
        {"username": user["username"], "password": "pass-w0rd-long-enough"},
    )
    assert out["badLogin"]["name"] == "GamePlatformError" and out["badLogin"]["status"] == 401
    assert out["badLogin"]["code"] and out["badLogin"]["detail"]
    assert out["invalid"]["status"] == 400 and out["invalid"]["code"] == "invalid" and out["invalid"]["fields"]
    assert out["me"] == user["username"] and out["rotated"] and out["stored"]
    assert len(out["urls"]) == 2 and len(set(out["urls"])) == 2
    assert all("ticket=" in url and "token=" not in url for url in out["urls"])
    assert out["statuses"][:4] == ["connecting", "open", "reconnecting", "open"]
    assert out["errors"][0]["code"] == "unknown_type" and out["errors"][0]["status"] == 0
    assert all(0 < delay <= 15000 for delay in out["delays"]) and out["delays"][-1] >= 7500


def test_front_page_points_at_the_client_docs_and_admin(web):
    page = httpx.get(f"{web.http}/", timeout=10)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for link in ('href="/play/"', 'href="/api/docs/"', 'href="/api/asyncapi/"', 'href="/redoc/"', 'href="/admin/"'):
        assert link in page.text


@pytest.mark.parametrize("path", ["/static/webclient/gameplatform.js", "/static/webclient/app.js"])
def test_client_modules_are_served_with_debug_off(web, path):
    response = httpx.get(f"{web.http}{path}", timeout=10)
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]


# --- the mode API's games in the page: battleship (hidden fleets) and arena (real time) -----------

ROOM = "window.gameplatform.room"


def queue_for(page, mode: str) -> None:
    tab(page, "play")
    page.wait_for_selector(f"#queue-mode option[value={mode}]", state="attached")
    page.select_option("#queue-mode", mode)
    page.click("#queue-join")


def start_game(pages, mode: str) -> None:
    """Both queue for ``mode``, get the same game, get ready and see it start."""
    first, second = pages
    queue_for(first, mode)
    first.wait_for_selector("#queue-status:has-text('In the queue')")
    queue_for(second, mode)
    for page in pages:
        page.wait_for_selector("#game-panel:not([hidden]) #game-ready:visible")
        page.click("#game-ready")
    for page in pages:
        page.wait_for_selector(f"#game-panel[data-state=active][data-mode={mode}]")
    assert first.get_attribute("#game-panel", "data-game-id") == second.get_attribute("#game-panel", "data-game-id")


def login(page, base: str, username: str) -> None:
    """A demo user (the demo data's password)."""
    page.goto(f"{base}/play/")
    form = page.locator("#login-form")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill("testpass123")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(f"body[data-user='{username}']")
    page.wait_for_selector("#conn-status.live")


def test_a_lobby_owner_starts_a_game_picked_among_the_modes_that_fit_the_members(web, new_page):
    owner, ann = new_page("owner"), new_page("ann")
    login(owner, web.http, "premium_user_2")
    ann_name, lobby_name = unique("ann"), unique("Pick a game ")
    register(ann, web.http, ann_name)

    tab(owner, "lobbies")
    owner.click("summary:has-text('Create a lobby')")
    owner.fill("#lobby-create-form input[name=name]", lobby_name)
    owner.click("#lobby-create-form button[type=submit]")
    owner.wait_for_selector(f"#lobby-title:text('{lobby_name}')")
    # Alone, the owner can start nothing: every mode needs two players at least.
    owner.wait_for_selector("#lobby-mode option[value=tictactoe][disabled]", state="attached")
    assert owner.eval_on_selector_all("#lobby-mode option:not([disabled])", "options => options.length") == 0
    assert owner.is_disabled("#lobby-start")

    tab(ann, "lobbies")
    ann.locator("#lobby-list li", has_text=lobby_name).locator(".enter-lobby").click()
    ann.wait_for_selector("#lobby-room:not([hidden])")
    assert ann.is_hidden("#lobby-mode-label")  # only the owner picks
    owner.wait_for_selector("#lobby-mode option[value=tictactoe]:not([disabled])", state="attached")
    assert owner.input_value("#lobby-mode") == "relay"  # the default, as the API's
    owner.select_option("#lobby-mode", "tictactoe")
    owner.click("#lobby-start")
    for page in (owner, ann):
        page.wait_for_selector("#game-panel:not([hidden])[data-mode=tictactoe]")
    assert owner.get_attribute("#game-panel", "data-game-id") == ann.get_attribute("#game-panel", "data-game-id")
    owner.on("dialog", lambda dialog: dialog.accept())
    owner.click("#game-forfeit")  # the demo owner leaves no unfinished game behind
    owner.wait_for_selector("#game-panel[data-state=finished], #game-panel[data-state=abandoned]")


def cell(grid: str, x: int, y: int) -> str:
    return f"#{grid} .cell[data-x='{x}'][data-y='{y}']"


def ship_cells(ship: dict) -> list[tuple[int, int]]:
    step = (1, 0) if ship["horizontal"] else (0, 1)
    return [(ship["x"] + i * step[0], ship["y"] + i * step[1]) for i in range(ship["length"])]


def public(ship: dict) -> dict:
    return {key: ship[key] for key in ("x", "y", "length", "horizontal")}


def ships_in(value) -> list[dict]:
    """Every ship-like object (``{x, y, length, horizontal}``) anywhere inside a JSON value."""
    found = []
    if isinstance(value, dict):
        if {"x", "y", "length", "horizontal"} <= value.keys():
            found.append(public(value))
        for item in value.values():
            found += ships_in(item)
    elif isinstance(value, list):
        for item in value:
            found += ships_in(item)
    return found


def a_miss(fleet: list[dict], avoid=()) -> tuple[int, int]:
    taken = {c for ship in fleet for c in ship_cells(ship)} | set(avoid)
    return next((x, y) for y in range(10) for x in range(10) if (x, y) not in taken)


def test_two_players_play_battleship_in_the_browser_and_never_see_the_other_fleet(web, new_page):
    ann, bob = new_page("ann"), new_page("bob")
    for page, prefix in ((ann, "bsann"), (bob, "bsbob")):
        register(page, web.http, unique(prefix))
        page.on("dialog", lambda dialog: dialog.accept())
    # The queue offers what GET /api/game/modes/ lists, not a fixed list.
    modes = [m["name"] for m in httpx.get(f"{web.http}/api/game/modes/", timeout=10).json()["results"]]
    tab(ann, "play")
    ann.wait_for_selector("#queue-mode option[value=battleship]", state="attached")
    assert ann.eval_on_selector_all("#queue-mode option", "options => options.map((o) => o.value)") == modes
    start_game((ann, bob), "battleship")

    ids = {page: page.evaluate("window.gameplatform.me.id") for page in (ann, bob)}
    shooter, target = (ann, bob) if ann.evaluate(f"{ROOM}.turn") == ids[ann] else (bob, ann)
    assert shooter.evaluate(f"{ROOM}.turn") == ids[shooter]
    shooter.wait_for_selector("#game-status:has-text('Your turn')")
    shooter.wait_for_selector("#game-clock:visible:has-text('s left on your turn')")
    target.wait_for_selector('#game-status:has-text("Opponent\'s turn")')
    # My own fleet is drawn on my grid (17 cells of ships).
    assert shooter.locator("#bs-mine .cell.ship").count() == 17
    shooter_fleet = shooter.evaluate(f"{ROOM}.view.mine.ships")
    target_fleet = target.evaluate(f"{ROOM}.view.mine.ships")
    small = public(next(ship for ship in target_fleet if ship["length"] == 2))
    (x1, y1), (x2, y2) = ship_cells(small)

    # A hit: the shooter sees it on their grid, the target on their own fleet.
    shooter.click(cell("bs-theirs", x1, y1))
    shooter.wait_for_selector(cell("bs-theirs", x1, y1) + ".hit")
    target.wait_for_selector(cell("bs-mine", x1, y1) + ".ship.hit")
    target.wait_for_selector("#game-status:has-text('Your turn')")
    # Out of turn: the server's refusal rejects the move, and reaches on("error") with the frame's
    # ref too (the page shows it in words from there).
    refused = shooter.evaluate(
        f"""() => new Promise((resolve) => {{
            const room = {ROOM};
            const heard = [];
            const off = room.on("error", (error) => heard.push(error.ref));
            room.move({{ x: 9, y: 9 }}).catch((error) => {{
                off();
                resolve({{ ref: error.ref, code: error.code, heard: heard.includes(error.ref) }});
            }});
        }})"""
    )
    assert refused["code"] == "not_your_turn" and refused["ref"].startswith("player_move-") and refused["heard"]
    shooter.wait_for_selector("#banner.error:has-text('Not your turn.')")

    mx, my = a_miss(shooter_fleet)
    target.click(cell("bs-theirs", mx, my))
    shooter.wait_for_selector(cell("bs-mine", mx, my) + ".miss")
    target.wait_for_selector(cell("bs-theirs", mx, my) + ".miss")
    shooter.wait_for_selector("#game-status:has-text('Your turn')")
    # The same cell again: refused by the server, and the turn stays.
    shooter.evaluate(f"() => void {ROOM}.move({{x: {x1}, y: {y1}}})")
    shooter.wait_for_selector("#banner.error:has-text('Already fired there.')")
    assert shooter.is_disabled(cell("bs-theirs", x1, y1))

    # The second cell sinks the ship: both see it sunk.
    shooter.click(cell("bs-theirs", x2, y2))
    for x, y in ((x1, y1), (x2, y2)):
        shooter.wait_for_selector(cell("bs-theirs", x, y) + ".hit.sunk")
        target.wait_for_selector(cell("bs-mine", x, y) + ".ship.sunk")
    target.wait_for_selector("#game-log li:has-text('a ship of 2 sunk')")
    # The target reloads: the page reconnects and draws the game again from the full game_state.
    target.reload()
    target.wait_for_selector("#game-panel[data-state=active][data-mode=battleship]")
    for x, y in ((x1, y1), (x2, y2)):
        target.wait_for_selector(cell("bs-mine", x, y) + ".ship.sunk")
    target.wait_for_selector(cell("bs-theirs", mx, my) + ".miss")
    nx, ny = a_miss(shooter_fleet, avoid=[(mx, my)])
    target.wait_for_selector("#game-status:has-text('Your turn')")
    target.click(cell("bs-theirs", nx, ny))
    shooter.wait_for_selector(cell("bs-mine", nx, ny) + ".miss")
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        shooter.locator("#game-panel").screenshot(path=str(ROOT / "docs" / "webclient-battleship.png"))

    # Nothing of a fleet reaches the other player but the ships they sank: not in the page, not
    # in any frame the page received (the room keeps their text).
    for me, sunk_of_other in ((shooter, [small]), (target, [])):
        mine = me.evaluate(f"{ROOM}.view.mine.ships")
        own = [public(ship) for ship in mine]
        frames = [json.loads(text) for text in me.evaluate(f"{ROOM}.frames")]
        assert any(f["type"] == "state_patch" for f in frames)
        seen = ships_in(frames)
        assert [s for s in seen if s not in own and s not in sunk_of_other] == [], (own, sunk_of_other)
        shots = {(s["x"], s["y"]) for s in me.evaluate(f"{ROOM}.view.theirs.shots")}
        sunk_cells = {c for ship in sunk_of_other for c in ship_cells(ship)}
        marked = me.eval_on_selector_all(
            "#bs-theirs .cell:not([class='cell'])",
            "cells => cells.map((c) => [Number(c.dataset.x), Number(c.dataset.y)])",
        )
        assert {tuple(c) for c in marked} == shots
        assert me.locator("#bs-theirs .cell.ship").count() == 0
        assert sunk_cells <= shots
        assert me.evaluate(f"{ROOM}.view.theirs.sunk") == sunk_of_other

    # The shooter gives up: the other wins by forfeit.
    shooter.wait_for_selector("#game-status:has-text('Your turn')")
    shooter.click("#game-forfeit")
    target.wait_for_selector("#game-status:has-text('You won by forfeit')")
    shooter.wait_for_selector("#game-status:has-text('You lost')")
    for page in (ann, bob):
        assert page.problems == [], page.problems


def test_two_players_move_in_the_arena_and_the_page_interpolates_between_patches(web, new_page):
    ann, bob = new_page("ann"), new_page("bob")
    for page, prefix in ((ann, "arann"), (bob, "arbob")):
        register(page, web.http, unique(prefix))
        page.on("dialog", lambda dialog: dialog.accept())
    start_game((ann, bob), "arena")
    # The page's game sockets speak compact MessagePack (smaller frames); the room reads the same objects.
    assert [page.evaluate(f"{ROOM}.room.socket.protocol") for page in (ann, bob)] == ["gameplatform.compact"] * 2
    ann_id = str(ann.evaluate("window.gameplatform.me.id"))
    ann.wait_for_selector("#arena-canvas[data-me-x]")
    ann.wait_for_selector(f"#arena-scores li[data-user-id='{ann_id}']")
    ann.wait_for_selector("#arena-time:text-matches('[0-9]+ s')")
    start = ann.evaluate(f"{ROOM}.view.players[{ann_id}]")
    assert bob.evaluate(f"{ROOM}.view.players[{ann_id}]") == start
    toward = "ArrowRight" if start["x"] < 50 else "ArrowLeft"

    # Ann holds an arrow key for a second: the page sends one input, the server moves her, and the
    # page draws her between the positions of the patches, not only at them.
    ann.evaluate(
        """() => {
            const canvas = document.querySelector("#arena-canvas");
            window.drawnXs = [];
            const sample = () => {
                window.drawnXs.push(Number(canvas.dataset.meX));
                if (window.drawnXs.length < 600) requestAnimationFrame(sample);
            };
            requestAnimationFrame(sample);
        }"""
    )
    sent = ann.evaluate(f"{ROOM}.frames.length")
    ann.keyboard.down(toward)
    ann.wait_for_timeout(1000)
    ann.keyboard.up(toward)
    ann.wait_for_timeout(300)
    moved = ann.evaluate(f"{ROOM}.view.players[{ann_id}]")
    assert abs(moved["x"] - start["x"]) > 5 and moved["y"] == start["y"]
    # Bob's page follows Ann's dot.
    bob.wait_for_function(f"{ROOM}.view.players[{ann_id}].x === {moved['x']}")
    patched = set()
    for text in ann.evaluate(f"{ROOM}.frames.slice({sent})"):
        frame = json.loads(text)
        for op in frame.get("ops", []) if frame["type"] == "state_patch" else []:
            if op["path"] == f"/players/{ann_id}/x":
                patched.add(op["value"])
            elif op["path"] in ("", "/players", f"/players/{ann_id}"):
                patched.add((op["value"].get("players", {}).get(ann_id) or op["value"]).get("x"))
    drawn = [x for x in ann.evaluate("window.drawnXs") if x == x]  # NaN: before the first draw
    assert len(patched) >= 5
    between = {round(x, 3) for x in drawn} - {round(x, 3) for x in patched if x is not None} - {start["x"]}
    assert len(between) >= 3, (sorted(patched), drawn)
    assert abs(drawn[-1] - moved["x"]) < 0.01  # at rest, drawn where the server says
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        bob.locator("#game-panel").screenshot(path=str(ROOT / "docs" / "webclient-arena.png"))

    # Bob leaves: Ann wins by forfeit.
    bob.click("#game-forfeit")
    ann.wait_for_selector("#game-status:has-text('You won by forfeit')")
    bob.wait_for_selector("#game-status:has-text('You lost')")
    for page in (ann, bob):
        assert page.problems == [], page.problems


def random_json(rng: random.Random, depth: int = 0):
    kind = rng.randrange(7 if depth < 3 else 4)
    if kind == 0:
        return rng.randint(-3, 3)
    if kind == 1:
        return rng.choice(["a", "b", "~/x", ""])
    if kind == 2:
        return rng.choice([True, False, None, 0.5])
    if kind == 3:
        return rng.randint(0, 2)
    if kind in (4, 5):
        return {rng.choice(["a", "b", "c/d", "e~f", "0"]): random_json(rng, depth + 1) for _ in range(rng.randrange(4))}
    return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]


def test_sdk_apply_patch_gives_what_the_server_diffed(web, new_page):
    """``applyPatch`` of the browser SDK, fed the server's own ``diff`` of random documents, gives
    the new document (escaped keys, list ends, whole-document replaces); bad patches throw."""
    rng = random.Random(23)
    cases = []
    for _ in range(300):
        old, new = random_json(rng), random_json(rng)
        if rng.random() < 0.5:  # a small change inside the old document
            new = {"doc": json.loads(json.dumps(old)), "more": random_json(rng)}
            old = {"doc": old, "more": [old]}
        cases.append({"old": old, "ops": diff(old, new), "new": new})
    cases.append({"old": {"a": 1}, "ops": [{"op": "replace", "path": "", "value": [1, 2]}], "new": [1, 2]})
    page = new_page("patch")
    page.goto(f"{web.http}/play/")
    out = page.evaluate(
        """async (cases) => {
            const { applyPatch } = await import("/static/webclient/gameplatform.js");
            const results = cases.map(({ old, ops }) => {
                const before = JSON.stringify(old);
                const got = applyPatch(old, ops);
                return { got, untouched: JSON.stringify(old) === before };
            });
            const bad = [
                [{ a: 1 }, [{ op: "replace", path: "/b", value: 1 }]],
                [[1], [{ op: "remove", path: "/1" }]],
                [{ a: 1 }, [{ op: "move", path: "/a", from: "/b" }]],
                [{ a: 1 }, [{ op: "add", path: "/a/b/c", value: 1 }]],
                [{ a: 1 }, [{ op: "remove", path: "" }]],
            ].map(([doc, ops]) => { try { applyPatch(doc, ops); return null; } catch (e) { return e.message; } });
            return { results, bad };
        }""",
        cases,
    )
    for case, result in zip(cases, out["results"], strict=True):
        assert result["got"] == case["new"], case
        assert result["untouched"]
    assert all(out["bad"]), out["bad"]


def test_a_guest_plays_links_a_password_and_logs_in_with_it_as_the_same_user(web, new_page):
    page = new_page("guest")
    page.goto(f"{web.http}/play/")
    page.click("#guest-login")
    page.wait_for_selector("body[data-user^='guest-']")
    page.wait_for_selector("#conn-status.live")
    assert "guest" in page.text_content("#whoami")
    guest_id = page.evaluate("window.gameplatform.me.id")
    device = page.evaluate("localStorage.getItem('gameplatform.device')")
    assert len(device) >= 16

    # A guest plays like anyone: the queue takes it.
    tab(page, "play")
    page.click("#queue-join")
    page.wait_for_selector("#queue-status:has-text('In the queue')")
    # Out of it again at once: the session's server is shared, and a player left waiting there is
    # matched with another test's (a daphne CI run once matched this guest while it linked below).
    page.click("#queue-leave")
    page.wait_for_selector("#queue-status:has-text('Not queued')")

    tab(page, "profile")
    form = page.locator("#link-form")
    form.wait_for(state="visible")
    name = unique("linked")
    form.locator("input[name=username]").fill("user_1")  # a demo account's name: taken
    form.locator("input[name=email]").fill(f"{name}@example.com")
    form.locator("input[name=password]").fill("a-long-pass-phrase-42")
    form.locator("input[name=password_confirm]").fill("a-long-pass-phrase-42")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#banner.error:has-text('A user with that username already exists.')")
    assert page.problems == [
        "console: Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    page.problems.clear()  # the browser logs the refused request; nothing else went wrong
    form.locator("input[name=username]").fill(name)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(f"#banner.info:has-text('log in as {name}')")
    page.wait_for_selector("#link-form", state="hidden")
    assert "guest" not in page.text_content("#whoami")

    # Logged out, the password logs in to the same user.
    page.click("#logout")
    page.wait_for_selector("#login-form:visible")
    page.fill("#login-form input[name=username]", name)
    page.fill("#login-form input[name=password]", "a-long-pass-phrase-42")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector(f"body[data-user='{name}']")
    assert page.evaluate("window.gameplatform.me.id") == guest_id
    tab(page, "profile")
    assert page.locator("#link-form").is_hidden()

    # The device kept its id: "Play as guest" comes back to the same, now full, account.
    page.click("#logout")
    page.wait_for_selector("#guest-login:visible")
    page.click("#guest-login")
    page.wait_for_selector(f"body[data-user='{name}']")
    assert page.evaluate("window.gameplatform.me.id") == guest_id
    tab(page, "play")
    page.wait_for_selector("#queue-status:has-text('Not queued')")  # it left the queue above
    assert page.problems == [], page.problems


def test_a_player_scores_on_a_leaderboard_and_joins_a_tournament_in_the_browser(web, new_page):
    page = new_page("ranker")
    name = unique("ranker")
    register(page, web.http, name)

    # Leaderboards: the demo board's top, my score ranked among them, the window around me.
    tab(page, "leaderboards")
    page.click("#board-list li[data-board='high-scores'] .open-board")
    page.wait_for_selector("#board-rows tr[data-rank='1'][data-username='premium_user_1']")
    assert "highest first, your best score counts" in page.text_content("#board-about")
    page.fill("#board-score-form input[name=score]", "1500")
    page.click("#board-score-form button[type=submit]")
    page.wait_for_selector("#banner:has-text('Your record: 1500, rank 2')")
    page.wait_for_selector(f"#board-view[data-view=around] #board-rows tr.me[data-rank='2'][data-username='{name}']")
    assert page.locator("#board-rows tr").count() >= 3

    # Tournaments: the demo cup, joined once (its fee paid), then my score in its standings.
    tab(page, "tournaments")
    cup = page.locator("#tournament-list li[data-tournament='weekly-cup']")
    cup.locator(".join-tournament").click()
    page.wait_for_selector("#banner:has-text('You joined Weekly cup')")
    page.wait_for_selector("#tournament-list li[data-tournament='weekly-cup'][data-joined='1']")
    rewards = "#tournament-view[data-tournament='weekly-cup'] #tournament-rewards"
    page.wait_for_selector(f"{rewards} li:has-text('#1: 200 gold')")
    page.fill("#tournament-score-form input[name=score]", "77")
    page.click("#tournament-score-form button[type=submit]")
    page.wait_for_selector(f"#tournament-rows tr.me[data-username='{name}']")
    assert "(" not in page.text_content("#tournament-about")  # words, not codes
    assert page.problems == []


# --- the server's codes in words (words.js) ---------------------------------------------------------

# Why a fight in the world ends (world/combat/services.py's ``reason=`` of ``combat_end``).
COMBAT_END_REASONS = ["victory", "defeated", "target_defeated", "target_gone", "moved", "disconnected"]


def test_every_code_the_server_sends_reads_as_words_in_the_page(web, new_page):
    """Game outcomes, notification kinds, fight endings, loot and errors: what the page prints for
    each code the server can send is a sentence, never the code itself."""
    from game.models import Game

    page = new_page("words")
    page.goto(f"{web.http}/play/")
    # The kinds notifications/models.py lists.
    kinds = ["friend_request", "friend_accepted", "invite_received", "dm_received", "tournament_ended"]
    out = page.evaluate(
        """async ({reasons, kinds, combat}) => {
            const words = await import("/static/webclient/words.js");
            return {
                won: reasons.map((r) => [r, words.outcome(r, { mine: true, winner: "You" })]),
                lost: reasons.map((r) => [r, words.outcome(r, { mine: false, winner: "ann" })]),
                short: reasons.map((r) => [r, words.outcomeShort(r, "ann")]),
                kinds: kinds.map((k) => [k, words.notificationTitle(k)]),
                combat: combat.map((c) => [c, words.combatEnd(c)]),
                loot: words.loot({ gold: 10, xp: 10 }),
                hits: [words.hits("You", "Ash Wolf"), words.hits("Ash Wolf", "You"), words.hits("Aria", "Borin")],
                error: words.errorText({ code: "not_your_turn", detail: "not_your_turn" }),
                unknown: words.errorText({ code: "some_new_code", detail: "some_new_code" }),
                server: words.errorText({ code: "lobby_full", detail: "This lobby is full." }),
                closed: words.closeText(4409),
                lobby: words.lobbyStatus("in_game"),
            };
        }""",
        {"reasons": list(Game.Reason.values), "kinds": kinds, "combat": COMBAT_END_REASONS},
    )
    assert dict(out["won"])["win"] == "You won!" and dict(out["lost"])["win"] == "You lost."
    assert dict(out["won"])["forfeit"] == "You won by forfeit."
    assert dict(out["short"])["win"] == "ann won"
    assert dict(out["kinds"])["tournament_ended"] == "Tournament over"
    for code, text in out["won"] + out["lost"] + out["short"] + out["kinds"] + out["combat"]:
        assert "_" not in text and f"({code})" not in text, (code, text)
        assert text == "" or text[0].isalpha(), (code, text)
    assert out["loot"] == "10 gold and 10 XP"
    assert out["hits"] == ["You hit Ash Wolf", "Ash Wolf hits you", "Aria hits Borin"]
    assert out["error"] == "Not your turn."
    assert out["unknown"] == "Some new code."
    assert out["server"] == "This lobby is full."
    assert out["closed"] == "This was opened in another window."
    assert out["lobby"] == "in a game"
    assert page.problems == [], page.problems


def listed_and_room_counts(page, lobby_id: str) -> tuple[str, str]:
    listed = page.text_content(f"#lobby-list li[data-lobby-id='{lobby_id}'] .count")
    room = page.text_content("#lobby-meta").split(" members")[0].split(" · ")[-1]
    return listed, room


def test_the_lobby_list_and_the_room_say_the_same_member_count_as_people_join(web, new_page):
    ann = new_page("ann")
    register(ann, web.http, unique("cntann"))
    tab(ann, "lobbies")
    ann.locator("#lobby-list li", has_text=LOUNGE).locator(".enter-lobby").click()
    ann.wait_for_selector("#lobby-room:not([hidden])")
    lobby_id = ann.get_attribute("#lobby-room", "data-lobby-id")
    ann.wait_for_function(
        f"""() => {{
            const listed = document.querySelector("#lobby-list li[data-lobby-id='{lobby_id}'] .count");
            const meta = document.querySelector("#lobby-meta").textContent;
            return listed && meta.includes(listed.textContent + " members");
        }}"""
    )
    before = listed_and_room_counts(ann, lobby_id)
    assert before[0] == before[1]

    # Bob joins over REST, with no socket open: Ann's room and her list both count him.
    bob = web.register(unique("cntbob"))
    joined = httpx.post(
        f"{web.http}/api/lobbies/{lobby_id}/join/", headers={"Authorization": f"Bearer {bob['access']}"}, timeout=10
    )
    assert joined.status_code in (200, 201), joined.text
    members = int(before[0].split("/")[0]) + 1
    ann.wait_for_selector(f"#lobby-list li[data-lobby-id='{lobby_id}'] .count:text-matches('^{members}/')")
    ann.wait_for_selector(f"#lobby-meta:text-matches(' {members}/[0-9]+ members')")
    listed, room = listed_and_room_counts(ann, lobby_id)
    assert listed == room
    httpx.post(
        f"{web.http}/api/lobbies/{lobby_id}/leave/", headers={"Authorization": f"Bearer {bob['access']}"}, timeout=10
    )
    ann.click("#lobby-leave")
    assert ann.problems == [], ann.problems


def auth(user: dict) -> dict:
    return {"Authorization": f"Bearer {user['access']}"}


def befriend(base: str, asker: dict, answerer: dict) -> None:
    request = httpx.post(
        f"{base}/api/friends/requests/", json={"user_id": answerer["id"]}, headers=auth(asker), timeout=10
    )
    assert request.status_code == 201, request.text
    accepted = httpx.post(
        f"{base}/api/friends/requests/{request.json()['id']}/accept/", headers=auth(answerer), timeout=10
    )
    assert accepted.status_code == 200, accepted.text


def test_a_friend_request_notice_goes_once_the_request_is_accepted(web, new_page):
    bob = new_page("bob")
    bob_name = unique("frbob")
    register(bob, web.http, bob_name)
    bob_id = bob.evaluate("window.gameplatform.me.id")
    tab(bob, "friends")
    ann = web.register(unique("frann"))
    sent = httpx.post(f"{web.http}/api/friends/requests/", json={"user_id": bob_id}, headers=auth(ann), timeout=10)
    assert sent.status_code == 201, sent.text
    bob.wait_for_selector(f"#banner.info:has-text('Friend request from {ann['username']}')")
    bob.click(f"#friend-requests li.incoming[data-from='{ann['username']}'] .accept-request")
    bob.wait_for_selector(f"#friend-list li[data-username='{ann['username']}']")
    # Well before the notice's own 5 s: it went because the request was answered.
    bob.wait_for_selector("#banner", state="hidden", timeout=2000)
    assert bob.is_hidden("#badge-friends")
    assert bob.problems == [], bob.problems


def test_a_direct_message_names_its_sender_and_is_counted_on_the_inbox_tab(web, new_page):
    bob = new_page("bob")
    bob_name = unique("dmbob")
    register(bob, web.http, bob_name)
    bob_user = {
        "id": bob.evaluate("window.gameplatform.me.id"),
        "access": bob.evaluate("window.gameplatform.gp.tokens.access"),
    }
    ann = web.register(unique("dmann"))
    befriend(web.http, ann, bob_user)
    sent = httpx.post(
        f"{web.http}/api/dm/{bob_user['id']}/messages/", json={"content": "over here"}, headers=auth(ann), timeout=10
    )
    assert sent.status_code == 201, sent.text
    bob.wait_for_selector(f"#banner:has-text('New message from {ann['username']}')")
    # The unread conversation is counted where it is listed: Inbox, not Friends.
    bob.wait_for_selector("#badge-inbox:not([hidden]):text('1')")
    assert bob.is_hidden("#badge-friends")
    tab(bob, "inbox")
    bob.wait_for_selector(f"#conversation-list li[data-user-id='{ann['id']}'] .badge:text('1')")
    # The stored notification says who wrote, in words.
    bob.wait_for_selector(f"#notification-list li:has-text('New message'):has-text('from {ann['username']}')")
    assert "dm received" not in bob.text_content("#notification-list")
    assert bob.problems == [], bob.problems


def test_a_fight_in_the_world_reads_as_words_and_the_character_list_follows_its_health(web, new_page):
    page = new_page("fighter")
    register(page, web.http, unique("fight"))
    tab(page, "world")
    page.wait_for_selector("#faction-select option:has-text('Crimson Covenant')", state="attached")
    page.fill("#character-create-form input[name=name]", unique("Kel")[:20])
    page.select_option("#faction-select", label="Crimson Covenant")
    page.click("#character-create-form button[type=submit]")
    page.wait_for_selector("#character-list li[data-character-id]")
    if page.locator("#character-list li button:has-text('Select')").count():
        page.click("#character-list li button:has-text('Select')")
    page.wait_for_selector("#character-list li.selected")
    page.click("#world-enter")
    page.wait_for_selector("#world-location:has-text('at Emberhold')")
    page.click("#world-map li:has-text('Ashen Road') button:has-text('Travel')")
    page.wait_for_selector("#world-location:has-text('at Ashen Road')")
    page.click("#world-enemies li:has-text('Ash Wolf lv 1') button:has-text('Fight')")
    page.wait_for_selector("#world-enemies li:has-text('Ash Wolf lv 1') button:has-text('Attack')")
    for _ in range(20):
        if page.locator("#world-log li:has-text('The fight ends')").count():
            break
        attack = page.locator("#world-enemies li:has-text('Ash Wolf lv 1') button:has-text('Attack')")
        if attack.count():
            attack.first.click()
        page.wait_for_timeout(1100)  # the attack cooldown
    page.wait_for_selector("#world-log li:has-text('The fight ends')")
    log = page.text_content("#world-log")
    assert "You hit Ash Wolf" in log and "Ash Wolf hits you" in log
    assert "You hits" not in log and "{" not in log
    if "You win" in log:
        assert "with 10 gold and 10 XP" in log or "with 10 XP and 10 gold" in log

    # The character list beside the world says the health the world says.
    world_hp = page.text_content("#world-location").split(", ")[-1].split(" hp")[0]
    assert world_hp != "100/100"
    page.wait_for_selector(f"#character-list li.selected:has-text('{world_hp} hp')")
    assert page.problems == [], page.problems


def test_an_inline_script_blocked_by_the_csp_says_how_to_serve_it_instead(web, new_page):
    """Seed 000's client pasted into the page as an inline script: the browser refuses it (the
    site's CSP) and the page says why and what to do."""
    page = new_page("inline")
    warnings = []
    page.on("console", lambda msg: msg.type == "warning" and warnings.append(msg.text))
    page.goto(f"{web.http}/play/")
    page.wait_for_selector("#auth-view:not([hidden])")
    page.evaluate(
        """(source) => {
            const script = document.createElement("script");
            script.textContent = source + "\\nwindow.pasted = true;";
            document.body.append(script);
        }""",
        SEED_000_CLIENT.read_text(),
    )
    page.wait_for_selector("#banner:has-text('Content-Security-Policy runs scripts from files only')")
    assert page.evaluate("window.pasted === undefined")  # the CSP held
    assert any("Save the script as a .js file" in text for text in warnings), warnings


def test_a_closed_group_takes_a_request_then_its_members_chat_and_the_leader_acts_on_them(web, new_page):
    leader, ann = new_page("leader"), new_page("ann")
    leader_name, ann_name, group_name = unique("lead"), unique("ann"), unique("Clan ")
    register(leader, web.http, leader_name)
    register(ann, web.http, ann_name)

    tab(leader, "groups")
    leader.click("summary:has-text('Create a group')")
    leader.fill("#group-create-form input[name=name]", group_name)
    leader.uncheck("#group-create-form input[name=open]")
    leader.click("#group-create-form button[type=submit]")
    leader.wait_for_selector(f"#group-title:text('{group_name}')")
    leader.wait_for_selector(f"#group-members li[data-role=superadmin]:has-text('{leader_name}')")

    tab(ann, "groups")
    ann.fill("#group-search-form input[name=search]", group_name.upper())
    ann.click("#group-search-form button[type=submit]")
    ann.locator("#group-list li", has_text=group_name).locator(".join-group:text('Ask to join')").click()
    ann.wait_for_selector("#banner.info:has-text('You asked to join')")

    leader.locator("#group-mine li", has_text=group_name).locator("button:text('Open')").click()
    leader.locator("#group-requests li", has_text=ann_name).locator("button:text('Accept')").click()
    leader.wait_for_selector(f"#group-members li:has-text('{ann_name}')")

    tab(ann, "lobbies")
    tab(ann, "groups")  # the list again: now a member
    ann.locator("#group-mine li", has_text=group_name).locator("button:text('Open')").click()
    ann.wait_for_selector(f"#group-title:text('{group_name}')")
    leader.wait_for_selector(f"#group-members li[data-online='1']:has-text('{ann_name}')")
    ann.fill("#group-chat-input", "hello clan")
    ann.press("#group-chat-input", "Enter")
    leader.wait_for_selector("#group-messages li:has-text('hello clan')")
    ann.wait_for_selector("#group-messages li:has-text('hello clan')")
    assert ann.is_hidden("#group-members button:text('Kick')")  # a member acts on nobody

    leader.locator("#group-members li", has_text=ann_name).locator("button:text('Make admin')").click()
    ann.wait_for_selector(f"#group-members li[data-role=admin]:has-text('{ann_name}')")
    leader.locator("#group-members li", has_text=ann_name).locator("button:text('Kick')").click()
    ann.wait_for_selector("#banner.info:has-text('no longer a member of this group')")
    ann.wait_for_selector("#group-room[hidden]", state="attached")


# --- the SDK's meta-game methods, each called in the page against the live server -------------------


def make_admin(web, username: str, password: str) -> None:
    """An admin as an operator makes one: ``manage.py createsuperuser`` on the server's database."""
    done = subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--noinput"],
        cwd=ROOT,
        env={
            **web.env,
            "DJANGO_SUPERUSER_USERNAME": username,
            "DJANGO_SUPERUSER_PASSWORD": password,
            "DJANGO_SUPERUSER_EMAIL": f"{username}@example.com",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


SDK_META_GAME = """async ({admin, password, names, device}) => {
    const sdk = await import("/static/webclient/gameplatform.js");
    const client = (key) => new sdk.Client({ storage: sessionStorage, storageKey: `meta-${key}` });
    const refused = (promise) => promise.then(() => null, (e) => ({ name: e.name, status: e.status, code: e.code }));
    const until = async (check, what, ms = 10000) => {
        const start = Date.now();
        while (!check()) {
            if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
            await new Promise((resolve) => setTimeout(resolve, 25));
        }
    };
    const people = {};
    for (const name of ["ann", "bob", "cat"]) {
        people[name] = client(name);
        const { user } = await people[name].register({
            username: names[name], email: `${names[name]}@example.com`, password, password_confirm: password,
        });
        people[name].id = user.id;
    }
    const { ann, bob, cat } = people;
    const boss = client("boss");
    await boss.login(admin, password);
    const out = {};

    // Guests: the same device, the same guest; linked once to a full account.
    const guest = client("guest");
    const first = await guest.deviceLogin(device);
    const again = await guest.deviceLogin(device);
    const linked = await guest.linkAccount({ username: names.guest, email: `${names.guest}@example.com`, password });
    out.guest = {
        created: [first.created, again.created], sameId: first.user.id === again.user.id, wasGuest: first.user.is_guest,
        linked: [linked.user.id === first.user.id, linked.user.is_guest, linked.user.username],
        relink: await refused(guest.linkAccount({ username: names.guest + "x", email: "x@example.com", password })),
    };

    // Groups: a closed group, a request accepted and one declined, roles, chat, kick, ban, leave.
    const group = await ann.createGroup({ name: names.group, description: "sdk", open: false, maxMembers: 5 });
    out.created = { name: group.name, open: group.open, max: group.max_members, count: group.member_count };
    out.listed = (await ann.listGroups({ search: names.group.toUpperCase() })).map((g) => g.id === group.id);
    out.mine = (await ann.myGroups()).filter((g) => g.id === group.id).map((g) => g.role);
    out.detail = (await bob.getGroup(group.id)).name;
    out.asked = [(await bob.joinGroup(group.id)).status, (await cat.joinGroup(group.id)).status];
    out.requests = (await ann.groupRequests(group.id)).map((r) => r.user.username).sort();
    out.accepted = (await ann.acceptGroupRequest(group.id, bob.id)).role;
    out.declined = (await ann.declineGroupRequest(group.id, cat.id)).status;
    out.requestsAfter = (await ann.groupRequests(group.id)).length;
    out.members = (await ann.groupMembers(group.id)).map((m) => [m.user.username, m.role]);
    out.promoted = (await ann.groupAction(group.id, "promote", bob.id)).role;
    out.demoted = (await ann.groupAction(group.id, "demote", bob.id)).role;
    out.memberActs = await refused(bob.groupAction(group.id, "kick", ann.id));

    const socket = bob.groupSocket(group.id);
    const frames = [];
    socket.on("*", (frame) => frames.push(frame));
    const closes = [];
    socket.on("close", (event) => closes.push(event));
    await until(() => frames.some((f) => f.type === "group_state"), "group_state");
    const posted = await ann.postGroupMessage(group.id, "hello from the sdk");
    await until(() => frames.some((f) => f.type === "chat_message"), "chat_message");
    const chat = frames.filter((f) => f.type === "chat_message");
    out.chat = chat.map((f) => [f.message.id === posted.id, f.message.content]);
    out.history = (await bob.groupHistory(group.id, { pageSize: 10 })).results.map((m) => m.content);
    out.kicked = (await ann.groupAction(group.id, "kick", bob.id)).status;
    await until(() => closes.some((c) => c.final), "the kicked member's socket closing");
    out.kickedClose = closes.filter((c) => c.final).map((c) => c.code);
    out.banned = (await ann.groupAction(group.id, "ban", cat.id)).status;
    out.bannedJoins = await refused(cat.joinGroup(group.id));
    out.unknownAction = await refused(ann.groupAction(group.id, "explode", bob.id));
    const club = await cat.createGroup({ name: names.group + " open" });
    out.openJoin = (await bob.joinGroup(club.id)).status;
    out.left = (await bob.leaveGroup(club.id)).status;
    out.clubMembers = (await cat.groupMembers(club.id)).length;

    // Leaderboards: an admin's board; records after its operator; the top, around me, the archive.
    const board = names.board;
    out.boardByPlayer = await refused(ann.createLeaderboard(board));
    const made = await boss.createLeaderboard(board, { operator: "incr", sort: "desc" });
    out.board = [made.id, made.operator, made.sort, made.reset];
    out.boards = (await ann.listLeaderboards()).some((b) => b.id === board);
    out.boardDetail = (await ann.getLeaderboard(board)).operator;
    await ann.writeRecord(board, 5, { via: "sdk" });
    const mine = await ann.writeRecord(board, 7);
    const bobs = await bob.writeRecord(board, 20);
    out.records = [[mine.score, mine.rank], [bobs.score, bobs.rank]];
    out.top = (await cat.leaderboardRecords(board)).map((r) => [r.rank, r.user.username, r.score]);
    out.topOne = (await cat.leaderboardRecords(board, { limit: 1 })).map((r) => r.user.username);
    out.around = (await ann.leaderboardRecords(board, { aroundMe: true, limit: 1 })).map((r) => r.user.username);
    out.previous = await ann.leaderboardRecords(board, { period: "previous" });

    // Tournaments: made by an admin, joined once (the fee paid once), 402 when too poor, standings.
    const now = Date.now();
    const span = { start: new Date(now - 60000).toISOString(), end: new Date(now + 3600000).toISOString() };
    const rewards = [{ rank_from: 1, rank_to: 1, gold: 50 }];
    const cup = names.cup;
    const rich = `${names.cup}-rich`;
    out.cupByPlayer = await refused(ann.createTournament(cup, { ...span }));
    const madeCup = await boss.createTournament(cup, { ...span, title: "SDK cup", entry_fee: 5, rewards });
    await boss.createTournament(rich, { ...span, entry_fee: 1000000 });
    out.cup = [madeCup.id, madeCup.title, madeCup.status, madeCup.entry_fee];
    out.tournaments = (await ann.listTournaments()).filter((t) => t.id === cup).map((t) => t.joined);
    const joined = await ann.joinTournament(cup);
    const joinedAgain = await ann.joinTournament(cup);
    out.joined = [joined.joined, joined.entry_count, joinedAgain.entry_count];
    out.cupDetail = [(await ann.getTournament(cup)).joined, (await bob.getTournament(cup)).joined];
    out.tooPoor = await refused(ann.joinTournament(rich));
    await ann.writeRecord(cup, 33);
    out.standings = (await bob.leaderboardRecords(cup)).map((r) => [r.user.username, r.score]);

    // Cloud storage: versions, If-Match / If-None-Match, public reads, listing, deleting.
    const saved = await ann.storagePut("saves", "slot1", { level: 3 }, { read: "public" });
    const kept = await ann.storagePut("saves", "slot2", { level: 1 });
    out.saved = [saved.version, saved.read, kept.read];
    out.staleWrite = await refused(ann.storagePut("saves", "slot1", { level: 4 }, { version: 7 }));
    out.createOnly = await refused(ann.storagePut("saves", "slot1", { level: 4 }, { createOnly: true }));
    const updated = await ann.storagePut("saves", "slot1", { level: 4 }, { read: "public", version: saved.version });
    out.updated = [updated.version, updated.value.level];
    out.read = (await ann.storageGet("saves", "slot1")).value;
    out.mineListed = (await ann.storageList("saves")).map((o) => o.key);
    out.theirsListed = (await bob.storageList("saves", { userId: ann.id })).map((o) => o.key);
    out.theirs = (await bob.storageGet("saves", "slot1", { userId: ann.id })).value;
    out.theirsPrivate = await refused(bob.storageGet("saves", "slot2", { userId: ann.id }));
    out.staleDelete = await refused(ann.storageDelete("saves", "slot1", { version: 1 }));
    out.deleted = await ann.storageDelete("saves", "slot1", { version: updated.version });
    out.gone = await refused(ann.storageGet("saves", "slot1"));
    out.deletedAnyVersion = await ann.storageDelete("saves", "slot2");
    socket.close();
    return out;
}"""


def test_sdk_meta_game_methods_answer_from_the_live_server(web, new_page):
    """Every named method of the browser SDK for guests, groups, leaderboards, tournaments and
    cloud storage, called in a page against the live server, returns what the contract says."""
    admin, password = unique("boss"), "a-long-pass-phrase-42"
    make_admin(web, admin, password)
    names = {key: unique(key) for key in ("ann", "bob", "cat", "guest")}
    names |= {"group": unique("Sdk clan "), "board": unique("sdk-board-"), "cup": unique("sdk-cup-")}
    page = new_page("sdk-meta")
    page.goto(f"{web.http}/play/")
    device = f"sdk-device-{unique('d')}-0123456789"
    out = page.evaluate(SDK_META_GAME, {"admin": admin, "password": password, "names": names, "device": device})

    assert out["guest"] == {
        "created": [True, False],
        "sameId": True,
        "wasGuest": True,
        "linked": [True, False, names["guest"]],
        "relink": {"name": "GamePlatformError", "status": 409, "code": "already_linked"},
    }

    assert out["created"] == {"name": names["group"], "open": False, "max": 5, "count": 1}
    assert out["listed"] == [True] and out["mine"] == ["superadmin"] and out["detail"] == names["group"]
    assert out["asked"] == ["requested", "requested"]
    assert out["requests"] == sorted([names["bob"], names["cat"]])
    assert (out["accepted"], out["declined"], out["requestsAfter"]) == ("member", "declined", 0)
    assert out["members"] == [[names["ann"], "superadmin"], [names["bob"], "member"]]
    assert (out["promoted"], out["demoted"]) == ("admin", "member")
    assert out["memberActs"]["status"] == 403
    assert out["chat"] == [[True, "hello from the sdk"]] and out["history"] == ["hello from the sdk"]
    assert out["kicked"] == "kicked" and out["kickedClose"] == [4403]
    assert out["banned"] == "banned" and out["bannedJoins"]["status"] == 403
    assert out["unknownAction"]["name"] == "Error"  # refused in the page: no request made
    assert (out["openJoin"], out["left"], out["clubMembers"]) == ("member", "left", 1)

    assert out["boardByPlayer"] == {"name": "GamePlatformError", "status": 403, "code": "admin_only"}
    assert out["board"] == [names["board"], "incr", "desc", None]
    assert out["boards"] is True and out["boardDetail"] == "incr"
    assert out["records"] == [[12, 1], [20, 1]]
    assert out["top"] == [[1, names["bob"], 20], [2, names["ann"], 12]]
    assert out["topOne"] == [names["bob"]] and out["around"] == [names["ann"]] and out["previous"] == []

    assert out["cupByPlayer"]["code"] == "admin_only"
    assert out["cup"] == [names["cup"], "SDK cup", "open", 5]
    assert out["tournaments"] == [False] and out["joined"] == [True, 1, 1] and out["cupDetail"] == [True, False]
    assert out["tooPoor"] == {"name": "GamePlatformError", "status": 402, "code": "insufficient_funds"}
    assert out["standings"] == [[names["ann"], 33]]

    assert out["saved"] == [1, "public", "owner"]
    assert out["staleWrite"]["status"] == 412 and out["staleWrite"]["code"] == "version_conflict"
    assert out["createOnly"]["status"] == 412 and out["createOnly"]["code"] == "version_conflict"
    assert out["updated"] == [2, 4] and out["read"] == {"level": 4}
    assert out["mineListed"] == ["slot1", "slot2"] and out["theirsListed"] == ["slot1"]
    assert out["theirs"] == {"level": 4} and out["theirsPrivate"]["status"] == 404
    assert out["staleDelete"]["code"] == "version_conflict"
    assert out["deleted"] is None and out["gone"]["status"] == 404 and out["deletedAnyVersion"] is None
    # The refusals above are the browser's "failed to load" lines; nothing else went wrong in the page.
    assert [p for p in page.problems if "Failed to load resource" not in p] == []


def game_by_invite(base: str, host: dict, guest: dict, mode: str = "tictactoe") -> int:
    """Friends, one invites the other to a game of ``mode``, it is accepted: the new game's id
    (an invite pairs exactly these two, whoever else waits in the queue)."""
    befriend(base, host, guest)
    invite = httpx.post(
        f"{base}/api/invites/",
        json={"to_user_id": guest["id"], "kind": "game", "mode": mode},
        headers=auth(host),
        timeout=10,
    )
    assert invite.status_code == 201, invite.text
    accepted = httpx.post(f"{base}/api/invites/{invite.json()['id']}/accept/", headers=auth(guest), timeout=10)
    assert accepted.status_code == 200, accepted.text
    return accepted.json()["game_id"]


def test_players_ready_right_after_opening_the_room_and_the_game_starts(web, new_page):
    """The guide's browser snippet as written: ``room.ready()`` on the line after
    ``gp.gameRoom(id)``, before the socket is open. The frames wait for the socket, go out once it
    opens, and both players' readiness starts the game; a plain socket's early ``send`` too."""
    ann, bob = web.register(unique("early")), web.register(unique("early"))
    game_id = game_by_invite(web.http, ann, bob)
    page = new_page("early")
    page.goto(f"{web.http}/play/")
    out = page.evaluate(
        """async ({names, password, gameId}) => {
            const sdk = await import("/static/webclient/gameplatform.js");
            const until = async (check, what, ms = 10000) => {
                const start = Date.now();
                while (!check()) {
                    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
                    await new Promise((resolve) => setTimeout(resolve, 25));
                }
            };
            const rooms = [];
            const readies = [];
            for (const name of names) {
                const gp = new sdk.Client({ storage: sessionStorage, storageKey: `early-${name}` });
                await gp.login(name, password);
                const room = gp.gameRoom(gameId);
                readies.push(room.ready());
                rooms.push(room);
            }
            const gp = rooms[0].client;
            const socket = gp.socket("/ws/notifications/");
            const pongs = [];
            socket.on("pong", (frame) => pongs.push(frame));
            const sent = socket.send("ping");
            await until(() => rooms.every((room) => room.state === "active"), "the game to start");
            await until(() => pongs.length === 1, "the pong");
            const acked = (await Promise.all(readies)).length;  // each resolves at the server's ack
            const out = { acked, sent, states: rooms.map((room) => room.state), pongs: pongs.length };
            for (const room of rooms) room.close();
            socket.close();
            out.afterClose = socket.send("ping");
            return out;
        }""",
        {"names": [ann["username"], bob["username"]], "password": "pass-w0rd-long-enough", "gameId": game_id},
    )
    assert out["acked"] == 2
    assert out["sent"] is True and out["pongs"] == 1
    assert out["states"] == ["active", "active"]
    assert out["afterClose"] is False  # a socket closed for good sends nothing and says so
    assert page.problems == [], page.problems


MISSED_MATCH = """async ({names, password, dropFirst}) => {
    const sdk = await import("/static/webclient/gameplatform.js");
    const until = async (check, what, ms = 10000) => {
        const start = Date.now();
        while (!check()) {
            if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
            await new Promise((resolve) => setTimeout(resolve, 25));
        }
    };
    const people = [];
    const made = [];  // the first player's connections, through the SDK's WebSocket option
    const WebSocket = class extends window.WebSocket {
        constructor(url) { super(url); made.push(this); }
    };
    // Reconnects 1.5-3 s after a drop: time enough to be matched while the socket is down.
    const reconnect = { baseMs: 3000 };
    for (const name of names) {
        const options = people.length === 0 ? { WebSocket, reconnect } : {};
        const gp = new sdk.Client({ storage: sessionStorage, storageKey: `missed-${name}`, ...options });
        await gp.login(name, password);
        people.push(gp);
    }
    // Both join battleship's queue (no other test leaves anyone in it): the second join makes the game.
    const match = async () => {
        const first = await people[0].post("/api/matchmaking/join/", { mode: "battleship" });
        const second = await people[1].post("/api/matchmaking/join/", { mode: "battleship" });
        const mine = await people[0].get("/api/matchmaking/status/");
        if (second.status !== "matched" || mine.game_id !== second.game_id) {
            for (const gp of people) await gp.post("/api/matchmaking/leave/").catch(() => null);
            throw new Error(`not paired together: ${JSON.stringify([first, second, mine])}`);
        }
        return second.game_id;
    };
    let gameId = dropFirst ? null : await match();
    const socket = people[0].socket("/ws/notifications/");
    const found = [], badges = [];
    socket.on("match_found", (frame) => found.push(frame));
    socket.on("badge", (frame) => badges.push(frame));
    await until(() => badges.length === 1, "the first badge");
    if (dropFirst) {
        made.at(-1).close(4000);  // the connection drops
        await until(() => socket.status === "reconnecting", "the drop");
        gameId = await match();
        await until(() => badges.length === 2, "the badge after the reconnect");
    }
    await until(() => found.length === 1, "match_found");
    made.at(-1).close(4000);  // once more: the same match is not announced twice
    await until(() => badges.length === (dropFirst ? 3 : 2), "the badge after another reconnect", 15000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    socket.close();
    return { gameId, found };
}"""


@pytest.mark.daphne_differs(DAPHNE_CLOSE_REPLY)  # its "once, however often it reconnects" drops the socket
def test_a_page_that_queued_before_its_notification_socket_opened_hears_its_match(web, new_page):
    """The player joins the queue and is matched before the page opens ``/ws/notifications/``:
    the server's ``match_found`` went nowhere, and the socket, once open, announces the match
    (``replayed``), once, however often it reconnects."""
    names = [web.register(unique("mfq"))["username"], web.register(unique("mfq"))["username"]]
    page = new_page("missed-before-open")
    page.goto(f"{web.http}/play/")
    out = page.evaluate(MISSED_MATCH, {"names": names, "password": "pass-w0rd-long-enough", "dropFirst": False})
    assert out["found"] == [{"type": "match_found", "game_id": out["gameId"], "replayed": True}]
    assert page.problems == [], page.problems


@pytest.mark.daphne_differs(DAPHNE_CLOSE_REPLY)
def test_a_match_made_while_the_notification_socket_was_down_is_heard_on_reconnect(web, new_page):
    names = [web.register(unique("mfd"))["username"], web.register(unique("mfd"))["username"]]
    page = new_page("missed-while-down")
    page.goto(f"{web.http}/play/")
    out = page.evaluate(MISSED_MATCH, {"names": names, "password": "pass-w0rd-long-enough", "dropFirst": True})
    assert out["found"] == [{"type": "match_found", "game_id": out["gameId"], "replayed": True}]
    assert page.problems == [], page.problems
