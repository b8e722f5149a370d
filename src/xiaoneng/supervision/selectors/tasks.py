"""Reads of supervision tasks: the access function, lists, the detail page, yearly counts.

Access (STYLE.md habit 5), one rule used by every page and API view:

* the efficiency office (and administrators) see every task;
* staff (window officers, reviewers, heads) of the lead unit or a co-unit see a task once it
  is handed over (a task not handed over yet is the office's draft);
* anyone else gets :class:`~xiaoneng.core.errors.NotFound`, the same answer as for a task
  that does not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.accounts.models import STAFF_ROLES, Role
from xiaoneng.clocks.models import StateChoice as ClockState
from xiaoneng.clocks.models import WarningChoice
from xiaoneng.clocks.selectors import ClockDict, clock_as_dict
from xiaoneng.core.errors import InvalidInput, NotFound
from xiaoneng.supervision import rules
from xiaoneng.supervision.models import (
    SupervisionTask,
    SupervisionTaskEvent,
    TaskCategoryChoice,
    TaskSourceChoice,
    TaskStateChoice,
)
from xiaoneng.supervision.rules import TaskAction, TaskCapacity, TaskState

CLOCK_KIND = "supervision.task"

# -- access ----------------------------------------------------------------------------------


def is_office(user: Any) -> bool:
    """The efficiency office, administrators and superusers."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_office", False))


def may_see_supervision(user: Any) -> bool:
    """Who works with supervision tasks and accountability cases at all: the office and
    department staff. Pages and list APIs refuse everyone else with 403 (citizens,
    enterprises, partners can never hold one), rather than answer an empty list."""
    return is_office(user) or (
        bool(getattr(user, "is_authenticated", False))
        and getattr(user, "role", None) in STAFF_ROLES
    )


def _staff_department(user: Any) -> int | None:
    if not getattr(user, "is_authenticated", False):
        return None
    if getattr(user, "role", None) not in STAFF_ROLES:
        return None
    return getattr(user, "department_id", None)


def _co_unit_ids(task: SupervisionTask) -> set[int]:
    # Uses the prefetched co-units when the selector loaded them; one query otherwise.
    return {d.pk for d in task.co_units.all()}


def task_capacities(user: Any, task: SupervisionTask) -> frozenset[TaskCapacity]:
    """The parts ``user`` plays for ``task``: office, unit staff, the lead unit's head.

    Unit staff are the staff of the lead unit and the co-units once the task is handed over;
    the lead unit's head is a head of the lead unit (claim S22: the unit answers for the task).
    """
    found: set[TaskCapacity] = set()
    if is_office(user):
        found.add(TaskCapacity.OFFICE)
    department = _staff_department(user)
    if department is not None and task.state != TaskState.CREATED:
        if department == task.lead_unit_id or department in _co_unit_ids(task):
            found.add(TaskCapacity.UNIT_STAFF)
        if department == task.lead_unit_id and user.role == Role.HEAD:
            found.add(TaskCapacity.LEAD_HEAD)
    return frozenset(found)


def user_may_see_task(user: Any, task: SupervisionTask) -> bool:
    """The rule of :func:`tasks_for_user` for one row already loaded."""
    return bool(task_capacities(user, task))


def task_actions_for_user(user: Any, task: SupervisionTask) -> list[TaskAction]:
    """What ``user`` may do to ``task`` now (for pages and the API's ``allowed_actions``)."""
    return rules.task_actions_for(task.state, task_capacities(user, task))


def _base() -> QuerySet[SupervisionTask]:
    return SupervisionTask.objects.select_related(
        "lead_unit", "lead_unit__parent", "officer", "clock", "created_by", "source_warning"
    ).prefetch_related("co_units", "clock__pauses")


