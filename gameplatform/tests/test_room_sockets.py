"""The kit writes a room's frames to its sockets (``gameplatform.rooms.RoomSocket``): each socket
its own, through its codec, each encoding made once per audience."""

import msgpack
import pytest
from gameplatform_client.compact import decode

from gameplatform.rooms.sockets import RoomSocket
from gameplatform.rooms.wire import Delivery
from gameplatform.sockets import codec

VIEW = (
    '{"type":"state_patch","tick":9,"ops":[{"op":"replace","path":"","value":{"n":[1.5]}}],'
    '"turn":null,"turn_deadline":null}'
)
PATCH = (
    '{"type":"state_patch","tick":9,"ops":[{"op":"add","path":"/n/-","value":1.5}],"turn":null,"turn_deadline":null}'
)
MOVE = '{"type":"player_move","user_id":1,"movement":{"cell":4}}'
ACK = '{"type":"ack","ref":"m1"}'


class Socket(RoomSocket):
    """A socket of the game as the kit sees it: what it was sent, and how it ended."""

    def __init__(self, user_id: int, socket_codec=codec.JSON, *, watching=False, conn="c") -> None:
        self.user_id, self.codec, self.watching, self.conn_id = user_id, socket_codec, watching, conn
        self.sent: list = []
        self.ended = None
        self.over = self.moved = False

    async def send(self, text_data=None, bytes_data=None) -> None:
        if text_data is not None and self.codec.binary:
            text_data, bytes_data = None, self.codec.encode(text_data)
        self.sent.append(text_data if text_data is not None else bytes_data)

    async def end(self, code, error_code, message, **extra) -> None:
        self.ended = (code, error_code)

    async def on_room_over(self) -> None:
        self.over = True

    async def on_room_moved(self) -> None:
        self.moved = True


async def deliver(sockets, delivery: Delivery) -> None:
    data = delivery.as_signal()  # the hub hands every socket of the process the same message
    for socket in sockets:
        await socket.on_signal("room", data)


async def test_a_player_socket_writes_the_frames_for_everyone_and_for_its_player_only():
    alice, bob = Socket(1), Socket(2)
    await deliver([alice, bob], Delivery(((0, MOVE), (1, ACK))))
    assert alice.sent == [MOVE, ACK] and bob.sent == [MOVE]


async def test_a_whole_view_patch_reaches_compact_sockets_as_its_json_patch_and_others_as_the_view():
    json_player, compact_player = Socket(1), Socket(2, codec.COMPACT)
    json_watcher, compact_watcher = (
        Socket(3, watching=True, conn="w1"),
        Socket(4, codec.COMPACT, watching=True, conn="w2"),
    )
    for watcher in (json_watcher, compact_watcher):
        watcher.has_state = True
    await deliver([json_player, compact_player], Delivery(((0, VIEW, PATCH),)))
    await deliver([json_watcher, compact_watcher], Delivery(((-1, VIEW, PATCH),), watchers=True))
    assert json_player.sent == [VIEW] and json_watcher.sent == [VIEW]
    for socket in (compact_player, compact_watcher):
        assert decode(socket.sent[0])["ops"] == [{"op": "add", "path": "/n/-", "value": 1.5}]


async def test_a_delivery_to_a_hundred_compact_spectators_is_written_once():
    watchers = [Socket(10 + n, codec.COMPACT, watching=True, conn=f"w{n}") for n in range(100)]
    for watcher in watchers:
        watcher.has_state = True
    codec.clear()
    await deliver(watchers, Delivery(((-1, PATCH), (0, MOVE)), watchers=True))
    first = watchers[0].sent
    assert all(w.sent[0] is first[0] and w.sent[1] is first[1] for w in watchers)  # the same bytes, made once
    assert msgpack.unpackb(first[1])["type"] == "player_move"


async def test_a_spectator_writes_nothing_before_its_first_game_state_and_everything_after():
    mine, other = Socket(5, watching=True, conn="w1"), Socket(6, watching=True, conn="w2")
    await deliver([mine, other], Delivery(((-1, PATCH),), watchers=True))  # before anyone's state
    await deliver([mine, other], Delivery(((-1, VIEW),), watchers=True, conn="w1"))  # mine only
    await deliver([mine, other], Delivery(((-1, PATCH),), watchers=True))
    assert mine.sent == [VIEW, PATCH] and other.sent == []


@pytest.mark.parametrize(
    ("delivery", "ended"),
    [(Delivery(replaced=("c",)), (4409, "replaced")), (Delivery(unanswered=("c",)), (1013, "unavailable"))],
)
async def test_a_replaced_or_unanswered_socket_is_ended_and_the_others_are_not(delivery, ended):
    mine, other = Socket(1, conn="c"), Socket(1, conn="d")
    await deliver([mine, other], delivery)
    assert mine.ended == ended and other.ended is None


async def test_the_app_hears_of_the_games_end_and_of_a_room_that_moved():
    player, watcher = Socket(1), Socket(2, watching=True, conn="w")
    watcher.has_state = True
    await deliver([player], Delivery(hello=True))
    await deliver([watcher], Delivery(hello=True, watchers=True))
    assert player.moved and watcher.moved and not watcher.has_state  # the next owner sends its state again
    await deliver([player], Delivery(((0, MOVE),), over=True))
    assert player.over and player.sent == [MOVE]
