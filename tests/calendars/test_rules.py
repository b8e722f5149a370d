"""Working-day arithmetic over the precomputed index, checked against chinese_calendar.

DOMAIN_RULES.md §1 (issue 2, "The working-day calendar"). Pure: no database.
"""

import datetime as dt

import chinese_calendar
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from xiaoneng.calendars.package_data import package_calendar, package_data
from xiaoneng.calendars.rules import (
    CalendarNotCovered,
    WorkdayCalendar,
    coverage_gaps,
    describe_years,
)
from xiaoneng.core.errors import InvalidInput

CAL = package_calendar()
FIRST = dt.date(2004, 1, 1)
LAST = dt.date(2026, 12, 31)
dates_covered = st.dates(min_value=FIRST, max_value=LAST)
small_n = st.integers(min_value=0, max_value=250)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (dt.date(2024, 9, 27), 20, dt.date(2024, 10, 30)),
        (dt.date(2020, 1, 20), 20, dt.date(2020, 2, 25)),
        (dt.date(2019, 4, 28), 3, dt.date(2019, 5, 5)),
    ],
)
def test_domain_rules_examples(start, n, expected):
    """The worked examples of DOMAIN_RULES.md §1 give the documented due dates."""
    assert CAL.add_workdays(start, n) == expected
    assert chinese_calendar.find_workday(n, start) == expected


def test_saturday_start_counts_as_monday():
    """An application received on Saturday is treated as received on Monday."""
    saturday = dt.date(2024, 6, 1)
    assert CAL.add_workdays(saturday, 0) == dt.date(2024, 6, 3)
    assert CAL.add_workdays(saturday, 1) == CAL.add_workdays(dt.date(2024, 6, 3), 1)


@settings(max_examples=250, deadline=None)
@given(start=dates_covered, n=small_n)
def test_add_workdays_agrees_with_find_workday(start, n):
    """add_workdays equals chinese_calendar.find_workday on drawn inputs inside 2004–2026."""
    ours = CAL.add_workdays_marked(start, n)
    assume(not ours.provisional)  # find_workday cannot reckon past 2026
    assert ours.value == chinese_calendar.find_workday(n, start)


@settings(max_examples=300, deadline=None)
@given(start=dates_covered, n=small_n)
def test_count_of_added_days_from_the_rolled_start_is_n(start, n):
    """count_workdays(rolled start, add_workdays(start, n)) == n."""
    result = CAL.add_workdays_marked(start, n)
    assume(not result.provisional)
    rolled = CAL.add_workdays(start, 0)
    assert CAL.is_workday(rolled)
    assert CAL.count_workdays(rolled, result.value) == n
    # From start itself, the rolled day counts too when start is a rest day.
    assert CAL.count_workdays(start, result.value) == n + (0 if CAL.is_workday(start) else 1)


@settings(max_examples=300, deadline=None)
@given(start=dates_covered, n=small_n, later=st.integers(min_value=0, max_value=30))
def test_add_workdays_is_monotonic(start, n, later):
    """A later start or a larger n never gives an earlier date; n + 1 is strictly later."""
    base = CAL.add_workdays_marked(start, n).value
    assert CAL.add_workdays_marked(start, n + 1).value > base
    assert CAL.add_workdays_marked(start + dt.timedelta(days=later), n).value >= base


@settings(max_examples=200, deadline=None)
@given(a=dates_covered, b=dates_covered)
def test_count_is_antisymmetric_and_additive(a, b):
    """count(a, b) == -count(b, a), and counts add up over a middle day."""
    mid = min(a, b) + (max(a, b) - min(a, b)) / 2
    assert CAL.count_workdays(a, b) == -CAL.count_workdays(b, a)
    assert CAL.count_workdays(a, b) == CAL.count_workdays(a, mid) + CAL.count_workdays(mid, b)


