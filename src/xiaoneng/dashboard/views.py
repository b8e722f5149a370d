"""The efficiency office's dashboard (/office/): KPIs, charts, drill-down and the bulletin.

Who sees what (one access function, :func:`dashboard_scope`, used by every view here):

* the efficiency office (and administrators) sees every department, and may narrow the page
  to one with the ``department`` filter;
* a department head (负责人) sees their own department only: on the dashboard the department
  is forced to theirs, and another department's late items or bulletin are refused (403);
* everyone else is refused (403); anonymous visitors are sent to sign in.

Every figure comes from :mod:`xiaoneng.dashboard.selectors` (``kpis``, ``kpis_by_department``,
``department_ranking``, ``hotline_kpis`` for the 12345 hotline section laid out by
:mod:`xiaoneng.dashboard.hotline`) and the clocks room's selectors; this module only parses
the filters, checks access and lays the figures out. Nothing is written (ARCHITECTURE.md §3).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from xiaoneng.accounts.models import Department
from xiaoneng.calendars.selectors import calendar_coverage
from xiaoneng.clocks import selectors as clock_selectors
from xiaoneng.clocks.models import Clock
from xiaoneng.core import errors
from xiaoneng.core.errors import InvalidInput
from xiaoneng.core.masking import mask_text
from xiaoneng.dashboard import hotline, reports, rules, selectors
from xiaoneng.supervision.services.warnings import kind_label

# Rows shown per list on the late-items page; the count above each list is the full one.
LATE_LIST_LIMIT = 200
# Provisional due dates listed on the dashboard; the count is the full one.
PROVISIONAL_LIST_LIMIT = 20

# -- access --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardScope:
    """What a user may see on the dashboard: every department, or their own one.

    Built on the KPIs' one access check,
    :func:`xiaoneng.dashboard.selectors.kpi_department_for_user`, so the pages and
    ``/api/v1/kpis/`` answer the same way.
    """

    user: Any
    own_department: Department | None  # a head's department; None for the office

    @property
    def is_office(self) -> bool:
        return self.own_department is None

    def department_for(self, code: str | None) -> Department | None:
        """The department a request asks for, within this scope.

        The office may ask for any department (an unknown code is a 404) or for none (every
        department); a head gets their own department whether they name it or not, and a
        403 for any other.
        """
        try:
            return selectors.kpi_department_for_user(self.user, code or None)
        except InvalidInput as exc:
            raise Http404(exc.message) from None
        except errors.PermissionDenied as exc:
            raise PermissionDenied(exc.message) from None


def dashboard_scope(user: Any) -> DashboardScope:
    """The dashboard scope of ``user``: the office sees all, a head their own department.

    Raises:
        PermissionDenied: for every other role, and for a head without a department.
    """
    if selectors.may_see_every_department(user):
        return DashboardScope(user=user, own_department=None)
    try:
        own = selectors.kpi_department_for_user(user, None)
    except errors.PermissionDenied:
        own = None
    if own is None:
        raise PermissionDenied(
            _("The dashboard is for the efficiency office and department heads (their own).")
        )
    return DashboardScope(user=user, own_department=own)


# -- filters -------------------------------------------------------------------------------------

PRESETS = ("this-month", "last-month", "this-year")


def preset_period(name: str, *, today: dt.date) -> tuple[dt.date, dt.date]:
    """The days of a preset: this month to date, the whole last month, this year to date."""
    if name == "this-month":
        return today.replace(day=1), today
    if name == "last-month":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    if name == "this-year":
        return today.replace(month=1, day=1), today
    raise ValueError(f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}")


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters as the query string gives them, checked.

    ``period`` names a preset when the dates are one; a bad value is reported in ``errors``
    and replaced by the default (this month to date), so the page still shows figures.
    """

    date_from: dt.date
    date_to: dt.date
    period: str
    department: str
    errors: list[str] = field(default_factory=list)

    def query(self, **changes: str) -> str:
        """The query string of these filters (with ``changes``), for links that keep them."""
        params = {"department": self.department}
        if self.period:
            params["period"] = self.period
        else:
            params["from"] = self.date_from.isoformat()
            params["to"] = self.date_to.isoformat()
        params.update(changes)
        if "period" in changes:
            params.pop("from", None)
            params.pop("to", None)
        return urlencode({k: v for k, v in params.items() if v})


