"""Every frame a socket sends its game's room is answered, within a bound, whatever happens to the room.

Two ``RoomHost`` objects with different owner ids play two server processes on one Redis (as in
``test_room_host``). A frame whose room runs on another process is forwarded there through the
game's group and kept by the socket's process until the owner's receipt comes back: while the
room moves (its owner died, nobody hears the group until the lease runs out) it is sent again,
to the new owner or to the room opened here, and the room knows a frame it took already, also
across a takeover, so nothing is applied twice. Past the bound (twice the lease) the frame is
answered ``unavailable`` where it was sent.
"""

import asyncio
import json
import logging
import time
from dataclasses import replace

import pytest

from conftest import requires_redis
from game.modes.builtin.tictactoe import TicTacToe
from game.tests.test_room_host import Counter, Heard, Records, start_game
from gameplatform.broadcast.groups import game_group
from gameplatform.broadcast.hub import get_hub
from gameplatform.core.logs import RequestIdFilter, request_id_var
from gameplatform.modes import Mode
from gameplatform.modes.commands import Action, Connect, Disconnect, Forfeit, Input, Move, Ready
from gameplatform.modes.room import forwarded_key
from gameplatform.modes.schema import Int, Obj
from gameplatform.rooms import RoomHost
from gameplatform.rooms.host import answer_seconds
from gameplatform.rooms.wire import OP_SIGNAL, Sending

pytestmark = [requires_redis, pytest.mark.django_db]


@pytest.fixture
def short_lease(settings):
    settings.ROOM_LEASE_SECONDS = 1.0


class Sockets(Records):
    """``Records``, and the sockets' processes: a delivery's receipts reach the host that forwarded
    the frames (as a socket of the game on that process hands them over); ``lose`` receipts are
    lost on the way."""

    def __init__(self, mode, players: int = 2) -> None:
        super().__init__(mode, players)
        self.hosts: list[RoomHost] = []
        self.lose = 0
        self.heard = Heard()

    def wire(self):
        wire = super().wire()
        record = wire.publish

        async def publish(game_id, delivery):
            await record(game_id, delivery)
            if delivery.took and self.lose:
                self.lose -= 1
                return
            for host in self.hosts:
                host.heard(delivery.took)

        return replace(wire, publish=publish, listen=self.heard.listen, unlisten=self.heard.unlisten)

    def host(self, owner: str, **changes) -> RoomHost:
        host = RoomHost(replace(self.hooks(), **changes), wire=self.wire(), owner=owner)
        self.hosts.append(host)
        return host

    def frames_of(self, player_id: int, kind: str) -> list[dict]:
        return [f for f in self.frames_for(player_id) if f["type"] == kind]

    async def until(self, test, seconds: float = 5.0) -> bool:
        for _ in range(int(seconds / 0.02)):
            if test():
                return True
            await asyncio.sleep(0.02)
        return test()


