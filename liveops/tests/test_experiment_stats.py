"""An experiment's results a studio can decide on: each variation's value, its rate's 95 % interval,
its difference to the control with that difference's interval and p-value, and the value its
players brought. The formulas are checked against published worked examples:

- Wilson's interval: Newcombe (1998), "Two-sided confidence intervals for the single proportion:
  comparison of seven methods", Statistics in Medicine 17:857-872, Table I, method 3;
- the difference's interval: Newcombe (1998), "Interval estimation for the difference between
  independent proportions: comparison of eleven methods", Statistics in Medicine 17:873-890,
  Table II, method 10;
- the pooled two-proportion z-test: the worked example of https://www.usablestats.com/askstats/question/866/
  (118 of 3303 against 80 of 3303: z = 2.742, two-sided p = 0.00611), and its identity with
  Pearson's chi-square of the 2×2 table, computed here by the SRM test's own chi-square tail.
"""

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User, username_key
from liveops.analytics.stats import Z, chi2_sf, difference_interval, two_proportion_p_value, wilson_interval
from liveops.models import AnalyticsEvent, Exposure

EXPERIMENT = {
    "variations": [399, 499],
    "weights": [0.5, 0.5],
    "key": "price-2026",
    "hashAttribute": "id",
    "coverage": 1,
}


def test_the_quantile_is_the_two_sided_95_percent_one():
    assert pytest.approx(1.959964, abs=1e-6) == Z


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718),
     (29, 29, 0.8830, 1.0), (0, 10, 0.0, 0.2775)],
)  # fmt: skip
def test_wilsons_interval_is_newcombes_table_i(successes, trials, low, high):
    found = wilson_interval(successes, trials)
    assert found == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_a_rate_without_players_has_no_interval():
    assert wilson_interval(0, 0) is None


@pytest.mark.parametrize(
    ("x", "n", "xc", "nc", "low", "high"),
    [(56, 70, 48, 80, 0.0524, 0.3339), (9, 10, 3, 10, 0.1705, 0.8090), (6, 7, 2, 7, 0.0582, 0.8062)],
)
def test_the_differences_interval_is_newcombes_method_10(x, n, xc, nc, low, high):
    found = difference_interval(x, n, xc, nc)
    assert found == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_the_z_test_matches_the_published_worked_example():
    assert two_proportion_p_value(118, 3303, 80, 3303) == pytest.approx(0.00611, abs=5e-6)
    assert two_proportion_p_value(80, 3303, 118, 3303) == pytest.approx(0.00611, abs=5e-6)  # two-sided


def pearson_chi_square(x: int, n: int, xc: int, nc: int) -> float:
    table = [[x, n - x], [xc, nc - xc]]
    total, columns = n + nc, [x + xc, n + nc - x - xc]
    return sum(
        (table[row][column] - rows * columns[column] / total) ** 2 / (rows * columns[column] / total)
        for row, rows in enumerate((n, nc))
        for column in range(2)
    )


@pytest.mark.parametrize(("x", "n", "xc", "nc"), [(40, 200, 25, 210), (3, 9, 1, 12), (500, 1000, 480, 1000)])
def test_the_z_tests_p_value_is_pearsons_chi_square_of_the_table(x, n, xc, nc):
    expected = chi2_sf(pearson_chi_square(x, n, xc, nc), 1)
    assert two_proportion_p_value(x, n, xc, nc) == pytest.approx(expected, rel=1e-9)


def test_no_players_or_no_variance_has_no_p_value():
    assert two_proportion_p_value(0, 0, 3, 10) is None
    assert two_proportion_p_value(0, 10, 0, 12) is None
    assert two_proportion_p_value(10, 10, 12, 12) is None


# --- the staff route -------------------------------------------------------------------------------


def players(count: int) -> list[User]:
    names = [f"buyer{n}" for n in range(count)]
    return User.objects.bulk_create([User(username=name, username_key=username_key(name)) for name in names])


def bought(user: User, value: float | None, *, serial: int, at=None) -> AnalyticsEvent:
    at = at or timezone.now()
    return AnalyticsEvent(user=user, client_id=str(serial), name="purchase", timestamp=at, value=value, received_at=at)


@pytest.mark.django_db
def test_results_show_values_intervals_the_difference_its_p_value_and_revenue_per_player(
    client_for, operator, make_flag
):
    make_flag("gem-price", 399, [EXPERIMENT])
    people = players(20)
    Exposure.objects.bulk_create(
        [Exposure(user=user, key="price-2026", variation=0) for user in people[:10]]
        + [Exposure(user=user, key="price-2026", variation=1) for user in people[10:]]
    )
    events = [bought(user, 3.99, serial=1) for user in people[:8]]  # 8 of 10 buy at 3.99
    events += [bought(people[0], 3.99, serial=2)]  # one buys twice: converted once, paid twice
    events += [bought(user, 4.99, serial=1) for user in people[10:13]]  # 3 of 10 at 4.99
    events += [bought(people[13], None, serial=1)]  # a goal without a value converts, brings nothing
    yesterday = timezone.now() - timedelta(days=1)
    events += [bought(people[14], 4.99, serial=1, at=yesterday)]  # before the exposure: neither
    AnalyticsEvent.objects.bulk_create(events)

    answer = client_for(operator).get("/api/liveops/admin/experiments/price-2026/results/", {"goal": "purchase"})
    assert answer.status_code == 200, answer.content
    control, variant = answer.json()["variations"]

    assert (control["variation"], control["value"], control["players"], control["converted"]) == (0, 399, 10, 8)
    assert (variant["variation"], variant["value"], variant["players"], variant["converted"]) == (1, 499, 10, 4)
    assert control["rate_interval"] == [pytest.approx(v) for v in wilson_interval(8, 10)]
    assert variant["rate_interval"] == [pytest.approx(v) for v in wilson_interval(4, 10)]
    assert control["difference"] is None and control["p_value"] is None and control["difference_interval"] is None
    assert variant["difference"] == pytest.approx(0.4 - 0.8)
    assert variant["difference_interval"] == [pytest.approx(v) for v in difference_interval(4, 10, 8, 10)]
    assert variant["p_value"] == pytest.approx(two_proportion_p_value(4, 10, 8, 10))
    assert 0.05 < variant["p_value"] < 0.1  # 0.4 against 0.8 with 10 players each: not yet decided
    assert control["value_sum"] == pytest.approx(9 * 3.99)
    assert control["value_per_player"] == pytest.approx(9 * 3.99 / 10)
    assert variant["value_sum"] == pytest.approx(3 * 4.99)
    assert variant["value_per_player"] == pytest.approx(3 * 4.99 / 10)
    assert answer.json()["srm_p"] == pytest.approx(1.0)


@pytest.mark.django_db
def test_a_variation_nobody_got_has_no_rate_no_interval_and_no_revenue_per_player(client_for, operator, make_flag):
    make_flag("gem-price", 399, [EXPERIMENT])
    (alone,) = players(1)
    Exposure.objects.create(user=alone, key="price-2026", variation=0)
    answer = client_for(operator).get("/api/liveops/admin/experiments/price-2026/results/", {"goal": "purchase"})
    variant = answer.json()["variations"][1]
    assert variant == {
        "variation": 1,
        "value": 499,
        "players": 0,
        "converted": 0,
        "rate": None,
        "rate_interval": None,
        "difference": None,
        "difference_interval": None,
        "p_value": None,
        "value_sum": 0.0,
        "value_per_player": None,
    }
    assert not math.isnan(answer.json()["variations"][0]["rate_interval"][1])
