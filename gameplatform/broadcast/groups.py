"""The one place group names are made.

Every broadcast in the project goes to one of these groups; nothing else
builds a group name by hand, so a typo cannot split a room in two.
"""

GROUP_KINDS = frozenset(
    {"user", "lobby", "game", "watch", "dm", "battle", "world", "area", "party", "faction", "room", "clan", "host"}
)


def group_name(kind: str, *ids: int) -> str:
    if kind not in GROUP_KINDS:
        raise ValueError(f"unknown group kind {kind!r}")
    if not ids:
        raise ValueError("a group name needs at least one id")
    return "_".join([kind, *(str(int(i)) for i in ids)])


def user_group(user_id: int) -> str:
    return group_name("user", user_id)


def lobby_group(lobby_id: int) -> str:
    return group_name("lobby", lobby_id)


def game_group(game_id: int) -> str:
    return group_name("game", game_id)


def watch_group(game_id: int) -> str:
    """A game's spectators' sockets, on every process (the players' are in ``game_group``)."""
    return group_name("watch", game_id)


def host_group(number: int) -> str:
    """One server process's room host, by its number (``gameplatform.rooms.placement``): the rooms
    other processes ask it to open."""
    return group_name("host", number)


def battle_group(battle_id: int) -> str:
    return group_name("battle", battle_id)


def world_group() -> str:
    """Every world socket (world-wide chat, shard captures, world events)."""
    return "world_all"


def accounts_group() -> str:
    """One group every process listens on once (``gameplatform.sockets.lockout``): close a user's sockets."""
    return "accounts_all"


def everyone_group() -> str:
    """Every notifications socket: what every connected player hears (``liveops_changed``). The hub
    subscribes a process to it once, with its first such socket: one subscription per process,
    and a broadcast crosses Redis once per process, whatever the number of players."""
    return "everyone_all"


def world_user_group(user_id: int) -> str:
    """The world socket of one user (whispers, and the signal that replaces an older socket)."""
    return group_name("world", user_id)


def area_group(location_id: int) -> str:
    return group_name("area", location_id)


def party_group(party_id: int) -> str:
    return group_name("party", party_id)


def clan_group(group_id: int) -> str:
    """The chat socket of a player group (the ``groups`` app: clans)."""
    return group_name("clan", group_id)


def faction_group(faction_id: int) -> str:
    return group_name("faction", faction_id)


def dm_group(user_a: int, user_b: int) -> str:
    """Both users share one group whichever of them asks: ids are sorted."""
    low, high = sorted((int(user_a), int(user_b)))
    return group_name("dm", low, high)
