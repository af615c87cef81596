"""The queue for modes of more than two players: groups of min_players to max_players, a full
group at once, a smaller one after the fill window, nobody in two games under a real race."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from conftest import requires_postgres
from game import registry
from game.models import Game, GamePlayer, Rating
from game.modes.builtin.relay import Relay
from gameplatform.testhelpers import run_at_once
from matchmaking.models import QueueEntry
from matchmaking.queue.services import allowed_gap, group_entries, pair_entries, queue_join, queue_match
from matchmaking.timers import match_waiting_players as match_job

FILL = 10


class Trio(Relay):
    """A test mode for three or four players."""

    name = "trio"
    title = "Trio"
    min_players = 3
    max_players = 4


@pytest.fixture(autouse=True)
def trio_mode(settings):
    settings.GAME_MODES = [*settings.GAME_MODES, "matchmaking.tests.test_queue_groups.Trio"]
    settings.QUEUE_FILL_SECONDS = FILL
    registry.modes.cache_clear()
    yield
    registry.modes.cache_clear()


def join(client, mode):
    return client.post("/api/matchmaking/join/", {"mode": mode}).json()


def status(client) -> dict:
    return client.get("/api/matchmaking/status/").json()


def seats(game_id: int) -> list[int]:
    return list(GamePlayer.objects.filter(game_id=game_id).order_by("seat").values_list("user_id", flat=True))


def waited(seconds: float) -> None:
    """Every queued player joined ``seconds`` ago."""
    QueueEntry.objects.update(joined_at=timezone.now() - timedelta(seconds=seconds))


# --- through the API -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_full_group_starts_at_once_with_the_longest_wait_seated_first(client_for, make_user):
    users = [make_user() for _ in range(4)]
    answers = [join(client_for(u), "trio") for u in users]
    assert [a["status"] for a in answers] == ["queued", "queued", "queued", "matched"]
    game_id = answers[-1]["game_id"]
    assert seats(game_id) == [u.pk for u in users]
    assert all(
        status(client_for(u)) == {"status": "matched", "mode": "trio", "position": None, "game_id": game_id}
        for u in users
    )
    assert not QueueEntry.objects.exists()


@pytest.mark.django_db
def test_a_lone_player_of_a_three_player_mode_keeps_waiting_however_long(client_for, alice, bob):
    join(client_for(alice), "trio")
    join(client_for(bob), "trio")
    assert queue_match(mode="trio", now=timezone.now() + timedelta(hours=1)) == []
    waited(3600)
    assert match_job() == 0
    assert [status(client_for(u)) for u in (alice, bob)] == [
        {"status": "queued", "mode": "trio", "position": 1, "game_id": None},
        {"status": "queued", "mode": "trio", "position": 2, "game_id": None},
    ]
    assert not Game.objects.exists()


@pytest.mark.django_db
def test_a_group_short_of_full_starts_once_its_seed_waited_the_fill_window(client_for, make_user):
    users = [make_user() for _ in range(3)]
    assert [join(client_for(u), "trio")["status"] for u in users] == ["queued"] * 3
    assert queue_match(mode="trio", now=timezone.now() + timedelta(seconds=FILL - 1)) == []
    # While the group fills, each player sees their place in the queue.
    assert [status(client_for(u))["position"] for u in users] == [1, 2, 3]
    waited(FILL)
    assert match_job() == 1
    game = Game.objects.get()
    assert (game.mode, seats(game.pk)) == ("trio", [u.pk for u in users])
    assert {status(client_for(u))["game_id"] for u in users} == {game.pk}


@pytest.mark.django_db
def test_a_group_takes_the_closest_ratings_within_its_seeds_gap(make_user):
    seed, near, nearer, nearest, far = (make_user() for _ in range(5))
    for user, rating in ((seed, 1000), (far, 1500), (near, 1090), (nearer, 950), (nearest, 1020)):
        Rating.objects.create(user=user, mode="trio", rating=rating)
        queue_join(user_id=user.pk, mode="trio")
    game = Game.objects.get()  # four inside the seed's gap of 100: full, at once
    assert seats(game.pk) == [seed.pk, nearest.pk, nearer.pk, near.pk]
    assert QueueEntry.objects.get().user_id == far.pk


@pytest.mark.django_db
def test_the_arena_fills_up_to_eight_or_starts_two_after_the_fill_window(make_user):
    eight = [make_user() for _ in range(8)]
    answers = [queue_join(user_id=u.pk, mode="arena") for u in eight]
    assert [a.status for a in answers] == ["queued"] * 7 + ["matched"]
    assert seats(answers[-1].game_id) == [u.pk for u in eight]
    two = [make_user() for _ in range(2)]
    assert [queue_join(user_id=u.pk, mode="arena").status for u in two] == ["queued", "queued"]
    waited(FILL)
    assert len(games := queue_match(mode="arena")) == 1 and seats(games[0].pk) == [u.pk for u in two]


@pytest.mark.django_db
def test_a_two_player_mode_still_matches_each_pair_at_once(client_for, alice, bob):
    join(client_for(alice), "tictactoe")
    assert join(client_for(bob), "tictactoe")["status"] == "matched"  # no fill window for pairs


@pytest.mark.django_db
def test_no_fill_window_starts_a_group_as_soon_as_it_has_min_players(client_for, make_user, settings):
    settings.QUEUE_FILL_SECONDS = 0
    users = [make_user() for _ in range(3)]
    assert [join(client_for(u), "trio")["status"] for u in users] == ["queued", "queued", "matched"]


# --- the grouping ----------------------------------------------------------------------


def group_entries_by_the_book(entries, *, now, min_players, max_players, fill_seconds):
    """The rule in its plain, quadratic reading: the reference the fast one must equal."""
    waiting = list(entries)
    groups = []
    while waiting:
        seed = waiting.pop(0)
        seconds = (now - seed.joined_at).total_seconds()
        gap = allowed_gap(seconds)
        fits = [e for e in waiting if abs(e.rating - seed.rating) <= gap]
        taken = sorted(fits, key=lambda e: (abs(e.rating - seed.rating), e.joined_at, e.pk))[: max_players - 1]
        for entry in taken:
            waiting.remove(entry)
        group = [seed, *taken]
        if len(group) == max_players or (len(group) >= min_players and seconds >= fill_seconds):
            groups.append(group)
    return groups


def random_queue(rng, now) -> list[QueueEntry]:
    n = rng.randint(0, 40)
    spread, waits = rng.choice([0, 5, 60, 300, 2000]), rng.choice([0, 3, 40])
    ids = rng.sample(range(1, 10_000), n)
    entries = (
        QueueEntry(
            id=ids[i],
            user_id=i + 1,
            mode="trio",
            rating=1000 + rng.randint(-spread, spread),
            joined_at=now - timedelta(seconds=rng.randint(0, waits)),
        )
        for i in range(n)
    )
    return sorted(entries, key=lambda e: (e.joined_at, e.pk))


def test_grouping_makes_exactly_the_groups_of_the_plain_reading():
    now = datetime(2025, 1, 1, tzinfo=UTC)
    rng = random.Random(11)
    for _ in range(2000):
        entries = random_queue(rng, now)
        low = rng.randint(2, 6)
        sizes = {"min_players": low, "max_players": rng.randint(low, 9), "fill_seconds": rng.choice([0, 2, 10, 60])}
        expected = [[e.pk for e in g] for g in group_entries_by_the_book(entries, now=now, **sizes)]
        groups = group_entries(entries, now=now, **sizes)
        assert [[e.pk for e in g] for g in groups] == expected
        assert all(sizes["min_players"] <= len(g) <= sizes["max_players"] for g in groups)


def test_grouping_two_player_modes_gives_the_pairs():
    now = datetime(2025, 1, 1, tzinfo=UTC)
    rng = random.Random(5)
    for _ in range(500):
        entries = random_queue(rng, now)
        pairs = [[a.pk, b.pk] for a, b in pair_entries(entries, now=now)]
        for fill in (0, 10):
            groups = group_entries(entries, now=now, min_players=2, max_players=2, fill_seconds=fill)
            assert [[e.pk for e in g] for g in groups] == pairs


# --- a real race -----------------------------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_forty_players_joining_a_four_player_mode_at_once_fill_ten_games_and_nobody_is_in_two(make_user):
    users = [make_user() for _ in range(40)]
    results = run_at_once(*[lambda u=u: queue_join(user_id=u.pk, mode="trio") for u in users])
    assert [r for r in results if isinstance(r, str | Exception)] == []
    seated = Counter(GamePlayer.objects.values_list("user_id", flat=True))
    assert set(seated) == {u.pk for u in users} and set(seated.values()) == {1}
    # Within the fill window only full groups start: ten games of four.
    assert sorted(Counter(GamePlayer.objects.values_list("game_id", flat=True)).values()) == [4] * 10
    assert Game.objects.count() == 10 and not QueueEntry.objects.exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_players_joining_at_once_without_a_fill_window_land_in_groups_of_three_or_four_once(make_user, settings):
    settings.QUEUE_FILL_SECONDS = 0
    users = [make_user() for _ in range(31)]
    results = run_at_once(*[lambda u=u: queue_join(user_id=u.pk, mode="trio") for u in users])
    assert [r for r in results if isinstance(r, str | Exception)] == []
    seated = Counter(GamePlayer.objects.values_list("user_id", flat=True))
    queued = set(QueueEntry.objects.values_list("user_id", flat=True))
    assert set(seated.values()) == {1} and not set(seated) & queued
    assert set(seated) | queued == {u.pk for u in users}
    assert len(queued) < 3  # whoever is left could not make a group yet
    assert set(Counter(GamePlayer.objects.values_list("game_id", flat=True)).values()) <= {3, 4}
