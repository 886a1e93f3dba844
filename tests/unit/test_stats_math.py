"""The statistics on plain numbers agree with scipy.stats: the ranks of a median's 95 %
interval, the nearest-rank p90, Pearson's chi-square and its p-value."""

from __future__ import annotations

import pytest
from scipy.stats import binom, chisquare

from bot.domain.stats import median_interval_ranks, ranks_for, weekday_test
from bot.slack.insights_wording import p_value


@pytest.mark.parametrize("n", [6, 7, 10, 11, 20, 57, 100, 1001])
def test_the_medians_interval_is_the_narrowest_symmetric_pair_covering_95_percent(
        n: int) -> None:
    ranks = median_interval_ranks(n)
    assert ranks is not None
    low, high = ranks
    assert high == n + 1 - low

    def coverage(rank: int) -> float:
        return float(1 - 2 * binom.cdf(rank - 1, n, 0.5))

    assert coverage(low) >= 0.95
    assert coverage(low + 1) < 0.95


def test_no_interval_below_six_values() -> None:
    assert [median_interval_ranks(n) for n in range(1, 6)] == [None] * 5
    assert median_interval_ranks(10) == (2, 9)


def test_median_and_nearest_rank_p90_ranks() -> None:
    assert (ranks_for(1).median, ranks_for(1).p90) == ((1,), 1)
    assert (ranks_for(5).median, ranks_for(5).p90) == ((3,), 5)
    assert (ranks_for(10).median, ranks_for(10).p90) == ((5, 6), 9)
    assert (ranks_for(20).median, ranks_for(20).p90) == ((10, 11), 18)
    assert ranks_for(10).all == (2, 5, 6, 9)


@pytest.mark.parametrize("counts", [(10, 12, 9, 11, 25, 3, 2), (5,) * 7, (0, 0, 0, 0, 1, 0, 0),
                                    (61, 58, 55, 60, 97, 40, 41)])
def test_the_weekday_test_is_scipys_chisquare(counts: tuple[int, ...]) -> None:
    expected = chisquare(counts)
    found = weekday_test(counts)
    assert found.chi2 == pytest.approx(expected.statistic)
    assert found.p_value == pytest.approx(expected.pvalue)
    assert found.dof == 6


def test_p_values_are_written_for_people() -> None:
    assert [p_value(p) for p in (1.0, 0.41, 0.049, 0.0032, 8.825e-6)] == [
        "1", "0.41", "0.049", "0.0032", "8.8e-06"]
