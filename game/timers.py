from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from game import services
from game.models import Game, GameReplay
from gameplatform.operations.timers import periodic
from gameplatform.rooms import room_store

BATCH = 500


@periodic("game.unclaimed", every=5.0)
def abandon_unclaimed_games(now=None) -> int:
    """Unfinished games no process runs or can resume end abandoned: nobody came within the first-connect
    grace, or the room's owner died and nobody came back within the reconnect grace. Returns how many."""
    now = now or timezone.now()
    candidates = list(
        Game.objects.filter(state__in=Game.UNFINISHED, players__disconnected_at__lt=services.unclaimed_before(now))
        .order_by("id")
        .values_list("id", flat=True)
        .distinct()[:BATCH]
    )
    idle = services.reconnect_grace_seconds()
    return sum(
        services.game_abandon_unclaimed(game_id=g) for g in room_store().unclaimed(candidates, idle_seconds=idle)
    )


@periodic("game.replays_expired", every=3600.0)
def drop_expired_replays(now=None) -> int:
    """Replays older than ``REPLAY_RETENTION_DAYS`` go (a batch an hour). Returns how many."""
    now = now or timezone.now()
    old = GameReplay.objects.filter(created_at__lt=now - timedelta(days=settings.REPLAY_RETENTION_DAYS))
    return GameReplay.objects.filter(pk__in=list(old.values_list("pk", flat=True)[:BATCH])).delete()[0]
