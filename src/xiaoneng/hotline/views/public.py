"""What the citizen's lookup page shows of a ticket (the reads are in ``selectors.public``)."""

from __future__ import annotations

from dataclasses import dataclass

from xiaoneng.hotline.models import Ticket, TicketEvent
from xiaoneng.hotline.selectors.public import ticket_by_lookup, tickets_of_reporter
from xiaoneng.hotline.views import common

__all__ = ["PublicView", "public_view", "ticket_by_lookup", "tickets_of_reporter"]


@dataclass(frozen=True)
class PublicView:
    """What the lookup shows of a ticket."""

    ticket: Ticket
    timeline: list[common.HistoryRow]
    parts: list[Ticket]
    merged_into: Ticket | None


def public_view(ticket: Ticket) -> PublicView:
    """The ticket's public timeline, its split parts and the ticket it was merged into."""
    events = TicketEvent.objects.filter(ticket=ticket).order_by("at", "id")
    return PublicView(
        ticket=ticket,
        timeline=common.history(events, public=True),
        parts=list(
            Ticket.objects.filter(split_from=ticket).select_related("department").order_by("id")
        ),
        merged_into=ticket.parent,
    )
