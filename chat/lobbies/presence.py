"""Who is online in a lobby: a view of the kit's presence (``gameplatform.presence``).

A lobby socket stands at the place ``lobby:<id>``; a user is online in the lobby
while any of their lobby sockets is open, on any process. The kit decides each
transition once (in Redis, crash-safe through its heartbeat and sweep); this
module names the place and turns transitions into ``presence_join`` /
``presence_leave`` frames for the lobby (the announcer ``ChatConfig.ready``
registers).
"""

from django.contrib.auth import get_user_model

from chat.lobbies import events
from gameplatform import presence
from gameplatform.groups import lobby_group
from gameplatform.realtime import broadcast_on_commit

KIND = "lobby"

User = get_user_model()


def lobby_place(lobby_id: int) -> str:
    return f"{KIND}:{int(lobby_id)}"


def online_user_ids(*, lobby_id: int) -> list[int]:
    return presence.present_at(lobby_place(lobby_id))


def announce(changes: list[presence.Change]) -> None:
    """Tell each lobby who came or went (one query for the names of everyone in the batch)."""
    users = User.objects.only("id", "username", "is_premium").in_bulk({change.user_id for change in changes})
    for change in changes:
        user = users.get(change.user_id)
        if user is None:  # the account was deleted meanwhile
            continue
        group = lobby_group(int(change.place.split(":", 1)[1]))
        if change.status == presence.ONLINE:
            broadcast_on_commit(group, events.presence_join(user), skip_user=user.pk)
        else:
            broadcast_on_commit(group, events.presence_leave(user.pk, user.username))
