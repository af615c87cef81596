"""The admin's live operations page (``/admin/operations/``): who is online, the queues,
running games, open lobbies (private ones by name), the world's population and the error
counters. Players' whereabouts are not for every staff account: the page opens to the roles
that run the live game, ``moderator`` and ``liveops`` (and ``admin``, and superusers); other
staff (``support``, or no role) get 403 and no link on the admin index.

Every figure comes from the selector of the app that owns it, the same reads ``/metrics`` makes
(presence, the queue and game counts of the scrape reactions, the registry's error counters).
The page reloads itself every ``REFRESH_SECONDS`` with a ``<meta http-equiv="refresh">``: no
script, so the site's Content-Security-Policy holds. It lives in the top app because it reads
every other one; ``ThrottledAdminSite.add_page`` serves it and links it from the admin index.

Each running game links to its **room inspector** (``/admin/operations/games/<id>/``, moderators
and admins): the game's full state as its room's owner last saved it, which is audited
(``room.inspect``), and two actions, each applied by the room's owner wherever it runs and
audited too: kick a player (``room.kick``) and end the game (``room.end``).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from accounts.selectors import users_by_id
from chat.lobbies.selectors import open_lobbies
from game.models import Game
from game.registry import mode_names
from game.rooms import game_end_by_staff, game_kick_player
from game.selectors import running_game_counts, running_games
from game.services import game_inspect
from gameplatform.core.errors import ApplicationError, NotFound
from gameplatform.operations import ops
from gameplatform.sockets import presence
from matchmaking.queue.selectors import queue_lengths
from staff.permissions import has_role
from staff.roles import LIVEOPS, MODERATOR
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


# Who opens the live page: moderators (it links each game's room inspector, theirs) and liveops.
OPERATIONS_ROLES = (MODERATOR, LIVEOPS)


def operations_allowed(request) -> bool:
    return has_role(request, *OPERATIONS_ROLES)


@require_safe
def operations_page(request):
    context = {
        **admin.site.each_context(request),
        "title": "Live operations",
        "refresh_seconds": REFRESH_SECONDS,
        **figures(),
    }
    return render(request, "webclient/admin_operations.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def game_inspector_page(request, game_id: int):
    """One running game's room, for moderators and admins (and superusers): its full state,
    audited at every view; a POST kicks a player or ends the game, then comes back here."""
    if not has_role(request, MODERATOR):
        raise PermissionDenied
    if request.method == "POST":
        _act(request, game_id)
        return redirect("admin:operations-game", game_id=game_id)
    try:
        found = game_inspect(staff=request.user, game_id=game_id)
    except NotFound:
        raise Http404("No such game.") from None
    context = {**admin.site.each_context(request), "title": f"Game #{game_id}", **found}
    return render(request, "webclient/admin_game_inspector.html", context)


def _act(request, game_id: int) -> None:
    """The form's action, said on the page that follows (a message), done or refused."""
    action = request.POST.get("action")
    try:
        if action == "kick":
            user_id = int(request.POST.get("user_id", ""))
            username = game_kick_player(staff=request.user, game_id=game_id, user_id=user_id)
            messages.success(request, f"Kicked {username}: they left the game by forfeit, under the game's rules.")
        elif action == "end":
            game_end_by_staff(staff=request.user, game_id=game_id)
            messages.success(request, "The game was ended: abandoned, no winner.")
        else:
            messages.error(request, "No such action.")
    except ValueError:
        messages.error(request, "Choose a player.")
    except ApplicationError as exc:
        messages.error(request, f"{exc.message} ({exc.code})")
