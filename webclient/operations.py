"""The admin's live operations page (``/admin/operations/``, staff only): who is online, the
queues, running games, open lobbies, the world's population and the error counters.

Every figure comes from the selector of the app that owns it, the same reads ``/metrics`` makes
(presence, the queue and game counts of the scrape reactions, the registry's error counters).
The page reloads itself every ``REFRESH_SECONDS`` with a ``<meta http-equiv="refresh">``: no
script, so the site's Content-Security-Policy holds. It lives in the top app because it reads
every other one; ``ThrottledAdminSite.add_page`` serves it and links it from the admin index.
"""

from django.contrib import admin
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.selectors import users_by_id
from chat.lobbies.selectors import open_lobbies
from game.models import Game
from game.registry import mode_names
from game.selectors import running_game_counts, running_games
from gameplatform import ops, presence
from matchmaking.queue.selectors import queue_lengths
from world.selectors import population_by_area

REFRESH_SECONDS = 5
LIST_LIMIT = 20
UNFINISHED_STATES = tuple(state.value for state in Game.UNFINISHED)


def figures() -> dict:
    """Everything the page shows, read now."""
    game_counts = running_game_counts()
    modes = sorted({*mode_names(), *(mode for mode, _ in game_counts)})
    lobby_count, lobbies = open_lobbies(limit=LIST_LIMIT)
    areas = population_by_area()
    return {
        "online_count": presence.online_count(),
        "online_users": users_by_id(user_ids=presence.online_sample(LIST_LIMIT)),
        "queues": sorted(queue_lengths().items()),
        "states": UNFINISHED_STATES,
        "game_rows": [(mode, [game_counts.get((mode, state), 0) for state in UNFINISHED_STATES]) for mode in modes],
        "game_total": sum(game_counts.values()),
        "games": running_games(limit=LIST_LIMIT),
        "lobby_count": lobby_count,
        "lobbies": lobbies,
        "areas": areas,
        "world_total": sum(n for _, n in areas),
        "errors": ops.error_counts(),
        "list_limit": LIST_LIMIT,
    }


@require_safe
def operations_page(request):
    context = {
        **admin.site.each_context(request),
        "title": "Live operations",
        "refresh_seconds": REFRESH_SECONDS,
        **figures(),
    }
    return render(request, "webclient/admin_operations.html", context)
