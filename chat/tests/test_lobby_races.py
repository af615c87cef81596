"""Races and several server processes: the join cap, presence decisions, cross-process delivery."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from chat.lobbies import services
from chat.lobbies.factories import make_lobby
from chat.models import Membership
from conftest import receive_type, requires_postgres, requires_redis
from gameplatform.broadcast.groups import lobby_group
from gameplatform.broadcast.hub import GroupHub
from gameplatform.broadcast.realtime import agroup_send, agroup_signal
from gameplatform.chat.rooms import MEMBER_REMOVED
from gameplatform.core.errors import ApplicationError
from gameplatform.data import db
from gameplatform.sockets import presence as kit_presence


class Recorder:
    """A socket held by another server process, as its hub sees it."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.texts: list[str] = []
        self.signals: list[tuple] = []

    async def hub_deliver(self, message: dict) -> None:
        if "text" in message:
            self.texts.append(message["text"])
        else:
            self.signals.append((message["signal"], message["data"]))


async def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_ten_users_racing_for_two_places_get_exactly_two_in(premium_owner, make_user):
    lobby = make_lobby(owner=premium_owner, max_participants=3)
    users = [make_user() for _ in range(10)]
    barrier = threading.Barrier(len(users))

    def join(user) -> str:
        barrier.wait()
        try:
            services.lobby_join(lobby_id=lobby.pk, user=user)
            return "joined"
        except ApplicationError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(len(users)) as pool:
        outcomes = list(pool.map(join, users))

    assert sorted(outcomes) == ["joined"] * 2 + ["lobby_full"] * 8
    lobby.refresh_from_db()
    assert lobby.participant_count == 3 == Membership.objects.filter(lobby=lobby).count()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_leaves_and_joins_keep_the_count_exact(premium_owner, make_user):
    members = [make_user() for _ in range(5)]
    newcomers = [make_user() for _ in range(5)]
    lobby = make_lobby(owner=premium_owner, members=members, max_participants=6)
    barrier = threading.Barrier(10)

    def act(pair) -> None:
        kind, user = pair
        barrier.wait()
        try:
            if kind == "leave":
                services.lobby_leave(lobby_id=lobby.pk, user=user)
            else:
                services.lobby_join(lobby_id=lobby.pk, user=user)
        except ApplicationError:
            pass
        finally:
            connection.close()

    work = [("leave", u) for u in members] + [("join", u) for u in newcomers]
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(act, work))
    lobby.refresh_from_db()
    assert lobby.participant_count == Membership.objects.filter(lobby=lobby).count() <= 6


def test_presence_first_open_and_last_close_in_a_lobby_are_decided_once_across_processes():
    # Two processes (conn ids a*, b*) open sockets of one user in one lobby at the same moment.
    store = kit_presence.get_store()
    place = services.ROOM.presence_place(1)
    barrier = threading.Barrier(20)

    def joined(n: int, method) -> list:
        barrier.wait()
        return [c for c in method([(7, f"{'ab'[n % 2]}{n}", (place,))]) if c.place == place]

    with ThreadPoolExecutor(20) as pool:
        opened = [c for found in pool.map(lambda n: joined(n, store.open), range(20)) for c in found]
    assert [(c.user_id, c.status) for c in opened] == [(7, "online")]
    assert services.ROOM.online_user_ids(1) == [7]

    with ThreadPoolExecutor(20) as pool:
        closed = [c for found in pool.map(lambda n: joined(n, store.close), range(20)) for c in found]
    assert [(c.user_id, c.status) for c in closed] == [(7, "offline")]
    assert services.ROOM.online_user_ids(1) == []


@requires_redis
@pytest.mark.django_db(transaction=True)
async def test_a_crashed_process_lobby_sockets_expire_and_the_lobby_hears_it_once(
    ws_connect, settings, premium_owner, alice, bob
):
    lobby = await sync_to_async(make_lobby)(owner=premium_owner, members=[alice, bob])
    settings.PRESENCE_TTL_SECONDS = 2  # sockets live 1 s past their last heartbeat
    # alice was in the lobby through a process that then crashed.
    crashed = kit_presence.PresenceTracker(store=kit_presence.RedisStore())
    await crashed.open(alice.pk, [services.ROOM.presence_place(lobby.pk)])
    crashed.vanish()
    ws, connected, _ = await ws_connect(f"/ws/lobbies/{lobby.pk}/", bob)
    state = await receive_type(ws, "lobby_state")
    assert alice.pk in state["online_user_ids"]

    await asyncio.sleep(1.3)
    # Two timer runners sweeping at once: the lobby hears alice leave once.
    swept = await asyncio.gather(*(db.run_always(kit_presence.sweep_and_announce) for _ in range(2)))
    assert sorted(swept) == [0, 2]  # alice offline anywhere, and in the lobby
    leave = await receive_type(ws, "presence_leave", timeout=3)
    assert leave == {"type": "presence_leave", "user_id": alice.pk, "username": "alice"}
    assert await ws.receive_nothing(timeout=0.3)
    assert services.ROOM.online_user_ids(lobby.pk) == [bob.pk]
    await ws.disconnect()


@requires_redis
@pytest.mark.django_db(transaction=True)
async def test_two_processes_see_each_others_lobby_messages_and_kicks(ws_connect, premium_owner, alice, bob):
    """Process A is this test's server (real sockets); process B is a second layer and hub."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    lobby = await sync_to_async(make_lobby)(owner=premium_owner, members=[alice, bob])
    group = lobby_group(lobby.pk)
    layer_b = RedisPubSubChannelLayer(**settings.CHANNEL_LAYERS["default"]["CONFIG"])
    hub_b = GroupHub(layer_b)
    on_b = Recorder(bob.pk)
    await hub_b.join(group, on_b)
    alice_ws, connected, _ = await ws_connect(f"/ws/lobbies/{lobby.pk}/", alice)
    await receive_type(alice_ws, "lobby_state")

    # A socket on process A posts: process B's socket hears it.
    await alice_ws.send_json_to({"type": "chat_message", "message": "from A"})
    assert (await receive_type(alice_ws, "chat_message"))["message"]["content"] == "from A"
    await wait_for(lambda: any('"from A"' in text for text in on_b.texts))

    # A message posted on process B (its service broadcasts through its own layer) reaches A's socket.
    await agroup_send(group, {"type": "chat_message", "message": {"content": "from B"}}, layer=layer_b)
    assert (await receive_type(alice_ws, "chat_message"))["message"]["content"] == "from B"

    # A kick decided on process B closes alice's socket on process A with 4403.
    await agroup_signal(group, MEMBER_REMOVED, layer=layer_b, user_id=alice.pk, code=4403)
    while True:
        message = await alice_ws.receive_output(timeout=3)
        if message["type"] == "websocket.close":
            break
    assert message["code"] == 4403
    await alice_ws.disconnect()
    await hub_b.close()
    await layer_b.flush()
