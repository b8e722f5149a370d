"""The application lifecycle as data, and the other pure rules of applications.

No database here: the services load rows, ask these functions, and write the answers.

* **Transitions** are two tables, one per kind of matter (办件类型, DOMAIN_RULES.md §2):
  :data:`PROMISED_TRANSITIONS` (承诺件) and :data:`INSTANT_TRANSITIONS` (即办件). Each edge
  names the status it leaves, the action, the status it reaches, who may take it, whether a
  reason is required, and the rule of law that asks for it. Anything not in the table is a
  :class:`~xiaoneng.core.errors.Conflict` (HTTP 409) whose message names the current status
  and the action asked.
* **Capacities**: the part a user plays for one application — the applicant (or the partner
  institution that filed for them), a window officer, a reviewer or the head of the
  application's department, or the system (the Art. 32(4) scan). The services work out the
  capacities; this module only says which capacity may take which edge.
* **Supplement notice window** (Art. 32(4)): a request to supplement (补正, one notice listing
  everything) must go out within 5 working days of receipt; after that the application counts
  as accepted on the day the materials arrived.
* **Materials** (DOMAIN_RULES.md §4): which materials an application still needs and how each
  is satisfied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.calendars.rules import WorkdayCalendar
from xiaoneng.core.errors import Conflict, InvalidInput

# Art. 32(4): the applicant is told everything to supply "within 5 days" (working days, Art. 82).
SUPPLEMENT_NOTICE_DAYS = 5


class Status(StrEnum):
    """Where an application is in its life (the values stored in ``Application.status``)."""

    SUBMITTED = "submitted"  # 已提交（待受理）
    SUPPLEMENT_REQUESTED = "supplement_requested"  # 待补正
    NOT_ACCEPTED = "not_accepted"  # 不予受理
    ACCEPTED = "accepted"  # 已受理，审查中
    PAUSED = "paused"  # 特别程序中（计时暂停）
    APPROVED = "approved"  # 准予许可
    DENIED = "denied"  # 不予许可
    CONCLUDED = "concluded"  # 办结
    DELIVERED = "delivered"  # 已送达


class Action(StrEnum):
    """What may be done to an application; the values are the API's action names."""

    ACCEPT = "accept"  # 受理
    DEEM_ACCEPTED = "deem-accepted"  # 视为受理 (Art. 32(4), the system only)
    REJECT = "reject"  # 不予受理
    REQUEST_SUPPLEMENT = "request-supplement"  # 一次性告知补正
    SUPPLEMENT = "supplement"  # 补正
    PAUSE = "pause"  # 特别程序，暂停计时
    RESUME = "resume"  # 恢复计时
    EXTEND = "extend"  # 延期
    APPROVE = "approve"  # 准予许可
    DENY = "deny"  # 不予许可
    CONCLUDE = "conclude"  # 办结
    DELIVER = "deliver"  # 送达


class Capacity(StrEnum):
    """The part a user plays for one application."""

    APPLICANT = "applicant"  # 申请人（或代为申报的合作机构）
    WINDOW = "window"  # 本部门窗口人员
    REVIEWER = "reviewer"  # 本部门审批人员
    HEAD = "head"  # 本部门负责人
    SYSTEM = "system"  # 系统（逾期视为受理）


class MatterKind(StrEnum):
    """办件类型 (the catalog's ``MatterVersion.kind``)."""

    INSTANT = "instant"
    PROMISED = "promised"


STATUS_LABELS: Mapping[Status, Promise] = {
    Status.SUBMITTED: gettext_lazy("submitted, awaiting acceptance"),
    Status.SUPPLEMENT_REQUESTED: gettext_lazy("awaiting the applicant's supplement"),
    Status.NOT_ACCEPTED: gettext_lazy("not accepted"),
    Status.ACCEPTED: gettext_lazy("accepted, under review"),
    Status.PAUSED: gettext_lazy("in a special procedure (clock paused)"),
    Status.APPROVED: gettext_lazy("approved"),
    Status.DENIED: gettext_lazy("denied"),
    Status.CONCLUDED: gettext_lazy("concluded"),
    Status.DELIVERED: gettext_lazy("delivered"),
}

ACTION_LABELS: Mapping[Action, Promise] = {
    Action.ACCEPT: gettext_lazy("accept"),
    Action.DEEM_ACCEPTED: gettext_lazy("deem accepted"),
    Action.REJECT: gettext_lazy("refuse to accept"),
    Action.REQUEST_SUPPLEMENT: gettext_lazy("request a supplement"),
    Action.SUPPLEMENT: gettext_lazy("supplement"),
    Action.PAUSE: gettext_lazy("pause for a special procedure"),
    Action.RESUME: gettext_lazy("resume"),
    Action.EXTEND: gettext_lazy("extend"),
    Action.APPROVE: gettext_lazy("approve"),
    Action.DENY: gettext_lazy("deny"),
    Action.CONCLUDE: gettext_lazy("conclude"),
    Action.DELIVER: gettext_lazy("deliver"),
}

