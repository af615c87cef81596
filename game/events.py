"""Frames of the game socket (pure functions of models already loaded)."""

from game.models import Game, GamePlayer


def player_payload(player: GamePlayer) -> dict:
    return {
        "id": player.user_id,
        "username": player.user.username,
        "score": player.score,
        "side": player.side,
        "ready": player.ready,
        "connected": player.connected,
        "forfeited": player.forfeited,
    }


def game_state(game: Game, players: list[GamePlayer]) -> dict:
    return {
        "type": "game_state",
        "id": game.pk,
        "mode": game.mode,
        "state": game.state,
        "players": [player_payload(p) for p in players],
        "board": game.board,
        "turn": game.turn_id,
        "winner_id": game.winner_id,
        "reason": game.reason or None,
        "lobby_id": game.lobby_id,
        "version": game.version,
    }


def player_ready(user_id: int) -> dict:
    return {"type": "player_ready", "user_id": user_id}


def game_start() -> dict:
    return {"type": "game_start"}


def player_move(user_id: int, movement: dict) -> dict:
    return {"type": "player_move", "user_id": user_id, "movement": movement}


def game_action(user_id: int, action: str, data: dict) -> dict:
    return {"type": "game_action", "user_id": user_id, "action": action, "data": data}


def player_disconnected(user_id: int) -> dict:
    return {"type": "player_disconnected", "user_id": user_id}


def player_reconnected(user_id: int) -> dict:
    return {"type": "player_reconnected", "user_id": user_id}


def forfeit(user_id: int) -> dict:
    return {"type": "forfeit", "user_id": user_id}


def game_over(winner_id: int | None, reason: str) -> dict:
    return {"type": "game_over", "winner_id": winner_id, "reason": reason}


def match_found(game_id: int) -> dict:
    return {"type": "match_found", "game_id": game_id}


def match_cancelled(game_id: int, reason: str) -> dict:
    return {"type": "match_cancelled", "game_id": game_id, "reason": reason}
