"""Pure rules of supervision tasks (督查督办) and accountability cases (问责), as data.

No database here: the services load rows, ask these functions, and write the answers.

* **Supervision task** (督查督办, claims S18, S22): the efficiency office creates a task from a
  source (a leader's instruction, a media exposure, a hotline escalation, the 效能问政
  programme, the 万民千企议效能 campaign, a red warning), hands it over (交办) to a lead unit
  and co-units, which post progress and report the result (报结); the office closes it out
  (销号) or sends it back. While the unit holds it the office may urge (催办) and escalate
  (升级督办) it. :data:`TASK_EDGES` is the table; each edge names who may take it and why.
* **Accountability case** (问责, claim S24): opened by the office from a supervision task or
  an overdue item; investigation records (调查记录), findings (查明事实) with the responsible
  unit and person, a proposed handling (处理建议) and a final decision (处理决定).
  :data:`CASE_EDGES` is the table.
* **Yearly counts**: :func:`year_on_year_change` gives the change of the number of supervision
  and assessment items from one year to the next (S18: −72.9 %).

Anything not in a table is a :class:`~xiaoneng.core.errors.Conflict` (HTTP 409) whose message
names the current state, the action asked and what is allowed now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.core.errors import Conflict, InvalidInput

# -- supervision tasks -----------------------------------------------------------------------


class TaskSource(StrEnum):
    """Where a supervision task comes from (督办来源)."""

    LEADER_INSTRUCTION = "leader_instruction"  # 领导批示
    MEDIA_EXPOSURE = "media_exposure"  # 媒体曝光
    HOTLINE_ESCALATION = "hotline_escalation"  # 12345热线升级
    WENZHENG = "wenzheng"  # 效能问政
    OPINION_CAMPAIGN = "opinion_campaign"  # 万民千企议效能
    RED_WARNING = "red_warning"  # 红色预警


class TaskCategory(StrEnum):
    """Whether the item is a supervision (督查) or an assessment (考核) item; counted per year."""

    SUPERVISION = "supervision"  # 督查
    ASSESSMENT = "assessment"  # 考核


class TaskState(StrEnum):
    """Where a supervision task is (the values stored in ``SupervisionTask.state``)."""

    CREATED = "created"  # 已立项（待交办）
    ASSIGNED = "assigned"  # 已交办
    IN_PROGRESS = "in_progress"  # 办理中
    SUBMITTED = "submitted"  # 已报结（待审核）
    SENT_BACK = "sent_back"  # 已退回（重新办理）
    CLOSED = "closed"  # 已销号


class TaskAction(StrEnum):
    """What may be done to a supervision task; the values are the API's and pages' names."""

    ASSIGN = "assign"  # 交办
    PROGRESS = "progress"  # 报送进展
    SUBMIT = "submit"  # 报结
    CLOSE = "close"  # 审核销号
    SEND_BACK = "send_back"  # 退回重办
    URGE = "urge"  # 催办
    ESCALATE = "escalate"  # 升级督办


class TaskCapacity(StrEnum):
    """The part a user plays for one supervision task."""

    OFFICE = "office"  # 效能办
    UNIT_STAFF = "unit_staff"  # 牵头单位或协办单位工作人员
    LEAD_HEAD = "lead_head"  # 牵头单位负责人
    SYSTEM = "system"  # 系统（超时自动升级督办）


TASK_STATE_LABELS: Mapping[TaskState, Promise] = {
    TaskState.CREATED: gettext_lazy("created, not handed over yet"),
    TaskState.ASSIGNED: gettext_lazy("handed over"),
    TaskState.IN_PROGRESS: gettext_lazy("in progress"),
    TaskState.SUBMITTED: gettext_lazy("result reported, awaiting review"),
    TaskState.SENT_BACK: gettext_lazy("sent back"),
    TaskState.CLOSED: gettext_lazy("closed out"),
}

TASK_ACTION_LABELS: Mapping[TaskAction, Promise] = {
    TaskAction.ASSIGN: gettext_lazy("hand over"),
    TaskAction.PROGRESS: gettext_lazy("report progress"),
    TaskAction.SUBMIT: gettext_lazy("report the result"),
    TaskAction.CLOSE: gettext_lazy("close out"),
    TaskAction.SEND_BACK: gettext_lazy("send back"),
    TaskAction.URGE: gettext_lazy("urge"),
    TaskAction.ESCALATE: gettext_lazy("escalate"),
}

TASK_SOURCE_LABELS: Mapping[TaskSource, Promise] = {
    TaskSource.LEADER_INSTRUCTION: gettext_lazy("leader's instruction (领导批示)"),
    TaskSource.MEDIA_EXPOSURE: gettext_lazy("media exposure (媒体曝光)"),
    TaskSource.HOTLINE_ESCALATION: gettext_lazy("12345 hotline escalation (热线升级)"),
    TaskSource.WENZHENG: gettext_lazy("efficiency questioning programme (效能问政)"),
    TaskSource.OPINION_CAMPAIGN: gettext_lazy("opinion campaign (万民千企议效能)"),
    TaskSource.RED_WARNING: gettext_lazy("red warning (红色预警)"),
}

TASK_CATEGORY_LABELS: Mapping[TaskCategory, Promise] = {
    TaskCategory.SUPERVISION: gettext_lazy("supervision (督查)"),
    TaskCategory.ASSESSMENT: gettext_lazy("assessment (考核)"),
}

TASK_CAPACITY_LABELS: Mapping[TaskCapacity, Promise] = {
    TaskCapacity.OFFICE: gettext_lazy("the efficiency office"),
    TaskCapacity.UNIT_STAFF: gettext_lazy("staff of the lead unit or a co-unit"),
    TaskCapacity.LEAD_HEAD: gettext_lazy("the head of the lead unit"),
    TaskCapacity.SYSTEM: gettext_lazy("the system"),
}


@dataclass(frozen=True, slots=True)
class TaskEdge:
    """One allowed transition ``source --action--> target``, by one of ``capacities``.

    ``rule`` says where the edge comes from (the claim or practice that asks for it), for the
    docs and for people reading the table; ``text_required`` says the action needs a text
    (progress, result, reasons).
    """

    source: TaskState
    action: TaskAction
    target: TaskState
    capacities: frozenset[TaskCapacity]
    rule: str
    text_required: bool = False


_OFFICE = frozenset({TaskCapacity.OFFICE})
_OFFICE_OR_SYSTEM = frozenset({TaskCapacity.OFFICE, TaskCapacity.SYSTEM})
_UNIT = frozenset({TaskCapacity.UNIT_STAFF})
_LEAD_HEAD = frozenset({TaskCapacity.LEAD_HEAD})

# The states in which the unit holds the task: it is urged and escalated only then. A task
# reported and awaiting the office's review is the office's to move, so its clock is paused
# and nobody urges the unit about the office's own delay.
UNIT_HOLDS: frozenset[TaskState] = frozenset(
    {TaskState.ASSIGNED, TaskState.IN_PROGRESS, TaskState.SENT_BACK}
)
OPEN_STATES: frozenset[TaskState] = frozenset(set(TaskState) - {TaskState.CLOSED})


def _held(action: TaskAction, capacities: frozenset[TaskCapacity], rule: str) -> list[TaskEdge]:
    # An action that leaves the state as it is, allowed in every state where the unit holds
    # the task (urge, escalate).
    return [TaskEdge(s, action, s, capacities, rule) for s in sorted(UNIT_HOLDS)]


TASK_EDGES: tuple[TaskEdge, ...] = (
    TaskEdge(
        TaskState.CREATED,
        TaskAction.ASSIGN,
        TaskState.ASSIGNED,
        _OFFICE,
        "S22: the efficiency office hands the task to a lead unit and co-units (交办); "
        "the task's clock starts",
    ),
    TaskEdge(
        TaskState.ASSIGNED,
        TaskAction.PROGRESS,
        TaskState.IN_PROGRESS,
        _UNIT,
        "S18: units report progress on the supervision platform (进展报送)",
        text_required=True,
    ),
    TaskEdge(
        TaskState.IN_PROGRESS,
        TaskAction.PROGRESS,
        TaskState.IN_PROGRESS,
        _UNIT,
        "S18: units report progress as often as there is progress",
        text_required=True,
    ),
    TaskEdge(
        TaskState.SENT_BACK,
        TaskAction.PROGRESS,
        TaskState.IN_PROGRESS,
        _UNIT,
        "S22: a task sent back is worked on again",
        text_required=True,
    ),
    TaskEdge(
        TaskState.IN_PROGRESS,
        TaskAction.SUBMIT,
        TaskState.SUBMITTED,
        _LEAD_HEAD,
        "S18: the lead unit's head reports the result (报结); the clock pauses for review",
        text_required=True,
    ),
    TaskEdge(
        TaskState.SENT_BACK,
        TaskAction.SUBMIT,
        TaskState.SUBMITTED,
        _LEAD_HEAD,
        "S18: the lead unit reports the result again after a send-back",
        text_required=True,
    ),
    TaskEdge(
        TaskState.SUBMITTED,
        TaskAction.CLOSE,
        TaskState.CLOSED,
        _OFFICE,
        "S22: the office reviews the result and closes the task out (办结销号); the clock stops",
    ),
    TaskEdge(
        TaskState.SUBMITTED,
        TaskAction.SEND_BACK,
        TaskState.SENT_BACK,
        _OFFICE,
        "S22: a result that does not settle the problem is sent back; the clock runs on",
        text_required=True,
    ),
    *_held(TaskAction.URGE, _OFFICE, "S22: the office urges the unit (催办)"),
    *_held(
        TaskAction.ESCALATE,
        _OFFICE_OR_SYSTEM,
        "S22: an overdue (red) task is escalated (升级督办), by the office or the daily job",
    ),
)

# How a task comes into being: created by the office (then handed over), or recorded from the
# paper ledger as already closed (补录: items concluded before the platform, so that the yearly
# counts of S18 rest on rows, not typed-in figures). Both are the office's alone.
TASK_ENTRY_ACTIONS: Mapping[str, tuple[TaskState, str]] = {
    "create": (TaskState.CREATED, "S22: the efficiency office opens a supervision task (立项)"),
    "record": (
        TaskState.CLOSED,
        "S18: a concluded item entered from the paper ledger (台账补录), with its real dates",
    ),
}

TASK_TRANSITIONS: Mapping[TaskState, Mapping[TaskAction, TaskEdge]] = {
    state: {e.action: e for e in TASK_EDGES if e.source == state} for state in TaskState
}


def task_allowed_actions(state: TaskState | str) -> list[TaskAction]:
    """The actions allowed in ``state``, in the order of :class:`TaskAction`."""
    here = TASK_TRANSITIONS[TaskState(state)]
    return [a for a in TaskAction if a in here]


def task_actions_for(
    state: TaskState | str, capacities: Iterable[TaskCapacity | str]
) -> list[TaskAction]:
    """The actions allowed in ``state`` to someone who plays any of ``capacities``."""
    mine = {TaskCapacity(c) for c in capacities}
    here = TASK_TRANSITIONS[TaskState(state)]
    return [a for a in TaskAction if a in here and here[a].capacities & mine]


def task_action_capacities(action: TaskAction | str) -> frozenset[TaskCapacity]:
    """Everyone who may take ``action`` in some state: a caller outside it is refused (403)
    whatever the state, before the state is looked at."""
    wanted = TaskAction(action)
    return frozenset(c for e in TASK_EDGES if e.action == wanted for c in e.capacities)


def task_edge(state: TaskState | str, action: TaskAction | str) -> TaskEdge:
    """The edge ``action`` takes from ``state``.

    Raises:
        Conflict: the action is not allowed in that state; the message names both and lists
            what is allowed now.
    """
    current = TaskState(state)
    wanted = TaskAction(action)
    edge = TASK_TRANSITIONS[current].get(wanted)
    if edge is None:
        allowed = ", ".join(str(TASK_ACTION_LABELS[a]) for a in task_allowed_actions(current)) or _(
            "nothing"
        )
        raise Conflict(
            _("The task is %(state)s, so “%(action)s” is not allowed. Allowed now: %(allowed)s.")
            % {
                "state": TASK_STATE_LABELS[current],
                "action": TASK_ACTION_LABELS[wanted],
                "allowed": allowed,
            },
            details={"state": current.value, "action": wanted.value},
        )
    return edge


def task_next_state(state: TaskState | str, action: TaskAction | str) -> TaskState:
    """The state ``action`` leads to from ``state`` (see :func:`task_edge`)."""
    return task_edge(state, action).target


def parse_task_source(value: str) -> TaskSource:
    """The source named by ``value``.

    Raises:
        InvalidInput: not one of the known sources; the message lists them.
    """
    try:
        return TaskSource(str(value).strip())
    except ValueError:
        raise InvalidInput(
            _("A task source is one of %(known)s; got %(value)r.")
            % {"known": ", ".join(s.value for s in TaskSource), "value": value},
            details={"field": "source", "value": str(value)},
        ) from None


def parse_task_category(value: str) -> TaskCategory:
    """The category named by ``value``.

    Raises:
        InvalidInput: neither supervision nor assessment.
    """
    try:
        return TaskCategory(str(value).strip())
    except ValueError:
        raise InvalidInput(
            _("A task category is one of %(known)s; got %(value)r.")
            % {"known": ", ".join(c.value for c in TaskCategory), "value": value},
            details={"field": "category", "value": str(value)},
        ) from None


# Longest limit the office may give a task: a year of working days. Supervision tasks are
# short (most are 5 to 30 working days); a bigger number is a typing mistake.
TASK_LIMIT_MAX_DAYS = 250


def check_limit_days(value: int) -> int:
    """A task's limit in working days: a whole number from 1 to :data:`TASK_LIMIT_MAX_DAYS`.

    Raises:
        InvalidInput: anything else.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not (1 <= value <= TASK_LIMIT_MAX_DAYS)
    ):
        raise InvalidInput(
            _("A task's limit is a whole number of working days from 1 to %(max)s; got %(value)r.")
            % {"max": TASK_LIMIT_MAX_DAYS, "value": value},
            details={"field": "limit_days"},
        )
    return value


