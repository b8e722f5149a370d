"""The demo city's 12345 hotline in a database: its tables, and a season of tickets whose
rows are what the ticket services write."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from django.utils import translation

from xiaoneng.accounts.models import Department, User
from xiaoneng.clocks.models import Clock
from xiaoneng.core.errors import InvalidInput
from xiaoneng.core.models import AuditEvent
from xiaoneng.demo import hotline_data as data
from xiaoneng.demo.hotline import (
    STUCK_RED,
    TO_DISPATCH_TODAY,
    demo_build_hotline_season,
    handler_username,
    handling_departments,
    plan_tickets,
    write_in_bulk,
    write_with_services,
)
from xiaoneng.demo.services import demo_build
from xiaoneng.hotline import rules
from xiaoneng.hotline.kpi_selectors import hotline_kpis
from xiaoneng.hotline.models import (
    Article,
    HotlineNumber,
    RoutingRule,
    Ticket,
    TicketCategory,
    TicketEvent,
)
from xiaoneng.hotline.services.tickets import (
    CLOCK_KIND,
    centre_code,
    is_department_staff,
    is_operator,
    limit_days_for,
)
from xiaoneng.notifications.models import Message

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 6, 18, 15, 30, tzinfo=SHANGHAI)  # a Wednesday afternoon
QUIET = {
    "TASKS": {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    },
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
}


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The demo city without its season (the hotline's tables only), rolled back after."""
    with django_db_blocker.unblock(), override_settings(**QUIET), transaction.atomic():
        summary = demo_build(activity=False)
        yield summary
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def season(city, django_db_blocker):  # type: ignore[no-untyped-def]
    """A small season of tickets written in bulk on top of the city, rolled back after."""
    with django_db_blocker.unblock(), override_settings(**QUIET), transaction.atomic():
        figures = demo_build_hotline_season(seed=11, now=NOW, tickets=400, days=45)
        yield figures
        transaction.set_rollback(True)


# -- the tables ------------------------------------------------------------------------------


def test_the_tables_exist_without_the_season(city):
    """With --no-activity the centre, its operators, the tree, the 17 numbers of 14
    departments, the articles and the ordered routing rules are there, and no ticket."""
    assert not Ticket.objects.exists()
    centre = Department.objects.get(code=centre_code())
    assert centre.name == data.CENTRE_NAME
    for username in ("operator", "operator2"):
        operator = User.objects.get(username=username)
        assert operator.department == centre and is_operator(operator)
        assert operator.check_password("demo")
    numbers = HotlineNumber.objects.select_related("default_category", "department")
    assert numbers.count() == 17
    assert numbers.values("department").distinct().count() == 14
    assert all(n.default_category.parent is not None for n in numbers)
    tops = TicketCategory.objects.filter(parent__isnull=True)
    assert tops.count() == len(data.TOP_CATEGORIES)
    assert TicketCategory.objects.filter(parent__isnull=False).count() == len(data.LEAVES)
    assert all(top.children.exists() for top in tops)
    articles = Article.objects.all()
    assert articles.count() == len(data.ARTICLES) >= 40
    assert all(a.category_id and a.search_text and a.active for a in articles)
    ordered = list(RoutingRule.objects.order_by("position").values_list("name", flat=True))
    assert ordered == [rule[0] for rule in data.ROUTING_RULES]
    assert RoutingRule.objects.filter(active=True).count() == len(data.ROUTING_RULES)
    assert city.extra["hotline"]["old_numbers"] == 17


def test_every_handling_department_has_an_officer(city):
    """Each department a ticket may go to has its window officer, who is staff of it."""
    for code in handling_departments():
        user = User.objects.get(username=handler_username(code))
        assert user.department.code == code and user.check_password("demo")
        assert is_department_staff(user, Ticket(department=user.department))
        assert not is_operator(user)


# -- the season ------------------------------------------------------------------------------


def _replay(events: list[TicketEvent]) -> str:
    """Walk a ticket's events through rules.TRANSITIONS; the status they lead to."""
    assert events[0].action == "register" and events[0].to_status == "registered"
    status, reopens = "registered", 0
    for event in events[1:]:
        assert event.from_status == status, (event.ticket_id, event.action)
        status = rules.next_status(status, event.action, reopen_count=reopens).value
        assert event.to_status == status
        reopens += event.action == "visit_reopen"
    return status


