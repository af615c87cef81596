"""Who is online in a group: a view of the kit's presence (``gameplatform.presence``),
as ``chat.lobbies.presence`` is for lobbies.

A group socket stands at the place ``group:<id>``; a member is online in the group
while any of their group sockets is open, on any process. Transitions become
``presence_join`` / ``presence_leave`` frames (``gameplatform.chatrooms``; the announcer
``GroupsConfig.ready`` registers).
"""

from gameplatform import chatrooms, presence
from gameplatform.groups import clan_group

KIND = "group"


def group_place(group_id: int) -> str:
    return chatrooms.place(KIND, group_id)


def online_user_ids(*, group_id: int) -> list[int]:
    return presence.present_at(group_place(group_id))


announce = chatrooms.presence_announcer(clan_group)
