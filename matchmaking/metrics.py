"""The queue's metrics: its length (read from the database at each scrape) and the matches it made."""

from django.db import transaction
from prometheus_client import Counter, Gauge

from game.registry import mode_names
from gameplatform.metrics import on_scrape
from matchmaking.queue.selectors import queue_lengths

QUEUE_LENGTH = Gauge(
    "gameplatform_matchmaking_queue_length",
    "Players waiting in the matchmaking queue, by mode.",
    ["mode"],
    multiprocess_mode="livemostrecent",  # set by whichever process serves the scrape
)
MATCHES = Counter("gameplatform_matchmaking_matches_total", "Games made by the matchmaking queue, by mode.", ["mode"])


def refresh_queue_length() -> None:
    for mode, length in queue_lengths().items():
        QUEUE_LENGTH.labels(mode).set(length)


def matches_made_on_commit(*, mode: str, count: int) -> None:
    """Count ``count`` matches of ``mode`` once the transaction that made them commits."""
    if count and mode in mode_names():
        transaction.on_commit(lambda: MATCHES.labels(mode).inc(count))


on_scrape.register(refresh_queue_length)
