"""Pure rules of the 12345 hotline (DOMAIN_RULES.md §7; 国办发〔2020〕53号): no database here.

* Request types: 咨询, 求助, 投诉, 举报, 建议 and the local 表扬.
* The loop: registered (受理) → answered at first contact (直办, closed) or dispatched (派单)
  → the department accepts, or sends it back (退单) to the dispatcher → replies (答复) →
  return visit (回访) with five levels → closed; dissatisfied → reopened to the same
  department on a new clock, at most ``max_reopens`` times (setting, default 1).
* Requests the hotline does not accept (§7) are registered and closed with the channel to use.
* Handling limits in working days by (type, urgency): local practice, configurable through
  ``TicketClockRule`` rows; the defaults are below. The Clock counts working days only, so the
  urgent class is 1 working day, not a count of hours on calendar time.
"""

from __future__ import annotations

from collections.abc import Mapping
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


class Actor(StrEnum):
    """Who may take an action: the hotline operator or the handling department's staff."""

    OPERATOR = "operator"
    DEPARTMENT = "department"


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
