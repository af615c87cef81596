"""The game app's side of the room engine (``gameplatform.rooms``): its database and its sockets.

The kit's ``RoomHost`` runs every game of a server process in memory; this module gives it the
game app's records (``platform_hooks``): the seatings, starts and results through the database
worker processes, and the grace. Deliveries to the game's sockets are the kit's own
(``gameplatform.rooms.wire``, written to each socket by ``gameplatform.rooms.sockets``).
The socket (``game.consumers``) reaches the room through ``player_seat``, ``take_seat`` and the
host's ``submit``.

The database sees a game three times, each written exactly once by a conditional update:
created (by the matchmaker, a lobby or an invite), started, and its result (with its replay).
The seatings, starts and results of a process's rooms go in shared transactions
(``gameplatform.data.batching``): those that come while one is on its way go together in the next.

Staff's steps in a running game (``game_kick_player``, ``game_end_by_staff``) are here too: the
room's owner takes them (``room_command``), wherever it runs. This module is above
``game.services`` (the game's rules and records): it imports them, they never import it.
"""

import functools
import json
import logging

from django.db import transaction

from game import selectors, services
from game.models import Game, GamePlayer
from gameplatform.broadcast.groups import game_group
from gameplatform.broadcast.realtime import signal_on_commit
from gameplatform.core.errors import ApplicationError, Conflict, NotFound, Unavailable
from gameplatform.core.loops import per_loop
from gameplatform.data import db
from gameplatform.data.batching import Batcher
from gameplatform.modes import Player, Result
from gameplatform.modes.commands import Abandon, Command, Forfeit
from gameplatform.rooms import Grace, Hooks, RoomHost, Seating, room_store
from gameplatform.rooms.flags import GameFlags
from gameplatform.rooms.host import answer_seconds
from gameplatform.rooms.wire import SIGNAL, Delivery
from staff import audit

logger = logging.getLogger(__name__)


def platform_hooks() -> Hooks:
    """The game app's records, through the database workers (the host delivers the frames itself)."""

    # The database work of many rooms goes together (``gameplatform.data.batching``): under load the
    # games that open, start or end during one transaction share the next one.
    async def seatings(game_ids: list[int]) -> list[dict | None]:
        return await db.run_apart(services.game_seatings, game_ids=game_ids)

    async def starts(game_ids: list[int]) -> list[None]:
        await db.run_apart(services.game_record_starts, game_ids=game_ids)
        return [None] * len(game_ids)

    async def results(records: list[services.ResultRecord]) -> list[bool]:
        return await db.run_apart(services.game_record_results, records=records)

    seating_batch, start_batch, result_batch = Batcher(seatings), Batcher(starts), Batcher(results)

    async def seating(game_id: int) -> Seating | None:
        found = await seating_batch.submit(game_id)
        if found is None:
            return None
        # Imported here, as before the staff's room actions moved into this module: a game's stored
        # mode is one this process lists (GAME_MODES); the frame checks of the socket's handlers
        # (gameplatform/tests/test_asyncapi.py) read invalid_mode, a request's answer, as theirs otherwise.
        from game.registry import get_mode

        return Seating(
            mode=get_mode(found["mode"]),
            players=found["players"],
            seed=found["seed"],
            lobby_id=found["lobby_id"],
            over=found["over"],
            started_at=found["started_at"],
            grace=Grace(**services.room_grace(found["connect_seconds"])) if found["connect_seconds"] else None,
        )

    async def record_start(game_id: int) -> None:
        await start_batch.submit(game_id)

    def grace() -> Grace:
        return Grace(**services.room_grace())

    async def record_result(
        game_id: int, result: Result, players: list[Player], board, version: int, steps: list | None
    ) -> None:
        # The replay goes with the result, in its transaction: one unit of work for both. The
        # grace of a game that has its own (``connect_seconds``) is completed there.
        ran = services.room_grace()
        await result_batch.submit(
            services.ResultRecord(
                game_id=game_id, result=result, players=players, board=board, version=version, steps=steps, grace=ran
            )
        )

    async def flags(game_id: int, player_ids: list[int]) -> GameFlags:
        return await db.run(services.game_flags_fix, game_id=game_id, player_ids=player_ids)

    return Hooks(seating=seating, record_start=record_start, record_result=record_result, grace=grace, flags=flags)


get_room_host = per_loop(lambda: RoomHost(platform_hooks()))
"""The room host of the running event loop: one per server process."""


async def player_seat(game_id: int, player_id: int) -> dict:
    """``{mode, over}`` of a game this user plays (``selectors.game_player_seat``'s answer and
    refusals). The room knows its seats: when it runs here it answers; when nobody runs it, it
    is opened for this player first, here or, when it is new, on a clearly less-loaded process
    (``RoomHost.place``; the room's own seating read is the check, so a game's first socket costs
    one read of its seats, not two). Otherwise, and for a user it does not seat, the database answers."""
    host = get_room_host()
    mode = host.seat_here(game_id, player_id)
    if mode is None and game_id not in host.running and await host.place(game_id, player_id=player_id):
        mode = host.seat_here(game_id, player_id)
    if mode is not None:
        return {"mode": mode, "over": False}
    return await db.run(selectors.game_player_seat, game_id=game_id, user_id=player_id)


