"""Welch's t-test and the t distribution against values with a known answer: closed
forms for 1 and 2 degrees of freedom, table quantiles, and reference values of a
standard statistics package for a published example."""

from __future__ import annotations

import math

import pytest

from shared.improve.significance import (
    regularized_incomplete_beta,
    t_cdf,
    t_two_sided_p,
    welch_t_test,
)


@pytest.mark.parametrize("t", [-30.0, -2.5, -0.4, 0.0, 0.7, 3.0, 50.0])
def test_t_cdf_with_one_degree_of_freedom_is_the_cauchy_distribution(t: float) -> None:
    assert t_cdf(t, 1) == pytest.approx(0.5 + math.atan(t) / math.pi, abs=1e-12)


@pytest.mark.parametrize("t", [-8.0, -1.2, 0.0, 0.5, 2.0, 20.0])
def test_t_cdf_with_two_degrees_of_freedom_matches_its_closed_form(t: float) -> None:
    assert t_cdf(t, 2) == pytest.approx(0.5 + t / (2 * math.sqrt(2 + t * t)), abs=1e-12)


@pytest.mark.parametrize(("quantile", "df"), [(2.228138851986274, 10), (2.5705818356363146, 5)])
def test_the_tabulated_97_5_percent_quantile_gives_a_two_sided_p_of_0_05(
    quantile: float, df: int
) -> None:
    assert t_two_sided_p(quantile, df) == pytest.approx(0.05, abs=1e-10)


def test_t_cdf_at_fractional_degrees_of_freedom_matches_the_reference() -> None:
    assert t_cdf(-2.0, 7.5) == pytest.approx(0.041448497649083156, rel=1e-9)
    assert t_cdf(0.3, 50) == pytest.approx(0.6172895598723483, rel=1e-9)


def test_incomplete_beta_matches_the_reference_and_its_bounds() -> None:
    assert regularized_incomplete_beta(2.5, 1.5, 0.3) == pytest.approx(
        0.08894372317066562, rel=1e-9
    )
    assert regularized_incomplete_beta(2.0, 3.0, 0.0) == 0.0
    assert regularized_incomplete_beta(2.0, 3.0, 1.0) == 1.0
    # I_x(1, 1) is the uniform distribution function
    assert regularized_incomplete_beta(1.0, 1.0, 0.37) == pytest.approx(0.37, abs=1e-12)


def test_welch_matches_the_published_example_with_unequal_variances() -> None:
    a1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4]
    a2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4]
    result = welch_t_test(a1, a2)
    assert result is not None
    assert result.t == pytest.approx(-2.455356398286006, rel=1e-9)
    assert result.df == pytest.approx(24.988529290231416, rel=1e-9)
    assert result.p_value == pytest.approx(0.021378001462866992, rel=1e-7)


def test_welch_on_clearly_different_ratings_is_significant() -> None:
    result = welch_t_test([5, 4, 5, 5, 4, 5, 4, 5], [3, 2, 3, 3, 4, 2, 3, 3])
    assert result is not None
    assert result.t == pytest.approx(6.008765526952665, rel=1e-9)
    assert result.df == pytest.approx(13.405835543766582, rel=1e-9)
    assert result.p_value == pytest.approx(3.8504011235907735e-05, rel=1e-6)


def test_welch_on_identical_groups_gives_p_of_one() -> None:
    result = welch_t_test([3, 4, 5], [5, 4, 3])
    assert result is not None
    assert result.t == 0.0
    assert result.p_value == pytest.approx(1.0)


def test_groups_without_spread_are_decided_by_their_means() -> None:
    same, different = welch_t_test([4, 4], [4, 4]), welch_t_test([5, 5], [1, 1])
    assert same is not None and same.p_value == 1.0
    assert different is not None and different.p_value == 0.0


def test_a_group_of_fewer_than_two_values_is_not_tested() -> None:
    assert welch_t_test([5], [1, 2, 3]) is None
    assert welch_t_test([], []) is None


@pytest.mark.parametrize("exponent", [1000, -1000])
def test_welch_gives_the_same_test_at_any_scale_a_double_holds(exponent: int) -> None:
    """Scaling by a power of two is exact: squares of 7 * 2**1000 overflow a double,
    yet the test is the one of the unscaled values."""
    a, b = [1.0, 2.0, 3.0], [2.0, 4.0, 7.0]
    scaled = welch_t_test(
        [math.ldexp(x, exponent) for x in a], [math.ldexp(x, exponent) for x in b]
    )
    assert scaled == welch_t_test(a, b)
