"""What a block or an unfriend does to the other apps: DM sockets and pending invites."""

import pytest
from channels.db import database_sync_to_async

from conftest import receive_type
from friends import services
from matchmaking.invites.services import invite_create
from matchmaking.models import Invite

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def friends_pair(alice, bob):
    services.friendship_create(user_a=alice, user_b=bob)
    return alice, bob


def test_block_cancels_pending_invites_both_ways(friends_pair):
    alice, bob = friends_pair
    to_bob = invite_create(from_user=alice, to_user_id=bob.pk, kind="game", mode="tictactoe")
    to_alice = invite_create(from_user=bob, to_user_id=alice.pk, kind="game", mode="tictactoe")
    services.block_create(blocker=bob, blocked_id=alice.pk)
    statuses = set(Invite.objects.filter(pk__in=[to_bob.pk, to_alice.pk]).values_list("status", flat=True))
    assert statuses == {Invite.Status.CANCELLED}


async def test_block_tells_the_invited_user_the_invite_is_cancelled(ws_connect, friends_pair):
    alice, bob = friends_pair
    await database_sync_to_async(invite_create)(from_user=alice, to_user_id=bob.pk, kind="game", mode="tictactoe")
    notes, _, _ = await ws_connect("/ws/notifications/", bob)
    await database_sync_to_async(services.block_create)(blocker=alice, blocked_id=bob.pk)
    frame = await receive_type(notes, "invite_cancelled")
    assert frame["invite"]["status"] == "cancelled"
    await notes.disconnect()


@pytest.mark.parametrize("how", ["unfriend", "block"])
async def test_ending_a_friendship_closes_open_dm_sockets_4403(ws_connect, friends_pair, how):
    alice, bob = friends_pair
    dm, connected, _ = await ws_connect(f"/ws/dm/{bob.pk}/", alice)
    assert connected
    if how == "unfriend":
        await database_sync_to_async(services.friendship_remove)(user=bob, friend_id=alice.pk)
    else:
        await database_sync_to_async(services.block_create)(blocker=bob, blocked_id=alice.pk)
    while True:
        message = await dm.receive_output(timeout=3)
        if message["type"] == "websocket.close":
            break
    assert message["code"] == 4403
