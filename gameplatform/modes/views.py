"""What a room's viewers see: their ``game_state``, their ``state_patch`` frames, the frames not yet
handed over, and each frame's JSON text.

A room (``gameplatform.modes.room``) changes the game; its ``Views`` turns the change into frames:

- ``game_state``: the whole game with one viewer's ``view`` (a player's, or the spectators' for
  ``SPECTATORS``); from then on that viewer's patches start from it;
- ``sync``: a ``state_patch {tick, ops, turn, turn_deadline[, timers]}`` for each viewer whose view
  or clock changed since they were last sent one: the JSON Patch from the view they were sent to the
  one they may see now, or the whole view where that is shorter;
- ``drain`` and ``drain_encoded``: the frames made since the last call, as data or as JSON texts.

Each pending frame is kept with its text once it has one (a patch is written while its size is
weighed, and viewers who share a frame share its text), so nothing is encoded twice and no text
is looked up by the identity of a frame that may be gone.
"""

import json
from collections.abc import Iterator

from gameplatform.modes.api import Mode, Player
from gameplatform.modes.patch import patch_to
from gameplatform.modes.phases import ACTIVE, SPECTATORS

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encode_json(value) -> str:
    """A frame (or a view) as compact JSON text, by the standard library (``Room.encode``)."""
    return _ENCODER.encode(value)


def written_json(text: str, data):
    """A part of a frame already written as ``text`` (``Room.written``): the standard library
    writes its ``data`` again; an encoder that can (orjson's ``Fragment``) takes the text as it is."""
    return data


# A frame a room made, ``(to, frame, text, patch)``: for ``to`` (a player id, ``SPECTATORS``, or
# None: everyone), with its JSON ``text`` once written, and for a state patch sent as the whole
# view, the text of the same change as a JSON Patch (``patch``), for the sockets whose encoding
# carries a patch shorter than the view. A plain tuple: a tick makes one per viewer.
Outgoing = tuple


