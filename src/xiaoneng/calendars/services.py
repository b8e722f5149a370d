"""Writes of the holiday table, each in one transaction with its audit event.

Every change bumps the year's ``revision`` (so every process rebuilds its calendar, see
:func:`xiaoneng.calendars.selectors.workday_calendar`) and, after commit, sends
:data:`xiaoneng.calendars.signals.calendar_changed` with the changed years, so the clocks room
recomputes the due dates that depended on them, provisional ones included
(DOMAIN_RULES.md §1).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.calendars import selectors
from xiaoneng.calendars.documents import YearDocument, parse_year_document
from xiaoneng.calendars.models import CalendarDay, CalendarDayKind, CalendarSource, CalendarYear
from xiaoneng.calendars.rules import MAX_YEAR, MIN_YEAR
from xiaoneng.calendars.signals import calendar_changed
from xiaoneng.core.errors import Conflict, InvalidInput, NotFound
from xiaoneng.core.services import audit_record

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportSummary:
    """What an import did (or, for a dry run, would do) to one year.

    Attributes:
        year: the year imported.
        notice: the notice the days come from.
        holidays: holidays in the imported year.
        adjusted_workdays: adjusted working days in the imported year.
        was_covered: whether the year was covered before the import.
        added: days that were not in the table before.
        removed: days that were in the table and are not any more.
        changed: days whose kind or name changed.
        dry_run: ``True`` when nothing was written.
    """

    year: int
    notice: str
    holidays: int
    adjusted_workdays: int
    was_covered: bool
    added: list[dt.date] = field(default_factory=list)
    removed: list[dt.date] = field(default_factory=list)
    changed: list[dt.date] = field(default_factory=list)
    dry_run: bool = False

    @property
    def unchanged(self) -> bool:
        """Whether the table already held exactly these days (and covered the year)."""
        return self.was_covered and not (self.added or self.removed or self.changed)

    def line(self) -> str:
        """One line for people, e.g. for the command's summary."""
        text = _(
            "%(year)s: %(holidays)s holidays, %(workdays)s adjusted working days; "
            "%(added)s added, %(removed)s removed, %(changed)s changed"
        ) % {
            "year": self.year,
            "holidays": self.holidays,
            "workdays": self.adjusted_workdays,
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
        }
        text += " " + (_("(was covered)") if self.was_covered else _("(newly covered)"))
        if self.dry_run:
            text += " " + _("[dry run: nothing written]")
        return text


def _send_changed(years: list[int]) -> None:
    # The change is committed whatever a listener does: a failing listener is logged, not
    # raised to the importer. Due dates it failed to recompute keep their provisional mark,
    # so nothing is silently wrong.
    for receiver, result in calendar_changed.send_robust(sender=CalendarYear, years=years):
        if isinstance(result, Exception):
            logger.error(
                "calendar_changed listener %r failed for years %s",
                receiver,
                years,
                exc_info=result,
            )


def _send_changed_on_commit(years: Iterable[int]) -> None:
    changed = sorted(set(years))
    # Drop this process's copy now: with a frozen clock (tests) two states of the table could
    # share a fingerprint; the other processes see the new fingerprint after commit.
    selectors.workday_calendar_clear_cache()
    transaction.on_commit(lambda: _send_changed(changed))


def _table_days(year: int) -> dict[dt.date, tuple[str, str]]:
    return {
        day: (kind, name)
        for day, kind, name in CalendarDay.objects.filter(year=year).values_list(
            "day", "kind", "name"
        )
    }


def _wanted_days(document: YearDocument) -> dict[dt.date, tuple[str, str]]:
    wanted = {d: (str(CalendarDayKind.HOLIDAY), n) for d, n in document.holidays.items()}
    wanted.update(
        {d: (str(CalendarDayKind.WORKDAY), n) for d, n in document.adjusted_workdays.items()}
    )
    return wanted


def calendar_year_import(
    *,
    actor: Any | None,
    document: dict[str, Any] | YearDocument,
    source: str = CalendarSource.IMPORT,
    dry_run: bool = False,
) -> ImportSummary:
    """Replace one year's holidays and adjusted working days with those of a notice.

    The year becomes covered, so working-day arithmetic trusts it from the commit on and
    answers that were provisional for it are recomputed (DOMAIN_RULES.md §1). The year's
    rows are replaced in one transaction; the year's row is locked meanwhile so two imports
    of one year run one after the other.

    Args:
        actor: the user importing, or ``None`` for the system.
        document: the year in the YAML format of :mod:`xiaoneng.calendars.documents` (as
            loaded), or an already checked :class:`YearDocument`.
        source: ``import``, ``package`` or ``admin``: where the days come from.
        dry_run: check and compare with the table, but write nothing.

    Returns:
        What changed (or would change).

    Raises:
        InvalidInput: the document breaks the format; ``details["errors"]`` lists every
            problem with its position.
    """
    if source not in CalendarSource.values:
        raise InvalidInput(
            _("Expected the source to be one of %(allowed)s, got %(value)s.")
            % {"allowed": ", ".join(CalendarSource.values), "value": source}
        )
    checked = document if isinstance(document, YearDocument) else parse_year_document(document)
    if dry_run:
        return _import_summary(checked, dry_run=True)
    with transaction.atomic():
        return _import(actor=actor, document=checked, source=source)


