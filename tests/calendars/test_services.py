"""Writes of the holiday table: import of a year, corrections of single days, audit, signal.

Issue 2: "a date in 2027 is refused or marked provisional until 2027 is imported, and correct
after"; DOMAIN_RULES.md §1.
"""

import datetime as dt

import pytest

from xiaoneng.calendars import services
from xiaoneng.calendars.models import CalendarDay, CalendarDayKind, CalendarSource, CalendarYear
from xiaoneng.calendars.rules import CalendarNotCovered
from xiaoneng.calendars.selectors import (
    calendar_coverage,
    calendar_year_document,
    workday_calendar,
)
from xiaoneng.calendars.signals import calendar_changed
from xiaoneng.core.errors import Conflict, InvalidInput, NotFound
from xiaoneng.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    """Collects the calendar_changed signals sent during a test."""
    calls: list[list[int]] = []

    def listener(sender, years, **kwargs):
        calls.append(years)

    calendar_changed.connect(listener, weak=False)
    yield calls
    calendar_changed.disconnect(listener)


def test_import_2027_makes_it_covered_and_correct(
    admin_user, example_2027, received, django_capture_on_commit_callbacks
):
    """Before import 2027 is refused or provisional; after it, its holidays are skipped."""
    start = dt.date(2027, 9, 30)  # Thursday before the (illustrative) National Day holiday
    with pytest.raises(CalendarNotCovered):
        workday_calendar().add_workdays(start, 1)
    provisional = workday_calendar().add_workdays_marked(start, 1)
    assert provisional == type(provisional)(dt.date(2027, 10, 1), True)  # weekends only

    with django_capture_on_commit_callbacks(execute=True):
        summary = services.calendar_year_import(actor=admin_user, document=example_2027)

    assert summary.year == 2027 and not summary.was_covered
    assert summary.holidays == 29 and summary.adjusted_workdays == 6
    assert len(summary.added) == 35 and not summary.removed
    calendar = workday_calendar()
    assert calendar.add_workdays(start, 1) == dt.date(2027, 10, 8)  # 1-7 Oct are holidays
    assert calendar.add_workdays(start, 2) == dt.date(2027, 10, 9)  # adjusted working Saturday
    assert not calendar.add_workdays_marked(dt.date(2026, 12, 30), 3).provisional
    assert received == [[2027]]
    row = CalendarYear.objects.get(year=2027)
    assert (row.source, row.imported_by) == (CalendarSource.IMPORT, admin_user)


def test_import_writes_one_audit_event(admin_user, example_2027):
    """The import appends an audit event naming the year and the changed days."""
    services.calendar_year_import(actor=admin_user, document=example_2027)
    event = AuditEvent.objects.get(action="calendars.year_import")
    assert event.actor == admin_user
    assert event.data["year"] == 2027
    assert "2027-02-05" in event.data["added"]
    assert event.summary.startswith("2027: 29 holidays, 6 adjusted working days")


def test_reimport_replaces_the_year(
    admin_user, example_2027, received, django_capture_on_commit_callbacks
):
    """Importing a year again replaces its rows: days missing from the file are removed."""
    services.calendar_year_import(actor=admin_user, document=example_2027)
    example_2027["holidays"] = [h for h in example_2027["holidays"] if h["name"] != "端午节"]
    example_2027["holidays"][0]["name"] = "新年"
    with django_capture_on_commit_callbacks(execute=True):
        summary = services.calendar_year_import(actor=admin_user, document=example_2027)
    assert summary.was_covered
    assert summary.removed == [dt.date(2027, 6, 9)]
    assert len(summary.changed) == 3  # 1-3 January renamed
    assert not CalendarDay.objects.filter(day=dt.date(2027, 6, 9)).exists()
    assert workday_calendar().is_workday(dt.date(2027, 6, 9))
    assert CalendarYear.objects.get(year=2027).revision == 2
    assert received == [[2027]]


