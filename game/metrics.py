"""The game's metrics: games being played, read from the database at each scrape."""

from django.db.models import Count
from prometheus_client import Gauge

from game.models import Game
from game.registry import mode_names
from gameplatform.metrics import on_scrape

# Set by whichever process serves the scrape; the newest value is the truth.
GAMES_ACTIVE = Gauge(
    "gameplatform_games_active", "Games in state active, by mode.", ["mode"], multiprocess_mode="livemostrecent"
)


def refresh_games_active() -> None:
    counts = dict(Game.objects.filter(state=Game.State.ACTIVE).values_list("mode").annotate(n=Count("id")).order_by())
    for mode in mode_names():
        GAMES_ACTIVE.labels(mode).set(counts.get(mode, 0))


on_scrape.register(refresh_games_active)
