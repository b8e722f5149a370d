"""Every write of supervision tasks (督查督办, claims S18, S22).

Each service owns its transaction, locks the task (``select_for_update``), checks the action
against :data:`xiaoneng.supervision.rules.TASK_EDGES` and the caller's part in the task
(office, unit staff, the lead unit's head; anyone who may not see the task gets
``NotFound``), appends a :class:`~xiaoneng.supervision.models.SupervisionTaskEvent` and an
audit event, and tells the people concerned through
:func:`xiaoneng.notifications.services.notify` in the same transaction (sent only if the
change commits).

The task's time limit is a Clock of kind ``supervision.task`` (the dashboard counts open and
overdue tasks from exactly this kind): started on hand-over (交办) in the lead unit's name,
paused while the office reviews a reported result (the office's review time is not the
unit's), resumed on a send-back, stopped on close-out (销号).

Days: every step counts for a day, today by default. The efficiency office may record its
own steps for a past day (a paper instruction entered a day late), never in the future and
never before the task's previous step; units' steps are always today, so a unit cannot
report a result as if it had come earlier.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xiaoneng.accounts.models import STAFF_ROLES, Department, Role, User
from xiaoneng.clocks import services as clock_services
from xiaoneng.clocks.models import Clock
from xiaoneng.core.errors import InvalidInput, NotFound, PermissionDenied
from xiaoneng.core.masking import mask_text
from xiaoneng.core.services import audit_record
from xiaoneng.notifications.services import notify
from xiaoneng.supervision import rules
from xiaoneng.supervision.models import (
    SupervisionCounter,
    SupervisionTask,
    SupervisionTaskEvent,
)
from xiaoneng.supervision.rules import TaskAction, TaskCapacity, TaskState
from xiaoneng.supervision.selectors import tasks as selectors

logger = logging.getLogger(__name__)

CLOCK_KIND = selectors.CLOCK_KIND
NUMBER_PREFIX = "DB"  # 督办
# Where the people told find the task; written into the notices.
TASK_PATH = "/office/supervision/tasks/{pk}/"
# Urges and escalations are meant to be noticed at once: in-site and by SMS.
URGENT_CHANNELS = ("in_site", "sms")
PLAIN_CHANNELS = ("in_site",)


# -- helpers ---------------------------------------------------------------------------------


@contextmanager
def _site_language() -> Iterator[None]:
    # Notices are stored text read later by someone else, so they are written in the site's
    # language, not in the language of whoever clicked.
    with translation.override(settings.LANGUAGE_CODE):
        yield


def _full_clean(obj: models.Model, *, exclude: Sequence[str] = ()) -> None:
    try:
        # Foreign keys were handed to us as saved rows; constraints are the database's.
        obj.full_clean(exclude=list(exclude), validate_constraints=False)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        text = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items())
        raise InvalidInput(
            _("The supervision task is not valid: %(errors)s") % {"errors": text},
            details={"errors": errors},
        ) from exc


_RELATIONS = [
    "lead_unit",
    "officer",
    "clock",
    "created_by",
    "source_warning",
]


def require_office(actor: Any) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` is the efficiency office."""
    if not selectors.is_office(actor):
        raise PermissionDenied(_("Supervision tasks are created and handed over by the office."))


def check_step_day(
    on: dt.date | None, *, actor: Any, today: dt.date, earliest: dt.date | None, what: str
) -> dt.date:
    """The day a step counts for: today by default; only the office may record a past day.

    Never in the future, never before ``earliest`` (the previous step), so the history stays
    in order. Shared by the accountability services.

    Raises:
        InvalidInput: not a date, in the future, or before ``earliest``.
        PermissionDenied: a past day from someone who is not the efficiency office.
    """
    if on is None:
        return today
    if not isinstance(on, dt.date) or isinstance(on, dt.datetime):
        raise InvalidInput(
            _("%(what)s must be a date, got %(value)r.") % {"what": what, "value": on},
            details={"field": "on"},
        )
    if on > today:
        raise InvalidInput(
            _("%(what)s cannot be in the future: %(on)s is after today, %(today)s.")
            % {"what": what, "on": on.isoformat(), "today": today.isoformat()},
            details={"field": "on", "on": on.isoformat()},
        )
    if on != today and not selectors.is_office(actor):
        raise PermissionDenied(
            _(
                "Only the efficiency office records a step for a past day; "
                "%(what)s is today, %(today)s."
            )
            % {"what": what, "today": today.isoformat()}
        )
    if earliest is not None and on < earliest:
        raise InvalidInput(
            _("%(what)s cannot be before the previous step, on %(earliest)s; got %(on)s.")
            % {"what": what, "earliest": earliest.isoformat(), "on": on.isoformat()},
            details={"field": "on", "on": on.isoformat()},
        )
    return on