def test_unchanged_reimport_sends_no_signal(
    admin_user, received, django_capture_on_commit_callbacks
):
    """Re-importing identical days is recorded but recomputes nothing."""
    document = calendar_year_document(year=2024)
    with django_capture_on_commit_callbacks(execute=True):
        summary = services.calendar_year_import(actor=admin_user, document=document)
    assert summary.unchanged
    assert received == []
    assert AuditEvent.objects.filter(action="calendars.year_import").count() == 1


def test_dry_run_writes_nothing(admin_user, example_2027):
    """A dry run reports the changes and leaves the table and the audit trail alone."""
    summary = services.calendar_year_import(actor=admin_user, document=example_2027, dry_run=True)
    assert summary.dry_run and len(summary.added) == 35
    assert "[dry run: nothing written]" in summary.line()
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not AuditEvent.objects.exists()


def test_invalid_document_is_refused_with_every_error(admin_user):
    """A bad document raises InvalidInput listing each problem; nothing is written."""
    document = {
        "year": 2027,
        "holidays": [{"name": "元旦", "date": "2027-13-01"}],
        "adjusted_workdays": [{"date": "2028-01-01", "name": "元旦"}],
    }
    with pytest.raises(InvalidInput) as caught:
        services.calendar_year_import(actor=admin_user, document=document)
    assert caught.value.details["errors"] == [
        "holidays, entry 1: 'date' must be a date written like 2027-01-01, got \"2027-13-01\".",
        "adjusted_workdays, entry 1: 2028-01-01 is outside 2027; expected dates in 2027 only. "
        "Days of 2028 belong in 2028's table (export it, add them, import it again).",
    ]
    assert caught.value.message.startswith("The calendar document has 2 problem(s): ")
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_unknown_source_is_refused(admin_user, example_2027):
    """The source must be package, import or admin."""
    with pytest.raises(InvalidInput, match="got web"):
        services.calendar_year_import(actor=admin_user, document=example_2027, source="web")


