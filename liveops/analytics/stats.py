"""An experiment's statistics, with the standard library only (no scipy or statsmodels in the
project). The sample-ratio-mismatch test: a chi-square goodness of fit, whose survival function
with k degrees of freedom is the regularized upper incomplete gamma Q(k/2, x/2), computed as
Numerical Recipes does: its series below a+1, its continued fraction (modified Lentz) above, each
to double precision. A variation against the control: Wilson's interval of each rate, Newcombe's
interval of their difference and the two-proportion z-test (below)."""

import math
from statistics import NormalDist

_EPS = 1e-15
_TINY = 1e-300


def _lower_series(a: float, x: float) -> float:
    """P(a, x) by its series (converges fast for x < a + 1)."""
    term = total = 1.0 / a
    n = a
    for _ in range(1000):
        n += 1
        term *= x / n
        total += term
        if abs(term) < abs(total) * _EPS:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _upper_fraction(a: float, x: float) -> float:
    """Q(a, x) by its continued fraction (converges fast for x >= a + 1)."""
    b = x + 1 - a
    c, d = 1 / _TINY, 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1 / d
        h *= d * c
        if abs(d * c - 1) < _EPS:
            break
    return h * math.exp(-x + a * math.log(x) - math.lgamma(a))


def chi2_sf(x: float, dof: int) -> float:
    """P(X >= x) for X chi-square with ``dof`` degrees of freedom."""
    if x <= 0:
        return 1.0
    a, half = dof / 2, x / 2
    return 1 - _lower_series(a, half) if half < a + 1 else _upper_fraction(a, half)


def srm_p_value(observed: list[int], weights: list[float]) -> float | None:
    """The p-value of ``observed`` counts against the expected split ``weights`` (None with no
    players or a single variation). Variations of weight 0 take no part."""
    pairs = [(count, weight) for count, weight in zip(observed, weights, strict=True) if weight > 0]
    total, weight_sum = sum(count for count, _ in pairs), sum(weight for _, weight in pairs)
    if total == 0 or len(pairs) < 2:
        return None
    statistic = 0.0
    for count, weight in pairs:
        expected = total * weight / weight_sum
        statistic += (count - expected) ** 2 / expected
    return chi2_sf(statistic, len(pairs) - 1)


# --- a variation against the control: intervals and a test, with the standard library's normal
# distribution (``statistics.NormalDist``: its quantile is Wichura's AS241, exact to double
# precision). Each formula is written out below and tested against its published worked examples
# (liveops/tests/test_experiment_stats.py; docs/liveops.md, "Experiment results").

_NORMAL = NormalDist()
CONFIDENCE = 0.95
Z = _NORMAL.inv_cdf(1 - (1 - CONFIDENCE) / 2)  # 1.959964: the two-sided 95 % quantile


def wilson_interval(successes: int, trials: int, z: float = Z) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion ``successes / trials`` (None with no trials).

    Wilson (1927); Newcombe (1998), "Two-sided confidence intervals for the single proportion:
    comparison of seven methods", Statistics in Medicine 17:857-872, method 3::

        centre = (p + z²/2n) / (1 + z²/n)
        half   = z / (1 + z²/n) · √(p(1-p)/n + z²/4n²)

    Unlike the textbook p ± z·√(p(1-p)/n), it stays inside 0-1 and is not empty at 0 or n
    successes, which a fresh experiment's small counts need."""
    if trials <= 0:
        return None
    p, z2 = successes / trials, z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


def difference_interval(
    successes: int, trials: int, control_successes: int, control_trials: int, z: float = Z
) -> tuple[float, float] | None:
    """The interval of ``p - p_control`` from the two Wilson intervals (None without players on
    either side): Newcombe (1998), "Interval estimation for the difference between independent
    proportions: comparison of eleven methods", Statistics in Medicine 17:873-890, method 10::

        low  = d - √((p - l)² + (u_c - p_c)²)
        high = d + √((u - p)² + (p_c - l_c)²)

    with ``(l, u)`` and ``(l_c, u_c)`` the Wilson intervals of each."""
    mine, control = wilson_interval(successes, trials, z), wilson_interval(control_successes, control_trials, z)
    if mine is None or control is None:
        return None
    p, pc = successes / trials, control_successes / control_trials
    (low, high), (control_low, control_high) = mine, control
    difference = p - pc
    return (
        difference - math.sqrt((p - low) ** 2 + (control_high - pc) ** 2),
        difference + math.sqrt((high - p) ** 2 + (pc - control_low) ** 2),
    )


def two_proportion_p_value(successes: int, trials: int, control_successes: int, control_trials: int) -> float | None:
    """The two-sided p-value of the pooled two-proportion z-test of ``p = p_control``::

        p̂ = (x + x_c) / (n + n_c)        (the rate if both were the same)
        z  = (p - p_c) / √(p̂(1-p̂)(1/n + 1/n_c))
        p-value = 2 · (1 - Φ(|z|))

    None without players on either side, or when every player (or none) converted on both
    sides: then there is no variance to test with. Its square is Pearson's chi-square of the 2×2
    table (without Yates' correction), so ``chi2_sf(z², 1)`` gives the same p-value."""
    if trials <= 0 or control_trials <= 0:
        return None
    pooled = (successes + control_successes) / (trials + control_trials)
    variance = pooled * (1 - pooled) * (1 / trials + 1 / control_trials)
    if variance <= 0:
        return None
    z = (successes / trials - control_successes / control_trials) / math.sqrt(variance)
    return 2 * _NORMAL.cdf(-abs(z))  # = 2(1 - Φ(|z|)), without the cancellation for a large |z|
