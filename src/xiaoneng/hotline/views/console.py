"""The operator's pages: the console (`/hotline/console/`) and the return visits.

Operators (话务员) are the window officers of the hotline centre and the efficiency office
(``services.tickets.is_operator``); anyone else signed in gets a 403 page. The console holds
the queue to dispatch, the "register a call" form and the knowledge-base search; the visits
page records the return visit (回访) of each replied ticket (DOMAIN_RULES.md §7).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from xiaoneng.core.errors import NotFound, XiaonengError
from xiaoneng.hotline import rules
from xiaoneng.hotline.forms import RegisterForm
from xiaoneng.hotline.models import Ticket
from xiaoneng.hotline.selectors import tickets as selectors
from xiaoneng.hotline.services import tickets as services
from xiaoneng.hotline.views import common, labels

QUEUE_LIMIT = 200


@login_required
@require_http_methods(["GET", "POST"])
def console(request: HttpRequest) -> HttpResponse:
    """The queue to dispatch, oldest first, and the form to register a call (受理)."""
    common.require_operator(request)
    form = RegisterForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            channel, number = form.channel_and_number()
            try:
                ticket = services.ticket_register(
                    actor=request.user,
                    channel=channel,
                    hotline_number=number,
                    ticket_type=data["ticket_type"],
                    urgency=data["urgency"],
                    category=data["category"],
                    description=data["description"],
                    address=data["address"],
                    district=data["district"],
                    reporter_name=data["reporter_name"],
                    reporter_phone=data["reporter_phone"],
                    reporter_id_number=data["reporter_id_number"],
                )
            except XiaonengError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request, _("Ticket %(number)s registered.") % {"number": ticket.number}
                )
                return HttpResponseRedirect(reverse("hotline:ticket", kwargs={"pk": ticket.pk}))
        status = 400
    queue = selectors.queue_to_dispatch(request.user)
    return render(
        request,
        "hotline/console.html",
        {
            "form": form,
            "rows": common.ticket_rows(queue[:QUEUE_LIMIT]),
            "queue_count": queue.count(),
            "visit_count": selectors.queue_to_visit(request.user).count(),
            "knowledge_url": reverse("hotline:knowledge"),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def visits(request: HttpRequest) -> HttpResponse:
    """Replied tickets waiting for the return visit, oldest first, each with its visit form."""
    common.require_operator(request)
    tickets = list(selectors.queue_to_visit(request.user)[:QUEUE_LIMIT])
    limit = services.max_reopens()
    return render(
        request,
        "hotline/visits.html",
        {
            "rows": [
                {
                    "row": row,
                    "reporter": common.reporter_for(row.ticket, request.user),
                    # What a dissatisfied level (1–2) will do, so the operator can tell the
                    # caller before choosing it (rules.next_status decides, not the page).
                    "reopen_left": row.ticket.reopen_count < limit,
                }
                for row in common.ticket_rows(tickets)
            ],
            "levels": [(int(level), text) for level, text in labels.SATISFACTION_LABELS.items()],
            "max_reopens": limit,
        },
    )


@login_required
@require_POST
def visit(request: HttpRequest, pk: int) -> HttpResponse:
    """Record one return visit; the message says whether the ticket closed or reopened."""
    common.require_operator(request)
    try:
        ticket = selectors.ticket_for_user(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None
    try:
        ticket = services.ticket_return_visit(
            actor=request.user,
            ticket=ticket,
            level=request.POST.get("level", ""),
            note=request.POST.get("note", ""),
        )
    except XiaonengError as exc:
        messages.error(
            request,
            _("Ticket %(number)s: %(error)s") % {"number": ticket.number, "error": exc.message},
        )
    else:
        messages.success(request, visit_outcome(ticket))
    return HttpResponseRedirect(reverse("hotline:visits"))


def visit_outcome(ticket: Ticket) -> str:
    """What the return visit did, in words: closed satisfied, reopened, or closed dissatisfied."""
    if ticket.status != rules.TicketStatus.CLOSED:
        return _("Ticket %(number)s reopened to %(department)s on a new time limit.") % {
            "number": ticket.number,
            "department": ticket.department.name if ticket.department else "—",
        }
    if ticket.satisfaction is not None and rules.is_dissatisfied(
        rules.Satisfaction(ticket.satisfaction)
    ):
        return _("Ticket %(number)s closed as dissatisfied: no reopen is left.") % {
            "number": ticket.number
        }
    return _("Ticket %(number)s closed: the reporter is satisfied.") % {"number": ticket.number}
