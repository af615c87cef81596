from functools import cache

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import DateTimeField, Q, QuerySet

from accounts.models import GuestDevice, User
from gameplatform.data import rawsql

# Every REST request and socket handshake loads its token's user: one hand-written SELECT
# through a cursor, the row made an instance by ``Model.from_db`` (both documented Django
# APIs). ``User.objects.get(pk=...)`` builds its query on every call: measured per call on
# PostgreSQL, 315 µs of CPU against 107 µs here (``User.objects.raw``: 190-220 µs).
_KEY = User._meta.get_field("id")
_KEY_MAX = 2**63 - 1  # a BigAutoField holds 1 to 9223372036854775807 (its documented range)


@cache
def _user_read() -> tuple[str, list[str], list[int]]:
    """The statement, the fields' names in ``from_db``'s order, and where its datetimes are.

    Every concrete field, in ``_meta.concrete_fields`` order (``from_db``'s documentation);
    each column named and quoted by ``rawsql.column``.
    """
    fields = User._meta.concrete_fields
    columns = ", ".join(rawsql.column(field) for field in fields)
    sql = f'SELECT {columns} FROM "{User._meta.db_table}" WHERE {rawsql.column(_KEY)} = %s'
    datetimes = [index for index, field in enumerate(fields) if isinstance(field, DateTimeField)]
    return sql, [field.attname for field in fields], datetimes


def user_key(claim) -> int | None:
    """A token's claim as a user's key, None for a claim no row can have (not an integer, or out
    of the key's range)."""
    try:
        pk = _KEY.to_python(claim)
    except ValidationError:
        return None
    if pk is None or not 1 <= pk <= _KEY_MAX:
        return None  # no row has it (and SQLite could not even bind it: OverflowError)
    return pk


def user_columns() -> list[str]:
    """The names of a user's columns as ``user_from_columns`` takes them: to read a user in a
    statement of one's own (``values(*user_columns(), ...)``)."""
    return _user_read()[1]


def user_from_columns(values: dict, using: str = "default") -> User:
    """The user whose ``user_columns()`` a statement read (as ``User.objects.get`` loads it)."""
    _, names, datetimes = _user_read()
    return _user_of_row(using, names, datetimes, [values[name] for name in names])


def _aware_row(using: str, datetimes: list[int], row) -> tuple:
    """A row as read, its datetimes made aware (as the ORM makes them)."""
    if datetimes:
        row = list(row)
        for index in datetimes:
            row[index] = rawsql.aware(row[index], using)
    return tuple(row)


def _user_of_row(using: str, names: list[str], datetimes: list[int], row) -> User:
    return User.from_db(using, names, _aware_row(using, datetimes, row))


def _row_by_pk(user_id, using: str = "default") -> tuple | None:
    """The row of the user with this key, as ``User.from_db`` takes it (its datetimes aware), else
    None (also for a key that is no integer, as a token's claim may be)."""
    pk = user_key(user_id)
    if pk is None:
        return None
    sql, _, datetimes = _user_read()
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    return None if row is None else _aware_row(using, datetimes, row)


def _user_by_pk(user_id, using: str = "default") -> User | None:
    """The user with this key, as ``User.objects.get(pk=user_id)`` loads it, else None
    (also for a key that is no integer, as a token's claim may be)."""
    row = _row_by_pk(user_id, using)
    return None if row is None else User.from_db(using, _user_read()[1], row)


def user_by_token_get(*, user_id) -> User | None:
    """The user an access token names, active or not (the caller tells the two apart)."""
    return _user_by_pk(user_id)


def user_active_get(*, user_id) -> User | None:
    """An active user by id (a socket's token or ticket, a public profile), else None."""
    user = _user_by_pk(user_id)
    return user if user is not None and user.is_active else None


def token_current(user: User, issued_at) -> bool:
    """Whether an access token issued at ``issued_at`` (its ``iat``, seconds since the epoch)
    still holds for ``user``: issued in or after the second their sessions last ended. A token
    without ``iat`` holds only for an account whose sessions never ended."""
    ended = user.sessions_ended_at
    if ended is None:
        return True
    try:
        return int(issued_at) >= int(ended.timestamp())
    except (TypeError, ValueError):
        return False


def token_user_row(*, user_id) -> tuple | None:
    """The row of the user an access token names, active or not, as ``token_user`` takes it (a
    socket's handshake: ``gameplatform.sockets.usercache`` keeps it as it is for a while)."""
    return _row_by_pk(user_id)


def token_user(*, row: tuple, issued_at) -> User | None:
    """The user of ``row`` (``token_user_row``) when an access token issued at ``issued_at`` holds
    for them: active, and issued after their sessions last ended (``accounts.sessions``); else None.
    A new instance each call (a socket may keep and change its own); reads nothing."""
    user = User.from_db("default", _user_read()[1], row)
    return user if user.is_active and token_current(user, issued_at) else None


def user_search(*, query: str = "") -> QuerySet[User]:
    """Active users by name; minors are never listed (``accounts.policy``: private by default)."""
    # Imported here: the policy's errors import DRF, whose settings import this module.
    from accounts.policy import minors_q

    users = User.objects.filter(is_active=True).exclude(minors_q()).order_by("username", "id")
    query = query.strip()
    if query:
        users = users.filter(Q(username__icontains=query) | Q(display_name__icontains=query))
    return users


def username_of(*, user_id: int) -> str:
    return User.objects.filter(pk=user_id).values_list("username", flat=True).first() or ""


def users_by_id(*, user_ids: list[int]) -> list[User]:
    """These users (any that exist), by username."""
    return list(User.objects.filter(pk__in=user_ids).order_by("username", "id"))


def user_has_guest_device(*, user: User) -> bool:
    """Whether a guest's device logs ``user`` in (POST /api/auth/device/): a way in of its own."""
    return GuestDevice.objects.filter(user=user).exists()
