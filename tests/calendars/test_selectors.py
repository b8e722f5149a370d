"""The seeded holiday table, the cached working-day calendar built from it, and coverage.

DOMAIN_RULES.md §1; issue 2: "The calendar agrees with chinese-calendar on every day of
2004–2026".
"""

import datetime as dt

import chinese_calendar
import pytest

from xiaoneng.calendars import selectors, services
from xiaoneng.calendars.models import CalendarDay, CalendarDayKind, CalendarSource, CalendarYear
from xiaoneng.calendars.package_data import package_data
from xiaoneng.calendars.rules import CalendarNotCovered
from xiaoneng.calendars.selectors import calendar_coverage, workday_calendar

pytestmark = pytest.mark.django_db


def test_migration_seeds_every_package_year():
    """The data migration covers 2004–2026 from the package, with the package's version."""
    years = CalendarYear.objects.order_by("year")
    assert [y.year for y in years] == list(range(2004, 2027))
    assert {y.source for y in years} == {CalendarSource.PACKAGE}
    assert years.first().notice.startswith("chinese-calendar ")
    assert CalendarDay.objects.filter(kind=CalendarDayKind.HOLIDAY).count() == len(
        chinese_calendar.holidays
    )
    assert CalendarDay.objects.filter(kind=CalendarDayKind.WORKDAY).count() == len(
        chinese_calendar.workdays
    )


def test_seeded_days_carry_chinese_names():
    """Days are named as the notices name them, the 2020 extension included."""
    names = dict(CalendarDay.objects.values_list("day", "name"))
    assert names[dt.date(2024, 2, 10)] == "春节"
    assert names[dt.date(2024, 4, 4)] == "清明节"
    assert names[dt.date(2024, 6, 10)] == "端午节"
    assert names[dt.date(2024, 9, 17)] == "中秋节"
    assert names[dt.date(2024, 10, 1)] == "国庆节"
    assert names[dt.date(2024, 5, 1)] == "劳动节"
    assert names[dt.date(2024, 1, 1)] == "元旦"
    assert names[dt.date(2024, 2, 4)] == "春节"  # an adjusted working day (Sunday)
    assert names[dt.date(2020, 1, 30)] == "春节"
    for day in (dt.date(2020, 1, 31), dt.date(2020, 2, 1), dt.date(2020, 2, 2)):
        assert names[day] == "抗击新冠肺炎疫情延长春节假期"
    assert names[dt.date(2015, 9, 3)].startswith("中国人民抗日战争")


def test_table_agrees_with_chinese_calendar_on_every_day():
    """workday_calendar() built from the seeded table matches is_workday on 2004–2026."""
    calendar = workday_calendar()
    day, last = dt.date(2004, 1, 1), dt.date(2026, 12, 31)
    mismatches = []
    while day <= last:
        if calendar.is_workday(day) != chinese_calendar.is_workday(day):
            mismatches.append(day)
        day += dt.timedelta(days=1)
    assert mismatches == []


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (dt.date(2024, 9, 27), 20, dt.date(2024, 10, 30)),
        (dt.date(2020, 1, 20), 20, dt.date(2020, 2, 25)),
        (dt.date(2019, 4, 28), 3, dt.date(2019, 5, 5)),
    ],
)
def test_domain_rules_examples_from_the_table(start, n, expected):
    """The DOMAIN_RULES.md §1 examples hold through the database-built calendar."""
    assert workday_calendar().add_workdays(start, n) == expected


def test_calendar_is_cached_with_one_query_per_call(django_assert_num_queries):
    """A second call reuses the built calendar after one fingerprint query."""
    first = workday_calendar()
    with django_assert_num_queries(1):
        assert workday_calendar() is first


def test_change_made_elsewhere_is_seen_on_the_next_call():
    """A row changed behind the services' back (another process, SQL) rebuilds the calendar."""
    before = workday_calendar()
    assert before.is_workday(dt.date(2026, 3, 2))
    CalendarDay.objects.create(
        day=dt.date(2026, 3, 2), kind=CalendarDayKind.HOLIDAY, name="本地假日", year=2026
    )
    after = workday_calendar()
    assert after is not before
    assert not after.is_workday(dt.date(2026, 3, 2))


def test_new_year_row_is_seen_on_the_next_call():
    """Adding a covered year by hand turns its provisional answers into firm ones."""
    assert workday_calendar().is_workday_marked(dt.date(2027, 3, 1)).provisional
    CalendarYear.objects.create(year=2027, source=CalendarSource.ADMIN)
    assert not workday_calendar().is_workday_marked(dt.date(2027, 3, 1)).provisional


def test_days_of_an_uncovered_year_are_drafts():
    """Days entered for 2027 before the year is covered do not change the arithmetic."""
    CalendarDay.objects.create(
        day=dt.date(2027, 3, 1), kind=CalendarDayKind.HOLIDAY, name="草稿", year=2027
    )
    marked = workday_calendar().is_workday_marked(dt.date(2027, 3, 1))
    assert marked.value and marked.provisional
    assert calendar_coverage().draft_years == [2027]


def test_coverage_reports_range_gaps_and_next_year():
    """Coverage gives the first and last covered days, gaps and whether next year is known."""
    coverage = calendar_coverage(today=dt.date(2026, 11, 26))
    assert coverage.covered_from == dt.date(2004, 1, 1)
    assert coverage.covered_to == dt.date(2026, 12, 31)
    assert coverage.description == "2004–2026"
    assert coverage.gaps == []
    assert not coverage.next_year_covered
    assert coverage.latest.year == 2026
    CalendarYear.objects.create(year=2028, source=CalendarSource.ADMIN)
    coverage = calendar_coverage(today=dt.date(2026, 11, 26))
    assert coverage.description == "2004–2026, 2028"
    assert coverage.gaps == [2027]
    assert coverage.covered_to == dt.date(2028, 12, 31)


def test_empty_table_has_empty_coverage():
    """With no year covered, coverage is empty and the calendar cannot be built."""
    CalendarDay.objects.all().delete()
    CalendarYear.objects.all().delete()
    coverage = calendar_coverage()
    assert coverage.covered_years == [] and coverage.covered_from is None
    with pytest.raises(CalendarNotCovered):
        workday_calendar()


def test_year_document_reads_the_table():
    """A year read back from the table equals the package's year."""
    doc = selectors.calendar_year_document(year=2020)
    expected = package_data().year_document(2020)
    assert (doc.holidays, doc.adjusted_workdays) == (expected.holidays, expected.adjusted_workdays)


def test_import_in_another_process_is_seen(admin_user, example_2027, monkeypatch):
    """An import whose process is not this one (no local cache drop) is still picked up."""
    before = workday_calendar()
    assert before.is_workday_marked(dt.date(2027, 10, 1)).provisional
    monkeypatch.setattr(selectors, "workday_calendar_clear_cache", lambda: None)
    services.calendar_year_import(actor=admin_user, document=example_2027)
    after = workday_calendar()
    assert after is not before
    assert not after.is_workday(dt.date(2027, 10, 1))
