"""A load test a studio runs: N bots play a mode against a deployment, through this SDK.

    python -m gameplatform_client.loadtest --url http://127.0.0.1:8000 --mode tictactoe --bots 200 --duration 60
    python -m gameplatform_client.loadtest --url ... --mode mygame --bot mybots:play --plot run.svg --json run.json

Each bot signs in (a guest of its own device id, or a user of ``--users-file``), queues for the
mode, says ready, plays the game to its end with its behaviour (``--bot module:function``; the
built-in modes have one, ``bots.py``), and queues again until ``--duration`` has passed (a game
under way then is played to its end within ``--grace`` seconds, else forfeited: the run's time
limit holds). Bots start evenly over ``--ramp`` seconds. Each run's guests have device ids of their
own (``--device-prefix``, random by default), so two runs at once from one machine never share a player.

A deploy during a run is part of the check: a socket the server closes 1012 ("service restart")
that the SDK opens again, and an opening a stopping server refuses 503 that the bot tries again,
are reported as restarts handled, not as errors.

Measured: a frame's round trip (a ``player_move`` or ``game_action`` sent with a ``ref``, to its
``ack``), the time to a match (queue to an active game), games finished, errors by code, frames
per second in and out of the game sockets, and the sockets open. Printed as a table of
percentiles; ``--json`` writes every figure, ``--plot`` a chart of the round trips over time
(SVG, written here; PNG and the rest through matplotlib, when it is installed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import math
import sys
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from websockets.exceptions import InvalidHandshake, InvalidStatus

from .bots import BUILT_IN, Bot
from .client import GameClient
from .errors import ApiError, Conflict, GameplatformError, RateLimited, SocketClosed
from .rooms import GameRoom
from .sockets import ReconnectPolicy

# A bot whose game has not ended this long after it started gives up on it (an error, ``timeout``).
GAME_TIMEOUT = 300.0
# An input whose effect has not shown in the view this long after it was sent is no longer looked for.
INPUT_VISIBLE_WITHIN = 5.0
# The longest a bot waits for its turn or a change before it counts ``timeout``.
TURN_TIMEOUT = 60.0
# "Service restart": a stopping server's sockets close with it, and the SDK opens them again.
CLOSE_SERVICE_RESTART = 1012
# How long the bots get, past the run's end, to close their sockets before they are cancelled.
CLOSING_TIME = 10.0


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``; 0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


@dataclass
class Stats:
    """What the bots measured: samples are ``(seconds since the start, seconds)``."""

    started: float = field(default_factory=time.monotonic)
    round_trips: list[tuple[float, float]] = field(default_factory=list)
    inputs_visible: list[tuple[float, float]] = field(default_factory=list)
    matches: list[tuple[float, float]] = field(default_factory=list)
    games_started: set[int] = field(default_factory=set)
    games_finished: set[int] = field(default_factory=set)
    errors: Counter = field(default_factory=Counter)
    frames_in: int = 0
    frames_out: int = 0
    sockets: int = 0
    peak_sockets: int = 0
    left_over_games: int = 0
    restarts: int = 0  # sockets closed 1012 ("service restart") that the SDK opened again
    restart_refusals: int = 0  # openings refused (503, or closed 1012) by a stopping server, tried again
    unanswered: int = 0  # frames sent with a ``ref`` whose answer never came (the SDK's call timed out)
    # Games still under way when the run's time (duration and grace) was up, forfeited (a bot still
    # going then, cancelled, as ``bot <n>``).
    cut_off: set = field(default_factory=set)
    ended: float | None = None

    def now(self) -> float:
        return time.monotonic() - self.started

    def opened(self, n: int = 1) -> None:
        self.sockets += n
        self.peak_sockets = max(self.peak_sockets, self.sockets)

    def error(self, exc: BaseException) -> None:
        self.errors[error_code(exc)] += 1

    def watch_restarts(self, socket: Any) -> Callable[[], None]:
        """Counts each time ``socket`` closes 1012 and the SDK opens it again; returns an unsubscribe."""
        closed = []

        def disconnected(event: Any) -> None:
            if event.code == CLOSE_SERVICE_RESTART and event.will_retry:
                closed.append(event)

        def reconnected(_event: Any) -> None:
            if closed:
                closed.clear()
                self.restarts += 1

        stops = [socket.on("disconnected", disconnected), socket.on("reconnected", reconnected)]

        def unwatch() -> None:
            for stop in stops:
                stop()

        return unwatch


def error_code(exc: BaseException) -> str:
    """The contract's code of an SDK error, ``closed_<code>`` for a socket closed for good,
    ``handshake_<status>`` for a socket refused with an HTTP status, ``timeout``, else the exception's class."""
    if isinstance(exc, SocketClosed):
        return f"closed_{exc.code}"
    if isinstance(exc, InvalidStatus):
        return f"handshake_{exc.response.status_code}"
    if isinstance(exc, ApiError) and exc.code:
        return str(exc.code)
    if isinstance(exc, TimeoutError):
        return "timeout"
    return type(exc).__name__


