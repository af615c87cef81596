"""Only players who are still there stay queued, and only they are matched.

A queued player is there while a socket of theirs is open on a running server process, or while
their join or last status request is under ``QUEUE_ALIVE_SECONDS`` old. The timer
``matchmaking.queue.absent`` drops the others; the matcher checks its candidates the same way.
Sockets are planted in the presence store as a server process leaves them: a running process
renews its beacon, a killed one does not.
"""

import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from conftest import requires_postgres, requires_redis
from game.models import Game, GamePlayer
from gameplatform.sockets.presence import RedisStore
from gameplatform.testhelpers import run_at_once
from gameplatform.tests.test_faults import own_redis, requires_redis_server  # noqa: F401 - the fixture
from matchmaking.models import QueueEntry
from matchmaking.queue.services import ABSENT_BATCH, queue_drop_absent, queue_join, queue_match, queue_status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def alive_window(settings):
    settings.QUEUE_ALIVE_SECONDS = 5
    settings.QUEUE_MISS_SECONDS = 3


def missed_for(seconds: float, *users) -> None:
    """A look found no socket of these queued players ``seconds`` ago."""
    QueueEntry.objects.filter(user__in=users).update(missed_at=timezone.now() - timedelta(seconds=seconds))


def unseen_for(seconds: float, *users) -> None:
    """Nothing heard of these queued players for ``seconds``."""
    QueueEntry.objects.filter(user__in=users).update(seen_at=timezone.now() - timedelta(seconds=seconds))


def socket_on_running_process(*users) -> None:
    store, process = RedisStore(), f"running{uuid.uuid4().hex[:6]}"
    store.keep_alive(process)  # renewed every second by a running process; 5 s is the test's span
    store.open([(user.pk, f"{process}.{uuid.uuid4().hex}", ()) for user in users])


def socket_on_killed_process(*users) -> None:
    """Sockets still in presence (their deadlines have not passed), of a process with no beacon."""
    RedisStore().open([(user.pk, f"killed{uuid.uuid4().hex[:6]}.{uuid.uuid4().hex}", ()) for user in users])


def test_a_queued_player_unseen_for_the_window_without_a_socket_leaves_the_queue(alice):
    queue_join(user_id=alice.pk, mode="tictactoe")
    unseen_for(4, alice)
    assert queue_drop_absent() == 0  # inside the window: still there
    unseen_for(6, alice)
    assert queue_drop_absent() == 0  # a first look with no socket: marked, not dropped
    assert QueueEntry.objects.get(user=alice).missed_at is not None
    missed_for(4, alice)  # the next look, QUEUE_MISS_SECONDS later, finds none either
    assert queue_drop_absent() == 1
    assert queue_status(user_id=alice.pk).status == "idle"


def test_a_second_look_sooner_than_the_miss_window_drops_nobody(alice):
    queue_join(user_id=alice.pk, mode="tictactoe")
    unseen_for(6, alice)
    assert queue_drop_absent() == 0
    assert queue_drop_absent() == 0  # a second later: a client reconnecting may be on its way
    assert queue_status(user_id=alice.pk).status == "queued"


@requires_redis
def test_a_player_missed_once_whose_socket_is_back_keeps_the_place(alice):
    """A deploy: the player's socket closed with its process and opened on another a moment
    later (or Redis came back empty and the servers wrote their sockets again). One look without
    a socket does not drop them, and the next, with it, clears the mark."""
    queue_join(user_id=alice.pk, mode="tictactoe")
    unseen_for(6, alice)
    assert queue_drop_absent() == 0
    socket_on_running_process(alice)
    missed_for(4, alice)
    assert queue_drop_absent() == 0
    entry = QueueEntry.objects.get(user=alice)
    assert entry.missed_at is None and queue_status(user_id=alice.pk).position == 1


def test_a_status_request_keeps_a_player_who_queued_over_rest_in_the_queue(alice):
    queue_join(user_id=alice.pk, mode="tictactoe")
    unseen_for(6, alice)
    assert queue_status(user_id=alice.pk).status == "queued"  # the poll is the sign of life
    assert queue_drop_absent() == 0
    assert queue_status(user_id=alice.pk).position == 1


def test_joining_again_is_a_sign_of_life_and_keeps_the_place(settings, alice, bob):
    settings.QUEUE_FILL_SECONDS = 60
    for user in (alice, bob):
        queue_join(user_id=user.pk, mode="arena")  # arena: not matched, the fill window holds them
    joined = QueueEntry.objects.get(user=alice).joined_at
    unseen_for(6, alice)
    queue_join(user_id=alice.pk, mode="arena")
    entry = QueueEntry.objects.get(user=alice)
    assert entry.joined_at == joined and timezone.now() - entry.seen_at < timedelta(seconds=2)
    assert queue_drop_absent() == 0


@requires_redis
def test_a_player_with_a_socket_on_a_running_process_stays_queued_and_is_seen_again(alice):
    queue_join(user_id=alice.pk, mode="tictactoe")
    socket_on_running_process(alice)
    unseen_for(6, alice)
    assert queue_drop_absent() == 0
    assert timezone.now() - QueueEntry.objects.get(user=alice).seen_at < timedelta(seconds=2)


@requires_redis
def test_a_player_whose_socket_was_on_a_killed_process_leaves_the_queue(alice, bob):
    queue_join(user_id=alice.pk, mode="tictactoe")
    socket_on_killed_process(alice)
    unseen_for(6, alice)
    missed_for(4, alice)
    assert queue_drop_absent() == 1
    assert queue_status(user_id=alice.pk).status == "idle"