def _last_step_on(task: SupervisionTask) -> dt.date | None:
    return (
        SupervisionTaskEvent.objects.filter(task_id=task.pk)
        .order_by("-on")
        .values_list("on", flat=True)
        .first()
    )


def _next_number(prefix: str, year: int) -> str:
    """The next number of ``prefix`` in ``year`` from a locked counter row."""
    counter, _created = SupervisionCounter.objects.select_for_update().get_or_create(
        prefix=prefix, year=year
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return rules.task_number(prefix, year, counter.last)


def _lock(task: SupervisionTask) -> SupervisionTask:
    try:
        return (
            SupervisionTask.objects.select_for_update(of=("self",))
            .select_related("clock", "lead_unit", "officer")
            .get(pk=task.pk)
        )
    except SupervisionTask.DoesNotExist:
        raise NotFound(_("This supervision task does not exist.")) from None


def _sync(target: SupervisionTask, source: SupervisionTask) -> None:
    # The caller's instance shows the new state at once.
    if target is source:
        return
    for f in SupervisionTask._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))
        if f.is_relation and f.is_cached(source):  # type: ignore[attr-defined]
            f.set_cached_value(target, f.get_cached_value(source))  # type: ignore[attr-defined]
    # Co-units may have changed (hand-over); drop a stale prefetch.
    getattr(target, "_prefetched_objects_cache", {}).pop("co_units", None)


def _event(
    *,
    task: SupervisionTask,
    actor: Any,
    action: str,
    on: dt.date,
    before: str,
    text: str = "",
    data: dict[str, Any] | None = None,
) -> SupervisionTaskEvent:
    event = SupervisionTaskEvent(
        task=task,
        actor=actor,
        action=action,
        on=on,
        from_state=before,
        to_state=task.state,
        text=text,
        data=data or {},
    )
    event.save()
    audit_record(
        actor=actor,
        action=f"supervision.task_{action}",
        target=task,
        summary=_("Supervision task %(number)s: %(action)s (%(before)s → %(after)s)")
        % {"number": task.number, "action": action, "before": before or "—", "after": task.state},
        data={
            "from": before,
            "to": task.state,
            "on": on.isoformat(),
            "event": event.pk,
            "text": mask_text(text),
            **(data or {}),
        },
    )
    return event


def _act(
    *, actor: Any, task: SupervisionTask, action: TaskAction, system: bool = False
) -> tuple[SupervisionTask, str, rules.TaskEdge]:
    """Lock the task, check that ``actor`` may take ``action`` now; the locked row, the state
    before and the edge. The caller moves ``state`` and writes."""
    if not system and not selectors.user_may_see_task(actor, task):
        raise NotFound(_("This supervision task does not exist."))
    locked = _lock(task)
    capacities = (
        frozenset({TaskCapacity.SYSTEM}) if system else selectors.task_capacities(actor, locked)
    )

    def refuse(allowed: frozenset[TaskCapacity]) -> PermissionDenied:
        who = ", ".join(str(rules.TASK_CAPACITY_LABELS[c]) for c in sorted(allowed))
        return PermissionDenied(
            _("Only %(who)s may take the step “%(action)s”.")
            % {"who": who, "action": rules.TASK_ACTION_LABELS[action]},
            details={"action": action.value},
        )

    # Someone who may never take this step is told so whatever the state; then the state.
    if not rules.task_action_capacities(action) & capacities:
        raise refuse(rules.task_action_capacities(action))
    edge = rules.task_edge(locked.state, action)
    if not edge.capacities & capacities:
        raise refuse(edge.capacities)
    return locked, locked.state, edge


def _heads_of(department_id: int | None) -> list[User]:
    if department_id is None:
        return []
    return list(
        User.objects.filter(role=Role.HEAD, department_id=department_id, is_active=True).order_by(
            "pk"
        )
    )


def _office_users() -> list[User]:
    return list(User.objects.filter(role=Role.OFFICE, is_active=True).order_by("pk"))


def _unique(users: Iterable[User | None]) -> list[User]:
    seen: set[int] = set()
    out = []
    for user in users:
        if user is not None and user.pk not in seen and user.is_active:
            seen.add(user.pk)
            out.append(user)
    return out


