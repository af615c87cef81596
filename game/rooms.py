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
(``gameplatform.batching``): those that come while one is on its way go together in the next.
"""

from gameplatform.batching import Batcher
from gameplatform.loops import per_loop
from gameplatform.modes import Player, Result
from gameplatform.modes.commands import Command
from gameplatform.rooms import Grace, Hooks, RoomHost, Seating


def platform_hooks() -> Hooks:
    """The game app's records, through the database workers (the host delivers the frames itself)."""
    from game import services
    from game.registry import get_mode
    from gameplatform import db

    # The database work of many rooms goes together (``gameplatform.batching``): under load the
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
        return Seating(
            mode=get_mode(found["mode"]),
            players=found["players"],
            seed=found["seed"],
            lobby_id=found["lobby_id"],
            over=found["over"],
            started_at=found["started_at"],
            flags=found.get("flags"),
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

    return Hooks(seating=seating, record_start=record_start, record_result=record_result, grace=grace)


get_room_host = per_loop(lambda: RoomHost(platform_hooks()))
"""The room host of the running event loop: one per server process."""


async def player_seat(game_id: int, player_id: int) -> dict:
    """``{mode, over}`` of a game this user plays (``selectors.game_player_seat``'s answer and
    refusals). The room knows its seats: when it runs here it answers; when nobody runs it, it
    is opened here for this player first (the room's own seating read is the check, so a game's
    first socket costs one read of its seats, not two). Otherwise, and for a user it does not
    seat, the database answers."""
    from game import selectors
    from gameplatform import db

    host = get_room_host()
    mode = host.seat_here(game_id, player_id)
    if mode is None and game_id not in host.running and await host.open(game_id, player_id=player_id):
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
