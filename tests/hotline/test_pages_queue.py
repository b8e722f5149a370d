"""The department queue (issue 5 §7): to accept, in hand, sent back; due dates and colour."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.hotline.conftest import Hotline, travel_to
from tests.hotline.factories import register
from xiaoneng.hotline.services import tickets as services


@pytest.fixture(autouse=True)
def _english(client):  # type: ignore[no-untyped-def]
    """These tests read the English messages; Chinese is the default (tested elsewhere)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


pytestmark = pytest.mark.django_db


def test_who_has_a_queue(client, hotline: Hotline):
    """Department staff get it; operators go to the console; citizens 403; anonymous sign in."""
    url = reverse("hotline:queue")
    assert client.get(url).status_code == 302
    client.force_login(hotline.head)
    assert client.get(url).status_code == 200
    client.force_login(hotline.operator)
    assert client.get(url)["Location"] == reverse("hotline:console")
    client.force_login(hotline.office)
    assert client.get(url)["Location"] == reverse("hotline:console")
    client.force_login(hotline.citizen)
    assert client.get(url).status_code == 403


def test_the_queue_splits_to_accept_and_in_hand_oldest_first(client, hotline: Hotline):
    """Two dispatched tickets oldest first under "to accept", the accepted one "in hand"."""
    first = register(operator=hotline.operator, description="第一件")
    second = register(operator=hotline.operator, description="第二件")
    third = register(operator=hotline.operator, description="第三件")
    elsewhere = register(operator=hotline.operator, description="别的部门")
    for ticket in (first, second, third):
        services.ticket_dispatch(
            actor=hotline.operator, ticket=ticket, department=hotline.department
        )
    services.ticket_dispatch(actor=hotline.operator, ticket=elsewhere, department=hotline.other)
    services.ticket_accept(actor=hotline.head, ticket=third)
    client.force_login(hotline.window)
    html = client.get(reverse("hotline:queue")).content.decode()
    to_accept = html.split('id="to-accept"')[1].split('id="in-hand"')[0]
    in_hand = html.split('id="in-hand"')[1].split('id="returned"')[0]
    assert to_accept.index(first.number) < to_accept.index(second.number)
    assert third.number in in_hand and third.number not in to_accept
    assert elsewhere.number not in html


def test_due_dates_turn_red_when_overdue(client, hotline: Hotline):
    """A one-day consultation dispatched a week ago shows red "overdue" with its due day."""
    with travel_to(dt.date(2025, 3, 3)):
        ticket = register(operator=hotline.operator, ticket_type="consultation")
        services.ticket_dispatch(
            actor=hotline.operator, ticket=ticket, department=hotline.department
        )
    with travel_to(dt.date(2025, 3, 12)):
        client.force_login(hotline.head)
        html = client.get(reverse("hotline:queue")).content.decode()
    row = html.split(f'id="ticket-{ticket.pk}"')[1].split("</tr>")[0]
    assert 'data-warning="red"' in row
    assert "overdue" in row and "2025-03-04" in row


def test_tickets_sent_back_are_listed_with_their_reason(client, hotline: Hotline):
    """After a send-back, the queue lists it under "sent back lately" with the reason."""
    ticket = register(operator=hotline.operator)
    services.ticket_dispatch(actor=hotline.operator, ticket=ticket, department=hotline.department)
    services.ticket_return(actor=hotline.head, ticket=ticket, reason="属城管职责")
    client.force_login(hotline.window)
    html = client.get(reverse("hotline:queue")).content.decode()
    returned = html.split('id="returned"')[1]
    assert ticket.number in returned and "属城管职责" in returned
    client.force_login(hotline.other_head)
    assert ticket.number not in client.get(reverse("hotline:queue")).content.decode()


def test_the_queue_takes_the_same_queries_for_2_or_8_tickets(client, hotline: Hotline):
    """Tickets and their clocks come in a fixed number of queries, whatever the queue's size."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def dispatch_some(n: int) -> None:
        for _ in range(n):
            ticket = register(operator=hotline.operator)
            services.ticket_dispatch(
                actor=hotline.operator, ticket=ticket, department=hotline.department
            )

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("hotline:queue")).status_code == 200
        return len(captured)

    client.force_login(hotline.head)
    dispatch_some(2)
    few = count()
    dispatch_some(6)
    assert count() == few
