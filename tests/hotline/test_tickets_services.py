"""Hotline services: each transition allowed and refused, clocks, reopen limit, masking."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.hotline.conftest import travel_to
from tests.hotline.factories import register
from xiaoneng.calendars.selectors import workday_calendar
from xiaoneng.clocks.models import StateChoice
from xiaoneng.clocks.selectors import clocks_of_item
from xiaoneng.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from xiaoneng.core.models import AuditEvent
from xiaoneng.hotline.models import HotlineNumber, TicketCategory, TicketClockRule, TicketEvent
from xiaoneng.hotline.selectors import tickets as selectors
from xiaoneng.hotline.services import tickets as services
from xiaoneng.notifications.models import Message

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 9, 29)  # a Monday; the National Day holidays follow


def _clocks(ticket):  # type: ignore[no-untyped-def]
    return list(clocks_of_item(item=ticket).filter(kind=services.CLOCK_KIND).order_by("pk"))


def _dispatched(hotline, **kwargs):  # type: ignore[no-untyped-def]
    ticket = register(operator=hotline.operator, **kwargs)
    return services.ticket_dispatch(
        actor=hotline.operator, ticket=ticket, department=hotline.department
    )


def _replied(hotline, **kwargs):  # type: ignore[no-untyped-def]
    ticket = _dispatched(hotline, **kwargs)
    services.ticket_accept(actor=hotline.window, ticket=ticket)
    return services.ticket_reply(actor=hotline.window, ticket=ticket, reply="已责令停工整改")


def test_register_numbers_tickets_by_day(hotline):
    """Numbers are GD + date + five-digit sequence of the day, and the event is recorded."""
    with travel_to(DAY):
        first = register(operator=hotline.operator)
        second = register(operator=hotline.operator, reporter_name="", reporter_phone="")
    assert (first.number, second.number) == ("GD2025092900001", "GD2025092900002")
    assert first.status == "registered"
    assert list(TicketEvent.objects.filter(ticket=first).values_list("action", flat=True)) == [
        "register"
    ]
    assert AuditEvent.objects.filter(action="hotline.ticket_register").count() == 2


def test_str_masks_the_phone_and_anonymous_is_allowed(hotline):
    """The reporter's phone is masked in str(); an anonymous reporter shows as anonymous."""
    named = register(operator=hotline.operator)
    anonymous = register(operator=hotline.operator, reporter_name="", reporter_phone="")
    assert "138****5678" in str(named) and "13812345678" not in str(named)
    assert str(anonymous).endswith("anonymous")


def test_only_operators_register(hotline):
    """Department staff and citizens may not register; the office may."""
    for person in (hotline.window, hotline.citizen):
        with pytest.raises(PermissionDenied):
            register(operator=person)
    assert register(operator=hotline.office).pk


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"channel": "fax"}, "got 'fax'"),
        ({"ticket_type": "gossip"}, "got 'gossip'"),
        ({"description": "  "}, "empty"),
        ({"channel": "old_number"}, "old_number"),
    ],
)
def test_register_refuses_bad_input(hotline, kwargs, says):
    """Unknown values, an empty description and an old-number channel without number fail."""
    with pytest.raises(InvalidInput, match=says):
        register(operator=hotline.operator, **kwargs)


def test_old_number_gives_its_default_category(hotline):
    """A ticket from an old department hotline starts in that number's category."""
    category = TicketCategory.objects.create(code="SC", name="市场监管")
    number = HotlineNumber.objects.create(
        number="12315", name="消费者投诉", department=hotline.other, default_category=category
    )
    ticket = register(operator=hotline.operator, channel="old_number", hotline_number=number)
    assert ticket.category == category


def test_not_accepted_closes_with_the_channel_to_use(hotline):
    """A litigation matter is closed at once, the reply naming the court; no clock runs."""
    ticket = register(operator=hotline.operator)
    services.ticket_close_not_accepted(actor=hotline.operator, ticket=ticket, reason="litigation")
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.not_accepted_reason == "litigation"
    assert "court" in ticket.reply and ticket.closed_at is not None
    assert _clocks(ticket) == []


def test_answer_directly_closes_at_first_contact(hotline):
    """直办: the answer is stored and the ticket closed; nothing else can follow."""
    ticket = register(operator=hotline.operator, ticket_type="consultation")
    services.ticket_answer_directly(actor=hotline.operator, ticket=ticket, answer="可网上办理")
    assert ticket.status == "closed"
    with pytest.raises(Conflict, match="closed"):
        services.ticket_dispatch(
            actor=hotline.operator, ticket=ticket, department=hotline.department
        )


def test_dispatch_starts_the_clock_and_tells_the_department(hotline):
    """A complaint gets 15 working days from the dispatch day; department staff are told."""
    with travel_to(DAY):
        ticket = _dispatched(hotline)
    [clock] = _clocks(ticket)
    assert clock.department == hotline.department and clock.limit_days == 15
    assert clock.due_on == workday_calendar().add_workdays(DAY, 15)
    told = set(Message.objects.filter(channel="in_site").values_list("recipient", flat=True))
    assert told == {hotline.head.pk, hotline.window.pk}


def test_a_clock_rule_row_overrides_the_default(hotline):
    """A TicketClockRule row for (complaint, ordinary) sets the limit instead of 15."""
    TicketClockRule.objects.create(ticket_type="complaint", urgency="ordinary", limit_days=7)
    with travel_to(DAY):
        ticket = _dispatched(hotline)
    assert _clocks(ticket)[0].limit_days == 7