def _visible(user: Any, qs: QuerySet[SupervisionTask]) -> QuerySet[SupervisionTask]:
    if is_office(user):
        return qs
    department = _staff_department(user)
    if department is None:
        return qs.none()
    through = SupervisionTask.co_units.through
    assisted = through.objects.filter(department_id=department).values("supervisiontask_id")
    return qs.exclude(state=TaskState.CREATED).filter(
        Q(lead_unit_id=department) | Q(pk__in=assisted)
    )


def overdue_q(today: dt.date, prefix: str = "clock__") -> Q:
    """Tasks whose clock is red today: running past its due date, or paused while red.

    The same rule as :func:`xiaoneng.clocks.selectors.clocks_late`, by date, so it is right
    before the warning scan has moved the stored warning forward.
    """
    return Q(**{f"{prefix}state": ClockState.RUNNING, f"{prefix}due_on__lt": today}) | Q(
        **{f"{prefix}state": ClockState.PAUSED, f"{prefix}warning": WarningChoice.RED}
    )


def _choice(value: str | None, known: list[str], name: str) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if text not in known:
        raise InvalidInput(
            _("'%(name)s' is one of %(known)s, got %(value)r.")
            % {"name": name, "known": ", ".join(known), "value": text},
            details={"parameter": name, "value": text},
        )
    return text


def tasks_for_user(
    user: Any,
    *,
    state: str | None = None,
    source: str | None = None,
    category: str | None = None,
    unit: int | str | None = None,
    overdue: bool | None = None,
    today: dt.date | None = None,
) -> QuerySet[SupervisionTask]:
    """The tasks ``user`` may see, newest first, filtered.

    Args:
        user: the caller.
        state, source, category: only these values (``None`` or empty: all).
        unit: only tasks led or assisted by this department id.
        overdue: ``True`` only open tasks whose clock is red today; ``False`` only the others.
        today: the day "overdue" is judged on (Asia/Shanghai today by default).

    Raises:
        InvalidInput: an unknown state, source or category, or a unit that is not a number.
    """
    qs = _visible(user, _base())
    state = _choice(state, TaskStateChoice.values, "state")
    source = _choice(source, TaskSourceChoice.values, "source")
    category = _choice(category, TaskCategoryChoice.values, "category")
    if state:
        qs = qs.filter(state=state)
    if source:
        qs = qs.filter(source=source)
    if category:
        qs = qs.filter(category=category)
    if unit not in (None, ""):
        try:
            unit_id = int(str(unit))
            if not -(2**63) <= unit_id < 2**63:  # no id column holds it: the database would fail
                raise ValueError(unit)
        except ValueError:
            raise InvalidInput(
                _("'unit' is a department id, got %(value)r.") % {"value": unit},
                details={"parameter": "unit"},
            ) from None
        through = SupervisionTask.co_units.through
        assisted = through.objects.filter(department_id=unit_id).values("supervisiontask_id")
        qs = qs.filter(Q(lead_unit_id=unit_id) | Q(pk__in=assisted))
    if overdue is not None:
        late = overdue_q(today or timezone.localdate()) & ~Q(state=TaskState.CLOSED)
        qs = qs.filter(late) if overdue else qs.exclude(late)
    return qs.order_by("-created_on", "-id")


def task_for_user(user: Any, task_id: int | str) -> SupervisionTask:
    """One task ``user`` may see: the access function every view uses.

    Raises:
        NotFound: no such task, or the caller may not see it (the same answer).
    """
    try:
        pk = int(task_id)
    except (TypeError, ValueError):
        raise NotFound(_("This supervision task does not exist.")) from None
    task = _base().filter(pk=pk).first()
    if task is None or not user_may_see_task(user, task):
        raise NotFound(_("This supervision task does not exist."))
    return task


# -- the detail ------------------------------------------------------------------------------


@dataclass
class TaskDetail:
    """What the task page and the API show: the task, its clock today, history, actions."""

    task: SupervisionTask
    clock: ClockDict | None
    events: list[SupervisionTaskEvent]
    allowed_actions: list[TaskAction]
    capacities: frozenset[TaskCapacity]
    cases: list[Any] = field(default_factory=list)


