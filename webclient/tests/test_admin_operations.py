import io
import re

import pytest
from django.utils import timezone

from chat.models import Lobby
from game.services import game_create
from gameplatform.core import metrics
from gameplatform.sockets import presence
from matchmaking.models import QueueEntry
from staff.roles import ADMIN, LIVEOPS, MODERATOR, SUPPORT
from world import demo
from world.areas import places_for
from world.models import Faction
from world.services import character_create

PAGE = "/admin/operations/"


def cell_after(html: str, heading: str) -> str:
    """The figure of a section heading ("Online users: <span class="figure">3</span>")."""
    match = re.search(re.escape(heading) + r': <span class="figure">(\d+)</span>', html)
    assert match, f"no figure for {heading}"
    return match.group(1)


def row(html: str, section: str, first_cell: str) -> list[str]:
    """The cells of the row of section ``section`` whose first cell shows ``first_cell`` (links stripped)."""
    part = html.split(f'id="{section}"', 1)[1].split('<div class="module"', 1)[0]
    for found in re.findall(r"<tr>(.*?)</tr>", part, re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", found, re.S)]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row for {first_cell}")


@pytest.fixture
def busy_platform(make_user, alice, bob, carol, premium_owner):
    """Alice online in the world's first area, Bob queued, Alice and Carol in a game, an open lobby."""
    demo.seed(users={}, stdout=io.StringIO())
    character = character_create(user=alice, name="Aldra", faction=Faction.objects.order_by("id").first())
    presence.get_store().open([(alice.pk, "conn-1", places_for(character.location_id))])
    QueueEntry.objects.create(user=bob, mode="tictactoe", rating=1000, joined_at=timezone.now())
    game = game_create(mode="tictactoe", players=[alice, carol])
    lobby = Lobby.objects.create(name="Friday night", owner=premium_owner, participant_count=1)
    return {"character": character, "game": game, "lobby": lobby}


@pytest.fixture
def staff_client(client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def assert_page_shows(html: str, busy_platform, alice) -> None:
    assert cell_after(html, "Online users") == "1"
    assert ">alice</a>" in html
    assert row(html, "queues", "tictactoe") == ["tictactoe", "1"]
    assert row(html, "queues", "relay") == ["relay", "0"]
    assert cell_after(html, "Running games") == "1"
    assert row(html, "games", "tictactoe") == ["tictactoe", "1", "0", "0"]  # waiting for players, ready, active
    game = busy_platform["game"]
    assert f'href="/admin/game/game/{game.pk}/change/"' in html
    assert row(html, "games", f"#{game.pk}")[1:4] == ["tictactoe", "waiting_for_players", "alice, carol"]
    assert cell_after(html, "Open lobbies") == "1"
    lobby = busy_platform["lobby"]
    assert f'href="/admin/chat/lobby/{lobby.pk}/change/"' in html
    assert row(html, "lobbies", "Friday night") == ["Friday night", "premium_owner", "yes", "1/8"]
    assert cell_after(html, "World population") == "1"
    area = busy_platform["character"].location.name
    assert row(html, "world", area) == [area, "1"]
    assert row(html, "errors", "HTTP 5xx answers")[0] == "HTTP 5xx answers"
    assert '<meta http-equiv="refresh" content="5">' in html
    assert "<script>" not in html  # inline scripts are refused by the site's policy


@pytest.mark.django_db
def test_staff_see_live_figures_read_from_the_apps(staff_client, busy_platform, alice):
    page = staff_client.get(PAGE)
    assert page.status_code == 200
    assert_page_shows(page.content.decode(), busy_platform, alice)


@pytest.mark.django_db
def test_the_page_works_with_the_embedded_setup_without_redis(settings, staff_client, busy_platform, alice):
    settings.REDIS_URL = ""  # presence in process memory: the same figures
    presence.get_store().open([(alice.pk, "conn-1", places_for(busy_platform["character"].location_id))])
    page = staff_client.get(PAGE)
    assert page.status_code == 200
    assert_page_shows(page.content.decode(), busy_platform, alice)


@pytest.mark.django_db
def test_the_admin_index_links_the_page(staff_client):
    index = staff_client.get("/admin/")
    assert f'href="{PAGE}">Live operations</a>' in index.content.decode()


@pytest.mark.django_db
def test_a_player_who_is_not_staff_is_sent_to_the_admin_login(client, alice):
    client.force_login(alice)
    page = client.get(PAGE)
    assert page.status_code == 302
    assert page["Location"] == f"/admin/login/?next={PAGE}"


@pytest.mark.django_db
def test_staff_without_a_role_are_refused_the_page_and_not_shown_its_link(client, make_staff, busy_platform):
    # Online players, running games and private lobby names are not for every staff account.
    client.force_login(make_staff("no_role"))
    page = client.get(PAGE)
    assert page.status_code == 403
    assert "Friday night" not in page.content.decode()
    assert "Live operations" not in client.get("/admin/").content.decode()


@pytest.mark.django_db
def test_support_staff_are_refused_the_page(client, make_staff):
    client.force_login(make_staff("helpdesk", SUPPORT))
    assert client.get(PAGE).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", [MODERATOR, LIVEOPS, ADMIN])
def test_moderators_liveops_and_admins_open_the_page_from_the_index(client, make_staff, busy_platform, alice, role):
    client.force_login(make_staff(f"staff_{role}", role))
    page = client.get(PAGE)
    assert page.status_code == 200
    assert_page_shows(page.content.decode(), busy_platform, alice)
    assert f'href="{PAGE}">Live operations</a>' in client.get("/admin/").content.decode()


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_the_admin_login(client):
    page = client.get(PAGE)
    assert page.status_code == 302
    assert page["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_a_server_error_shows_in_the_error_counters_by_route(staff_client):
    before = int(row(staff_client.get(PAGE).content.decode(), "errors", "HTTP 5xx answers")[1])
    metrics.observe_request("api/lobbies/<id:lobby_id>/", "GET", 500, 0.01)  # what the request log records
    html = staff_client.get(PAGE).content.decode()
    cells = row(html, "errors", "HTTP 5xx answers")
    assert int(cells[1]) == before + 1
    assert "api/lobbies/&lt;id:lobby_id&gt;/: " in cells[2]


@pytest.mark.django_db
def test_a_game_mode_hook_that_raised_shows_in_the_error_counters_by_mode(staff_client):
    before = int(row(staff_client.get(PAGE).content.decode(), "errors", "Game mode hooks that raised")[1])
    metrics.mode_error("arena", "on_tick")  # what a room counts when the mode's hook raises
    cells = row(staff_client.get(PAGE).content.decode(), "errors", "Game mode hooks that raised")
    assert int(cells[1]) == before + 1
    assert "arena: " in cells[2]
