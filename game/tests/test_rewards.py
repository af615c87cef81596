"""A game that ends with a result grants each player XP once: the mode's declaration (or
``GAME_XP``) for their outcome times their ``xp_multiplier`` flag, in the ledger; each player's
``game_finished`` goal event carries it, so an experiment on XP is read by it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import requires_postgres
from game import registry, rewards, services
from game.modes.builtin.tictactoe import TicTacToe
from gameplatform.modes import Player, Result
from gameplatform.testhelpers import run_at_once
from liveops.models import AnalyticsEvent
from liveops.schedule import running
from liveops.schedule import services as schedule_services
from liveops.services import flag_create
from liveops.tests.conftest import fresh_flags  # noqa: F401 - the liveops tests' autouse fixture, here too
from progression.models import LedgerEntry
from progression.models import Player as Profile
from progression.services import player_ensure
from staff.roles import LIVEOPS

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(make_user):
    user = make_user("ops", is_staff=True)
    user.groups.add(Group.objects.get(name=LIVEOPS))
    return user


def seats(*users) -> list[Player]:
    return [Player(id=u.pk, username=u.username, seat=i, side=("left", "right")[i % 2]) for i, u in enumerate(users)]


def finish(game, result: Result) -> bool:
    """The game's room is made (its flags fixed, as ``Hooks.flags`` does), it starts, it ends."""
    users = [seat.user for seat in game.players.select_related("user").order_by("seat")]
    services.game_flags_fix(game_id=game.pk, player_ids=[user.pk for user in users])
    services.game_record_start(game_id=game.pk)
    return services.game_record_result(game_id=game.pk, result=result, players=seats(*users))


def xp_seen(client_for, user) -> int:
    """The XP a player has as ``GET /api/player/me/`` shows it (level 1: below 100)."""
    me = client_for(user).get("/api/player/me/").json()
    assert me["level"] == 1
    return me["xp"]


def game_xp_rows(game) -> dict[int, int]:
    """Each player's XP row of ``game`` (one at most: a second would fail here)."""
    rows = list(
        LedgerEntry.objects.filter(reason="game_xp", reference=f"game:{game.pk}").values_list("player_id", "amount")
    )
    assert len({player for player, _ in rows}) == len(rows), rows
    return dict(rows)


def test_a_won_game_grants_the_winner_30_xp_and_the_loser_10_once_in_the_ledger(make_game, client_for, alice, bob):
    game = make_game(alice, bob)
    assert finish(game, Result(alice.pk, "win"))
    assert (xp_seen(client_for, alice), xp_seen(client_for, bob)) == (30, 10)
    assert game_xp_rows(game) == {alice.pk: 30, bob.pk: 10}
    ledger = client_for(alice).get("/api/player/ledger/").json()["results"]
    assert [(row["currency"], row["amount"], row["reason"]) for row in ledger if row["currency"] == "xp"] == [
        ("xp", 30, "game_xp")
    ]
    assert not finish(game, Result(bob.pk, "win"))  # recorded once: nothing more
    assert (xp_seen(client_for, alice), xp_seen(client_for, bob)) == (30, 10)