def _unit_contacts(task: SupervisionTask) -> list[User]:
    """The lead unit's heads and the task's responsible officer."""
    return _unique([*_heads_of(task.lead_unit_id), task.officer])


def _tell(
    recipients: Iterable[User],
    *,
    task: SupervisionTask,
    subject: str,
    body: str,
    actor: Any,
    channels: Sequence[str] = PLAIN_CHANNELS,
) -> list[int]:
    told = []
    for user in recipients:
        notify(
            recipient=user,
            subject=subject[:200],
            body=body,
            related=task,
            channels=channels,
            actor=actor,
        )
        told.append(user.pk)
    return told


def _path(task: SupervisionTask) -> str:
    return TASK_PATH.format(pk=task.pk)


def _check_units(lead_unit: Department | None, co_units: Iterable[Department]) -> list[Department]:
    units = []
    seen: set[int] = set()
    for unit in co_units:
        if unit.pk is None:
            raise InvalidInput(_("A co-unit must be a saved department."))
        if lead_unit is not None and unit.pk == lead_unit.pk:
            continue  # the lead unit leads; it is not its own co-unit
        if unit.pk not in seen:
            seen.add(unit.pk)
            units.append(unit)
    return units


def _check_officer(officer: Any, lead_unit: Department) -> None:
    if officer is None:
        return
    if getattr(officer, "role", None) not in STAFF_ROLES or officer.department_id != lead_unit.pk:
        raise InvalidInput(
            _(
                "The responsible officer must be staff of the lead unit %(unit)s; "
                "%(officer)s is not."
            )
            % {"unit": lead_unit.name, "officer": officer},
            details={"field": "officer"},
        )


def _label(task: SupervisionTask) -> str:
    return f"{task.number} {task.title}"[:200]


def _clock_red(clock: Clock | None, today: dt.date) -> bool:
    if clock is None:
        return False
    if clock.state == "running":
        return clock.due_on < today
    return clock.state == "paused" and clock.warning == "red"


# -- create ----------------------------------------------------------------------------------


def _short_text(value: str, *, what: str, field: str, most: int, required: bool = False) -> str:
    """``value`` trimmed, at most ``most`` characters (the column's length)."""
    text = rules.check_text(value, what=what, field=field, required=required)
    if len(text) > most:
        raise InvalidInput(
            _("%(what)s is at most %(max)s characters; got %(n)s.")
            % {"what": what, "max": most, "n": len(text)},
            details={"field": field},
        )
    return text


def _new_task(
    *,
    actor: Any,
    title: str,
    description: str,
    source: str,
    category: str,
    source_reference: str,
    source_warning: Any,
    lead_unit: Department | None,
    limit_days: int,
    created_on: dt.date,
    state: TaskState,
    closed_on: dt.date | None = None,
    result: str = "",
) -> SupervisionTask:
    parsed_source = rules.parse_task_source(source)
    parsed_category = rules.parse_task_category(category)
    if source_warning is not None:
        if parsed_source != rules.TaskSource.RED_WARNING:
            raise InvalidInput(
                _("Only a task from a red warning links to a warning; this one is from %(source)s.")
                % {"source": rules.TASK_SOURCE_LABELS[parsed_source]},
                details={"field": "source_warning"},
            )
        if source_warning.level != "red":
            raise InvalidInput(
                _("A task comes from a red warning (超时); warning %(id)s is %(level)s.")
                % {"id": source_warning.pk, "level": source_warning.get_level_display()},
                details={"field": "source_warning"},
            )
    task = SupervisionTask(
        number=_next_number(NUMBER_PREFIX, created_on.year),
        # Refused when too long, as by the API, rather than cut short without a word.
        title=_short_text(title, what=_("A title"), field="title", most=200, required=True),
        description=rules.check_text(
            description, what=_("The description"), field="description", required=False
        ),
        source=parsed_source.value,
        source_reference=_short_text(
            source_reference, what=_("Source reference"), field="source_reference", most=300
        ),
        source_warning=source_warning,
        category=parsed_category.value,
        lead_unit=lead_unit,
        limit_days=rules.check_limit_days(limit_days),
        state=state.value,
        created_by=actor,
        created_on=created_on,
        closed_on=closed_on,
        result=result,
    )
    _full_clean(task, exclude=_RELATIONS)
    task.save()
    return task


