"""Reads of clocks: an item's clocks, late and warned clocks, and the API-ready figures.

"Late" and "warned" are indexed queries on the stored dates (ARCHITECTURE.md §2):

* a running clock is red from the day after its due date and yellow from its yellow day, so
  those are date comparisons on ``(state, due_on)`` / ``(state, yellow_on)`` and always right,
  even before the warning scan has moved the stored ``warning`` forward;
* a paused clock is frozen, so its stored ``warning`` is the truth (``(warning, department)``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypedDict

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from xiaoneng.calendars.rules import WorkdayCalendar
from xiaoneng.clocks import rules
from xiaoneng.clocks.models import Clock, StateChoice, WarningChoice
from xiaoneng.clocks.rules import Pause, WarningLevel


def _base() -> QuerySet[Clock]:
    return Clock.objects.select_related("department", "content_type")


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def clocks_of_item(*, item: models.Model) -> QuerySet[Clock]:
    """Every clock of a tracked item, open ones first, then by start day."""
    return (
        _base()
        .filter(content_type=ContentType.objects.get_for_model(item), object_id=str(item.pk))
        .prefetch_related("pauses", "extensions")
        .order_by(
            models.Case(models.When(state=StateChoice.STOPPED, then=1), default=0),
            "-started_on",
            "-pk",
        )
    )


def clock_of_item(*, item: models.Model, kind: str) -> Clock | None:
    """The clock of ``kind`` of an item: the open one, else the one stopped last; or None."""
    return clocks_of_item(item=item).filter(kind=kind).first()


def _late_q(today: dt.date) -> Q:
    return Q(state=StateChoice.RUNNING, due_on__lt=today) | Q(
        state=StateChoice.PAUSED, warning=WarningChoice.RED
    )


def _warned_q(today: dt.date) -> Q:
    return Q(state=StateChoice.RUNNING, yellow_on__lte=today, due_on__gte=today) | Q(
        state=StateChoice.PAUSED, warning=WarningChoice.YELLOW
    )


def clocks_late(*, today: dt.date | None = None, department: Any | None = None) -> QuerySet[Clock]:
    """Open clocks that are red (超时) today: running past the due date, or paused while red.

    A clock due today is not late (the due date is the last allowed day).
    """
    qs = _base().filter(_late_q(_today(today)))
    if department is not None:
        qs = qs.filter(department=department)
    return qs.order_by("due_on", "pk")


def clocks_warned(
    *, today: dt.date | None = None, department: Any | None = None
) -> QuerySet[Clock]:
    """Open clocks that are yellow (预警) today: at or past their yellow day, not yet late."""
    qs = _base().filter(_warned_q(_today(today)))
    if department is not None:
        qs = qs.filter(department=department)
    return qs.order_by("due_on", "pk")


def clocks_provisional() -> QuerySet[Clock]:
    """Clocks whose due date rests on a year not in the calendar yet (暂定), soonest first."""
    return _base().filter(due_provisional=True).order_by("due_on", "pk")


def clocks_turning_red(*, today: dt.date) -> QuerySet[Clock]:
    """Running clocks past their due date whose stored warning is not red yet (for the scan)."""
    # No ordering: the scan reads ids in bulk and a sort over every late clock buys nothing.
    return (
        Clock.objects.filter(state=StateChoice.RUNNING, due_on__lt=today)
        .exclude(warning=WarningChoice.RED)
        .order_by()
    )


def clocks_turning_yellow(*, today: dt.date) -> QuerySet[Clock]:
    """Running clocks at their yellow day, not late, still stored as none (for the scan)."""
    return Clock.objects.filter(
        state=StateChoice.RUNNING,
        yellow_on__lte=today,
        due_on__gte=today,
        warning=WarningChoice.NONE,
    ).order_by()


def clocks_turning_red_from_yellow(*, today: dt.date) -> QuerySet[Clock]:
    """Running clocks stored yellow whose due date has passed: they turn red (for the scan).

    Answered from the partial index ``clock_running_yellow`` (running yellow clocks only).
    """
    return Clock.objects.filter(
        state=StateChoice.RUNNING, warning=WarningChoice.YELLOW, due_on__lt=today
    ).order_by()


def clocks_turning_yellow_or_red(*, today: dt.date) -> QuerySet[Clock]:
    """Running clocks stored as none that reached their yellow day: they turn yellow, or red
    if the due date passed too (no scan ran in between). For the scan.

    Answered from the partial index ``clock_running_none`` (running clocks at none only).
    """
    return Clock.objects.filter(
        state=StateChoice.RUNNING, warning=WarningChoice.NONE, yellow_on__lte=today
    ).order_by()


def clocks_behind_warning(*, today: dt.date) -> QuerySet[Clock]:
    """Running clocks whose stored warning is behind ``today``: what the scan will move.

    The union of :func:`clocks_turning_red_from_yellow` and
    :func:`clocks_turning_yellow_or_red` (the same clocks as :func:`clocks_turning_red` and
    :func:`clocks_turning_yellow` together, since a clock's yellow day is never after its due
    date).
    """
    return Clock.objects.filter(
        Q(state=StateChoice.RUNNING)
        & (
            Q(warning=WarningChoice.YELLOW, due_on__lt=today)
            | Q(warning=WarningChoice.NONE, yellow_on__lte=today)
        )
    ).order_by()


def clock_warning_counts(*, today: dt.date | None = None) -> dict[int, dict[str, int]]:
    """Yellow and red open clocks per department id today: ``{dept_id: {"yellow", "red"}}``."""
    day = _today(today)
    counts: dict[int, dict[str, int]] = {}
    for level, where in (("red", _late_q(day)), ("yellow", _warned_q(day))):
        rows = Clock.objects.filter(where).values("department").annotate(n=Count("pk"))
        for row in rows.order_by():
            counts.setdefault(row["department"], {"yellow": 0, "red": 0})[level] = row["n"]
    return counts


class ClockDict(TypedDict):
    """The figures of one clock as the API shows them (JSON-ready)."""

    id: int
    kind: str
    label: str
    department: int
    state: str
    paused: bool
    limit_days: int
    extension_days: int
    extension_allowance_days: int
    started_on: str
    stopped_on: str | None
    due_on: str
    yellow_on: str
    used_days: int
    remaining_days: int
    warning: str
    provisional: bool


def _calendar() -> WorkdayCalendar:
    # Imported here so the clocks room loads before the calendar table exists.
    from xiaoneng.calendars.selectors import workday_calendar

    return workday_calendar()


def clock_as_dict(
    clock: Clock, *, today: dt.date | None = None, calendar: WorkdayCalendar | None = None
) -> ClockDict:
    """The API-ready figures of a clock for ``today`` (Asia/Shanghai by default).

    Due date, yellow day and provisional mark are the stored ones (recomputed on every
    change); used and remaining working days and the warning are computed for today with the
    same rules (DOMAIN_RULES.md §2): frozen at the pause day while paused and at the stop day
    once stopped. ``remaining_days`` is negative when overdue. Prefetch ``pauses`` when
    calling this for many clocks (:func:`clocks_as_dicts` does).
    """
    day = _today(today)
    calendar = calendar or _calendar()
    pauses = [
        Pause(began_on=p.began_on, ended_on=p.ended_on)
        for p in sorted(clock.pauses.all(), key=lambda p: (p.began_on, p.pk or 0))
    ]
    as_of = rules.as_of_day(pauses, clock.stopped_on, day)
    used = rules.used_days(calendar, started_on=clock.started_on, pauses=pauses, as_of=as_of)
    if clock.state == StateChoice.RUNNING:
        warning = rules.warning_level(as_of=day, due_on=clock.due_on, yellow_on=clock.yellow_on)
    else:
        warning = WarningLevel(clock.warning)
    total = clock.limit_days + clock.extension_days
    return ClockDict(
        id=clock.pk,
        kind=clock.kind,
        label=clock.label,
        department=clock.department_id,
        state=clock.state,
        paused=clock.state == StateChoice.PAUSED,
        limit_days=clock.limit_days,
        extension_days=clock.extension_days,
        extension_allowance_days=clock.extension_allowance_days,
        started_on=clock.started_on.isoformat(),
        stopped_on=clock.stopped_on.isoformat() if clock.stopped_on else None,
        due_on=clock.due_on.isoformat(),
        yellow_on=clock.yellow_on.isoformat(),
        used_days=used.value,
        remaining_days=total - used.value,
        warning=warning.value,
        provisional=clock.due_provisional or used.provisional,
    )


def clocks_as_dicts(clocks: Iterable[Clock], *, today: dt.date | None = None) -> list[ClockDict]:
    """:func:`clock_as_dict` for many clocks with one calendar and one query for the pauses.

    Pass a queryset (its pauses are prefetched here) or clocks with pauses prefetched.
    """
    if isinstance(clocks, QuerySet):
        clocks = clocks.prefetch_related("pauses")
    calendar = _calendar()
    day = _today(today)
    return [clock_as_dict(c, today=day, calendar=calendar) for c in clocks]