def test_a_batch_of_results_grants_each_players_xp_once_with_the_same_statements_for_two_games_or_eight(
    make_game, make_user
):
    """A busy server's rooms hand their results over together: the XP of the whole batch is one
    grant (the players locked in id order, one insert of ledger rows, one update of their XP), and
    a player in two of its games gets both."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def batch(n: int) -> tuple[list, int]:
        users = [make_user(f"xp{n}-{i}") for i in range(n + 1)]
        for user in users:
            player_ensure(user_id=user.pk)
        games = [make_game(users[i], users[i + 1]) for i in range(n)]  # a chain: each player in two games
        for game in games:
            services.game_flags_fix(game_id=game.pk, player_ids=[s.user_id for s in game.players.all()])
            services.game_record_start(game_id=game.pk)
        records = [
            services.ResultRecord(
                game_id=game.pk,
                result=Result(users[i].pk, "win"),
                players=seats(users[i], users[i + 1]),
                board=None,
                version=1,
            )
            for i, game in enumerate(games)
        ]
        with CaptureQueriesContext(connection) as queries:
            assert services.game_record_results(records=records) == [True] * n
        xp_queries = [q for q in queries.captured_queries if "progression_" in q["sql"]]
        return users, len(xp_queries)

    users, two = batch(2)
    assert dict(Profile.objects.filter(pk__in=[u.pk for u in users]).values_list("pk", "xp")) == {
        users[0].pk: 30,
        users[1].pk: 10 + 30,
        users[2].pk: 10,
    }
    _, eight = batch(8)
    assert eight == two


def test_a_draw_grants_15_each_and_a_game_called_off_nothing(make_game, client_for, alice, bob, make_user):
    drawn = make_game(alice, bob)
    assert finish(drawn, Result(None, "draw"))
    assert game_xp_rows(drawn) == {alice.pk: 15, bob.pk: 15}
    carol, dave = make_user(), make_user()
    called_off = make_game(carol, dave)
    assert services.game_record_result(game_id=called_off.pk, result=Result(None, "abandoned"), players=[])
    assert game_xp_rows(called_off) == {}
    assert not AnalyticsEvent.objects.filter(user__in=[carol, dave]).exists()


class Generous(TicTacToe):
    name = "generous"
    xp = {"win": 100}


@pytest.fixture
def generous(settings):
    settings.GAME_MODES = [*settings.GAME_MODES, "game.tests.test_rewards.Generous"]
    registry.modes.cache_clear()
    yield
    registry.modes.cache_clear()


def test_a_mode_declares_its_xp_and_game_xp_gives_what_it_leaves_out(make_game, alice, bob, generous, settings):
    settings.GAME_XP = {"win": 30, "draw": 15, "loss": 7}
    game = make_game(alice, bob, mode="generous")
    assert finish(game, Result(bob.pk, "win"))
    assert game_xp_rows(game) == {bob.pk: 100, alice.pk: 7}


class Greedy(TicTacToe):
    name = "greedy"
    xp = {"win": -5, "bonus": 3}


def test_a_mode_declaring_xp_that_cannot_work_stops_start_up(settings):
    settings.GAME_MODES = ["game.tests.test_rewards.Greedy"]
    registry.modes.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match="xp must be None or map some of"):
            registry.modes()
    finally:
        registry.modes.cache_clear()


def test_a_running_double_xp_event_doubles_the_xp_of_the_players_it_matches(make_game, alice, bob):
    flag_create(staff=None, name="xp_multiplier", default_value=1)
    now = timezone.now()
    schedule_services.live_event_create(
        staff=None,
        name="Double XP weekend",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        condition={"username": "alice"},
        overrides={"xp_multiplier": 2},
    )
    game = make_game(alice, bob)
    assert finish(game, Result(bob.pk, "win"))
    assert game_xp_rows(game) == {alice.pk: 20, bob.pk: 30}


def test_a_game_started_inside_a_double_xp_event_gives_double_xp_after_the_event_is_gone(make_game, alice, bob):
    """The multiplier is the one the game fixed when its room was made, not the one at its end."""
    flag_create(staff=None, name="xp_multiplier", default_value=1)
    now = timezone.now()
    event = schedule_services.live_event_create(
        staff=None,
        name="Double XP",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        overrides={"xp_multiplier": 2},
    )
    game = make_game(alice, bob)
    users = [alice.pk, bob.pk]
    services.game_flags_fix(game_id=game.pk, player_ids=users)  # its room is made inside the event
    event.delete()
    running.forget()
    services.game_record_start(game_id=game.pk)
    assert services.game_record_result(game_id=game.pk, result=Result(alice.pk, "win"), players=seats(alice, bob))
    assert game_xp_rows(game) == {alice.pk: 60, bob.pk: 20}


def test_a_multiplier_that_is_not_a_number_counts_as_1(make_game, alice, bob):
    flag_create(staff=None, name="xp_multiplier", default_value="lots")
    game = make_game(alice, bob)
    assert finish(game, Result(alice.pk, "win"))
    assert game_xp_rows(game) == {alice.pk: 30, bob.pk: 10}


def test_each_player_gets_one_game_finished_goal_event_valued_at_the_xp_granted(make_game, alice, bob):
    game = make_game(alice, bob)
    assert finish(game, Result(alice.pk, "win"))
    events = AnalyticsEvent.objects.filter(name="game_finished").order_by("user_id")
    assert [(e.user_id, e.client_id, e.value, e.metadata) for e in events] == [
        (u.pk, f"server:game:{game.pk}", xp, {"game_id": game.pk, "mode": "tictactoe", "outcome": outcome})
        for u, xp, outcome in sorted([(alice, 30, "win"), (bob, 10, "loss")], key=lambda t: t[0].pk)
    ]


def test_an_xp_experiment_is_read_by_the_platforms_game_finished_goal(make_game, client_for, make_user, operator):
    experiment = {"variations": [1, 2], "weights": [0.5, 0.5], "key": "xp-test", "hashAttribute": "id", "coverage": 1}
    flag_create(staff=None, name="xp_multiplier", default_value=1, rules=[experiment])
    players = [make_user() for _ in range(6)]
    for first, second in zip(players[::2], players[1::2], strict=True):
        assert finish(make_game(first, second), Result(first.pk, "win"))
    answer = client_for(operator).get("/api/liveops/admin/experiments/xp-test/results/", {"goal": "game_finished"})
    assert answer.status_code == 200, answer.content
    variations = answer.json()["variations"]
    assert sum(v["players"] for v in variations) == 6 and sum(v["converted"] for v in variations) == 6
    granted = dict(LedgerEntry.objects.filter(reason="game_xp").values_list("player_id", "amount"))
    assert {granted[p.pk] for p in players} <= {10, 20, 30, 60}  # 10 or 30, once or twice


def test_clients_cannot_send_the_events_the_server_records(client_for, alice):
    client = client_for(alice)
    stamp = "2026-11-26T12:00:00Z"
    for sent in ({"id": "e1", "name": "game_finished"}, {"id": "server:game:1", "name": "win"}):
        answer = client.post("/api/liveops/events/", {"events": [{**sent, "timestamp": stamp}]}, format="json")
        assert answer.status_code == 400, answer.content
    assert not AnalyticsEvent.objects.exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_games_xp_granted_three_times_at_once_is_granted_once(make_game, alice, bob):
    for user in (alice, bob):
        player_ensure(user_id=user.pk)
    game = make_game(alice, bob)

    def recorded() -> str:
        with transaction.atomic():
            rewards.games_xp_grant(
                [{"game_id": game.pk, "mode": "tictactoe", "winner": alice.pk, "user_ids": [bob.pk, alice.pk]}]
            )
        return "ok"

    assert run_at_once(recorded, recorded, recorded) == ["ok"] * 3
    assert game_xp_rows(game) == {alice.pk: 30, bob.pk: 10}
    assert dict(Profile.objects.filter(pk__in=[alice.pk, bob.pk]).values_list("pk", "xp")) == {alice.pk: 30, bob.pk: 10}
    assert AnalyticsEvent.objects.filter(name="game_finished").count() == 2


def test_a_batch_of_games_grants_each_player_once_in_as_many_queries_as_one_game(make_game, make_user):
    """The XP of a result batch, its ledger rows and goal events cost the same statements for one
    game or eight (players of the batch's games locked once, in id order)."""
    users = [make_user() for _ in range(4)]
    for user in users:
        player_ensure(user_id=user.pk)

    def played(game, first, second) -> dict:
        return {"game_id": game.pk, "mode": "tictactoe", "winner": first.pk, "user_ids": [second.pk, first.pk]}

    def granted_in_queries(games: list[dict]) -> int:
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            rewards.games_xp_grant(games)
        return len(queries)

    one = [played(make_game(users[0], users[1]), users[0], users[1])]
    pairs = [(users[i % 4], users[(i + 1) % 4]) for i in range(8)]  # each player in four games
    eight = [played(make_game(first, second), first, second) for first, second in pairs]
    first_time = granted_in_queries(one)
    assert granted_in_queries(eight) == first_time
    assert granted_in_queries(eight) < first_time  # granted before: no insert, no goal event
    for game, (first, second) in zip(eight, pairs, strict=True):
        rows = LedgerEntry.objects.filter(reason="game_xp", reference=f"game:{game['game_id']}")
        assert sorted(rows.values_list("player_id", "amount")) == sorted([(first.pk, 30), (second.pk, 10)])
    events = AnalyticsEvent.objects.filter(name="game_finished")
    assert events.count() == 18
    earned = {u.pk: 2 * 30 + 2 * 10 for u in users} | {users[0].pk: 110, users[1].pk: 90}
    assert (
        dict(
            LedgerEntry.objects.filter(reason="game_xp")
            .values("player_id")
            .annotate(xp=Sum("amount"))
            .values_list("player_id", "xp")
        )
        == earned
    )
