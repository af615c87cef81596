"""A real-time room's inputs between two ticks, on the room host: queued, taken by the next tick
as one step (one journal entry), and each answered as its own step was (``ack`` or ``error`` with
its ``ref``), after the patch that shows them.

The database is played by the in-memory recorder of ``test_room_host``; a takeover plays two
processes on one Redis.
"""

import asyncio
import json

import pytest

from conftest import requires_redis
from game.tests.test_room_host import Records, short_lease  # noqa: F401 - the fixture
from gameplatform.data.redis import get_async_redis
from gameplatform.modes.commands import Abandon, Connect, Forfeit, Input, Ready
from gameplatform.rooms import MemoryRoomStore, RedisRoomStore, RoomHost, room_store
from gameplatform.rooms.inputs import inputs_waiting_most
from gameplatform.rooms.wire import Sending
from gameplatform.tests import test_room_inputs_per_tick as tally


class Tally(tally.Tally):
    """``gameplatform/tests``' tally (its tick shows the inputs it took; ``add`` 0 is refused by
    the rules, 7 wins the game), its steps kept in the journal (a takeover replays them)."""

    snapshot_ticks = 100_000
    input_rate = 30.0  # as the arena's: a burst of 30 inputs at once passes a player's socket


async def started(host: RoomHost, game_id: int) -> None:
    assert await host.open(game_id)
    for pid in (1, 2):
        await host.apply(game_id, Connect(pid))
    for pid in (1, 2):
        await host.apply(game_id, Ready(pid))


async def journalled(host: RoomHost, game_id: int) -> list:
    await host.out.sent()
    return [e for _, batch in await host.store.journal(host.out.journal) for e in batch.get(game_id, ())]


