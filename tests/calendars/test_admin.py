"""Admin screens of the holiday table: coverage shown, every change through the services.

Issue 2: "Administrators add or correct a year in the admin ... The covered range is visible
in the admin".
"""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from xiaoneng.calendars.models import CalendarDay, CalendarYear
from xiaoneng.calendars.selectors import workday_calendar
from xiaoneng.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, admin_user):
    """The admin, signed in, reading English."""
    client.force_login(admin_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_changelists_show_the_covered_range(browser):
    """Both changelists show the covered years and warn that next year is not covered."""
    for name in ("calendaryear", "calendarday"):
        page = browser.get(reverse(f"admin:calendars_{name}_changelist")).content.decode()
        assert "2004–2026 (2004-01-01 – 2026-12-31)" in page
    page = browser.get(reverse("admin:calendars_calendaryear_changelist")).content.decode()
    assert "Import a notice file" in page
    holidays_2020 = CalendarDay.objects.filter(year=2020, kind="holiday").count()
    assert f'<td class="field-holiday_count">{holidays_2020}</td>' in page


def test_adding_a_day_goes_through_the_service(browser):
    """A day added in the admin takes effect and is audited."""
    response = browser.post(
        reverse("admin:calendars_calendarday_add"),
        {"day": "2026-03-02", "kind": "holiday", "name": "本地假日"},
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get(day=dt.date(2026, 3, 2)).year == 2026
    assert not workday_calendar().is_workday(dt.date(2026, 3, 2))
    assert AuditEvent.objects.filter(action="calendars.day_set").count() == 1


def test_weekday_as_adjusted_working_day_is_a_form_error(browser):
    """The admin form shows the rule instead of saving a Monday as an adjusted working day."""
    response = browser.post(
        reverse("admin:calendars_calendarday_add"),
        {"day": "2026-03-02", "kind": "workday", "name": "春节"},
    )
    assert response.status_code == 200
    assert "must be a Saturday or Sunday" in response.content.decode()
    assert not AuditEvent.objects.exists()


def test_deleting_a_day_goes_through_the_service(browser):
    """Deleting a day in the admin is audited."""
    row = CalendarDay.objects.get(day=dt.date(2024, 2, 4))
    response = browser.post(
        reverse("admin:calendars_calendarday_delete", args=[row.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="calendars.day_remove").count() == 1


def test_adding_and_deleting_a_year_go_through_the_services(browser, admin_user):
    """A year added in the admin is covered with source admin; deleting it is audited."""
    response = browser.post(
        reverse("admin:calendars_calendaryear_add"), {"year": "2027", "notice": "手工"}
    )
    assert response.status_code == 302
    row = CalendarYear.objects.get(year=2027)
    assert (row.source, row.imported_by) == ("admin", admin_user)
    assert AuditEvent.objects.filter(action="calendars.year_create").count() == 1
    response = browser.post(
        reverse("admin:calendars_calendaryear_delete", args=[row.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert AuditEvent.objects.filter(action="calendars.year_remove").count() == 1


def test_bulk_delete_action_goes_through_the_service(browser):
    """The changelist's delete action removes each selected day through the service."""
    pks = list(CalendarDay.objects.filter(year=2026, kind="workday").values_list("pk", flat=True))
    response = browser.post(
        reverse("admin:calendars_calendarday_changelist"),
        {"action": "delete_selected", "_selected_action": pks, "post": "yes"},
    )
    assert response.status_code == 302
    assert not CalendarDay.objects.filter(year=2026, kind="workday").exists()
    assert AuditEvent.objects.filter(action="calendars.day_remove").count() == len(pks)


def test_import_page_dry_run_then_import(browser, example_2027_path):
    """The import page shows a dry run's changes, then imports the file."""
    url = reverse("admin:calendars_calendaryear_import")
    content = example_2027_path.read_bytes()
    dry = browser.post(url, {"file": SimpleUploadedFile("2027.yaml", content), "dry_run": "on"})
    assert dry.status_code == 200
    assert "2027: 29 holidays, 6 adjusted working days" in dry.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists()
    done = browser.post(url, {"file": SimpleUploadedFile("2027.yaml", content)})
    assert done.status_code == 302
    assert CalendarYear.objects.get(year=2027).source == "import"


def test_import_page_lists_every_error(browser):
    """A bad file comes back with one message per problem, each with its position."""
    url = reverse("admin:calendars_calendaryear_import")
    bad = b"year: 2027\nholidays:\n  - {name: x, date: 2027-02-30}\n  - {date: 2027-01-01}\n"
    page = browser.post(url, {"file": SimpleUploadedFile("bad.yaml", bad)}).content.decode()
    assert "holidays, entry 1: &#x27;date&#x27; must be a date" in page
    assert "holidays, entry 2: &#x27;name&#x27; is missing" in page
    assert not CalendarYear.objects.filter(year=2027).exists()