CAPACITY_LABELS: Mapping[Capacity, Promise] = {
    Capacity.APPLICANT: gettext_lazy("the applicant"),
    Capacity.WINDOW: gettext_lazy("a window officer of the department"),
    Capacity.REVIEWER: gettext_lazy("a reviewer of the department"),
    Capacity.HEAD: gettext_lazy("the head of the department"),
    Capacity.SYSTEM: gettext_lazy("the system"),
}


@dataclass(frozen=True, slots=True)
class Edge:
    """One allowed transition: ``source --action--> target``, by one of ``capacities``.

    ``then`` lists actions the same call goes on to take, each along its own edge of the same
    table (即办件: acceptance approves and concludes on the spot). ``rule`` is where the edge
    comes from, for the docs and for people reading the table.
    """

    source: Status
    action: Action
    target: Status
    capacities: frozenset[Capacity]
    rule: str
    reason_required: bool = False
    then: tuple[Action, ...] = ()


_FRONT = frozenset({Capacity.WINDOW, Capacity.REVIEWER})  # 窗口受理
_REVIEW = frozenset({Capacity.REVIEWER, Capacity.HEAD})  # 审查、决定
_HEAD = frozenset({Capacity.HEAD})  # 负责人批准
_APPLICANT = frozenset({Capacity.APPLICANT})
_SYSTEM = frozenset({Capacity.SYSTEM})

# The part of the life every matter shares: receipt, acceptance or not, supplement.
_RECEIPT: tuple[Edge, ...] = (
    Edge(
        Status.SUBMITTED,
        Action.REJECT,
        Status.NOT_ACCEPTED,
        _FRONT,
        "Art. 32(1)(1)-(3) and 32(2): 不予受理, with a written decision and its reasons",
        reason_required=True,
    ),
    Edge(
        Status.SUBMITTED,
        Action.REQUEST_SUPPLEMENT,
        Status.SUPPLEMENT_REQUESTED,
        _FRONT,
        "Art. 32(1)(4): one notice listing everything to supply, within 5 working days",
        reason_required=True,
    ),
    Edge(
        Status.SUBMITTED,
        Action.DEEM_ACCEPTED,
        Status.ACCEPTED,
        _SYSTEM,
        "Art. 32(4): no notice within 5 working days, accepted as of the day of receipt",
    ),
    Edge(
        Status.SUPPLEMENT_REQUESTED,
        Action.SUPPLEMENT,
        Status.SUBMITTED,
        _APPLICANT,
        "Art. 32(1)(5): the applicant supplies everything asked; receipt is the supplement day",
    ),
    Edge(
        Status.SUPPLEMENT_REQUESTED,
        Action.REJECT,
        Status.NOT_ACCEPTED,
        _FRONT,
        "Art. 32(1)(4): the supplement asked for never came, so the application is not accepted",
        reason_required=True,
    ),
)

# Decision, conclusion and delivery, the same for both kinds once an application is accepted.
_DECISION: tuple[Edge, ...] = (
    Edge(
        Status.ACCEPTED,
        Action.APPROVE,
        Status.APPROVED,
        _REVIEW,
        "Art. 38(1): the applicant meets the conditions, a written decision to approve",
    ),
    Edge(
        Status.ACCEPTED,
        Action.DENY,
        Status.DENIED,
        _REVIEW,
        "Art. 38(2): a denial states its reasons and the right to review or sue",
        reason_required=True,
    ),
    Edge(
        Status.APPROVED,
        Action.CONCLUDE,
        Status.CONCLUDED,
        _REVIEW,
        "办结: the case is closed and its clocks stop (DOMAIN_RULES.md §2)",
    ),
    Edge(
        Status.DENIED,
        Action.CONCLUDE,
        Status.CONCLUDED,
        _REVIEW,
        "办结: a denial closes the case too, and its clocks stop",
    ),
    Edge(
        Status.CONCLUDED,
        Action.DELIVER,
        Status.DELIVERED,
        _FRONT,
        "Art. 44: the result is issued and delivered (pickup, post or e-license)",
    ),
)

