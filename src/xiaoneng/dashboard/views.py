"""The efficiency office's dashboard page (/office/): figures computed live from the data."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.calendars.selectors import calendar_coverage
from xiaoneng.dashboard import selectors
from xiaoneng.dashboard.rules import percent


def _office_only(request: HttpRequest) -> None:
    user = request.user
    if not getattr(user, "is_office", False):
        raise PermissionDenied(_("The dashboard is for the efficiency office."))


@login_required
def dashboard_home(request: HttpRequest) -> HttpResponse:
    """Catalog figures, per-department table, and the working-day calendar's coverage."""
    _office_only(request)
    figures = selectors.catalog_figures()
    coverage = calendar_coverage(today=timezone.localdate())
    kpis = [
        (_("City-level matters"), figures.matters_total, "matters_total"),
        (_("Online"), figures.matters_online, "matters_online"),
        (_("Online rate"), percent(figures.online_rate), "online_rate"),
        (_("At most one visit (最多跑一次)"), figures.one_visit_matters, "one_visit_matters"),
        (_("Handled in the hall"), percent(figures.in_hall_rate), "in_hall_rate"),
        (_("Certificates cancelled"), figures.certificates_cancelled, "certificates_cancelled"),
        (_("Instant matters"), figures.instant_matters, "instant_matters"),
        (_("Compression ratio"), percent(figures.compression_ratio), "compression_ratio"),
    ]
    departments = selectors.department_figures()
    for row in departments:
        row["online_rate_text"] = percent(row["online_rate"])  # type: ignore[arg-type]
    return render(
        request,
        "dashboard/home.html",
        {
            "kpis": kpis,
            "figures": figures,
            "departments": departments,
            "coverage": coverage,
            "today": timezone.localdate(),
        },
    )
