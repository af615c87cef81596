"""A studio's own mode, end to end, with no change to the platform: ``manage.py startmode counter``
writes the package in a directory outside the repository; a live server runs it from there
(``PYTHONPATH`` and ``GAME_MODES`` as the command says); ``GET /api/game/modes/`` lists it with its
frames' schemas; two Python SDK players queue for it and play it to a win; two browser players do
the same in /play/'s generic panel, through the form built from the mode's ``move_schema``.

The generated game is "first to 10": players add 1 to 3 to a counter in turn; whoever reaches
exactly 10 wins. Both games below go 3, 3, 3, then the second player's 3 is refused in the mode's
own words, and their 1 wins. A second studio mode beside it, ``knobs``, declares every kind of
field, to see the panel draw each one.
"""

import asyncio
import io
import json
import os
import re
import subprocess
import sys

import httpx
import pytest
from django.core.management import call_command
from gameplatform_client import BadRequest, GameClient, ValidationError

from gameplatform.tests.live import ROOT, LiveServer
from webclient.tests.test_browser import queue_for, register, unique

# Starts a server of its own: run again under daphne by `make test` (conftest.py).
pytestmark = pytest.mark.live

NAME = "counter"
PASSWORD = "pass-w0rd-long-enough"
MOVE_SCHEMA = {
    "type": "object",
    "properties": {"add": {"type": "integer", "minimum": 1, "maximum": 3}},
    "required": ["add"],
    "additionalProperties": False,
}
TOO_MANY = "The counter is at 9: add at most 1."
# Every kind of field a mode may declare, and actions: one named, any other ("*"). Not turn-based.
KNOBS = """
from gameplatform.modes import Mode
from gameplatform.modes.schema import AnyObject, Bool, Choice, Float, Int, List, Obj, Str


class Knobs(Mode):
    name = "knobs"
    title = "Knobs"
    description = "Every kind of field; the action stop ends the game, its sender wins."
    move_schema = Obj(
        n=Int(0, 5), speed=Float(0, 1).opt(), color=Choice("red", "blue"), loud=Bool(), note=Str(20),
        path=List(Int(0, 9), max_items=4),
    )
    action_schemas = {"wave": Obj(), "*": AnyObject()}

    def setup(self, ctx):
        return {"moves": [], "actions": []}

    def on_move(self, state, player, movement, ctx):
        state["moves"].append(movement)

    def on_action(self, state, player, action, data, ctx):
        if action == "stop":
            ctx.finish(winner=player.id)
        else:
            state["actions"].append({"action": action, "data": data})
"""

# Rounds where everyone acts at once, each on a public clock: no turns. Two rounds, then the most
# points win. Each player's pick is secret until the round ends; who has picked shows at once.
ROUNDS = """
from gameplatform.modes import Mode
from gameplatform.modes.schema import Int, Obj


class Rounds(Mode):
    name = "rounds"
    title = "Rounds"
    description = "Everyone picks a number each round; two rounds, the most points win."
    action_schemas = {"pick": Obj(n=Int(0, 9))}

    def setup(self, ctx):
        return {"round": 1, "picks": {}, "points": {str(p.id): 0 for p in ctx.players}}

    def on_start(self, state, ctx):
        ctx.after(ROUND_SECONDS, "round", public=True)

    def on_action(self, state, player, action, data, ctx):
        state["picks"][str(player.id)] = data["n"]
        if len(state["picks"]) == len(ctx.players):
            self.end_round(state, ctx)

    def on_timer(self, state, name, data, ctx):
        self.end_round(state, ctx)

    def end_round(self, state, ctx):
        for pid, n in state["picks"].items():
            state["points"][pid] += n
        state["picks"], state["round"] = {}, state["round"] + 1
        if state["round"] > 2:
            best = max(state["points"].values())
            leaders = [int(pid) for pid, n in state["points"].items() if n == best]
            ctx.finish(winner=leaders[0] if len(leaders) == 1 else None)
        else:
            ctx.after(ROUND_SECONDS, "round", public=True)  # replaces the running clock

    def view(self, state, player):
        return {"round": state["round"], "picked": sorted(state["picks"]), "points": state["points"]}


ROUND_SECONDS = 20
"""


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """The directory outside the repository that holds the generated package, and what
    ``startmode`` said to run the server with."""
    outside = tmp_path_factory.mktemp("studio")
    assert ROOT.resolve() not in outside.resolve().parents
    out = io.StringIO()
    call_command("startmode", NAME, directory=str(outside), stdout=out)
    said = re.search(r"PYTHONPATH=(\S+) GAME_MODES=(\S+) make run", out.getvalue())
    assert said is not None, out.getvalue()
    assert said.group(1) == str(outside.resolve())
    (outside / "knobs").mkdir()
    (outside / "knobs" / "__init__.py").touch()
    (outside / "knobs" / "mode.py").write_text(KNOBS)
    (outside / "rounds").mkdir()
    (outside / "rounds" / "__init__.py").touch()
    (outside / "rounds" / "mode.py").write_text(ROUNDS)
    game_modes = f"{said.group(2)},knobs.mode.Knobs,rounds.mode.Rounds"
    return {"dir": outside, "pythonpath": said.group(1), "game_modes": game_modes}


