"""The operator's console and the return-visit page (issue 5 §7): access, register, visits."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.hotline.conftest import Hotline
from tests.hotline.factories import register
from xiaoneng.hotline.models import HotlineNumber, Ticket
from xiaoneng.hotline.services import tickets as services


@pytest.fixture(autouse=True)
def _english(client):  # type: ignore[no-untyped-def]
    """These tests read the English messages; Chinese is the default (tested elsewhere)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


pytestmark = pytest.mark.django_db


def _replied(hotline: Hotline, **kwargs: object) -> Ticket:
    ticket = register(operator=hotline.operator, **kwargs)
    services.ticket_dispatch(actor=hotline.operator, ticket=ticket, department=hotline.department)
    services.ticket_accept(actor=hotline.head, ticket=ticket)
    return services.ticket_reply(actor=hotline.head, ticket=ticket, reply="已处理完毕")


@pytest.mark.parametrize("page", ["hotline:console", "hotline:visits"])
def test_operator_pages_are_for_operators_and_the_office(client, hotline: Hotline, page):
    """Operators and the office get the page; staff and citizens 403; anonymous to sign-in."""
    url = reverse(page)
    assert client.get(url).status_code == 302
    for user, status in [
        (hotline.operator, 200),
        (hotline.office, 200),
        (hotline.head, 403),
        (hotline.window, 403),
        (hotline.citizen, 403),
    ]:
        client.force_login(user)
        assert client.get(url).status_code == status, user


def test_the_console_lists_the_queue_to_dispatch_oldest_first(client, hotline: Hotline):
    """Registered tickets, oldest first, each linked to its page; dispatched ones are gone."""
    first = register(operator=hotline.operator, description="第一件")
    second = register(operator=hotline.operator, description="第二件", urgency="urgent")
    gone = register(operator=hotline.operator)
    services.ticket_dispatch(actor=hotline.operator, ticket=gone, department=hotline.department)
    client.force_login(hotline.operator)
    html = client.get(reverse("hotline:console")).content.decode()
    assert html.index(first.number) < html.index(second.number)
    assert reverse("hotline:ticket", kwargs={"pk": first.pk}) in html
    assert f'id="queue-{gone.pk}"' not in html
    assert 'data-kb-url="/api/v1/hotline/articles/"' in html


def test_registering_a_call_opens_the_new_ticket(client, hotline: Hotline):
    """The register form calls ticket_register and goes to the new ticket's page."""
    client.force_login(hotline.operator)
    response = client.post(
        reverse("hotline:console"),
        {
            "line": "phone",
            "ticket_type": "help",
            "urgency": "urgent",
            "category": "",
            "description": "老人独居，暖气不热",
            "address": "建设路 3 号",
            "district": "新华区",
            "reporter_name": "王五",
            "reporter_phone": "13700001111",
            "reporter_id_number": "11010519491231002x",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("hotline:ticket", kwargs={"pk": ticket.pk})
    assert (ticket.channel, ticket.urgency, ticket.ticket_type) == ("phone", "urgent", "help")
    assert ticket.reporter_id_number == "11010519491231002X"


def test_a_call_on_an_old_hotline_number_takes_its_channel(client, hotline: Hotline):
    """Choosing an old department number registers channel old_number with that number."""
    old = HotlineNumber.objects.create(number="12315", name="消费者投诉", department=hotline.other)
    client.force_login(hotline.operator)
    client.post(
        reverse("hotline:console"),
        {
            "line": f"old:{old.pk}",
            "ticket_type": "complaint",
            "urgency": "ordinary",
            "description": "商家拒绝退货",
        },
    )
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.hotline_number) == ("old_number", old)


def test_a_malformed_id_number_is_refused_and_the_form_keeps_the_text(client, hotline: Hotline):
    """A bad ID number answers 400 saying what is expected, without echoing the number."""
    client.force_login(hotline.operator)
    response = client.post(
        reverse("hotline:console"),
        {
            "line": "phone",
            "ticket_type": "help",
            "urgency": "ordinary",
            "description": "需要帮助的描述",
            "reporter_id_number": "1234567",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Expected an 18-character resident ID number" in html
    assert "需要帮助的描述" in html
    assert not Ticket.objects.exists()


def test_the_visits_page_shows_the_reply_and_the_full_phone_to_operators(client, hotline: Hotline):
    """Operators call back: the reporter's phone is unmasked, the reply and outcome shown."""
    ticket = _replied(hotline)
    client.force_login(hotline.operator)
    html = client.get(reverse("hotline:visits")).content.decode()
    assert f'id="visit-{ticket.pk}"' in html
    assert "13812345678" in html
    assert "已处理完毕" in html
    assert 'data-reopen-left="yes"' in html


def test_a_satisfied_visit_closes_the_ticket(client, hotline: Hotline):
    """Level 4 closes the ticket and the message says so."""
    ticket = _replied(hotline)
    client.force_login(hotline.operator)
    response = client.post(
        reverse("hotline:visit", kwargs={"pk": ticket.pk}), {"level": "4"}, follow=True
    )
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.satisfaction == 4
    assert "the reporter is satisfied" in response.content.decode()


def test_a_dissatisfied_visit_reopens_then_closes_when_the_reopen_is_spent(
    client, hotline: Hotline
):
    """Level 1 reopens to the same department once; after the reply, level 2 closes it."""
    ticket = _replied(hotline)
    client.force_login(hotline.operator)
    url = reverse("hotline:visit", kwargs={"pk": ticket.pk})
    first = client.post(url, {"level": "1", "note": "噪音仍在"}, follow=True).content.decode()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.department, ticket.reopen_count) == (
        "accepted",
        hotline.department,
        1,
    )
    assert f"reopened to {hotline.department.name}" in first
    services.ticket_reply(actor=hotline.head, ticket=ticket, reply="再次处理")
    page = client.get(reverse("hotline:visits")).content.decode()
    assert 'data-reopen-left="no"' in page
    second = client.post(url, {"level": "2"}, follow=True).content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert "closed as dissatisfied" in second


def test_a_visit_without_a_level_comes_back_as_a_message(client, hotline: Hotline):
    """No level chosen: the service's message on the page, the ticket unchanged."""
    ticket = _replied(hotline)
    client.force_login(hotline.operator)
    response = client.post(reverse("hotline:visit", kwargs={"pk": ticket.pk}), {}, follow=True)
    assert "The satisfaction level is a whole number from 1 to 5" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "replied"


def test_a_visit_on_a_ticket_not_waiting_for_one_is_a_message(client, hotline: Hotline):
    """A registered ticket cannot be visited: Conflict shown as a message, no 500."""
    ticket = register(operator=hotline.operator)
    client.force_login(hotline.operator)
    response = client.post(
        reverse("hotline:visit", kwargs={"pk": ticket.pk}), {"level": "5"}, follow=True
    )
    assert response.status_code == 200
    assert "cannot take the action" in response.content.decode()


def _queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["hotline:console", "hotline:visits"])
def test_operator_pages_take_the_same_queries_for_2_or_8_tickets(client, hotline: Hotline, page):
    """The lists are fetched with their relations, never one query per ticket."""
    make = _replied if page == "hotline:visits" else lambda h: register(operator=h.operator)
    for _ in range(2):
        make(hotline)
    client.force_login(hotline.operator)
    few = _queries(client, reverse(page))
    for _ in range(6):
        make(hotline)
    assert _queries(client, reverse(page)) == few
