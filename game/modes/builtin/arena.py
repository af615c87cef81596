"""Arena on the public mode API: a real-time game at 20 ticks a second; the server owns every position.

2 to 8 players stand in a square arena (``size`` units a side, the origin in a corner) and
collect gems. A client sends only where it wants to go, ``input {data: {dx, dy}}`` with each
component in [-1, 1]: a direction longer than 1 is shortened to 1, so a diagonal is not faster,
and a shorter one walks slower (an analog stick). The latest direction is kept in the state and
the players move only in ``on_tick``, at most ``speed`` units a second, inside the walls: no
input can move a player faster or put them anywhere. A player who drops stops where they are.

A player within ``pickup_radius`` of a gem collects it (+1) and a new gem appears elsewhere
(away from every player), so there are always ``gem_count`` gems; positions come from the
room's seeded ``ctx.random``, so a game replays from its seed and inputs. The game ends when a
player reaches ``target_score`` or after ``duration`` seconds of game time: the single top
scorer among the players still in the game wins, a shared top score is a draw. A player who
leaves for good leaves the field; the last one still in wins by forfeit.

Players may join a running game (``join_in_progress``), up to 8 seats: a player who joins
enters the field at their first connection, at a random spot away from everyone, with no gems.
The match list shows ``{"map": "square", "players": <players on the field>}``.

Everything is public: every player sees the same view, patched at every tick in which something
in it changed::

    {"size": 100, "target": 10, "time_left": 87,
     "players": {"<user id>": {"x": 12.34, "y": 56.7, "score": 3}},
     "gems": [[x, y], ...]}

Positions are kept on a 0.01 grid (a step is rounded towards zero, never up) and gems on whole
units, so the view is the state itself with nothing to round; ``time_left`` is whole seconds.
Only what changed in a tick is patched: with everyone standing still a tick sends nothing.
"""

import math

from gameplatform.modes import Mode, message
from gameplatform.modes.schema import Float, Obj


