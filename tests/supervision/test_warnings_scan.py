"""The warning scan end to end (issue 4, part 1): an accepted application turns yellow, then
red, its officer, head and the efficiency office are told exactly once, and concluding it
closes its warnings (办结销号). Real services throughout; days pass with time-machine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from tests.applications.factories import (
    DepartmentFactory,
    UserFactory,
    people,
    promised_matter,
    submit,
)
from tests.clocks.conftest import travel_to
from tests.clocks.factories import start_test_clock
from xiaoneng.accounts.models import Role
from xiaoneng.applications import services as applications
from xiaoneng.applications.models import Application
from xiaoneng.clocks import services as clocks
from xiaoneng.clocks.models import Clock
from xiaoneng.core.errors import InvalidInput
from xiaoneng.core.models import AuditEvent
from xiaoneng.notifications.models import Message
from xiaoneng.supervision.models import WarningRecord
from xiaoneng.supervision.services.warnings import (
    ScanResult,
    warnings_notify_pending,
    warnings_scan,
)

pytestmark = pytest.mark.django_db

d = dt.date

ACCEPTED = d(2025, 3, 3)  # Monday; 20 working days → due 2025-03-31
BEFORE_YELLOW = d(2025, 3, 24)
YELLOW_DAY = d(2025, 3, 25)  # day 16 of 20 (80 %)
DUE = d(2025, 3, 31)
RED_DAY = d(2025, 4, 1)


@pytest.fixture(autouse=True)
def _english(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Messages and notices in English, so assertions on wording do not depend on compiled
    catalogues (notices are written in LANGUAGE_CODE, whoever runs the scan)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


class City:
    """One department with its staff, an efficiency-office user, and an accepted application."""

    def __init__(self) -> None:
        self.department = DepartmentFactory()
        self.citizen, self.window, self.reviewer, self.head = people(self.department)
        self.office = UserFactory(role=Role.OFFICE)
        with travel_to(ACCEPTED):
            self.application = submit(self.citizen, promised_matter(self.department))
            applications.application_accept(actor=self.window, application=self.application)
            # The window officer takes it (首问负责): they answer for its clocks from now on.
            applications.application_take_responsibility(
                actor=self.window, application=self.application
            )
        self.application.refresh_from_db()

    def clocks(self) -> list[Clock]:
        return list(Clock.objects.filter(object_id=str(self.application.pk)).order_by("kind"))


@pytest.fixture
def city() -> City:
    return City()


def scan(day: dt.date, capture: Any) -> ScanResult:
    """Scan as of ``day`` with the after-commit notice task run, as the worker would."""
    with travel_to(day), capture(execute=True):
        return warnings_scan()


def notices(user: Any, subject_starts: str = "") -> list[Message]:
    """The in-site messages a user got (one per notice; SMS and email copies aside)."""
    found = Message.objects.filter(recipient=user, channel="in_site").order_by("pk")
    return [m for m in found if m.subject.startswith(subject_starts)]


def test_a_case_past_its_due_date_turns_red_and_its_people_are_told_exactly_once(
    city, django_capture_on_commit_callbacks
):
    """Done-when of issue 4: yellow tells officer and head once; red tells officer, head and
    the office once; scanning again changes and tells nothing."""
    application = city.application
    assert {c.officer_id for c in city.clocks()} == {city.window.pk}

    quiet = scan(BEFORE_YELLOW, django_capture_on_commit_callbacks)
    assert (quiet.opened, quiet.moved) == (0, 0)

    yellow = scan(YELLOW_DAY, django_capture_on_commit_callbacks)
    assert (yellow.yellow, yellow.red, yellow.moved) == (2, 0, 2)  # legal and promised clocks
    assert {c.after for c in yellow.changes} == {"yellow"}
    assert {c.warning for c in city.clocks()} == {"yellow"}
    # One notice per person for the application, though both of its clocks turned yellow.
    for person in (city.window, city.head):
        (notice,) = notices(person)
        assert notice.subject.startswith("Warning (yellow)")
        assert application.number in notice.subject
        assert notice.object_id == str(application.pk)
        assert f"/applications/{application.pk}/" in notice.body
        assert "2025-03-31" in notice.body
        assert city.department.name in notice.body
    assert notices(city.office) == []
    assert notices(city.reviewer) == []

    again = scan(YELLOW_DAY, django_capture_on_commit_callbacks)
    assert (again.opened, again.moved, again.closed) == (0, 0, {})
    assert len(notices(city.window)) == 1

    scan(DUE, django_capture_on_commit_callbacks)  # the due date itself is still on time
    red = scan(RED_DAY, django_capture_on_commit_callbacks)
    assert (red.yellow, red.red, red.moved) == (0, 2, 2)
    assert red.closed == {"escalated": 2}
    assert {(c.before, c.after) for c in red.changes} == {("yellow", "red")}
    for person in (city.window, city.head, city.office):
        (notice,) = notices(person, "Overdue (red)")
        assert notice.object_id == str(application.pk)

    last = scan(RED_DAY, django_capture_on_commit_callbacks)
    assert (last.opened, last.moved, last.closed) == (0, 0, {})
    assert warnings_notify_pending() == 0
    assert [len(notices(p)) for p in (city.window, city.head, city.office)] == [2, 2, 1]
    assert WarningRecord.objects.filter(notified_at__isnull=True).count() == 0
    assert AuditEvent.objects.filter(action="supervision.warnings_scan").count() == 2
    assert AuditEvent.objects.filter(action="supervision.warnings_notify").count() == 2


def test_concluding_the_case_closes_its_warnings(city, django_capture_on_commit_callbacks):
    """办结销号: the stop closes the open records on the stop day, with the reason stopped."""
    scan(RED_DAY, django_capture_on_commit_callbacks)
    assert WarningRecord.objects.filter(closed_on__isnull=True).count() == 2
    with travel_to(d(2025, 4, 2)):
        applications.application_approve(actor=city.reviewer, application=city.application)
        applications.application_conclude(
            actor=city.reviewer, application=Application.objects.get(pk=city.application.pk)
        )
    records = list(WarningRecord.objects.all())
    assert {(r.level, r.closed_on, r.closed_reason) for r in records} == {
        ("red", d(2025, 4, 2), "stopped")
    }
    assert AuditEvent.objects.filter(action="supervision.warnings_close").count() == 2
    # A stopped clock is not scanned: nothing reopens, nothing is announced.
    after = scan(d(2025, 4, 3), django_capture_on_commit_callbacks)
    assert (after.opened, after.closed) == (0, {})


def test_a_red_case_skipping_yellow_is_recorded_once_from_none(
    city, django_capture_on_commit_callbacks
):
    """No scan ran on the yellow days: the first one after the due date records none → red."""
    result = scan(RED_DAY, django_capture_on_commit_callbacks)
    assert {(c.before, c.after) for c in result.changes} == {("none", "red")}
    assert len(notices(city.office)) == 1
    assert len(notices(city.window)) == 1


def test_an_extension_lifts_the_yellow_warning_at_the_next_scan(
    city, django_capture_on_commit_callbacks
):
    """The head extends a yellow case: the clocks go back to none, the scan closes the
    records as lifted and tells nobody anything new."""
    scan(YELLOW_DAY, django_capture_on_commit_callbacks)
    with travel_to(YELLOW_DAY):
        applications.application_extend(
            actor=city.head, application=city.application, days=10, reason="专家论证"
        )
    assert {c.warning for c in city.clocks()} == {"none"}
    result = scan(YELLOW_DAY, django_capture_on_commit_callbacks)
    assert (result.opened, result.closed) == (0, {"lifted": 2})
    assert set(WarningRecord.objects.values_list("closed_reason", "closed_on")) == {
        ("lifted", YELLOW_DAY)
    }
    assert len(notices(city.window)) == 1


def test_records_closed_before_the_fan_out_are_not_announced(
    city, django_capture_on_commit_callbacks
):
    """A warning lifted before its notice went out is no longer news: nobody is told."""
    with travel_to(YELLOW_DAY):
        warnings_scan()  # on_commit not run: the notices are still pending
        applications.application_extend(
            actor=city.head, application=city.application, days=10, reason="专家论证"
        )
    result = scan(YELLOW_DAY, django_capture_on_commit_callbacks)
    assert result.closed == {"lifted": 2}
    assert notices(city.window) == notices(city.head) == []
    assert WarningRecord.objects.filter(notified_at__isnull=False).count() == 0


def test_a_lost_notice_task_is_queued_again_by_the_next_scan(
    city, django_capture_on_commit_callbacks
):
    """The fan-out is queued by every scan while anything is pending, so a lost task heals."""
    with travel_to(YELLOW_DAY):
        warnings_scan()  # its after-commit task never ran
    assert notices(city.window) == []
    result = scan(YELLOW_DAY, django_capture_on_commit_callbacks)
    assert result.opened == 0
    assert len(notices(city.window)) == 1
    assert len(notices(city.head)) == 1


def test_paused_clocks_are_frozen_and_stopped_ones_left_alone(
    django_capture_on_commit_callbacks,
):
    """A clock paused before its yellow day stays none; a stopped one is never scanned."""
    with travel_to(d(2025, 3, 20)):
        paused = start_test_clock(started_on=ACCEPTED)
        clocks.clock_pause(
            actor=None, clock=paused, on=d(2025, 3, 20), kind="testing", reason="检测"
        )
        stopped = start_test_clock(started_on=ACCEPTED)
        clocks.clock_stop(actor=None, clock=stopped, on=d(2025, 3, 20))
    result = scan(RED_DAY, django_capture_on_commit_callbacks)
    assert (result.opened, result.moved) == (0, 0)


def test_a_clock_already_red_when_started_is_recorded_by_the_next_scan(
    django_capture_on_commit_callbacks,
):
    """A clock recorded late (started long ago) is red from its start; the scan did not move
    it, yet the ledger still gets its record, once."""
    department = DepartmentFactory()
    head = UserFactory(role=Role.HEAD, department=department)
    with travel_to(RED_DAY):
        clock = start_test_clock(started_on=d(2025, 2, 3), department=department)
    assert clock.warning == "red"
    result = scan(RED_DAY, django_capture_on_commit_callbacks)
    assert (result.moved, result.red) == (0, 1)
    assert result.changes[0].clock_id == clock.pk
    assert len(notices(head)) == 1
    # The notice is about the clock's item (here a department, the clock tests' stand-in).
    assert notices(head)[0].object_id == str(clock.object_id)
    assert scan(RED_DAY, django_capture_on_commit_callbacks).opened == 0


def test_a_future_day_is_refused():
    """The scan records what has happened: a day after today is refused with both dates."""
    with travel_to(YELLOW_DAY), pytest.raises(InvalidInput, match="2025-03-26"):
        warnings_scan(today=d(2025, 3, 26))


def test_a_past_day_catches_up():
    """Scanning as of a past day records the change on that day."""
    with travel_to(d(2025, 3, 20)):
        clock = start_test_clock(started_on=ACCEPTED)
    with travel_to(RED_DAY):
        result = warnings_scan(today=YELLOW_DAY)
    assert result.yellow == 1
    record = WarningRecord.objects.get()
    assert (record.clock_id, record.changed_on, record.level) == (clock.pk, YELLOW_DAY, "yellow")
    assert record.department_id == clock.department_id
    assert record.kind == clock.kind


def test_a_policy_change_that_lowers_the_warning_lifts_the_record(
    django_capture_on_commit_callbacks,
):
    """A later yellow day (policy 0.95) recomputes the clock back to none: the next scan
    closes its yellow record as lifted; when the new yellow day comes, a new record opens."""
    with travel_to(d(2025, 3, 3)):
        clock = start_test_clock(started_on=ACCEPTED, kind="hotline.ticket")
    scan(YELLOW_DAY, django_capture_on_commit_callbacks)
    with travel_to(YELLOW_DAY), django_capture_on_commit_callbacks(execute=True):
        clocks.clock_policy_set(
            actor=None, kind="hotline.ticket", yellow_fraction="0.95", yellow_min_days_before=1
        )
    clock.refresh_from_db()
    assert clock.warning == "none"
    lifted = scan(YELLOW_DAY, django_capture_on_commit_callbacks)
    assert (lifted.opened, lifted.closed) == (0, {"lifted": 1})
    again = scan(DUE - dt.timedelta(days=1), django_capture_on_commit_callbacks)  # day 19 of 20
    assert [(c.before, c.after) for c in again.changes] == [("none", "yellow")]
    assert WarningRecord.objects.filter(closed_on__isnull=True).count() == 1


def test_a_stop_without_warnings_leaves_no_ledger_trace():
    """办结 on time, never warned: nothing to close, no audit event of the ledger."""
    with travel_to(d(2025, 3, 10)):
        clock = start_test_clock(started_on=ACCEPTED)
        clocks.clock_stop(actor=None, clock=clock, on=d(2025, 3, 10))
    assert not AuditEvent.objects.filter(action="supervision.warnings_close").exists()


def test_the_scan_result_reads_as_one_line():
    """What the scheduler logs for the job."""
    result = ScanResult(
        today=RED_DAY, moved=3, yellow=1, red=2, closed={"escalated": 2, "lifted": 1}
    )
    assert str(result) == (
        "2025-04-01: 3 warnings opened (1 yellow, 2 red), 3 closed (escalated 2, lifted 1), "
        "3 clocks moved"
    )
