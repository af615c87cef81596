"""Matchmaking: the queue (players waiting to be paired) and invites between friends."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class QueueEntry(models.Model):
    """A player waiting for a match. The row is the queue: it survives reconnects and restarts."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="queue_entry")
    mode = models.CharField(max_length=32)
    rating = models.IntegerField()  # the player's rating in ``mode`` when they joined
    joined_at = models.DateTimeField()
    # The last sign that the player is still there: their join, a status request, or a socket of
    # theirs found open (``matchmaking.queue.services.queue_drop_absent``).
    seen_at = models.DateTimeField(default=timezone.now)
    # When a look found no socket of theirs (None: not missed since last seen). One look is not
    # enough to drop a player: their client may be reconnecting (a deploy) or Redis may have just
    # come back empty; the next look at least ``QUEUE_MISS_SECONDS`` later decides.
    missed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]
        verbose_name_plural = "queue entries"
        indexes = [
            models.Index(fields=["mode", "joined_at", "id"], name="queue_mode_wait_idx"),
            models.Index(fields=["seen_at", "id"], name="queue_seen_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} waiting for {self.mode}"


class Invite(models.Model):
    """An invite from one friend to another, to a new game (``mode``) or into a lobby (``lobby_id``);
    or, from a party's leader to any user not blocking them, into a world party (``party_id``).

    ``lobby_id`` and ``party_id`` are plain ids: the lobby lives in the chat app, the party in the
    world app (above this one), and each checks its own on join (``matchmaking.invites.hooks``).
    """

    class Kind(models.TextChoices):
        GAME = "game"
        LOBBY = "lobby"
        PARTY = "party"

    class Status(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        DECLINED = "declined"
        CANCELLED = "cancelled"
        EXPIRED = "expired"

    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invites_sent")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invites_received")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    mode = models.CharField(max_length=32, blank=True, default="")
    lobby_id = models.PositiveBigIntegerField(null=True, blank=True)
    party_id = models.PositiveBigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    game_id = models.PositiveBigIntegerField(null=True, blank=True, help_text="The game an accepted game invite made.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["to_user", "status"], name="invite_inbox_idx"),
            models.Index(fields=["from_user", "status"], name="invite_sent_idx"),
            # The expiry job scans pending invites by deadline.
            models.Index(fields=["expires_at"], condition=models.Q(status="pending"), name="invite_pending_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(from_user=models.F("to_user")), name="invite_not_self"),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="game")
                    & ~models.Q(mode="")
                    & models.Q(lobby_id__isnull=True)
                    & models.Q(party_id__isnull=True)
                )
                | (models.Q(kind="lobby") & models.Q(lobby_id__isnull=False) & models.Q(party_id__isnull=True))
                | (models.Q(kind="party") & models.Q(party_id__isnull=False) & models.Q(lobby_id__isnull=True)),
                name="invite_kind_target",
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending", responded_at__isnull=True)
                | (~models.Q(status="pending") & models.Q(responded_at__isnull=False)),
                name="invite_responded_iff_not_pending",
            ),
            models.CheckConstraint(
                condition=models.Q(game_id__isnull=True) | models.Q(kind="game", status="accepted"),
                name="invite_game_only_when_accepted",
            ),
            # One pending invite from a sender to a receiver at a time.
            models.UniqueConstraint(
                fields=["from_user", "to_user"],
                condition=models.Q(status="pending"),
                name="invite_one_pending_per_pair",
            ),
        ]

    def __str__(self) -> str:
        target = {self.Kind.GAME: self.mode, self.Kind.LOBBY: f"lobby {self.lobby_id}"}.get(
            self.kind, f"party {self.party_id}"
        )
        return f"{self.from_user_id} -> {self.to_user_id}: {target} ({self.status})"
