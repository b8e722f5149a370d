"""The ticket page (`/hotline/tickets/<pk>/`) and its actions, one small POST form each.

The page is reached through the one access function
(:func:`xiaoneng.hotline.selectors.tickets.ticket_for_user`): a ticket the user may not see is
a 404 like a missing one. Each action calls one service (DOMAIN_RULES.md §7's loop); a refusal
(``InvalidInput``, ``Conflict``, ``PermissionDenied``) comes back on the same page as a message,
with what was typed still in the form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xiaoneng.accounts.models import Department
from xiaoneng.core.errors import InvalidInput, NotFound, XiaonengError
from xiaoneng.hotline import rules
from xiaoneng.hotline.models import Ticket
from xiaoneng.hotline.selectors import routing
from xiaoneng.hotline.selectors import tickets as selectors
from xiaoneng.hotline.services import tickets as services
from xiaoneng.hotline.views import common, labels

SPLIT_ROWS = 3


def allowed_actions(ticket: Ticket, user: Any) -> list[str]:
    """The forms ``user`` gets on ``ticket``: the transition table's rows open to them."""
    operator = services.is_operator(user)
    staff = services.is_department_staff(user, ticket)
    status = rules.TicketStatus(ticket.status)
    found: list[str] = []
    if operator and status == rules.TicketStatus.REGISTERED:
        found += ["answer_directly", "dispatch", "close_not_accepted", "merge", "split"]
    if staff and status == rules.TicketStatus.DISPATCHED:
        found += ["accept", "return"]
    if staff and status == rules.TicketStatus.ACCEPTED:
        found += ["reply"]
    if operator and status == rules.TicketStatus.REPLIED:
        found += ["visit"]
    if (
        getattr(user, "is_office", False)
        and status != rules.TicketStatus.CLOSED
        and ticket.supervision_task_id is None
    ):
        found += ["escalate"]
    return found


