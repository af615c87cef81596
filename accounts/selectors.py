from django.db.models import Q, QuerySet

from accounts.models import User
from gameplatform.rows import RowByPk

# Every REST request and socket handshake loads its token's user: by a prepared statement.
_user_by_pk = RowByPk(User)


def user_by_token_get(*, user_id) -> User | None:
    """The user an access token names, active or not (the caller tells the two apart)."""
    return _user_by_pk.get(user_id)


def user_active_get(*, user_id) -> User | None:
    """An active user by id (a socket's token or ticket, a public profile), else None."""
    user = _user_by_pk.get(user_id)
    return user if user is not None and user.is_active else None


def user_search(*, query: str = "") -> QuerySet[User]:
    users = User.objects.filter(is_active=True).order_by("username", "id")
    query = query.strip()
    if query:
        users = users.filter(Q(username__icontains=query) | Q(display_name__icontains=query))
    return users


def username_of(*, user_id: int) -> str:
    return User.objects.filter(pk=user_id).values_list("username", flat=True).first() or ""


def users_by_id(*, user_ids: list[int]) -> list[User]:
    """These users (any that exist), by username."""
    return list(User.objects.filter(pk__in=user_ids).order_by("username", "id"))
