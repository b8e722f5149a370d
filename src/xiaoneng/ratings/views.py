"""The staff list of rectifications (/staff/rectifications/): what is due, and how late."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from xiaoneng.accounts.models import STAFF_ROLES
from xiaoneng.calendars.selectors import workday_calendar
from xiaoneng.clocks.selectors import clock_as_dict
from xiaoneng.ratings import selectors
from xiaoneng.ratings.models import RectificationStateChoice

PAGE_SIZE = 20


@login_required
@require_GET
def rectification_list(request: HttpRequest) -> HttpResponse:
    """The department's rectifications (the office sees all), unfinished and soonest due first."""
    user = request.user
    if not (selectors.is_office(user) or getattr(user, "role", None) in STAFF_ROLES):
        raise PermissionDenied(_("This list is for department staff and the efficiency office."))
    state = request.GET.get("state", "")
    if state not in RectificationStateChoice.values:
        state = ""
    page = Paginator(
        selectors.rectifications_for_user(user, state=state or None), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    calendar = workday_calendar()
    today = timezone.localdate()
    rows = [
        {
            "rectification": r,
            "clock": clock_as_dict(r.clock, today=today, calendar=calendar) if r.clock else None,
        }
        for r in page.object_list
    ]
    return render(
        request,
        "ratings/rectification_list.html",
        {
            "page_obj": page,
            "rows": rows,
            "state": state,
            "state_choices": RectificationStateChoice.choices,
        },
    )