def _page(
    request: HttpRequest, ticket: Ticket, *, values: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    actions = allowed_actions(ticket, user)
    operator = services.is_operator(user)
    suggestions = (
        routing.dispatch_suggestions(
            description=ticket.description, category=ticket.category, district=ticket.district
        )
        if "dispatch" in actions
        else []
    )
    needs_departments = {"dispatch", "split", "escalate"} & set(actions)
    attachments = [
        {"a": a, "url": reverse("hotline:attachment", kwargs={"pk": a.pk})}
        for a in ticket.attachments.order_by("id")
    ]
    return render(
        request,
        "hotline/ticket.html",
        {
            "ticket": ticket,
            "row": common.ticket_rows([ticket])[0],
            "reporter": common.reporter_for(ticket, user),
            "clock": common.ticket_clock(ticket),
            "history": common.history(selectors.ticket_events(ticket), public=False),
            "attachments": attachments,
            "actions": actions,
            "is_operator": operator,
            "suggestions": suggestions,
            "departments": Department.objects.filter(active=True).order_by("code")
            if needs_departments
            else [],
            "not_accepted": labels.choices(labels.NOT_ACCEPTED_LABELS),
            "levels": [(int(k), v) for k, v in labels.SATISFACTION_LABELS.items()],
            "reopen_left": ticket.reopen_count < services.max_reopens(),
            "duplicates": list(ticket.duplicates.order_by("id")),
            "parts": common.ticket_rows(ticket.parts.select_related("department").order_by("id")),
            "split_rows": range(SPLIT_ROWS),
            "values": values or {},
            "satisfaction_label": labels.SATISFACTION_LABELS.get(ticket.satisfaction or 0, ""),
        },
        status=status,
    )


def _ticket_or_404(request: HttpRequest, pk: int) -> Ticket:
    try:
        return selectors.ticket_for_user(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


@login_required
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One ticket: details, files, clock, timeline and the forms of what the user may do."""
    return _page(request, _ticket_or_404(request, pk))


# -- the actions -----------------------------------------------------------------------------


def _department(request: HttpRequest, name: str, *, required: bool = True) -> Department | None:
    raw = request.POST.get(name, "").strip()
    if not raw:
        if required:
            raise InvalidInput(_("Choose a department."), details={"field": name})
        return None
    found = Department.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    if found is None:
        raise InvalidInput(
            _("Expected one of the listed departments, got %(value)r.") % {"value": raw},
            details={"field": name},
        )
    return found


def _dispatch(request: HttpRequest, ticket: Ticket) -> str:
    choice = request.POST.get("department", "").strip()
    name = "other_department" if choice in {"", "other"} else "department"
    department = _department(request, name)
    assert department is not None
    if not department.active:
        # Nothing new goes to a department merged away or dissolved (issue 5 §3).
        raise InvalidInput(
            _("%(department)s is no longer active; choose an active department.")
            % {"department": department.name},
            details={"field": name},
        )
    services.ticket_dispatch(actor=request.user, ticket=ticket, department=department)
    return _("Ticket %(number)s dispatched to %(department)s.") % {
        "number": ticket.number,
        "department": department.name,
    }


def _merge(request: HttpRequest, ticket: Ticket) -> str:
    number = request.POST.get("into", "").strip().upper()
    into = selectors.tickets_visible_to(request.user).filter(number=number).first()
    if into is None:
        raise InvalidInput(
            _("Expected the number of a ticket you may see, like GD2026112600001; got %(value)r.")
            % {"value": number},
            details={"field": "into"},
        )
    services.ticket_merge(actor=request.user, ticket=ticket, into=into)
    return _("Ticket %(number)s merged into %(into)s.") % {
        "number": ticket.number,
        "into": into.number,
    }


def _split(request: HttpRequest, ticket: Ticket) -> str:
    parts: list[tuple[Department, str]] = []
    for i in range(SPLIT_ROWS):
        text = request.POST.get(f"part_description_{i}", "").strip()
        dept_raw = request.POST.get(f"part_department_{i}", "").strip()
        if not text and not dept_raw:
            continue  # an empty row
        department = _department(request, f"part_department_{i}")
        assert department is not None
        parts.append((department, text))
    made = services.ticket_split(actor=request.user, ticket=ticket, parts=parts)
    return _("Ticket %(number)s split into %(parts)s.") % {
        "number": ticket.number,
        "parts": ", ".join(p.number for p in made),
    }


def _escalate(request: HttpRequest, ticket: Ticket) -> str:
    raw_limit = request.POST.get("limit_days", "").strip() or "10"
    if not raw_limit.isdigit():
        raise InvalidInput(
            _("Expected a whole number of working days, got %(value)r.") % {"value": raw_limit},
            details={"field": "limit_days"},
        )
    task = services.ticket_escalate(
        actor=request.user,
        ticket=ticket,
        title=request.POST.get("title", "").strip(),
        limit_days=int(raw_limit),
        lead_unit=_department(request, "lead_unit", required=False),
    )
    return _("Ticket %(number)s escalated into supervision task %(task)s.") % {
        "number": ticket.number,
        "task": getattr(task, "number", task.pk),
    }


def _simple(request: HttpRequest, ticket: Ticket, action: str) -> str:
    user, text = request.user, request.POST
    number = {"number": ticket.number}
    if action == "answer_directly":
        services.ticket_answer_directly(actor=user, ticket=ticket, answer=text.get("answer", ""))
        return _("Ticket %(number)s answered and closed.") % number
    if action == "close_not_accepted":
        services.ticket_close_not_accepted(actor=user, ticket=ticket, reason=text.get("reason", ""))
        return _("Ticket %(number)s closed as not accepted.") % number
    if action == "accept":
        services.ticket_accept(actor=user, ticket=ticket)
        return _("Ticket %(number)s accepted; its time limit is yours.") % number
    if action == "return":
        services.ticket_return(actor=user, ticket=ticket, reason=text.get("reason", ""))
        return _("Ticket %(number)s sent back to the dispatcher.") % number
    if action == "reply":
        services.ticket_reply(actor=user, ticket=ticket, reply=text.get("reply", ""))
        return _("Ticket %(number)s replied.") % number
    from xiaoneng.hotline.views.console import visit_outcome

    done = services.ticket_return_visit(
        actor=user, ticket=ticket, level=text.get("level", ""), note=text.get("note", "")
    )
    return visit_outcome(done)


def _simple_handler(action: str) -> Callable[[HttpRequest, Ticket], str]:
    def handle(request: HttpRequest, ticket: Ticket) -> str:
        return _simple(request, ticket, action)

    return handle


HANDLERS: dict[str, Callable[[HttpRequest, Ticket], str]] = {
    "dispatch": _dispatch,
    "merge": _merge,
    "split": _split,
    "escalate": _escalate,
    **{
        name: _simple_handler(name)
        for name in (
            "answer_directly",
            "close_not_accepted",
            "accept",
            "return",
            "reply",
            "visit",
        )
    },
}


@login_required
@require_POST
def ticket_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Take one step on a ticket; the service decides whether the user may."""
    ticket = _ticket_or_404(request, pk)
    handler = HANDLERS.get(action)
    if handler is None:
        raise Http404(_("No such action."))
    try:
        done = handler(request, ticket)
    except XiaonengError as exc:
        messages.error(request, exc.message)
        # The same page again, not a redirect, so what was typed stays in the form.
        ticket.refresh_from_db()
        values = {"action": action, **request.POST.dict()}
        return _page(request, ticket, values=values, status=exc.http_status)
    messages.success(request, done)
    # A department that sent the ticket back no longer sees it: back to its queue then.
    if selectors.tickets_visible_to(request.user).filter(pk=ticket.pk).exists():
        return HttpResponseRedirect(reverse("hotline:ticket", kwargs={"pk": ticket.pk}))
    if services.is_operator(request.user):
        return HttpResponseRedirect(reverse("hotline:console"))
    return HttpResponseRedirect(reverse("hotline:queue"))
