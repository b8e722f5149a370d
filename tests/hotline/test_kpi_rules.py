"""The pure KPI formulas of the hotline: hand-worked answers and the bounds of every rate."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.hotline import kpi_rules


def test_rate_rounds_to_four_places_and_is_none_without_data():
    """1/3 is 0.3333; no denominator gives None, not 0 %."""
    assert kpi_rules.rate(1, 3) == 0.3333
    assert kpi_rules.rate(2, 2) == 1.0
    assert kpi_rules.rate(0, 5) == 0.0
    assert kpi_rules.rate(0, 0) is None


@pytest.mark.parametrize(("numerator", "denominator"), [(-1, 3), (4, 3), (1, -1)])
def test_rate_refuses_impossible_counts(numerator, denominator):
    """A negative count or a part bigger than its whole is an error, not a rate above 1."""
    with pytest.raises(ValueError, match="numerator"):
        kpi_rules.rate(numerator, denominator)


def test_named_formulas_divide_the_documented_counts():
    """Each KPI divides its numerator by its own denominator (hand-worked figures)."""
    assert kpi_rules.first_contact_resolution_rate(answered_directly=3, accepted=12) == 0.25
    assert kpi_rules.on_time_rate(on_time=7, replied=8) == 0.875
    assert kpi_rules.satisfaction_rate(satisfied=9, visited=10) == 0.9
    assert kpi_rules.reopen_rate(reopened=1, visited=8) == 0.125
    assert kpi_rules.return_rate(returned=2, dispatched=5) == 0.4
    assert kpi_rules.on_time_rate(on_time=0, replied=0) is None


def test_top_orders_by_count_then_key_and_cuts():
    """The hot list is largest first, ties alphabetical, zeros dropped, at most ``limit``."""
    counts = {"noise": 5, "road": 7, "water": 5, "park": 0, "bus": 1}
    assert kpi_rules.top(counts, limit=3) == [("road", 7), ("noise", 5), ("water", 5)]
    assert kpi_rules.top(counts) == [("road", 7), ("noise", 5), ("water", 5), ("bus", 1)]


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=10**6))
def test_every_rate_is_a_fraction_or_none(a, b):
    """For any possible counts, a rate is None without a denominator, else within [0, 1]."""
    numerator, denominator = min(a, b), max(a, b)
    value = kpi_rules.rate(numerator, denominator)
    if denominator == 0:
        assert value is None
    else:
        assert value is not None
        assert 0.0 <= value <= 1.0
        assert abs(value - numerator / denominator) <= 0.00005