async def taken_over(host: RoomHost, game_id: int, seconds: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    began = loop.time()
    while game_id not in host.rooms:
        await host.keep_leases_once()
        await asyncio.sleep(0.05)
        assert loop.time() - began < seconds, "nobody took the room over"


async def test_a_move_sent_while_the_rooms_owner_is_dead_is_taken_once_by_the_next_owner_and_acked(
    short_lease, settings
):
    """The owner dies; a player still connected to another process moves before anyone took the
    room over. Nobody hears the game's group then: the move is sent again until the room runs
    somewhere (here: that process takes it over), then applied once and answered."""
    settings.ROOM_ANSWER_SECONDS = 5.0  # a busy machine's takeover may take more than twice the 1 s lease
    sockets = Sockets(TicTacToe())
    a, b = sockets.host("a"), sockets.host("b")
    try:
        await start_game(a, 7)
        b.watch(7)  # player 1's socket is on b
        await a.stop(release=False)  # a dies: its lease runs out in 1 s
        await b.submit(7, Move(1, {"cell": 4}), Sending(ref="m1", conn="socket-1", seat=1))
        assert b.forwarded  # nobody took it yet
        await taken_over(b, 7)
        assert await sockets.until(lambda: {"type": "ack", "ref": "m1"} in sockets.frames_for(1))
        moves = sockets.frames_of(2, "player_move")
        assert [m["movement"] for m in moves] == [{"cell": 4}]
        assert b.rooms[7].state["board"][4] == "X" and not b.forwarded
    finally:
        await a.stop()
        await b.stop()


async def test_a_forwarded_move_whose_receipt_was_lost_is_sent_again_and_answered_without_being_played_twice(
    short_lease,
):
    sockets = Sockets(TicTacToe())
    a, b = sockets.host("a"), sockets.host("b")
    try:
        await start_game(a, 8)
        sockets.lose = 1  # the owner's first receipt never reaches b
        await b.submit(8, Move(1, {"cell": 0}), Sending(ref="m1", conn="socket-1", seat=1))
        assert await sockets.until(lambda: not b.forwarded)
        acks = sockets.frames_of(1, "ack")
        assert acks == [{"type": "ack", "ref": "m1"}, {"type": "ack", "ref": "m1", "duplicate": True}]
        assert len(sockets.frames_of(2, "player_move")) == 1
        assert a.rooms[8].state["board"] == ["X"] + [None] * 8
    finally:
        await a.stop()
        await b.stop()


async def test_a_frame_forwarded_to_an_owner_that_died_after_taking_it_is_not_applied_again_by_the_next(short_lease):
    """A real-time room's input is in its owner's journal (not yet in a snapshot) when the owner
    dies with the input's receipt lost. The process that takes the room over replays the journal
    and knows the input: sent again, it is answered ``duplicate``, not applied a second time."""
    sockets = Sockets(Counter())
    a, b = sockets.host("a"), sockets.host("b")
    try:
        await start_game(a, 9)
        sockets.lose = 1000  # no receipt reaches b while a lives
        await b.submit(9, Input(1, {"step": 3}), Sending(ref="i1", conn="socket-1", seat=1))
        (forwarded,) = b.forwarded
        assert await sockets.until(lambda: {"type": "ack", "ref": "i1"} in sockets.frames_for(1))
        await asyncio.sleep(0.1)  # the input's step is in a's journal (the next write)
        b.watch(9)
        await a.stop(release=False)  # before b sent the input again (0.5 s)
        assert {"type": "ack", "ref": "i1", "duplicate": True} not in sockets.frames_for(1)
        sockets.lose = 0
        await taken_over(b, 9)
        assert b.rooms[9].took(forwarded_key(forwarded))  # rebuilt from the snapshot and a's journal
        assert await sockets.until(lambda: not b.forwarded)
        assert {"type": "ack", "ref": "i1", "duplicate": True} in sockets.frames_for(1)
    finally:
        await a.stop()
        await b.stop()


async def test_a_frame_no_room_takes_within_the_bound_is_answered_unavailable_with_its_ref(short_lease):
    """Nobody can run the room (its seats cannot be read): the frame is not lost in silence. Past
    twice the lease the player's socket gets ``error unavailable`` with the frame's ``ref`` and a
    ``retry_after``; a socket whose ``connect`` got no answer is told to close (1013)."""
    sockets = Sockets(TicTacToe())
    records_seating = sockets.hooks().seating

    async def seating(game_id):
        return None if game_id == 10 else await records_seating(game_id)

    b = sockets.host("b", seating=seating)
    try:
        b.watch(10)
        loop = asyncio.get_running_loop()
        sent = loop.time()
        await b.submit(10, Connect(1), Sending(conn="socket-1", seat=1))
        await b.submit(10, Move(1, {"cell": 4}), Sending(ref="m1", conn="socket-1", seat=1))
        assert await sockets.until(lambda: sockets.frames_of(1, "error"), answer_seconds() + 2)
        waited = loop.time() - sent
        (error,) = sockets.frames_of(1, "error")
        assert error["code"] == "unavailable" and error["ref"] == "m1" and error["retry_after"] == 1
        assert answer_seconds() <= waited < answer_seconds() + 1.5
        assert any(delivery.unanswered == ("socket-1",) for _, delivery in sockets.published)
        assert not b.forwarded
    finally:
        await b.stop()


async def test_a_frame_the_client_sends_again_after_a_reconnect_is_acked_once_more_not_played_again(short_lease):
    """A client whose socket closed before the answer sends the frame again, with its ``ref``
    and ``resent``, on its new socket: a move that counted is answered ``ack`` with ``duplicate``
    and not played twice. A ref used again for another frame, not marked ``resent``, is a new
    frame as it always was."""
    sockets = Sockets(TicTacToe())
    a = sockets.host("a")
    try:
        await start_game(a, 11)
        await a.apply(11, Move(1, {"cell": 0}), Sending("m1", "socket-1", seat=1))
        await a.apply(11, Connect(1), Sending(conn="socket-2", seat=2))  # the client came back
        await a.apply(11, Move(1, {"cell": 0}), Sending("m1", "socket-2", seat=2, resent=True))
        assert sockets.frames_of(1, "ack")[-1] == {"type": "ack", "ref": "m1", "duplicate": True}
        assert len(sockets.frames_of(2, "player_move")) == 1
        await a.apply(11, Move(2, {"cell": 4}), Sending("m1", "socket-3", seat=1))
        await a.apply(11, Move(1, {"cell": 1}), Sending("m1", "socket-2", seat=2))  # the ref again, a new move
        assert a.rooms[11].state["board"][:5] == ["X", "X", None, None, "O"]
    finally:
        await a.stop()


class Tally(Mode):
    """Every action a player's frames made, in order: one applied twice shows."""

    name = "tally"
    min_players = max_players = 2
    action_schemas = {"add": Obj(n=Int(0, 100))}

    def setup(self, ctx):
        return {"added": []}

    def on_action(self, state, player, action, data, ctx):
        state["added"].append(data["n"])


async def test_a_dead_sockets_frame_that_arrives_after_the_client_sent_it_again_on_its_new_socket_is_not_applied(
    short_lease,
):
    """The socket's process forwarded a frame and died with it still on its way (the owner was
    busy, or opening the room). The client connected again on another process and sent the frame
    again (``resent``), which the room took. The dead socket's copy, arriving last, is not the
    first sending of a new frame: its socket's seat is held by a newer one, so it changes nothing,
    and the old socket is told it was replaced (the issue-#55 property test caught this under load:
    an action applied twice)."""
    sockets = Sockets(Tally())
    a = sockets.host("a")
    try:
        await start_game(a, 12)
        await a.apply(12, Connect(1), Sending(conn="b-socket", seat=1, here=False))  # on process b
        # b forwards the frame and dies; its copy is still on its way to a.
        await a.apply(12, Connect(1), Sending(conn="a-socket", seat=2))  # the client came back, on a
        await a.apply(12, Action(1, "add", {"n": 7}), Sending("n7", "a-socket", seat=2, resent=True))
        until = time.time() + answer_seconds()
        late = Action(1, "add", {"n": 7})
        await a.apply(12, late, Sending("n7", "b-socket", seat=1, here=False, forwarded="b.1", until=until))
        assert a.rooms[12].state["added"] == [7]
        assert sockets.frames_of(1, "ack") == [{"type": "ack", "ref": "n7"}]
        assert any("b-socket" in delivery.replaced for _, delivery in sockets.published)
        assert any("b.1" in delivery.took for _, delivery in sockets.published)  # b's forwarder is done with it
    finally:
        await a.stop()


async def test_a_room_remembers_the_frames_of_its_last_seconds_at_most_a_bounded_number_and_snapshots_them():
    from gameplatform.modes.room import TAKEN_KEPT, TAKEN_SECONDS, ref_key
    from gameplatform.modes.testing import seated
    from gameplatform.rooms.server_room import Room

    room = Room(TicTacToe(), game_id=1, players=seated(2), seed=1)
    for pid in (1, 2):
        room.step(0.0, Connect(pid))
    for n in range(TAKEN_KEPT):  # two keys a frame: the newest TAKEN_KEPT keys are kept
        room.step(1.0, Ready(1), frame=(f"f{n}", n))
    assert len(room.taken) == TAKEN_KEPT
    restored = Room.restore(TicTacToe(), json.loads(room.encode_snapshot()))
    assert restored.took(ref_key(1, TAKEN_KEPT - 1)) and not restored.took(ref_key(1, 0))
    room.step(1.0 + TAKEN_SECONDS + 1, Ready(2), frame=(None, "late"))  # the others are older than that
    assert list(room.taken) == [ref_key(2, "late")]


async def test_a_started_game_whose_room_is_gone_from_the_store_ends_abandoned_instead_of_starting_over(short_lease):
    """Redis lost a running game's snapshot (or ``make run``'s one process restarted): the next
    socket of the game does not get a new game from the first move, which would take back what
    the players saw; the game ends ``abandoned`` and they are told."""
    import time

    sockets = Sockets(TicTacToe())
    seating = sockets.hooks().seating

    async def started(game_id):
        return replace(await seating(game_id), started_at=time.time() - 60)

    a = sockets.host("a", seating=started)
    try:
        assert not await a.open(12)
        assert [(g, r.reason) for g, r in sockets.results] == [(12, "abandoned")]
        assert sockets.frames_of(1, "game_over") == [{"type": "game_over", "winner_id": None, "reason": "abandoned"}]
        assert a.room(12) is None and await a.store.load(12) is None
    finally:
        await a.stop()


async def test_a_process_past_its_lease_writes_nothing_over_the_new_owner_and_tells_nobody_of_its_steps(
    short_lease,
):
    """A paused process (a long stall) lost its lease, and another process runs the room now. The
    paused one, still running the room, takes a move: the store refuses its snapshot (the lease is
    not its own), so it lets the room go, sends no frame of that step (no ``ack``: the move is
    sent again to the room's owner), and its sockets are told to take their seats where it runs."""
    sockets = Sockets(TicTacToe())
    a, b = sockets.host("a"), sockets.host("b")
    try:
        await start_game(a, 13)
        await a.store.release(13, "a")  # a's lease ran out while it stalled...
        assert await b.open(13)  # ...and b runs the room now
        await a.apply(13, Move(1, {"cell": 4}), Sending("late", "socket-1", seat=1))  # a does not know yet
        assert a.room(13) is None and {"type": "ack", "ref": "late"} not in sockets.frames_for(1)
        assert not sockets.frames_of(2, "player_move")
        assert json.loads(await b.store.load(13))["state"]["board"][4] is None  # b's room, untouched
        assert any(delivery.hello for _, delivery in sockets.published)
    finally:
        await a.stop()
        await b.stop()


async def test_a_room_whose_lease_ran_out_with_nobody_taking_it_takes_it_again_with_its_next_write(short_lease):
    """A lease nobody holds (it ran out under a busy process, or Redis lost its data) is not
    another owner's: the room's next write takes it again, and the game goes on where it was."""
    sockets = Sockets(TicTacToe())
    a = sockets.host("a")
    try:
        await start_game(a, 14)
        await a.store.release(13, "a")
        await a.store.release(14, "a")  # gone: nobody holds it
        await a.apply(14, Move(1, {"cell": 4}), Sending("after", "socket-1", seat=1))
        assert {"type": "ack", "ref": "after"} in sockets.frames_for(1) and a.room(14) is not None
        assert (await a.store.owners([14])) == {14: "a"}
        assert json.loads(await a.store.load(14))["state"]["board"][4] == "X"
    finally:
        await a.stop()


async def test_a_process_past_its_lease_records_no_result_for_an_end_its_room_did_not_keep(short_lease):
    """The paused process's room ends (a forfeit) after another process took it over: the store
    refuses the ended snapshot, so that end is not the game's and is not recorded; the game goes
    on in the new owner's room."""
    sockets = Sockets(TicTacToe())
    a, b = sockets.host("a"), sockets.host("b")
    try:
        await start_game(a, 15)
        await a.store.release(15, "a")
        assert await b.open(15)
        await a.apply(15, Forfeit(1), Sending("gone", "socket-1", seat=1))
        assert sockets.results == [] and not sockets.frames_of(2, "game_over")
        assert a.room(15) is None and b.room(15) is not None and not b.rooms[15].over
    finally:
        await a.stop()
        await b.stop()


def test_a_large_ref_is_remembered_by_its_digest():
    from gameplatform.modes.room import REF_KEPT_CHARS, ref_key

    big = {"trace": "x" * 10_000}
    assert len(ref_key(1, big)) < 2 * REF_KEPT_CHARS
    assert ref_key(1, big) == ref_key(1, dict(big)) != ref_key(1, {"trace": "y" * 10_000})
    assert ref_key(1, "move-7") == 'r:1:"move-7"'


class OpsSent:
    """Every copy of a forwarded frame sent to a game's group (``op`` signals), as its owner would
    hear them: ``async with OpsSent(game_id) as ops``, then ``ops.heard``."""

    user_id = None

    def __init__(self, game_id: int) -> None:
        self.game_id = game_id
        self.heard: list[dict] = []

    async def __aenter__(self) -> "OpsSent":
        await get_hub().join(game_group(self.game_id), self)
        return self

    async def __aexit__(self, *exc) -> None:
        await get_hub().leave(game_group(self.game_id), self)

    async def hub_deliver(self, message: dict) -> None:
        if message.get("signal") == OP_SIGNAL:
            self.heard.append(message["data"])


async def test_a_finished_games_frames_from_another_process_are_settled_at_once_never_sent_again_nor_warned(
    short_lease, caplog
):
    """The game ended on process a, which let its room go; a socket of it on process b closes
    (its ``disconnect`` was on its way as the game ended) and another sends a move. Nobody will
    ever take them: the disconnect is dropped and the move answered ``game_over``, as the room
    answers a frame after the end, each sent once, not again every half second until it is
    warned of as a frame that got no receipt."""
    sockets = Sockets(TicTacToe())
    a, b = sockets.host("a"), sockets.host("b")
    try:
        await start_game(a, 16)
        for pid, cell in [(1, 0), (2, 3), (1, 1), (2, 4), (1, 2)]:  # X takes the top row
            await a.apply(16, Move(pid, {"cell": cell}))
        assert [g for g, _ in sockets.results] == [16]
        assert await sockets.until(lambda: 16 not in a.running)
        for _ in range(100):  # its lease released once its last frames are out
            if (await a.store.owners([16]))[16] is None:
                break
            await asyncio.sleep(0.02)
        with caplog.at_level(logging.INFO, logger="gameplatform.rooms"):
            async with OpsSent(16) as ops:
                await b.submit(16, Disconnect(1), Sending(conn="socket-1", seat=1))
                await b.submit(16, Move(2, {"cell": 5}), Sending(ref="late", conn="socket-2", seat=1))
                assert await sockets.until(lambda: not b.forwarded, answer_seconds() + 2)
                assert await sockets.until(lambda: len(ops.heard) >= 2)
        assert [op["op"] for op in ops.heard] == ["disconnect", "move"]  # each sent once
        (late,) = [e for e in sockets.frames_of(2, "error") if e.get("ref") == "late"]
        assert (late["code"], late["message"]) == ("game_over", "The game is over.")
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    finally:
        await a.stop()
        await b.stop()


async def test_a_frame_no_room_answers_is_logged_with_its_own_sockets_request_id(short_lease, caplog):
    """Socket 0's frame started the process's forwarding (its tasks); socket 1's frame, waiting
    with it, is logged with socket 1's request id when it gets no receipt, not socket 0's."""
    sockets = Sockets(TicTacToe())
    records_seating = sockets.hooks().seating

    async def seating(game_id):
        return None if game_id == 17 else await records_seating(game_id)

    b = sockets.host("b", seating=seating)
    caplog.handler.addFilter(RequestIdFilter())
    token = request_id_var.set("socket-0")  # as a socket's own task has its id
    try:
        await b.submit(17, Connect(2), Sending(conn="socket-0", seat=1))
        request_id_var.set("socket-1")
        await b.submit(17, Move(1, {"cell": 4}), Sending(ref="m1", conn="socket-1", seat=1))
        assert await sockets.until(lambda: sockets.frames_of(1, "error"), answer_seconds() + 2)
        warned = [
            (r.op, r.request_id) for r in caplog.records if r.getMessage() == "a frame got no receipt from its room"
        ]
        assert warned == [("connect", "socket-0"), ("move", "socket-1")]
    finally:
        request_id_var.reset(token)
        await b.stop()


async def test_a_process_whose_socket_hears_its_game_end_answers_the_frames_it_still_forwards_at_once(short_lease):
    """A socket on process b hears the game's last delivery (``game_over``) while b still waits
    for the receipts of other frames of the game: they are settled then (a move answered
    ``game_over``, a disconnect dropped), and a frame of the game after that is answered at once,
    never sent."""
    sockets = Sockets(TicTacToe())
    a, b = sockets.host("a"), sockets.host("b")
    try:
        await start_game(a, 18)
        await a.stop(release=False)  # nobody hears the game's group: no receipt comes
        await b.submit(18, Disconnect(1), Sending(conn="socket-1", seat=1))
        await b.submit(18, Move(2, {"cell": 5}), Sending(ref="late", conn="socket-2", seat=1))
        assert len(b.forwarded) == 2
        async with OpsSent(18) as ops:
            await b.game_over(18)
            assert not b.forwarded
            await b.submit(18, Move(2, {"cell": 6}), Sending(ref="later", conn="socket-2", seat=1))
            assert not b.forwarded
            await b.submit(18, Disconnect(2), Sending(conn="socket-2", seat=1))
        assert ops.heard == []  # nothing more went to the group
        refs = [(e["code"], e.get("ref")) for e in sockets.frames_of(2, "error")]
        assert refs == [("game_over", "late"), ("game_over", "later")]
    finally:
        await a.stop()
        await b.stop()
