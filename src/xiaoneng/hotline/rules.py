"""Pure rules of the 12345 hotline (DOMAIN_RULES.md §7; 国办发〔2020〕53号): no database here.

* Request types: 咨询, 求助, 投诉, 举报, 建议 and the local 表扬.
* The loop: registered (受理) → answered at first contact (直办, closed) or dispatched (派单)
  → the department accepts, or sends it back (退单) to the dispatcher → replies (答复) →
  return visit (回访) with five levels → closed; dissatisfied → reopened to the same
  department on a new clock, at most ``max_reopens`` times (setting, default 1).
* Requests the hotline does not accept (§7) are registered and closed with the channel to use.
* Duplicates are merged under a parent (并单) and a ticket for several departments is split
  into parts (拆单), both while it is still registered (no clock of its own yet); a ticket
  may be escalated into a supervision task (升级督办, the 督办 step of §7's loop) while open.
  Merging keeps every group one level deep (:func:`merge_parents`), so no cycle can form.
* Handling limits in working days by (type, urgency): local practice, configurable through
  ``TicketClockRule`` rows; the defaults are below. The Clock counts working days only, so the
  urgent class is 1 working day, not a count of hours on calendar time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum, StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from xiaoneng.core.errors import Conflict, InvalidInput


class TicketType(StrEnum):
    """Request types of DOMAIN_RULES.md §7."""

    CONSULTATION = "consultation"  # 咨询
    HELP = "help"  # 求助
    COMPLAINT = "complaint"  # 投诉
    REPORT = "report"  # 举报
    SUGGESTION = "suggestion"  # 建议
    PRAISE = "praise"  # 表扬 (some cities)


class Urgency(StrEnum):
    """How urgent the request is, chosen by the operator."""

    ORDINARY = "ordinary"  # 一般
    URGENT = "urgent"  # 紧急


class Channel(StrEnum):
    """Where the request came in; ``old_number`` = one of the merged department hotlines."""

    PHONE = "phone"
    WEB = "web"
    APP = "app"  # app or mini-program
    OPEN311 = "open311"
    OLD_NUMBER = "old_number"


class TicketStatus(StrEnum):
    """States of a ticket; ``closed`` is final unless a return visit reopens it."""

    REGISTERED = "registered"  # 已受理, waiting for dispatch
    DISPATCHED = "dispatched"  # 已派单, waiting for the department
    ACCEPTED = "accepted"  # 办理中
    REPLIED = "replied"  # 已答复, waiting for the return visit
    CLOSED = "closed"  # 已办结


class TicketAction(StrEnum):
    """What can happen to a ticket."""

    REGISTER = "register"  # 受理: the first event of every ticket, not a move in the table
    ANSWER_DIRECTLY = "answer_directly"  # 直办
    CLOSE_NOT_ACCEPTED = "close_not_accepted"  # 不予受理
    DISPATCH = "dispatch"  # 派单
    ACCEPT = "accept"  # 签收
    RETURN = "return"  # 退单
    REPLY = "reply"  # 答复
    VISIT_SATISFIED = "visit_satisfied"  # 回访满意 → closed
    VISIT_REOPEN = "visit_reopen"  # 回访不满意 → reopened to the same department
    VISIT_CLOSE_DISSATISFIED = "visit_close_dissatisfied"  # 不满意, no reopen left
    MERGE = "merge"  # 并单: a duplicate closes under its parent
    SPLIT = "split"  # 拆单: the original closes, its parts go on as new tickets
    # Annotations: recorded as events, but the status does not move (see ANNOTATIONS).
    ESCALATE = "escalate"  # 升级督办: a supervision task is opened for the ticket
    ATTACH = "attach"  # a file added to the ticket
    PARENT_REPLY = "parent_reply"  # the parent of a merged duplicate was answered
    REPARENT = "reparent"  # a duplicate follows its parent under the parent's new parent


class Actor(StrEnum):
    """Who may take an action: the hotline operator or the handling department's staff."""

    OPERATOR = "operator"
    DEPARTMENT = "department"
    OFFICE = "office"  # the efficiency office (效能办): escalation opens a supervision task
    SYSTEM = "system"  # a consequence of another action, or checked by the service itself


