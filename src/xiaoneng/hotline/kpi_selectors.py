"""Aggregate queries behind the hotline KPIs (DOMAIN_RULES.md §7); formulas in ``kpi_rules``.

Every figure is counted by the database (``Count`` with filters, ``Exists`` on the events,
``GROUP BY`` for the breakdowns): no Python loop over tickets. The period is a cohort of
tickets *registered* from ``date_from`` to ``date_to`` (both included, local days).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast, TruncDate

from xiaoneng.clocks.models import Clock, StateChoice, WarningChoice
from xiaoneng.hotline import kpi_rules
from xiaoneng.hotline.models import Ticket, TicketEvent
from xiaoneng.hotline.rules import TicketAction
from xiaoneng.hotline.services.tickets import CLOCK_KIND


def _cohort(
    *, department_id: int | None, date_from: dt.date | None, date_to: dt.date | None
) -> QuerySet[Ticket]:
    tickets = Ticket.objects.all()
    if department_id is not None:
        tickets = tickets.filter(department_id=department_id)
    if date_from is not None:
        tickets = tickets.filter(created_at__date__gte=date_from)
    if date_to is not None:
        tickets = tickets.filter(created_at__date__lte=date_to)
    return tickets


def _has_event(action: TicketAction) -> Exists:
    return Exists(TicketEvent.objects.filter(ticket=OuterRef("pk"), action=action.value))


def _breakdown(tickets: QuerySet[Ticket], field: str) -> dict[str, int]:
    rows = tickets.order_by().values(field).annotate(n=Count("pk")).order_by(field)
    return {str(row[field] or ""): int(row["n"]) for row in rows}


def _rounds(tickets: QuerySet[Ticket], department_id: int | None) -> dict[str, int]:
    """Handling rounds ended by a reply, and those on time (see ``kpi_rules.on_time_rate``).

    A round is a stopped ``hotline.ticket`` clock; it ended by a reply when its ticket has a
    reply event on the clock's stop day (a send-back stops a clock too, with no reply). The
    count starts from the reply events of the cohort and looks each one's clock up through
    the clock's ``(content_type, object_id)`` index: the cast is on the event's side, so the
    index on the clock's text ``object_id`` is used.
    """
    clock = Clock.objects.filter(
        content_type=ContentType.objects.get_for_model(Ticket),
        object_id=Cast(OuterRef("ticket_id"), output_field=CharField()),
        kind=CLOCK_KIND,
        state=StateChoice.STOPPED,
        stopped_on=OuterRef("day"),
    )
    if department_id is not None:
        clock = clock.filter(department_id=department_id)
    replies = (
        TicketEvent.objects.filter(ticket__in=tickets.values("pk"), action=TicketAction.REPLY.value)
        .annotate(day=TruncDate("at"))
        .annotate(ended=Exists(clock), red=Exists(clock.filter(warning=WarningChoice.RED)))
    )
    # The aggregate names differ from the annotations': an aggregate named like an
    # annotation would replace it inside its own filter.
    counts = replies.aggregate(
        n_replied=Count("pk", filter=Q(ended=True)),
        n_late=Count("pk", filter=Q(ended=True, red=True)),
    )
    return {"replied": counts["n_replied"], "on_time": counts["n_replied"] - counts["n_late"]}


def hotline_kpis(
    *,
    department_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> dict[str, Any]:
    """The hotline KPIs of the tickets registered in the period, for one department or all.

    Keys: ``tickets_total`` (every ticket registered: merged duplicates, split originals and
    split parts included); ``merged`` (duplicates closed by a merge) and ``split`` (originals
    closed by a split), both left out of the first-contact rate; the rates
    ``first_contact_resolution_rate``, ``on_time_rate``, ``satisfaction_rate``,
    ``reopen_rate``, ``return_rate`` (fractions in [0, 1] or ``None``,
    formulas in :mod:`xiaoneng.hotline.kpi_rules`); the breakdowns ``by_channel``,
    ``by_type``, ``by_department`` (department code), ``by_district`` (``{key: count}``, ``""``
    for none yet); ``hot_topics``: the top categories ``[{"code", "name", "count"}]``.
    """
    tickets = _cohort(department_id=department_id, date_from=date_from, date_to=date_to)
    counts = tickets.annotate(
        has_direct=_has_event(TicketAction.ANSWER_DIRECTLY),
        has_refused=_has_event(TicketAction.CLOSE_NOT_ACCEPTED),
        has_dispatched=_has_event(TicketAction.DISPATCH),
        has_returned=_has_event(TicketAction.RETURN),
        has_merged=_has_event(TicketAction.MERGE),
        has_split=_has_event(TicketAction.SPLIT),
    ).aggregate(
        total=Count("pk"),
        direct=Count("pk", filter=Q(has_direct=True)),
        refused=Count("pk", filter=Q(has_refused=True)),
        dispatched=Count("pk", filter=Q(has_dispatched=True)),
        returned=Count("pk", filter=Q(has_returned=True)),
        merged=Count("pk", filter=Q(has_merged=True)),
        split=Count("pk", filter=Q(has_split=True)),
        visited=Count("pk", filter=Q(satisfaction__isnull=False)),
        satisfied=Count("pk", filter=Q(satisfaction__gte=int(kpi_rules.SATISFIED_FROM))),
        reopened=Count("pk", filter=Q(satisfaction__isnull=False, reopen_count__gt=0)),
    )
    rounds = _rounds(tickets, department_id)
    topics = (
        tickets.filter(category__isnull=False)
        .order_by()
        .values("category__code", "category__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "category__code")[: kpi_rules.HOT_TOPICS]
    )
    accepted = kpi_rules.first_contact_denominator(
        total=counts["total"],
        not_accepted=counts["refused"],
        merged=counts["merged"],
        split=counts["split"],
    )
    return {
        "tickets_total": counts["total"],
        "merged": counts["merged"],
        "split": counts["split"],
        "first_contact_resolution_rate": kpi_rules.first_contact_resolution_rate(
            answered_directly=counts["direct"], accepted=accepted
        ),
        "on_time_rate": kpi_rules.on_time_rate(
            on_time=rounds["on_time"], replied=rounds["replied"]
        ),
        "satisfaction_rate": kpi_rules.satisfaction_rate(
            satisfied=counts["satisfied"], visited=counts["visited"]
        ),
        "reopen_rate": kpi_rules.reopen_rate(
            reopened=counts["reopened"], visited=counts["visited"]
        ),
        "return_rate": kpi_rules.return_rate(
            returned=counts["returned"], dispatched=counts["dispatched"]
        ),
        "by_channel": _breakdown(tickets, "channel"),
        "by_type": _breakdown(tickets, "ticket_type"),
        "by_department": _breakdown(tickets, "department__code"),
        "by_district": _breakdown(tickets, "district"),
        "hot_topics": [
            {"code": row["category__code"], "name": row["category__name"], "count": row["n"]}
            for row in topics
        ],
    }
