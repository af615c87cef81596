from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

SLUG = RegexValidator(r"^[a-z0-9][a-z0-9_-]{0,63}\Z", "1-64 lowercase letters, digits, - or _.")


class Leaderboard(models.Model):
    """A ranking of scores. ``period`` counts the resets: records of older periods are the archive."""

    class Sort(models.TextChoices):
        DESC = "desc"
        ASC = "asc"

    class Operator(models.TextChoices):
        BEST = "best"
        SET = "set"
        INCR = "incr"

    id = models.CharField(primary_key=True, max_length=64, validators=[SLUG])
    sort = models.CharField(max_length=4, choices=Sort.choices, default=Sort.DESC)
    operator = models.CharField(max_length=4, choices=Operator.choices, default=Operator.BEST)
    reset = models.CharField(max_length=100, blank=True, help_text="A 5-field cron expression (UTC); blank: never")
    authoritative = models.BooleanField(default=False, help_text="Only modes' results and admins write it")
    metadata = models.JSONField(default=dict, blank=True)
    period = models.PositiveIntegerField(default=0)
    period_started_at = models.DateTimeField(auto_now_add=True)
    next_reset_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Records of the current period, counted in the transaction that inserts each (zeroed by a reset).
    record_count = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.id


class Record(models.Model):
    """One user's score on one board in one period. ``reached_at`` moves only when the score does."""

    board = models.ForeignKey(Leaderboard, on_delete=models.CASCADE, related_name="records")
    period = models.PositiveIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    score = models.BigIntegerField()
    metadata = models.JSONField(default=dict, blank=True)
    reached_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["board", "period", "user"], name="leaderboards_record_one_per_user"),
        ]
        # Ranks are counts of better rows: an index range on (board, period, score, reached_at).
        indexes = [models.Index(fields=["board", "period", "score", "reached_at"], name="leaderboards_rank_idx")]

    def __str__(self) -> str:
        return f"{self.board_id}#{self.period} user {self.user_id}: {self.score}"


class RankBucket(models.Model):
    """How many records of one (board, period) have a score in one bucket: ``score >> (8 * level)``.

    Level 0 is one row per score, each level up 256 times wider; a PostgreSQL trigger on the
    records keeps them in the transaction of every insert, score change and delete, whoever
    writes (the service, the admin, a user's deletion). A rank sums at most 255 sibling buckets
    per level (8 levels), whatever the size of the board. A board's delete removes its buckets
    (a trigger too: no foreign key, so a record deleted in the same cascade never revives one).
    """

    board = models.ForeignKey(
        Leaderboard, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", db_index=False
    )
    period = models.PositiveIntegerField()
    level = models.PositiveSmallIntegerField()
    key = models.BigIntegerField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["board", "period", "level", "key"], name="leaderboards_rank_bucket"),
        ]

    def __str__(self) -> str:
        return f"{self.board_id}#{self.period} level {self.level} key {self.key}: {self.count}"


class Tournament(models.Model):
    """A time-boxed board: entrants pay ``entry_fee`` gold once; ``rewards`` are paid by rank at the end."""

    board = models.OneToOneField(Leaderboard, primary_key=True, on_delete=models.CASCADE, related_name="tournament")
    title = models.CharField(max_length=100, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField(db_index=True)
    max_entries = models.PositiveIntegerField(null=True, blank=True, help_text="blank: no limit")
    entry_fee = models.PositiveIntegerField(default=0, help_text="gold")
    # [{"rank_from": 1, "rank_to": 1, "gold": 100}, ...]
    rewards = models.JSONField(default=list, blank=True)
    entry_count = models.PositiveIntegerField(default=0)
    ended_at = models.DateTimeField(null=True, blank=True, help_text="Set once every reward is paid")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="leaderboards_tournament_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(max_entries__isnull=True) | Q(entry_count__lte=models.F("max_entries")),
                name="leaderboards_tournament_entries_lte_max",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.board_id


class Entry(models.Model):
    tournament = models.ForeignKey(Tournament, on_delete=models.CASCADE, related_name="entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    fee_paid = models.PositiveIntegerField(default=0)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tournament", "user"], name="leaderboards_entry_once")]
        verbose_name_plural = "entries"

    def __str__(self) -> str:
        return f"{self.user_id} in {self.tournament_id}"


class Payout(models.Model):
    """A reward paid: written in the transaction of its ledger entry, once per (tournament, user)."""

    tournament = models.ForeignKey(Tournament, on_delete=models.CASCADE, related_name="payouts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField()
    gold = models.PositiveIntegerField()
    paid_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tournament", "user"], name="leaderboards_payout_once")]

    def __str__(self) -> str:
        return f"{self.gold} gold to {self.user_id} (rank {self.rank} in {self.tournament_id})"
