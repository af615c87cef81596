"""Tic-tac-toe, server-authoritative: the server owns the board, the turn and the result.

``left`` plays X and moves first, ``right`` plays O. A move is ``{"cell": 0..8}``
(row-major). Out-of-turn moves are ``not_your_turn``; a cell that is not an
integer in range, or is taken, is ``illegal_move``; either leaves the game as it was.
"""

from game.modes.base import ActionResult, MoveResult, Outcome, Seat
from gameplatform.errors import ApplicationError

NAME = "tictactoe"
MIN_PLAYERS = 2
MAX_PLAYERS = 2
MARKS = {"left": "X", "right": "O"}
LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))


def start(players: list[Seat]) -> tuple[list, int]:
    first = next(p for p in players if p.side == "left")
    return [None] * 9, first.user_id


def move(*, board: list, turn_id: int | None, player: Seat, players: list[Seat], movement: dict) -> MoveResult:
    if turn_id != player.user_id:
        raise ApplicationError("It is not your turn.", code="not_your_turn")
    cell = movement.get("cell")
    if isinstance(cell, bool) or not isinstance(cell, int) or not 0 <= cell <= 8:
        raise ApplicationError("cell must be an integer from 0 to 8.", code="illegal_move")
    if board[cell] is not None:
        raise ApplicationError("That cell is taken.", code="illegal_move")
    board = list(board)
    board[cell] = MARKS[player.side]
    outcome = _outcome(board, player)
    other = next(p.user_id for p in players if p.user_id != player.user_id)
    return MoveResult(
        movement={"cell": cell}, changed=True, board=board, turn_id=None if outcome else other, outcome=outcome
    )


def _outcome(board: list, player: Seat) -> Outcome | None:
    mark = MARKS[player.side]
    if any(all(board[i] == mark for i in line) for line in LINES):
        return Outcome(winner_id=player.user_id, reason="win", scores={player.user_id: 1})
    if all(cell is not None for cell in board):
        return Outcome(winner_id=None, reason="draw")
    return None


def action(*, player: Seat, players: list[Seat], action: str, data: dict) -> ActionResult:
    if action == "report_score":
        raise ApplicationError("Tic-tac-toe scores are kept by the server.", code="illegal_action")
    return ActionResult()  # anything else (emotes, chat) is relayed as is


def settle(players: list[Seat]) -> Outcome | None:
    return None