async def until(test, seconds: float = 2.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if test():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("it never happened")


def answers(records: Records, player_id: int) -> list[dict]:
    return [f for f in records.frames_for(player_id) if f["type"] in ("ack", "error")]


@pytest.fixture
def solo(settings):
    settings.REDIS_URL = ""
    records = Records(Tally())
    return records, RoomHost(records.hooks(), MemoryRoomStore(), wire=records.wire(), owner="solo")


@pytest.mark.django_db
async def test_three_inputs_between_two_ticks_make_one_journal_entry_and_all_show_in_the_next_patch(solo):
    records, host = solo
    try:
        await started(host, 80)
        await asyncio.sleep(0.06)
        for pid, add, ref in [(1, 1, "a"), (2, 2, "b"), (1, 3, "c")]:  # no tick between them
            await host.apply(80, Input(pid, {"add": add}), Sending(ref))
        assert len(host.running[80].inputs) == 3 and host.rooms[80].state["taken"] == []
        await until(lambda: [a["ref"] for a in answers(records, 1)] == ["a", "c"])
        frames = records.frames_for(1)
        shown = next(i for i, f in enumerate(frames) if f["type"] == "state_patch" and "shown" in json.dumps(f["ops"]))
        assert frames.index(answers(records, 1)[0]) > shown  # acked after the patch that shows it
        assert host.rooms[80].state["shown"][:3] == [[1, 1], [2, 2], [1, 3]]
        ops = [e[2] for e in await journalled(host, 80)]
        assert ops.count("inputs") == 1 and "input" not in ops
    finally:
        await host.stop()


@pytest.mark.django_db
async def test_a_refused_input_among_them_gets_its_error_with_its_ref_and_the_others_apply(solo):
    records, host = solo
    try:
        await started(host, 81)
        await host.apply(81, Input(1, {"add": 1}), Sending("ok-1"))
        await host.apply(81, Input(1, {"add": 0}), Sending("zero"))
        await host.apply(81, Input(1, {"add": "lots"}), Sending("bad"))
        await host.apply(81, Input(1, {"add": 2}), Sending("ok-2"))
        await until(lambda: len(answers(records, 1)) == 4)
        got = {a["ref"]: (a["type"], a.get("code")) for a in answers(records, 1)}
        assert got == {
            "ok-1": ("ack", None),
            "zero": ("error", "nothing_to_add"),
            "bad": ("error", "invalid"),
            "ok-2": ("ack", None),
        }
        assert host.rooms[81].state["taken"] == [[1, 1], [1, 2]]
    finally:
        await host.stop()


@pytest.mark.django_db
async def test_a_burst_of_one_seconds_worth_of_the_modes_input_rate_waits_whole_for_the_next_tick_and_is_acked(solo):
    """The mode's ``input_rate`` (30, as the arena's) lets a player's socket send a burst of 30
    inputs at once: the room queues all of them for its next tick, and each is acked."""
    records, host = solo
    try:
        await started(host, 93)
        burst = int(Tally.input_rate)
        for n in range(burst):  # no tick between them
            await host.apply(93, Input(1, {"add": 1}), Sending(n))
        assert len(host.running[93].inputs) == burst
        await until(lambda: len(answers(records, 1)) == burst)
        assert [(a["type"], a["ref"]) for a in answers(records, 1)] == [("ack", n) for n in range(burst)]
        assert host.rooms[93].state["taken"] == [[1, 1]] * burst
        assert [e[2] for e in await journalled(host, 93)].count("inputs") == 1
    finally:
        await host.stop()


@pytest.mark.django_db
async def test_a_players_inputs_past_the_bound_the_modes_input_rate_gives_their_queue_are_answered_rate_limited(solo):
    """The queue holds twice the burst the mode's rate lets through (for memory: a room holds at
    most that many inputs a seat); one more before the tick is answered ``rate_limited``."""
    records, host = solo
    try:
        await started(host, 82)
        most = inputs_waiting_most(Tally())
        assert most == 2 * int(Tally.input_rate)
        for n in range(most + 1):
            await host.apply(82, Input(1, {"add": 1}), Sending(n))
        (limited,) = [a for a in answers(records, 1) if a["type"] == "error"]
        assert limited["code"] == "rate_limited" and limited["ref"] == most and limited["retry_after"] > 0
        await until(lambda: len(host.rooms[82].state["taken"]) == most)
        await until(lambda: len(answers(records, 1)) == most + 1)
        assert [a["type"] for a in answers(records, 1)].count("ack") == most
    finally:
        await host.stop()


@pytest.mark.django_db
async def test_a_resent_input_is_not_applied_twice_before_or_after_its_tick(solo):
    records, host = solo
    try:
        await started(host, 83)
        await host.apply(83, Input(1, {"add": 1}), Sending("once", here=False, forwarded="f-1"))
        # the same forwarded frame again
        await host.apply(83, Input(1, {"add": 1}), Sending("once", here=False, forwarded="f-1"))
        await host.apply(83, Input(1, {"add": 1}), Sending("once", resent=True))  # the client, after a reconnect
        await until(lambda: host.rooms[83].state["shown"])
        await host.apply(83, Input(1, {"add": 1}), Sending("once", here=False, forwarded="f-1"))  # after the tick
        await host.apply(83, Input(1, {"add": 1}), Sending("once", resent=True))
        await asyncio.sleep(0.12)
        assert host.rooms[83].state["taken"] == [[1, 1]]
        assert any(a.get("duplicate") for a in answers(records, 1))
        assert any("f-1" in sent.took for _, sent in records.published)
    finally:
        await host.stop()


@pytest.mark.django_db
async def test_the_queue_is_empty_once_the_game_ends_and_the_inputs_after_the_winning_one_are_refused(solo):
    records, host = solo
    try:
        await started(host, 84)
        run = host.running[84]
        await host.apply(84, Input(1, {"add": 7}), Sending("win"))
        await host.apply(84, Input(2, {"add": 1}), Sending("late"))
        await until(lambda: records.results)
        assert [(g, r.winner) for g, r in records.results] == [(84, 1)]
        await until(lambda: 84 not in host.running)
        assert len(run.inputs) == 0
        # The room is let go before its last frames are sent (``Steps._end``): wait for the answer.
        await until(lambda: any(a.get("ref") == "late" for a in answers(records, 2)))
        late = next(a for a in answers(records, 2) if a["ref"] == "late")
        assert late["code"] == "game_over"
    finally:
        await host.stop()


@pytest.mark.django_db
async def test_a_forfeit_takes_the_inputs_queued_before_it_first(solo):
    records, host = solo
    try:
        await started(host, 85)
        run = host.running[85]
        await host.apply(85, Input(2, {"add": 3}), Sending("before"))
        await host.apply(85, Forfeit(1))
        assert len(run.inputs) == 0 and [(g, r.winner) for g, r in records.results] == [(85, 2)]
        assert run.room.state["taken"] == [[2, 3]]
        assert [a["type"] for a in answers(records, 2) if a.get("ref") == "before"] == ["ack"]
    finally:
        await host.stop()


@pytest.mark.django_db
async def test_an_input_before_the_game_starts_is_answered_at_once_not_queued(solo):
    records, host = solo
    try:
        assert await host.open(86)
        await host.apply(86, Connect(1))
        await host.apply(86, Input(1, {"add": 1}), Sending("early"))
        assert len(host.running[86].inputs) == 0
        assert [a["code"] for a in answers(records, 1)] == ["game_not_active"]
    finally:
        await host.stop()


@pytest.mark.django_db
@pytest.mark.parametrize("way", ["lease lost", "host stopping"])
async def test_a_room_let_go_between_two_ticks_answers_its_sockets_queued_inputs_unavailable(solo, way):
    """Its sockets here are the only ones who would answer them: nothing sends them again."""
    records, host = solo
    await started(host, 87)
    run = host.running[87]
    await host.apply(87, Input(1, {"add": 1}), Sending("queued"))
    await host.apply(87, Input(2, {"add": 2}))  # no ref: answered all the same
    if way == "lease lost":
        await host.leases.fenced({87})
    await host.stop(release=False)
    assert len(run.inputs) == 0 and 87 not in host.running and run.room.state["taken"] == []
    (error,) = answers(records, 1)
    assert error == {
        "type": "error",
        "code": "unavailable",
        "message": "The game is moving between servers; send it again.",
        "retry_after": 1,
        "ref": "queued",
    }
    assert [(a["code"], "ref" in a) for a in answers(records, 2)] == [("unavailable", False)]


class HeldWrites(RedisRoomStore):
    """The Redis store, whose writes wait while ``open`` is clear (a Redis slow to answer)."""

    def __init__(self) -> None:
        super().__init__()
        self.open = asyncio.Event()
        self.open.set()

    async def write(self, *args, **kwargs):
        await self.open.wait()
        return await super().write(*args, **kwargs)


@requires_redis
@pytest.mark.django_db
async def test_a_host_stopped_while_a_ticks_answers_wait_for_their_write_sends_them_first():
    records = Records(Tally())
    store = HeldWrites()
    host = RoomHost(records.hooks(), store, wire=records.wire(), owner="a")
    await started(host, 92)
    store.open.clear()
    await host.apply(92, Input(1, {"add": 1}), Sending("taken"))
    await until(lambda: not host.running[92].inputs)  # the tick took it; its write waits
    stopping = asyncio.ensure_future(host.stop())
    await asyncio.sleep(0.05)
    store.open.set()
    await asyncio.wait_for(stopping, 5)
    assert [(a["type"], a["ref"]) for a in answers(records, 1)] == [("ack", "taken")]
    assert [e[2] for e in await journalled(host, 92)].count("inputs") == 1


@pytest.mark.django_db
async def test_a_forwarded_input_queued_when_its_room_is_let_go_is_answered_by_whoever_keeps_it(solo):
    """Another process's frame, and one of this process's still waiting for its receipt, go
    again to the room's next owner from their sender's forwarder; one of this process's that its
    forwarder keeps no more (it applied it here when the room came here) is answered here."""
    records, host = solo
    try:
        await started(host, 89)
        for ref in ("kept", "applied here"):
            await host.forward(89, Input(1, {"add": 1}), Sending(ref, "conn-1", 0))
        kept, applied_here = list(host.forwarded)
        del host.forwarded[applied_here]  # as its resend does when the room is here
        await host.apply(89, Input(1, {"add": 1}), Sending("elsewhere", here=False, forwarded="other-process.1"))
        await host.apply(89, Input(1, {"add": 1}), Sending("kept", here=False, forwarded=kept))
        await host.apply(89, Input(1, {"add": 1}), Sending("applied here", "conn-1", forwarded=applied_here))
        await host.leases.fenced({89})
        assert [(a["code"], a["ref"]) for a in answers(records, 1)] == [("unavailable", "applied here")]
        assert list(host.forwarded) == [kept]
    finally:
        host.forwarded.clear()
        await host.stop(release=False)


@pytest.mark.django_db
async def test_inputs_still_queued_when_an_ended_room_is_let_go_are_answered_game_over_as_later_ones_are(solo):
    records, host = solo
    try:
        await started(host, 90)
        run = host.running[90]
        await host.apply(90, Input(1, {"add": 1}), Sending("queued"))
        run.room.step(run.now(), Abandon())  # ended by a step that took no queue first (none does)
        await host.let_go(90)
        (error,) = answers(records, 1)
        assert (error["code"], error["ref"], error["message"]) == ("game_over", "queued", "The game is over.")
    finally:
        await host.stop(release=False)


class Snapshotted(Tally):
    """The tally with a snapshot every tick: each tick's write is fenced by the room's lease."""

    snapshot_ticks = 1


@requires_redis
@pytest.mark.django_db
async def test_a_tick_whose_write_another_owner_fences_off_answers_its_sockets_inputs_unavailable():
    """The process was paused past the room's lease and another took the room: the tick that took
    the inputs is not saved. Its sockets' inputs here are answered ``unavailable`` with their ref,
    not ``ack``; another process's input gets no receipt (its sender sends it again)."""
    records = Records(Snapshotted())
    host = RoomHost(records.hooks(), room_store(), wire=records.wire(), owner="a")
    try:
        await started(host, 91)
        await host.out.sent()
        records.published.clear()
        await get_async_redis().set(host.store.lease_key(91), "b")
        await host.apply(91, Input(1, {"add": 1}), Sending("queued"))
        await host.apply(91, Input(2, {"add": 2}), Sending("elsewhere", here=False, forwarded="b.1"))
        await until(lambda: 91 not in host.running)
        await host.out.sent()
        assert [(a["type"], a.get("code"), a["ref"]) for a in answers(records, 1)] == [
            ("error", "unavailable", "queued")
        ]
        assert answers(records, 2) == []
        assert not any(sent.took for _, sent in records.published)
        assert [f["type"] for f in records.frames_for(1) + records.frames_for(2)] == ["error"]
    finally:
        await host.stop()


@requires_redis
@pytest.mark.django_db
async def test_a_tick_that_ends_the_game_whose_end_another_owner_fences_off_answers_its_sockets_inputs_unavailable():
    """The tick that took the winning input ended the game; the ended room's snapshot, written
    before anyone hears of the end, is refused (another process took the room). The game did not
    end: nobody hears ``game_over``, and the tick's inputs from sockets here are answered
    ``unavailable`` with their ref, not ``ack``; another process's input gets no receipt."""
    records = Records(Tally())
    host = RoomHost(records.hooks(), room_store(), wire=records.wire(), owner="a")
    try:
        await started(host, 92)
        await host.out.sent()
        records.published.clear()
        await get_async_redis().set(host.store.lease_key(92), "b")
        await host.apply(92, Input(1, {"add": 7}), Sending("win"))
        await host.apply(92, Input(2, {"add": 0}), Sending("refused"))
        await host.apply(92, Input(2, {"add": 2}), Sending("elsewhere", here=False, forwarded="b.1"))
        await until(lambda: 92 not in host.running)
        await until(lambda: answers(records, 1) and answers(records, 2))
        assert [(a["type"], a.get("code"), a["ref"]) for a in answers(records, 1)] == [("error", "unavailable", "win")]
        assert [(a["type"], a.get("code"), a["ref"]) for a in answers(records, 2)] == [
            ("error", "unavailable", "refused")
        ]
        assert records.results == [] and not any(sent.took for _, sent in records.published)
        assert [f["type"] for f in records.frames_for(1) + records.frames_for(2)] == ["error", "error"]
    finally:
        await host.stop()


@requires_redis
@pytest.mark.django_db
async def test_a_takeover_replays_a_tick_of_inputs_to_the_same_room_and_knows_its_frames(short_lease):  # noqa: F811
    records = Records(Tally())
    a = RoomHost(records.hooks(), wire=records.wire(), owner="a")
    b = RoomHost(records.hooks(), wire=records.wire(), owner="b")
    try:
        await started(a, 88)
        await a.apply(88, Input(1, {"add": 1}), Sending("x", here=False, forwarded="f-1"))
        await a.apply(88, Input(2, {"add": 0}), Sending("refused"))
        await a.apply(88, Input(2, {"add": 2}), Sending("y"))
        await until(lambda: a.rooms[88].state["shown"])
        assert "inputs" in [e[2] for e in await journalled(a, 88)]
        taken = a.rooms[88].state["taken"]
        b.watch(88)
        await a.stop(release=False)  # process a dies; b replays its snapshot's journal
        for _ in range(100):
            if 88 in b.rooms:
                break
            await b.keep_leases_once()
            await asyncio.sleep(0.05)
        after = b.rooms[88]
        assert after.replayed and after.state["taken"] == taken == [[1, 1], [2, 2]]
        assert after.took("f:f-1")
        await b.apply(88, Input(1, {"add": 1}), Sending("x", here=False, forwarded="f-1"))  # its process sends it again
        await asyncio.sleep(0.12)
        assert b.rooms[88].state["taken"] == [[1, 1], [2, 2]]
    finally:
        await a.stop()
        await b.stop()
