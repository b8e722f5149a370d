"""Ticket operations: merge duplicates (并单), split (拆单), escalate (升级督办); issue 5 §2."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.hotline.conftest import travel_to
from tests.hotline.factories import register
from xiaoneng.clocks.models import StateChoice
from xiaoneng.clocks.selectors import clocks_of_item
from xiaoneng.core.errors import Conflict, InvalidInput, PermissionDenied
from xiaoneng.core.models import AuditEvent
from xiaoneng.hotline.models import Ticket, TicketEvent
from xiaoneng.hotline.selectors import tickets as selectors
from xiaoneng.hotline.services import tickets as services
from xiaoneng.notifications.models import Message
from xiaoneng.supervision.models import SupervisionTask

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 9, 29)  # a Monday


def _clocks(ticket):  # type: ignore[no-untyped-def]
    return list(clocks_of_item(item=ticket).filter(kind=services.CLOCK_KIND).order_by("pk"))


def _actions(ticket):  # type: ignore[no-untyped-def]
    return list(
        TicketEvent.objects.filter(ticket=ticket).order_by("id").values_list("action", flat=True)
    )


def _audits(action, ticket):  # type: ignore[no-untyped-def]
    return AuditEvent.objects.filter(action=f"hotline.ticket_{action}", target_id=str(ticket.pk))


def _dispatched(hotline, **kwargs):  # type: ignore[no-untyped-def]
    ticket = register(operator=hotline.operator, **kwargs)
    return services.ticket_dispatch(
        actor=hotline.operator, ticket=ticket, department=hotline.department
    )


# -- merge ------------------------------------------------------------------------------------


def test_merge_closes_the_duplicate_under_its_parent(hotline):
    """A registered duplicate closes with action merge naming the parent; event and audit."""
    with travel_to(DAY):
        parent = _dispatched(hotline)
        duplicate = register(operator=hotline.operator, reporter=hotline.citizen)
        merged = services.ticket_merge(actor=hotline.operator, ticket=duplicate, into=parent)
    assert merged.status == "closed" and merged.closed_at is not None
    assert merged.parent_id == parent.pk
    assert duplicate.status == "closed"  # the caller's instance follows
    event = TicketEvent.objects.filter(ticket=duplicate, action="merge").get()
    assert (event.from_status, event.to_status) == ("registered", "closed")
    assert event.data["into"] == parent.number
    assert _audits("merge", duplicate).count() == 1
    assert _clocks(duplicate) == []  # never charged to anyone
    assert parent.number in merged.reply
    assert Message.objects.filter(recipient=hotline.citizen, subject__contains=parent.number)


def test_parent_reply_is_copied_to_duplicates_and_their_reporters_told(hotline):
    """When the parent is replied, each duplicate gets the reply and its reporter a message."""
    with travel_to(DAY):
        parent = _dispatched(hotline)
        duplicate = register(operator=hotline.operator, reporter=hotline.citizen)
        anonymous = register(operator=hotline.operator, reporter_name="")
        for each in (duplicate, anonymous):
            services.ticket_merge(actor=hotline.operator, ticket=each, into=parent)
        services.ticket_accept(actor=hotline.window, ticket=parent)
        services.ticket_reply(actor=hotline.window, ticket=parent, reply="已协调施工方夜间停工")
    for each in (duplicate, anonymous):
        each.refresh_from_db()
        assert each.reply == "已协调施工方夜间停工"
        assert _actions(each)[-1] == "parent_reply"
        assert _audits("parent_reply", each).count() == 1
    told = Message.objects.filter(recipient=hotline.citizen, subject__contains=duplicate.number)
    assert told.filter(body="已协调施工方夜间停工").exists()


def test_merge_into_a_replied_parent_copies_the_reply_at_once(hotline):
    """A duplicate merged after the parent's reply shows that reply straight away."""
    with travel_to(DAY):
        parent = _dispatched(hotline)
        services.ticket_accept(actor=hotline.window, ticket=parent)
        services.ticket_reply(actor=hotline.window, ticket=parent, reply="已处理")
        late = register(operator=hotline.operator)
        merged = services.ticket_merge(actor=hotline.operator, ticket=late, into=parent)
    assert merged.reply == "已处理"


def test_merging_a_parent_moves_its_duplicates_along(hotline):
    """Groups stay one level deep: a parent merged away takes its duplicates to the new parent."""
    with travel_to(DAY):
        first = register(operator=hotline.operator)
        second = register(operator=hotline.operator)
        child = register(operator=hotline.operator)
        services.ticket_merge(actor=hotline.operator, ticket=child, into=second)
        services.ticket_merge(actor=hotline.operator, ticket=second, into=first)
    child.refresh_from_db()
    second.refresh_from_db()
    assert (child.parent_id, second.parent_id) == (first.pk, first.pk)
    assert _actions(child)[-1] == "reparent"
    assert Ticket.objects.filter(parent__parent__isnull=False).count() == 0


