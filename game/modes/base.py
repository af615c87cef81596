"""What a rule engine sees and answers: plain data, no ORM, so engines stay pure and easy to test."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Seat:
    user_id: int
    seat: int
    side: str
    score: int
    forfeited: bool
    reported_scores: dict | None


@dataclass(frozen=True)
class Outcome:
    """How a game ended: ``winner_id`` None with reason ``draw``; ``scores`` by user id, if the engine sets them."""

    winner_id: int | None
    reason: str
    scores: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class MoveResult:
    movement: dict  # what is relayed to the room in ``player_move``
    changed: bool = False  # board / turn changed: persist and send ``game_state``
    board: object = None
    turn_id: int | None = None
    outcome: Outcome | None = None


@dataclass(frozen=True)
class ActionResult:
    report: dict[int, int] | None = None  # a score report to store on the player