def test_the_matcher_never_matches_a_player_who_is_gone(alice, bob, carol):
    queue_join(user_id=alice.pk, mode="tictactoe")
    unseen_for(6, alice)  # alice's client died: no socket, no request since
    assert queue_join(user_id=bob.pk, mode="tictactoe").status == "queued"
    assert not Game.objects.exists()
    assert QueueEntry.objects.get(user=alice).missed_at is not None  # passed over: the timer decides
    assert queue_join(user_id=carol.pk, mode="tictactoe").status == "matched"
    assert set(GamePlayer.objects.values_list("user_id", flat=True)) == {bob.pk, carol.pk}


@requires_redis
def test_the_matcher_matches_a_player_unseen_for_long_whose_socket_is_open(alice, bob):
    queue_join(user_id=alice.pk, mode="tictactoe")
    socket_on_running_process(alice)
    unseen_for(60, alice)
    assert queue_join(user_id=bob.pk, mode="tictactoe").status == "matched"


@requires_redis_server
def test_while_redis_is_down_the_matcher_takes_its_candidates_as_there(own_redis, alice, bob):  # noqa: F811
    """Presence cannot answer: nobody is taken for gone without a sign of it, and matches go on."""
    for user in (alice, bob):
        QueueEntry.objects.create(user=user, mode="tictactoe", rating=1000, joined_at=timezone.now())
    unseen_for(60, alice, bob)
    own_redis.stop()
    assert len(queue_match(mode="tictactoe")) == 1


def test_one_pass_looks_at_a_bounded_batch_the_longest_unseen_first():
    user = get_user_model()
    names = [f"ghost{i}" for i in range(ABSENT_BATCH + 20)]
    users = user.objects.bulk_create([user(username=n, username_key=n, email=f"{n}@example.com") for n in names])
    now = timezone.now()
    QueueEntry.objects.bulk_create(
        [
            QueueEntry(user=u, mode="arena", rating=1000, joined_at=now, seen_at=now - timedelta(seconds=60 - i / 100))
            for i, u in enumerate(users)
        ]
    )
    assert queue_drop_absent() == 0  # the first look marks the batch
    assert QueueEntry.objects.filter(missed_at__isnull=False).count() == ABSENT_BATCH
    QueueEntry.objects.update(missed_at=F("missed_at") - timedelta(seconds=4))
    assert queue_drop_absent() == ABSENT_BATCH
    assert set(QueueEntry.objects.values_list("user_id", flat=True)) == {u.pk for u in users[ABSENT_BATCH:]}
    assert queue_drop_absent() == 0
    missed_for(4, *users)
    assert queue_drop_absent() == 20


@pytest.mark.django_db(transaction=True)
@requires_postgres
def test_the_drop_leaves_alone_an_entry_a_matcher_holds(alice):
    queue_join(user_id=alice.pk, mode="tictactoe")
    unseen_for(60, alice)
    missed_for(10, alice)
    held, release = threading.Event(), threading.Event()

    def matcher_holding_the_row() -> None:
        try:
            with transaction.atomic():
                list(QueueEntry.objects.select_for_update().filter(user=alice))
                held.set()
                release.wait(10)
        finally:
            connection.close()

    matcher = threading.Thread(target=matcher_holding_the_row)
    matcher.start()
    try:
        assert held.wait(5)
        assert queue_drop_absent() == 0  # skipped at once, not waited for
    finally:
        release.set()
        matcher.join(10)
    assert QueueEntry.objects.filter(user=alice).exists()
    assert queue_drop_absent() == 1  # its next pass


@pytest.mark.django_db(transaction=True)
@requires_postgres
@requires_redis
def test_drops_racing_matchers_make_no_half_game_and_never_seat_a_gone_player(make_user):
    present = [make_user() for _ in range(20)]
    gone = [make_user() for _ in range(20)]
    now = timezone.now()
    QueueEntry.objects.bulk_create(
        [
            QueueEntry(user=u, mode="tictactoe", rating=1000, joined_at=now + timedelta(microseconds=i), seen_at=now)
            for i, u in enumerate(present + gone)
        ]
    )
    socket_on_running_process(*present)
    unseen_for(60, *present, *gone)
    missed_for(10, *gone)  # a look found none of them a while ago: this one drops them

    results = run_at_once(*[lambda: queue_match(mode="tictactoe") for _ in range(3)], *[queue_drop_absent] * 3)

    assert [r for r in results if isinstance(r, Exception)] == []
    seats = Counter(GamePlayer.objects.values_list("user_id", flat=True))
    queued = set(QueueEntry.objects.values_list("user_id", flat=True))
    assert set(Counter(GamePlayer.objects.values_list("game_id", flat=True)).values()) <= {2}  # every game whole
    assert set(seats.values()) <= {1} and not set(seats) & queued  # each player in one place at most
    assert not set(seats) & {u.pk for u in gone}  # nobody gone was matched
    assert {u.pk for u in present} <= set(seats) | queued  # nobody present was dropped
    queue_drop_absent()
    queue_match(mode="tictactoe")  # the next round takes whoever a write held at the instant
    assert set(GamePlayer.objects.values_list("user_id", flat=True)) == {u.pk for u in present}
    assert Game.objects.count() == 10 and not QueueEntry.objects.exists()