def test_every_day_matches_the_package_built_calendar():
    """The index built from the package data agrees with is_workday on every day 2004–2026."""
    day = FIRST
    while day <= LAST:
        assert CAL.is_workday(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


def test_2027_is_refused_by_strict_functions():
    """A computation reaching into 2027 raises CalendarNotCovered naming the missing year."""
    with pytest.raises(CalendarNotCovered) as caught:
        CAL.add_workdays(dt.date(2026, 12, 20), 20)
    assert caught.value.details["missing_year"] == 2027
    assert "2027" in caught.value.message
    with pytest.raises(CalendarNotCovered):
        CAL.is_workday(dt.date(2027, 3, 1))
    with pytest.raises(CalendarNotCovered):
        CAL.count_workdays(dt.date(2026, 12, 1), dt.date(2027, 1, 10))


def test_2027_is_marked_provisional_by_marked_functions():
    """The marked variants answer weekends-only for 2027 and say so."""
    result = CAL.add_workdays_marked(dt.date(2026, 12, 30), 3)
    assert result.provisional
    assert result.value == dt.date(2027, 1, 4)  # Thu 31 Dec, Fri 1 Jan, Mon 4 Jan
    assert CAL.is_workday_marked(dt.date(2027, 1, 1)).provisional
    assert not CAL.add_workdays_marked(dt.date(2026, 3, 2), 5).provisional


def test_dates_outside_the_index_are_refused_even_when_marked():
    """Before the first covered year, or past the provisional horizon, nothing is answered."""
    with pytest.raises(CalendarNotCovered):
        CAL.add_workdays_marked(dt.date(2003, 12, 31), 1)
    with pytest.raises(CalendarNotCovered):
        CAL.add_workdays_marked(dt.date(2036, 12, 1), 400)


def test_negative_n_is_refused():
    """n below 0 is bad input, with the value in the message."""
    with pytest.raises(InvalidInput, match="-1"):
        CAL.add_workdays(dt.date(2024, 1, 2), -1)


def test_empty_calendar_is_refused():
    """A calendar without any covered year cannot be built."""
    with pytest.raises(CalendarNotCovered):
        WorkdayCalendar(covered_years=[], holidays={}, adjusted_workdays={})


def test_a_gap_year_is_provisional_and_the_years_around_it_are_not():
    """With 2027 missing between covered years, only spans touching 2027 are provisional."""
    data = package_data()
    cal = WorkdayCalendar(
        covered_years=[*data.years, 2028],
        holidays=data.holidays,
        adjusted_workdays=data.adjusted_workdays,
    )
    assert cal.describe_coverage() == "2004–2026, 2028"
    assert cal.add_workdays_marked(dt.date(2026, 12, 30), 5).provisional
    assert not cal.add_workdays_marked(dt.date(2028, 3, 1), 5).provisional
    starts = np.array([dt.date(2028, 3, 1).toordinal(), dt.date(2026, 12, 30).toordinal()])
    _, provisional = cal.add_workdays_batch(starts, 5)
    assert provisional.tolist() == [False, True]


@settings(max_examples=100, deadline=None)
@given(
    starts=st.lists(
        st.dates(min_value=FIRST, max_value=dt.date(2030, 12, 31)), min_size=1, max_size=50
    ),
    n=st.integers(min_value=0, max_value=400),
)
def test_batch_agrees_with_single_calls(starts, n):
    """add_workdays_batch gives the same dates and provisional marks as add_workdays_marked."""
    ordinals = np.array([d.toordinal() for d in starts], dtype=np.int64)
    results, provisional = CAL.add_workdays_batch(ordinals, n)
    for start, result, mark in zip(starts, results.tolist(), provisional.tolist(), strict=True):
        single = CAL.add_workdays_marked(start, n)
        assert (dt.date.fromordinal(result), mark) == (single.value, single.provisional)


def test_describe_years_and_gaps():
    """Covered years read as ranges, and the gaps between them are listed."""
    assert describe_years([2005, 2004, 2006, 2009]) == "2004–2006, 2009"
    assert describe_years([]) == ""
    assert coverage_gaps([2004, 2006, 2009]) == [2005, 2007, 2008]
    assert coverage_gaps([]) == []


def test_edges_of_the_index():
    """The last indexed day answers provisionally; one working day past it is refused."""
    last = dt.date(2036, 12, 31)  # 2026 + the 10-year provisional horizon; a Wednesday
    assert CAL.add_workdays_marked(last, 0) == type(CAL.add_workdays_marked(last, 0))(last, True)
    assert CAL.is_workday_marked(last).provisional
    with pytest.raises(CalendarNotCovered, match="outside the working-day calendar"):
        CAL.add_workdays_marked(last, 1)
    first = dt.date(2004, 1, 1)  # New Year's Day, a holiday
    assert not CAL.is_workday(first)
    assert CAL.add_workdays(first, 0) == dt.date(2004, 1, 2)
    assert CAL.count_workdays(first, first) == 0
    assert CAL.count_workdays(first, dt.date(2004, 1, 2)) == 1
