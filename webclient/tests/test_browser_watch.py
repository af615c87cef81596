"""Watching and replaying in the web client, in headless Chromium against a real server: a
spectator opens a running game from the Live games list and sees its moves as they are made,
read-only; a player opens a finished game's replay from My games, pauses it, scrubs to its end
and plays it again faster.

The players themselves play over their game sockets from the test (no page of their own), so
each test drives exactly the games it looks at. ``UPDATE_SCREENSHOTS=1`` also writes
``docs/webclient-watch.png`` and ``docs/webclient-replay.png``.
"""

import json
import os
import time
from contextlib import ExitStack

import pytest
from websockets.sync.client import connect

from gameplatform.tests.live import ROOT, bearer
from webclient.tests.test_browser import game_by_invite, register, tab, unique

PASSWORD = "pass-w0rd-long-enough"  # LiveServer.register's
X_WINS = [4, 0, 2, 1, 6]  # X takes the diagonal 2-4-6; O's 0 and 1 fall short


class Seat:
    """A player on the game socket, as a client program would be."""

    def __init__(self, web, user: dict, game_id: int, sockets: ExitStack) -> None:
        self.user = user
        url = f"{web.ws}/ws/game/{game_id}/"
        self.ws = sockets.enter_context(connect(url, additional_headers=bearer(user["access"]), open_timeout=10))

    def receive(self, *frame_types: str, timeout: float = 10, until=lambda frame: True) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            frame = json.loads(self.ws.recv(timeout=max(0.05, deadline - time.monotonic())))
            if frame.get("type") in frame_types and until(frame):
                return frame

    def send(self, frame: dict) -> None:
        self.ws.send(json.dumps(frame))


@pytest.fixture
def sockets():
    """The players' sockets, closed after the test whatever happened."""
    with ExitStack() as stack:
        yield stack


def started_game(web, sockets: ExitStack, prefix: str) -> tuple[int, list[Seat]]:
    """Two new players in a game of tic-tac-toe, both ready, the game on: ``(game_id, [x, o])``."""
    ann, bob = web.register(unique(prefix)), web.register(unique(prefix))
    game_id = game_by_invite(web.http, ann, bob)
    seats = [Seat(web, ann, game_id, sockets), Seat(web, bob, game_id, sockets)]
    for seat in seats:
        seat.receive("game_state")
        seat.send({"type": "player_ready"})
    turns = [seat.receive("game_state", until=lambda f: f["state"] == "active")["turn"] for seat in seats]
    first = seats[0] if turns[0] == ann["id"] else seats[1]
    return game_id, [first, seats[1] if first is seats[0] else seats[0]]


def move(seats: list[Seat], index: int, cell: int) -> None:
    """The ``index``-th move of the game (X first) on ``cell``, seen applied before the next one."""
    mover, other = seats[index % 2], seats[(index + 1) % 2]
    mover.send({"type": "player_move", "movement": {"cell": cell}})
    other.receive("state_patch", "game_state", until=lambda f: seen(f, f"/board/{cell}"))


def seen(frame: dict, path: str) -> bool:
    """Whether a patch sets ``path`` in the view, or a fresh state (the last move's) has it set."""
    if frame["type"] == "state_patch":
        return any(op["path"] == path for op in frame["ops"])
    value = frame["view"]
    for key in path.strip("/").split("/"):
        value = value[int(key) if isinstance(value, list) else key]
    return value is not None


def login_as(page, base: str, user: dict) -> None:
    page.goto(f"{base}/play/")
    form = page.locator("#login-form")
    form.locator("input[name=username]").fill(user["username"])
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(f"body[data-user='{user['username']}']")


def board(page) -> list[str]:
    return page.locator("#board .cell").all_text_contents()