class BotGame:
    """What a bot plays with: the SDK's game room, with the load test's clock on what it sends.

    ``room`` is the ``GameRoom`` (everything it has); ``view``, ``state``, ``players``, ``me``,
    ``my_turn`` and ``is_over`` read it. ``move`` and ``action`` wait for the server's ``ack`` and
    count as frame round trips; ``send_input`` is counted as sent; ``until_my_turn``, ``changed``
    and ``sleep`` wait."""

    def __init__(self, room: GameRoom, stats: Stats, *, send_interval: float = 0.0) -> None:
        self.room = room
        self._stats = stats
        # The mode's ``input_rate`` (frames a second per player) kept: a frame waits its turn, as a
        # client should, rather than be refused ``rate_limited``.
        self._send_interval = send_interval
        self._next_send = 0.0
        self._pending: list[tuple[float, Callable[[Any], bool]]] = []  # inputs not yet seen in the view
        self.stop_timing = room.on_change(self._seen)  # (the load test calls it after the game)

    def _seen(self, view: Any) -> None:
        now = time.monotonic()
        waiting = []
        for sent, visible in self._pending:
            if visible(view):
                self._stats.inputs_visible.append((self._stats.now(), now - sent))
            elif now - sent < INPUT_VISIBLE_WITHIN:
                waiting.append((sent, visible))
        self._pending = waiting

    @property
    def me(self) -> int | None:
        return self.room.client.user_id

    @property
    def view(self) -> Any:
        return self.room.view

    @property
    def state(self) -> Any:
        return self.room.state

    @property
    def players(self) -> list[dict]:
        return self.room.players

    @property
    def my_turn(self) -> bool:
        return self.room.my_turn

    @property
    def is_over(self) -> bool:
        return self.room.is_over

    async def _paced(self) -> None:
        now = time.monotonic()
        if now < self._next_send:
            await asyncio.sleep(self._next_send - now)
        self._next_send = max(now, self._next_send) + self._send_interval

    async def _timed(self, send) -> Any:
        """``send()`` and its round trip; a ``rate_limited`` answer is counted and the frame sent
        again after its ``retry_after`` (as a client should)."""
        while True:
            await self._paced()
            self._stats.frames_out += 1
            began = time.monotonic()
            try:
                result = await send()
            except RateLimited as refused:
                self._stats.error(refused)
                await asyncio.sleep(refused.retry_after or 1.0)
                continue
            except TimeoutError:
                self._stats.unanswered += 1
                raise
            self._stats.round_trips.append((self._stats.now(), time.monotonic() - began))
            return result

    async def move(self, movement: dict) -> Any:
        """``player_move {movement}``; returns the room's ``state`` once the server took it."""
        return await self._timed(lambda: self.room.move(movement))

    async def action(self, name: str, data: dict | None = None) -> Any:
        """``game_action {action, data}``; returns the room's ``state`` once the server took it."""
        return await self._timed(lambda: self.room.action(name, data))

    async def send_input(self, data: dict, *, visible: Callable[[Any], bool] | None = None) -> None:
        """A real-time ``input {data}`` (no answer: its effect comes in a later patch). ``visible``:
        a test of the view that holds once the input shows in it; the time until then is measured
        (input to visible; not seen within ``INPUT_VISIBLE_WITHIN`` seconds: not counted)."""
        await self._paced()
        self._stats.frames_out += 1
        if visible is not None:
            self._pending.append((time.monotonic(), visible))
        await self.room.send_input(data)

    async def until_my_turn(self) -> Any:
        return await self.room.until_my_turn(timeout=TURN_TIMEOUT)

    async def changed(self) -> Any:
        return await self.room.changed(timeout=TURN_TIMEOUT)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def refused_by_a_stopping_server(exc: BaseException) -> bool:
    """A socket that could not open because its server was stopping (a deploy): its handshake
    answered 503 (uvicorn refuses one that comes while it stops), or closed 1012 ("service
    restart") before it was open (a socket open already is reopened by the SDK, never raised)."""
    if isinstance(exc, InvalidStatus):
        return exc.response.status_code == 503
    return isinstance(exc, SocketClosed) and exc.code == CLOSE_SERVICE_RESTART