def supervision_task_create(
    *,
    actor: Any,
    title: str,
    source: str,
    limit_days: int,
    description: str = "",
    category: str = "supervision",
    source_reference: str = "",
    source_warning: Any | None = None,
    lead_unit: Department | None = None,
    co_units: Iterable[Department] = (),
    on: dt.date | None = None,
) -> SupervisionTask:
    """The efficiency office opens a supervision task (立项, S22); it is handed over later.

    Args:
        actor: an efficiency office user.
        title: what is to be done.
        source: leader_instruction, media_exposure, hotline_escalation, wenzheng,
            opinion_campaign or red_warning.
        limit_days: working days the unit will have from the hand-over (1–250).
        description: the problem and the requirements.
        category: ``supervision`` (督查) or ``assessment`` (考核), for the yearly counts.
        source_reference: the instruction's number, the report, the ticket number…
        source_warning: for a task from a red warning, the warning it comes from.
        lead_unit, co_units: the units, if already known (they may be given at hand-over).
        on: the day it is created (today; the office may give a past day).

    Raises:
        PermissionDenied: the actor is not the efficiency office.
        InvalidInput: a missing title, an unknown source or category, a bad limit or day.
    """
    require_office(actor)
    today = timezone.localdate()
    day = check_step_day(on, actor=actor, today=today, earliest=None, what=_("The day of creation"))
    with transaction.atomic():
        task = _new_task(
            actor=actor,
            title=title,
            description=description,
            source=source,
            category=category,
            source_reference=source_reference,
            source_warning=source_warning,
            lead_unit=lead_unit,
            limit_days=limit_days,
            created_on=day,
            state=TaskState.CREATED,
        )
        units = _check_units(lead_unit, co_units)
        if units:
            task.co_units.set(units)
        _event(
            task=task,
            actor=actor,
            action="create",
            on=day,
            before="",
            text=task.description,
            data={
                "source": task.source,
                "category": task.category,
                "limit_days": task.limit_days,
                "lead_unit": task.lead_unit_id,
                "co_units": [u.pk for u in units],
            },
        )
    return task


def supervision_task_record_closed(
    *,
    actor: Any,
    title: str,
    source: str,
    limit_days: int,
    lead_unit: Department,
    created_on: dt.date,
    closed_on: dt.date,
    result: str,
    description: str = "",
    category: str = "supervision",
    source_reference: str = "",
) -> SupervisionTask:
    """Enter an item concluded before the platform from the paper ledger (台账补录, S18).

    The task is recorded as closed out, with its clock started on ``created_on`` and stopped
    on ``closed_on``, so the yearly counts and the on-time verdict rest on rows with the real
    dates. The history says it was entered from the ledger and when.

    Raises:
        PermissionDenied: the actor is not the efficiency office.
        InvalidInput: a bad day (``created_on ≤ closed_on ≤ today``), a missing result, or
            anything :func:`supervision_task_create` refuses.
    """
    require_office(actor)
    today = timezone.localdate()
    start = check_step_day(created_on, actor=actor, today=today, earliest=None, what=_("The day"))
    end = check_step_day(
        closed_on, actor=actor, today=today, earliest=start, what=_("The close-out")
    )
    text = rules.check_text(result, what=_("The result"), field="result", required=True)
    if lead_unit is None or lead_unit.pk is None:
        raise InvalidInput(
            _("A recorded task needs its lead unit."), details={"field": "lead_unit"}
        )
    with transaction.atomic():
        task = _new_task(
            actor=actor,
            title=title,
            description=description,
            source=source,
            category=category,
            source_reference=source_reference,
            source_warning=None,
            lead_unit=lead_unit,
            limit_days=limit_days,
            created_on=start,
            state=TaskState.CLOSED,
            closed_on=end,
            result=text,
        )
        clock = clock_services.clock_start(
            actor=actor,
            item=task,
            department=lead_unit,
            kind=CLOCK_KIND,
            limit_days=task.limit_days,
            started_on=start,
            label=_label(task),
        )
        clock = clock_services.clock_stop(actor=actor, clock=clock, on=end)
        task.clock = clock
        task.save(update_fields=["clock"])
        _event(
            task=task,
            actor=actor,
            action="record",
            on=end,
            before="",
            text=text,
            data={
                "created_on": start.isoformat(),
                "closed_on": end.isoformat(),
                "entered_on": today.isoformat(),
                "late": clock.warning == "red",
                "lead_unit": lead_unit.pk,
            },
        )
    return task