def task_number(prefix: str, year: int, serial: int) -> str:
    """A number like ``DB20260001``: prefix, year, and the year's serial in four digits or more.

    ``DB`` (督办) for supervision tasks, ``WZ`` (问责) for accountability cases.
    """
    if serial < 1:
        raise ValueError(f"a serial starts at 1, got {serial}")
    return f"{prefix}{year:04d}{serial:04d}"


def escalation_due(*, state: TaskState | str, clock_red: bool, red_escalated: bool) -> bool:
    """Whether the daily job escalates a task now: once per red period (升级督办, S22).

    A task escalates when the unit holds it (:data:`UNIT_HOLDS`) and its clock is red
    (overdue), unless it was already escalated in this red period (``red_escalated``). The
    period ends when the clock is no longer red (see :func:`red_period_over`), so a task that
    turns red again later is escalated again.
    """
    return TaskState(state) in UNIT_HOLDS and clock_red and not red_escalated


def red_period_over(*, clock_red: bool, red_escalated: bool) -> bool:
    """Whether a task's mark "escalated in this red period" is to be cleared: no longer red."""
    return red_escalated and not clock_red


# -- yearly counts ---------------------------------------------------------------------------


def year_on_year_change(previous: int, current: int) -> float | None:
    """The change from ``previous`` to ``current`` as a fraction: (current − previous) / previous.

    S18: 214 supervision and assessment items in one year and 58 in the next is
    −0.7290 (−72.9 %). ``None`` when there is nothing to compare with (``previous`` is 0): a
    change from nothing is not a percentage.

    Raises:
        ValueError: a count is negative.
    """
    if previous < 0 or current < 0:
        raise ValueError(f"counts are 0 or more, got {previous} and {current}")
    if previous == 0:
        return None
    return (current - previous) / previous