def run_prefix() -> str:
    """A run's own device-id prefix: ``lt`` and 8 random hex digits."""
    return f"lt{uuid.uuid4().hex[:8]}"


@dataclass
class Options:
    url: str
    mode: str
    bots: int = 10
    duration: float = 60.0
    ramp: float = 0.0
    grace: float = 30.0  # past the duration, for games under way to end
    bot: Bot | None = None
    users: list[tuple[str, str]] | None = None
    device_prefix: str = field(default_factory=run_prefix)
    match_timeout: float = 60.0
    send_interval: float = 0.0  # 1 / the mode's input_rate (from the server's listing)


def load_bot(spec: str) -> Bot:
    """``module:function`` (``module.function`` too) to the bot's coroutine function."""
    module_name, sep, name = spec.partition(":")
    if not sep:
        module_name, _, name = spec.rpartition(".")
    if not module_name or not name:
        raise ValueError(f"--bot {spec!r}: give module:function")
    if "" not in sys.path:
        sys.path.insert(0, "")  # a studio's module in the current directory, as ``python -m`` finds it
    function = getattr(importlib.import_module(module_name), name, None)
    if not callable(function):
        raise ValueError(f"--bot {spec!r}: {module_name} has no function {name}")
    return function


async def sign_in(client: GameClient, options: Options, index: int) -> None:
    if options.users:
        username, password = options.users[index % len(options.users)]
        await client.login(username, password)
    else:
        # The run's own device ids (``--device-prefix``, random unless given): another run at the
        # same time has other guests. A prefix given again logs into the guests made before (new
        # guests count against the server's REGISTRATIONS_PER_ADDRESS).
        await client.device_login(f"{options.device_prefix}-bot-{index:06d}".ljust(16, "0"))


async def play_one(
    client: GameClient, options: Options, bot: Bot, stats: Stats, deadline: float, *, game_id: int | None = None
) -> bool:
    """Queue, play one game to its end; False when the run ended before a match came. ``game_id``:
    the match the bot already has (its socket was refused by a stopping server): joined, not queued."""
    began = time.monotonic()
    left = deadline - began
    end = deadline + options.grace  # no game goes on past it
    if game_id is not None:
        room = await client.join_game(game_id)
    else:
        try:
            room = await client.play(options.mode, timeout=max(1.0, min(options.match_timeout, left)))
        except TimeoutError:
            if time.monotonic() < deadline:
                raise
            # The run is over. A match made as the wait ran out would keep its other players waiting
            # for me until the server calls it off: I come and forfeit it, so that their game ends.
            with contextlib.suppress(GameplatformError, TimeoutError, OSError, InvalidHandshake):
                status = await client.queue_status()
                if status.get("status") == "matched" and isinstance(status.get("game_id"), int):
                    await forfeit_game(client, status["game_id"])
            return False
    stats.opened()
    counter = room.on("*", lambda _frame: _count_in(stats))
    unwatch = stats.watch_restarts(room)
    try:
        stats.games_started.add(room.game_id)
        await room.ready()
        await room.until(
            lambda s: s.get("state") not in ("waiting_for_players", "waiting_for_ready"),
            timeout=max(0.1, min(TURN_TIMEOUT, end - time.monotonic())),
        )
        stats.matches.append((stats.now(), time.monotonic() - began))
        game = BotGame(room, stats, send_interval=options.send_interval)
        try:
            await asyncio.wait_for(bot(game), max(0.1, min(GAME_TIMEOUT, end - time.monotonic())))
            await room.until_over(timeout=max(0.1, min(GAME_TIMEOUT, end - time.monotonic())))
        except Exception as exc:  # a refused frame, a wait run out, the bot's own bug: counted, the game left
            if isinstance(exc, TimeoutError) and time.monotonic() >= end - 0.2:
                stats.cut_off.add(room.game_id)  # the run's time is up: forfeited, not an error
                with contextlib.suppress(Exception):
                    if not room.is_over and room.closed_code is None:
                        await room.forfeit()
                return False
            stats.error(exc)
            if not isinstance(exc, (ApiError, SocketClosed, TimeoutError)) and stats.errors[error_code(exc)] == 1:
                traceback.print_exception(exc, file=sys.stderr)  # a bug of the bot: shown once
            if not room.is_over and room.closed_code is None:
                with contextlib.suppress(Exception):
                    await room.forfeit()
            return True
        finally:
            game.stop_timing()
        stats.games_finished.add(room.game_id)
        return True
    finally:
        counter()
        unwatch()
        await room.close()
        stats.sockets -= 1


