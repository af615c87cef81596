"""The game's metrics: games being played, read from the database at each scrape."""

from prometheus_client import Gauge

from game.registry import mode_names
from game.selectors import active_game_counts
from gameplatform.core.metrics import on_scrape

# Set by whichever process serves the scrape; the newest value is the truth.
GAMES_ACTIVE = Gauge(
    "gameplatform_games_active", "Games in state active, by mode.", ["mode"], multiprocess_mode="livemostrecent"
)


def refresh_games_active() -> None:
    counts = active_game_counts()
    for mode in mode_names():
        GAMES_ACTIVE.labels(mode).set(counts.get(mode, 0))


on_scrape.register(refresh_games_active)
