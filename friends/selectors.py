from datetime import datetime

from django.db import connection
from django.db.models import Q, QuerySet

from friends.models import Block, FriendRequest, Friendship, LastSeen
from gameplatform.data.rawsql import aware, placeholders
from gameplatform.sockets import presence


def are_friends(*, user_a_id: int, user_b_id: int) -> bool:
    return Friendship.objects.filter(user_id=user_a_id, friend_id=user_b_id).exists()


def is_blocked_between(*, user_a_id: int, user_b_id: int) -> bool:
    """True when either user blocks the other."""
    return Block.objects.filter(
        Q(blocker_id=user_a_id, blocked_id=user_b_id) | Q(blocker_id=user_b_id, blocked_id=user_a_id)
    ).exists()


# The rows of ``Friendship.objects.filter(user_id__in=...).values_list("user_id", "friend_id")``,
# in its order, written out: every socket that brings its user online and every last socket that
# closes reads them (``friends.presence.announce``), and building that query through the ORM cost
# more CPU than running it (measured per call on PostgreSQL: 390 µs of CPU through the ORM, 80 µs
# here). PostgreSQL takes the ids as one array (one statement text, prepared once per connection,
# for any number of ids); SQLite as an ``IN`` list.
_FRIEND_IDS = (
    f'SELECT "user_id", "friend_id" FROM "{Friendship._meta.db_table}" WHERE "user_id" {{}}'
    ' ORDER BY "created_at" DESC, "id" DESC'
)


def friend_ids_of(*, user_ids: list[int]) -> dict[int, list[int]]:
    """Each user's friends, in one query (none for no users)."""
    if not user_ids:
        return {}
    ids = [int(user_id) for user_id in user_ids]
    if connection.vendor == "postgresql":
        sql, params = _FRIEND_IDS.format("= ANY(%s)"), [ids]
    else:
        sql, params = _FRIEND_IDS.format(f"IN ({placeholders(len(ids))})"), ids
    friends: dict[int, list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for user_id, friend_id in cursor.fetchall():
            friends.setdefault(user_id, []).append(friend_id)
    return friends


def friendships_for(*, user_id: int) -> QuerySet[Friendship]:
    return Friendship.objects.filter(user_id=user_id).select_related("friend")


def pending_requests(*, user_id: int, direction: str) -> QuerySet[FriendRequest]:
    requests = FriendRequest.objects.filter(status=FriendRequest.Status.PENDING).select_related("from_user", "to_user")
    if direction == "outgoing":
        return requests.filter(from_user_id=user_id)
    return requests.filter(to_user_id=user_id)


def pending_request_count(*, user_id: int) -> int:
    return FriendRequest.objects.filter(to_user_id=user_id, status=FriendRequest.Status.PENDING).count()


def blocks_for(*, user_id: int) -> QuerySet[Block]:
    return Block.objects.filter(blocker_id=user_id).select_related("blocked")


def last_seen_map(*, user_ids: list[int]) -> dict:
    return dict(LastSeen.objects.filter(user_id__in=user_ids).values_list("user_id", "at"))


def friend_rows(*, friendships: list[Friendship]) -> list[dict]:
    """A page of friendships with presence: ``{user, online, since, last_seen}``.

    ``last_seen`` is when the friend's last socket closed; null while online or never seen.
    One query and one presence read per page, whatever its size.
    """
    ids = [f.friend_id for f in friendships]
    states = presence.states(ids)
    seen = last_seen_map(user_ids=ids)
    rows = []
    for friendship in friendships:
        online = states.get(friendship.friend_id, (False, 0))[0]
        rows.append(
            {
                "user": friendship.friend,
                "online": online,
                "since": friendship.created_at,
                "last_seen": None if online else seen.get(friendship.friend_id),
            }
        )
    return rows


# The rows of ``Friendship.objects.filter(user_id=...).values_list("friend_id",
# "friend__last_seen__at")``, in its order (``Friendship.Meta.ordering``), written out: building
# that query cost more CPU than the rest of a presence socket's handshake (measured per call
# on PostgreSQL: 512 µs of CPU through the ORM, 115 µs here). The ORM's join through the
# user table is left out: the foreign key guarantees the friend's row.
_FRIENDS_LAST_SEEN = (
    f"SELECT f.friend_id, s.at FROM {Friendship._meta.db_table} f"
    f" LEFT JOIN {LastSeen._meta.db_table} s ON s.user_id = f.friend_id"
    " WHERE f.user_id = %s ORDER BY f.created_at DESC, f.id DESC"
)


def _friends_last_seen(*, user_id: int) -> list[tuple[int, datetime | None]]:
    """Each friend of the user and when they were last seen (None: never), newest friend first."""
    with connection.cursor() as cursor:
        cursor.execute(_FRIENDS_LAST_SEEN, [user_id])
        return [(friend_id, aware(at)) for friend_id, at in cursor.fetchall()]


def presence_snapshot(*, user_id: int) -> list[dict]:
    """Every friend's presence, with the change version the socket filters later events by."""
    # Friends and when each was last seen, in one query (a socket handshake waits for it).
    seen = dict(_friends_last_seen(user_id=user_id))
    ids = list(seen)
    states = presence.states(ids)
    snapshot = []
    for friend_id in sorted(ids):
        online, version = states.get(friend_id, (False, 0))
        snapshot.append(
            {
                "user_id": friend_id,
                "online": online,
                "last_seen": None if online else seen.get(friend_id),
                "version": version,
            }
        )
    return snapshot
