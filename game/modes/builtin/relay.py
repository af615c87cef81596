"""Relay on the public mode API: the generic mode for client-simulated games (seed 000).

The server checks the shape of moves and actions (JSON objects of bounded size) and relays them
to the room; it keeps no board. Clients report the result with
``game_action {action: "report_score", data: {scores: {"<user_id>": n}}}`` naming every player
still in the game. The game ends when every such player has reported the same scores: the single
top score wins, a shared top score is a draw. Disagreeing reports end nothing; a player may
report again to correct theirs. The reports are in the state, so a room taken over by another
process still has them.
"""

from gameplatform.modes import Mode, Reject, message
from gameplatform.modes.schema import AnyObject

MAX_SCORE = 10**9


class Relay(Mode):
    name = "relay"
    title = "Relay"
    description = "Client-simulated games: moves are relayed, the players report the scores and must agree."
    min_players = 2
    max_players = 64
    state_every_change = True  # the game socket's contract: game_state after every change
    shared_view = True  # nothing is hidden
    spectators = "everyone"  # they see what the players see
    input_rate = 60.0  # positions streamed by a 60 Hz client loop

    def setup(self, ctx):
        return {"reports": {}}

    def view(self, state, player):
        return {"reports": state["reports"]}

    @message("move", AnyObject())
    def on_move(self, state, player, movement, ctx):
        ctx.relay({"type": "player_move", "user_id": player.id, "movement": movement})

    @message("*", AnyObject())
    def on_action(self, state, player, action, data, ctx):
        if action == "report_score":
            scores = _parse_scores(data, ctx)
            state["reports"][str(player.id)] = {str(k): v for k, v in scores.items()}
        ctx.relay({"type": "game_action", "user_id": player.id, "action": action, "data": data})
        if action == "report_score":
            _settle(state, ctx)

    def on_out(self, state, player, ctx):
        super().on_out(state, player, ctx)
        _settle(state, ctx)


def _parse_scores(data: dict, ctx) -> dict[int, int]:
    raw = data.get("scores")
    if not isinstance(raw, dict):
        raise Reject("illegal_action", "report_score needs data.scores: {user_id: score}.")
    scores = {}
    for key, value in raw.items():
        # Player ids: ASCII digits only (``str.isdigit`` also takes "²" and other digits ``int`` refuses).
        if not (isinstance(key, str) and key.isascii() and key.isdigit()) or isinstance(value, bool):
            raise Reject("illegal_action", "Scores are integers keyed by user id.")
        if not isinstance(value, int):
            raise Reject("illegal_action", "Scores are integers keyed by user id.")
        if not 0 <= value <= MAX_SCORE:
            raise Reject("illegal_action", "Scores are between 0 and 10^9.")
        scores[int(key)] = value
    if set(scores) != {p.id for p in ctx.playing}:
        raise Reject("illegal_action", "Report a score for every player still in the game.")
    return scores


def _settle(state: dict, ctx) -> None:
    """The result once every player still in the game reported the same scores for exactly them."""
    if ctx.result is not None:
        return
    playing = {str(p.id) for p in ctx.playing}
    reports = [state["reports"].get(pid) for pid in playing]
    if not reports or any(r is None for r in reports) or any(r != reports[0] for r in reports):
        return
    if set(reports[0]) != playing:
        return
    scores = {int(k): v for k, v in reports[0].items()}
    top = max(scores.values())
    leaders = [uid for uid, score in scores.items() if score == top]
    ranking = sorted(scores, key=lambda uid: -scores[uid])
    ctx.finish(winner=leaders[0] if len(leaders) == 1 else None, scores=scores, ranking=ranking)
