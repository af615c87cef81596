"""The load test's built-in bots: one per built-in mode, each a legal player of its game.

A bot is ``async def play(game: BotGame) -> None``: called once the game is active, it plays
until the game is over (returning earlier is fine: the load test then waits for the end).
``game`` is the SDK's game room with the load test's clock on the frames it sends
(``loadtest.BotGame``): ``view``, ``my_turn``, ``is_over``, ``move``, ``action``,
``send_input``, ``until_my_turn``, ``changed``; ``game.room`` is the ``GameRoom`` itself.
"""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .loadtest import BotGame

Bot = Callable[["BotGame"], Awaitable[Any]]

# How often an arena bot steers (the mode takes 30 inputs a second; a player's stick changes less).
ARENA_STEERS_PER_SECOND = 10
RELAY_MOVES = 5
# An arena steer counts for input-to-visible when it turns more than this cosine (about 45 degrees),
# so that the old heading cannot pass for the new one.
TURN_COSINE = 0.7


async def tictactoe(game: BotGame) -> None:
    """A random free cell on each of my turns."""
    while True:
        await game.until_my_turn()
        if game.is_over:
            return
        free = [cell for cell, mark in enumerate(game.view["board"]) if mark is None]
        await game.move({"cell": random.choice(free)})


async def battleship(game: BotGame) -> None:
    """A random cell not fired at yet on each of my turns."""
    while True:
        await game.until_my_turn()
        if game.is_over:
            return
        size = game.view["size"]
        fired = {(s["x"], s["y"]) for s in game.view["theirs"]["shots"]}
        cells = [(x, y) for x in range(size) for y in range(size) if (x, y) not in fired]
        x, y = random.choice(cells)
        await game.move({"x": x, "y": y})


async def arena(game: BotGame) -> None:
    """Run toward the nearest gem, steering at most ``ARENA_STEERS_PER_SECOND`` times a second."""
    me = str(game.me)
    last: tuple[float, float] | None = None
    while not game.is_over:
        view = game.view or {}
        mine = (view.get("players") or {}).get(me)  # a view without players: between a drop and the next state
        if mine is not None and view.get("gems"):
            gx, gy = min(view["gems"], key=lambda g: (g[0] - mine["x"]) ** 2 + (g[1] - mine["y"]) ** 2)
            dx, dy = gx - mine["x"], gy - mine["y"]
            length = math.hypot(dx, dy) or 1.0
            steer = (round(dx / length, 2), round(dy / length, 2))
            if steer != last:
                turned = last is None or steer[0] * last[0] + steer[1] * last[1] < TURN_COSINE
                visible = heading(me, steer, (mine["x"], mine["y"])) if turned else None
                await game.send_input({"dx": steer[0], "dy": steer[1]}, visible=visible)
                last = steer
        await game.sleep(1 / ARENA_STEERS_PER_SECOND)


def heading(me: str, steer: tuple[float, float], start: tuple[float, float]) -> Callable[[Any], bool]:
    """A test of arena views: my player's last step points the way of ``steer`` (the input shows)."""
    previous = list(start)

    def visible(view: Any) -> bool:
        mine = (view or {}).get("players", {}).get(me)
        if mine is None:
            return False
        dx, dy = mine["x"] - previous[0], mine["y"] - previous[1]
        previous[:] = mine["x"], mine["y"]
        step = math.hypot(dx, dy)
        return step > 0 and (dx * steer[0] + dy * steer[1]) / step > TURN_COSINE

    return visible


async def relay(game: BotGame) -> None:
    """A few relayed moves, then every player's score reported as 0 (every bot agrees: a draw)."""
    for n in range(RELAY_MOVES):
        if game.is_over:
            return
        await game.move({"step": n})
    playing = [p["id"] for p in game.players if not p.get("forfeited")]
    await game.action("report_score", {"scores": {str(pid): 0 for pid in playing}})


BUILT_IN: dict[str, Bot] = {"tictactoe": tictactoe, "battleship": battleship, "arena": arena, "relay": relay}
