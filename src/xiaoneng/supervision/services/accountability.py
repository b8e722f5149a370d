"""Every write of accountability cases (问责, claim S24).

The efficiency office opens a case from a supervision task or an overdue item, records the
investigation (调查记录, as many as needed), the findings with the responsible unit and person
(查明事实、认定责任), proposes the handling (处理建议) and decides (处理决定, final). The
responsible unit's head may make a statement (申辩) before the decision. Each step checks
:data:`xiaoneng.supervision.rules.CASE_EDGES`, locks the case, appends an
:class:`~xiaoneng.supervision.models.AccountabilityEntry` and an audit event in one
transaction; opening and the decision are told to the unit's heads (and the decision to the
responsible person, when they have an account).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.accounts.models import STAFF_ROLES, Department, Role, User
from xiaoneng.clocks.models import Clock
from xiaoneng.core.errors import InvalidInput, NotFound, PermissionDenied
from xiaoneng.core.masking import mask_text
from xiaoneng.core.services import audit_record
from xiaoneng.notifications.services import notify
from xiaoneng.supervision import rules
from xiaoneng.supervision.models import (
    AccountabilityCase,
    AccountabilityEntry,
    CaseStateChoice,
    SupervisionTask,
)
from xiaoneng.supervision.rules import CaseAction, CaseCapacity, TaskState
from xiaoneng.supervision.selectors import accountability as selectors
from xiaoneng.supervision.selectors.tasks import is_office
from xiaoneng.supervision.services.tasks import _next_number, _site_language, check_step_day

TITLE_MAX = 200  # AccountabilityCase.title's length

NUMBER_PREFIX = "WZ"  # 问责
CASE_PATH = "/office/accountability/cases/{pk}/"


# -- helpers ---------------------------------------------------------------------------------


def _full_clean(case: AccountabilityCase) -> None:
    try:
        case.full_clean(
            exclude=[
                "task",
                "clock",
                "responsible_unit",
                "opened_by",
                "responsible_person",
                "decided_by",
            ],
            validate_constraints=False,
        )
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        text = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items())
        raise InvalidInput(
            _("The accountability case is not valid: %(errors)s") % {"errors": text},
            details={"errors": errors},
        ) from exc


def _lock(case: AccountabilityCase) -> AccountabilityCase:
    try:
        return (
            AccountabilityCase.objects.select_for_update(of=("self",))
            .select_related("responsible_unit")
            .get(pk=case.pk)
        )
    except AccountabilityCase.DoesNotExist:
        raise NotFound(_("This accountability case does not exist.")) from None


def _sync(target: AccountabilityCase, source: AccountabilityCase) -> None:
    if target is source:
        return
    for f in AccountabilityCase._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))
        if f.is_relation and f.is_cached(source):  # type: ignore[attr-defined]
            f.set_cached_value(target, f.get_cached_value(source))  # type: ignore[attr-defined]


def _last_entry_on(case: AccountabilityCase) -> dt.date | None:
    return (
        AccountabilityEntry.objects.filter(case_id=case.pk)
        .order_by("-on")
        .values_list("on", flat=True)
        .first()
    )


def _act(
    *, actor: Any, case: AccountabilityCase, action: CaseAction
) -> tuple[AccountabilityCase, str]:
    """Lock the case and check that ``actor`` may take ``action`` now."""
    if not selectors.user_may_see_case(actor, case):
        raise NotFound(_("This accountability case does not exist."))
    locked = _lock(case)
    capacities = selectors.case_capacities(actor, locked)
    # Someone who may never take this step is told so whatever the state; then the state.
    if not rules.case_action_capacities(action) & capacities:
        who = (
            _("the efficiency office")
            if CaseCapacity.OFFICE in rules.case_action_capacities(action)
            else _("a head of the responsible unit")
        )
        raise PermissionDenied(
            _("Only %(who)s may take the step “%(action)s” in this case.")
            % {"who": who, "action": rules.CASE_ACTION_LABELS[action]},
            details={"action": action.value},
        )
    rules.case_edge(locked.state, action)
    return locked, locked.state


def _entry(
    *,
    case: AccountabilityCase,
    actor: Any,
    kind: str,
    on: dt.date,
    before: str,
    text: str,
    handling: str = "",
    data: dict[str, Any] | None = None,
) -> AccountabilityEntry:
    entry = AccountabilityEntry(
        case=case,
        kind=kind,
        actor=actor,
        on=on,
        from_state=before,
        to_state=case.state,
        text=text,
        handling=handling,
        data=data or {},
    )
    entry.save()
    audit_record(
        actor=actor,
        action=f"supervision.case_{kind}",
        target=case,
        summary=_("Accountability case %(number)s: %(kind)s (%(before)s → %(after)s)")
        % {"number": case.number, "kind": kind, "before": before or "—", "after": case.state},
        data={
            "from": before,
            "to": case.state,
            "on": on.isoformat(),
            "entry": entry.pk,
            "handling": handling,
            "text": mask_text(text),
            **(data or {}),
        },
    )
    return entry


def _heads_of(department_id: int) -> list[User]:
    return list(
        User.objects.filter(role=Role.HEAD, department_id=department_id, is_active=True).order_by(
            "pk"
        )
    )


def _tell(
    recipients: Iterable[User], *, case: AccountabilityCase, subject: str, body: str, actor: Any
) -> list[int]:
    told: list[int] = []
    for user in recipients:
        if user.pk in told or not user.is_active:
            continue
        notify(
            recipient=user,
            subject=subject[:200],
            body=body,
            related=case,
            channels=("in_site",),
            actor=actor,
        )
        told.append(user.pk)
    return told


def _clock_overdue(clock: Clock, today: dt.date) -> bool:
    # Overdue now (running past its due date, paused while red) or concluded late (stopped
    # red): docs/clock.md §4.
    if clock.state == "running":
        return clock.due_on < today
    return clock.warning == "red"


# -- open ------------------------------------------------------------------------------------


def require_case_opener(actor: Any) -> None:
    """Only the efficiency office opens an accountability case (S24).

    Raises:
        PermissionDenied: any other role.
    """
    if not is_office(actor):
        raise PermissionDenied(_("Accountability cases are opened by the efficiency office."))


def accountability_case_open(
    *,
    actor: Any,
    reason: str,
    task: SupervisionTask | None = None,
    clock: Clock | None = None,
    responsible_unit: Department | None = None,
    title: str = "",
    on: dt.date | None = None,
) -> AccountabilityCase:
    """The office opens an accountability case (问责立案, S24) from a task or an overdue item.

    Args:
        actor: an efficiency office user.
        reason: why accountability is pursued (问责事由).
        task: the supervision task it comes from (handed over at least), or ``None``.
        clock: the overdue item's clock (red now, or concluded late), or ``None``; at least
            one of ``task`` and ``clock``.
        responsible_unit: the unit answerable; by default the task's lead unit, else the
            clock's department.
        title: by default the task's title or the clock's label.
        on: the day it is opened (today; the office may give a past day).

    Raises:
        PermissionDenied: not the efficiency office.
        InvalidInput: neither a task nor a clock, a task not handed over, a clock that is not
            overdue, no reason, a bad day.
    """
    require_case_opener(actor)
    if task is None and clock is None:
        raise InvalidInput(
            _("A case comes from a supervision task or an overdue item; neither was given."),
            details={"field": "task"},
        )
    text = rules.check_text(reason, what=_("The reason"), field="reason", required=True)
    today = timezone.localdate()
    earliest = None
    if task is not None:
        if task.state == TaskState.CREATED:
            raise InvalidInput(
                _("Task %(number)s is not handed over yet; nobody answers for it.")
                % {"number": task.number},
                details={"field": "task"},
            )
        earliest = task.created_on
    if clock is not None and not _clock_overdue(clock, today):
        raise InvalidInput(
            _("The item %(label)s is not overdue (due %(due)s); a case comes from an overdue item.")
            % {"label": clock, "due": clock.due_on.isoformat()},
            details={"field": "clock"},
        )
    unit = responsible_unit or (task.lead_unit if task is not None else None)
    if unit is None and clock is not None:
        unit = clock.department
    if unit is None:
        raise InvalidInput(_("Name the responsible unit."), details={"field": "responsible_unit"})
    day = check_step_day(on, actor=actor, today=today, earliest=earliest, what=_("The opening"))
    heading = (title or "").strip()
    if len(heading) > TITLE_MAX:  # a title typed is refused, not cut; a default one is cut
        raise InvalidInput(
            _("%(what)s is at most %(max)s characters; got %(n)s.")
            % {"what": _("A title"), "max": TITLE_MAX, "n": len(heading)},
            details={"field": "title"},
        )
    heading = heading or (task.title if task is not None else str(clock))
    with transaction.atomic():
        case = AccountabilityCase(
            number=_next_number(NUMBER_PREFIX, day.year),
            title=heading[:TITLE_MAX],
            task=task,
            clock=clock,
            responsible_unit=unit,
            state=CaseStateChoice.OPENED,
            reason=text,
            opened_by=actor,
            opened_on=day,
        )
        _full_clean(case)
        case.save()
        _entry(
            case=case,
            actor=actor,
            kind="open",
            on=day,
            before="",
            text=text,
            data={
                "task": task.pk if task is not None else None,
                "clock": clock.pk if clock is not None else None,
                "responsible_unit": unit.pk,
            },
        )
        with _site_language():
            subject = _("Accountability case %(number)s opened concerning %(unit)s") % {
                "number": case.number,
                "unit": unit.name,
            }
            body = _("%(title)s\n%(reason)s\n%(path)s") % {
                "title": case.title,
                "reason": text,
                "path": CASE_PATH.format(pk=case.pk),
            }
        _tell(_heads_of(unit.pk), case=case, subject=subject, body=body, actor=actor)
    return case


# -- the office's steps ----------------------------------------------------------------------


def accountability_case_investigate(
    *, actor: Any, case: AccountabilityCase, text: str, on: dt.date | None = None
) -> AccountabilityCase:
    """Add an investigation record (调查记录, S24): who was asked, what was seen.

    Raises:
        NotFound, PermissionDenied (not the office), Conflict (findings already recorded or
        decided), InvalidInput (no text, a bad day).
    """
    body = rules.check_text(text, what=_("The investigation record"), field="text", required=True)
    today = timezone.localdate()
    with transaction.atomic():
        locked, before = _act(actor=actor, case=case, action=CaseAction.INVESTIGATE)
        day = check_step_day(
            on, actor=actor, today=today, earliest=_last_entry_on(locked), what=_("The record")
        )
        locked.state = rules.case_next_state(before, CaseAction.INVESTIGATE).value
        locked.save(update_fields=["state"])
        _entry(case=locked, actor=actor, kind="investigate", on=day, before=before, text=body)
    _sync(case, locked)
    return locked


def accountability_case_record_findings(
    *,
    actor: Any,
    case: AccountabilityCase,
    findings: str,
    person_name: str = "",
    person_position: str = "",
    person: Any | None = None,
    responsible_unit: Department | None = None,
    on: dt.date | None = None,
) -> AccountabilityCase:
    """Record the facts established and who is responsible (查明事实、认定责任, S24).

    Args:
        findings: the facts established.
        person_name, person_position: the responsible person as found (free text); the name
            defaults to ``person``'s when an account is given.
        person: the responsible person's account, if they have one (staff of the unit).
        responsible_unit: the unit found responsible, if not the one the case was opened
            against (its staff then see the case instead).

    Raises:
        NotFound, PermissionDenied (not the office), Conflict (not under investigation, or
        handling already proposed), InvalidInput (no findings, no responsible person, an
        account that is not staff of the unit, a bad day).
    """
    body = rules.check_text(findings, what=_("The findings"), field="findings", required=True)
    today = timezone.localdate()
    with transaction.atomic():
        locked, before = _act(actor=actor, case=case, action=CaseAction.RECORD_FINDINGS)
        day = check_step_day(
            on, actor=actor, today=today, earliest=_last_entry_on(locked), what=_("The findings")
        )
        unit = responsible_unit or locked.responsible_unit
        if person is not None and (
            getattr(person, "role", None) not in STAFF_ROLES or person.department_id != unit.pk
        ):
            raise InvalidInput(
                _("The responsible person's account must be staff of %(unit)s; %(person)s is not.")
                % {"unit": unit.name, "person": person},
                details={"field": "person"},
            )
        name = (person_name or "").strip() or (str(person) if person is not None else "")
        if not name:
            raise InvalidInput(
                _("Name the responsible person (责任人)."), details={"field": "person_name"}
            )
        locked.state = rules.case_next_state(before, CaseAction.RECORD_FINDINGS).value
        previous_unit = locked.responsible_unit_id
        locked.responsible_unit = unit
        locked.findings = body
        locked.responsible_person_name = name[:100]
        locked.responsible_person_position = (person_position or "").strip()[:100]
        locked.responsible_person = person
        _full_clean(locked)
        locked.save(
            update_fields=[
                "state",
                "responsible_unit",
                "findings",
                "responsible_person_name",
                "responsible_person_position",
                "responsible_person",
            ]
        )
        _entry(
            case=locked,
            actor=actor,
            kind="record_findings",
            on=day,
            before=before,
            text=body,
            data={
                "responsible_unit": unit.pk,
                "previous_unit": previous_unit if previous_unit != unit.pk else None,
                "person_name": locked.responsible_person_name,
                "person_position": locked.responsible_person_position,
                "person": person.pk if person is not None else None,
            },
        )
    _sync(case, locked)
    return locked


def accountability_case_propose(
    *,
    actor: Any,
    case: AccountabilityCase,
    handling: str,
    text: str,
    on: dt.date | None = None,
) -> AccountabilityCase:
    """Propose the handling (处理建议, S24): 约谈, 通报批评, 诫勉谈话, 责令检查, 移交纪检监察…

    May be revised until the decision; the latest is kept on the case, every one in the
    history.

    Raises:
        NotFound, PermissionDenied (not the office), Conflict (no findings yet, or decided),
        InvalidInput (an unknown handling, no text, a bad day).
    """
    kind = rules.parse_handling(handling)
    body = rules.check_text(text, what=_("The proposal"), field="text", required=True)
    today = timezone.localdate()
    with transaction.atomic():
        locked, before = _act(actor=actor, case=case, action=CaseAction.PROPOSE)
        day = check_step_day(
            on, actor=actor, today=today, earliest=_last_entry_on(locked), what=_("The proposal")
        )
        locked.state = rules.case_next_state(before, CaseAction.PROPOSE).value
        locked.proposed_handling = kind.value
        locked.proposal = body
        locked.save(update_fields=["state", "proposed_handling", "proposal"])
        _entry(
            case=locked,
            actor=actor,
            kind="propose",
            on=day,
            before=before,
            text=body,
            handling=kind.value,
        )
    _sync(case, locked)
    return locked


def accountability_case_decide(
    *,
    actor: Any,
    case: AccountabilityCase,
    decision: str,
    text: str,
    on: dt.date | None = None,
) -> AccountabilityCase:
    """Decide the case (处理决定, S24): final; the case is closed.

    The decision may differ from the proposal (the text says why). The unit's heads, and the
    responsible person when they have an account, are told.

    Raises:
        NotFound, PermissionDenied (not the office), Conflict (no proposal yet, or decided),
        InvalidInput (an unknown decision, no text, a bad day).
    """
    kind = rules.parse_handling(decision, field="decision")
    body = rules.check_text(text, what=_("The decision"), field="text", required=True)
    today = timezone.localdate()
    with transaction.atomic():
        locked, before = _act(actor=actor, case=case, action=CaseAction.DECIDE)
        day = check_step_day(
            on, actor=actor, today=today, earliest=_last_entry_on(locked), what=_("The decision")
        )
        locked.state = rules.case_next_state(before, CaseAction.DECIDE).value
        locked.decision = kind.value
        locked.decision_text = body
        locked.decided_on = day
        locked.decided_by = actor
        locked.save(
            update_fields=["state", "decision", "decision_text", "decided_on", "decided_by"]
        )
        _entry(
            case=locked,
            actor=actor,
            kind="decide",
            on=day,
            before=before,
            text=body,
            handling=kind.value,
            data={"as_proposed": kind.value == locked.proposed_handling},
        )
        with _site_language():
            subject = _("Accountability case %(number)s decided: %(decision)s") % {
                "number": locked.number,
                "decision": rules.HANDLING_LABELS[kind],
            }
            message = _("%(title)s\n%(text)s\n%(path)s") % {
                "title": locked.title,
                "text": body,
                "path": CASE_PATH.format(pk=locked.pk),
            }
        recipients = _heads_of(locked.responsible_unit_id)
        if locked.responsible_person is not None:
            recipients.append(locked.responsible_person)
        _tell(recipients, case=locked, subject=subject, body=message, actor=actor)
    _sync(case, locked)
    return locked


# -- the unit's statement --------------------------------------------------------------------


def accountability_case_add_statement(
    *, actor: Any, case: AccountabilityCase, text: str
) -> AccountabilityCase:
    """A head of the responsible unit makes a statement (申辩) before the decision; today.

    The statement joins the history; the state does not change. The office is told.

    Raises:
        NotFound: the actor may not see the case.
        PermissionDenied: the actor sees it but is not a head of the responsible unit.
        Conflict: not under investigation, findings or proposal (before the investigation
            starts there is nothing to answer; after the decision it is too late).
        InvalidInput: no text.
    """
    body = rules.check_text(text, what=_("The statement"), field="text", required=True)
    today = timezone.localdate()
    with transaction.atomic():
        locked, before = _act(actor=actor, case=case, action=CaseAction.STATEMENT)
        _entry(case=locked, actor=actor, kind="statement", on=today, before=before, text=body)
        with _site_language():
            subject = _("Statement (申辩) in accountability case %(number)s") % {
                "number": locked.number
            }
        office = User.objects.filter(role=Role.OFFICE, is_active=True).order_by("pk")
        _tell(office, case=locked, subject=subject, body=body, actor=actor)
    _sync(case, locked)
    return locked


__all__ = [
    "accountability_case_add_statement",
    "accountability_case_decide",
    "accountability_case_investigate",
    "accountability_case_open",
    "accountability_case_propose",
    "accountability_case_record_findings",
    "require_case_opener",
]
