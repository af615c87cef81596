"""Battleship on the public mode API: hidden fleets, one shot a turn, a turn clock.

Two players, each with a 10×10 grid and a fleet of five ships (lengths 5, 4, 3, 3, 2). A ship
is ``{x, y, length, horizontal}``: ``x`` is the column and ``y`` the row of its first cell, and it
runs to the right (horizontal) or down. The server places both fleets when the game is made,
with the room's seeded ``ctx.random``: inside the grid, never overlapping (ships may touch). So a
game replays from its seed and its shots. Players do not place their own ships: a room takes
frames only once the game is active, and a placement after the first shot would be unfair.

The first seat fires first. A shot is ``player_move {movement: {x, y}}`` at the opponent's grid,
``x`` and ``y`` from 0 to 9 (``invalid`` otherwise). Firing out of turn is refused with
``not_your_turn``, at a cell you already fired at with ``already_fired``; nothing changes then.
The turn passes after every shot, hit or miss (the classic rule). Both players get every shot:
``player_move {user_id, movement: {x, y}}``, then ``game_event {event: {kind: "shot", by, x, y,
hit, sunk}}`` where ``sunk`` is the ship the shot sank (``{x, y, length, horizontal}``) or null.
Sinking the opponent's last ship wins; each player's score is the number of hits they made (also
when the other forfeits). A turn lasts at most 30 seconds: whoever lets it run out loses the turn,
not the game.

What a player sees (``view``)::

    {"size": 10, "fleet": [5, 4, 3, 3, 2], "opponent": <user id>,
     "mine": {"ships": [{x, y, length, horizontal, hits, sunk}], "shots": [{x, y, hit}]},
     "theirs": {"shots": [{x, y, hit}], "sunk": [{x, y, length, horizontal}]}}

``mine.shots`` are the opponent's shots at my grid, ``theirs.shots`` mine at theirs, in the order
fired (a new shot is one ``add`` at the end of the list in the patch). An opponent's ship shows
in ``theirs.sunk`` once it is sunk, in the order sunk; where their other ships lie never leaves
the server, not even when the game is over.

Anyone may watch (``spectators``); a spectator sees each player's shots and the ships they sank,
never a fleet's other ships::

    {"size": 10, "fleet": [5, 4, 3, 3, 2],
     "players": {"<user id>": {"shots": [{x, y, hit}], "sunk": [{x, y, length, horizontal}]}, ...}}
"""

from gameplatform.modes import Context, Mode, Player, Reject, message
from gameplatform.modes.schema import Int, Obj

SIZE = 10
FLEET = (5, 4, 3, 3, 2)


def ship_cells(ship: dict) -> set[tuple[int, int]]:
    """The ``(x, y)`` cells a ship ``{x, y, length, horizontal}`` covers."""
    x, y, length = ship["x"], ship["y"], ship["length"]
    if ship["horizontal"]:
        return {(x + i, y) for i in range(length)}
    return {(x, y + i) for i in range(length)}


def random_fleet(rng, *, size: int = SIZE, fleet: tuple[int, ...] = FLEET) -> list[dict]:
    """Ships of the ``fleet``'s lengths, placed at random inside a ``size`` grid without overlaps."""
    taken: set[tuple[int, int]] = set()
    ships = []
    for length in fleet:
        while True:
            horizontal = rng.random() < 0.5
            x = rng.randrange(size - length + 1 if horizontal else size)
            y = rng.randrange(size if horizontal else size - length + 1)
            ship = {"x": x, "y": y, "length": length, "horizontal": horizontal}
            cells = ship_cells(ship)
            if taken.isdisjoint(cells):
                break
        taken |= cells
        ships.append(ship)
    return ships


def _public(ship: dict) -> dict:
    return {"x": ship["x"], "y": ship["y"], "length": ship["length"], "horizontal": ship["horizontal"]}