def _import_summary(
    document: YearDocument, *, dry_run: bool, was_covered: bool | None = None
) -> ImportSummary:
    before = _table_days(document.year)
    wanted = _wanted_days(document)
    if was_covered is None:
        was_covered = CalendarYear.objects.filter(year=document.year).exists()
    return ImportSummary(
        year=document.year,
        notice=document.notice,
        holidays=len(document.holidays),
        adjusted_workdays=len(document.adjusted_workdays),
        was_covered=was_covered,
        added=sorted(set(wanted) - set(before)),
        removed=sorted(set(before) - set(wanted)),
        changed=sorted(d for d in set(wanted) & set(before) if wanted[d] != before[d]),
        dry_run=dry_run,
    )


def _import(*, actor: Any | None, document: YearDocument, source: str) -> ImportSummary:
    year_row = CalendarYear.objects.select_for_update().filter(year=document.year).first()
    summary = _import_summary(document, dry_run=False, was_covered=year_row is not None)
    now = timezone.now()
    if year_row is None:
        year_row = CalendarYear(year=document.year)
    else:
        year_row.revision = F("revision") + 1
    year_row.source = source
    year_row.notice = document.notice
    year_row.imported_at = now
    year_row.imported_by = actor if getattr(actor, "pk", None) is not None else None
    year_row.full_clean(exclude=["revision"])
    try:
        with transaction.atomic():
            year_row.save()
    except IntegrityError as exc:
        # Another import of the same new year committed first.
        raise Conflict(
            _("%(year)s was imported by someone else at the same time; try again.")
            % {"year": document.year}
        ) from exc
    year_row.refresh_from_db(fields=["revision"])

    CalendarDay.objects.filter(year=document.year).delete()
    rows = [
        CalendarDay(day=day, kind=kind, name=name, year=day.year)
        for day, (kind, name) in sorted(_wanted_days(document).items())
    ]
    for row in rows:
        row.full_clean(exclude=["day"])  # uniqueness holds: the year's rows were just removed
    CalendarDay.objects.bulk_create(rows, batch_size=500)

    audit_record(
        actor=actor,
        action="calendars.year_import",
        target=year_row,
        summary=summary.line(),
        data={
            "year": document.year,
            "source": source,
            "notice": document.notice,
            "was_covered": summary.was_covered,
            "added": [d.isoformat() for d in summary.added],
            "removed": [d.isoformat() for d in summary.removed],
            "changed": [d.isoformat() for d in summary.changed],
        },
    )
    if not summary.unchanged:
        _send_changed_on_commit([document.year])
    return summary


def calendar_package_seed(
    *, actor: Any | None, years: Iterable[int] | None = None, replace: bool = False
) -> list[ImportSummary]:
    """Import years from the installed ``chinese-calendar`` package (e.g. after upgrading it).

    Args:
        actor: the user asking, or ``None`` for the system.
        years: which years; defaults to every year the package covers.
        replace: also re-import years already covered (otherwise they are left alone,
            so corrections made in the admin survive).

    Returns:
        One summary per year imported.

    Raises:
        InvalidInput: a requested year is not in the package.
    """
    from xiaoneng.calendars.package_data import package_data  # the package is only data here

    data = package_data()
    wanted = sorted(set(years)) if years is not None else list(data.years)
    missing = [y for y in wanted if y not in data.years]
    if missing:
        raise InvalidInput(
            _("Expected years the chinese-calendar package covers (%(covered)s), got %(year)s.")
            % {
                "covered": f"{data.years[0]}–{data.years[-1]}",
                "year": ", ".join(map(str, missing)),
            }
        )
    covered = set(CalendarYear.objects.values_list("year", flat=True))
    summaries = []
    with transaction.atomic():
        for year in wanted:
            if year in covered and not replace:
                continue
            summaries.append(
                calendar_year_import(
                    actor=actor, document=data.year_document(year), source=CalendarSource.PACKAGE
                )
            )
    return summaries


def _check_year(year: int) -> None:
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(
            _("Expected a year from %(min)s to %(max)s, got %(value)s.")
            % {"min": MIN_YEAR, "max": MAX_YEAR, "value": year}
        )


@transaction.atomic
def calendar_year_create(*, actor: Any | None, year: int, notice: str = "") -> CalendarYear:
    """Declare a year covered with the days already entered for it (admin entry by hand).

    Until then its days are drafts that the arithmetic ignores; from the commit on, the
    year's weekdays and weekends are trusted (DOMAIN_RULES.md §1). Importing a notice file
    (:func:`calendar_year_import`) is the usual way; this is for a year typed in the admin.

    Raises:
        InvalidInput: the year is out of range.
        Conflict: the year is already covered.
    """
    _check_year(year)
    if CalendarYear.objects.filter(year=year).exists():
        raise Conflict(
            _("%(year)s is already covered; expected a year not yet in the calendar.")
            % {"year": year}
        )
    row = CalendarYear(
        year=year,
        source=CalendarSource.ADMIN,
        notice=notice.strip(),
        imported_at=timezone.now(),
        imported_by=actor if getattr(actor, "pk", None) is not None else None,
    )
    row.full_clean()
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:
        raise Conflict(
            _("%(year)s was added by someone else at the same time.") % {"year": year}
        ) from exc
    days = CalendarDay.objects.filter(year=year).count()
    audit_record(
        actor=actor,
        action="calendars.year_create",
        target=row,
        summary=_("%(year)s covered, with %(days)s days entered") % {"year": year, "days": days},
        data={"year": year, "notice": row.notice, "days": days},
    )
    _send_changed_on_commit([year])
    return row


