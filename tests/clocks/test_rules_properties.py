"""Invariants of the clock rules, checked with hypothesis (DOMAIN_RULES.md §1–§2).

The oracle is a plain day-by-day count over ``chinese_calendar.is_workday``: independent of
the calendar's index and of the rules' arithmetic.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import chinese_calendar
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xiaoneng.clocks import rules
from xiaoneng.clocks.rules import ClockState, Pause, WarningLevel, due_date, snapshot

from .conftest import PURE_CALENDAR as CAL

ONE = dt.timedelta(days=1)
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@dataclasses.dataclass(frozen=True)
class ClockCase:
    started_on: dt.date
    limit_days: int
    pauses: tuple[Pause, ...]
    extension_days: int

    @property
    def last_event(self) -> dt.date:
        days = [self.started_on]
        for p in self.pauses:
            days.append(p.ended_on or p.began_on)
        return max(days)

    @property
    def closed_pauses(self) -> tuple[Pause, ...]:
        return tuple(p for p in self.pauses if p.ended_on is not None)


@st.composite
def clock_cases(draw: st.DrawFn, *, allow_open: bool = True) -> ClockCase:
    """A valid clock of 2005–2025: limit, up to 3 ordered pauses (the last maybe open)."""
    start = draw(st.dates(min_value=dt.date(2005, 1, 1), max_value=dt.date(2025, 6, 30)))
    limit = draw(st.integers(min_value=0, max_value=60))
    pauses: list[Pause] = []
    cursor = start
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        began = cursor + draw(st.integers(min_value=0, max_value=40)) * ONE
        ended = began + draw(st.integers(min_value=0, max_value=30)) * ONE
        pauses.append(Pause(began, ended))
        cursor = ended
    if allow_open and pauses and draw(st.booleans()):
        pauses[-1] = Pause(pauses[-1].began_on)
    extension = draw(st.integers(min_value=0, max_value=15))
    return ClockCase(start, limit, tuple(pauses), extension)


def _in_pause(day: dt.date, pauses: tuple[Pause, ...]) -> bool:
    return any(p.ended_on is not None and p.began_on < day <= p.ended_on for p in pauses)


def oracle_due(case: ClockCase) -> dt.date:
    """The n-th working day after the (rolled) start that lies in no closed pause."""
    day = case.started_on
    while not chinese_calendar.is_workday(day):
        day += ONE
    n = case.limit_days + case.extension_days
    counted = 0
    while counted < n:
        day += ONE
        if chinese_calendar.is_workday(day) and not _in_pause(day, case.pauses):
            counted += 1
    return day


def oracle_used(case: ClockCase, as_of: dt.date) -> int:
    """Working days after the (rolled) start, up to ``as_of``, in no pause."""
    day = case.started_on
    while not chinese_calendar.is_workday(day):
        day += ONE
    counted = 0
    while day < as_of:
        day += ONE
        if chinese_calendar.is_workday(day) and not _in_pause(day, case.pauses):
            counted += 1
    return counted


def _due(case: ClockCase, **changes: object) -> dt.date:
    case = dataclasses.replace(case, **changes)  # type: ignore[arg-type]
    return due_date(
        CAL,
        started_on=case.started_on,
        limit_days=case.limit_days,
        pauses=case.pauses,
        extension_days=case.extension_days,
    ).value


def _snap(
    case: ClockCase, today: dt.date, stopped_on: dt.date | None = None
) -> rules.ClockSnapshot:
    return snapshot(
        CAL,
        started_on=case.started_on,
        limit_days=case.limit_days,
        pauses=case.pauses,
        extension_days=case.extension_days,
        stopped_on=stopped_on,
        today=today,
    )


@PROPERTY_SETTINGS
@given(clock_cases())
def test_due_date_agrees_with_a_day_by_day_count(case: ClockCase) -> None:
    """The due date is the (limit + extensions)-th counted day of a naive count."""
    assert _due(case) == oracle_due(case)


@PROPERTY_SETTINGS
@given(clock_cases(), st.integers(min_value=0, max_value=200))
def test_used_days_agree_with_a_day_by_day_count(case: ClockCase, offset: int) -> None:
    """Used days are the counted days up to the day the clock is frozen at, or today."""
    today = case.started_on + offset * ONE
    snap = _snap(case, today)
    assert snap.used_days == oracle_used(case, snap.as_of)


@PROPERTY_SETTINGS
@given(clock_cases())
def test_due_date_is_always_a_working_day(case: ClockCase) -> None:
    """Due date and yellow day are working days, and yellow never comes after due."""
    snap = _snap(case, case.started_on)
    assert chinese_calendar.is_workday(snap.due_on)
    assert chinese_calendar.is_workday(snap.yellow_on)
    assert case.started_on <= snap.due_on
    assert snap.yellow_on <= snap.due_on


@PROPERTY_SETTINGS
@given(clock_cases(), st.data())
def test_a_pause_never_moves_the_due_date_earlier(case: ClockCase, data: st.DataObject) -> None:
    """Adding any one of the pauses (to the others) never makes the due date earlier."""
    if not case.pauses:
        return
    i = data.draw(st.integers(min_value=0, max_value=len(case.pauses) - 1))
    without = case.pauses[:i] + case.pauses[i + 1 :]
    assert _due(case, pauses=without) <= _due(case)
    assert _due(case, pauses=()) <= _due(case)


@PROPERTY_SETTINGS
@given(clock_cases(), st.integers(min_value=0, max_value=30))
def test_a_later_resume_never_moves_the_due_date_earlier(case: ClockCase, extra: int) -> None:
    """Resuming an open pause, and resuming it later, only ever moves the due date later."""
    if not case.pauses or case.pauses[-1].ended_on is not None:
        return
    began = case.pauses[-1].began_on
    frozen = _due(case)
    resumed = _due(case, pauses=(*case.pauses[:-1], Pause(began, began + extra * ONE)))
    resumed_later = _due(case, pauses=(*case.pauses[:-1], Pause(began, began + (extra + 5) * ONE)))
    assert frozen <= resumed <= resumed_later


@PROPERTY_SETTINGS
@given(clock_cases(), st.integers(min_value=1, max_value=15))
def test_an_extension_moves_the_due_date_strictly_later(case: ClockCase, more: int) -> None:
    """Extending by k ≥ 1 working days moves the due date later, never earlier."""
    assert _due(case, extension_days=case.extension_days + more) > _due(case)


@PROPERTY_SETTINGS
@given(clock_cases(), st.integers(min_value=-10, max_value=200))
def test_used_plus_remaining_is_the_limit_with_extensions(case: ClockCase, offset: int) -> None:
    """used + remaining = limit + extensions; remaining < 0 only when red, ≥ 0 until due."""
    today = case.started_on + offset * ONE
    snap = _snap(case, today)
    assert snap.used_days + snap.remaining_days == case.limit_days + case.extension_days
    if snap.state is ClockState.RUNNING:
        if today <= snap.due_on:
            assert snap.remaining_days >= 0
            assert snap.warning != WarningLevel.RED
        else:
            assert snap.remaining_days <= 0
            assert snap.warning == WarningLevel.RED
    if snap.remaining_days < 0:
        assert snap.warning == WarningLevel.RED


@PROPERTY_SETTINGS
@given(clock_cases(), st.integers(min_value=0, max_value=120))
def test_warning_only_advances_as_days_pass(case: ClockCase, offset: int) -> None:
    """For one clock, tomorrow's warning is never milder than today's."""
    order = {WarningLevel.NONE: 0, WarningLevel.YELLOW: 1, WarningLevel.RED: 2}
    today = case.started_on + offset * ONE
    assert order[_snap(case, today).warning] <= order[_snap(case, today + ONE).warning]


@PROPERTY_SETTINGS
@given(
    clock_cases(allow_open=False),
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=0, max_value=400),
)
def test_stopping_freezes_everything(case: ClockCase, stop_after: int, later: int) -> None:
    """After the stop day, a later today changes nothing, and the count is that of the day."""
    stopped_on = case.last_event + stop_after * ONE
    at_stop = _snap(case, stopped_on, stopped_on=stopped_on)
    much_later = _snap(case, stopped_on + later * ONE, stopped_on=stopped_on)
    assert at_stop == much_later
    running_that_day = _snap(case, stopped_on)
    assert at_stop.used_days == running_that_day.used_days
    assert at_stop.due_on == running_that_day.due_on
    assert at_stop.warning == (
        WarningLevel.RED if stopped_on > at_stop.due_on else WarningLevel.NONE
    )


@PROPERTY_SETTINGS
@given(clock_cases(), st.integers(min_value=0, max_value=400))
def test_an_open_pause_freezes_everything(case: ClockCase, later: int) -> None:
    """While paused, a later today changes nothing."""
    if not case.pauses or case.pauses[-1].ended_on is not None:
        return
    began = case.pauses[-1].began_on
    assert _snap(case, began) == _snap(case, began + later * ONE)