@pytest.mark.parametrize("case", ["self", "dispatched", "closed_parent", "parent_is_duplicate"])
def test_merge_refusals(hotline, case):
    """Merging into itself, a dispatched duplicate, a closed or merged parent are refused."""
    with travel_to(DAY):
        ticket = register(operator=hotline.operator)
        parent = register(operator=hotline.operator)
        expected: type[Exception] = Conflict
        if case == "self":
            parent, expected = ticket, InvalidInput
        elif case == "dispatched":
            ticket = services.ticket_dispatch(
                actor=hotline.operator, ticket=ticket, department=hotline.department
            )
        elif case == "closed_parent":
            services.ticket_answer_directly(actor=hotline.operator, ticket=parent, answer="已答")
        else:
            top = register(operator=hotline.operator)
            services.ticket_merge(actor=hotline.operator, ticket=parent, into=top)
        before = TicketEvent.objects.count()
        with pytest.raises(expected) as error:
            services.ticket_merge(actor=hotline.operator, ticket=ticket, into=parent)
    assert error.value.message
    assert TicketEvent.objects.count() == before
    ticket.refresh_from_db()
    assert ticket.parent_id is None


def test_only_operators_merge(hotline):
    """Department staff and citizens may not merge tickets."""
    with travel_to(DAY):
        ticket = register(operator=hotline.operator)
        parent = register(operator=hotline.operator)
        for person in (hotline.window, hotline.citizen):
            with pytest.raises(PermissionDenied):
                services.ticket_merge(actor=person, ticket=ticket, into=parent)
    ticket.refresh_from_db()
    assert ticket.status == "registered"


def test_a_returned_ticket_may_be_merged_and_has_no_open_clock(hotline):
    """A sent-back ticket is registered again with its clock stopped, so it can be merged."""
    with travel_to(DAY):
        ticket = _dispatched(hotline)
        services.ticket_return(actor=hotline.window, ticket=ticket, reason="不属本局职责")
        parent = register(operator=hotline.operator)
        services.ticket_merge(actor=hotline.operator, ticket=ticket, into=parent)
    assert [clock.state for clock in _clocks(ticket)] == [StateChoice.STOPPED]


# -- split ------------------------------------------------------------------------------------


def test_split_dispatches_each_part_on_its_own_clock(hotline):
    """Each part is a new ticket, dispatched at once with a clock; the original closes."""
    with travel_to(DAY):
        original = register(
            operator=hotline.operator,
            reporter=hotline.citizen,
            district="江城区",
            urgency="urgent",
            reporter_id_number="110101199003077777",
        )
        parts = services.ticket_split(
            actor=hotline.operator,
            ticket=original,
            parts=[(hotline.department, "工地夜间施工"), (hotline.other, "渣土车占道")],
        )
    assert [p.department_id for p in parts] == [hotline.department.pk, hotline.other.pk]
    for part in parts:
        part.refresh_from_db()
        assert part.split_from_id == original.pk
        assert part.status == "dispatched"
        assert part.number != original.number and len(part.query_code) == 6
        assert (part.reporter_id, part.district, part.urgency, part.channel) == (
            hotline.citizen.pk,
            "江城区",
            "urgent",
            "phone",
        )
        assert part.reporter_id_number == "110101199003077777"
        [clock] = _clocks(part)
        assert clock.state != StateChoice.STOPPED and clock.department_id == part.department_id
        assert _actions(part) == ["register", "dispatch"]
    original.refresh_from_db()
    assert original.status == "closed" and _clocks(original) == []
    event = TicketEvent.objects.get(ticket=original, action="split")
    assert event.data["parts"] == [p.number for p in parts]
    assert all(p.number in original.reply for p in parts)
    assert _audits("split", original).count() == 1
    body = Message.objects.get(recipient=hotline.citizen, subject__contains="split").body
    assert all(p.query_code in body for p in parts)


@pytest.mark.parametrize("case", ["one_part", "same_department", "empty", "inactive"])
def test_split_refuses_bad_parts_and_writes_nothing(hotline, case):
    """Too few parts, a repeated or inactive department, an empty description: InvalidInput."""
    ticket = register(operator=hotline.operator)
    parts = [(hotline.department, "甲"), (hotline.other, "乙")]
    if case == "one_part":
        parts = parts[:1]
    elif case == "same_department":
        parts = [(hotline.department, "甲"), (hotline.department, "乙")]
    elif case == "empty":
        parts[1] = (hotline.other, "  ")
    else:
        hotline.other.active = False
        hotline.other.save()
    count = Ticket.objects.count()
    with pytest.raises(InvalidInput):
        services.ticket_split(actor=hotline.operator, ticket=ticket, parts=parts)
    assert Ticket.objects.count() == count


