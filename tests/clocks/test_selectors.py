"""Reads of clocks: an item's clocks, late / warned lists, and the API-ready figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from xiaoneng.clocks import rules, selectors, services
from xiaoneng.clocks.models import Clock

from .conftest import PURE_CALENDAR, travel_to
from .factories import DepartmentFactory, start_test_clock, tracked_item

pytestmark = pytest.mark.django_db

d = dt.date


def test_clocks_of_an_item_open_first() -> None:
    """An item's clocks: the open one of a kind before the stopped one."""
    item = tracked_item()
    department = DepartmentFactory.create()
    with travel_to(d(2025, 3, 20)):
        old = start_test_clock(started_on=d(2025, 3, 3), item=item, department=department)
        services.clock_stop(actor=None, clock=old, on=d(2025, 3, 5))
        new = start_test_clock(started_on=d(2025, 3, 6), item=item, department=department)
        start_test_clock(started_on=d(2025, 3, 6))  # another item's clock
    assert list(selectors.clocks_of_item(item=item)) == [new, old]
    assert selectors.clock_of_item(item=item, kind="test.item") == new
    assert selectors.clock_of_item(item=item, kind="application.legal") is None


def test_late_and_warned_by_department() -> None:
    """Red: running past due or paused while red; yellow: at the yellow day; per department."""
    dept_a, dept_b = DepartmentFactory.create(), DepartmentFactory.create()
    with travel_to(d(2025, 4, 2)):
        late = start_test_clock(started_on=d(2025, 3, 3), department=dept_a)  # due 03-31
        paused_late = start_test_clock(started_on=d(2025, 3, 3), department=dept_b)
        services.clock_pause(
            actor=None, clock=paused_late, on=d(2025, 4, 2), kind="testing", reason="x"
        )
        warned = start_test_clock(started_on=d(2025, 3, 10), department=dept_a)  # yellow 04-01
        fresh = start_test_clock(started_on=d(2025, 4, 1), department=dept_a)
        done = start_test_clock(started_on=d(2025, 3, 3), department=dept_a)
        services.clock_stop(actor=None, clock=done, on=d(2025, 4, 2))
    today = d(2025, 4, 2)
    assert set(selectors.clocks_late(today=today)) == {late, paused_late}
    assert list(selectors.clocks_late(today=today, department=dept_a)) == [late]
    assert list(selectors.clocks_warned(today=today)) == [warned]
    assert fresh not in selectors.clocks_warned(today=today)
    # The stored warning of `late` may be stale (no scan ran): the list uses the dates.
    Clock.objects.filter(pk=late.pk).update(warning="none")
    assert late in selectors.clocks_late(today=today)
    assert selectors.clock_warning_counts(today=today) == {
        dept_a.pk: {"yellow": 1, "red": 1},
        dept_b.pk: {"yellow": 0, "red": 1},
    }


