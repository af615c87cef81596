"""Relay: the generic mode for client-simulated games (seed 000).

The server checks the shape of moves and actions (JSON objects, size-limited by
the socket) and relays them to the room; it keeps no board. Clients report the
result with ``game_action {action: "report_score", data: {scores: {"<user_id>": n}}}``
naming every player still in the game. The game ends when every such player has
reported the same scores: the single top score wins, a shared top score is a
draw. Disagreeing reports end nothing; a player may report again to correct theirs.
"""

from game.modes.base import ActionResult, MoveResult, Outcome, Seat
from gameplatform.errors import ApplicationError

NAME = "relay"
MIN_PLAYERS = 2
MAX_PLAYERS = 64
MAX_SCORE = 10**9


def start(players: list[Seat]) -> tuple[None, None]:
    return None, None


def move(*, board, turn_id, player: Seat, players: list[Seat], movement: dict) -> MoveResult:
    return MoveResult(movement=movement)


def action(*, player: Seat, players: list[Seat], action: str, data: dict) -> ActionResult:
    if action != "report_score":
        return ActionResult()
    return ActionResult(report=_parse_scores(data, players))


def _parse_scores(data: dict, players: list[Seat]) -> dict[int, int]:
    raw = data.get("scores")
    if not isinstance(raw, dict):
        raise ApplicationError("report_score needs data.scores: {user_id: score}.", code="illegal_action")
    scores = {}
    for key, value in raw.items():
        if not str(key).isdigit() or isinstance(value, bool) or not isinstance(value, int):
            raise ApplicationError("Scores are integers keyed by user id.", code="illegal_action")
        if not 0 <= value <= MAX_SCORE:
            raise ApplicationError("Scores are between 0 and 10^9.", code="illegal_action")
        scores[int(key)] = value
    expected = {p.user_id for p in players if not p.forfeited}
    if set(scores) != expected:
        raise ApplicationError("Report a score for every player still in the game.", code="illegal_action")
    return scores


def settle(players: list[Seat]) -> Outcome | None:
    """The result once every player still in the game reported the same scores."""
    active = [p for p in players if not p.forfeited]
    reports = [_normalised(p.reported_scores) for p in active]
    if not reports or any(r is None for r in reports) or any(r != reports[0] for r in reports):
        return None
    scores = reports[0]
    if set(scores) != {p.user_id for p in active}:
        return None
    top = max(scores.values())
    leaders = [uid for uid, score in scores.items() if score == top]
    if len(leaders) == 1:
        return Outcome(winner_id=leaders[0], reason="win", scores=scores)
    return Outcome(winner_id=None, reason="draw", scores=scores)


def _normalised(report: dict | None) -> dict[int, int] | None:
    return None if report is None else {int(k): int(v) for k, v in report.items()}