def test_split_needs_a_registered_ticket_without_duplicates_and_an_operator(hotline):
    """A dispatched ticket or one with duplicates is not split; staff may not split."""
    parts = [(hotline.department, "甲"), (hotline.other, "乙")]
    with travel_to(DAY):
        dispatched = _dispatched(hotline)
        with pytest.raises(Conflict):
            services.ticket_split(actor=hotline.operator, ticket=dispatched, parts=parts)
        parent = register(operator=hotline.operator)
        services.ticket_merge(
            actor=hotline.operator, ticket=register(operator=hotline.operator), into=parent
        )
        with pytest.raises(Conflict):
            services.ticket_split(actor=hotline.operator, ticket=parent, parts=parts)
        with pytest.raises(PermissionDenied):
            services.ticket_split(
                actor=hotline.head, ticket=register(operator=hotline.operator), parts=parts
            )
    assert Ticket.objects.filter(split_from__isnull=False).count() == 0


def test_links_show_parent_duplicates_original_and_parts(hotline, django_assert_max_num_queries):
    """ticket_links names every linked ticket in at most two queries, each way round."""
    with travel_to(DAY):
        parent = register(operator=hotline.operator)
        duplicate = register(operator=hotline.operator)
        services.ticket_merge(actor=hotline.operator, ticket=duplicate, into=parent)
        original = register(operator=hotline.operator)
        parts = services.ticket_split(
            actor=hotline.operator,
            ticket=original,
            parts=[(hotline.department, "甲"), (hotline.other, "乙")],
        )
    with django_assert_max_num_queries(2):
        links = selectors.ticket_links(parent)
    assert [d.number for d in links.duplicates] == [duplicate.number]
    assert links.parent is None and links.parts == [] and links.supervision_task_id is None
    duplicate.refresh_from_db()
    assert selectors.ticket_links(duplicate).parent.number == parent.number  # type: ignore[union-attr]
    original.refresh_from_db()
    shown = selectors.ticket_links(original).parts
    assert [(p.number, p.status, p.department) for p in shown] == [
        (parts[0].number, "dispatched", hotline.department.name),
        (parts[1].number, "dispatched", hotline.other.name),
    ]
    assert selectors.ticket_links(parts[1]).split_from.number == original.number  # type: ignore[union-attr]


# -- escalate ---------------------------------------------------------------------------------


def test_office_escalates_into_a_supervision_task(hotline):
    """The office opens a hotline_escalation task referring to the ticket; status unchanged."""
    with travel_to(DAY):
        ticket = _dispatched(hotline, description="小区噪音 联系电话13812345678")
        task = services.ticket_escalate(actor=hotline.office, ticket=ticket, limit_days=5)
    ticket.refresh_from_db()
    assert ticket.supervision_task_id == task.pk and ticket.status == "dispatched"
    assert (task.source, task.source_reference, task.limit_days) == (
        "hotline_escalation",
        ticket.number,
        5,
    )
    assert task.lead_unit_id == hotline.department.pk
    assert "13812345678" not in task.description and "138****5678" in task.description
    event = TicketEvent.objects.get(ticket=ticket, action="escalate")
    assert (event.from_status, event.to_status) == ("dispatched", "dispatched")
    assert event.data["supervision_task"] == task.pk
    assert _audits("escalate", ticket).count() == 1
    [clock] = _clocks(ticket)
    assert clock.state != StateChoice.STOPPED


def test_escalation_refusals(hotline):
    """An operator is refused (office only); a second escalation and a closed ticket conflict."""
    with travel_to(DAY):
        ticket = _dispatched(hotline)
        with pytest.raises(PermissionDenied, match="efficiency office"):
            services.ticket_escalate(actor=hotline.operator, ticket=ticket)
        task = services.ticket_escalate(actor=hotline.office, ticket=ticket, title="督办噪音")
        assert task.title == "督办噪音"
        with pytest.raises(Conflict, match=task.number):
            services.ticket_escalate(actor=hotline.office, ticket=ticket)
        closed = register(operator=hotline.operator)
        services.ticket_answer_directly(actor=hotline.operator, ticket=closed, answer="已答")
        with pytest.raises(Conflict):
            services.ticket_escalate(actor=hotline.office, ticket=closed)
        with pytest.raises(InvalidInput):
            services.ticket_escalate(
                actor=hotline.office, ticket=register(operator=hotline.operator), limit_days=0
            )
    assert SupervisionTask.objects.count() == 1