# -- hand-over -------------------------------------------------------------------------------


def supervision_task_assign(
    *,
    actor: Any,
    task: SupervisionTask,
    lead_unit: Department | None = None,
    co_units: Iterable[Department] | None = None,
    officer: Any | None = None,
    limit_days: int | None = None,
    on: dt.date | None = None,
) -> SupervisionTask:
    """Hand the task over to its lead unit and co-units (交办, S22); its clock starts.

    The clock (kind ``supervision.task``) runs in the lead unit's name from ``on`` for the
    task's limit; its responsible officer is ``officer`` or else the lead unit's first head.
    The lead unit's heads, the officer and the co-units' heads are told.

    Args:
        lead_unit, co_units, limit_days: replace what was set at creation (the lead unit is
            required here if it was not set then).
        officer: staff of the lead unit answerable for the task (责任人).
        on: the day of the hand-over (today; the office may give a past day).

    Raises:
        NotFound, PermissionDenied, Conflict (not in the state ``created``), InvalidInput.
    """
    today = timezone.localdate()
    with transaction.atomic():
        locked, before, _edge = _act(actor=actor, task=task, action=TaskAction.ASSIGN)
        day = check_step_day(
            on, actor=actor, today=today, earliest=_last_step_on(locked), what=_("The hand-over")
        )
        unit = lead_unit or locked.lead_unit
        if unit is None:
            raise InvalidInput(
                _("Name the lead unit to hand the task over to."), details={"field": "lead_unit"}
            )
        _check_officer(officer, unit)
        if limit_days is not None:
            locked.limit_days = rules.check_limit_days(limit_days)
        units = _check_units(unit, co_units if co_units is not None else locked.co_units.all())
        heads = _heads_of(unit.pk)
        responsible = officer or (heads[0] if heads else None)
        locked.lead_unit = unit
        locked.officer = responsible
        locked.state = rules.task_next_state(before, TaskAction.ASSIGN).value
        clock = clock_services.clock_start(
            actor=actor,
            item=locked,
            department=unit,
            kind=CLOCK_KIND,
            limit_days=locked.limit_days,
            started_on=day,
            label=_label(locked),
            officer=responsible,
        )
        locked.clock = clock
        locked.save(update_fields=["lead_unit", "officer", "limit_days", "state", "clock"])
        locked.co_units.set(units)
        _event(
            task=locked,
            actor=actor,
            action="assign",
            on=day,
            before=before,
            data={
                "lead_unit": unit.pk,
                "co_units": [u.pk for u in units],
                "officer": responsible.pk if responsible else None,
                "limit_days": locked.limit_days,
                "due_on": clock.due_on.isoformat(),
            },
        )
        if responsible is None:
            logger.warning("lead unit %s of task %s has no head to answer for it", unit.pk, task.pk)
        with _site_language():
            subject = _("Supervision task %(number)s handed over to you: due %(due)s") % {
                "number": locked.number,
                "due": clock.due_on.isoformat(),
            }
            body = _(
                "%(title)s\n%(description)s\nLead unit: %(unit)s. Limit: %(n)s working days, "
                "due %(due)s. Report progress and the result: %(path)s"
            ) % {
                "title": locked.title,
                "description": locked.description,
                "unit": unit.name,
                "n": locked.limit_days,
                "due": clock.due_on.isoformat(),
                "path": _path(locked),
            }
        co_heads = [h for u in units for h in _heads_of(u.pk)]
        _tell(
            _unique([*heads, responsible, *co_heads]),
            task=locked,
            subject=subject,
            body=body,
            actor=actor,
        )
    _sync(task, locked)
    return locked


# -- the unit's steps ------------------------------------------------------------------------


def supervision_task_report_progress(
    *, actor: Any, task: SupervisionTask, text: str
) -> SupervisionTask:
    """Staff of the lead unit or a co-unit report progress (进展报送, S18); today.

    The first report moves a handed-over task to ``in_progress``; a sent-back task goes back
    to ``in_progress`` too.

    Raises:
        NotFound: the actor may not see the task.
        PermissionDenied: the actor sees it but is not unit staff (the office does not report).
        Conflict: the task is not handed over, is reported, or is closed.
        InvalidInput: no text.
    """
    body = rules.check_text(text, what=_("A progress report"), field="text", required=True)
    today = timezone.localdate()
    with transaction.atomic():
        locked, before, _edge = _act(actor=actor, task=task, action=TaskAction.PROGRESS)
        locked.state = rules.task_next_state(before, TaskAction.PROGRESS).value
        locked.save(update_fields=["state"])
        _event(
            task=locked,
            actor=actor,
            action="progress",
            on=today,
            before=before,
            text=body,
            data={"department": getattr(actor, "department_id", None)},
        )
    _sync(task, locked)
    return locked