def test_a_spectator_watches_a_running_game_from_the_live_list_sees_the_moves_and_cannot_move(web, new_page, sockets):
    game_id, seats = started_game(web, sockets, "seen")
    page = new_page("spectator")
    register(page, web.http, unique("fan"))
    tab(page, "play")
    entry = page.locator(f"#live-games li[data-game-id='{game_id}']")
    entry.wait_for()  # listed at once, or at the next refresh
    assert seats[0].user["username"] in entry.text_content() and seats[1].user["username"] in entry.text_content()
    entry.locator("button[data-watch]").click()

    page.wait_for_selector(f"#game-panel[data-kind=watch][data-game-id='{game_id}'][data-state=active]")
    assert page.locator("#game-spectating").is_visible()
    assert "watching" in page.text_content("#game-spectating")
    assert page.text_content("#game-status").startswith("Spectating")
    move(seats, 0, 4)
    page.wait_for_selector("#board .cell[data-cell='4']:text('X')")
    move(seats, 1, 0)
    page.wait_for_selector("#board .cell[data-cell='0']:text('O')")

    # Every cell is shut to the spectator, and the game's controls are not there.
    assert page.locator("#board .cell:not([disabled])").count() == 0
    page.click("#board .cell[data-cell='8']", force=True)
    for hidden in ("#game-ready", "#game-forfeit"):
        assert page.locator(hidden).is_hidden()
    # Its socket refuses a move sent by hand, and the board does not change.
    refusal = page.evaluate("gameplatform.room.move({cell: 8}).then(() => null, (e) => e.code)")
    assert refusal == "not_a_player"
    page.wait_for_selector("#banner:has-text('You are not playing in this game.')")
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        page.locator("#game-panel").screenshot(path=str(ROOT / "docs" / "webclient-watch.png"))

    for index, cell in enumerate(X_WINS[2:], start=2):
        move(seats, index, cell)
    page.wait_for_selector("#game-panel[data-state=finished]")
    assert board(page) == ["O", "O", "X", "", "X", "", "X", "", ""]
    x_name = seats[0].user["username"]
    assert x_name in page.text_content("#game-status")
    assert page.problems == [], page.problems


def test_a_spectator_of_a_game_not_started_is_told_the_players_are_getting_ready_not_to_press_ready(
    web, new_page, sockets
):
    ann, bob = web.register(unique("early")), web.register(unique("early"))
    game_id = game_by_invite(web.http, ann, bob)
    seats = [Seat(web, ann, game_id, sockets), Seat(web, bob, game_id, sockets)]
    for seat in seats:
        seat.receive("game_state")  # both connected, neither ready
    page = new_page("spectator")
    register(page, web.http, unique("fan"))
    tab(page, "play")
    page.locator(f"#live-games li[data-game-id='{game_id}'] button[data-watch]").click()

    page.wait_for_selector(f"#game-panel[data-kind=watch][data-game-id='{game_id}'][data-state=waiting_for_ready]")
    assert page.text_content("#game-status") == "Waiting for the players to get ready…"
    assert page.locator("#game-ready").is_hidden()
    for seat in seats:
        seat.send({"type": "player_ready"})
    page.wait_for_selector("#game-panel[data-state=active]")
    assert page.text_content("#game-status").startswith("Spectating")
    assert page.problems == [], page.problems


@pytest.fixture
def finished_game(web, sockets):
    """A game of tic-tac-toe played to X's win: ``(game_id, x, o)`` (users)."""
    game_id, seats = started_game(web, sockets, "again")
    for index, cell in enumerate(X_WINS):
        move(seats, index, cell)
    for seat in seats:
        seat.receive("game_over")
    return game_id, seats[0].user, seats[1].user


def test_a_player_replays_a_finished_game_pauses_it_scrubs_to_the_end_and_plays_it_faster(web, new_page, finished_game):
    game_id, x, o = finished_game
    page = new_page("player")
    login_as(page, web.http, o)
    tab(page, "play")
    page.locator(f"#game-history li[data-game-id='{game_id}'] button:text('Replay')").click()
    page.wait_for_selector(f"#game-panel[data-kind=replay][data-game-id='{game_id}']")
    controls = page.locator("#replay-controls")
    assert controls.is_visible() and page.text_content("#game-spectating") == "A replay of a finished game."

    page.click("#replay-pause")
    page.wait_for_selector("#replay-controls[data-playing='0']")
    paused_at, paused_board = controls.get_attribute("data-tick"), board(page)
    time.sleep(1.5)  # 1×: a turn a second; paused, nothing moves
    assert controls.get_attribute("data-tick") == paused_at and board(page) == paused_board
    assert page.locator("#board .cell:not([disabled])").count() == 0

    scrubber = page.locator("#replay-scrubber")
    scrubber.fill(scrubber.get_attribute("max"))
    page.wait_for_selector("#game-panel[data-state=finished]")
    assert board(page) == ["O", "O", "X", "", "X", "", "X", "", ""]
    assert x["username"] in page.text_content("#game-status")
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        page.locator("#game-panel").screenshot(path=str(ROOT / "docs" / "webclient-replay.png"))

    scrubber.fill("0")
    page.wait_for_selector("#game-panel[data-state=active]")
    assert board(page) == [""] * 9
    page.select_option("#replay-speed", "4")
    page.click("#replay-play")
    page.wait_for_selector("#replay-controls[data-at-end='1'][data-playing='0']", timeout=5000)
    assert board(page) == ["O", "O", "X", "", "X", "", "X", "", ""]
    assert page.problems == [], page.problems
