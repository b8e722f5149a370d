"""Reads of the holiday table: the working-day calendar other rooms compute with, and coverage.

:func:`workday_calendar` is what every room calls before computing a date. It is built from
the table once per process and rebuilt when the table changed, however it changed and in
whichever process: web workers and the task worker each hold their own copy, and each call
costs one small query that compares the table's fingerprint with the cached one.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

from django.db import connection

from xiaoneng.calendars.documents import YearDocument
from xiaoneng.calendars.models import CalendarDay, CalendarDayKind, CalendarYear
from xiaoneng.calendars.rules import WorkdayCalendar, coverage_gaps, describe_years

_lock = threading.Lock()
_cached: tuple[tuple[Any, ...], WorkdayCalendar] | None = None


def _fingerprint() -> tuple[Any, ...]:
    """A value that changes whenever a covered year or a day is added, removed or changed.

    Services bump ``CalendarYear.revision`` on every change; counts and latest timestamps
    also catch rows changed by hand (shell, SQL, fixtures). One query, a few hundred rows.
    """
    years = CalendarYear._meta.db_table
    days = CalendarDay._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {years}), "  # noqa: S608 - table names from _meta
            f"(SELECT COALESCE(SUM(revision), 0) FROM {years}), "
            f"(SELECT MAX(updated_at) FROM {years}), "
            f"(SELECT COUNT(*) FROM {days}), "
            f"(SELECT MAX(updated_at) FROM {days})"
        )
        row = cursor.fetchone()
    return tuple(row) if row is not None else ()


def _build() -> WorkdayCalendar:
    years = list(CalendarYear.objects.values_list("year", flat=True))
    holidays: dict[dt.date, str] = {}
    workdays: dict[dt.date, str] = {}
    # Days of years not covered are drafts (see CalendarDay); the calendar ignores them.
    for day, kind, name in CalendarDay.objects.filter(year__in=years).values_list(
        "day", "kind", "name"
    ):
        (holidays if kind == CalendarDayKind.HOLIDAY else workdays)[day] = name
    return WorkdayCalendar(covered_years=years, holidays=holidays, adjusted_workdays=workdays)


def workday_calendar() -> WorkdayCalendar:
    """The working-day calendar of the holiday table (DOMAIN_RULES.md §1).

    Cached in the process and rebuilt when the table's fingerprint changes, so an import in
    any process is seen by all on their next call. Call it once per unit of work (a request,
    a batch of clocks) and keep the result for that unit.

    Returns:
        An immutable :class:`~xiaoneng.calendars.rules.WorkdayCalendar`.

    Raises:
        CalendarNotCovered: the table covers no year at all.
    """
    global _cached
    fingerprint = _fingerprint()
    cached = _cached
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    with _lock:
        cached = _cached
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        calendar = _build()
        # Inside a transaction that is later rolled back the fingerprint returns to its old
        # value, which differs from this one, so the next call rebuilds: no stale copy
        # survives a rollback.
        _cached = (fingerprint, calendar)
        return calendar


def workday_calendar_clear_cache() -> None:
    """Forget the cached calendar (tests; the fingerprint makes it unnecessary otherwise)."""
    global _cached
    with _lock:
        _cached = None


@dataclass(frozen=True)
class CalendarCoverage:
    """What the holiday table covers, for the admin, the dashboard and the API.

    Attributes:
        covered_from: first day of the first covered year, or ``None`` when empty.
        covered_to: last day of the last covered year, or ``None`` when empty.
        covered_years: the covered years, in order.
        description: the same as ranges, e.g. ``2004–2026``.
        gaps: years missing between the first and the last covered year.
        next_year_covered: whether the year after today's is covered; when not, due dates
            reaching into it are provisional.
        draft_years: years with days in the table but not covered (not in effect).
        latest: the last covered year's row (notice, source, when and by whom).
    """

    covered_from: dt.date | None
    covered_to: dt.date | None
    covered_years: list[int]
    description: str
    gaps: list[int]
    next_year_covered: bool
    draft_years: list[int]
    latest: CalendarYear | None


def calendar_coverage(*, today: dt.date | None = None) -> CalendarCoverage:
    """The covered range of the holiday table and its gaps (DOMAIN_RULES.md §1).

    Args:
        today: the day "next year" is reckoned from; defaults to today's date.
    """
    today = today or dt.date.today()
    rows = list(CalendarYear.objects.select_related("imported_by").order_by("year"))
    years = [r.year for r in rows]
    draft_years = sorted(
        set(CalendarDay.objects.exclude(year__in=years).values_list("year", flat=True).distinct())
    )
    return CalendarCoverage(
        covered_from=dt.date(years[0], 1, 1) if years else None,
        covered_to=dt.date(years[-1], 12, 31) if years else None,
        covered_years=years,
        description=describe_years(years),
        gaps=coverage_gaps(years),
        next_year_covered=today.year + 1 in years,
        draft_years=draft_years,
        latest=rows[-1] if rows else None,
    )


def calendar_year_get(*, year: int) -> CalendarYear | None:
    """The covered year's row, or ``None`` when the year is not covered."""
    return CalendarYear.objects.select_related("imported_by").filter(year=year).first()


def calendar_year_document(*, year: int) -> YearDocument:
    """One year's days from the table, in the import format's checked form (for export).

    Draft days of an uncovered year are included, so they can be reviewed before import.
    """
    row = CalendarYear.objects.filter(year=year).first()
    holidays: dict[dt.date, str] = {}
    workdays: dict[dt.date, str] = {}
    for day, kind, name in (
        CalendarDay.objects.filter(year=year).order_by("day").values_list("day", "kind", "name")
    ):
        (holidays if kind == CalendarDayKind.HOLIDAY else workdays)[day] = name
    return YearDocument(
        year=year,
        notice=row.notice if row is not None else "",
        holidays=holidays,
        adjusted_workdays=workdays,
    )