def test_every_ticket_history_follows_the_rules(season):
    """Event sequences are valid transitions ending in the ticket's status; timestamps never
    go back or pass the season's end; every dispatch started a clock, every reply and
    send-back stopped one on its day, and a closed dispatched ticket has no open clock."""
    events: dict[int, list[TicketEvent]] = defaultdict(list)
    for event in TicketEvent.objects.order_by("at", "id"):
        events[event.ticket_id].append(event)
    clocks: dict[str, list[Clock]] = defaultdict(list)
    for clock in Clock.objects.filter(kind=CLOCK_KIND).order_by("started_on", "id"):
        clocks[clock.object_id].append(clock)
    tickets = Ticket.objects.all()
    assert tickets.count() >= 400 + TO_DISPATCH_TODAY
    for ticket in tickets:
        history = events[ticket.pk]
        assert _replay(history) == ticket.status
        assert history[0].at == ticket.created_at
        assert all(e.at < NOW for e in history)
        own = clocks[str(ticket.pk)]
        starts = [e for e in history if e.action in ("dispatch", "visit_reopen")]
        stops = [e for e in history if e.action in ("reply", "return")]
        assert len(own) == len(starts)
        for clock, start in zip(own, starts, strict=True):
            assert clock.started_on == start.at.astimezone(SHANGHAI).date()
            assert clock.limit_days == limit_days_for(ticket.ticket_type, ticket.urgency)
        for clock, stop in zip(own, stops, strict=False):
            assert clock.state == "stopped" and clock.used_days is not None
            assert clock.stopped_on == stop.at.astimezone(SHANGHAI).date()
        if ticket.status == "closed" and starts:
            assert all(c.state == "stopped" for c in own)
        if ticket.status in ("dispatched", "accepted"):
            assert [c.state for c in own].count("running") == 1
        if ticket.status == "closed":
            assert ticket.closed_at == history[-1].at


def test_the_season_has_the_mix_and_todays_work(season):
    """Every channel and type, send-backs, reopens, not-accepted requests, late replies,
    today's queue to dispatch, queues in departments, visits to make, yellow and red."""
    assert season["to_dispatch"] >= TO_DISPATCH_TODAY
    assert season["in_departments"] > 0 and season["to_visit"] > 0
    assert season["open_red"] >= STUCK_RED and season["open_yellow"] >= 1
    assert season["sent_back"] > 0 and season["reopened"] > 0 and season["not_accepted"] > 0
    channels = Counter(Ticket.objects.values_list("channel", flat=True))
    assert set(channels) == {c.value for c in rules.Channel}
    assert set(Ticket.objects.values_list("ticket_type", flat=True)) == {
        t.value for t in rules.TicketType
    }
    late = Clock.objects.filter(kind=CLOCK_KIND, state="stopped", warning="red")
    assert late.exists()
    # Every old-number ticket names its number and starts in the number's category.
    for ticket in Ticket.objects.filter(channel="old_number").select_related("hotline_number"):
        assert ticket.category_id == ticket.hotline_number.default_category_id
    # Ticket numbers are GD + day + the day's sequence, with no gap.
    per_day = Ticket.objects.values("number").annotate(n=Count("pk"))
    assert all(row["number"].startswith("GD") and row["n"] == 1 for row in per_day)


def test_the_kpis_over_the_season_are_real_rates(season):
    """hotline_kpis over the season gives every rate strictly between 0 and 1."""
    kpis = hotline_kpis()
    for key in (
        "first_contact_resolution_rate",
        "on_time_rate",
        "satisfaction_rate",
        "reopen_rate",
        "return_rate",
    ):
        assert 0 < kpis[key] < 1, key
    assert kpis["tickets_total"] == Ticket.objects.count()
    assert len(kpis["hot_topics"]) == 10


# -- bulk rows are service rows --------------------------------------------------------------


