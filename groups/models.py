"""Player groups (clans): the group, its members and their roles, join requests, bans, chat."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from gameplatform.chat.models import RoomBan, RoomMembership, RoomMessage

MIN_MEMBERS = 2
MAX_MEMBERS = 500
NAME_MAX_LENGTH = 64
DESCRIPTION_MAX_LENGTH = 500
MESSAGE_MAX_LENGTH = 1000


class Group(models.Model):
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    description = models.CharField(max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    open = models.BooleanField(default=True, help_text="Anyone may join at once; else by request.")
    max_members = models.PositiveSmallIntegerField(default=100)
    # Kept equal to the number of memberships by the services (F() updates under the
    # group row lock); the constraint makes an over-full group impossible to write.
    member_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "player group"
        verbose_name_plural = "player groups"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="group_name_unique_ci"),
            models.CheckConstraint(
                condition=models.Q(max_members__gte=MIN_MEMBERS, max_members__lte=MAX_MEMBERS),
                name="group_max_members_range",
            ),
            models.CheckConstraint(
                condition=models.Q(member_count__lte=models.F("max_members")), name="group_not_over_capacity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (#{self.pk})"


class GroupMembership(RoomMembership):
    class Role(models.TextChoices):
        SUPERADMIN = "superadmin"
        ADMIN = "admin"
        MEMBER = "member"

    room_field = "group"
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)

    class Meta(RoomMembership.Meta):
        verbose_name = "group membership"
        verbose_name_plural = "group memberships"
        indexes = RoomMembership.room_indexes("group")
        constraints = RoomMembership.room_constraints(
            "group", roles=["superadmin", "admin", "member"], top="superadmin"
        )


class GroupJoinRequest(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_join_requests")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "group join request"
        verbose_name_plural = "group join requests"
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="group_join_request_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} asks to join {self.group_id}"


class GroupBan(RoomBan):
    room_field = "group"
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="bans")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_bans")

    class Meta(RoomBan.Meta):
        verbose_name = "group ban"
        verbose_name_plural = "group bans"
        constraints = RoomBan.room_constraints("group")


class GroupMessage(RoomMessage):
    room_field = "group"
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_messages")

    class Meta(RoomMessage.Meta):
        verbose_name = "group message"
        verbose_name_plural = "group messages"
        indexes = RoomMessage.room_indexes("group")
        constraints = RoomMessage.room_constraints("group", MESSAGE_MAX_LENGTH)