@transaction.atomic
def calendar_year_update(*, actor: Any | None, year: int, notice: str) -> CalendarYear:
    """Correct the notice recorded for a covered year (its days are unchanged).

    Raises:
        NotFound: the year is not covered.
    """
    row = CalendarYear.objects.select_for_update().filter(year=year).first()
    if row is None:
        raise NotFound(_("%(year)s is not in the calendar.") % {"year": year})
    before = row.notice
    row.notice = notice.strip()
    row.full_clean(exclude=["revision"])
    row.save(update_fields=["notice", "updated_at"])
    audit_record(
        actor=actor,
        action="calendars.year_update",
        target=row,
        summary=f"{year}: {row.notice}",
        data={"year": year, "notice": {"from": before, "to": row.notice}},
    )
    return row


@transaction.atomic
def calendar_year_remove(*, actor: Any | None, year: int) -> None:
    """Stop covering a year and remove its days.

    Arithmetic that touches the year is refused or marked provisional again
    (DOMAIN_RULES.md §1), never computed weekends-only in silence.

    Raises:
        NotFound: the year is not covered.
    """
    row = CalendarYear.objects.select_for_update().filter(year=year).first()
    if row is None:
        raise NotFound(_("%(year)s is not in the calendar.") % {"year": year})
    removed, _by_model = CalendarDay.objects.filter(year=year).delete()
    audit_record(
        actor=actor,
        action="calendars.year_remove",
        target=row,
        summary=_("%(year)s no longer covered; %(days)s days removed")
        % {"year": year, "days": removed},
        data={"year": year, "source": row.source, "notice": row.notice, "days": removed},
    )
    row.delete()
    _send_changed_on_commit([year])


def _bump_revision(year: int) -> None:
    CalendarYear.objects.filter(year=year).update(
        revision=F("revision") + 1, updated_at=timezone.now()
    )


@transaction.atomic
def calendar_day_set(*, actor: Any | None, day: dt.date, kind: str, name: str) -> CalendarDay:
    """Make one day a holiday or an adjusted working day (an admin correction).

    A correction to a covered year takes effect at commit and recomputes the due dates that
    depend on it; a day of an uncovered year is a draft until the year is added
    (DOMAIN_RULES.md §1).

    Args:
        actor: the user correcting.
        day: the date.
        kind: ``holiday`` or ``workday`` (an adjusted working day must be a Saturday or
            Sunday).
        name: the holiday the day belongs to or makes up for, e.g. 春节.

    Raises:
        InvalidInput: the kind, name or day breaks a rule; the message says which.
    """
    if kind not in CalendarDayKind.values:
        raise InvalidInput(
            _("Expected the kind to be one of %(allowed)s, got %(value)s.")
            % {"allowed": ", ".join(CalendarDayKind.values), "value": kind}
        )
    row = CalendarDay.objects.select_for_update().filter(day=day).first()
    before = {"kind": row.kind, "name": row.name} if row is not None else None
    if row is None:
        row = CalendarDay(day=day)
    row.kind = kind
    row.name = name.strip()
    row.year = day.year
    try:
        row.full_clean()
    except ValidationError as exc:
        raise InvalidInput("; ".join(exc.messages), details={"errors": exc.message_dict}) from exc
    row.save()
    _bump_revision(day.year)
    audit_record(
        actor=actor,
        action="calendars.day_set",
        target=row,
        summary=str(row),
        data={
            "day": day.isoformat(),
            "before": before,
            "after": {"kind": row.kind, "name": row.name},
        },
    )
    _send_changed_on_commit([day.year])
    return row


@transaction.atomic
def calendar_day_remove(*, actor: Any | None, day: dt.date) -> None:
    """Remove one day from the table, so it follows the week again (an admin correction).

    Raises:
        NotFound: the day is not in the table.
    """
    row = CalendarDay.objects.select_for_update().filter(day=day).first()
    if row is None:
        raise NotFound(
            _(
                "%(day)s is not in the holiday table; expected a listed holiday or adjusted "
                "working day."
            )
            % {"day": day.isoformat()}
        )
    audit_record(
        actor=actor,
        action="calendars.day_remove",
        target=row,
        summary=_("%(day)s removed (was %(name)s)") % {"day": day.isoformat(), "name": row.name},
        data={"day": day.isoformat(), "before": {"kind": row.kind, "name": row.name}},
    )
    row.delete()
    _bump_revision(day.year)
    _send_changed_on_commit([day.year])