S, A = TicketStatus, TicketAction

# status × action → (next status, who may do it). Return goes back to the dispatcher.
TRANSITIONS: Mapping[tuple[TicketStatus, TicketAction], tuple[TicketStatus, Actor]] = {
    (S.REGISTERED, A.ANSWER_DIRECTLY): (S.CLOSED, Actor.OPERATOR),
    (S.REGISTERED, A.CLOSE_NOT_ACCEPTED): (S.CLOSED, Actor.OPERATOR),
    (S.REGISTERED, A.DISPATCH): (S.DISPATCHED, Actor.OPERATOR),
    (S.DISPATCHED, A.ACCEPT): (S.ACCEPTED, Actor.DEPARTMENT),
    (S.DISPATCHED, A.RETURN): (S.REGISTERED, Actor.DEPARTMENT),
    (S.ACCEPTED, A.REPLY): (S.REPLIED, Actor.DEPARTMENT),
    (S.REPLIED, A.VISIT_SATISFIED): (S.CLOSED, Actor.OPERATOR),
    (S.REPLIED, A.VISIT_REOPEN): (S.ACCEPTED, Actor.OPERATOR),
    (S.REPLIED, A.VISIT_CLOSE_DISSATISFIED): (S.CLOSED, Actor.OPERATOR),
    # Merge and split only before dispatch: a registered ticket has no clock of its own, so no
    # department is charged for a ticket that then disappears into another (docs/hotline.md).
    (S.REGISTERED, A.MERGE): (S.CLOSED, Actor.OPERATOR),
    (S.REGISTERED, A.SPLIT): (S.CLOSED, Actor.OPERATOR),
}

OPEN_STATUSES: frozenset[TicketStatus] = frozenset(set(TicketStatus) - {TicketStatus.CLOSED})

# Actions that add an event but leave the status where it is: action → (statuses, who).
# Escalation is the office's while the ticket is open (督办 comes before 办结 in §7's loop);
# a file may be added while the ticket is open; the two duplicate annotations follow from
# what happens to the parent and are written on closed duplicates only.
ANNOTATIONS: Mapping[TicketAction, tuple[frozenset[TicketStatus], Actor]] = {
    A.ESCALATE: (OPEN_STATUSES, Actor.OFFICE),
    A.ATTACH: (OPEN_STATUSES, Actor.SYSTEM),
    A.PARENT_REPLY: (frozenset({S.CLOSED}), Actor.SYSTEM),
    A.REPARENT: (frozenset({S.CLOSED}), Actor.SYSTEM),
}


def next_status(
    status: str, action: str, *, reopen_count: int = 0, max_reopens: int = 1
) -> TicketStatus:
    """The status after ``action``; ``Conflict`` if the table does not allow it.

    A reopen is allowed only while ``reopen_count < max_reopens``; once spent, a dissatisfied
    visit closes the ticket as dissatisfied instead (and that close is refused while a reopen
    is still left, so the choice is never the caller's).
    """
    key = (TicketStatus(status), TicketAction(action))
    if key not in TRANSITIONS:
        raise Conflict(
            _("A ticket in status %(status)s cannot take the action %(action)s.")
            % {"status": status, "action": action},
            details={"status": status, "action": action},
        )
    left = reopen_count < max_reopens
    if key[1] == A.VISIT_REOPEN and not left:
        raise Conflict(
            _("The ticket was already reopened %(n)s times; the limit is %(max)s.")
            % {"n": reopen_count, "max": max_reopens}
        )
    if key[1] == A.VISIT_CLOSE_DISSATISFIED and left:
        raise Conflict(
            _("A reopen is still left (%(n)s of %(max)s used); reopen the ticket instead.")
            % {"n": reopen_count, "max": max_reopens}
        )
    return TRANSITIONS[key][0]


