"""The web client at /play/ driven by headless Chromium against a real server process (DEBUG off,
static files from the ASGI server): two people register, become friends, chat in a lobby and play
tic-tac-toe to a win while one of them reloads the page mid-game; seed 000's own ``GameClient``
plays a game from a browser page.

``UPDATE_SCREENSHOTS=1`` also writes the README's screenshots, ``docs/webclient*.png``.
"""

import itertools
import json
import os
import random
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
    """The browser SDK on its own: ApiError objects, a 401 answered by one refresh and a retry,
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
            const gp = new sdk.Client({ storage: sessionStorage, storageKey: "sdk-test" });
            const out = {};
            await gp.login(username, "not-the-password").catch((e) => (out.badLogin = plain(e)));
            await gp.register({ username, email: "x@example.com", password: "a", password_confirm: "b" })
                .catch((e) => (out.invalid = plain(e)));
            await gp.login(username, password);
            const firstRefresh = gp.tokens.refresh;
            gp.tokens = { ...gp.tokens, access: "not.a.token" };  // as if it had expired
            out.me = (await gp.get("/api/me/")).username;
            out.rotated = gp.tokens.refresh !== firstRefresh;
            out.stored = JSON.parse(sessionStorage.getItem("sdk-test")).refresh === gp.tokens.refresh;

            const socket = gp.socket("/ws/notifications/");
            const urls = [], badges = [], errors = [], statuses = [];
            socket.on("open", () => urls.push(socket.ws.url));
            socket.on("badge", (frame) => badges.push(frame));
            socket.on("error", (error) => errors.push(plain(error)));
            socket.on("status", (status) => statuses.push(status));
            await until(() => badges.length === 1, "badge");
            socket.ws.close(4000);  // the connection drops
            await until(() => badges.length === 2, "badge after reconnect");
            socket.send("no_such_frame");
            await until(() => errors.length === 1, "error frame");
            socket.close();
            Object.assign(out, { urls, errors, statuses });
            out.delays = Array.from({ length: 12 }, (_, attempt) => sdk.backoffDelay(attempt));
            return out;
        }""",
        {"username": user["username"], "password": "pass-w0rd-long-enough"},
    )
    assert out["badLogin"]["name"] == "ApiError" and out["badLogin"]["status"] == 401
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
    for link in ('href="/play/"', 'href="/api/docs/"', 'href="/admin/"'):
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
    # Out of turn: the server's refusal, with the ref of the frame it refuses, shown in words.
    refused = shooter.evaluate(
        f"""() => new Promise((resolve) => {{
            const room = {ROOM};
            let ref = null;
            const off = room.on("error", (error) => {{
                if (error.ref === ref) {{ off(); resolve({{ ref, code: error.code }}); }}
            }});
            ref = room.move({{ x: 9, y: 9 }});
        }})"""
    )
    assert refused["code"] == "not_your_turn" and refused["ref"].startswith("player_move-")
    shooter.wait_for_selector("#banner.error:has-text('Not your turn.')")

    mx, my = a_miss(shooter_fleet)
    target.click(cell("bs-theirs", mx, my))
    shooter.wait_for_selector(cell("bs-mine", mx, my) + ".miss")
    target.wait_for_selector(cell("bs-theirs", mx, my) + ".miss")
    shooter.wait_for_selector("#game-status:has-text('Your turn')")
    # The same cell again: refused by the server, and the turn stays.
    shooter.evaluate(f"{ROOM}.move({{x: {x1}, y: {y1}}})")
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
    target.wait_for_selector("#game-status:has-text('You won (forfeit)')")
    shooter.wait_for_selector("#game-status:has-text('You lost')")
    for page in (ann, bob):
        assert page.problems == [], page.problems


def test_two_players_move_in_the_arena_and_the_page_interpolates_between_patches(web, new_page):
    ann, bob = new_page("ann"), new_page("bob")
    for page, prefix in ((ann, "arann"), (bob, "arbob")):
        register(page, web.http, unique(prefix))
        page.on("dialog", lambda dialog: dialog.accept())
    start_game((ann, bob), "arena")
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
    ann.wait_for_selector("#game-status:has-text('You won (forfeit)')")
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