# -- accountability cases --------------------------------------------------------------------


class CaseState(StrEnum):
    """Where an accountability case is (the values stored in ``AccountabilityCase.state``)."""

    OPENED = "opened"  # 已立案
    INVESTIGATING = "investigating"  # 调查中
    FINDINGS_RECORDED = "findings_recorded"  # 已查明事实
    HANDLING_PROPOSED = "handling_proposed"  # 已提出处理建议
    DECIDED = "decided"  # 已作出处理决定


class CaseAction(StrEnum):
    """What may be added to an accountability case; each leaves one entry in its history."""

    INVESTIGATE = "investigate"  # 调查记录
    RECORD_FINDINGS = "record_findings"  # 查明事实、认定责任
    PROPOSE = "propose"  # 处理建议
    DECIDE = "decide"  # 处理决定
    STATEMENT = "statement"  # 申辩


class CaseCapacity(StrEnum):
    """The part a user plays for one accountability case."""

    OFFICE = "office"  # 效能办
    UNIT_HEAD = "unit_head"  # 责任单位负责人（申辩）


class Handling(StrEnum):
    """Kinds of accountability handling (问责方式), proposed and decided."""

    INTERVIEW = "interview"  # 约谈
    CIRCULATED_CRITICISM = "circulated_criticism"  # 通报批评
    ADMONISHMENT = "admonishment"  # 诫勉谈话
    WRITTEN_SELF_EXAMINATION = "written_self_examination"  # 责令检查
    REFERRAL = "referral"  # 移交纪检监察机关
    NO_ACCOUNTABILITY = "no_accountability"  # 免予问责


