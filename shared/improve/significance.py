"""Welch's two-sample t-test, with the Student t distribution computed through the
regularised incomplete beta function.

scipy would give the same numbers but costs tens of megabytes and a slow import in a
Cloud Function; the few lines here are checked against known values in the tests
(closed forms for 1 and 2 degrees of freedom, table quantiles, a published example).
Means and standard deviations come from the standard library's ``statistics``, taken
over the values divided by a power of two near their largest magnitude: every
intermediate then stays near 1, so no value a double can hold overflows a sum or a square, and neither t nor the
degrees of freedom change with the scale."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

_EPSILON = 3e-16
_TINY = 1e-300
_MAX_TERMS = 500


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b), evaluated by the modified Lentz method."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    fraction = d
    for m in range(1, _MAX_TERMS + 1):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            fraction *= c * d
        if abs(c * d - 1.0) < _EPSILON:
            break
    return fraction


def regularized_incomplete_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b) for a, b > 0 and 0 <= x <= 1."""
    if a <= 0 or b <= 0 or not 0.0 <= x <= 1.0:
        raise ValueError("need a > 0, b > 0 and 0 <= x <= 1")
    if x in (0.0, 1.0):
        return x
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    # The fraction converges fast only below the mean; use the symmetry otherwise.
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _beta_continued_fraction(b, a, 1.0 - x) / b


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` degrees of freedom."""
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    if math.isinf(t):
        return 0.0
    return regularized_incomplete_beta(df / 2.0, 0.5, df / (df + t * t))


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    tail = t_two_sided_p(t, df) / 2.0
    return 1.0 - tail if t > 0 else tail


def _scale(*groups: Sequence[float]) -> float:
    """A power of two near the largest magnitude: dividing by it is exact, and leaves
    every value below 2 in magnitude."""
    largest = max((abs(x) for group in groups for x in group), default=0.0)
    return math.ldexp(1.0, math.frexp(largest)[1] - 1) if largest else 1.0


def finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def mean(values: Sequence[float]) -> float | None:
    """The mean, never an overflow; None for no values."""
    if not values:
        return None
    scale = _scale(values)
    return statistics.fmean([x / scale for x in values]) * scale


def stdev(values: Sequence[float]) -> float | None:
    """The sample standard deviation; None for fewer than two values or when it is
    past the range of a double (values of both signs near the largest one)."""
    if len(values) < 2:
        return None
    scale = _scale(values)
    return finite(statistics.stdev([x / scale for x in values]) * scale)


@dataclass(frozen=True)
class WelchResult:
    t: float
    df: float
    p_value: float


def welch_t_test(a: Sequence[float], b: Sequence[float]) -> WelchResult | None:
    """Two-sided Welch test of equal means; None when a group has fewer than two values.

    Two groups without any spread are decided by their means alone: equal means give
    p = 1, different ones p = 0 (the limit of the statistic)."""
    if len(a) < 2 or len(b) < 2:
        return None
    scale = _scale(a, b)
    a, b = [x / scale for x in a], [x / scale for x in b]
    var_a, var_b = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    diff = statistics.fmean(a) - statistics.fmean(b)
    se2 = var_a + var_b
    if se2 == 0:
        if diff == 0:
            return WelchResult(0.0, float(len(a) + len(b) - 2), 1.0)
        return WelchResult(math.copysign(math.inf, diff), float(len(a) + len(b) - 2), 0.0)
    t = diff / math.sqrt(se2)
    # Welch-Satterthwaite, with both variances divided by the larger: squaring a tiny
    # variance would underflow to 0 and leave 0 / 0.
    ra, rb = var_a / max(var_a, var_b), var_b / max(var_a, var_b)
    df = (ra + rb) ** 2 / (ra * ra / (len(a) - 1) + rb * rb / (len(b) - 1))
    return WelchResult(t, df, t_two_sided_p(t, df))