def actor_of(status: str, action: str) -> Actor:
    """Who may take ``action`` in ``status`` (call after :func:`next_status` accepted it)."""
    return TRANSITIONS[(TicketStatus(status), TicketAction(action))][1]


def check_annotation(status: str, action: str) -> Actor:
    """Who may record the annotation ``action`` in ``status``; ``Conflict`` if not allowed.

    An annotation is an event that does not move the status (:data:`ANNOTATIONS`).
    """
    entry = ANNOTATIONS.get(TicketAction(action))
    if entry is None or TicketStatus(status) not in entry[0]:
        raise Conflict(
            _("A ticket in status %(status)s cannot take the action %(action)s.")
            % {"status": status, "action": action},
            details={"status": status, "action": action},
        )
    return entry[1]


# -- merging duplicates (并单) ----------------------------------------------------------------


def merge_parents(
    parents: Mapping[int, int | None], *, duplicate: int, into: int
) -> dict[int, int]:
    """The parent pointers that change when ``duplicate`` is merged under ``into``.

    ``parents`` maps each ticket id to the id it is merged under (``None`` or absent: not
    merged). Groups stay one level deep: ``duplicate`` goes under ``into``, and its own
    duplicates move with it under ``into``, so a parent is never itself a duplicate and no
    chain, let alone a cycle, can form.

    Raises:
        InvalidInput: ``duplicate`` and ``into`` are the same ticket.
        Conflict: ``duplicate`` is already merged, or ``into`` is itself a duplicate.
    """
    if duplicate == into:
        raise InvalidInput(
            _("A ticket cannot be merged into itself; choose another parent ticket."),
            details={"field": "into"},
        )
    if parents.get(duplicate) is not None:
        raise Conflict(
            _("This ticket is already merged into another ticket."),
            details={"field": "ticket"},
        )
    if parents.get(into) is not None:
        raise Conflict(
            _(
                "The chosen parent is itself a duplicate merged into another ticket; merge "
                "into that ticket instead."
            ),
            details={"field": "into"},
        )
    moved = {child: into for child, parent in parents.items() if parent == duplicate}
    return {duplicate: into, **moved}


# -- satisfaction ----------------------------------------------------------------------------


class Satisfaction(IntEnum):
    """Five levels of the return visit, as in ratings (GB/T 39734-2020)."""

    VERY_SATISFIED = 5  # 非常满意
    SATISFIED = 4  # 满意
    BASICALLY_SATISFIED = 3  # 基本满意
    DISSATISFIED = 2  # 不满意
    VERY_DISSATISFIED = 1  # 非常不满意


def satisfaction_of(level: object) -> Satisfaction:
    """The level 1–5; ``InvalidInput`` otherwise."""
    try:
        return Satisfaction(int(str(level)))
    except ValueError:
        raise InvalidInput(
            _("The satisfaction level is a whole number from 1 to 5, got %(value)r.")
            % {"value": level}
        ) from None


def is_dissatisfied(level: Satisfaction) -> bool:
    """Levels 1 and 2 are dissatisfied."""
    return level <= Satisfaction.DISSATISFIED


# -- clock limits ----------------------------------------------------------------------------

# Working days by (type, urgency); local practice, configurable via TicketClockRule rows.
# Consultation 1 (answered at once where the knowledge base allows: 直办 has no clock);
# help, suggestion, praise 5; report 10; complaint 15; every urgent request 1.
DEFAULT_LIMIT_DAYS: Mapping[TicketType, int] = {
    TicketType.CONSULTATION: 1,
    TicketType.HELP: 5,
    TicketType.COMPLAINT: 15,
    TicketType.REPORT: 10,
    TicketType.SUGGESTION: 5,
    TicketType.PRAISE: 5,
}
URGENT_LIMIT_DAYS = 1


