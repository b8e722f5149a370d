"""KPI formulas: rates of empty sets are unknown, compression is 1 − promised / legal."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.dashboard import rules


def test_online_rate_of_the_report():
    """456 of 504 is the report's 90.48 % (claim S1)."""
    assert rules.percent(rules.online_rate(456, 504)) == "90.48 %"


def test_rate_of_nothing_is_unknown():
    """A denominator of 0 gives None, shown as a dash, never 0 %."""
    assert rules.rate(0, 0) is None
    assert rules.percent(None) == "—"


def test_negative_counts_are_refused():
    """Counts cannot be negative; a bug upstream must not turn into a figure."""
    with pytest.raises(ValueError, match="0 or more"):
        rules.rate(-1, 4)


@given(st.integers(0, 10_000), st.integers(1, 10_000))
def test_compression_ratio_is_one_minus_the_rate(promised, legal):
    """Compression ratio = 1 − Σ promised / Σ legal for any totals."""
    assert rules.compression_ratio(promised, legal) == pytest.approx(1 - promised / legal)


@given(st.integers(0, 1000), st.integers(0, 1000))
def test_rate_is_a_fraction_when_part_of_whole(part, extra):
    """A numerator that is part of the denominator gives a rate between 0 and 1."""
    value = rules.rate(part, part + extra)
    assert value is None or 0 <= value <= 1