CASE_STATE_LABELS: Mapping[CaseState, Promise] = {
    CaseState.OPENED: gettext_lazy("opened"),
    CaseState.INVESTIGATING: gettext_lazy("under investigation"),
    CaseState.FINDINGS_RECORDED: gettext_lazy("facts established"),
    CaseState.HANDLING_PROPOSED: gettext_lazy("handling proposed"),
    CaseState.DECIDED: gettext_lazy("decided"),
}

CASE_ACTION_LABELS: Mapping[CaseAction, Promise] = {
    CaseAction.INVESTIGATE: gettext_lazy("add an investigation record"),
    CaseAction.RECORD_FINDINGS: gettext_lazy("record the findings"),
    CaseAction.PROPOSE: gettext_lazy("propose the handling"),
    CaseAction.DECIDE: gettext_lazy("decide"),
    CaseAction.STATEMENT: gettext_lazy("make a statement"),
}

HANDLING_LABELS: Mapping[Handling, Promise] = {
    Handling.INTERVIEW: gettext_lazy("interview (约谈)"),
    Handling.CIRCULATED_CRITICISM: gettext_lazy("circulated criticism (通报批评)"),
    Handling.ADMONISHMENT: gettext_lazy("admonishment talk (诫勉谈话)"),
    Handling.WRITTEN_SELF_EXAMINATION: gettext_lazy("ordered written self-examination (责令检查)"),
    Handling.REFERRAL: gettext_lazy("referral to discipline inspection (移交纪检监察)"),
    Handling.NO_ACCOUNTABILITY: gettext_lazy("no accountability (免予问责)"),
}