class Arena(Mode):
    name = "arena"
    leaderboard = "arena-gems"  # each player's gems, best kept (seed_demo makes the board)
    title = "Arena"
    description = "2 to 8 players run around a square arena collecting gems; the server moves everyone."
    min_players = 2
    max_players = 8
    tick_rate = 20
    shared_view = True  # nothing is hidden: one view for every player, made once a tick
    spectators = "everyone"  # they see what the players see
    input_rate = 30.0  # a client sends its stick's direction when it changes, at most 30 times a second
    join_in_progress = True  # a free seat may be taken while the game runs (see on_join)

    size = 100  # units a side
    speed = 20.0  # units a second at full stick
    pickup_radius = 2.5  # a player nearer than this to a gem collects it
    gem_count = 10
    target_score = 10
    duration = 90  # seconds of game time
    spawn_radius = 35.0  # players start on a circle around the centre, by seat

    # --- the game -----------------------------------------------------------------------

    def setup(self, ctx):
        players = {}
        count = len(ctx.players)
        centre = self.size / 2
        for player in ctx.players:
            angle = 2 * math.pi * player.seat / count
            players[str(player.id)] = {
                "x": round(centre + self.spawn_radius * math.cos(angle), 2),
                "y": round(centre + self.spawn_radius * math.sin(angle), 2),
                "score": 0,
            }
        state = {
            "time_left": self.duration,
            "players": players,  # on the field: public
            "gems": [],
            "dirs": {str(p.id): [0.0, 0.0] for p in ctx.players},  # latest direction: private
            "ends_at": None,  # game time of the end, from the start
            "gone": {},  # user id -> score of players who left for good
        }
        for _ in range(self.gem_count):
            state["gems"].append(self._new_gem(state, ctx))
        return state

    def view(self, state, player):
        return {
            "size": self.size,
            "target": self.target_score,
            "time_left": state["time_left"],
            "players": state["players"],
            "gems": state["gems"],
        }

    def on_start(self, state, ctx):
        state["ends_at"] = ctx.now + self.duration
        for player in ctx.players:  # out before the start (never came): off the field
            if player.out:
                self._leave_field(state, str(player.id))

    def label(self, state):
        return {"map": "square", "players": len(state["players"])}

    def on_join(self, state, player, ctx):
        """A player who took a free seat while the game ran enters the field at their first
        connection (the players seated at the start are on it from ``setup``)."""
        pid = str(player.id)
        if pid in state["players"] or pid in state["gone"]:
            return
        x, y = self._new_gem(state, ctx)  # a whole-unit spot clear of everyone, from the seeded generator
        state["players"][pid] = {"x": float(x), "y": float(y), "score": 0}
        state["dirs"][pid] = [0.0, 0.0]

    @message("input", Obj(dx=Float(-1, 1), dy=Float(-1, 1)))
    def on_input(self, state, player, data, ctx):
        dx, dy = data["dx"], data["dy"]
        length = math.hypot(dx, dy)
        if length > 1.0:
            dx, dy = dx / length, dy / length
        state["dirs"][str(player.id)] = [dx, dy]

    def on_leave(self, state, player, ctx):
        state["dirs"][str(player.id)] = [0.0, 0.0]

    def on_out(self, state, player, ctx):
        self._leave_field(state, str(player.id))
        playing = ctx.playing
        if len(playing) == 1:
            self._finish(state, ctx, winner=playing[0].id, reason="forfeit")

    def on_tick(self, state, ctx):
        step = self.speed * ctx.dt * 100  # hundredths of a unit per tick at full stick
        top = self.size * 100
        r = self.pickup_radius
        reach = r * r
        dirs = state["dirs"]
        gems = state["gems"]
        scored = False
        for pid, me in state["players"].items():
            dx, dy = dirs[pid]
            if not (dx or dy):
                continue  # a gem never appears within reach of a player: standing still collects nothing
            # In hundredths; int() rounds a step towards zero, so it is never longer than the exact one.
            x = round(me["x"] * 100) + int(dx * step)
            y = round(me["y"] * 100) + int(dy * step)
            x = me["x"] = (0 if x < 0 else top if x > top else x) / 100
            y = me["y"] = (0 if y < 0 else top if y > top else y) / 100
            for i, gem in enumerate(gems):
                gx = gem[0] - x
                if -r < gx < r:
                    gy = gem[1] - y
                    if gx * gx + gy * gy < reach:
                        me["score"] += 1
                        scored = True
                        gems[i] = self._new_gem(state, ctx)
        left = state["ends_at"] - ctx.now
        time_left = state["time_left"] = math.ceil(left - 1e-6) if left > 1e-6 else 0
        if scored and any(me["score"] >= self.target_score for me in state["players"].values()):
            self._finish(state, ctx)
        elif time_left == 0:
            self._finish(state, ctx)

    # --- helpers ----------------------------------------------------------------------

    def _new_gem(self, state, ctx) -> list[int]:
        """A gem at a random whole-unit spot: out of every player's reach, and clear of players and
        other gems when a few tries find such a spot (nearly always)."""
        low, high = math.ceil(self.pickup_radius), self.size - math.ceil(self.pickup_radius)
        reach = self.pickup_radius**2
        clear = 4 * reach
        players = [(p["x"], p["y"]) for p in state["players"].values()]
        others = players + [(g[0], g[1]) for g in state["gems"]]
        for attempt in range(64):
            x, y = ctx.random.randint(low, high), ctx.random.randint(low, high)
            near = others if attempt < 8 else players
            limit = clear if attempt < 8 else reach
            if all((x - ox) ** 2 + (y - oy) ** 2 >= limit for ox, oy in near):
                break
        return [x, y]

    @staticmethod
    def _leave_field(state, pid: str) -> None:
        me = state["players"].pop(pid, None)
        if me is not None:
            state["gone"][pid] = me["score"]
            state["dirs"][pid] = [0.0, 0.0]

    @staticmethod
    def _finish(state, ctx, *, winner: int | None = None, reason: str | None = None) -> None:
        """End the game: the players still in, best score first, then those who left; equal scores share a place."""
        scores = {int(pid): score for pid, score in state["gone"].items()}
        scores.update((int(pid), me["score"]) for pid, me in state["players"].items())
        scores = dict(sorted(scores.items()))
        playing = {p.id for p in ctx.playing}
        ranking = _places({k: v for k, v in scores.items() if k in playing})
        ranking += _places({k: v for k, v in scores.items() if k not in playing})
        if reason is None:
            winner = ranking[0] if ranking and isinstance(ranking[0], int) else None
        ctx.finish(winner=winner, reason=reason, scores=scores, ranking=ranking)


def _places(scores: dict[int, int]) -> list:
    """Ids best score first; players with equal scores share a place (a list of their ids, by id)."""
    places = []
    for score in sorted(set(scores.values()), reverse=True):
        ids = sorted(pid for pid, s in scores.items() if s == score)
        places.append(ids[0] if len(ids) == 1 else ids)
    return places