class Views:
    """What each viewer of one room was last sent, and the frames the room has not handed over."""

    def __init__(self, room) -> None:
        self.room = room
        # viewer -> (their view as JSON data, (turn, deadline, timers)) as last sent. A view kept
        # here is never changed in place: a tick's view is a new one sharing its unchanged parts.
        self.sent: dict[int, tuple] = {}
        self.pending: list[Outgoing] = []
        self.dirty = False  # the game may have changed what someone sees since the last sync
        self._state_view: tuple[str, object] = ("", None)  # the last game_state's view: text, data

    def push(self, to: int | None, frame: dict) -> None:
        self.pending.append((to, frame, None, None))

    def save(self) -> tuple:
        """What a failed step puts back (``restore``): the frames made before it, what was sent."""
        return len(self.pending), self.sent.copy(), self.dirty

    def restore(self, saved: tuple) -> None:
        made, self.sent, self.dirty = saved
        del self.pending[made:]

    # --- a viewer's whole game ---------------------------------------------------------

    def game_state(self, viewer: int) -> dict:
        """A fresh ``game_state`` for ``viewer`` (a player's id or ``SPECTATORS``)."""
        room = self.room
        room.hook = "view"
        live = self.spectator_view() if viewer == SPECTATORS else room.mode.view(room.state, room.player(viewer))
        text = room.encode(live)
        if text == self._state_view[0]:  # viewers who see the same view share it: their patches too
            view = self._state_view[1]
        else:
            view = json.loads(text)
            self._state_view = (text, view)
        self.sent[viewer] = (view, self.clock())
        result = room.ctx.result if room.over else None
        return {
            "type": "game_state",
            "id": room.game_id,
            "mode": room.mode.name,
            "state": room.phase,
            "players": [player_payload(p) for p in room.players],
            "board": view.get("board") if isinstance(view, dict) else None,
            "turn": room.ctx.turn if room.phase == ACTIVE else None,
            "turn_deadline": self.deadline_left(),
            **({"timers": timers} if (timers := self.timers_left()) else {}),
            "winner_id": result.winner if result else None,
            "reason": result.reason if result else None,
            "lobby_id": room.lobby_id,
            "version": room.version,
            "tick": room.ctx.tick,
            "view": view,
        }

    def spectator_view(self, shared=None):
        """The spectators' view (the shared view itself when the mode's spectators see it)."""
        room = self.room
        if shared is not None and type(room.mode).spectator_view is Mode.spectator_view:
            return shared
        room.hook = "spectator_view"
        view = room.mode.spectator_view(room.state)
        room.hook = "view"
        return view

    def clock(self) -> tuple:
        """Whose turn and until when, and the public timers (game time): a change is sent in a patch."""
        room = self.room
        if room.phase != ACTIVE:
            return (None, None, ())
        public = tuple(sorted((name, at) for name, (at, _, shown) in room.ctx.timers.items() if shown))
        return (room.ctx.turn, room.turn_deadline, public)

    def timers_left(self) -> dict[str, float]:
        """The public timers' seconds left (what the frames carry)."""
        return {name: round(max(0.0, at - self.room.ctx.now), 3) for name, at in self.clock()[2]}

    def deadline_left(self) -> float | None:
        room = self.room
        if room.turn_deadline is None or room.phase != ACTIVE:
            return None
        return round(max(0.0, room.turn_deadline - room.ctx.now), 3)

    # --- what changed --------------------------------------------------------------------

    def sync(self) -> bool:
        """A ``state_patch`` for each connected viewer whose view (or clock) changed since they were
        last sent one; True when the game changed for anyone (a new version)."""
        if not self.dirty:
            return False
        self.dirty = False
        room = self.room
        clock = self.clock()
        room.hook = "view"
        # Viewers with the same last view (the same object: a shared view's patches keep it so) and
        # the same view now share one frame: diffed and encoded once.
        made: dict[tuple[int, int], Outgoing] = {}
        unchanged: set[tuple[int, int]] = set()
        held = []  # the views keyed by id stay alive until the end: no id is reused meanwhile
        shared = room.mode.view(room.state, None) if room.mode.shared_view else None
        viewers = [p for p in room.players if p.connected and p.id in self.sent]
        if room.watched and SPECTATORS in self.sent:
            viewers.append(None)  # the spectators: one patch for all of them, wherever they are
        for player in viewers:
            viewer = SPECTATORS if player is None else player.id
            sent = self.sent[viewer]
            if player is None:
                live = self.spectator_view(shared)
            else:
                live = shared if shared is not None else room.mode.view(room.state, player)
            key = (id(sent[0]), id(live))
            held.append((sent, live))
            if key in unchanged and clock == sent[1]:
                continue
            out = made.get(key)
            if out is None:
                # The view's Python objects against the JSON data last sent: no encoding, and
                # nothing at all made for a view that did not change.
                ops, view = patch_to(sent[0], live)
                if not ops and clock == sent[1]:
                    unchanged.add(key)
                    continue
                if not ops:
                    unchanged.add(key)
                out = made[key] = self._patch(ops, view, live, clock, sent[1])
            _, frame, text, patch = out
            self.sent[viewer] = (frame["view"], clock)
            self.pending.append((viewer, frame, text, patch))
        for out in made.values():
            del out[1]["view"]
        if made:
            room.version += 1
        return bool(made)

    def _patch(self, ops: list, view, live, clock: tuple, sent_clock: tuple) -> Outgoing:
        """One ``state_patch``, its text and (sent as the whole view) its JSON Patch's text.

        The whole view goes when it is shorter than the patch: the ops' encoded length is at least
        26 characters each plus their paths, which often settles it without encoding. The patch is
        kept beside it when it is under twice the view's length: an encoding may carry a patch in
        about a quarter of its JSON length but a view in two thirds (``drain_encoded``)."""
        encode, written = self.room.encode, self.room.written
        text = encode(live) if len(ops) > 1 else None
        least = sum(26 + len(op["path"]) for op in ops) if text is not None else 0
        ops_text = None if text is not None and least >= 2 * len(text) else encode(ops)
        patch_ops = written(ops_text, ops) if ops_text is not None else None
        as_patch = None
        if text is not None and (least > len(text) or len(ops_text) > len(text)):
            if ops_text is not None and len(ops_text) < 2 * len(text):
                as_patch = patch_ops
            ops = [{"op": "replace", "path": "", "value": view}]
            patch_ops = [{"op": "replace", "path": "", "value": written(text, view)}]
        frame = {
            "type": "state_patch",
            "tick": self.room.ctx.tick,
            "ops": ops,
            "turn": clock[0],
            "turn_deadline": self.deadline_left(),
        }
        if clock[2] or sent_clock[2]:  # the public timers, while there are some and once gone
            frame["timers"] = self.timers_left()
        # The texts from the parts already written (the ops, the view), not written again.
        patch = None if as_patch is None else encode({**frame, "ops": as_patch})
        out = (None, frame, encode({**frame, "ops": patch_ops}), patch)
        frame["view"] = view  # what the viewers were sent, until the sync is over
        return out

    def final_frames(self) -> Iterator[tuple[int, str]]:
        """A game that is over, told again to every player: their last ``game_state``, then ``game_over``."""
        room = self.room
        try:
            states = [(p.id, room.encode(self.game_state(p.id))) for p in room.players]
        except Exception:  # a mode whose views fail: ``game_over`` alone
            states = []
        yield from states
        result = room.ctx.result
        yield 0, room.encode({"type": "game_over", "winner_id": result.winner, "reason": result.reason})

    # --- handing the frames over ---------------------------------------------------------

    def drain(self) -> list[tuple[int | None, dict]]:
        """The frames made since the last call, state patches last, as ``(to, frame)``."""
        self.sync()
        pending, self.pending = self.pending, []
        return [(to, frame) for to, frame, _, _ in pending]

    def drain_encoded(self) -> list[tuple]:
        """``drain()`` as JSON texts: ``(player id, or 0 for everyone, text)``, and a third item, the
        JSON Patch's text, for a state patch sent as the whole view whose patch is under twice its
        length (the sockets whose encoding carries the patch shorter send it instead)."""
        self.sync()
        pending, self.pending = self.pending, []
        texts: dict[int, str] = {}  # one frame for several players is written once (they are all alive here)
        encode = self.room.encode
        out = []
        for to, frame, text, patch in pending:
            if text is None:
                text = texts.get(id(frame))
                if text is None:
                    text = texts[id(frame)] = encode(frame)
            to = 0 if to is None else to
            out.append((to, text) if patch is None else (to, text, patch))
        return out


def player_payload(p: Player) -> dict:
    """A player as ``game_state`` lists them."""
    return {
        "id": p.id,
        "username": p.username,
        "score": p.score,
        "side": p.side,
        "ready": p.ready,
        "connected": p.connected,
        "forfeited": p.out,
    }
