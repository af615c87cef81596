from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from game import services
from game.models import Game
from gameplatform.timers import periodic

BATCH = 500


@periodic("game.stale_sockets", every=5.0)
def mark_stale_players(now=None) -> int:
    """Players whose socket's heartbeat stopped (a crashed server) become away since they were last seen."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=services.stale_after_seconds())
    game_ids = list(
        Game.objects.filter(state__in=Game.UNFINISHED, players__connected=True, players__last_seen_at__lt=stale_before)
        .order_by("id")
        .values_list("id", flat=True)
        .distinct()[:BATCH]
    )
    return sum(services.game_mark_stale(game_id=game_id, now=now) for game_id in game_ids)


@periodic("game.reconnect_grace", every=1.0)
def expire_absent_players(now=None) -> int:
    """End the grace of players away longer than ``RECONNECT_GRACE_SECONDS``; returns the games changed."""
    now = now or timezone.now()
    deadline = now - timedelta(seconds=settings.RECONNECT_GRACE_SECONDS)
    game_ids = list(
        Game.objects.filter(
            state__in=Game.UNFINISHED,
            players__connected=False,
            players__forfeited=False,
            players__disconnected_at__lte=deadline,
        )
        .order_by("id")
        .values_list("id", flat=True)
        .distinct()[:BATCH]
    )
    return sum(services.game_expire_absent(game_id=game_id, now=now) for game_id in game_ids)