def supervision_task_submit(*, actor: Any, task: SupervisionTask, result: str) -> SupervisionTask:
    """The lead unit's head reports the result (报结, S18); today. The clock pauses.

    The clock pauses (kind ``other``) while the office reviews: the review time is not the
    unit's; a send-back resumes it, a close-out stops it. The office is told.

    Raises:
        NotFound: the actor may not see the task.
        PermissionDenied: the actor is not a head of the lead unit.
        Conflict: the task is not in progress or sent back.
        InvalidInput: no result.
    """
    text = rules.check_text(result, what=_("The result"), field="result", required=True)
    today = timezone.localdate()
    with transaction.atomic():
        locked, before, _edge = _act(actor=actor, task=task, action=TaskAction.SUBMIT)
        locked.state = rules.task_next_state(before, TaskAction.SUBMIT).value
        locked.result = text
        locked.save(update_fields=["state", "result"])
        if locked.clock is not None and locked.clock.state == "running":
            with _site_language():
                reason = _("Result reported (报结); awaiting the efficiency office's review.")
            locked.clock = clock_services.clock_pause(
                actor=actor, clock=locked.clock, on=today, kind="other", reason=reason
            )
        _event(task=locked, actor=actor, action="submit", on=today, before=before, text=text)
        with _site_language():
            subject = _("Supervision task %(number)s: result reported, awaiting your review") % {
                "number": locked.number
            }
            body = _("%(unit)s reported: %(result)s\n%(path)s") % {
                "unit": locked.lead_unit.name if locked.lead_unit else "—",
                "result": text,
                "path": _path(locked),
            }
        _tell(_office_users(), task=locked, subject=subject, body=body, actor=actor)
    _sync(task, locked)
    return locked


# -- the office's review ---------------------------------------------------------------------


def supervision_task_close(
    *, actor: Any, task: SupervisionTask, note: str = "", on: dt.date | None = None
) -> SupervisionTask:
    """The office accepts the result and closes the task out (销号, S22); the clock stops.

    The clock's verdict says whether the result came on time (its stored warning is ``red``
    if it came after the due date). The lead unit's heads and officer are told.

    Raises:
        NotFound, PermissionDenied (not the office), Conflict (no result reported),
        InvalidInput (a bad day).
    """
    text = rules.check_text(note, what=_("The review note"), field="note", required=False)
    today = timezone.localdate()
    with transaction.atomic():
        locked, before, _edge = _act(actor=actor, task=task, action=TaskAction.CLOSE)
        day = check_step_day(
            on, actor=actor, today=today, earliest=_last_step_on(locked), what=_("The close-out")
        )
        locked.state = rules.task_next_state(before, TaskAction.CLOSE).value
        locked.closed_on = day
        locked.save(update_fields=["state", "closed_on"])
        late = False
        if locked.clock is not None and locked.clock.state != "stopped":
            locked.clock = clock_services.clock_stop(actor=actor, clock=locked.clock, on=day)
            late = locked.clock.warning == "red"
        _event(
            task=locked,
            actor=actor,
            action="close",
            on=day,
            before=before,
            text=text,
            data={"late": late},
        )
        with _site_language():
            subject = _("Supervision task %(number)s closed out") % {"number": locked.number}
            body = _("The efficiency office accepted the result on %(day)s. %(note)s") % {
                "day": day.isoformat(),
                "note": text,
            }
        _tell(_unit_contacts(locked), task=locked, subject=subject, body=body, actor=actor)
    _sync(task, locked)
    return locked