def default_limit_days(ticket_type: str, urgency: str) -> int:
    """The default handling limit in working days for ``(ticket_type, urgency)``."""
    if Urgency(urgency) == Urgency.URGENT:
        return URGENT_LIMIT_DAYS
    return DEFAULT_LIMIT_DAYS[TicketType(ticket_type)]


# -- not accepted (§7) -----------------------------------------------------------------------


class NotAccepted(StrEnum):
    """Requests the hotline does not accept (DOMAIN_RULES.md §7)."""

    LITIGATION = "litigation"
    ARBITRATION = "arbitration"
    DISCIPLINE = "discipline"
    RECONSIDERATION = "reconsideration"
    DISCLOSURE = "disclosure"
    PETITION = "petition"
    STATE_SECRET = "secret"  # noqa: S105 - a category of matter, not a password
    EMERGENCY = "emergency"


# The channel the caller is told to use instead; translated when a ticket is closed.
REDIRECT: Mapping[NotAccepted, str] = {
    NotAccepted.LITIGATION: gettext_noop("the people's court (lawsuit)"),
    NotAccepted.ARBITRATION: gettext_noop("the arbitration commission"),
    NotAccepted.DISCIPLINE: gettext_noop("the discipline inspection commission (12388)"),
    NotAccepted.RECONSIDERATION: gettext_noop("the administrative reconsideration body"),
    NotAccepted.DISCLOSURE: gettext_noop("the government information disclosure office"),
    NotAccepted.PETITION: gettext_noop("the letters and visits bureau handling it"),
    NotAccepted.STATE_SECRET: gettext_noop("the competent authority; secrets are not taken"),
    NotAccepted.EMERGENCY: gettext_noop("110, 119, 120 or 122"),
}


def redirect_for(reason: str) -> str:
    """The channel to use for a not-accepted ``reason``; ``InvalidInput`` if unknown."""
    try:
        return REDIRECT[NotAccepted(reason)]
    except ValueError:
        raise InvalidInput(
            _("The not-accepted reason is one of %(known)s, got %(value)r.")
            % {"known": ", ".join(r.value for r in NotAccepted), "value": reason}
        ) from None


# -- splitting (拆单) ---------------------------------------------------------------------------

MIN_SPLIT_PARTS = 2
MAX_SPLIT_PARTS = 10  # more departments than this is a matter for a supervision task


def check_split_parts(parts: Sequence[tuple[int, bool, str]]) -> list[str]:
    """Check the parts of a split: ``(department id, department active, description)`` each.

    A split needs 2 to :data:`MAX_SPLIT_PARTS` parts, each with a description, each to a
    different active department (two parts for one department are one ticket).

    Returns:
        The descriptions, stripped, in the order given.

    Raises:
        InvalidInput: too few or too many parts, an empty description, an inactive or repeated
            department; ``details`` names the part (0-based).
    """
    if not MIN_SPLIT_PARTS <= len(parts) <= MAX_SPLIT_PARTS:
        raise InvalidInput(
            _("A ticket is split into %(min)s to %(max)s parts; got %(count)s.")
            % {"min": MIN_SPLIT_PARTS, "max": MAX_SPLIT_PARTS, "count": len(parts)},
            details={"field": "parts", "count": len(parts)},
        )
    seen: set[int] = set()
    texts = []
    for index, (department, active, description) in enumerate(parts):
        text = (description or "").strip()
        if not text:
            raise InvalidInput(
                _("Part %(n)s needs a description of what its department is to do; got none.")
                % {"n": index + 1},
                details={"field": "parts", "part": index},
            )
        if not active:
            raise InvalidInput(
                _("Part %(n)s goes to an inactive department; choose an active one.")
                % {"n": index + 1},
                details={"field": "parts", "part": index},
            )
        if department in seen:
            raise InvalidInput(
                _(
                    "Part %(n)s goes to a department that already has a part; each part goes to "
                    "a different department."
                )
                % {"n": index + 1},
                details={"field": "parts", "part": index},
            )
        seen.add(department)
        texts.append(text)
    return texts
