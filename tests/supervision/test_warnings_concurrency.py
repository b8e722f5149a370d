"""Two scans at once record each change once; two fan-outs at once tell each person once.

The races run for real on PostgreSQL (threads, one connection each); SQLite serialises its
writers, so there the same runs one after the other are checked.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from tests.applications.factories import UserFactory
from tests.clocks.conftest import travel_to
from tests.clocks.factories import DepartmentFactory, start_test_clock
from xiaoneng.accounts.models import Role
from xiaoneng.notifications.models import Message
from xiaoneng.supervision.models import WarningRecord
from xiaoneng.supervision.services.warnings import warnings_notify_pending, warnings_scan

d = dt.date
CLOCKS = 40


def _seed_calendar() -> None:
    """Transactional tests flush the holiday table that migrations seeded; put it back."""
    from xiaoneng.calendars.models import CalendarYear
    from xiaoneng.calendars.services import calendar_package_seed

    if not CalendarYear.objects.exists():
        calendar_package_seed(actor=None)


def _clocks() -> tuple[Any, list[Any]]:
    """A department with a head, and CLOCKS clocks started 2025-03-03 (red from 04-01)."""
    department = DepartmentFactory()
    head = UserFactory(role=Role.HEAD, department=department)
    with travel_to(d(2025, 3, 3)):
        started = [
            start_test_clock(started_on=d(2025, 3, 3), department=department) for _ in range(CLOCKS)
        ]
    return head, started


def _race(work: Callable[[], Any], runners: int = 2) -> list[Any]:
    """Run ``work`` in ``runners`` threads released together; their results or exceptions."""
    barrier = threading.Barrier(runners)
    results: list[Any] = []

    def run() -> None:
        try:
            barrier.wait()
            with travel_to(d(2025, 4, 1)):
                results.append(work())
        except Exception as exc:  # reported by the caller's assertions
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db
def test_scans_one_after_the_other_record_each_change_once():
    """The second scan of the day finds nothing left to record."""
    _clocks()
    with travel_to(d(2025, 4, 1)):
        first, second = warnings_scan(), warnings_scan()
    assert (first.red, second.opened, second.moved) == (CLOCKS, 0, 0)
    assert WarningRecord.objects.count() == CLOCKS


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_record_each_change_once():
    """Both start together: every clock turns red once, with exactly one open record."""
    _seed_calendar()
    _head, started = _clocks()
    results = _race(warnings_scan)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.moved for r in results) == CLOCKS
    assert sum(r.opened for r in results) == CLOCKS
    assert WarningRecord.objects.count() == CLOCKS
    assert set(WarningRecord.objects.values_list("clock_id", flat=True)) == {c.pk for c in started}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_fan_outs_at_once_tell_each_person_once(settings):
    """The records are locked with SKIP LOCKED: each is announced by one worker only."""
    # Tasks are queued and not run, so the scan's own after-commit fan-out waits for the race.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    _seed_calendar()
    head, _started = _clocks()
    office = UserFactory(role=Role.OFFICE)
    with travel_to(d(2025, 4, 1)):
        warnings_scan()
    assert WarningRecord.objects.filter(notified_at__isnull=True).count() == CLOCKS
    results = _race(warnings_notify_pending)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == CLOCKS
    for person in (head, office):
        assert Message.objects.filter(recipient=person, channel="in_site").count() == CLOCKS
    assert not WarningRecord.objects.filter(notified_at__isnull=True).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_scan_does_not_wait_for_a_clock_a_service_holds():
    """A clock locked by a web request is skipped (SKIP LOCKED), the others move; the next
    scan moves the skipped one."""
    from django.db import connections, transaction

    from xiaoneng.clocks.models import Clock

    _seed_calendar()
    _head, started = _clocks()
    held = started[0]
    locked = threading.Event()
    release = threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Clock.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connections["default"].close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(timeout=30)
    try:
        with travel_to(d(2025, 4, 1)):
            first = warnings_scan()
    finally:
        release.set()
        holder.join(timeout=30)
    assert first.moved == CLOCKS - 1
    assert held.pk not in {c.clock_id for c in first.changes}
    with travel_to(d(2025, 4, 1)):
        second = warnings_scan()
    assert [c.clock_id for c in second.changes] == [held.pk]