def test_due_date_itself_is_not_late() -> None:
    """A clock due today is warned, not late."""
    with travel_to(d(2025, 3, 31)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
    assert clock not in selectors.clocks_late(today=d(2025, 3, 31))
    assert clock in selectors.clocks_warned(today=d(2025, 3, 31))
    assert clock in selectors.clocks_late(today=d(2025, 4, 1))


def test_provisional_clocks() -> None:
    """Clocks due in a year not in the calendar are listed as provisional."""
    with travel_to(d(2026, 12, 21)):
        provisional = start_test_clock(started_on=d(2026, 12, 21))
        firm = start_test_clock(started_on=d(2026, 11, 2))
    assert list(selectors.clocks_provisional()) == [provisional]
    assert firm not in selectors.clocks_provisional()


def test_clock_as_dict_for_a_running_clock() -> None:
    """The API figures: dates as ISO text, used and remaining for today, the warning colour."""
    with travel_to(d(2025, 3, 20)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
        services.clock_pause(
            actor=None, clock=clock, on=d(2025, 3, 5), kind="expert_review", reason="x"
        )
        services.clock_resume(actor=None, clock=clock, on=d(2025, 3, 12))
    with travel_to(d(2025, 4, 1)):
        data = selectors.clock_as_dict(Clock.objects.get(pk=clock.pk))
    assert data == {
        "id": clock.pk,
        "kind": "test.item",
        "label": "",
        "department": clock.department_id,
        "state": "running",
        "paused": False,
        "limit_days": 20,
        "extension_days": 0,
        "extension_allowance_days": 10,
        "started_on": "2025-03-03",
        "stopped_on": None,
        "due_on": "2025-04-08",
        "yellow_on": "2025-04-01",
        "used_days": 16,
        "remaining_days": 4,
        "warning": "yellow",
        "provisional": False,
    }


def test_clock_as_dict_when_overdue_paused_and_stopped() -> None:
    """Overdue: remaining negative and red; paused: frozen; stopped: the verdict."""
    with travel_to(d(2025, 4, 3)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
        data = selectors.clock_as_dict(clock)
        assert (data["warning"], data["used_days"], data["remaining_days"]) == ("red", 23, -3)
        services.clock_pause(actor=None, clock=clock, on=d(2025, 4, 3), kind="other", reason="x")
    with travel_to(d(2025, 5, 30)):
        data = selectors.clock_as_dict(clock)
        assert (data["paused"], data["warning"], data["remaining_days"]) == (True, "red", -3)
        services.clock_stop(actor=None, clock=clock, on=d(2025, 5, 30))
        data = selectors.clock_as_dict(clock)
    assert (data["state"], data["stopped_on"], data["warning"], data["used_days"]) == (
        "stopped",
        "2025-05-30",
        "red",
        23,
    )


def test_clock_as_dict_agrees_with_the_rules() -> None:
    """The selector's live figures equal a snapshot of the same rows for the same day."""
    with travel_to(d(2025, 6, 30)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
        services.clock_pause(actor=None, clock=clock, on=d(2025, 3, 5), kind="hearing", reason="x")
        services.clock_resume(actor=None, clock=clock, on=d(2025, 3, 12))
        services.clock_extend(actor=None, clock=clock, days=5, reason="x", on=d(2025, 3, 20))
    for today in (d(2025, 3, 20), d(2025, 4, 14), d(2025, 4, 15), d(2025, 5, 6)):
        snap = rules.snapshot(
            PURE_CALENDAR,
            started_on=d(2025, 3, 3),
            limit_days=20,
            extension_days=5,
            pauses=[rules.Pause(d(2025, 3, 5), d(2025, 3, 12))],
            today=today,
        )
        data = selectors.clock_as_dict(clock, today=today)
        assert (data["due_on"], data["yellow_on"]) == (
            snap.due_on.isoformat(),
            snap.yellow_on.isoformat(),
        )
        assert (data["used_days"], data["remaining_days"], data["warning"]) == (
            snap.used_days,
            snap.remaining_days,
            snap.warning.value,
        )


def test_many_clocks_as_dicts_in_constant_queries(django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    """A list of clocks costs a fixed number of queries, whatever its length."""
    with travel_to(d(2025, 3, 20)):
        for _ in range(6):
            clock = start_test_clock(started_on=d(2025, 3, 3))
            services.clock_pause(
                actor=None, clock=clock, on=d(2025, 3, 5), kind="hearing", reason="x"
            )
    from xiaoneng.calendars.selectors import workday_calendar

    workday_calendar()  # warm the calendar cache, as a running server would have it
    with django_assert_max_num_queries(3):
        data = selectors.clocks_as_dicts(Clock.objects.all(), today=d(2025, 3, 20))
    assert len(data) == 6
    assert all(row["paused"] for row in data)


def _plan(sql: str, params: list[Any]) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE clocks_clock")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("ANALYZE")
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row) for row in cursor.fetchall())


def _many_clocks() -> list[Any]:
    """A few thousand clocks shaped like a real table: most stopped, few late or provisional."""
    departments = [DepartmentFactory.create() for _ in range(8)]
    content_type = ContentType.objects.get_for_model(departments[0])
    rows = []
    for i in range(4000):
        started = d(2024, 1, 1) + dt.timedelta(days=i % 500)
        due = started + dt.timedelta(days=28)
        state, stopped = ("stopped", due) if i % 10 < 7 else ("running", None)
        if state == "running":
            # Open clocks mostly due after "today" (2025-04-02); a few late.
            started = d(2025, 3, 20) + dt.timedelta(days=i % 300)
            due = started + dt.timedelta(days=28)
        rows.append(
            Clock(
                content_type=content_type,
                object_id=str(i),
                department=departments[i % 8],
                kind="bench.item",
                limit_days=20,
                started_on=started,
                stopped_on=stopped,
                state=state,
                due_on=due,
                yellow_on=due - dt.timedelta(days=5),
                due_provisional=i % 997 == 0,
            )
        )
    Clock.objects.bulk_create(rows, batch_size=1000)
    return departments


def test_late_and_warned_queries_use_the_indexes() -> None:
    """The warning scan, a department's late list and the provisional list are index scans
    on the stored dates once the table has the usual shape (ANALYZE'd, few late clocks)."""
    departments = _many_clocks()
    today = d(2025, 4, 2)
    for queryset, indexes in (
        (
            selectors.clocks_turning_red(today=today),
            ("clock_state_due", "clock_running_yellow", "clock_running_none"),
        ),
        (
            selectors.clocks_turning_yellow(today=today),
            ("clock_state_yellow", "clock_state_due", "clock_running_none"),
        ),
        # The scan's own two steps: on the partial indexes of the clocks not warned yet (here,
        # where every running clock is still at none, the planner may take the full one).
        (
            selectors.clocks_turning_red_from_yellow(today=today),
            ("clock_running_yellow", "clock_open_warned", "clock_state_due"),
        ),
        (
            selectors.clocks_turning_yellow_or_red(today=today),
            ("clock_running_none", "clock_state_yellow"),
        ),
        (
            selectors.clocks_late(today=today, department=departments[0]),
            ("clock_dept_state_due", "clock_warning_dept"),
        ),
        (selectors.clocks_provisional(), ("clock_provisional",)),
    ):
        sql, params = queryset.query.sql_with_params()
        plan = _plan(sql, list(params))
        assert any(index in plan for index in indexes), plan
        assert "Seq Scan on clocks_clock" not in plan
        assert "SCAN clocks_clock" not in plan.replace("SCAN clocks_clock USING", "")
