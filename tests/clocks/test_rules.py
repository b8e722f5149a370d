"""The clock rules on worked examples (DOMAIN_RULES.md §1–§2), without a database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from xiaoneng.calendars.rules import CalendarNotCovered, WorkdayCalendar
from xiaoneng.clocks import rules
from xiaoneng.clocks.rules import (
    ClockAction,
    ClockState,
    Pause,
    WarningLevel,
    WarningPolicy,
    due_date,
    snapshot,
)
from xiaoneng.core.errors import Conflict, InvalidInput

d = dt.date


# -- the due date ----------------------------------------------------------------------------


def test_worked_example_of_domain_rules(calendar: WorkdayCalendar) -> None:
    """Accepted 2025-03-03 with 20 days is due 03-31; paused 03-05 to 03-12, due 04-08."""
    assert due_date(calendar, started_on=d(2025, 3, 3), limit_days=20).value == d(2025, 3, 31)
    paused = due_date(
        calendar,
        started_on=d(2025, 3, 3),
        limit_days=20,
        pauses=[Pause(d(2025, 3, 5), d(2025, 3, 12))],
    )
    assert paused == rules.Marked(d(2025, 4, 8), False)


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (d(2024, 9, 27), 20, d(2024, 10, 30)),  # across the National Day week
        (d(2020, 1, 20), 20, d(2020, 2, 25)),  # the 2020 Spring Festival extension
        (d(2019, 4, 28), 3, d(2019, 5, 5)),  # a Sunday working day, then Labour Day
    ],
)
def test_due_date_without_pauses_is_add_workdays(
    calendar: WorkdayCalendar, start: dt.date, n: int, due: dt.date
) -> None:
    """Without pauses the due date is the n-th working day after the start (§1 examples)."""
    assert due_date(calendar, started_on=start, limit_days=n).value == due


def test_pause_across_the_spring_festival_costs_only_its_working_days(
    calendar: WorkdayCalendar,
) -> None:
    """A two-week pause over the 2020 Spring Festival removes only 4 working days."""
    due = due_date(
        calendar,
        started_on=d(2020, 1, 20),
        limit_days=20,
        pauses=[Pause(d(2020, 1, 21), d(2020, 2, 4))],
    )
    # (01-21, 02-04] holds 01-22, 01-23, 02-03, 02-04; 02-25 + 4 working days = 03-02.
    assert due.value == d(2020, 3, 2)


def test_pause_over_the_national_day_week_costs_one_working_day(
    calendar: WorkdayCalendar,
) -> None:
    """Paused 2024-09-30 and resumed 10-08: only 10-08 is a working day in the pause."""
    due = due_date(
        calendar,
        started_on=d(2024, 9, 27),
        limit_days=20,
        pauses=[Pause(d(2024, 9, 30), d(2024, 10, 8))],
    )
    assert due.value == d(2024, 10, 31)


def test_start_on_a_rest_day_counts_from_the_next_working_day(
    calendar: WorkdayCalendar,
) -> None:
    """Received Saturday 2025-03-01 = received Monday 03-03: 1 day is due Tuesday 03-04."""
    assert due_date(calendar, started_on=d(2025, 3, 1), limit_days=1).value == d(2025, 3, 4)
    on_monday = snapshot(calendar, started_on=d(2025, 3, 1), limit_days=1, today=d(2025, 3, 3))
    assert (on_monday.used_days, on_monday.remaining_days) == (0, 1)
    on_tuesday = snapshot(calendar, started_on=d(2025, 3, 1), limit_days=1, today=d(2025, 3, 4))
    assert (on_tuesday.used_days, on_tuesday.warning) == (1, WarningLevel.YELLOW)


def test_instant_matter_is_due_the_day_it_starts(calendar: WorkdayCalendar) -> None:
    """A limit of 0 (即办件) is due on the start day, or the next working day."""
    assert due_date(calendar, started_on=d(2025, 3, 3), limit_days=0).value == d(2025, 3, 3)
    assert due_date(calendar, started_on=d(2025, 3, 1), limit_days=0).value == d(2025, 3, 3)


def test_extensions_add_working_days(calendar: WorkdayCalendar) -> None:
    """An Art. 42 extension of 10 days moves 2025-03-31 to 10 working days later (Qingming)."""
    due = due_date(calendar, started_on=d(2025, 3, 3), limit_days=20, extension_days=10)
    assert due.value == d(2025, 4, 15)


def test_pause_after_the_due_date_does_not_forgive_lateness(
    calendar: WorkdayCalendar,
) -> None:
    """A pause that begins after the due date leaves the due date and the red verdict."""
    pauses = [Pause(d(2025, 4, 2), d(2025, 4, 10))]
    due = due_date(calendar, started_on=d(2025, 3, 3), limit_days=20, pauses=pauses)
    assert due.value == d(2025, 3, 31)


def test_pause_and_resume_on_the_same_day_changes_nothing(calendar: WorkdayCalendar) -> None:
    """(P, P] is empty: a pause ended the day it began removes no working day."""
    due = due_date(
        calendar,
        started_on=d(2025, 3, 3),
        limit_days=20,
        pauses=[Pause(d(2025, 3, 5), d(2025, 3, 5))],
    )
    assert due.value == d(2025, 3, 31)


def test_a_pause_may_begin_the_day_the_previous_one_ended(calendar: WorkdayCalendar) -> None:
    """(P1, R1] and (R1, R2] do not overlap, so back-to-back pauses are accepted and add up."""
    due = due_date(
        calendar,
        started_on=d(2025, 3, 3),
        limit_days=20,
        pauses=[Pause(d(2025, 3, 5), d(2025, 3, 7)), Pause(d(2025, 3, 7), d(2025, 3, 12))],
    )
    assert due.value == d(2025, 4, 8)


# -- used, remaining, warning -----------------------------------------------------------------


def test_due_date_itself_is_on_time_and_the_next_day_is_red(calendar: WorkdayCalendar) -> None:
    """The due date is the last allowed day: yellow on it, red the day after."""
    on_due = snapshot(calendar, started_on=d(2025, 3, 3), limit_days=20, today=d(2025, 3, 31))
    assert (on_due.warning, on_due.used_days, on_due.remaining_days) == (
        WarningLevel.YELLOW,
        20,
        0,
    )
    after = snapshot(calendar, started_on=d(2025, 3, 3), limit_days=20, today=d(2025, 4, 1))
    assert (after.warning, after.used_days, after.remaining_days) == (WarningLevel.RED, 21, -1)


def test_remaining_is_negative_when_overdue_and_zero_over_the_weekend(
    calendar: WorkdayCalendar,
) -> None:
    """Overdue by 3 working days is −3; the Saturday after a Friday due date is red with 0."""
    late = snapshot(calendar, started_on=d(2025, 3, 3), limit_days=20, today=d(2025, 4, 3))
    assert late.remaining_days == -3
    assert late.used_days + late.remaining_days == 20
    friday_due = due_date(calendar, started_on=d(2025, 2, 28), limit_days=20).value
    assert friday_due.weekday() == 4
    saturday = snapshot(
        calendar, started_on=d(2025, 2, 28), limit_days=20, today=friday_due + dt.timedelta(1)
    )
    assert (saturday.warning, saturday.remaining_days) == (WarningLevel.RED, 0)


def test_yellow_at_80_percent_of_the_limit(calendar: WorkdayCalendar) -> None:
    """With the defaults a 20-day clock turns yellow on its 16th working day (2025-03-25)."""
    snap = snapshot(calendar, started_on=d(2025, 3, 3), limit_days=20, today=d(2025, 3, 24))
    assert snap.yellow_on == d(2025, 3, 25)
    assert snap.warning == WarningLevel.NONE
    assert snap.used_days == 15
    next_day = snapshot(calendar, started_on=d(2025, 3, 3), limit_days=20, today=d(2025, 3, 25))
    assert (next_day.warning, next_day.used_days) == (WarningLevel.YELLOW, 16)


@pytest.mark.parametrize(
    ("total", "fraction", "days_before", "index"),
    [
        (20, "0.8", 1, 16),
        (3, "0.8", 1, 2),  # 80 % of 3 rounds up to 3, but 1 day before due wins
        (1, "0.8", 1, 0),  # yellow from the start
        (0, "0.8", 1, 0),
        (10, "0.7", 1, 7),  # exact decimal: 0.7 × 10 is 7, not 7.000000000000001 → 8
        (10, "1", 0, 10),  # yellow only on the due date itself
        (20, "0.5", 3, 10),
        (20, "0.95", 3, 17),
    ],
)
def test_yellow_day_index(total: int, fraction: str, days_before: int, index: int) -> None:
    """Yellow on ceil(fraction × total), never later than ``days_before`` before due."""
    policy = WarningPolicy(yellow_fraction=Decimal(fraction), yellow_min_days_before=days_before)
    assert rules.yellow_day_index(total, policy) == index


@pytest.mark.parametrize(("fraction", "days_before"), [("0", 1), ("1.1", 1), ("0.8", -1)])
def test_bad_policy_is_refused(fraction: str, days_before: int) -> None:
    """A yellow fraction outside (0, 1] or a negative day count is refused."""
    with pytest.raises(InvalidInput):
        WarningPolicy(yellow_fraction=Decimal(fraction), yellow_min_days_before=days_before)


def test_open_pause_freezes_used_days_warning_and_due_date(calendar: WorkdayCalendar) -> None:
    """Paused 2025-03-05: used stays 2, the due date stays 03-31, whatever today is."""
    pauses = [Pause(d(2025, 3, 5))]
    for today in (d(2025, 3, 5), d(2025, 3, 28), d(2025, 6, 30)):
        snap = snapshot(
            calendar, started_on=d(2025, 3, 3), limit_days=20, pauses=pauses, today=today
        )
        assert snap.state is ClockState.PAUSED
        assert snap.paused
        assert (snap.used_days, snap.remaining_days) == (2, 18)
        assert snap.due_on == d(2025, 3, 31)
        assert snap.warning == WarningLevel.NONE
        assert snap.as_of == d(2025, 3, 5)


def test_paused_while_red_stays_red(calendar: WorkdayCalendar) -> None:
    """A clock paused after its due date is frozen red."""
    snap = snapshot(
        calendar,
        started_on=d(2025, 3, 3),
        limit_days=20,
        pauses=[Pause(d(2025, 4, 2))],
        today=d(2025, 5, 1),
    )
    assert (snap.warning, snap.remaining_days) == (WarningLevel.RED, -2)


def test_stopped_clock_is_frozen_and_keeps_its_verdict(calendar: WorkdayCalendar) -> None:
    """Stopped on time → none; stopped late → red; a later today changes nothing."""
    on_time = snapshot(
        calendar,
        started_on=d(2025, 3, 3),
        limit_days=20,
        stopped_on=d(2025, 3, 31),
        today=d(2026, 1, 5),
    )
    assert (on_time.state, on_time.warning, on_time.used_days) == (
        ClockState.STOPPED,
        WarningLevel.NONE,
        20,
    )
    late = snapshot(
        calendar,
        started_on=d(2025, 3, 3),
        limit_days=20,
        stopped_on=d(2025, 4, 2),
        today=d(2026, 1, 5),
    )
    assert (late.warning, late.used_days, late.remaining_days) == (WarningLevel.RED, 22, -2)
    # Yellow does not outlive a stop (办结销号).
    yellow_stop = snapshot(
        calendar,
        started_on=d(2025, 3, 3),
        limit_days=20,
        stopped_on=d(2025, 3, 28),
        today=d(2025, 3, 28),
    )
    assert yellow_stop.warning == WarningLevel.NONE


# -- provisional ----------------------------------------------------------------------------


def test_due_date_in_an_uncovered_year_is_provisional(calendar: WorkdayCalendar) -> None:
    """Started 2026-12-20 with 20 days: the due date lands in 2027, weekends-only, provisional."""
    snap = snapshot(calendar, started_on=d(2026, 12, 20), limit_days=20, today=d(2026, 12, 21))
    assert snap.due_provisional
    assert snap.provisional
    assert snap.due_on.year == 2027
    assert snap.due_on.weekday() < 5


def test_used_days_in_an_uncovered_year_mark_only_the_snapshot(
    calendar: WorkdayCalendar,
) -> None:
    """A clock due in 2026 looked at in 2027: the stored dates are firm, the count is not."""
    snap = snapshot(calendar, started_on=d(2026, 12, 1), limit_days=5, today=d(2027, 1, 4))
    assert not snap.due_provisional
    assert snap.provisional


def test_outside_the_index_is_refused(calendar: WorkdayCalendar) -> None:
    """A start before the first covered year cannot be reckoned at all."""
    with pytest.raises(CalendarNotCovered):
        due_date(calendar, started_on=d(2003, 6, 1), limit_days=5)


# -- invalid pauses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pauses", "stopped_on", "fragment"),
    [
        ([Pause(d(2025, 3, 1), d(2025, 3, 5))], None, "before the clock started"),
        ([Pause(d(2025, 3, 10), d(2025, 3, 5))], None, "before it began"),
        ([Pause(d(2025, 3, 5)), Pause(d(2025, 3, 10))], None, "already paused"),
        (
            [Pause(d(2025, 3, 5), d(2025, 3, 12)), Pause(d(2025, 3, 10), d(2025, 3, 14))],
            None,
            "may not overlap",
        ),
        ([Pause(d(2025, 3, 5))], d(2025, 3, 20), "open pause"),
        ([Pause(d(2025, 3, 5), d(2025, 3, 12))], d(2025, 3, 10), "before its last pause"),
        ([], d(2025, 3, 1), "before it started"),
    ],
)
def test_invalid_pauses_are_refused_with_clear_messages(
    calendar: WorkdayCalendar,
    pauses: list[Pause],
    stopped_on: dt.date | None,
    fragment: str,
) -> None:
    """Resume before pause, pause before start, a second pause while paused… are refused."""
    with pytest.raises(InvalidInput) as caught:
        snapshot(
            calendar,
            started_on=d(2025, 3, 3),
            limit_days=20,
            pauses=pauses,
            stopped_on=stopped_on,
            today=d(2025, 4, 30),
        )
    assert fragment in caught.value.message


def test_negative_limit_is_refused(calendar: WorkdayCalendar) -> None:
    """A limit below 0 is refused, saying what arrived."""
    with pytest.raises(InvalidInput, match="-1"):
        due_date(calendar, started_on=d(2025, 3, 3), limit_days=-1)


# -- extensions ------------------------------------------------------------------------------


def test_extension_within_the_allowance_passes() -> None:
    """10 of 10 allowed days may be granted in two steps."""
    rules.check_extension(days=4, already_days=6, allowance_days=10)


def test_extension_alone_over_the_allowance_is_invalid_input() -> None:
    """Asking 15 days of a 10-day allowance can never succeed: 400."""
    with pytest.raises(InvalidInput, match="allowance of 10"):
        rules.check_extension(days=15, already_days=0, allowance_days=10)


def test_extension_over_what_is_left_is_a_conflict() -> None:
    """Asking 5 when 8 of 10 are used depends on the state: 409."""
    with pytest.raises(Conflict, match="2 remain"):
        rules.check_extension(days=5, already_days=8, allowance_days=10)


def test_extension_of_zero_days_is_refused() -> None:
    """An extension adds at least one day."""
    with pytest.raises(InvalidInput):
        rules.check_extension(days=0, already_days=0, allowance_days=10)


# -- transitions -----------------------------------------------------------------------------


def test_transitions_are_data() -> None:
    """Each state lists its actions and where they lead; a stopped clock allows nothing."""
    assert rules.allowed_actions(ClockState.RUNNING) == [
        ClockAction.PAUSE,
        ClockAction.EXTEND,
        ClockAction.STOP,
    ]
    assert rules.next_state("paused", "resume") is ClockState.RUNNING
    assert rules.next_state("paused", "stop") is ClockState.STOPPED
    assert rules.next_state("running", "extend") is ClockState.RUNNING
    assert rules.allowed_actions("stopped") == []
    for edges in rules.TRANSITIONS.values():
        for edge in edges.values():
            assert edge.basis  # every edge says which rule asks for it


@pytest.mark.parametrize(
    ("state", "action"),
    [("paused", "pause"), ("running", "resume"), ("stopped", "stop"), ("stopped", "extend")],
)
def test_not_allowed_now_is_a_conflict_naming_state_and_action(state: str, action: str) -> None:
    """The message says which state the clock is in and what was asked."""
    with pytest.raises(Conflict) as caught:
        rules.next_state(state, action)
    assert state in caught.value.message
    assert action in caught.value.message
    assert caught.value.details == {"state": state, "action": action}