async def take_seat(game_id: int, player_id: int) -> int:
    """The seat number of a new socket of ``player_id`` (``RoomHost.take_seat_number``)."""
    return await get_room_host().take_seat_number(game_id, player_id)


async def room_command(game_id: int, command: Command) -> bool:
    """The platform's own step for a game's room, wherever it runs (``RoomHost.command``:
    ``Forfeit(player_id)``, ``Abandon()``): True once the room's owner took it."""
    return await get_room_host().command(game_id, command)


# --- staff in a running game (the admin's room inspector) ----------------------------


def game_kick_player(*, staff, game_id: int, user_id: int) -> str:
    """Staff make a player leave a running game as if they had forfeited (the mode's rules say
    what follows: by default the last player left wins). The room's owner applies it, wherever it
    runs (``RoomHost.command``): nothing here writes the game's record. Then the player's sockets
    on the game close 4403 and the audit log has ``room.kick``. Conflict ``game_over``,
    ``not_a_player`` (no seat, or out already), ``room_not_running``; Unavailable when the room
    did not answer in time (it changed nothing). Returns the player's username."""
    game = _running_game(game_id)
    player = next((p for p in _room_players(game_id) if p["id"] == user_id), None)
    seat = GamePlayer.objects.filter(game_id=game_id, user_id=user_id).select_related("user").first()
    if player is None or player.get("out") or seat is None:
        raise Conflict("This user does not play this game (or left it already).", code="not_a_player")
    _room_command(game_id, Forfeit(user_id))
    with transaction.atomic():
        audit.record(
            staff=staff,
            action="room.kick",
            target_type="game",
            target_id=game_id,
            target=str(game),
            detail={"user_id": user_id, "username": seat.user.username},
        )
        # Their sockets on the game close 4403, on every process (a room delivery of no frames).
        signal_on_commit(game_group(game_id), SIGNAL, **Delivery(removed=(user_id,)).as_signal())
    return seat.user.username


def game_end_by_staff(*, staff, game_id: int) -> Game:
    """Staff end a running game: it ends ``abandoned`` (no winner, unrated), as a game nobody
    could finish does, by its room's owner (``RoomHost.command``'s ``Abandon``), which records it
    as every result is recorded. The audit log has ``room.end``. Errors as ``game_kick_player``."""
    game = _running_game(game_id)
    _room_players(game_id)  # a room to talk to
    _room_command(game_id, Abandon())
    with transaction.atomic():
        audit.record(staff=staff, action="room.end", target_type="game", target_id=game_id, target=str(game))
    return game


# --- a player whose account is deleted ----------------------------------------------


def games_forfeit_on_deletion(user) -> None:
    """A player is being deleted (accounts' ``user_deleting``, in the deletion's transaction): once
    it commits, they forfeit every game they still play, through its room wherever it runs (the
    mode's rules say what follows: by default the last player left wins), rather than the game
    waiting out their away grace with a seat nobody can take again. A room no server runs (nobody
    connected yet) is left to the ``game.unclaimed`` timer."""
    playing = GamePlayer.objects.filter(user_id=user.pk, forfeited=False, game__state__in=Game.UNFINISHED)
    for game_id in playing.values_list("game_id", flat=True):
        transaction.on_commit(functools.partial(_forfeit_for_deleted, game_id, user.pk))


def _forfeit_for_deleted(game_id: int, user_id: int) -> None:
    try:
        _room_command(game_id, Forfeit(user_id))
    except ApplicationError as refused:  # over meanwhile, no room, or a room moving between servers
        logger.info("a deleted player's game was not forfeited: %s", refused.code, extra={"game_id": game_id})


def _running_game(game_id: int) -> Game:
    game = Game.objects.filter(pk=game_id).first()
    if game is None:
        raise NotFound("No such game.", code="game_not_found")
    if game.is_over:
        raise Conflict("The game is over.", code="game_over")
    return game


def _room_players(game_id: int) -> list[dict]:
    """The players as the room last saved them (Conflict ``room_not_running`` when no room holds
    the game: nobody has connected to it yet, and the ``game.unclaimed`` timer ends it)."""
    record = room_store().inspect(game_id, steps=0)
    if record.snapshot is None and record.owner is None:
        raise Conflict("No server runs this game's room: nobody has connected to it yet.", code="room_not_running")
    return json.loads(record.snapshot)["players"] if record.snapshot else []


def _room_command(game_id: int, command: Command) -> None:
    """``command`` applied by the game's room wherever it runs, waited for (on the server's loop
    when called from a unit of work: ``db.await_on_loop``)."""
    if not db.await_on_loop(room_command(game_id, command), timeout=answer_seconds() + 2.0):
        raise Unavailable("The game's room did not answer (it may be moving between servers); nothing changed.")
