"""The staff pages of rectifications (/staff/rectifications/): what is due, how late, and the
forms that record the return visit and complete the rectification."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xiaoneng.calendars.selectors import workday_calendar
from xiaoneng.clocks.selectors import clock_as_dict
from xiaoneng.core.errors import NotFound, XiaonengError
from xiaoneng.ratings import selectors, services
from xiaoneng.ratings.models import RectificationStateChoice

PAGE_SIZE = 20


@login_required
@require_GET
def rectification_list(request: HttpRequest) -> HttpResponse:
    """The department's rectifications (the office sees all), unfinished and soonest due first."""
    user = request.user
    if not selectors.may_list_rectifications(user):
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


def _rectification_or_404(request: HttpRequest, pk: int) -> Any:
    try:
        return selectors.rectification_for_user(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _back(pk: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse('ratings:rectification-list')}#rectification-{pk}")


@login_required
@require_POST
def rectification_return_visit(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the return visit to the rater (回访): what they said, and whether satisfied."""
    rectification = _rectification_or_404(request, pk)
    answer = request.POST.get("satisfied", "")
    satisfied = {"yes": True, "no": False}.get(answer)
    try:
        services.rectification_record_return_visit(
            actor=request.user,
            rectification=rectification,
            outcome=request.POST.get("outcome", "").strip(),
            satisfied=satisfied,
        )
    except XiaonengError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Return visit recorded."))
    return _back(rectification.pk)


@login_required
@require_POST
def rectification_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Complete the rectification with the measures taken (整改措施); its clock stops."""
    rectification = _rectification_or_404(request, pk)
    try:
        services.rectification_complete(
            actor=request.user,
            rectification=rectification,
            measures=request.POST.get("measures", "").strip(),
        )
    except XiaonengError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Rectification completed."))
    return _back(rectification.pk)