def _snapshot(ticket_ids: set[int]) -> dict[str, list[Any]]:
    """Every row the writers make for these tickets, with ids replaced by stable keys."""
    tickets = {t.pk: t for t in Ticket.objects.filter(pk__in=ticket_ids)}
    number = {str(pk): t.number for pk, t in tickets.items()}
    skip = {"id", "query_code"}
    ticket_rows = sorted(
        tuple(
            (f.attname, getattr(t, f.attname))
            for f in Ticket._meta.concrete_fields
            if f.attname not in skip
        )
        for t in tickets.values()
    )
    events = sorted(
        (number[str(e.ticket_id)], e.at, e.actor_id, e.action, e.from_status, e.to_status,
         e.reason, e.data)
        for e in TicketEvent.objects.filter(ticket_id__in=ticket_ids)
    )  # fmt: skip
    clock_rows = list(Clock.objects.filter(object_id__in=list(number)))
    clock_key = {c.pk: (c.label, c.started_on.isoformat(), c.created_at) for c in clock_rows}
    clocks = sorted(
        tuple(
            (f.attname, getattr(c, f.attname) if f.attname != "object_id" else number[c.object_id])
            for f in Clock._meta.concrete_fields
            if f.attname != "id"
        )
        for c in clock_rows
    )
    message_rows = list(Message.objects.filter(object_id__in=list(number)))
    messages = sorted(
        (number[m.object_id], m.recipient_id, m.channel, m.subject, m.body, m.created_at,
         m.state, m.sent_at, m.attempts, m.read_at)
        for m in message_rows
    )  # fmt: skip
    message_ids = {m.pk for m in message_rows}
    audits = []
    for a in AuditEvent.objects.filter(at__gte=NOW - dt.timedelta(days=40)).order_by("id"):
        model = a.target_type.model if a.target_type_id else ""
        if model == "ticket" and a.target_id in number:
            target: tuple[Any, ...] = ("ticket", number[a.target_id])
        elif model == "clock" and int(a.target_id) in clock_key:
            target = ("clock", *clock_key[int(a.target_id)])
        else:
            continue
        body = dict(a.data)
        if "messages" in body:
            assert set(body["messages"]) <= message_ids
            body["messages"] = len(body["messages"])
        if "item" in body:
            body["item"] = number[body["item"]["id"]]
        audits.append((a.at, a.action, a.actor_id, target, a.summary, sorted(body.items())))
    return {
        "tickets": ticket_rows,
        "events": events,
        "clocks": clocks,
        "messages": messages,
        "audits": sorted(audits, key=repr),
    }


def _written_by(writer: Any, plan: list[Any]) -> dict[str, list[Any]]:
    with transaction.atomic():
        before = set(Ticket.objects.values_list("pk", flat=True))
        writer(plan)
        new = set(Ticket.objects.values_list("pk", flat=True)) - before
        snapshot = _snapshot(new)
        transaction.set_rollback(True)
    return snapshot


def test_bulk_rows_are_exactly_the_rows_the_services_write(city):
    """One plan written through the ticket services (time-travelling to each step) and with
    bulk inserts gives the same tickets, events, clocks, notices and audit trail."""
    from xiaoneng.calendars.selectors import workday_calendar

    calendar = workday_calendar()
    first = NOW.date() - dt.timedelta(days=40)
    workdays = [
        first + dt.timedelta(days=i)
        for i in range(41)
        if calendar.is_workday(first + dt.timedelta(days=i))
    ]
    limits = {
        (t.value, u.value): limit_days_for(t.value, u.value)
        for t in rules.TicketType
        for u in rules.Urgency
    }
    plan = plan_tickets(seed=5, now=NOW, workdays=workdays, limits=limits, tickets=60, days=30)
    actions = Counter(step.action for t in plan for step in t.steps)
    for action in ("return", "visit_reopen", "answer_directly", "close_not_accepted"):
        assert actions[action], action
    assert {t.channel for t in plan} == {c.value for c in rules.Channel}
    with override_settings(**QUIET):
        by_services = _written_by(write_with_services, plan)
        in_bulk = _written_by(write_in_bulk, plan)
    assert len(by_services["tickets"]) == len(plan)
    for table in ("tickets", "events", "clocks", "messages", "audits"):
        assert by_services[table], table
        for left, right in zip(by_services[table], in_bulk[table], strict=True):
            assert left == right, table


def test_a_season_cannot_end_in_the_future_or_use_an_unknown_writer(city):
    """The season refuses a moment after now, a scale below 1 and an unknown writer, and
    writes nothing."""
    before = Ticket.objects.count()
    later = dt.datetime.now(SHANGHAI) + dt.timedelta(hours=1)
    with translation.override("en"):  # the messages are matched in English
        with pytest.raises(InvalidInput, match="before now"):
            demo_build_hotline_season(now=later, tickets=1)
        with pytest.raises(InvalidInput, match="scale"):
            demo_build_hotline_season(now=NOW, scale=0)
        with pytest.raises(InvalidInput, match="writer"):
            demo_build_hotline_season(now=NOW, tickets=1, writer="fast")  # type: ignore[arg-type]
    assert Ticket.objects.count() == before