@dataclass(frozen=True, slots=True)
class CaseEdge:
    """One allowed step ``source --action--> target`` of a case, by one of ``capacities``."""

    source: CaseState
    action: CaseAction
    target: CaseState
    capacities: frozenset[CaseCapacity]
    rule: str


_CASE_OFFICE = frozenset({CaseCapacity.OFFICE})
_CASE_HEAD = frozenset({CaseCapacity.UNIT_HEAD})

CASE_EDGES: tuple[CaseEdge, ...] = (
    CaseEdge(
        CaseState.OPENED,
        CaseAction.INVESTIGATE,
        CaseState.INVESTIGATING,
        _CASE_OFFICE,
        "S24: problems are investigated (调查核实)",
    ),
    CaseEdge(
        CaseState.INVESTIGATING,
        CaseAction.INVESTIGATE,
        CaseState.INVESTIGATING,
        _CASE_OFFICE,
        "S24: an investigation has as many records as it needs",
    ),
    CaseEdge(
        CaseState.INVESTIGATING,
        CaseAction.RECORD_FINDINGS,
        CaseState.FINDINGS_RECORDED,
        _CASE_OFFICE,
        "S24: the facts are established and responsibility found (查明事实、认定责任)",
    ),
    # Findings may be corrected (a statement brought a new fact) until handling is proposed.
    CaseEdge(
        CaseState.FINDINGS_RECORDED,
        CaseAction.RECORD_FINDINGS,
        CaseState.FINDINGS_RECORDED,
        _CASE_OFFICE,
        "S24: findings corrected before handling is proposed",
    ),
    CaseEdge(
        CaseState.FINDINGS_RECORDED,
        CaseAction.PROPOSE,
        CaseState.HANDLING_PROPOSED,
        _CASE_OFFICE,
        "S24: handling is proposed (提出处理建议)",
    ),
    CaseEdge(
        CaseState.HANDLING_PROPOSED,
        CaseAction.PROPOSE,
        CaseState.HANDLING_PROPOSED,
        _CASE_OFFICE,
        "S24: a proposal revised before the decision",
    ),
    CaseEdge(
        CaseState.HANDLING_PROPOSED,
        CaseAction.DECIDE,
        CaseState.DECIDED,
        _CASE_OFFICE,
        "S24: the decision (处理决定) is final and closes the case",
    ),
    # The responsible unit is heard before the decision (申辩): the statement is kept in the
    # history and leaves the state as it is.
    *(
        CaseEdge(s, CaseAction.STATEMENT, s, _CASE_HEAD, "the responsible unit is heard (申辩)")
        for s in (CaseState.INVESTIGATING, CaseState.FINDINGS_RECORDED, CaseState.HANDLING_PROPOSED)
    ),
)

