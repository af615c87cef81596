"""The tables every chat room has (lobbies, player groups): abstract models an app's concrete
memberships, bans and messages subclass, so both kinds of room have the same columns, indexes and
constraints, named after the room (``lobby_message_history_idx``, ``group_message_history_idx``).

It imports Django only: the apps' ``models.py`` import it while the models load, before the rest
of the kit (``gameplatform.chat.rooms``, which reads these tables) can be imported.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual


class RoomRow(models.Model):
    """A row of one room: its subclass's ``room_field`` names the room's foreign key."""

    room_field: ClassVar[str]  # "lobby"

    class Meta:
        abstract = True

    @property
    def room_id(self) -> int:
        return getattr(self, f"{self.room_field}_id")


class RoomMembership(RoomRow):
    """A member of a room and their role. A subclass adds the room's foreign key, the user's (with
    its related name) and ``role`` (its ``Role`` choices), and takes its indexes and constraints from
    ``room_constraints``."""

    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["joined_at", "id"]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.room_id} ({self.role})"

    @staticmethod
    def room_indexes(room: str) -> list[models.Index]:
        return [models.Index(fields=["user"], name=f"{room}_membership_user_idx")]

    @staticmethod
    def room_constraints(room: str, *, roles: list[str], top: str) -> list[models.BaseConstraint]:
        """One membership per user and room, one member of the ``top`` role, the role one of ``roles``."""
        return [
            models.UniqueConstraint(fields=[room, "user"], name=f"{room}_membership_unique"),
            models.UniqueConstraint(fields=[room], condition=models.Q(role=top), name=f"{room}_one_{top}"),
            models.CheckConstraint(condition=models.Q(role__in=roles), name=f"{room}_role"),
        ]


class RoomBan(RoomRow):
    """Who may not join a room (a member banned is removed), and who said so. A subclass adds the
    room's foreign key and the user's (with its related name), and takes its constraint from
    ``room_constraints``."""

    banned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} banned from {self.room_id}"

    @staticmethod
    def room_constraints(room: str) -> list[models.BaseConstraint]:
        """One ban per user and room."""
        return [models.UniqueConstraint(fields=[room, "user"], name=f"{room}_ban_unique")]


class RoomMessage(RoomRow):
    """A message of a room. A subclass adds the room's foreign key and the sender's (with its related
    name), and takes its index and length constraint from ``room_indexes`` and ``room_constraints``."""

    content = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} by {self.sender_id} in {self.room_id}"

    @staticmethod
    def room_indexes(room: str) -> list[models.Index]:
        """The room's history, newest first."""
        return [models.Index(fields=[room, "-id"], name=f"{room}_message_history_idx")]

    @staticmethod
    def room_constraints(room: str, max_length: int) -> list[models.BaseConstraint]:
        return [
            models.CheckConstraint(
                condition=models.Q(GreaterThanOrEqual(Length("content"), 1))
                & models.Q(LessThanOrEqual(Length("content"), max_length)),
                name=f"{room}_message_length",
            ),
        ]
