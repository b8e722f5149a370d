"""Reads of the 12345 hotline: the one access function for a ticket, and the queues."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from xiaoneng.core.errors import NotFound
from xiaoneng.hotline import rules
from xiaoneng.hotline.models import Ticket, TicketAttachment, TicketEvent
from xiaoneng.hotline.services.tickets import STAFF_ROLES, is_operator
from xiaoneng.supervision.models import SupervisionTask


def _tickets() -> QuerySet[Ticket]:
    return Ticket.objects.select_related(
        "category", "department", "hotline_number", "officer", "dispatcher"
    )


def may_list_tickets(user: Any) -> bool:
    """Operators, the office and department staff work tickets; the ticket list API refuses
    everyone else with 403, as the department queue page does, rather than answer an empty
    list (a citizen follows a ticket by its number and query code instead)."""
    return is_operator(user) or bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.role in STAFF_ROLES
        and user.department_id is not None
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


def ticket_for_user_or_reporter(user: Any, pk: int) -> Ticket:
    """The ticket ``pk`` if ``user`` may see it or is its reporter's account, else ``NotFound``.

    For what a reporter with an account may do to their own ticket (add a file, download
    one); everything else goes through :func:`ticket_for_user`.
    """
    ticket = tickets_visible_to(user).filter(pk=pk).first()
    if ticket is None and getattr(user, "is_authenticated", False):
        ticket = _tickets().filter(pk=pk, reporter_id=user.pk).first()
    if ticket is None:
        raise NotFound(_("No ticket %(pk)s that you may see.") % {"pk": pk})
    return ticket


def ticket_attachments(ticket: Ticket) -> QuerySet[TicketAttachment]:
    """The files of a ticket, in the order they were added."""
    return TicketAttachment.objects.filter(ticket=ticket).order_by("id")


def attachment_for_user(user: Any, pk: int) -> TicketAttachment:
    """The attachment ``pk`` if ``user`` may see its ticket or reported it, else ``NotFound``.

    Those who see the ticket (:func:`tickets_visible_to`) and the reporter's own account may
    download its files; everyone else is told, as for a missing file, that there is none.
    """
    row = TicketAttachment.objects.select_related("ticket").filter(pk=pk).first()
    if row is not None:
        ticket = row.ticket
        if (
            getattr(user, "is_authenticated", False) and ticket.reporter_id == user.pk
        ) or tickets_visible_to(user).filter(pk=ticket.pk).exists():
            return row
    raise NotFound(_("No attachment %(pk)s that you may see.") % {"pk": pk})


@dataclass(frozen=True, slots=True)
class LinkedTicket:
    """A ticket linked to another (parent, duplicate, original, part), as shown with it."""

    id: int
    number: str
    status: str
    department: str  # the handling department's name, "" before dispatch


@dataclass(frozen=True, slots=True)
class TicketLinks:
    """How a ticket is tied to others: merged (并单), split (拆单), escalated (督办)."""

    parent: LinkedTicket | None
    duplicates: list[LinkedTicket]
    split_from: LinkedTicket | None
    parts: list[LinkedTicket]
    supervision_task_id: int | None
    supervision_task_number: str


def _linked(ticket: Ticket) -> LinkedTicket:
    department = ticket.department.name if ticket.department is not None else ""
    return LinkedTicket(ticket.pk, ticket.number, ticket.status, department)


def ticket_links(ticket: Ticket) -> TicketLinks:
    """The parent, duplicates, original and parts of ``ticket`` and its supervision task.

    For the ticket detail and the citizen's lookup: a merged duplicate shows the number it is
    handled under, a split original the parts' numbers and how far each has gone. Three
    queries at most, whatever the number of linked tickets.
    """
    related = (
        Ticket.objects.select_related("department")
        .filter(Q(parent=ticket) | Q(split_from=ticket) | Q(pk__in=_ids(ticket)))
        .order_by("id")
    )
    rows = list(related)
    by_id = {row.pk: row for row in rows}
    task = None
    if ticket.supervision_task_id is not None:
        task = (
            SupervisionTask.objects.filter(pk=ticket.supervision_task_id)
            .values_list("number", flat=True)
            .first()
        )
    return TicketLinks(
        parent=_linked(by_id[ticket.parent_id]) if ticket.parent_id in by_id else None,
        duplicates=[_linked(row) for row in rows if row.parent_id == ticket.pk],
        split_from=(
            _linked(by_id[ticket.split_from_id]) if ticket.split_from_id in by_id else None
        ),
        parts=[_linked(row) for row in rows if row.split_from_id == ticket.pk],
        supervision_task_id=ticket.supervision_task_id,
        supervision_task_number=task or "",
    )


def _ids(ticket: Ticket) -> list[int]:
    return [pk for pk in (ticket.parent_id, ticket.split_from_id) if pk is not None]