PROMISED_TRANSITIONS: tuple[Edge, ...] = (
    Edge(
        Status.SUBMITTED,
        Action.ACCEPT,
        Status.ACCEPTED,
        _FRONT,
        "Art. 32(1)(5): complete materials in legal form are accepted; the clocks start",
    ),
    *_RECEIPT,
    Edge(
        Status.ACCEPTED,
        Action.PAUSE,
        Status.PAUSED,
        _REVIEW,
        "Art. 45: hearing, inspection, testing, quarantine, appraisal, expert review… are not "
        "counted; the applicant is told in writing",
        reason_required=True,
    ),
    Edge(
        Status.PAUSED,
        Action.RESUME,
        Status.ACCEPTED,
        _REVIEW,
        "Art. 45: the special procedure ended; counting resumes (DOMAIN_RULES.md §2 pause rule)",
    ),
    Edge(
        Status.ACCEPTED,
        Action.EXTEND,
        Status.ACCEPTED,
        _HEAD,
        "Art. 42: +up to the matter's allowance with the head's approval, reason told",
        reason_required=True,
    ),
    Edge(
        Status.PAUSED,
        Action.EXTEND,
        Status.PAUSED,
        _HEAD,
        "Art. 42: the head may approve an extension during a special procedure",
        reason_required=True,
    ),
    *_DECISION,
)

INSTANT_TRANSITIONS: tuple[Edge, ...] = (
    Edge(
        Status.SUBMITTED,
        Action.ACCEPT,
        Status.ACCEPTED,
        _FRONT,
        "DOMAIN_RULES.md §2: 即办件 are concluded on the day of acceptance",
        then=(Action.APPROVE, Action.CONCLUDE),
    ),
    *_RECEIPT,
    # Reached only by an Art. 32(4) deemed acceptance: the window did not conclude on the
    # spot, so a reviewer decides (late: the instant clock is already red).
    *_DECISION,
)

TABLES: Mapping[MatterKind, Mapping[tuple[Status, Action], Edge]] = {
    MatterKind.PROMISED: {(e.source, e.action): e for e in PROMISED_TRANSITIONS},
    MatterKind.INSTANT: {(e.source, e.action): e for e in INSTANT_TRANSITIONS},
}

# Statuses nothing leaves.
FINAL_STATUSES = frozenset({Status.NOT_ACCEPTED, Status.DELIVERED})
# Statuses whose clocks run (or are paused).
REVIEW_STATUSES = frozenset({Status.ACCEPTED, Status.PAUSED})
# Where uploads and commitments are still taken (before acceptance).
OPEN_FOR_MATERIALS = frozenset({Status.SUBMITTED, Status.SUPPLEMENT_REQUESTED})
# After conclusion the applicant may rate (好差评, DOMAIN_RULES.md §8).
RATEABLE_STATUSES = frozenset({Status.CONCLUDED, Status.DELIVERED})


def table(kind: MatterKind | str) -> Mapping[tuple[Status, Action], Edge]:
    """The transition table of a kind of matter."""
    return TABLES[MatterKind(kind)]


def _label_list(actions: Iterable[Action]) -> str:
    return ", ".join(str(ACTION_LABELS[a]) for a in actions) or str(_("nothing"))


def edge(kind: MatterKind | str, status: Status | str, action: Action | str) -> Edge:
    """The edge ``action`` takes from ``status`` for this kind of matter.

    Raises:
        Conflict: the action is not allowed in this status; the message names both and what
            is allowed now.
    """
    current, wanted = Status(status), Action(action)
    found = table(kind).get((current, wanted))
    if found is None:
        allowed = [
            a for (s, a), e in table(kind).items() if s == current and e.capacities != _SYSTEM
        ]
        raise Conflict(
            _(
                "The application is %(status)s, so it cannot %(action)s now. Allowed now: "
                "%(allowed)s."
            )
            % {
                "status": STATUS_LABELS[current],
                "action": ACTION_LABELS[wanted],
                "allowed": _label_list(allowed),
            },
            details={"status": current.value, "action": wanted.value},
        )
    return found


def walk(kind: MatterKind | str, status: Status | str, action: Action | str) -> list[Edge]:
    """Every edge one call takes: the action's edge, then the edges its ``then`` chains.

    Raises:
        Conflict: as :func:`edge`.
    """
    first = edge(kind, status, action)
    path = [first]
    for follow in first.then:
        path.append(edge(kind, path[-1].target, follow))
    return path


def allowed_actions(
    kind: MatterKind | str, status: Status | str, capacities: Iterable[Capacity | str]
) -> list[Action]:
    """The actions a user with ``capacities`` may take now, in table order."""
    have = {Capacity(c) for c in capacities}
    current = Status(status)
    return [a for (s, a), e in table(kind).items() if s == current and e.capacities & have]


