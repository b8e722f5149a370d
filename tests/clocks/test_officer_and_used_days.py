"""The responsible officer of a clock, the working days it used, and the stop signal (issue 4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from xiaoneng.clocks import services
from xiaoneng.clocks.models import Clock
from xiaoneng.clocks.signals import clock_stopped
from xiaoneng.core.models import AuditEvent

from .conftest import travel_to
from .factories import UserFactory, tracked_item

pytestmark = pytest.mark.django_db

d = dt.date


MARCH_3 = dt.date(2025, 3, 3)


def _start(officer: Any = None, *, on: dt.date = MARCH_3) -> Clock:
    user = UserFactory.create()
    with travel_to(on):
        return services.clock_start(
            actor=user,
            item=tracked_item(),
            department=user.department,
            kind="application.promised",
            limit_days=20,
            started_on=on,
            officer=officer,
        )


def test_start_records_the_responsible_officer() -> None:
    """The officer given at start is stored on the clock."""
    officer = UserFactory.create()
    clock = _start(officer)
    clock.refresh_from_db()
    assert clock.officer_id == officer.pk


def test_set_officer_changes_it_and_leaves_an_audit_event() -> None:
    """Handing a clock to another officer stores them and records who was answerable before."""
    first, second = UserFactory.create(), UserFactory.create()
    clock = _start(first)
    services.clock_set_officer(actor=first, clock=clock, officer=second)
    clock.refresh_from_db()
    assert clock.officer_id == second.pk
    event = AuditEvent.objects.filter(
        action="clocks.clock_set_officer",
        target_type=ContentType.objects.get_for_model(Clock),
        target_id=str(clock.pk),
    ).get()
    assert event.data == {"from": first.pk, "to": second.pk}


def test_set_officer_to_the_same_person_writes_nothing() -> None:
    """Naming the officer who already answers for the clock appends no audit event."""
    officer = UserFactory.create()
    clock = _start(officer)
    services.clock_set_officer(actor=officer, clock=clock, officer=officer)
    assert not AuditEvent.objects.filter(action="clocks.clock_set_officer").exists()


def test_used_days_are_stored_only_when_the_clock_stops() -> None:
    """Open clocks keep used_days empty; a stop stores the counted working days, pauses left out.

    Started 2025-03-03, paused 03-05 and resumed 03-12 (5 working days not counted), stopped
    03-20: (03-03, 03-20] holds 13 working days, minus 5 → 8.
    """
    clock = _start()
    assert clock.used_days is None
    with travel_to(d(2025, 3, 5)):
        services.clock_pause(
            actor=None, clock=clock, on=d(2025, 3, 5), kind="expert_review", reason="专家评审"
        )
    with travel_to(d(2025, 3, 12)):
        services.clock_resume(actor=None, clock=clock, on=d(2025, 3, 12))
    clock.refresh_from_db()
    assert clock.used_days is None
    with travel_to(d(2025, 3, 20)):
        services.clock_stop(actor=None, clock=clock, on=d(2025, 3, 20))
    clock.refresh_from_db()
    assert clock.used_days == 8


def test_stop_sends_the_signal_with_the_stopped_row() -> None:
    """Receivers of clock_stopped get the stopped row and the stop day."""
    seen: list[tuple[int, dt.date, str]] = []

    def receiver(sender: Any, *, clock: Clock, on: dt.date, actor: Any, **kwargs: Any) -> None:
        seen.append((clock.pk, on, clock.state))

    clock = _start()
    clock_stopped.connect(receiver, dispatch_uid="test-receiver")
    try:
        with travel_to(d(2025, 3, 10)):
            services.clock_stop(actor=None, clock=clock, on=d(2025, 3, 10))
    finally:
        clock_stopped.disconnect(dispatch_uid="test-receiver")
    assert seen == [(clock.pk, d(2025, 3, 10), "stopped")]


def test_a_failing_receiver_rolls_the_stop_back() -> None:
    """The signal is sent inside the stop's transaction: a receiver's error undoes the stop."""

    def receiver(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("ledger unavailable")

    clock = _start()
    clock_stopped.connect(receiver, dispatch_uid="test-failing-receiver")
    try:
        with travel_to(d(2025, 3, 10)), pytest.raises(RuntimeError):
            services.clock_stop(actor=None, clock=clock, on=d(2025, 3, 10))
    finally:
        clock_stopped.disconnect(dispatch_uid="test-failing-receiver")
    clock.refresh_from_db()
    assert (clock.state, clock.stopped_on, clock.used_days) == ("running", None, None)
