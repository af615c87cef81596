"""Hand-written reads (``gameplatform.data.rawsql``) give what the ORM's own reads give."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import requires_postgres
from game.models import Game, GamePlayer
from game.services import game_create
from gameplatform.data import rawsql


@pytest.mark.django_db
def test_instances_read_by_hand_equal_the_orms_for_the_fields_asked_and_defer_the_rest(alice, bob):
    game = game_create(mode="tictactoe", players=[alice.pk, bob.pk])
    GamePlayer.objects.filter(game=game, user=bob).update(forfeited=True, disconnected_at=timezone.now())
    key, seat = rawsql.column(GamePlayer._meta.get_field("game")), rawsql.column(GamePlayer._meta.get_field("seat"))
    names = ["id", "game_id", "user_id", "seat", "forfeited", "disconnected_at"]

    read = rawsql.instances(GamePlayer, names, f"{key} IN ({rawsql.placeholders(1)})", [game.pk], order_by=seat)

    by_orm = list(GamePlayer.objects.filter(game=game).order_by("seat"))
    assert [[getattr(s, n) for n in names] for s in read] == [[getattr(s, n) for n in names] for s in by_orm]
    assert [type(s.forfeited) for s in read] == [bool, bool]  # SQLite's 0 and 1 as booleans
    assert timezone.is_aware(read[1].disconnected_at)  # as the ORM reads it, on SQLite too
    with CaptureQueriesContext(connection) as deferred:
        assert read[0].score == by_orm[0].score  # not asked for: read when first used, as after .only()
    assert len(deferred) == 1


@pytest.mark.django_db(transaction=True)
def test_instances_locked_for_update_are_read_inside_the_transaction(alice, bob):
    from django.db import transaction

    games = [game_create(mode="tictactoe", players=[alice.pk, bob.pk]) for _ in range(3)]
    key = rawsql.column(Game._meta.pk)
    ids = [g.pk for g in reversed(games)]
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        read = rawsql.instances(
            Game, ["id", "state"], f"{key} IN ({rawsql.placeholders(3)})", ids, order_by=key, lock=True
        )
    assert [g.pk for g in read] == sorted(ids)
    assert [g.state for g in read] == [Game.State.WAITING_FOR_PLAYERS] * 3
    assert queries[0]["sql"].endswith("FOR UPDATE") == connection.features.has_select_for_update


@pytest.mark.django_db(transaction=True)
def test_instances_locked_with_no_key_leave_rows_that_reference_them_insertable(alice, bob):
    from django.db import transaction

    game = game_create(mode="tictactoe", players=[alice.pk, bob.pk])
    key = rawsql.column(Game._meta.pk)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        read = rawsql.instances(Game, ["id"], f"{key} = %s", [game.pk], lock=True, no_key=True)
    assert [g.pk for g in read] == [game.pk]
    no_key = connection.features.has_select_for_update and connection.features.has_select_for_no_key_update
    assert queries[0]["sql"].endswith("FOR NO KEY UPDATE") == no_key


@pytest.mark.django_db
def test_a_compiled_read_gives_what_its_queryset_gives_for_any_value(alice, bob):
    from django.db.models import Count, F

    from accounts.models import User

    game_create(mode="tictactoe", players=[alice.pk, bob.pk])
    game_create(mode="tictactoe", players=[alice.pk, bob.pk])

    def read(pk):
        return User.objects.filter(pk=pk).values("email", name=F("username"), seats=Count("game_seats"))

    statement = rawsql.compiled(read(rawsql.MARKER))
    for user in (alice, bob):
        assert rawsql.first_row(statement, user.pk) == read(user.pk).first()
    assert rawsql.first_row(statement, -1) is None


def test_a_queryset_without_the_marker_cannot_be_compiled():
    from accounts.models import User

    with pytest.raises(ValueError):
        rawsql.compiled(User.objects.filter(pk=1).values("username"))


@requires_postgres
@pytest.mark.django_db
def test_a_compiled_read_runs_through_djangos_cursor_and_its_query_log(alice):
    from django.db.models import Count, F

    from accounts.models import User

    statement = rawsql.compiled(
        User.objects.filter(pk=rawsql.MARKER).values(name=F("username"), seats=Count("game_seats"))
    )
    with CaptureQueriesContext(connection) as queries:
        rows = [rawsql.first_row(statement, alice.pk) for _ in range(3)]
    assert rows == [{"name": alice.username, "seats": 0}] * 3 and len(queries) == 3
