"""What the hotline pages share: who may use them, masking, clocks and timelines.

Views only parse input, find a ticket through the one access function
(:func:`xiaoneng.hotline.selectors.tickets.ticket_for_user`) and call one service
(docs/STYLE.md, habits 1 and 5); these helpers keep the reading side of the pages in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from xiaoneng.clocks.models import Clock, StateChoice
from xiaoneng.clocks.selectors import ClockDict, clock_of_item, clocks_as_dicts
from xiaoneng.core.masking import mask_id_number, mask_phone
from xiaoneng.hotline.models import Ticket, TicketEvent
from xiaoneng.hotline.services.tickets import CLOCK_KIND, STAFF_ROLES, is_operator
from xiaoneng.hotline.views import labels


def require_operator(request: HttpRequest) -> None:
    """403 for anyone but a hotline operator (or the office): the console's rule."""
    if not is_operator(request.user):
        raise DjangoPermissionDenied(
            _("This page is for the hotline operators and the efficiency office.")
        )


def is_department_user(user: Any) -> bool:
    """Staff (window, reviewer, head) of some department: who has a department queue."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.role in STAFF_ROLES
        and user.department_id is not None
    )


@dataclass(frozen=True)
class Reporter:
    """The reporter's data as ``viewer`` may see it (DOMAIN_RULES.md §10)."""

    name: str
    phone: str
    id_number: str
    masked: bool


def reporter_for(ticket: Ticket, viewer: Any) -> Reporter:
    """Phones and ID numbers in full for operators and the office (they call back), else masked."""
    full = is_operator(viewer)
    phone = ticket.reporter_phone
    id_number = ticket.reporter_id_number
    return Reporter(
        name=ticket.reporter_name,
        phone=phone if full or not phone else mask_phone(phone),
        id_number=id_number if full or not id_number else mask_id_number(id_number),
        masked=not full,
    )


def ticket_clock(ticket: Ticket) -> ClockDict | None:
    """The ticket's hotline clock (the open one, else the last stopped), as figures for today."""
    clock = clock_of_item(item=ticket, kind=CLOCK_KIND)
    if clock is None:
        return None
    return clocks_as_dicts([clock])[0]


def open_clocks(tickets: Iterable[Ticket]) -> dict[int, ClockDict]:
    """The open hotline clock of each ticket, by ticket id, in two queries for the whole list."""
    ids = [str(t.pk) for t in tickets]
    if not ids:
        return {}
    clocks = (
        Clock.objects.filter(
            content_type=ContentType.objects.get_for_model(Ticket),
            object_id__in=ids,
            kind=CLOCK_KIND,
        )
        .exclude(state=StateChoice.STOPPED)
        .select_related("department")
    )
    return {int(c.object_id): d for c, d in _paired(clocks)}


def _paired(clocks: Any) -> list[tuple[Clock, ClockDict]]:
    rows = list(clocks.prefetch_related("pauses"))
    return list(zip(rows, clocks_as_dicts(rows), strict=True))


@dataclass(frozen=True)
class HistoryRow:
    """One line of a ticket's timeline, labelled."""

    event: TicketEvent
    label: str
    status: str


def history(events: Iterable[TicketEvent], *, public: bool) -> list[HistoryRow]:
    """The timeline; ``public`` keeps the citizen's steps only (no send-backs, no reasons)."""
    return [
        HistoryRow(
            event=e,
            label=labels.label(labels.ACTION_LABELS, e.action),
            status=labels.label(labels.STATUS_LABELS, e.to_status),
        )
        for e in events
        if not public or e.action in labels.PUBLIC_ACTIONS
    ]


@dataclass(frozen=True)
class TicketRow:
    """A ticket with its labels (and its open clock) for a list."""

    ticket: Ticket
    type_label: str
    status_label: str
    urgency_label: str
    channel_label: str
    clock: ClockDict | None = None


def ticket_rows(tickets: Iterable[Ticket], *, with_clocks: bool = False) -> list[TicketRow]:
    """Rows for a list of tickets; ``with_clocks`` adds each one's open clock (two queries)."""
    items = list(tickets)
    clocks = open_clocks(items) if with_clocks else {}
    return [
        TicketRow(
            ticket=t,
            type_label=labels.label(labels.TYPE_LABELS, t.ticket_type),
            status_label=labels.label(labels.STATUS_LABELS, t.status),
            urgency_label=labels.label(labels.URGENCY_LABELS, t.urgency),
            channel_label=labels.label(labels.CHANNEL_LABELS, t.channel),
            clock=clocks.get(t.pk),
        )
        for t in items
    ]