def supervision_task_send_back(
    *, actor: Any, task: SupervisionTask, reason: str, on: dt.date | None = None
) -> SupervisionTask:
    """The office sends a reported result back (退回重办, S22); the clock runs on.

    The clock paused at the report resumes on ``on``: the days of the review are not
    counted, and the unit goes on with the days it had left. The lead unit's heads and
    officer are told why.

    Raises:
        NotFound, PermissionDenied (not the office), Conflict (no result reported),
        InvalidInput (no reason, a bad day).
    """
    text = rules.check_text(reason, what=_("The reason"), field="reason", required=True)
    today = timezone.localdate()
    with transaction.atomic():
        locked, before, _edge = _act(actor=actor, task=task, action=TaskAction.SEND_BACK)
        day = check_step_day(
            on, actor=actor, today=today, earliest=_last_step_on(locked), what=_("The send-back")
        )
        locked.state = rules.task_next_state(before, TaskAction.SEND_BACK).value
        if locked.clock is not None and locked.clock.state == "paused":
            locked.clock = clock_services.clock_resume(actor=actor, clock=locked.clock, on=day)
        clock_red = _clock_red(locked.clock, today)
        if rules.red_period_over(clock_red=clock_red, red_escalated=locked.red_escalated):
            locked.red_escalated = False
        locked.save(update_fields=["state", "red_escalated"])
        due = locked.clock.due_on.isoformat() if locked.clock else "—"
        _event(
            task=locked,
            actor=actor,
            action="send_back",
            on=day,
            before=before,
            text=text,
            data={"due_on": due},
        )
        with _site_language():
            subject = _("Supervision task %(number)s sent back: due %(due)s") % {
                "number": locked.number,
                "due": due,
            }
            body = _("The efficiency office sent the result back: %(reason)s\n%(path)s") % {
                "reason": text,
                "path": _path(locked),
            }
        _tell(_unit_contacts(locked), task=locked, subject=subject, body=body, actor=actor)
    _sync(task, locked)
    return locked


def supervision_task_urge(
    *, actor: Any, task: SupervisionTask, text: str = "", on: dt.date | None = None
) -> SupervisionTask:
    """The office urges the unit (催办, S22): counted, and told to its heads and officer.

    Allowed while the unit holds the task (handed over, in progress, sent back). The notice
    goes in-site and by SMS.

    Raises:
        NotFound, PermissionDenied (not the office), Conflict (the unit does not hold it),
        InvalidInput (a bad day).
    """
    body = rules.check_text(text, what=_("The urge notice"), field="text", required=False)
    today = timezone.localdate()
    with transaction.atomic():
        locked, before, _edge = _act(actor=actor, task=task, action=TaskAction.URGE)
        day = check_step_day(
            on, actor=actor, today=today, earliest=_last_step_on(locked), what=_("The urge")
        )
        locked.urge_count += 1
        locked.last_urged_on = day
        locked.save(update_fields=["urge_count", "last_urged_on"])
        recipients = _unit_contacts(locked)
        due = locked.clock.due_on.isoformat() if locked.clock else "—"
        with _site_language():
            subject = _("Urge (催办) no. %(n)s: supervision task %(number)s, due %(due)s") % {
                "n": locked.urge_count,
                "number": locked.number,
                "due": due,
            }
            notice = body or _("Report progress and the result without delay.")
            message = _("%(title)s\n%(notice)s\n%(path)s") % {
                "title": locked.title,
                "notice": notice,
                "path": _path(locked),
            }
        told = _tell(
            recipients,
            task=locked,
            subject=subject,
            body=message,
            actor=actor,
            channels=URGENT_CHANNELS,
        )
        _event(
            task=locked,
            actor=actor,
            action="urge",
            on=day,
            before=before,
            text=body,
            data={"urge_count": locked.urge_count, "told": told},
        )
    _sync(task, locked)
    return locked


# -- escalation ------------------------------------------------------------------------------


def _escalate_locked(
    *, actor: Any, locked: SupervisionTask, before: str, reason: str, day: dt.date, today: dt.date
) -> SupervisionTask:
    clock_red = _clock_red(locked.clock, today)
    locked.escalation_level += 1
    locked.escalated_on = day
    if clock_red:
        locked.red_escalated = True
    locked.save(update_fields=["escalation_level", "escalated_on", "red_escalated"])
    parent_id = locked.lead_unit.parent_id if locked.lead_unit else None
    recipients = _unique([*_unit_contacts(locked), *_office_users(), *_heads_of(parent_id)])
    due = locked.clock.due_on if locked.clock else None
    with _site_language():
        subject = _("Escalated (升级督办, level %(level)s): supervision task %(number)s") % {
            "level": locked.escalation_level,
            "number": locked.number,
        }
        body = _("%(title)s\nLead unit: %(unit)s. Due %(due)s%(late)s.\n%(reason)s\n%(path)s") % {
            "title": locked.title,
            "unit": locked.lead_unit.name if locked.lead_unit else "—",
            "due": due.isoformat() if due else "—",
            "late": _(", overdue") if clock_red else "",
            "reason": reason,
            "path": _path(locked),
        }
    told = _tell(
        recipients, task=locked, subject=subject, body=body, actor=actor, channels=URGENT_CHANNELS
    )
    _event(
        task=locked,
        actor=actor,
        action="escalate",
        on=day,
        before=before,
        text=reason,
        data={
            "level": locked.escalation_level,
            "red": clock_red,
            "due_on": due.isoformat() if due else None,
            "told": told,
            "automatic": actor is None,
        },
    )
    return locked


