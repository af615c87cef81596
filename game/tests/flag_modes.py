"""A mode for the live tests of ``ctx.flag``: its view shows the flags its rules read."""

from gameplatform.modes import Mode
from gameplatform.modes.schema import Int, Obj


class FlagShow(Mode):
    """Reads the game's ``round-seconds`` and ``target`` and each player's ``bonus`` at setup;
    a move adds its points to the mover's score. Its view is the whole state."""

    name = "flagshow"
    min_players, max_players = 2, 2
    move_schema = Obj(points=Int(1, 3))

    def setup(self, ctx):
        return {
            "round": ctx.flag("round-seconds", 60),
            "target": ctx.flag("target", 3),
            "bonus": {str(p.id): ctx.flag("bonus", 1, player=p.id) for p in ctx.players},
            "scores": {str(p.id): 0 for p in ctx.players},
        }

    def on_move(self, state, player, movement, ctx):
        state["scores"][str(player.id)] += movement["points"]

    def view(self, state, player):
        return state
