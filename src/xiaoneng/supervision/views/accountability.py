"""Pages of accountability cases (问责), mounted under /office/ by ../urls.py.

The office opens cases (from a supervision task or an overdue item) and writes every entry;
staff of the responsible unit read their unit's cases from the same URLs, and its heads may
add a statement (申辩). Views find the case through the one access function
(:func:`~xiaoneng.supervision.selectors.accountability.case_for_user`) and call one service.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xiaoneng.accounts.models import STAFF_ROLES, Department, User
from xiaoneng.clocks.models import Clock
from xiaoneng.core.errors import InvalidInput, NotFound, XiaonengError
from xiaoneng.supervision import rules
from xiaoneng.supervision.models import AccountabilityCase, CaseStateChoice, HandlingChoice
from xiaoneng.supervision.rules import CaseAction
from xiaoneng.supervision.selectors import accountability as selectors
from xiaoneng.supervision.selectors.tasks import is_office, may_see_supervision, task_for_user
from xiaoneng.supervision.services import accountability as services
from xiaoneng.supervision.views.tasks import _day, _department, _staff_user

PAGE_SIZE = 25


def _case_or_404(request: HttpRequest, pk: Any) -> AccountabilityCase:
    try:
        return selectors.case_for_user(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _back(case: AccountabilityCase) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("supervision:case-detail", kwargs={"pk": case.pk}))


@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """The cases the user may see (the office: all; unit staff: their unit's), newest first."""
    user = request.user
    if not may_see_supervision(user):
        raise DjangoPermissionDenied(
            _("Accountability cases are for the efficiency office and the units concerned.")
        )
    state = request.GET.get("state", "").strip()
    if state not in CaseStateChoice.values:
        state = ""
    page = Paginator(selectors.cases_for_user(user, state=state or None), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "supervision/case_list.html",
        {
            "page_obj": page,
            "values": {"state": state},
            "state_choices": CaseStateChoice.choices,
            "is_office": is_office(user),
        },
    )


@login_required
def case_create(request: HttpRequest) -> HttpResponse:
    """The office opens a case from a task (``?task=<id>``) or an overdue item (``?clock=``)."""
    if not is_office(request.user):
        raise DjangoPermissionDenied(_("Accountability cases are opened by the efficiency office."))
    source = request.POST if request.method == "POST" else request.GET
    values = {
        "task": source.get("task", "").strip(),
        "clock": source.get("clock", "").strip(),
        "title": request.POST.get("title", "").strip(),
        "reason": request.POST.get("reason", "").strip(),
        "on": request.POST.get("on", ""),
    }
    task = None
    clock = None
    try:
        if values["task"]:
            task = task_for_user(request.user, values["task"])
        if values["clock"]:
            try:
                clock = Clock.objects.select_related("department").get(pk=int(values["clock"]))
            except (ValueError, Clock.DoesNotExist):
                raise InvalidInput(
                    _("No clock has the id %(id)s.") % {"id": values["clock"]},
                    details={"field": "clock"},
                ) from None
    except NotFound as exc:
        raise Http404(exc.message) from None
    except InvalidInput as exc:
        messages.error(request, exc.message)
    if request.method == "POST":
        try:
            case = services.accountability_case_open(
                actor=request.user,
                task=task,
                clock=clock,
                responsible_unit=_department(request, "responsible_unit"),
                title=values["title"],
                reason=values["reason"],
                on=_day(request),
            )
        except XiaonengError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
            return _back(case)
    return render(
        request,
        "supervision/case_form.html",
        {
            "values": values,
            "task": task,
            "clock": clock,
            "units": Department.objects.order_by("code"),
            "default_unit": (task.lead_unit_id if task else None)
            or (clock.department_id if clock else None),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One case with its full history and the forms of what the user may add now."""
    try:
        data = selectors.case_detail(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None
    case = data.case
    unit_staff: list[User] = []
    if CaseAction.RECORD_FINDINGS in data.allowed_actions:
        unit_staff = list(
            User.objects.filter(
                department_id=case.responsible_unit_id, role__in=STAFF_ROLES, is_active=True
            ).order_by("username")
        )
    return render(
        request,
        "supervision/case_detail.html",
        {
            "d": data,
            "case": case,
            "state_label": rules.CASE_STATE_LABELS[rules.CaseState(case.state)],
            "actions": [(a.value, rules.CASE_ACTION_LABELS[a]) for a in data.allowed_actions],
            "is_office": rules.CaseCapacity.OFFICE in data.capacities,
            "handlings": HandlingChoice.choices,
            "unit_staff": unit_staff,
            "today": timezone.localdate(),
            "history": [
                {
                    "e": e,
                    "label": e.get_kind_display(),
                    "handling": e.get_handling_display() if e.handling else "",
                }
                for e in data.entries
            ],
        },
    )


@login_required
@require_POST
def case_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Add one entry to a case; the service decides whether the user may."""
    case = _case_or_404(request, pk)
    try:
        wanted = CaseAction(action)
    except ValueError:
        raise Http404(_("No such step.")) from None
    user = request.user
    text = request.POST.get("text", "").strip()
    try:
        if wanted == CaseAction.INVESTIGATE:
            services.accountability_case_investigate(
                actor=user, case=case, text=text, on=_day(request)
            )
            done = _("Investigation record added.")
        elif wanted == CaseAction.RECORD_FINDINGS:
            services.accountability_case_record_findings(
                actor=user,
                case=case,
                findings=text,
                person_name=request.POST.get("person_name", ""),
                person_position=request.POST.get("person_position", ""),
                person=_staff_user(request, "person"),
                responsible_unit=_department(request, "responsible_unit"),
                on=_day(request),
            )
            done = _("Findings recorded.")
        elif wanted == CaseAction.PROPOSE:
            services.accountability_case_propose(
                actor=user,
                case=case,
                handling=request.POST.get("handling", ""),
                text=text,
                on=_day(request),
            )
            done = _("Handling proposed.")
        elif wanted == CaseAction.DECIDE:
            services.accountability_case_decide(
                actor=user,
                case=case,
                decision=request.POST.get("handling", ""),
                text=text,
                on=_day(request),
            )
            done = _("Decision recorded; the case is closed.")
        else:
            services.accountability_case_add_statement(actor=user, case=case, text=text)
            done = _("Statement added.")
    except XiaonengError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return _back(case)


urlpatterns: list[URLPattern | URLResolver] = [
    path("accountability/cases/", case_list, name="case-list"),
    path("accountability/cases/new/", case_create, name="case-create"),
    path("accountability/cases/<int:pk>/", case_detail, name="case-detail"),
    path("accountability/cases/<int:pk>/<str:action>/", case_act, name="case-act"),
]
