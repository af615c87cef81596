"""Invite events on the notification socket: both sides hear every transition, the expiry exactly once."""

import threading

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from conftest import receive_type, requires_redis
from friends.services import friendship_create
from game.models import Game
from gameplatform.operations import timers
from matchmaking.invites.services import invite_accept, invite_cancel, invite_create, invite_decline
from matchmaking.models import Invite
from matchmaking.timers import expire_due_invites

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def friends(alice, bob):
    friendship_create(user_a=alice, user_b=bob)
    return alice, bob


async def sockets(ws_connect, *users):
    opened = []
    for user in users:
        ws, connected, _ = await ws_connect("/ws/notifications/", user)
        assert connected
        assert (await ws.receive_json_from(timeout=3))["type"] == "badge"  # sent on connect
        opened.append(ws)
    return opened


async def quiet_frames(ws, timeout: float = 0.3) -> list[dict]:
    """Every frame that arrives until the socket stays quiet for ``timeout``."""
    frames = []
    while not await ws.receive_nothing(timeout=timeout):
        frames.append(await ws.receive_json_from())
    return frames


async def create(alice, bob) -> Invite:
    return await database_sync_to_async(invite_create)(from_user=alice, to_user_id=bob.pk, kind="game", mode="relay")


async def test_both_sides_hear_invite_created(ws_connect, friends):
    alice, bob = friends
    a, b = await sockets(ws_connect, alice, bob)
    invite = await create(alice, bob)
    for ws in (a, b):
        frame = await receive_type(ws, "invite_created")
        assert frame["invite"]["id"] == invite.pk
        assert (frame["invite"]["status"], frame["invite"]["mode"]) == ("pending", "relay")
        assert frame["invite"]["from_user"]["id"] == alice.pk
    await a.disconnect()
    await b.disconnect()


async def test_receiver_gets_an_invite_received_notification(ws_connect, friends):
    alice, bob = friends
    (b,) = await sockets(ws_connect, bob)
    invite = await create(alice, bob)
    frame = await receive_type(b, "notification")
    assert frame["kind"] == "invite_received"
    assert frame["payload"]["invite"]["id"] == invite.pk
    await b.disconnect()


def the_game(game_id: int) -> tuple[str, list[int]]:
    """The real game's mode and its players' ids in seat order."""
    game = Game.objects.get(pk=game_id)
    return game.mode, list(game.players.order_by("seat").values_list("user_id", flat=True))


async def test_both_sides_hear_invite_accepted_with_the_game(ws_connect, friends):
    alice, bob = friends
    invite = await create(alice, bob)
    a, b = await sockets(ws_connect, alice, bob)
    accepted = await database_sync_to_async(invite_accept)(invite_id=invite.pk, user=bob)
    assert await database_sync_to_async(the_game)(accepted.game_id) == ("relay", [alice.pk, bob.pk])
    for ws in (a, b):
        frame = await receive_type(ws, "invite_accepted")
        assert frame["game_id"] == accepted.game_id
        assert (frame["invite"]["status"], frame["invite"]["game_id"]) == ("accepted", accepted.game_id)
    await database_sync_to_async(invite_accept)(invite_id=invite.pk, user=bob)  # idempotent: no second event
    assert all(f["type"] != "invite_accepted" for f in await quiet_frames(a))
    await a.disconnect()
    await b.disconnect()


@pytest.mark.parametrize("action", ["decline", "cancel"])
async def test_both_sides_hear_a_decline_or_a_cancel(ws_connect, friends, action):
    alice, bob = friends
    invite = await create(alice, bob)
    a, b = await sockets(ws_connect, alice, bob)
    if action == "decline":
        await database_sync_to_async(invite_decline)(invite_id=invite.pk, user=bob)
    else:
        await database_sync_to_async(invite_cancel)(invite_id=invite.pk, user=alice)
    for ws in (a, b):
        frame = await receive_type(ws, f"invite_{action}d" if action == "decline" else "invite_cancelled")
        assert frame["invite"]["id"] == invite.pk
    await a.disconnect()
    await b.disconnect()


async def test_expiry_job_tells_both_sides_exactly_once(ws_connect, friends):
    alice, bob = friends
    invite = await create(alice, bob)
    await database_sync_to_async(Invite.objects.filter(pk=invite.pk).update)(expires_at=invite.created_at)
    a, b = await sockets(ws_connect, alice, bob)
    assert await database_sync_to_async(expire_due_invites)() == 1
    assert await database_sync_to_async(expire_due_invites)() == 0
    for ws in (a, b):
        frames = await quiet_frames(ws)
        expired = [f for f in frames if f["type"] == "invite_expired"]
        assert len(expired) == 1
        assert (expired[0]["invite"]["id"], expired[0]["invite"]["status"]) == (invite.pk, "expired")
    await a.disconnect()
    await b.disconnect()


@requires_redis  # the in-memory layer only delivers within the event loop that holds the sockets
async def test_the_timer_runner_expires_an_invite_about_a_second_after_its_deadline(ws_connect, friends, settings):
    """``run_timers`` as ``make run`` starts it, in a thread: nobody asks, the event arrives."""
    settings.INVITE_TTL_SECONDS = 1
    alice, bob = friends
    a, b = await sockets(ws_connect, alice, bob)
    stop = threading.Event()

    def runner():
        try:
            timers.run_forever(should_stop=stop.is_set)
        finally:
            connection.close()

    thread = threading.Thread(target=runner)
    thread.start()
    try:
        invite = await create(alice, bob)
        for ws in (a, b):
            # Due about a second after creation; the margin is for a loaded CI machine.
            frame = await receive_type(ws, "invite_expired", timeout=6)
            assert frame["invite"]["id"] == invite.pk
    finally:
        stop.set()
        await database_sync_to_async(thread.join)()
    await a.disconnect()
    await b.disconnect()


async def test_a_stranger_hears_nothing(ws_connect, friends, carol):
    alice, bob = friends
    (c,) = await sockets(ws_connect, carol)
    await create(alice, bob)
    assert await c.receive_nothing(timeout=0.3)
    await c.disconnect()
