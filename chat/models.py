"""Chat: lobbies (the lobby, its members and their roles, bans, messages and the
moderation log) and direct messages between two users."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from gameplatform.chat.models import RoomBan, RoomMembership, RoomMessage

MIN_PARTICIPANTS = 2
MAX_PARTICIPANTS = 64
MESSAGE_MAX_LENGTH = 1000
DM_MAX_LENGTH = 2000


class Lobby(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        IN_GAME = "in_game"
        CLOSED = "closed"

    name = models.CharField(max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="owned_lobbies")
    is_public = models.BooleanField(default=True)
    max_participants = models.PositiveSmallIntegerField(default=8)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    # Kept equal to the number of memberships by the services (F() updates under the
    # lobby row lock); the constraint makes an over-full lobby impossible to write.
    participant_count = models.PositiveSmallIntegerField(default=0)
    # The game started from this lobby (a plain id, as the game's own rows never
    # point back at a lobby).
    game_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "lobbies"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "is_public", "-created_at"], name="lobby_status_public_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_participants__gte=MIN_PARTICIPANTS, max_participants__lte=MAX_PARTICIPANTS),
                name="lobby_max_participants_range",
            ),
            models.CheckConstraint(
                condition=models.Q(participant_count__lte=models.F("max_participants")),
                name="lobby_not_over_capacity",
            ),
            models.CheckConstraint(condition=models.Q(status__in=["open", "in_game", "closed"]), name="lobby_status"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (#{self.pk})"


class Membership(RoomMembership):
    class Role(models.TextChoices):
        OWNER = "owner"
        MODERATOR = "moderator"
        MEMBER = "member"

    room_field = "lobby"
    lobby = models.ForeignKey(Lobby, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lobby_memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)

    class Meta(RoomMembership.Meta):
        indexes = RoomMembership.room_indexes("lobby")
        constraints = RoomMembership.room_constraints("lobby", roles=["owner", "moderator", "member"], top="owner")


class LobbyBan(RoomBan):
    room_field = "lobby"
    lobby = models.ForeignKey(Lobby, on_delete=models.CASCADE, related_name="bans")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lobby_bans")
    reason = models.CharField(max_length=500, blank=True)

    class Meta(RoomBan.Meta):
        constraints = RoomBan.room_constraints("lobby")


class LobbyMessage(RoomMessage):
    room_field = "lobby"
    lobby = models.ForeignKey(Lobby, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lobby_messages")

    class Meta(RoomMessage.Meta):
        indexes = RoomMessage.room_indexes("lobby")
        constraints = RoomMessage.room_constraints("lobby", MESSAGE_MAX_LENGTH)


class LobbyEvent(models.Model):
    """The moderation log admins review: who did what to whom, and why."""

    class Kind(models.TextChoices):
        CREATE = "create"
        JOIN = "join"
        LEAVE = "leave"
        KICK = "kick"
        BAN = "ban"
        UNBAN = "unban"
        MODERATOR_ADDED = "moderator_added"
        MODERATOR_REMOVED = "moderator_removed"
        OWNER_CHANGED = "owner_changed"
        START = "start"
        CLOSE = "close"
        MESSAGE_DELETED = "message_deleted"

    lobby = models.ForeignKey(Lobby, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["lobby", "-created_at"], name="lobby_event_lobby_idx"),
            models.Index(fields=["kind", "-created_at"], name="lobby_event_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} in {self.lobby_id}"


class DirectMessage(models.Model):
    """One message between two users; ``read_at`` is set when the recipient reads the conversation."""

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dms_sent")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dms_received")
    content = models.TextField(max_length=DM_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # History of one conversation (both directions), newest first by id.
            models.Index(fields=["sender", "recipient", "id"], name="dm_pair_id_idx"),
            # Unread counts: only unread rows are indexed.
            models.Index(
                fields=["recipient", "sender"], condition=models.Q(read_at__isnull=True), name="dm_unread_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(sender=models.F("recipient")), name="dm_not_self"),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("content"), 1) & LessThanOrEqual(Length("content"), DM_MAX_LENGTH),
                name="dm_content_length",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender_id} -> {self.recipient_id}: {self.content[:40]}"
