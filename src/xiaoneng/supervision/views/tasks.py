"""Pages of supervision tasks (督查督办), mounted under /office/ by ../urls.py.

The office creates, hands over, urges, escalates and reviews tasks; staff of the lead unit and
the co-units reach their tasks from the same URLs. Views only parse input, find the task
through the one access function (:func:`~xiaoneng.supervision.selectors.tasks.task_for_user`,
"not found" for anything the user may not see) and call one service; a refused step comes
back to the page as a message in the user's language.
"""

from __future__ import annotations

import datetime as dt
import re
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
from xiaoneng.clocks.selectors import clocks_as_dicts
from xiaoneng.core.errors import InvalidInput, NotFound, XiaonengError
from xiaoneng.supervision import rules
from xiaoneng.supervision.models import (
    SupervisionTask,
    TaskCategoryChoice,
    TaskSourceChoice,
    TaskStateChoice,
    WarningRecord,
)
from xiaoneng.supervision.rules import TaskAction
from xiaoneng.supervision.selectors import tasks as selectors
from xiaoneng.supervision.services import tasks as services

PAGE_SIZE = 25


# -- parsing ---------------------------------------------------------------------------------


def _require_page_user(request: HttpRequest) -> None:
    if not selectors.may_see_supervision(request.user):
        raise DjangoPermissionDenied(
            _("Supervision tasks are for the efficiency office and department staff.")
        )


def _task_or_404(request: HttpRequest, pk: Any) -> SupervisionTask:
    try:
        return selectors.task_for_user(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _day(request: HttpRequest, name: str = "on") -> dt.date | None:
    raw = request.POST.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            _("Expected a date like 2025-03-03 for %(field)s, got %(value)r.")
            % {"field": name, "value": raw},
            details={"field": name},
        ) from None


def _int(request: HttpRequest, name: str, *, required: bool) -> int | None:
    raw = request.POST.get(name, "").strip()
    if not raw:
        if required:
            raise InvalidInput(
                _("%(field)s is required.") % {"field": name}, details={"field": name}
            )
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(
            _("Expected a whole number for %(field)s, got %(value)r.")
            % {"field": name, "value": raw},
            details={"field": name},
        ) from None


def _department(request: HttpRequest, name: str) -> Department | None:
    pk = _int(request, name, required=False)
    if pk is None:
        return None
    found = Department.objects.filter(pk=pk).first()
    if found is None:
        raise InvalidInput(
            _("No department has the id %(id)s.") % {"id": pk}, details={"field": name}
        )
    return found


def _departments(request: HttpRequest, name: str) -> list[Department]:
    ids = []
    for raw in request.POST.getlist(name):
        try:
            ids.append(int(raw))
        except ValueError:
            raise InvalidInput(
                _("Expected department ids for %(field)s, got %(value)r.")
                % {"field": name, "value": raw},
                details={"field": name},
            ) from None
    found = list(Department.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise InvalidInput(_("A co-unit does not exist."), details={"field": name})
    return found


def _staff_user(request: HttpRequest, name: str) -> User | None:
    pk = _int(request, name, required=False)
    if pk is None:
        return None
    found = User.objects.filter(pk=pk, is_active=True).first()
    if found is None:
        raise InvalidInput(_("No active user has the id %(id)s.") % {"id": pk})
    return found


def _back(task: SupervisionTask) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("supervision:task-detail", kwargs={"pk": task.pk}))


# -- list ------------------------------------------------------------------------------------


@login_required
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    """Tasks the user may see, newest first, with filters (state, source, unit, overdue)."""
    _require_page_user(request)
    values = {
        "state": request.GET.get("state", "").strip(),
        "source": request.GET.get("source", "").strip(),
        "category": request.GET.get("category", "").strip(),
        "unit": request.GET.get("unit", "").strip(),
        "overdue": request.GET.get("overdue", "").strip(),
    }
    overdue = {"yes": True, "no": False}.get(values["overdue"])
    try:
        queryset = selectors.tasks_for_user(
            request.user,
            state=values["state"],
            source=values["source"],
            category=values["category"],
            unit=values["unit"],
            overdue=overdue,
        )
    except InvalidInput as exc:
        messages.error(request, exc.message)
        queryset = selectors.tasks_for_user(request.user)
        values = dict.fromkeys(values, "")
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    tasks = list(page.object_list)
    clocks = dict(
        zip(
            [t.pk for t in tasks if t.clock is not None],
            clocks_as_dicts([t.clock for t in tasks if t.clock is not None]),
            strict=True,
        )
    )
    office = selectors.is_office(request.user)
    return render(
        request,
        "supervision/task_list.html",
        {
            "page_obj": page,
            "rows": [{"task": t, "clock": clocks.get(t.pk)} for t in tasks],
            "values": values,
            "state_choices": TaskStateChoice.choices,
            "source_choices": TaskSourceChoice.choices,
            "category_choices": TaskCategoryChoice.choices,
            "units": Department.objects.order_by("code") if office else [],
            "is_office": office,
            "yearly": _with_percent(selectors.supervision_yearly_counts()) if office else [],
        },
    )


