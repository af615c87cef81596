"""A player's input rate on a game socket (``InputBudget``): a frame past the mode's rate is refused
``rate_limited`` with a ``retry_after``, and a client that waits exactly that long is let through."""

import pytest

from game.consumers import InputBudget
from gameplatform.errors import RateLimited


@pytest.mark.parametrize("rate", [1, 3, 7, 20, 30, 60])
def test_a_client_that_waits_the_retry_after_it_was_given_is_not_refused_again(rate):
    budget = InputBudget(rate)
    budget.at = now = 0.0
    for round_ in range(50):
        # Spend whatever there is, at uneven moments, until a frame is refused.
        now += (round_ % 7) / 97
        with pytest.raises(RateLimited) as refused:
            for _ in range(rate + 1):
                budget.spend(now)
        wait = refused.value.retry_after
        assert 0 < wait <= 1 / rate + 0.001
        budget.spend(now + wait)  # exactly the wait it was told: passes
        now += wait


def test_a_full_budget_lets_the_modes_rate_through_at_once_and_refuses_the_next():
    budget = InputBudget(30)
    budget.at = 0.0
    for _ in range(30):
        budget.spend(0.0)
    with pytest.raises(RateLimited) as refused:
        budget.spend(0.0)
    assert refused.value.retry_after == 0.034  # 1/30 s, rounded up to the millisecond
