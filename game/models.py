import json
import zlib

from django.conf import settings
from django.db import models


class Game(models.Model):
    """One game room. Its state changes only through ``game.services`` (see ``TRANSITIONS`` there)."""

    class State(models.TextChoices):
        WAITING_FOR_PLAYERS = "waiting_for_players"
        WAITING_FOR_READY = "waiting_for_ready"
        ACTIVE = "active"
        FINISHED = "finished"
        ABANDONED = "abandoned"

    class Reason(models.TextChoices):
        WIN = "win"
        DRAW = "draw"
        FORFEIT = "forfeit"
        ABANDONED = "abandoned"
        ABORTED = "aborted"  # the mode kept failing (``Mode.max_errors``): ended, unrated

    UNFINISHED = (State.WAITING_FOR_PLAYERS, State.WAITING_FOR_READY, State.ACTIVE)

    mode = models.CharField(max_length=32, db_index=True)
    state = models.CharField(max_length=24, choices=State.choices, default=State.WAITING_FOR_PLAYERS)
    # The final board of a mode whose view is the same for everyone (tic-tac-toe: 9 cells of
    # "X" / "O" / null), written with the result; a running game lives in its room, not here.
    board = models.JSONField(null=True, blank=True)
    turn = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    winner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="games_won"
    )
    reason = models.CharField(max_length=16, choices=Reason.choices, blank=True)
    lobby_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # The seed of the game's random numbers (``ctx.random``): with the inputs it replays the game.
    seed = models.BigIntegerField(default=0)
    # The live operations flags its rules read (``ctx.flag``), fixed when its room was made:
    # ``{"room": {flag: value}, "players": {user id: {flag: value}}}``; with the seed, the replay's.
    flags = models.JSONField(default=dict, blank=True)
    # How long its room waits for a player who has not come yet, when shorter than the first-connect
    # grace (a queue match: MATCH_CONNECT_SECONDS); null: the grace.
    connect_seconds = models.PositiveSmallIntegerField(null=True, blank=True)
    move_count = models.PositiveIntegerField(default=0)
    # Bumped on every change and sent in game_state, so a client keeps the newest state it saw.
    version = models.PositiveIntegerField(default=0)
    # Set in the transaction that applies the ratings: a finished game is rated once.
    rated = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state"], name="game_state_idx"),
            # The timers and "is this user in a game?" look only at unfinished games: a small
            # partial index that does not grow with history.
            models.Index(
                fields=["id"],
                condition=models.Q(state__in=["waiting_for_players", "waiting_for_ready", "active"]),
                name="game_unfinished_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    state__in=["waiting_for_players", "waiting_for_ready", "active", "finished", "abandoned"]
                ),
                name="game_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["finished", "abandoned"], finished_at__isnull=False, reason__gt="")
                | models.Q(state__in=["waiting_for_players", "waiting_for_ready", "active"], finished_at__isnull=True),
                name="game_finished_has_time_and_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(winner__isnull=True) | models.Q(state="finished"),
                name="game_winner_only_when_finished",
            ),
            models.CheckConstraint(
                condition=models.Q(started_at__isnull=False) | ~models.Q(state="active"),
                name="game_active_has_start",
            ),
            models.CheckConstraint(
                condition=models.Q(rated=False) | models.Q(state="finished"), name="game_rated_finished"
            ),
        ]

    def __str__(self) -> str:
        return f"game {self.pk} ({self.mode}, {self.state})"

    @property
    def is_over(self) -> bool:
        return self.state not in self.UNFINISHED


class GamePlayer(models.Model):
    class Side(models.TextChoices):
        LEFT = "left"
        RIGHT = "right"

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="players")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="game_seats")
    seat = models.PositiveSmallIntegerField()
    side = models.CharField(max_length=5, choices=Side.choices)
    score = models.IntegerField(default=0)
    ready = models.BooleanField(default=False)
    connected = models.BooleanField(default=False)
    # When the player joined the queue that matched them into this game (queue games only): a
    # match called off before its start puts them back in the queue with that wait.
    queued_at = models.DateTimeField(null=True, blank=True)
    # The grace clock: since when the player is away; before their first connection, since the
    # game was handed to the players (its creating transaction committed).
    disconnected_at = models.DateTimeField(null=True, blank=True)
    forfeited = models.BooleanField(default=False)
    # Left (forfeit or grace) before the game started: out of the game and out of its rating.
    left_before_start = models.BooleanField(default=False)
    rating_change = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["seat"]
        indexes = [
            models.Index(fields=["connected", "disconnected_at"], name="gameplayer_absent_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["game", "user"], name="gameplayer_once_per_game"),
            models.UniqueConstraint(fields=["game", "seat"], name="gameplayer_one_per_seat"),
            models.CheckConstraint(condition=models.Q(side__in=["left", "right"]), name="gameplayer_side_valid"),
            models.CheckConstraint(
                condition=models.Q(connected=True) | models.Q(disconnected_at__isnull=False),
                name="gameplayer_absent_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in game {self.game_id} ({self.side})"


class GameReplay(models.Model):
    """Every step a finished game's room took (its log, from each owner's snapshots), the version
    of its mode's code and the grace it ran with: with the game's seed and seats it plays again,
    step for step (``game.replays``)."""

    game = models.OneToOneField(Game, primary_key=True, on_delete=models.CASCADE, related_name="replay")
    mode_version = models.CharField(max_length=16)
    # The steps, [[step, game time, op, args, version], ...], as zlib-compressed JSON: a 90 s
    # four-player arena game with 20 inputs a second is about 3,200 steps, 228 KB of JSON, 72 KB here.
    log = models.BinaryField()
    grace = models.JSONField()  # {"reconnect": seconds, "first": seconds}
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"replay of game {self.game_id}"

    @staticmethod
    def pack(steps: list) -> bytes:
        return zlib.compress(json.dumps(steps, separators=(",", ":")).encode(), 6)

    @property
    def steps(self) -> list:
        return json.loads(zlib.decompress(bytes(self.log)))


class Rating(models.Model):
    """Elo rating of one user in one mode (a row appears with the first rated game)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings")
    mode = models.CharField(max_length=32)
    rating = models.IntegerField(default=1000)
    wins = models.PositiveIntegerField(default=0)
    losses = models.PositiveIntegerField(default=0)
    draws = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["mode", "-rating", "user_id"]
        indexes = [models.Index(fields=["mode", "-rating", "user"], name="rating_leaderboard_idx")]
        constraints = [models.UniqueConstraint(fields=["user", "mode"], name="rating_one_per_user_mode")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.mode} {self.rating}"