def _with_percent(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # −0.7290… shows as "-72.9 %" (one decimal, as the bulletin prints it).
    for row in rows:
        change = row["change_vs_previous"]
        row["change_pct"] = "" if change is None else f"{change * 100:+.1f} %"
    return rows


@login_required
@require_POST
def tasks_escalate_overdue(request: HttpRequest) -> HttpResponse:
    """The office runs the escalation of overdue tasks now (the daily job, on demand)."""
    try:
        escalated = services.supervision_tasks_escalate_overdue(actor=request.user)
    except XiaonengError as exc:
        raise DjangoPermissionDenied(exc.message) from None
    messages.success(
        request,
        _("%(n)s overdue tasks escalated: %(numbers)s")
        % {"n": len(escalated), "numbers": ", ".join(t.number for t in escalated) or "—"},
    )
    return HttpResponseRedirect(reverse("supervision:task-list"))


# -- create ----------------------------------------------------------------------------------


@login_required
def task_create(request: HttpRequest) -> HttpResponse:
    """The office opens a task: title, source, limit, units; it is handed over on its page."""
    if not selectors.is_office(request.user):
        raise DjangoPermissionDenied(_("Supervision tasks are created by the efficiency office."))
    source = request.GET.get("source", "") or request.POST.get("source", "")
    values: dict[str, Any] = {
        "title": request.POST.get("title", "").strip(),
        "description": request.POST.get("description", "").strip(),
        "source": source,
        "category": request.POST.get("category", "supervision"),
        "source_reference": request.POST.get("source_reference", "").strip(),
        "limit_days": request.POST.get("limit_days", "10"),
        "lead_unit": request.POST.get("lead_unit", ""),
        "co_units": request.POST.getlist("co_units"),
        "on": request.POST.get("on", ""),
        "source_warning": request.POST.get("source_warning", "") or request.GET.get("warning", ""),
    }
    if values["source_warning"] and not values["source"]:
        values["source"] = "red_warning"
    if request.method == "GET" and re.fullmatch(r"[0-9]{1,18}", values["source_warning"]):
        # From the warnings ledger: the overdue item's department leads, and the title says
        # which item it is, until the office changes them.
        warning = (
            WarningRecord.objects.filter(pk=int(values["source_warning"]), level="red")
            .select_related("clock")
            .first()
        )
        if warning is not None:
            values["lead_unit"] = str(warning.department_id)
            values["title"] = _("Red warning: %(item)s") % {"item": warning.clock}
    if request.method == "POST":
        try:
            warning_id = _int(request, "source_warning", required=False)
            warning = None
            if warning_id is not None:
                warning = WarningRecord.objects.filter(pk=warning_id).first()
                if warning is None:
                    raise InvalidInput(
                        _("No warning has the id %(id)s.") % {"id": warning_id},
                        details={"field": "source_warning"},
                    )
            task = services.supervision_task_create(
                actor=request.user,
                title=values["title"],
                description=values["description"],
                source=values["source"],
                category=values["category"],
                source_reference=values["source_reference"],
                source_warning=warning,
                limit_days=_int(request, "limit_days", required=True) or 0,
                lead_unit=_department(request, "lead_unit"),
                co_units=_departments(request, "co_units"),
                on=_day(request),
            )
        except XiaonengError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Task %(number)s created.") % {"number": task.number})
            return _back(task)
    return render(
        request,
        "supervision/task_form.html",
        {
            "values": values,
            "source_choices": TaskSourceChoice.choices,
            "category_choices": TaskCategoryChoice.choices,
            "units": Department.objects.order_by("code"),
            "today": timezone.localdate(),
        },
    )


# -- the task page ---------------------------------------------------------------------------


@login_required
@require_GET
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One task: its state, clock, units, history and the forms of what the user may do."""
    try:
        data = selectors.task_detail(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None
    task = data.task
    unit_staff: list[User] = []
    if TaskAction.ASSIGN in data.allowed_actions and task.lead_unit_id is not None:
        unit_staff = list(
            User.objects.filter(
                department_id=task.lead_unit_id, role__in=STAFF_ROLES, is_active=True
            ).order_by("username")
        )
    return render(
        request,
        "supervision/task_detail.html",
        {
            "d": data,
            "task": task,
            "state_label": rules.TASK_STATE_LABELS[rules.TaskState(task.state)],
            "actions": [(a.value, rules.TASK_ACTION_LABELS[a]) for a in data.allowed_actions],
            "is_office": rules.TaskCapacity.OFFICE in data.capacities,
            "units": Department.objects.order_by("code")
            if TaskAction.ASSIGN in data.allowed_actions
            else [],
            "co_unit_ids": [u.pk for u in task.co_units.all()],
            "unit_staff": unit_staff,
            "today": timezone.localdate(),
            "history": [
                {
                    "e": e,
                    "label": _event_label(e.action),
                    "to_label": _state_label(e.to_state) if e.to_state != e.from_state else "",
                }
                for e in data.events
            ],
        },
    )


def _event_label(action: str) -> str:
    if action == "create":
        return _("created")
    if action == "record":
        return _("entered from the ledger")
    try:
        return str(rules.TASK_ACTION_LABELS[TaskAction(action)])
    except ValueError:
        return action


def _state_label(state: str) -> str:
    try:
        return str(rules.TASK_STATE_LABELS[rules.TaskState(state)])
    except ValueError:
        return state


@login_required
@require_POST
def task_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Take one step on a task (hand over, progress, result, close out, send back, urge,
    escalate); the service decides whether the user may."""
    task = _task_or_404(request, pk)
    try:
        wanted = TaskAction(action)
    except ValueError:
        raise Http404(_("No such step.")) from None
    user = request.user
    text = request.POST.get("text", "").strip()
    try:
        if wanted == TaskAction.ASSIGN:
            co_units = (
                _departments(request, "co_units") if "co_units_sent" in request.POST else None
            )
            services.supervision_task_assign(
                actor=user,
                task=task,
                lead_unit=_department(request, "lead_unit"),
                co_units=co_units,
                officer=_staff_user(request, "officer"),
                limit_days=_int(request, "limit_days", required=False),
                on=_day(request),
            )
            done = _("Task handed over; its clock is running.")
        elif wanted == TaskAction.PROGRESS:
            services.supervision_task_report_progress(actor=user, task=task, text=text)
            done = _("Progress reported.")
        elif wanted == TaskAction.SUBMIT:
            services.supervision_task_submit(actor=user, task=task, result=text)
            done = _("Result reported to the efficiency office.")
        elif wanted == TaskAction.CLOSE:
            services.supervision_task_close(actor=user, task=task, note=text, on=_day(request))
            done = _("Task closed out.")
        elif wanted == TaskAction.SEND_BACK:
            services.supervision_task_send_back(
                actor=user, task=task, reason=text, on=_day(request)
            )
            done = _("Task sent back.")
        elif wanted == TaskAction.URGE:
            services.supervision_task_urge(actor=user, task=task, text=text, on=_day(request))
            done = _("Urge sent.")
        else:
            services.supervision_task_escalate(actor=user, task=task, reason=text, on=_day(request))
            done = _("Task escalated.")
    except XiaonengError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return _back(task)


urlpatterns: list[URLPattern | URLResolver] = [
    path("supervision/tasks/", task_list, name="task-list"),
    path("supervision/tasks/new/", task_create, name="task-create"),
    path(
        "supervision/tasks/escalate-overdue/",
        tasks_escalate_overdue,
        name="tasks-escalate-overdue",
    ),
    path("supervision/tasks/<int:pk>/", task_detail, name="task-detail"),
    path("supervision/tasks/<int:pk>/<str:action>/", task_act, name="task-act"),
]
