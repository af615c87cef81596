"""Invite races on PostgreSQL: accept against cancel, double accepts, and two expiry runners."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from conftest import requires_postgres
from friends.services import friendship_create
from game.models import Game
from game.services import game_create
from gameplatform.testhelpers import run_at_once
from matchmaking.invites.services import invite_accept, invite_cancel, invite_create
from matchmaking.models import Invite
from matchmaking.timers import expire_due_invites

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sent(monkeypatch):
    """Events actually sent (after commit), as (user_id, type, invite id)."""
    events = []
    lock = threading.Lock()

    def record(user_id, payload):
        def append():
            with lock:
                events.append((user_id, payload["type"], payload["invite"]["id"]))

        transaction.on_commit(append)

    monkeypatch.setattr("matchmaking.invites.services.send_to_user", record)
    return events


@pytest.fixture
def slow_games(monkeypatch):
    """The real game_create, after a pause inside the accepting transaction, so the racers overlap."""

    def slow_game_create(**kwargs):
        time.sleep(0.05)
        return game_create(**kwargs)

    monkeypatch.setattr("matchmaking.invites.services.game_create", slow_game_create)


def players_of(game_id: int) -> list[int]:
    return list(Game.objects.get(pk=game_id).players.order_by("seat").values_list("user_id", flat=True))


def test_accept_and_cancel_at_once_exactly_one_wins(alice, bob, sent, slow_games):
    friendship_create(user_a=alice, user_b=bob)
    for _ in range(6):
        invite = invite_create(from_user=alice, to_user_id=bob.pk, kind="game", mode="tictactoe")
        accepted, cancelled = run_at_once(
            lambda pk=invite.pk: invite_accept(invite_id=pk, user=bob),
            lambda pk=invite.pk: invite_cancel(invite_id=pk, user=alice),
        )
        winners = [r for r in (accepted, cancelled) if isinstance(r, Invite)]
        assert len(winners) == 1
        assert "invite_not_pending" in (accepted, cancelled)
        final = Invite.objects.get(pk=invite.pk)
        assert final.status == winners[0].status
        outcome = [kind for _, kind, pk in sent if pk == invite.pk and kind != "invite_created"]
        assert outcome == [f"invite_{final.status}"] * 2  # one event, to both sides
        assert (final.game_id is not None) == (final.status == "accepted")
        if final.game_id is not None:
            assert players_of(final.game_id) == [alice.pk, bob.pk]
    accepted = Invite.objects.filter(status="accepted")
    assert Game.objects.count() == accepted.count()  # a game only for an accept that won
    assert set(Game.objects.values_list("pk", flat=True)) == set(accepted.values_list("game_id", flat=True))


def test_two_accepts_at_once_make_one_game(alice, bob, sent, slow_games):
    friendship_create(user_a=alice, user_b=bob)
    invite = invite_create(from_user=alice, to_user_id=bob.pk, kind="game", mode="tictactoe")
    first, second = run_at_once(
        lambda: invite_accept(invite_id=invite.pk, user=bob),
        lambda: invite_accept(invite_id=invite.pk, user=bob),
    )
    game = Game.objects.get()  # exactly one
    assert first.game_id == second.game_id == game.pk
    assert (game.mode, players_of(game.pk)) == ("tictactoe", [alice.pk, bob.pk])
    assert [kind for _, kind, _ in sent].count("invite_accepted") == 2


def test_two_expiry_runners_expire_each_invite_exactly_once(make_user, sent):
    count = 15
    pairs = []
    for _ in range(count):
        sender, receiver = make_user(), make_user()
        friendship_create(user_a=sender, user_b=receiver)
        pairs.append(invite_create(from_user=sender, to_user_id=receiver.pk, kind="game", mode="tictactoe"))
    Invite.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    first, second = run_at_once(expire_due_invites, expire_due_invites)
    assert first + second == count
    expired = [(user_id, pk) for user_id, kind, pk in sent if kind == "invite_expired"]
    assert len(expired) == 2 * count
    assert len(set(expired)) == 2 * count  # each side of each invite, once
    assert set(Invite.objects.values_list("status", flat=True)) == {"expired"}


def test_accept_against_the_expiry_job_at_the_deadline_is_one_or_the_other(alice, bob, sent, slow_games):
    friendship_create(user_a=alice, user_b=bob)
    invite = invite_create(from_user=alice, to_user_id=bob.pk, kind="game", mode="tictactoe")
    Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() + timedelta(milliseconds=30))
    time.sleep(0.03)
    accepted, expired_now = run_at_once(lambda: invite_accept(invite_id=invite.pk, user=bob), expire_due_invites)
    final = Invite.objects.get(pk=invite.pk)
    assert final.status == "expired"  # the deadline has passed: accept cannot win
    assert accepted == "invite_expired"
    assert [kind for _, kind, _ in sent].count("invite_expired") == 2
    assert not Game.objects.exists()