def _count_in(stats: Stats) -> None:
    stats.frames_in += 1


def in_game(exc: BaseException) -> int | None:
    """The game of a queue join refused ``already_in_game``, else None."""
    if isinstance(exc, Conflict) and exc.code == "already_in_game" and isinstance(exc.body, dict):
        game_id = exc.body.get("game_id")
        return game_id if isinstance(game_id, int) else None
    return None


async def left_over_game_forfeited(client: GameClient, exc: BaseException, stats: Stats) -> bool:
    """A bot refused the queue ``already_in_game`` sits in a game of an earlier run (a
    ``--device-prefix`` given again: the same guests) that was never played: it forfeits that
    game (counted apart) and queues."""
    game_id = in_game(exc)
    if game_id is None:
        return False
    try:
        await forfeit_game(client, game_id)
    except (ApiError, SocketClosed, TimeoutError, InvalidHandshake):
        return False
    stats.left_over_games += 1
    return True


async def forfeit_game(client: GameClient, game_id: int) -> None:
    """Come to a game I will not play, and forfeit it (its other players play on, or win)."""
    room = await client.join_game(game_id)
    try:
        if not room.is_over:
            await room.forfeit()
            await room.until_over(timeout=TURN_TIMEOUT)
    finally:
        await room.close()


async def run_bot(index: int, options: Options, bot: Bot, stats: Stats, deadline: float) -> None:
    if options.ramp > 0 and options.bots > 1:
        await asyncio.sleep(options.ramp * index / options.bots)
    client = GameClient(options.url, reconnect=ReconnectPolicy(max_delay=2.0), timeout=15.0)
    try:
        while True:  # a server that refuses or is not up yet: counted, and tried again each second
            try:
                await sign_in(client, options, index)
                await client.open_sockets(world=False)  # the notifications socket: match_found comes there
                break
            except (GameplatformError, TimeoutError, OSError, InvalidHandshake) as exc:
                if refused_by_a_stopping_server(exc):
                    stats.restart_refusals += 1
                else:
                    stats.error(exc)
                if time.monotonic() + 1.0 >= deadline:
                    return
                await asyncio.sleep(1.0)
        stats.opened()
        unwatch = stats.watch_restarts(client.notifications)
        refused = False  # my last game's socket was refused by a stopping server: the match is still mine
        rejoin: int | None = None
        try:
            while time.monotonic() < deadline or rejoin is not None:
                try:
                    if not await play_one(client, options, bot, stats, deadline, game_id=rejoin):
                        return
                    rejoin = None
                except (GameplatformError, TimeoutError, OSError, InvalidHandshake) as exc:
                    if refused_by_a_stopping_server(exc):
                        stats.restart_refusals += 1
                        refused = True
                        await asyncio.sleep(0.25)  # the next opening reaches a process that serves
                        continue
                    if refused and (game_id := in_game(exc)) is not None:
                        refused, rejoin = False, game_id  # that match: join it, as the SDK would have
                        continue
                    rejoin = None
                    if isinstance(exc, TimeoutError) and time.monotonic() >= deadline + options.grace - 0.2:
                        stats.cut_off.add(f"bot {index}")  # a game that never got going in the run's time
                        return
                    if await left_over_game_forfeited(client, exc, stats):
                        continue
                    stats.error(exc)
                    await asyncio.sleep(1.0)  # not a tight loop against a refusing server
        finally:
            unwatch()
            stats.sockets -= 1
    finally:
        await client.disconnect()


