"""Tic-tac-toe on the public mode API: the server owns the board, the turn and the result.

The first seat plays X and moves first, the second plays O. A move is ``{"cell": 0..8}``
(row-major). The contract names the codes: an out-of-turn move is ``not_your_turn``; a cell
that is not an integer in range, or is taken, is ``illegal_move`` (so ``movement`` is any small
object here, checked by the rules rather than by a schema that would answer ``invalid``).
"""

from gameplatform.modes import Mode, Reject, message
from gameplatform.modes.schema import AnyObject

LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))


class TicTacToe(Mode):
    name = "tictactoe"
    leaderboard = "tictactoe-wins"  # a win counts 1 (seed_demo makes the board, incr)
    title = "Tic-tac-toe"
    description = "Two players, three in a row wins. The server owns the board."
    min_players = max_players = 2
    state_every_change = True  # the game socket's contract: game_state after every change
    shared_view = True  # nothing is hidden
    spectators = "everyone"  # they see what the players see

    def setup(self, ctx):
        x, o = ctx.players
        return {"board": [None] * 9, "marks": {str(x.id): "X", str(o.id): "O"}}

    def on_start(self, state, ctx):
        ctx.turn = ctx.players[0].id

    @message("move", AnyObject(max_bytes=256))
    def on_move(self, state, player, movement, ctx):
        if ctx.turn != player.id:
            raise Reject("not_your_turn", "It is not your turn.")
        cell = movement.get("cell")
        if isinstance(cell, bool) or not isinstance(cell, int) or not 0 <= cell <= 8:
            raise Reject("illegal_move", "cell must be an integer from 0 to 8.")
        if state["board"][cell] is not None:
            raise Reject("illegal_move", "That cell is taken.")
        mark = state["marks"][str(player.id)]
        state["board"][cell] = mark
        ctx.relay({"type": "player_move", "user_id": player.id, "movement": {"cell": cell}})
        if any(all(state["board"][i] == mark for i in line) for line in LINES):
            ctx.finish(winner=player.id, scores={player.id: 1})
        elif all(c is not None for c in state["board"]):
            ctx.finish(winner=None)
        else:
            ctx.turn = ctx.next_turn()

    @message("*", AnyObject())  # emotes and the like are relayed; report_score is refused
    def on_action(self, state, player, action, data, ctx):
        if action == "report_score":
            raise Reject("illegal_action", "Tic-tac-toe scores are kept by the server.")
        ctx.relay({"type": "game_action", "user_id": player.id, "action": action, "data": data})