def may_take(found: Edge, capacities: Iterable[Capacity | str]) -> bool:
    """Whether one of ``capacities`` may take the edge."""
    return bool(found.capacities & {Capacity(c) for c in capacities})


def who_may(found: Edge) -> str:
    """The capacities that may take an edge, for people."""
    return ", ".join(str(CAPACITY_LABELS[c]) for c in sorted(found.capacities))


# -- Art. 32(4): the supplement notice window ------------------------------------------------


def supplement_deadline(calendar: WorkdayCalendar, received_on: dt.date) -> dt.date:
    """The last day a supplement notice may go out: the 5th working day after receipt.

    Receipt on a rest day counts from the next working day (DOMAIN_RULES.md §1); the day of
    receipt itself is not counted (Civil Code Arts. 201, 203).
    """
    return calendar.add_workdays(received_on, SUPPLEMENT_NOTICE_DAYS)


def supplement_too_late(calendar: WorkdayCalendar, received_on: dt.date, today: dt.date) -> bool:
    """Whether the notice window has closed, so the application counts as accepted (Art. 32(4))."""
    return today > supplement_deadline(calendar, received_on)


# -- materials (DOMAIN_RULES.md §4) ----------------------------------------------------------


class Satisfaction(StrEnum):
    """How one material of an application is satisfied (``ApplicationMaterial.kind``)."""

    UPLOADED = "uploaded"  # 申请人上传
    PAPER = "paper"  # 窗口核验纸质原件
    COMMITMENT = "commitment"  # 告知承诺
    E_LICENSE = "e_license"  # 本平台已签发的电子证照，自动关联（一次提交、多次复用）
    REPLACED = "replaced"  # 免于提交：取消 / 数据共享 / 部门核验 / 电子证照库


# Catalog replacement methods (catalog.models.Replacement) that free the applicant outright.
AUTOMATIC_REPLACEMENTS = frozenset({"cancelled", "data_sharing", "verification", "e_license"})


@dataclass(frozen=True, slots=True)
class MaterialFacts:
    """What the rules need of a catalog material."""

    id: int
    name: str
    necessity: str  # required / optional / conditional
    replacement: str  # none / cancelled / data_sharing / e_license / verification / commitment
    license_type: str = ""


@dataclass(frozen=True, slots=True)
class Requirement:
    """One material of the version and where the application stands with it."""

    material_id: int
    name: str
    needed: bool  # every applicant must supply or replace it
    satisfied_by: tuple[str, ...] = field(default_factory=tuple)

    @property
    def missing(self) -> bool:
        return self.needed and not self.satisfied_by


def automatic_satisfaction(
    material: MaterialFacts, *, held_license_types: Iterable[str]
) -> Satisfaction | None:
    """How a material is satisfied at submission without the applicant doing anything.

    * a certificate the matter replaced (cancelled outright, data sharing, department
      verification, e-license) is never asked for (DOMAIN_RULES.md §4; Decree 716 Art. 7);
    * a material whose e-license type matches an e-license this platform issued to the
      applicant is attached (一次提交、多次复用; Decree 716 Arts. 10, 11);
    * an informed-commitment material waits for the applicant's signed promise.
    """
    if material.license_type and material.license_type in set(held_license_types):
        return Satisfaction.E_LICENSE
    if material.replacement in AUTOMATIC_REPLACEMENTS:
        return Satisfaction.REPLACED
    return None


def requirements(
    materials: Sequence[MaterialFacts], satisfied: Mapping[int, Iterable[str]]
) -> list[Requirement]:
    """Each material of the version, whether it is needed, and what satisfies it so far.

    A material is *needed* when its necessity is ``required``; conditional and optional ones
    are listed but never block acceptance.
    """
    return [
        Requirement(
            material_id=m.id,
            name=m.name,
            needed=m.necessity == "required",
            satisfied_by=tuple(sorted(set(satisfied.get(m.id, ())))),
        )
        for m in materials
    ]


def missing(
    materials: Sequence[MaterialFacts], satisfied: Mapping[int, Iterable[str]]
) -> list[Requirement]:
    """The needed materials nothing satisfies yet."""
    return [r for r in requirements(materials, satisfied) if r.missing]


# -- identity numbers (DOMAIN_RULES.md §10) --------------------------------------------------


def require_text(value: str | None, what: str) -> str:
    """The stripped text, or :class:`InvalidInput` saying ``what`` is required."""
    text = (value or "").strip()
    if not text:
        raise InvalidInput(
            _("%(what)s is required and may not be empty.") % {"what": what},
            details={"field": "reason"},
        )
    return text