def task_events(task: SupervisionTask) -> list[SupervisionTaskEvent]:
    """The task's history, oldest first."""
    return list(task.events.select_related("actor").order_by("at", "id"))


def task_clock(task: SupervisionTask, *, today: dt.date | None = None) -> ClockDict | None:
    """The figures of the task's clock for ``today``, or ``None`` before the hand-over."""
    if task.clock is None:
        return None
    return clock_as_dict(task.clock, today=today)


def task_detail(user: Any, task_id: int | str, *, today: dt.date | None = None) -> TaskDetail:
    """The task page's data, through the access function.

    Raises:
        NotFound: as :func:`task_for_user`.
    """
    from xiaoneng.supervision.selectors.accountability import cases_for_user

    task = task_for_user(user, task_id)
    capacities = task_capacities(user, task)
    return TaskDetail(
        task=task,
        clock=task_clock(task, today=today),
        events=task_events(task),
        allowed_actions=rules.task_actions_for(task.state, capacities),
        capacities=capacities,
        cases=list(cases_for_user(user).filter(task=task)),
    )


def tasks_to_escalate(*, today: dt.date) -> QuerySet[SupervisionTask]:
    """Tasks the unit holds whose clock is red today and that were not escalated in this red
    period (:func:`rules.escalation_due`, as a query), oldest due first."""
    return (
        SupervisionTask.objects.filter(
            overdue_q(today), state__in=list(rules.UNIT_HOLDS), red_escalated=False
        )
        .select_related("clock")
        .order_by("clock__due_on", "id")
    )


def tasks_red_period_over(*, today: dt.date) -> QuerySet[SupervisionTask]:
    """Tasks marked escalated in a red period whose clock is no longer red
    (:func:`rules.red_period_over`, as a query)."""
    return SupervisionTask.objects.filter(red_escalated=True).exclude(overdue_q(today))


# -- yearly counts (S18) ---------------------------------------------------------------------


def supervision_yearly_counts(*, category: str | None = None) -> list[dict[str, Any]]:
    """Supervision and assessment items per year, by the year they were created (S18).

    Counted from the task rows (real rows: items concluded before the platform are recorded
    from the ledger, 台账补录, with their real dates). Only years that have items appear;
    ``change_vs_previous`` is :func:`rules.year_on_year_change` against the year before when
    that year has items, else ``None``.

    Args:
        category: ``"supervision"`` or ``"assessment"`` to count only those items in ``total``
            and its change; ``None`` counts both.

    Returns:
        ``[{"year", "supervision", "assessment", "total", "change_vs_previous"}]``, oldest
        year first; the change is a fraction (−0.729 = −72.9 %).

    Raises:
        InvalidInput: an unknown category.
    """
    wanted = _choice(category, TaskCategoryChoice.values, "category")
    rows = (
        SupervisionTask.objects.annotate(year=ExtractYear("created_on"))
        .values("year")
        .annotate(
            supervision=Count("pk", filter=Q(category=TaskCategoryChoice.SUPERVISION)),
            assessment=Count("pk", filter=Q(category=TaskCategoryChoice.ASSESSMENT)),
        )
        .order_by("year")
    )
    by_year: dict[int, dict[str, Any]] = {}
    for row in rows:
        total = row[wanted] if wanted else row["supervision"] + row["assessment"]
        by_year[row["year"]] = {
            "year": row["year"],
            "supervision": row["supervision"],
            "assessment": row["assessment"],
            "total": total,
            "change_vs_previous": None,
        }
    for year, entry in by_year.items():
        previous = by_year.get(year - 1)
        if previous is not None:
            entry["change_vs_previous"] = rules.year_on_year_change(
                previous["total"], entry["total"]
            )
    return list(by_year.values())
