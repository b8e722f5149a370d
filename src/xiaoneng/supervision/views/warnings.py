"""The warnings ledger page (/office/warnings/): open and closed warnings, filtered, with the
open counts per department. The office sees every department; a head sees their own.

Routes listed here are mounted under /office/ by ../urls.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path
from django.views.decorators.http import require_GET

from xiaoneng.accounts.models import Department
from xiaoneng.core import errors
from xiaoneng.supervision.models import WarningCloseReason, WarningLevelChoice
from xiaoneng.supervision.selectors import warnings as selectors

PAGE_SIZE = 50


def _day(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _filters(query: QueryDict) -> dict[str, Any]:
    """The filters of the query string; a value the page does not know is left out."""
    department = query.get("department", "")
    level = query.get("level", "")
    state = query.get("state", "open")
    date_from, date_to = _day(query.get("from")), _day(query.get("to"))
    if date_from and date_to and date_to < date_from:
        date_from, date_to = date_to, date_from
    return {
        "department": int(department) if department.isdigit() else None,
        "level": level if level in WarningLevelChoice.values else None,
        "state": state if state in selectors.RECORD_STATES else None,
        "date_from": date_from,
        "date_to": date_to,
    }


@login_required
@require_GET
def warning_list(request: HttpRequest) -> HttpResponse:
    """The warnings ledger (预警台账) the user may see, newest change first, open by default."""
    user = request.user
    filters = _filters(request.GET)
    try:
        records = selectors.warning_records_for_user(user, **filters)
        counts = selectors.warning_counts_for_user(user)
    except errors.PermissionDenied as exc:
        raise PermissionDenied(exc.message) from None
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "record": record,
            "url": selectors.item_url(record.clock.content_type, record.clock.object_id),
        }
        for record in page.object_list
    ]
    is_office = bool(getattr(user, "is_office", False))
    names = dict(
        Department.objects.filter(pk__in=counts).values_list("pk", "name") if counts else []
    )
    # Most overdue first: red, then yellow, then the name.
    count_rows = [
        {"department": names.get(pk, str(pk)), "yellow": c["yellow"], "red": c["red"]}
        for pk, c in sorted(
            counts.items(),
            key=lambda item: (-item[1]["red"], -item[1]["yellow"], names.get(item[0], "")),
        )
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "supervision/warnings_list.html",
        {
            "page_obj": page,
            "rows": rows,
            "counts": count_rows,
            "filters": filters,
            "state_param": request.GET.get("state", "open"),
            "query": query.urlencode(),
            "departments": Department.objects.order_by("code") if is_office else [],
            "is_office": is_office,
            "levels": WarningLevelChoice.choices,
            "reasons": dict(WarningCloseReason.choices),
        },
    )


urlpatterns: list[URLPattern | URLResolver] = [
    path("warnings/", warning_list, name="warnings"),
]