async def run(options: Options) -> Stats:
    """Play the load test; returns what it measured."""
    bot = options.bot or BUILT_IN.get(options.mode)
    if bot is None:
        raise ValueError(f"no built-in bot for the mode {options.mode!r}: give one with --bot module:function")
    async with GameClient(options.url) as probe:
        served = {m["name"]: m for m in (await probe.request("GET", "/api/game/modes/", auth=False))["results"]}
    if options.mode not in served:
        raise ValueError(f"{options.url} does not run the mode {options.mode!r} (it runs {', '.join(served)})")
    rate = served[options.mode].get("input_rate") or 0
    options = replace(options, send_interval=1 / rate if rate > 0 else 0.0)
    stats = Stats()
    deadline = time.monotonic() + options.ramp + options.duration
    bots = [asyncio.ensure_future(run_bot(i, options, bot, stats, deadline)) for i in range(options.bots)]
    # The time limit holds: past the duration, the grace and the time to close, a bot still going
    # (stuck in a call the server never answers) is cancelled, its game counted cut off.
    _, stuck = await asyncio.wait(bots, timeout=deadline + options.grace + CLOSING_TIME - time.monotonic())
    for n, task in enumerate(bots):
        if task in stuck:
            task.cancel()
            stats.cut_off.add(f"bot {n}")
    results = await asyncio.gather(*bots, return_exceptions=True)
    for result in results:
        if isinstance(result, Exception):  # not one the bots count themselves: counted here, not a crash
            stats.error(result)
            if stats.errors[error_code(result)] == 1:
                traceback.print_exception(result, file=sys.stderr)
    stats.ended = stats.now()
    return stats


# --- the report --------------------------------------------------------------------------------


def summary(stats: Stats, options: Options) -> dict:
    """Every figure of the run, as JSON data (``--json`` writes it)."""
    elapsed = stats.ended or stats.now()

    def spread(samples: list[tuple[float, float]]) -> dict:
        values = [s for _, s in samples]
        return {
            "count": len(values),
            **{f"p{p}_ms": round(percentile(values, p) * 1000, 1) for p in (50, 90, 99)},
            "max_ms": round(max(values, default=0.0) * 1000, 1),
        }

    return {
        "url": options.url,
        "mode": options.mode,
        "bots": options.bots,
        "duration_s": options.duration,
        "ramp_s": options.ramp,
        "grace_s": options.grace,
        "elapsed_s": round(elapsed, 2),
        "frame_round_trip": spread(stats.round_trips),
        "input_to_visible": spread(stats.inputs_visible),
        "time_to_match": spread(stats.matches),
        "games_started": len(stats.games_started),
        "games_finished": len(stats.games_finished),
        "games_per_s": round(len(stats.games_finished) / elapsed, 2) if elapsed else 0.0,
        "frames_in": stats.frames_in,
        "frames_out": stats.frames_out,
        "frames_in_per_s": round(stats.frames_in / elapsed, 1) if elapsed else 0.0,
        "frames_out_per_s": round(stats.frames_out / elapsed, 1) if elapsed else 0.0,
        "peak_sockets": stats.peak_sockets,
        "left_over_games": stats.left_over_games,
        "device_prefix": options.device_prefix if not options.users else None,
        "restarts": {"sockets_reopened": stats.restarts, "openings_refused": stats.restart_refusals},
        "cut_off_games": len(stats.cut_off),
        "frames_unanswered": stats.unanswered,
        "errors": dict(stats.errors.most_common()),
        "round_trips": [[round(t, 3), round(s * 1000, 2)] for t, s in stats.round_trips],
        "inputs_visible": [[round(t, 3), round(s * 1000, 2)] for t, s in stats.inputs_visible],
    }


