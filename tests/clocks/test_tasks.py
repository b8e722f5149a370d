"""Provisional due dates are recomputed when their year is imported (issue 2 §2, §3)."""

from __future__ import annotations

import datetime as dt

import pytest

from xiaoneng.calendars.signals import calendar_changed
from xiaoneng.clocks import selectors, tasks
from xiaoneng.clocks.models import Clock
from xiaoneng.core.models import AuditEvent

from .conftest import travel_to
from .factories import start_test_clock

pytestmark = pytest.mark.django_db

d = dt.date

# A 2027 notice for the test: New Year's Day on Friday 1 January makes the weekends-only
# due date of a clock started 2026-12-20 one working day too early.
NOTICE_2027 = {
    "year": 2027,
    "notice": "测试用 2027 年节假日安排",
    "holidays": [
        {"name": "元旦", "date": "2027-01-01"},
        {"name": "春节", "from": "2027-02-06", "to": "2027-02-12"},
    ],
    "adjusted_workdays": [{"name": "春节", "date": "2027-02-20"}],
}


def test_clock_into_an_uncovered_year_is_recomputed_after_the_import(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    """Started 2026-12-20 with 20 days: provisional 2027-01-18, then 01-19 once 2027 is in."""
    from xiaoneng.calendars.services import calendar_year_import

    with travel_to(d(2026, 12, 21)):
        clock = start_test_clock(started_on=d(2026, 12, 20), limit_days=20)
        assert clock.due_provisional
        assert clock.due_on == d(2027, 1, 18)  # weekends only
        assert list(selectors.clocks_provisional()) == [clock]

        with django_capture_on_commit_callbacks(execute=True):
            calendar_year_import(actor=None, document=NOTICE_2027)

    clock.refresh_from_db()
    assert not clock.due_provisional
    assert clock.due_on == d(2027, 1, 19)
    assert list(selectors.clocks_provisional()) == []
    event = AuditEvent.objects.get(action="clocks.clock_recompute", target_id=str(clock.pk))
    assert event.data["before"]["due_on"] == "2027-01-18"
    assert event.data["after"]["due_on"] == "2027-01-19"


def test_calendar_changed_queues_the_recompute(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receiver connected in ready() queues the task with the changed years."""
    queued: list[dict[str, object]] = []

    class FakeTask:
        def enqueue(self, **kwargs: object) -> None:
            queued.append(kwargs)

    monkeypatch.setattr(tasks, "recompute_clocks_for_years", FakeTask())
    calendar_changed.send(sender=Clock, years=[2027, 2026, 2027])
    calendar_changed.send(sender=Clock, years=[])
    assert queued == [{"years": [2026, 2027]}]


def test_the_task_returns_how_many_clocks_changed() -> None:
    """Run inline in tests: nothing depends on 2030, one clock depends on 2025 but is fresh."""
    with travel_to(d(2025, 3, 20)):
        start_test_clock(started_on=d(2025, 3, 3))
        result = tasks.recompute_clocks_for_years.enqueue(years=[2030])
        assert result.return_value == 0
        result = tasks.recompute_clocks_for_years.enqueue(years=[2025])
        assert result.return_value == 0
