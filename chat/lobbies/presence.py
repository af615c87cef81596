"""Who is online in a lobby: a view of the kit's presence (``gameplatform.presence``).

A lobby socket stands at the place ``lobby:<id>``; a user is online in the lobby
while any of their lobby sockets is open, on any process. The kit decides each
transition once (in Redis, crash-safe through its heartbeat and sweep); this
module names the place, and the chat room glue (``gameplatform.chatrooms``) turns
transitions into ``presence_join`` / ``presence_leave`` frames for the lobby (the
announcer ``ChatConfig.ready`` registers).
"""

from gameplatform import chatrooms, presence
from gameplatform.groups import lobby_group

KIND = "lobby"


def lobby_place(lobby_id: int) -> str:
    return chatrooms.place(KIND, lobby_id)


def online_user_ids(*, lobby_id: int) -> list[int]:
    return presence.present_at(lobby_place(lobby_id))


announce = chatrooms.presence_announcer(lobby_group)
