from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from game import services
from game.models import Game, GamePlayer
from gameplatform.timers import periodic

BATCH = 500


@periodic("game.reconnect_grace", every=1.0)
def expire_absent_players(now=None) -> int:
    """End the grace of players away longer than ``RECONNECT_GRACE_SECONDS``; returns the games changed."""
    now = now or timezone.now()
    deadline = now - timedelta(seconds=settings.RECONNECT_GRACE_SECONDS)
    game_ids = list(
        GamePlayer.objects.filter(
            connected=False, forfeited=False, disconnected_at__lte=deadline, game__state__in=Game.UNFINISHED
        )
        .order_by("game_id")
        .values_list("game_id", flat=True)
        .distinct()[:BATCH]
    )
    return sum(services.game_expire_absent(game_id=game_id, now=now) for game_id in game_ids)