class Battleship(Mode):
    name = "battleship"
    title = "Battleship"
    description = "Two hidden fleets on 10×10 grids. One shot a turn; sink every enemy ship to win."
    min_players = max_players = 2
    turn_seconds = 30
    spectators = "everyone"  # each side's shots and the ships sunk, never a fleet (``spectator_view``)
    turn_timeout = "pass"

    # The state, keyed by user id as a string (it goes through JSON in snapshots):
    #   seats: [id, id]; ships: {id: [{x, y, length, horizontal, hits}]} (that player's fleet);
    #   shots: {id: [{x, y, hit}]} (fired by that player); sunk: {id: [index of an opponent's ship]}.

    def place_fleet(self, player: Player, ctx: Context) -> list[dict]:
        """``player``'s ships ``{x, y, length, horizontal}``, laid when the game is made."""
        return random_fleet(ctx.random)

    def setup(self, ctx):
        return {
            "seats": [p.id for p in ctx.players],
            "ships": {str(p.id): [{**s, "hits": 0} for s in self.place_fleet(p, ctx)] for p in ctx.players},
            "shots": {str(p.id): [] for p in ctx.players},
            "sunk": {str(p.id): [] for p in ctx.players},
        }

    def on_start(self, state, ctx):
        ctx.turn = ctx.players[0].id

    @message("move", Obj(x=Int(0, SIZE - 1), y=Int(0, SIZE - 1)))
    def on_move(self, state, player, movement, ctx):
        if ctx.turn != player.id:
            raise Reject("not_your_turn", "It is not your turn.")
        x, y = movement["x"], movement["y"]
        shots = state["shots"][str(player.id)]
        if any(s["x"] == x and s["y"] == y for s in shots):
            raise Reject("already_fired", "You already fired at that cell.")
        target = _opponent(state, player.id)
        fleet = state["ships"][str(target)]
        index = next((i for i, ship in enumerate(fleet) if (x, y) in ship_cells(ship)), None)
        shots.append({"x": x, "y": y, "hit": index is not None})
        sunk = None
        if index is not None:
            ship = fleet[index]
            ship["hits"] += 1
            if ship["hits"] == ship["length"]:
                state["sunk"][str(player.id)].append(index)
                sunk = _public(ship)
        ctx.relay({"type": "player_move", "user_id": player.id, "movement": {"x": x, "y": y}})
        ctx.send({"kind": "shot", "by": player.id, "x": x, "y": y, "hit": index is not None, "sunk": sunk})
        if len(state["sunk"][str(player.id)]) == len(fleet):
            ctx.finish(winner=player.id, scores=_hits(state), ranking=[player.id, target])
        else:
            ctx.turn = ctx.next_turn()

    def on_out(self, state, player, ctx):
        playing = ctx.playing
        if len(playing) == 1:
            ctx.finish(winner=playing[0].id, reason="forfeit", scores=_hits(state))

    def spectator_view(self, state):
        return {
            "size": SIZE,
            "fleet": list(FLEET),
            "players": {
                pid: {
                    "shots": shots,
                    "sunk": [_public(state["ships"][str(_opponent(state, int(pid)))][i]) for i in state["sunk"][pid]],
                }
                for pid, shots in state["shots"].items()
            },
        }

    def view(self, state, player):
        me = str(player.id)
        them = _opponent(state, player.id)
        their_fleet = state["ships"][str(them)]
        return {
            "size": SIZE,
            "fleet": list(FLEET),
            "opponent": them,
            "mine": {
                "ships": [
                    {**_public(s), "hits": s["hits"], "sunk": s["hits"] == s["length"]} for s in state["ships"][me]
                ],
                "shots": state["shots"][str(them)],
            },
            "theirs": {
                "shots": state["shots"][me],
                "sunk": [_public(their_fleet[i]) for i in state["sunk"][me]],
            },
        }


def _opponent(state: dict, player_id: int) -> int:
    first, second = state["seats"]
    return second if player_id == first else first


def _hits(state: dict) -> dict[int, int]:
    return {int(pid): sum(s["hit"] for s in shots) for pid, shots in state["shots"].items()}
