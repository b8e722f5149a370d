"""Reads behind the citizen's pages: a ticket by number and query code, and "my tickets".

Kept apart from the staff access function (``selectors.tickets.ticket_for_user``): the lookup
is for anyone holding the ticket number and its query code (查询码), who may see the public
steps of the loop and the reply, never the reasons or other people's data.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db.models import QuerySet

from xiaoneng.hotline.models import Ticket


def _public_tickets() -> QuerySet[Ticket]:
    return Ticket.objects.select_related("department", "category", "parent", "split_from")


def ticket_by_lookup(number: str, code: str) -> Ticket | None:
    """The ticket with ``number`` whose query code is ``code``; None for any mismatch.

    An unknown number and a wrong code give the same None, so the lookup cannot be used to
    find out which numbers exist; the code is compared in constant time.
    """
    number = (number or "").strip().upper()
    code = (code or "").strip()
    if not number or not code:
        return None
    ticket = _public_tickets().filter(number=number).first()
    # A ticket without a code (registered before codes existed) is never found this way.
    expected = ticket.query_code if ticket is not None else "x" * 6
    if not expected or not secrets.compare_digest(expected.encode(), code.encode()):
        return None
    return ticket


def tickets_of_reporter(user: Any) -> QuerySet[Ticket]:
    """The tickets filed from ``user``'s account, newest first ("my tickets")."""
    if not getattr(user, "is_authenticated", False):
        return Ticket.objects.none()
    return _public_tickets().filter(reporter=user).order_by("-created_at", "-id")