def _parse_day(raw: str, name: str, errors: list[str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        errors.append(
            _("%(name)s: expected a date written YYYY-MM-DD, got %(value)s.")
            % {"name": name, "value": repr(raw)}
        )
        return None


def parse_filters(query: QueryDict, *, today: dt.date) -> Filters:
    """Read ``period`` (a preset) or ``from``/``to`` (ISO dates) and ``department``.

    Defaults: this month to date. A preset wins over dates; a missing end is filled from the
    default (from the first of this month, to today).
    """
    errors: list[str] = []
    department = query.get("department", "").strip()
    period = query.get("period", "").strip()
    if period:
        if period in PRESETS:
            start, end = preset_period(period, today=today)
            return Filters(start, end, period, department)
        errors.append(
            _("period: expected one of %(presets)s, got %(value)s.")
            % {"presets": ", ".join(PRESETS), "value": repr(period)}
        )
    default_from, default_to = preset_period("this-month", today=today)
    raw_from, raw_to = query.get("from", "").strip(), query.get("to", "").strip()
    if not raw_from and not raw_to:
        return Filters(default_from, default_to, "this-month", department, errors)
    # The parameters' own names, not translated: they are what the query string says.
    first = _parse_day(raw_from, "from", errors) if raw_from else default_from
    last = _parse_day(raw_to, "to", errors) if raw_to else default_to
    if first is not None and last is not None:
        try:
            rules.check_period(first, last)
        except InvalidInput as exc:
            errors.append(exc.message)
        else:
            return Filters(first, last, "", department, errors)
    return Filters(default_from, default_to, "this-month", department, errors)


# -- links -----------------------------------------------------------------------------------

# Where a clock's item is shown, by "app_label.model" of its content type: URL name and the
# keyword its id goes into (None: a list page without an id).
ITEM_PAGES: dict[str, tuple[str, str | None]] = {
    "applications.application": ("applications:detail", "pk"),
    "ratings.rectification": ("ratings:rectification-list", None),
    "supervision.supervisiontask": ("supervision:task-detail", "pk"),
    "hotline.ticket": ("hotline:ticket", "pk"),
}


def item_url(clock: Clock) -> str | None:
    """The page of the clock's tracked item, where the platform has one; else ``None``."""
    content_type = clock.content_type
    page = ITEM_PAGES.get(f"{content_type.app_label}.{content_type.model}")
    if page is None:
        return None
    name, kwarg = page
    try:
        return reverse(name, kwargs={kwarg: clock.object_id} if kwarg else None)
    except NoReverseMatch:
        return None


def late_url(code: str) -> str:
    return reverse("dashboard:department-late", kwargs={"code": code})


# -- the dashboard page ----------------------------------------------------------------------


def _kpi_groups(lines: list[reports.KpiLine]) -> list[tuple[str, list[reports.KpiLine]]]:
    """KPI cards grouped by the period they describe (catalog today, the period, now)."""
    groups: dict[str, list[reports.KpiLine]] = {}
    for line in lines:
        groups.setdefault(line.period, []).append(line)
    return list(groups.items())


def _chart_data(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What the charts draw, for ``json_script``: one entry per department."""
    return {
        "departments": [
            {
                "code": row["code"],
                "name": row["name"],
                "short_name": row["short_name"],
                "yellow": row.get("clocks_yellow") or 0,
                "red": row.get("clocks_red") or 0,
                "on_time_percent": (
                    None
                    if row.get("on_time_rate") is None
                    else round(float(row["on_time_rate"]) * 100, 2)
                ),
                "avg_days_used": _round(row.get("avg_days_used")),
                "avg_promised_days": _round(row.get("avg_promised_days")),
                "avg_legal_days": _round(row.get("avg_legal_days")),
                "late_url": row["late_url"],
            }
            for row in rows
        ],
        "labels": {
            "yellow": _("Yellow (warning)"),
            "red": _("Red (overdue)"),
            "on_time": _("On-time rate (%)"),
            "used": _("Working days used (average)"),
            "promised": _("Promised limit (average)"),
            "legal": _("Legal limit (average)"),
        },
    }


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def _department_rows(
    rows: list[dict[str, Any]], department: Department | None
) -> list[dict[str, Any]]:
    if department is not None:
        rows = [r for r in rows if r["department_id"] == department.pk]
    names = reports.short_names([r["department_id"] for r in rows])
    out = []
    for row in rows:
        row = dict(row)
        row["short_name"] = names.get(row["department_id"], row["name"])
        row["late_url"] = late_url(row["code"])
        row["cells"] = [
            reports.kpi_text(row.get(key), unit) for key, unit in reports.DEPARTMENT_COLUMNS
        ]
        out.append(row)
    return out


@login_required
@require_GET
def dashboard_home(request: HttpRequest) -> HttpResponse:
    """KPI cards, charts by department, the ranking, the 12345 hotline's figures, the
    calendar's coverage and the provisional due dates, for the period and department the
    filters choose."""
    scope = dashboard_scope(request.user)
    today = timezone.localdate()
    filters = parse_filters(request.GET, today=today)
    problems = list(filters.errors)
    try:
        department = scope.department_for(filters.department if scope.is_office else None)
    except Http404 as exc:
        problems.append(str(exc))
        department = None
    as_of = reports.as_of_day(filters.date_to, today=today)
    start, end = filters.date_from, filters.date_to
    figures = selectors.kpis(
        department_id=department.pk if department else None,
        date_from=start,
        date_to=end,
        today=as_of,
    )
    lines = reports.kpi_lines(figures)
    by_department = list(selectors.kpis_by_department(date_from=start, date_to=end, today=as_of))
    # The ranking is computed from the same rows: one pass over the data, not two.
    ranking = list(
        selectors.department_ranking(
            date_from=start, date_to=end, today=as_of, rows=[dict(r) for r in by_department]
        )
    )
    rows = _department_rows(by_department, department)
    ranked_total = len(ranking)
    if department is not None:
        ranking = [r for r in ranking if r["department_id"] == department.pk]
    provisional = clock_selectors.clocks_provisional()
    if department is not None:
        provisional = provisional.filter(department=department)
    provisional_count = provisional.count()
    bulletin_month = filters.date_from.replace(day=1)
    previous_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    bulletin_query = (
        urlencode({"department": department.code}) if department and scope.is_office else ""
    )
    weights = reports.ranking_weights()
    hotline_figures = selectors.hotline_kpis(
        department_id=department.pk if department else None, date_from=start, date_to=end
    )
    return render(
        request,
        "dashboard/home.html",
        {
            "scope": scope,
            "department": department,
            "departments_all": Department.objects.order_by("code") if scope.is_office else [],
            "filters": filters,
            "presets": [
                (name, label, filters.query(period=name))
                for name, label in (
                    ("this-month", _("This month")),
                    ("last-month", _("Last month")),
                    ("this-year", _("This year")),
                )
            ],
            "errors": problems,
            "as_of": as_of,
            "today": today,
            "figures": figures,
            "kpi_lines": lines,
            "kpi_groups": _kpi_groups(lines),
            "department_rows": rows,
            "department_head": [
                str(rules.KPI_DEFINITIONS[key].label) if key in rules.KPI_DEFINITIONS else key
                for key, _unit in reports.DEPARTMENT_COLUMNS
            ],
            "chart_data": _chart_data([row for row in rows if reports.has_activity(row)]),
            "ranking": _ranking_rows(ranking),
            "ranked_total": ranked_total,
            "ranking_indicators": [
                (key, str(ind.label), str(ind.description), weights.get(key, 0.0))
                for key, ind in rules.RANKING_INDICATORS.items()
            ],
            "coverage": calendar_coverage(today=today),
            "provisional_count": provisional_count,
            "provisional": _listed(provisional, PROVISIONAL_LIST_LIMIT, today),
            "bulletins": [
                (
                    month,
                    reverse("dashboard:bulletin", kwargs={"month": f"{month:%Y-%m}", "fmt": fmt}),
                    fmt,
                )
                for month in sorted({bulletin_month, previous_month}, reverse=True)
                if month <= today
                for fmt in ("pdf", "xlsx")
            ],
            "bulletin_query": bulletin_query,
            "hotline": hotline.hotline_section(hotline_figures),
        },
    )


def _ranking_rows(ranking: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in ranking:
        indicators = {key: (value, score) for key, value, score in reports.indicator_rows(row)}
        out.append(
            {
                **row,
                "score_text": "—" if row.get("score") is None else f"{float(row['score']):.2f}",
                "cells": [
                    reports.indicator_text(key, indicators.get(key, (None, None))[0])
                    for key in rules.RANKING_INDICATORS
                ],
                "late_url": late_url(row["code"]),
            }
        )
    return out


# -- the late items of a department ------------------------------------------------------------


def _clock_rows(clocks: list[Clock], today: dt.date) -> list[dict[str, Any]]:
    """What the lists show of each clock: label and officer masked, days over or left.

    Pass clocks with ``officer`` selected and ``pauses`` prefetched: one query per list.
    """
    figures = clock_selectors.clocks_as_dicts(clocks, today=today)
    rows = []
    for clock, data in zip(clocks, figures, strict=True):
        officer = clock.officer
        rows.append(
            {
                "clock": clock,
                "label": mask_text(clock.label) or f"#{clock.object_id}",
                "kind": kind_label(clock.kind),
                "department": clock.department,
                "due_on": clock.due_on,
                "provisional": data["provisional"],
                "remaining_days": data["remaining_days"],
                "days_over": max(-data["remaining_days"], 0),
                "state": clock.state,
                "officer": mask_text(str(officer)) if officer is not None else "",
                "url": item_url(clock),
            }
        )
    return rows


def _listed(clocks: QuerySet[Clock], limit: int, today: dt.date) -> list[dict[str, Any]]:
    """The first ``limit`` clocks of a list as rows, in three queries whatever the limit."""
    return _clock_rows(
        list(clocks.select_related("officer").prefetch_related("pauses")[:limit]), today
    )


@login_required
@require_GET
def department_late(request: HttpRequest, code: str) -> HttpResponse:
    """A department's red (overdue) and yellow (warning) items now, soonest due first."""
    scope = dashboard_scope(request.user)
    department = scope.department_for(code)
    assert department is not None  # a code was given
    today = timezone.localdate()
    red = clock_selectors.clocks_late(today=today, department=department)
    yellow = clock_selectors.clocks_warned(today=today, department=department)
    return render(
        request,
        "dashboard/department_late.html",
        {
            "scope": scope,
            "department": department,
            "today": today,
            "lists": [
                (
                    level,
                    _listed(clocks, LATE_LIST_LIMIT, today),
                    clocks.count(),
                )
                for level, clocks in (("red", red), ("yellow", yellow))
            ],
            "back_query": urlencode({"department": department.code}) if scope.is_office else "",
        },
    )


# -- the monthly bulletin ----------------------------------------------------------------------

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
@require_GET
def bulletin_download(request: HttpRequest, month: str, fmt: str) -> HttpResponse:
    """The monthly bulletin (每月通报) of ``month`` as PDF or Excel.

    The office gets the city's (or one department's, ``?department=CODE``); a head gets
    their own department's whatever they ask.
    """
    scope = dashboard_scope(request.user)
    department = scope.department_for(
        request.GET.get("department", "").strip() if scope.is_office else None
    )
    try:
        bulletin = reports.bulletin_data(month=reports.parse_month(month), department=department)
    except InvalidInput as exc:
        raise Http404(exc.message) from None
    render_file = reports.bulletin_pdf if fmt == "pdf" else reports.bulletin_xlsx
    response = HttpResponse(render_file(bulletin), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{bulletin.filename(fmt)}"'
    return response
