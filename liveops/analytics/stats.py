"""The sample-ratio-mismatch test: a chi-square goodness of fit, with the standard library only
(no scipy in the project). The chi-square survival function with k degrees of freedom is the
regularized upper incomplete gamma Q(k/2, x/2), computed as Numerical Recipes does: its series
below a+1, its continued fraction (modified Lentz) above, each to double precision."""

import math

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
