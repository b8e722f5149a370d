"""KPI formulas: rates of empty sets are unknown, compression is 1 − promised / legal."""

import datetime as dt
import statistics
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.core.errors import InvalidInput
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


# -- conclusion figures, worked by hand ----------------------------------------------------------


def test_on_time_rate_of_two_out_of_three():
    """Two of three concluded on time is 2/3; none concluded is unknown."""
    assert rules.on_time_rate(2, 3) == pytest.approx(0.6667, abs=1e-4)
    assert rules.on_time_rate(0, 0) is None


def test_more_on_time_than_concluded_is_refused():
    """An on-time count above the concluded count is a bug upstream, not a rate above 1."""
    with pytest.raises(ValueError, match="exceeds"):
        rules.on_time_rate(4, 3)


def test_mean_days_by_hand():
    """13 + 7 + 10 working days over three applications is 10 on average; none is unknown."""
    assert rules.mean_days(30, 3) == 10
    assert rules.mean_days(0, 0) is None
    with pytest.raises(ValueError):
        rules.mean_days(-1, 2)


def test_median_of_an_odd_and_an_even_histogram():
    """7, 10, 13 has median 10; 7, 10, 13, 22 has median (10 + 13) / 2 = 11.5."""
    assert rules.median_of_histogram({13: 1, 7: 1, 10: 1}) == 10
    assert rules.median_of_histogram({7: 1, 10: 1, 13: 1, 22: 1}) == 11.5
    assert rules.median_of_histogram({5: 3, 1: 1}) == 5  # 1, 5, 5, 5
    assert rules.median_of_histogram({2: 2, 9: 2}) == 5.5  # 2, 2, 9, 9


def test_median_of_nothing_is_unknown():
    """No values (or only zero counts) give None."""
    assert rules.median_of_histogram({}) is None
    assert rules.median_of_histogram({4: 0}) is None


@given(st.lists(st.integers(0, 60), min_size=1, max_size=200))
def test_median_of_histogram_is_the_median_of_the_values(values):
    """The histogram's median equals statistics.median of the values it counts."""
    counts = Counter(values)
    assert rules.median_of_histogram(counts) == statistics.median(values)


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_on_time_rate_is_a_fraction(on_time, late):
    """Whatever the counts, the on-time rate is None or between 0 and 1."""
    value = rules.on_time_rate(on_time, on_time + late)
    assert value is None or 0 <= value <= 1


def test_actual_compression_by_hand():
    """20 days used of 40 legal days is an actual compression of 50 %."""
    assert rules.compression_ratio(20, 40) == 0.5


def test_a_period_that_ends_before_it_starts_is_refused():
    """from after to is refused with both days in the message; open ends are fine."""
    rules.check_period(None, dt.date(2025, 1, 1))
    rules.check_period(dt.date(2025, 1, 1), dt.date(2025, 1, 1))
    with pytest.raises(InvalidInput, match=r"2025-02-01.*2025-01-31"):
        rules.check_period(dt.date(2025, 2, 1), dt.date(2025, 1, 31))


# -- the documented definitions ------------------------------------------------------------------


def test_every_definition_names_its_formula():
    """Each KPI has a label, a numerator, a period, a unit and a source; rates a denominator."""
    assert {"online_rate", "on_time_rate", "clocks_red", "supervision_overdue"} <= set(
        rules.KPI_DEFINITIONS
    )
    for key, definition in rules.KPI_DEFINITIONS.items():
        assert definition.key == key
        assert str(definition.label) and str(definition.numerator) and str(definition.period)
        assert definition.source
        if definition.unit is rules.Unit.RATE:
            assert definition.denominator is not None, key
        assert definition.as_dict()["unit"] == definition.unit.value


def test_every_ranking_indicator_reads_a_documented_kpi():
    """The ranking's indicators are KPIs with a definition, and the default weights cover them."""
    for indicator in rules.RANKING_INDICATORS.values():
        assert indicator.kpi in rules.KPI_DEFINITIONS
    assert set(rules.DEFAULT_RANKING_WEIGHTS) == set(rules.RANKING_INDICATORS)
    assert sum(rules.DEFAULT_RANKING_WEIGHTS.values()) == pytest.approx(1)


def test_docs_list_every_kpi_and_indicator():
    """docs/kpis.md documents every KPI key and every ranking indicator."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "kpis.md").read_text(encoding="utf-8")
    for key in [*rules.KPI_DEFINITIONS, *rules.RANKING_INDICATORS]:
        assert f"| `{key}` |" in docs, key