def report(result: dict) -> str:
    """The printed table."""
    lines = [
        f"{result['mode']}: {result['bots']} bots for {result['duration_s']:g} s "
        f"(ramp {result['ramp_s']:g} s) against {result['url']}, {result['elapsed_s']:.1f} s in all",
        *([f"guests     device ids {result['device_prefix']}-bot-..."] if result.get("device_prefix") else []),
        "",
        f"{'':<18}{'count':>7}{'p50':>12}{'p90':>12}{'p99':>12}{'max':>12}",
    ]
    rows = (
        ("frame round trip", "frame_round_trip"),
        ("input to visible", "input_to_visible"),
        ("time to match", "time_to_match"),
    )
    for label, key in rows:
        row = result[key]
        if key == "input_to_visible" and not row["count"]:
            continue  # a mode without real-time inputs
        cells = "".join(f"{row[k]:>9.1f} ms" for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms"))
        lines.append(f"{label:<18}{row['count']:>7}{cells}")
    errors = ", ".join(f"{code} {n}" for code, n in result["errors"].items()) or "none"
    restarts = result.get("restarts") or {}
    lines += [
        "",
        f"games      {result['games_finished']} finished of {result['games_started']} started, "
        f"{result['games_per_s']:g} a second",
        f"frames     {result['frames_in']} in ({result['frames_in_per_s']:g}/s), "
        f"{result['frames_out']} out ({result['frames_out_per_s']:g}/s)",
        f"sockets    {result['peak_sockets']} open at the peak"
        + (f"; {result['left_over_games']} games of an earlier run forfeited" if result["left_over_games"] else ""),
    ]
    if restarts.get("sockets_reopened") or restarts.get("openings_refused"):
        lines.append(
            f"restarts   handled: {restarts['sockets_reopened']} sockets closed 1012 (service restart) and reopened, "
            f"{restarts['openings_refused']} openings refused by a stopping server (503, 1012) and tried again"
        )
    if result.get("cut_off_games"):
        lines.append(
            f"cut off    {result['cut_off_games']} games still under way {result['grace_s']:g} s past the end:"
            " forfeited"
        )
    if result.get("frames_unanswered"):
        lines.append(f"unanswered {result['frames_unanswered']} frames sent with a ref got no answer in time")
    lines += [f"errors     {errors}"]
    if not result["games_started"]:
        lines.append(
            "note: no game started (a mode for more than two players waits up to the server's "
            "QUEUE_FILL_SECONDS to fill a game: run longer, or with more bots)"
        )
    return "\n".join(lines)


def write_plot(result: dict, path: str) -> str:
    """The frame round trips over the run (input to visible for a mode without answered frames):
    every sample, and the p50 and p99 of each second. SVG is written here; other formats need
    matplotlib (imported only then). Returns what was done."""
    points, what = plotted(result)
    if not path.lower().endswith(".svg"):
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            return f"note: {path}: only .svg plots without matplotlib (not installed); no plot written"
        fig, ax = plt.subplots(figsize=(9, 4.5))
        ax.scatter([t for t, _ in points], [ms for _, ms in points], s=4, alpha=0.4, label="round trip")
        for p, (xs, ys) in per_second(points).items():
            ax.plot(xs, ys, label=f"p{p} of each second")
        ax.set_xlabel("seconds since the start")
        ax.set_ylabel(f"{what} (ms)")
        ax.set_title(f"{result['mode']}: {result['bots']} bots")
        ax.legend()
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return f"plot written to {path}"
    Path(path).write_text(svg_plot(result))
    return f"plot written to {path}"


def plotted(result: dict) -> tuple[list[list[float]], str]:
    """The samples a plot shows, and their name."""
    if result["round_trips"] or not result.get("inputs_visible"):
        return result["round_trips"], "frame round trip"
    return result["inputs_visible"], "input to visible"


def per_second(points: list[list[float]]) -> dict[int, tuple[list[float], list[float]]]:
    """The p50 and p99 of the samples of each whole second: ``{50: (xs, ys), 99: (xs, ys)}``."""
    buckets: dict[int, list[float]] = {}
    for t, ms in points:
        buckets.setdefault(int(t), []).append(ms)
    seconds = sorted(buckets)
    return {p: ([s + 0.5 for s in seconds], [percentile(buckets[s], p) for s in seconds]) for p in (50, 99)}


def svg_plot(result: dict, width: int = 900, height: int = 420) -> str:
    """The round-trip chart as a standalone SVG document (no library needed)."""
    points, what = plotted(result)
    left, right, top, bottom = 60, 20, 40, 50
    span_t = max([result["elapsed_s"], *(t for t, _ in points)]) or 1.0
    span_ms = max([1.0, *(ms for _, ms in points)]) * 1.05

    def x(t: float) -> float:
        return left + t / span_t * (width - left - right)

    def y(ms: float) -> float:
        return height - bottom - ms / span_ms * (height - top - bottom)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="22" font-size="14">{result["mode"]}: {result["bots"]} bots, {what} (ms) over '
        "the run</text>",
        f'<line x1="{left}" y1="{y(0)}" x2="{width - right}" y2="{y(0)}" stroke="black"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{y(0)}" stroke="black"/>',
    ]
    for i in range(5):
        ms = span_ms * i / 4
        out.append(f'<text x="{left - 6}" y="{y(ms) + 4:.1f}" text-anchor="end">{ms:.0f}</text>')
        t = span_t * i / 4
        out.append(f'<text x="{x(t):.1f}" y="{height - bottom + 18}" text-anchor="middle">{t:.0f} s</text>')
    out += [f'<circle cx="{x(t):.1f}" cy="{y(ms):.1f}" r="1.5" fill="#1f77b4" opacity="0.4"/>' for t, ms in points]
    colours = {50: "#2ca02c", 99: "#d62728"}
    for p, (xs, ys) in per_second(points).items():
        line = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(xs, ys, strict=True))
        out.append(f'<polyline points="{line}" fill="none" stroke="{colours[p]}" stroke-width="2"/>')
        out.append(
            f'<text x="{width - right}" y="{top - 6 + (p == 99) * 14}" text-anchor="end" '
            f'fill="{colours[p]}">p{p} of each second</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


# --- the command -------------------------------------------------------------------------------


def read_users(path: str) -> list[tuple[str, str]]:
    """``username:password`` a line (blank lines and ``#`` comments skipped)."""
    users = []
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            username, _, password = line.partition(":")
            users.append((username, password))
    if not users:
        raise ValueError(f"{path}: no username:password line")
    return users


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m gameplatform_client.loadtest",
        description="N bots play a game mode against a gameplatform deployment; prints latency, errors, throughput.",
    )
    parser.add_argument("--url", required=True, help="the deployment, http(s)://host:port")
    parser.add_argument("--mode", required=True, help="the game mode to queue for")
    parser.add_argument("--bots", type=int, default=10, help="players at once (default 10)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of queueing for games (default 60)")
    parser.add_argument("--ramp", type=float, default=0.0, help="seconds over which the bots start (default 0)")
    parser.add_argument("--bot", help="module:function, an async function(game) that plays one game")
    parser.add_argument("--users-file", help="username:password lines to log in with, instead of guests")
    parser.add_argument(
        "--device-prefix",
        help="guests' device ids start with it (default: random, a run's own; give one to reuse its guests)",
    )
    parser.add_argument(
        "--grace", type=float, default=30.0, help="seconds past the duration for games under way to end (default 30)"
    )
    parser.add_argument("--match-timeout", type=float, default=60.0, help="seconds a bot waits for a match")
    parser.add_argument("--json", help="write every figure (and each round trip) to this file")
    parser.add_argument("--plot", help="draw the round trips over time to this file (.svg; .png needs matplotlib)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        options = Options(
            url=args.url,
            mode=args.mode,
            bots=args.bots,
            duration=args.duration,
            ramp=args.ramp,
            grace=args.grace,
            bot=load_bot(args.bot) if args.bot else None,
            users=read_users(args.users_file) if args.users_file else None,
            device_prefix=args.device_prefix or run_prefix(),
            match_timeout=args.match_timeout,
        )
        stats = asyncio.run(run(options))
    except (ValueError, ImportError, OSError, GameplatformError) as exc:  # a bad option, no server: said, not traced
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = summary(stats, options)
    print(report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    if args.plot:
        print(write_plot(result, args.plot))
    return 1 if result["errors"] or not result["games_finished"] else 0


if __name__ == "__main__":
    sys.exit(main())