def supervision_task_escalate(
    *, actor: Any, task: SupervisionTask, reason: str, on: dt.date | None = None
) -> SupervisionTask:
    """The office escalates a task (升级督办, S22): the level rises by one.

    Told to the lead unit's heads and officer, the office, and the heads of the lead unit's
    parent department. Allowed while the unit holds the task; the daily job
    (:func:`supervision_tasks_escalate_overdue`) does the same for red tasks once per red
    period, and skips a task the office already escalated while red.

    Raises:
        NotFound, PermissionDenied (not the office), Conflict (the unit does not hold it),
        InvalidInput (no reason, a bad day).
    """
    text = rules.check_text(reason, what=_("The reason"), field="reason", required=True)
    today = timezone.localdate()
    with transaction.atomic():
        locked, before, _edge = _act(actor=actor, task=task, action=TaskAction.ESCALATE)
        day = check_step_day(
            on, actor=actor, today=today, earliest=_last_step_on(locked), what=_("The escalation")
        )
        _escalate_locked(
            actor=actor, locked=locked, before=before, reason=text, day=day, today=today
        )
    _sync(task, locked)
    return locked


def supervision_tasks_escalate_overdue(
    *, today: dt.date | None = None, actor: Any | None = None
) -> list[SupervisionTask]:
    """Escalate every task whose clock is red, once per red period (升级督办, S22).

    Run on schedule (``SCHEDULED_JOBS``) and by the office on demand. A task escalates when
    the unit holds it and its clock is red today (:func:`rules.escalation_due`); the mark
    ``red_escalated`` keeps a second run from escalating it again, and is cleared for tasks
    whose clock is no longer red, so a later red period escalates again. Each task is its own
    transaction: one failure does not hold up the others.

    Args:
        today: the day to judge on (Asia/Shanghai today by default).
        actor: the office user who asked for the run, or ``None`` for the scheduler.

    Returns:
        The tasks escalated by this run.

    Raises:
        PermissionDenied: ``actor`` is given and is not the efficiency office.
    """
    if actor is not None:
        require_office(actor)
    day = today or timezone.localdate()
    with transaction.atomic():
        cleared = list(selectors.tasks_red_period_over(today=day).values_list("pk", flat=True))
        if cleared:
            SupervisionTask.objects.filter(pk__in=cleared).update(red_escalated=False)
            audit_record(
                actor=actor,
                action="supervision.tasks_red_period_over",
                summary=_("%(n)s supervision tasks are no longer red") % {"n": len(cleared)},
                data={"tasks": cleared, "today": day.isoformat()},
            )
    escalated: list[SupervisionTask] = []
    for pk in list(selectors.tasks_to_escalate(today=day).values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                locked = _lock(SupervisionTask(pk=pk))
                clock_red = _clock_red(locked.clock, day)
                if not rules.escalation_due(
                    state=locked.state, clock_red=clock_red, red_escalated=locked.red_escalated
                ):
                    continue  # changed since the query (closed, escalated by the office)
                with _site_language():
                    reason = _("The task is overdue: its clock was due on %(due)s.") % {
                        "due": locked.clock.due_on.isoformat() if locked.clock else "—"
                    }
                escalated.append(
                    _escalate_locked(
                        actor=actor,
                        locked=locked,
                        before=locked.state,
                        reason=reason,
                        day=day,
                        today=day,
                    )
                )
        except Exception:  # one task's failure must not hold up the others
            logger.exception("escalating supervision task %s failed", pk)
    return escalated


__all__ = [
    "CLOCK_KIND",
    "check_step_day",
    "require_office",
    "supervision_task_assign",
    "supervision_task_close",
    "supervision_task_create",
    "supervision_task_escalate",
    "supervision_task_record_closed",
    "supervision_task_report_progress",
    "supervision_task_send_back",
    "supervision_task_submit",
    "supervision_task_urge",
    "supervision_tasks_escalate_overdue",
]
