"""The department queue (`/hotline/queue/`): what the handling department has to do.

Staff (window, reviewer, head) of a department see its tickets to accept (签收), those in
hand, oldest first with their due dates and clock colour, and the tickets they sent back
(退单) lately, which are the dispatcher's again (DOMAIN_RULES.md §7).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from xiaoneng.hotline import rules
from xiaoneng.hotline.models import TicketEvent
from xiaoneng.hotline.selectors import tickets as selectors
from xiaoneng.hotline.services import tickets as services
from xiaoneng.hotline.views import common

RETURNED_SHOWN = 20


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The user's department's tickets: to accept, in hand, and lately sent back."""
    user = request.user
    # One link in the navigation for everyone who works tickets: operators (the centre's
    # window officers, the office) work them from the console.
    if services.is_operator(user):
        return HttpResponseRedirect(reverse("hotline:console"))
    if not common.is_department_user(user):
        raise DjangoPermissionDenied(_("The department queue is for department staff."))
    rows = common.ticket_rows(selectors.department_queue(user), with_clocks=True)
    # The department no longer sees a ticket it sent back, so the list comes from its own
    # send-back events: number, day and reason, no link.
    returned = (
        TicketEvent.objects.filter(
            action=rules.TicketAction.RETURN.value,
            data__department=user.department_id,  # type: ignore[union-attr]
        )
        .select_related("ticket", "actor")
        .order_by("-at", "-id")[:RETURNED_SHOWN]
    )
    return render(
        request,
        "hotline/queue.html",
        {
            "department": user.department,  # type: ignore[union-attr]
            "to_accept": [r for r in rows if r.ticket.status == rules.TicketStatus.DISPATCHED],
            "in_hand": [r for r in rows if r.ticket.status == rules.TicketStatus.ACCEPTED],
            "returned": list(returned),
        },
    )
