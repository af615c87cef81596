"""The queue's metrics: its length (read from the database at each scrape), the matches it made,
the matches called off before their start, and the players it dropped because they were gone."""

from django.db import transaction
from prometheus_client import Counter, Gauge

from game.registry import mode_names
from gameplatform.core.metrics import on_scrape
from matchmaking.queue.selectors import queue_lengths

QUEUE_LENGTH = Gauge(
    "gameplatform_matchmaking_queue_length",
    "Players waiting in the matchmaking queue, by mode.",
    ["mode"],
    multiprocess_mode="livemostrecent",  # set by whichever process serves the scrape
)
MATCHES = Counter("gameplatform_matchmaking_matches_total", "Games made by the matchmaking queue, by mode.", ["mode"])
CALLED_OFF = Counter(
    "gameplatform_matchmaking_called_off_total",
    "Queue matches called off before their start (a player never came), their other players queued again, by mode.",
    ["mode"],
)
DROPPED = Counter(
    "gameplatform_matchmaking_dropped_total",
    "Queue entries dropped because their player was gone (no socket, no status request).",
)


def refresh_queue_length() -> None:
    for mode, length in queue_lengths().items():
        QUEUE_LENGTH.labels(mode).set(length)


def matches_made_on_commit(*, mode: str, count: int) -> None:
    """Count ``count`` matches of ``mode`` once the transaction that made them commits."""
    if count and mode in mode_names():
        transaction.on_commit(lambda: MATCHES.labels(mode).inc(count))


def called_off_on_commit(*, mode: str) -> None:
    if mode in mode_names():
        transaction.on_commit(lambda: CALLED_OFF.labels(mode).inc())


def queue_dropped_on_commit(*, count: int) -> None:
    if count:
        transaction.on_commit(lambda: DROPPED.inc(count))


on_scrape.register(refresh_queue_length)