def test_urgent_is_one_working_day(hotline):
    """Urgent requests get one working day whatever their type."""
    with travel_to(DAY):
        ticket = _dispatched(hotline, urgency="urgent", ticket_type="report")
    assert _clocks(ticket)[0].limit_days == 1


def test_only_the_department_accepts_and_the_officer_answers_for_the_clock(hotline):
    """Another department's head is refused; the accepting officer becomes the clock officer."""
    ticket = _dispatched(hotline)
    with pytest.raises(PermissionDenied):
        services.ticket_accept(actor=hotline.other_head, ticket=ticket)
    with pytest.raises(PermissionDenied):
        services.ticket_accept(actor=hotline.operator, ticket=ticket)
    services.ticket_accept(actor=hotline.window, ticket=ticket)
    assert ticket.status == "accepted" and ticket.officer == hotline.window
    assert _clocks(ticket)[0].officer == hotline.window


def test_return_needs_a_reason_stops_the_clock_and_goes_to_the_dispatcher(hotline):
    """退单 without a reason fails; with one, the clock stops and the dispatcher is told."""
    ticket = _dispatched(hotline)
    with pytest.raises(InvalidInput, match="empty"):
        services.ticket_return(actor=hotline.head, ticket=ticket, reason=" ")
    services.ticket_return(actor=hotline.head, ticket=ticket, reason="不属本单位职责")
    assert ticket.status == "registered" and ticket.department is None
    assert _clocks(ticket)[0].state == StateChoice.STOPPED
    assert Message.objects.filter(recipient=hotline.operator).exists()
    services.ticket_dispatch(actor=hotline.operator, ticket=ticket, department=hotline.other)
    assert [c.department for c in _clocks(ticket)] == [hotline.department, hotline.other]


def test_reply_before_accepting_is_refused_and_reply_stops_the_clock(hotline):
    """A dispatched ticket cannot be replied; after acceptance the reply stops the clock."""
    ticket = _dispatched(hotline, reporter=hotline.citizen)
    with pytest.raises(Conflict, match="dispatched"):
        services.ticket_reply(actor=hotline.window, ticket=ticket, reply="已处理")
    services.ticket_accept(actor=hotline.window, ticket=ticket)
    services.ticket_reply(actor=hotline.window, ticket=ticket, reply="已处理")
    assert ticket.status == "replied"
    assert _clocks(ticket)[0].state == StateChoice.STOPPED
    assert Message.objects.filter(recipient=hotline.citizen).exists()


def test_satisfied_visit_closes(hotline):
    """A level of 3 or more closes the ticket with its satisfaction."""
    ticket = _replied(hotline)
    services.ticket_return_visit(actor=hotline.operator, ticket=ticket, level=4)
    assert (ticket.status, ticket.satisfaction, ticket.reopen_count) == ("closed", 4, 0)


def test_department_staff_cannot_make_the_visit(hotline):
    """The return visit is the operator's, not the handling department's."""
    ticket = _replied(hotline)
    with pytest.raises(PermissionDenied):
        services.ticket_return_visit(actor=hotline.head, ticket=ticket, level=5)


def test_dissatisfied_reopens_once_on_a_new_clock_then_closes(hotline):
    """First dissatisfied visit reopens to the same department; the second closes it."""
    with travel_to(DAY):
        ticket = _replied(hotline)
        services.ticket_return_visit(actor=hotline.operator, ticket=ticket, level=2)
    assert (ticket.status, ticket.reopen_count) == ("accepted", 1)
    assert ticket.department == hotline.department and ticket.closed_at is None
    clocks = _clocks(ticket)
    assert [c.state for c in clocks] == [StateChoice.STOPPED, StateChoice.RUNNING]
    with travel_to(DAY):
        services.ticket_reply(actor=hotline.window, ticket=ticket, reply="再次处理")
        services.ticket_return_visit(actor=hotline.operator, ticket=ticket, level=1)
    assert (ticket.status, ticket.satisfaction, ticket.reopen_count) == ("closed", 1, 1)
    actions = list(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert actions[-1] == "visit_close_dissatisfied" and "visit_reopen" in actions


def test_the_reopen_limit_is_a_setting(hotline, settings):
    """With HOTLINE_MAX_REOPENS = 0 a dissatisfied visit closes at once."""
    settings.HOTLINE_MAX_REOPENS = 0
    ticket = _replied(hotline)
    services.ticket_return_visit(actor=hotline.operator, ticket=ticket, level=1)
    assert (ticket.status, ticket.reopen_count) == ("closed", 0)


def test_events_are_append_only(hotline):
    """A ticket event cannot be changed or deleted."""
    event = TicketEvent.objects.filter(ticket=register(operator=hotline.operator)).get()
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_ticket_for_user_by_role(hotline):
    """Operators and the office see all; department staff their own; others get NotFound."""
    ticket = _dispatched(hotline)
    for person in (hotline.operator, hotline.office, hotline.head, hotline.window):
        assert selectors.ticket_for_user(person, ticket.pk) == ticket
    for person in (hotline.other_head, hotline.citizen):
        with pytest.raises(NotFound):
            selectors.ticket_for_user(person, ticket.pk)


def test_queues(hotline):
    """Registered tickets wait for dispatch, dispatched ones in the department's queue."""
    waiting = register(operator=hotline.operator)
    sent = _dispatched(hotline)
    assert list(selectors.queue_to_dispatch(hotline.operator)) == [waiting]
    assert list(selectors.department_queue(hotline.head)) == [sent]
    assert list(selectors.department_queue(hotline.other_head)) == []
    assert list(selectors.queue_to_dispatch(hotline.head)) == []
