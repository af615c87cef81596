"""Reads of the inbox: a player's messages and unread count, the messages due, the players to try."""

from django.db.models import F, Func, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.expressions import Expression
from django.utils import timezone

from accounts.models import User
from liveops.inbox.models import InboxEntry, Message


def inbox_of(*, user_id: int) -> QuerySet[InboxEntry]:
    """A player's inbox, newest first, with each message."""
    return InboxEntry.objects.filter(user_id=user_id).select_related("message").order_by("-created_at", "-pk")


def _unread(user_id) -> QuerySet[InboxEntry]:
    return InboxEntry.objects.filter(user_id=user_id, read_at__isnull=True)


def unread_count(*, user_id: int) -> int:
    return _unread(user_id).count()


def unread_count_of(*, user_ref: str = "pk") -> Expression:
    """``unread_count`` of the user ``OuterRef(user_ref)``, as an expression of a query over users.

    A plain ``COUNT`` over the unread entries (one row, 0 for none), not the ORM's grouped
    ``annotate(Count)``: PostgreSQL plans it in less time, and every ``GET /api/liveops/`` plans it."""
    count = Func(F("pk"), function="COUNT", output_field=IntegerField())
    return Subquery(_unread(OuterRef(user_ref)).order_by().annotate(total=count).values("total"))


def due_message_ids(*, now=None) -> list[int]:
    now = now or timezone.now()
    return list(
        Message.objects.filter(sent_at__isnull=True, send_at__lte=now).order_by("send_at").values_list("pk", flat=True)
    )


def players_after(*, after_id: int, limit: int) -> list[User]:
    """The next ``limit`` active accounts by id after ``after_id`` (delivery walks them in chunks)."""
    return list(User.objects.filter(is_active=True, pk__gt=after_id).order_by("pk")[:limit])