@pytest.fixture(scope="module")
def studio_server(studio, tmp_path_factory):
    """One live server for the module, running the generated mode besides the built-in ones.

    Without Redis (the in-memory channel layer of one process): the session's other live server
    shares the test Redis, and its users and games have the same ids as this one's.
    QUEUE_FILL_SECONDS: where the queue waits to fill a game of more than two players, the wait is
    short (a server that has no such wait ignores it)."""
    pythonpath = os.pathsep.join(p for p in (studio["pythonpath"], os.environ.get("PYTHONPATH")) if p)
    env = {"PYTHONPATH": pythonpath, "GAME_MODES": studio["game_modes"], "REDIS_URL": "", "QUEUE_FILL_SECONDS": "1"}
    server = LiveServer(tmp_path_factory.mktemp("studio_live"), env=env)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def served(studio_server):
    """The module's server; the test fails if it logged an error or a credential meanwhile."""
    offset = studio_server.log_size()
    yield studio_server
    studio_server.assert_alive()
    assert not studio_server.errors_since(offset), "\n".join(studio_server.errors_since(offset))
    assert not studio_server.credentials_logged(offset)


def test_the_generated_package_passes_its_own_tests_where_it_was_made(studio):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)  # where gameplatform.modes imports from
    done = subprocess.run(
        [sys.executable, "-m", "pytest", f"{NAME}/tests", "-q", "-p", "no:django", "-p", "no:cacheprovider"],
        cwd=studio["dir"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout


def test_the_modes_route_lists_the_studio_mode_with_the_schemas_of_its_frames(served):
    """The modes route lists the studio's mode with the schemas of its frames. The request takes
    milliseconds; as the module's first test on the module's server it also starts that server
    (the studio's modes on its path, a database migrated and seeded from scratch)."""
    listed = httpx.get(f"{served.http}/api/game/modes/", timeout=10).json()["results"]

    assert [m["name"] for m in listed] == ["tictactoe", "relay", "battleship", "arena", NAME, "knobs", "rounds"]
    counter = listed[-3]
    assert (counter["title"], counter["min_players"], counter["max_players"]) == ("Counter", 2, 4)
    assert (counter["tick_rate"], counter["turn_seconds"], counter["input_rate"]) == (0, 30.0, 30.0)
    assert counter["messages"] == {"player_move": MOVE_SCHEMA, "game_action": {}, "input": None}


async def signed_up(server: LiveServer, prefix: str) -> GameClient:
    client = GameClient(server.http)
    await client.register(f"{prefix}{unique('')}", PASSWORD)
    await client.me()
    await client.open_sockets(world=False)
    return client


async def queued_into_one_game(*clients: GameClient) -> int:
    async def match(client: GameClient) -> int:
        answer = await client.join_queue(NAME)
        if answer.get("status") == "matched":
            return int(answer["game_id"])
        return await client.wait_for_match(timeout=30)

    game_ids = set(await asyncio.gather(*(match(client) for client in clients)))
    assert len(game_ids) == 1
    return game_ids.pop()


async def test_two_sdk_players_queue_for_the_studio_mode_and_play_it_to_a_win(served):
    alice, bob = await signed_up(served, "alice"), await signed_up(served, "bob")
    try:
        game_id = await queued_into_one_game(alice, bob)
        async with alice.game(game_id) as a, bob.game(game_id) as b:
            await asyncio.gather(a.ready(), b.ready())
            await a.until(lambda s: s.get("state") == "active")
            first, second = (a, b) if a.turn == alice.user_id else (b, a)
            assert first.turn == first.client.user_id

            with pytest.raises(BadRequest) as early:
                await second.move({"add": 1})
            assert (early.value.code, early.value.detail) == ("not_your_turn", "It is not your turn.")
            with pytest.raises(ValidationError) as wrong:
                await first.move({"add": 4})
            assert wrong.value.fields == {"movement.add": ["Must be an integer from 1 to 3."]}

            for mover in (first, second, first):
                await mover.until_my_turn()
                state = await mover.move({"add": 3})
                assert state["turn"] != mover.client.user_id  # the turn passed on
            await second.until_my_turn()
            assert second.view["total"] == 9
            with pytest.raises(BadRequest) as too_many:
                await second.move({"add": 3})
            assert (too_many.value.code, too_many.value.detail) == ("illegal_move", TOO_MANY)
            await second.move({"add": 1})

            for room in (a, b):
                final = await room.until_over()
                assert (final["state"], final["reason"]) == ("finished", "win")
                assert final["winner_id"] == second.client.user_id
                assert room.view["total"] == 10
                assert [m["add"] for m in room.view["moves"]] == [3, 3, 3, 1]

        game = await alice.get(f"/api/games/{game_id}/")
        assert (game["mode"], game["state"], game["reason"]) == (NAME, "finished", "win")
        assert game["winner_id"] == second.client.user_id
        assert {p["id"] for p in game["players"]} == {alice.user_id, bob.user_id}
    finally:
        await alice.disconnect()
        await bob.disconnect()


# The browser test last: the sync Playwright API holds this thread's event loop while it is open.

MOVE_FORM = "#generic-forms form[data-kind=player_move]"


def add(page, amount: int) -> None:
    page.wait_for_selector(f"#game-other[data-turn=mine] {MOVE_FORM} button[type=submit]:not([disabled])")
    page.fill(f"{MOVE_FORM} input[name=add]", str(amount))
    page.click(f"{MOVE_FORM} button[type=submit]")


def total(page, value: int) -> None:
    """Wait until the page's view block says the counter is at ``value``."""
    page.wait_for_function(
        "(total) => JSON.parse(document.querySelector('#generic-view').textContent || 'null')?.total === total",
        arg=value,
    )


def test_two_browser_players_play_the_studio_mode_in_the_generic_panel(served, new_page):
    ann, bob = new_page("ann"), new_page("bob")
    for page, prefix in ((ann, "ctann"), (bob, "ctbob")):
        register(page, served.http, unique(prefix))
    queue_for(ann, NAME)
    ann.wait_for_selector("#queue-status:has-text('In the queue')")
    queue_for(bob, NAME)
    for page in (ann, bob):
        page.wait_for_selector("#game-panel:not([hidden]) #game-ready:visible")
        page.click("#game-ready")
    for page in (ann, bob):
        page.wait_for_selector(f"#game-panel[data-state=active][data-mode={NAME}] #game-other:visible")
    assert ann.get_attribute("#game-panel", "data-game-id") == bob.get_attribute("#game-panel", "data-game-id")

    # The form is built from the declared schema: one integer field, 1 to 3.
    field = ann.locator(f"{MOVE_FORM} input[name=add]")
    assert (field.get_attribute("type"), field.get_attribute("min"), field.get_attribute("max")) == ("number", "1", "3")
    assert ann.locator("#generic-forms form").count() == 1  # no actions, no inputs
    first, second = (ann, bob) if ann.get_attribute("#game-other", "data-turn") == "mine" else (bob, ann)
    first.wait_for_selector("#game-status:has-text('Your turn.')")
    first.wait_for_selector("#game-clock:visible:has-text('s left on your turn')")
    second.wait_for_selector("#game-status:has-text('s turn…')")
    assert second.is_disabled(f"{MOVE_FORM} button[type=submit]")  # moves wait for the turn

    for n, mover in enumerate((first, second, first), start=1):
        add(mover, 3)
        for page in (ann, bob):
            total(page, 3 * n)
    # Too many: the server's refusal in the mode's own words, and nothing changes.
    add(second, 3)
    second.wait_for_selector(f"#generic-error:visible:has-text('{TOO_MANY}')")
    total(second, 9)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        second.locator("#game-panel").screenshot(path=str(ROOT / "docs" / "webclient-generic.png"))
    add(second, 1)

    second.wait_for_selector("#game-status:has-text('You won!')")
    first.wait_for_selector("#game-status:has-text('You lost.')")
    assert second.is_hidden("#generic-error")  # cleared by the move that was taken
    for page in (ann, bob):
        total(page, 10)
        page.wait_for_selector("#game-panel[data-state=finished]")
        page.wait_for_selector("#game-log li:text-matches('Game over. You (won|lost)')")
        assert json.loads(page.text_content("#generic-view"))["moves"][-1]["add"] == 1
        assert page.problems == [], page.problems


def test_the_generic_panel_draws_each_kind_of_field_and_sends_what_it_reads(served, new_page):
    """The generic panel draws each kind of field a mode declares and sends what it reads. It takes
    tens of seconds: two Chromium pages register, queue, are matched, ready and play, some twenty
    round trips through the browser; the first test of the module on a worker also starts the
    module's server."""
    ann, bob = new_page("ann"), new_page("bob")
    for page, prefix in ((ann, "knann"), (bob, "knbob")):
        register(page, served.http, unique(prefix))
    queue_for(ann, "knobs")
    ann.wait_for_selector("#queue-status:has-text('In the queue')")
    queue_for(bob, "knobs")
    for page in (ann, bob):
        page.wait_for_selector("#game-panel:not([hidden]) #game-ready:visible")
        page.click("#game-ready")
    ann.wait_for_selector("#game-panel[data-state=active][data-mode=knobs]")
    move = ann.locator(MOVE_FORM)
    kinds = move.evaluate_all(
        """forms => [...forms[0].elements].filter((e) => e.name)
            .map((e) => [e.name, e.type, ...["min", "max", "step"].map((a) => e.getAttribute(a))])"""
    )
    assert kinds == [
        ["n", "number", "0", "5", "1"],
        ["speed", "number", "0", "1", "any"],
        ["color", "select-one", None, None, None],
        ["loud", "checkbox", None, None, None],
        ["note", "text", None, None, None],
        ["path", "textarea", None, None, None],
    ]
    assert move.locator("select[name=color] option").all_text_contents() == ["red", "blue"]  # the mode's order
    assert move.locator("input[name=note]").get_attribute("maxlength") == "20"
    actions = ann.locator("#generic-forms form[data-kind=game_action]")
    assert actions.evaluate_all("forms => forms.map((f) => f.dataset.action)") == ["wave", "*"]

    # What the form reads is what the mode gets: an optional number left empty is left out.
    move.locator("input[name=n]").fill("4")
    move.locator("select[name=color]").select_option("red")
    move.locator("input[name=loud]").check()
    move.locator("input[name=note]").fill("hello")
    move.locator("textarea[name=path]").fill("[1, 2]")
    move.locator("button[type=submit]").click()
    sent = {"n": 4, "color": "red", "loud": True, "note": "hello", "path": [1, 2]}
    for page in (ann, bob):
        page.wait_for_function("() => window.gameplatform.room.view.moves.length === 1")
        assert page.evaluate("window.gameplatform.room.view.moves") == [sent]
    # JSON that does not parse stays in the page; a value the schema refuses comes back named.
    move.locator("textarea[name=path]").fill("[1,")
    move.locator("button[type=submit]").click()
    ann.wait_for_selector("#generic-error:visible:has-text('path: that is not valid JSON.')")
    move.locator("textarea[name=path]").fill("[10]")
    move.locator("button[type=submit]").click()
    ann.wait_for_selector("#generic-error:visible:has-text('movement.path.0: Must be an integer from 0 to 9.')")

    bob.click("#generic-forms form[data-action=wave] button[type=submit]")
    ann.wait_for_function("() => window.gameplatform.room.view.actions.length === 1")
    assert ann.evaluate("window.gameplatform.room.view.actions") == [{"action": "wave", "data": {}}]
    anything = bob.locator("#generic-forms form[data-action='*']")
    anything.locator("input[name=action]").fill("stop")
    anything.locator("button[type=submit]").click()
    bob.wait_for_selector("#game-status:has-text('You won')")
    ann.wait_for_selector("#game-status:has-text('You lost')")
    for page in (ann, bob):
        assert page.problems == [], page.problems


def round_clock(page) -> int:
    """The seconds the generic panel shows left on the public timer ``round``."""
    text = page.text_content("#generic-timers li[data-timer=round]")
    match = re.fullmatch(r"round: (\d+) s left", text)
    assert match, text
    return int(match.group(1))


def test_the_generic_panel_counts_down_a_modes_public_timers_and_says_a_mode_without_turns_has_none(served, new_page):
    ann, bob = new_page("ann"), new_page("bob")
    for page, prefix in ((ann, "rdann"), (bob, "rdbob")):
        register(page, served.http, unique(prefix))
    queue_for(ann, "rounds")
    about = ann.text_content("#queue-mode-about")
    assert "turn" not in about and "not real time" in about  # nothing said of turns it may not have
    ann.wait_for_selector("#queue-status:has-text('In the queue')")
    queue_for(bob, "rounds")
    for page in (ann, bob):
        page.wait_for_selector("#game-panel:not([hidden]) #game-ready:visible")
        page.click("#game-ready")
    for page in (ann, bob):
        page.wait_for_selector("#game-panel[data-state=active][data-mode=rounds] #generic-timers li[data-timer=round]")
        assert page.text_content("#game-status") == "The game is on: no turns, every player may act."
        assert page.is_hidden("#game-clock")  # no turn clock

    # The clock counts down between frames (none comes while nobody acts).
    first = round_clock(ann)
    assert 17 <= first <= 20
    ann.wait_for_function(
        "(first) => Number(/round: (\\d+) s/.exec(document.querySelector('#generic-timers').textContent)?.[1]) < first",
        arg=first,
    )
    assert round_clock(ann) < first

    # Both pick: the round ends at once, and its patch sets the clock of the next one.
    for page, n in ((ann, 3), (bob, 5)):
        page.locator("#generic-forms form[data-action=pick] input[name=n]").fill(str(n))
        page.click("#generic-forms form[data-action=pick] button[type=submit]")
    for page in (ann, bob):
        page.wait_for_function("() => window.gameplatform.room.view.round === 2")
        assert round_clock(page) >= 19
    for page, n in ((ann, 1), (bob, 0)):
        page.locator("#generic-forms form[data-action=pick] input[name=n]").fill(str(n))
        page.click("#generic-forms form[data-action=pick] button[type=submit]")
    bob.wait_for_selector("#game-status:has-text('You won')")
    for page in (ann, bob):
        page.wait_for_selector("#game-panel[data-state=finished] #generic-timers", state="hidden")
        assert page.problems == [], page.problems
