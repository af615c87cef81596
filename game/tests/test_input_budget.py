"""A player's input rate on a game socket (the mode's ``input_rate``, a ``FrameBudget`` of one
second): a burst of one second's worth passes, a frame past it is refused ``rate_limited`` with a
``retry_after``, and a client that waits exactly that long is let through."""

import pytest

from game.tests.conftest import db
from gameplatform.data.ratelimit import FrameBudget


@pytest.mark.parametrize("rate", [1, 3, 7, 20, 30, 60])
def test_a_client_that_waits_the_retry_after_it_was_given_is_not_refused_again(rate):
    budget = FrameBudget(rate, 1.0, now=0.0)
    now = 0.0
    for round_ in range(50):
        # Spend whatever there is, at uneven moments, until a frame is refused.
        now += (round_ % 7) / 97
        while budget.spend(now):
            pass
        wait = budget.wait(now)
        assert 0 < wait <= 1 / rate + 0.001
        assert budget.spend(now + wait)  # exactly the wait it was told: passes
        now += wait


def test_a_full_budget_lets_the_modes_rate_through_at_once_and_refuses_the_next():
    budget = FrameBudget(30, 1.0, now=0.0)
    assert all(budget.spend(0.0) for _ in range(30))
    assert budget.wait(0.0) == 0.034  # 1/30 s, rounded up to the millisecond
    assert not budget.spend(0.0)


def test_a_rate_under_one_a_second_lets_one_frame_through_each_period_instead_of_none():
    budget = FrameBudget(0.5, 1.0, now=0.0)
    assert budget.spend(0.0)
    assert not budget.spend(1.0)
    assert 1.0 <= budget.wait(1.0) <= 1.001  # two seconds a frame: half of one is there
    assert budget.spend(2.0)
    assert not budget.spend(2.5)


@pytest.mark.django_db(transaction=True)
async def test_a_burst_of_inputs_within_the_arenas_rate_is_taken_and_only_the_inputs_past_it_are_refused(
    make_game, alice, bob, start_game
):
    """The arena declares ``input_rate = 30``: a client that sends 35 inputs at once has a
    second's worth of them taken by the room (the ``ready`` frame spent one), each acked, and
    only those past the rate refused ``rate_limited`` by its socket; none is refused because the
    room's next tick had not come yet."""
    game = await db(make_game)(alice, bob, mode="arena")
    ws_a, ws_b = await start_game(game.pk, alice, bob)
    for n in range(35):
        await ws_a.send_json_to({"type": "input", "data": {"dx": 1.0, "dy": 0.0}, "ref": n})
    answered = {}
    while len(answered) < 35:
        frame = await ws_a.receive_json_from(timeout=5)
        if frame["type"] in ("ack", "error") and "ref" in frame:
            answered[frame["ref"]] = frame
    acked = [n for n, frame in answered.items() if frame["type"] == "ack"]
    refused = [frame for frame in answered.values() if frame["type"] == "error"]
    # The first ones, a second's worth, all taken. The budget refills at the rate, so on a busy
    # machine (the burst itself taking tens of milliseconds) an input past the refusals may be taken.
    assert acked[:29] == list(range(29))
    assert refused and {(e["code"], e["message"]) for e in refused} == {("rate_limited", "Too many requests.")}
    await ws_a.disconnect()
    await ws_b.disconnect()
