"""Play a game to its end in this process, without sockets: demo data, tests and admin tools.

The game runs in a ``Room`` as a server process would run it, and its start and result are
recorded through the same services; ``steps`` drives the room (connect, ready, moves...).
"""

from collections.abc import Callable

from game import registry, services
from gameplatform.rooms import Room


def game_play_offline(*, game_id: int, steps: Callable[[Room], None]) -> Room:
    seating = services.game_seating(game_id=game_id)
    mode = registry.get_mode(seating["mode"])
    room = Room(mode, game_id=game_id, players=seating["players"], seed=seating["seed"], lobby_id=seating["lobby_id"])
    steps(room)
    if room.phase == "active" or room.over and room.result.reason != "abandoned":
        services.game_record_start(game_id=game_id)
    if room.over:
        view = mode.view(room.state, None) if mode.shared_view else None
        board = view.get("board") if isinstance(view, dict) else None
        services.game_record_result(
            game_id=game_id, result=room.result, players=room.players, board=board, version=room.version
        )
    return room


def start_all(room: Room) -> None:
    """Every player connects and says ready: the game is active."""
    for player in room.players:
        room.connect(player.id)
    for player in room.players:
        room.ready(player.id)
