"""Translated labels of the hotline's codes, for the pages (the model choices are the codes).

English msgids with their Chinese terms (DOMAIN_RULES.md §7; docs/glossary.md) in the
catalogue; one table per kind of code so a template never shows a bare code.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xiaoneng.hotline import rules

TYPE_LABELS: Mapping[str, Promise] = {
    rules.TicketType.CONSULTATION: _("Consultation"),
    rules.TicketType.HELP: _("Request for help"),
    rules.TicketType.COMPLAINT: _("Complaint"),
    rules.TicketType.REPORT: _("Report"),
    rules.TicketType.SUGGESTION: _("Suggestion"),
    rules.TicketType.PRAISE: _("Praise"),
}

STATUS_LABELS: Mapping[str, Promise] = {
    rules.TicketStatus.REGISTERED: _("Registered, waiting for dispatch"),
    rules.TicketStatus.DISPATCHED: _("Dispatched, waiting for the department"),
    rules.TicketStatus.ACCEPTED: _("Being handled"),
    rules.TicketStatus.REPLIED: _("Replied, waiting for the return visit"),
    # In context: the site-wide "Closed" means shut, a ticket's means handled to the end (办结).
    rules.TicketStatus.CLOSED: pgettext_lazy("hotline status", "Closed"),
}

CHANNEL_LABELS: Mapping[str, Promise] = {
    rules.Channel.PHONE: _("Phone 12345"),
    rules.Channel.WEB: _("Web form"),
    rules.Channel.APP: _("App or mini-program"),
    rules.Channel.OPEN311: _("Open311"),
    rules.Channel.OLD_NUMBER: _("Old department hotline"),
}

URGENCY_LABELS: Mapping[str, Promise] = {
    rules.Urgency.ORDINARY: _("Ordinary"),
    rules.Urgency.URGENT: _("Urgent"),
}

# Event labels; "merge", "split" and "escalate" are the ops engineer's actions, labelled here
# by their codes so the pages show them whether or not the running rules define them yet.
ACTION_LABELS: Mapping[str, Promise] = {
    "register": _("Registered"),
    "answer_directly": _("Answered at first contact"),
    "close_not_accepted": _("Closed: not accepted by the hotline"),
    "dispatch": _("Dispatched"),
    "accept": _("Accepted by the department"),
    "return": _("Sent back to the dispatcher"),
    "reply": _("Replied"),
    "visit_satisfied": _("Return visit: satisfied, closed"),
    "visit_reopen": _("Return visit: dissatisfied, reopened"),
    "visit_close_dissatisfied": _("Return visit: dissatisfied, closed"),
    "merge": _("Merged into another ticket"),
    "split": _("Split into parts"),
    "escalate": _("Escalated into a supervision task"),
    "attach": _("File attached"),
    "parent_reply": _("Answered with the ticket it was merged into"),
    "reparent": _("Moved with its parent ticket"),
}

# What the citizen's lookup shows: the loop's public steps. A send-back (退单) and the reasons
# of any step stay internal; the lookup shows the status it led to.
PUBLIC_ACTIONS = frozenset(
    {
        "register",
        "answer_directly",
        "close_not_accepted",
        "dispatch",
        "accept",
        "reply",
        "visit_satisfied",
        "visit_reopen",
        "visit_close_dissatisfied",
        "merge",
        "split",
        "parent_reply",
    }
)

SATISFACTION_LABELS: Mapping[int, Promise] = {
    rules.Satisfaction.VERY_SATISFIED: _("Very satisfied"),
    rules.Satisfaction.SATISFIED: _("Satisfied"),
    rules.Satisfaction.BASICALLY_SATISFIED: _("Basically satisfied"),
    rules.Satisfaction.DISSATISFIED: _("Dissatisfied"),
    rules.Satisfaction.VERY_DISSATISFIED: _("Very dissatisfied"),
}

NOT_ACCEPTED_LABELS: Mapping[str, Promise] = {
    rules.NotAccepted.LITIGATION: _("A matter for litigation"),
    rules.NotAccepted.ARBITRATION: _("A matter for arbitration"),
    rules.NotAccepted.DISCIPLINE: _("A matter for discipline inspection"),
    rules.NotAccepted.RECONSIDERATION: _("A matter for administrative reconsideration"),
    rules.NotAccepted.DISCLOSURE: _("A request for government information disclosure"),
    rules.NotAccepted.PETITION: _("Already a petition (信访)"),
    rules.NotAccepted.STATE_SECRET: _("Involves state secrets"),
    rules.NotAccepted.EMERGENCY: _("An emergency (110, 119, 120, 122)"),
}


def label(table: Mapping[str, Promise], code: str) -> str:
    """The label of ``code`` in ``table``, or the code itself when the table lacks it."""
    found = table.get(code)
    return str(found) if found is not None else code


def choices(table: Mapping[str, Promise]) -> list[tuple[str, str]]:
    """``(code, label)`` pairs of a table, in its order, for a select."""
    return [(str(code), str(text)) for code, text in table.items()]
