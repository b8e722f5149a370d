"""Reads of the 12345 hotline: the one access function for a ticket, and the queues."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from xiaoneng.core.errors import NotFound
from xiaoneng.hotline import rules
from xiaoneng.hotline.models import Ticket, TicketEvent
from xiaoneng.hotline.services.tickets import STAFF_ROLES, is_operator


def _tickets() -> QuerySet[Ticket]:
    return Ticket.objects.select_related(
        "category", "department", "hotline_number", "officer", "dispatcher"
    )


def tickets_visible_to(user: Any) -> QuerySet[Ticket]:
    """Tickets ``user`` may see: operators and the office all, department staff their own."""
    if is_operator(user):
        return _tickets()
    if (
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.role in STAFF_ROLES
        and user.department_id is not None
    ):
        return _tickets().filter(department_id=user.department_id)
    return _tickets().none()


def ticket_for_user(user: Any, pk: int) -> Ticket:
    """The ticket ``pk`` if ``user`` may see it, else ``NotFound`` (existence is not revealed)."""
    ticket = tickets_visible_to(user).filter(pk=pk).first()
    if ticket is None:
        raise NotFound(_("No ticket %(pk)s that you may see.") % {"pk": pk})
    return ticket


def queue_to_dispatch(user: Any) -> QuerySet[Ticket]:
    """Registered tickets waiting for dispatch (new or sent back), oldest first; operators."""
    if not is_operator(user):
        return Ticket.objects.none()
    return _tickets().filter(status=rules.TicketStatus.REGISTERED).order_by("created_at", "id")


def queue_to_visit(user: Any) -> QuerySet[Ticket]:
    """Replied tickets waiting for the return visit, oldest first; operators."""
    if not is_operator(user):
        return Ticket.objects.none()
    return _tickets().filter(status=rules.TicketStatus.REPLIED).order_by("created_at", "id")


def department_queue(user: Any) -> QuerySet[Ticket]:
    """Tickets of the user's department still to accept or to reply, oldest first."""
    department_id = getattr(user, "department_id", None)
    if department_id is None:
        return Ticket.objects.none()
    return (
        tickets_visible_to(user)
        .filter(
            department_id=department_id,
            status__in=[rules.TicketStatus.DISPATCHED, rules.TicketStatus.ACCEPTED],
        )
        .order_by("created_at", "id")
    )


def ticket_events(ticket: Ticket) -> QuerySet[TicketEvent]:
    """The history of a ticket, oldest first."""
    return TicketEvent.objects.filter(ticket=ticket).select_related("actor").order_by("at", "id")