CASE_TRANSITIONS: Mapping[CaseState, Mapping[CaseAction, CaseEdge]] = {
    state: {e.action: e for e in CASE_EDGES if e.source == state} for state in CaseState
}


def case_allowed_actions(state: CaseState | str) -> list[CaseAction]:
    """The actions allowed in ``state``, in the order of :class:`CaseAction`."""
    here = CASE_TRANSITIONS[CaseState(state)]
    return [a for a in CaseAction if a in here]


def case_actions_for(
    state: CaseState | str, capacities: Iterable[CaseCapacity | str]
) -> list[CaseAction]:
    """The actions allowed in ``state`` to someone who plays any of ``capacities``."""
    mine = {CaseCapacity(c) for c in capacities}
    here = CASE_TRANSITIONS[CaseState(state)]
    return [a for a in CaseAction if a in here and here[a].capacities & mine]


def case_action_capacities(action: CaseAction | str) -> frozenset[CaseCapacity]:
    """Everyone who may take ``action`` in some state (see :func:`task_action_capacities`)."""
    wanted = CaseAction(action)
    return frozenset(c for e in CASE_EDGES if e.action == wanted for c in e.capacities)


def case_edge(state: CaseState | str, action: CaseAction | str) -> CaseEdge:
    """The edge ``action`` takes from ``state``.

    Raises:
        Conflict: the action is not allowed in that state; the message names both and lists
            what is allowed now.
    """
    current = CaseState(state)
    wanted = CaseAction(action)
    edge = CASE_TRANSITIONS[current].get(wanted)
    if edge is None:
        allowed = ", ".join(str(CASE_ACTION_LABELS[a]) for a in case_allowed_actions(current)) or _(
            "nothing"
        )
        raise Conflict(
            _("The case is %(state)s, so “%(action)s” is not allowed. Allowed now: %(allowed)s.")
            % {
                "state": CASE_STATE_LABELS[current],
                "action": CASE_ACTION_LABELS[wanted],
                "allowed": allowed,
            },
            details={"state": current.value, "action": wanted.value},
        )
    return edge


def case_next_state(state: CaseState | str, action: CaseAction | str) -> CaseState:
    """The state ``action`` leads to from ``state`` (see :func:`case_edge`)."""
    return case_edge(state, action).target


def parse_handling(value: str, *, field: str = "handling") -> Handling:
    """The kind of handling named by ``value``.

    Raises:
        InvalidInput: not one of the known kinds; the message lists them.
    """
    try:
        return Handling(str(value).strip())
    except ValueError:
        raise InvalidInput(
            _("A handling is one of %(known)s; got %(value)r.")
            % {"known": ", ".join(h.value for h in Handling), "value": value},
            details={"field": field, "value": str(value)},
        ) from None


# Longest free text of an entry (progress, result, investigation record…): several pages, so
# a real record fits, but not a pasted book.
TEXT_MAX_CHARS = 10_000


def check_text(value: str, *, what: str, field: str, required: bool) -> str:
    """``value`` trimmed; required texts must not be empty, none longer than the maximum.

    Raises:
        InvalidInput: empty when required, or too long; the message names the field.
    """
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(_("%(what)s is required.") % {"what": what}, details={"field": field})
    if len(text) > TEXT_MAX_CHARS:
        raise InvalidInput(
            _("%(what)s is at most %(max)s characters; got %(n)s.")
            % {"what": what, "max": TEXT_MAX_CHARS, "n": len(text)},
            details={"field": field},
        )
    return text
