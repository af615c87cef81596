from datetime import timedelta

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
    """End the grace of absent players (see ``services.game_expire_absent``); returns the games changed."""
    now = now or timezone.now()
    game_ids = list(
        Game.objects.filter(services.grace_over(now=now, prefix="players__"), state__in=Game.UNFINISHED)
        .order_by("id")
        .values_list("id", flat=True)
        .distinct()[:BATCH]
    )
    return sum(services.game_expire_absent(game_id=game_id, now=now) for game_id in game_ids)