def test_failing_listener_does_not_undo_the_import(
    admin_user, example_2027, django_capture_on_commit_callbacks, caplog
):
    """A listener that fails is logged; the committed import stands."""

    def broken(sender, years, **kwargs):
        raise RuntimeError("recompute failed")

    calendar_changed.connect(broken, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.calendar_year_import(actor=admin_user, document=example_2027)
    finally:
        calendar_changed.disconnect(broken)
    assert CalendarYear.objects.filter(year=2027).exists()
    assert "calendar_changed listener" in caplog.text


def test_day_set_corrects_a_day_with_audit_and_signal(
    admin_user, received, django_capture_on_commit_callbacks
):
    """A local extra holiday takes effect at once, is audited and recomputes 2026."""
    day = dt.date(2026, 3, 2)
    assert workday_calendar().is_workday(day)
    with django_capture_on_commit_callbacks(execute=True):
        row = services.calendar_day_set(
            actor=admin_user, day=day, kind=CalendarDayKind.HOLIDAY, name=" 本地假日 "
        )
    assert (row.name, row.year) == ("本地假日", 2026)
    assert not workday_calendar().is_workday(day)
    event = AuditEvent.objects.get(action="calendars.day_set")
    assert event.data == {
        "day": "2026-03-02",
        "before": None,
        "after": {"kind": "holiday", "name": "本地假日"},
    }
    assert received == [[2026]]
    assert CalendarYear.objects.get(year=2026).revision == 2


def test_day_set_changes_an_existing_day(admin_user):
    """Setting a listed day records its previous kind and name."""
    services.calendar_day_set(
        actor=admin_user, day=dt.date(2024, 2, 10), kind="holiday", name="春节（更正）"
    )
    event = AuditEvent.objects.get(action="calendars.day_set")
    assert event.data["before"] == {"kind": "holiday", "name": "春节"}


def test_day_set_refuses_a_weekday_as_adjusted_working_day(admin_user):
    """An adjusted working day on a Monday is refused with the reason."""
    with pytest.raises(InvalidInput, match="must be a Saturday or Sunday"):
        services.calendar_day_set(
            actor=admin_user, day=dt.date(2026, 3, 2), kind="workday", name="春节"
        )
    with pytest.raises(InvalidInput, match="got rest"):
        services.calendar_day_set(actor=admin_user, day=dt.date(2026, 3, 7), kind="rest", name="x")


def test_day_remove_restores_the_week(admin_user, received, django_capture_on_commit_callbacks):
    """Removing an adjusted working day makes that Sunday a rest day again, with audit."""
    day = dt.date(2024, 2, 4)  # Sunday worked for the Spring Festival
    assert workday_calendar().is_workday(day)
    with django_capture_on_commit_callbacks(execute=True):
        services.calendar_day_remove(actor=admin_user, day=day)
    assert not workday_calendar().is_workday(day)
    event = AuditEvent.objects.get(action="calendars.day_remove")
    assert event.data["before"] == {"kind": "workday", "name": "春节"}
    assert received == [[2024]]
    with pytest.raises(NotFound, match="2024-02-04 is not in the holiday table"):
        services.calendar_day_remove(actor=admin_user, day=day)


def test_year_remove_makes_the_year_provisional_again(admin_user, example_2027):
    """Removing a covered year never leaves it weekends-only in silence."""
    services.calendar_year_import(actor=admin_user, document=example_2027)
    services.calendar_year_remove(actor=admin_user, year=2027)
    assert not CalendarDay.objects.filter(year=2027).exists()
    with pytest.raises(CalendarNotCovered):
        workday_calendar().is_workday(dt.date(2027, 10, 1))
    assert AuditEvent.objects.filter(action="calendars.year_remove").count() == 1
    with pytest.raises(NotFound):
        services.calendar_year_remove(actor=admin_user, year=2027)


def test_year_create_puts_draft_days_into_effect(admin_user):
    """Days typed in for 2027 take effect when the year is added, with audit."""
    services.calendar_day_set(
        actor=admin_user, day=dt.date(2027, 10, 1), kind="holiday", name="国庆节"
    )
    assert workday_calendar().is_workday_marked(dt.date(2027, 10, 1)).value  # still a draft
    row = services.calendar_year_create(actor=admin_user, year=2027, notice="手工录入")
    assert row.source == CalendarSource.ADMIN
    assert not workday_calendar().is_workday(dt.date(2027, 10, 1))
    assert AuditEvent.objects.get(action="calendars.year_create").data["days"] == 1
    with pytest.raises(Conflict, match="2027 is already covered"):
        services.calendar_year_create(actor=admin_user, year=2027)
    with pytest.raises(InvalidInput, match="got 20277"):
        services.calendar_year_create(actor=admin_user, year=20277)


def test_year_update_changes_only_the_notice(admin_user):
    """Correcting the notice keeps the days and audits the old and new text."""
    services.calendar_year_update(actor=admin_user, year=2025, notice="国办发明电〔2024〕12号")
    assert CalendarYear.objects.get(year=2025).notice == "国办发明电〔2024〕12号"
    event = AuditEvent.objects.get(action="calendars.year_update")
    assert event.data["notice"]["to"] == "国办发明电〔2024〕12号"
    with pytest.raises(NotFound):
        services.calendar_year_update(actor=admin_user, year=2031, notice="x")


def test_package_seed_restores_a_removed_year(admin_user):
    """Seeding from the package brings back a removed year and leaves covered ones alone."""
    services.calendar_year_remove(actor=admin_user, year=2024)
    summaries = services.calendar_package_seed(actor=admin_user)
    assert [s.year for s in summaries] == [2024]
    assert calendar_coverage().description == "2004–2026"
    assert workday_calendar().add_workdays(dt.date(2024, 9, 27), 20) == dt.date(2024, 10, 30)
    with pytest.raises(InvalidInput, match="got 2027"):
        services.calendar_package_seed(actor=admin_user, years=[2027])
