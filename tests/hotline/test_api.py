"""The hotline staff API: who sees and does what, the error shape, masking of the reporter."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from tests.hotline.conftest import Hotline, travel_to
from tests.hotline.factories import register
from xiaoneng.hotline.models import Ticket, TicketCategory
from xiaoneng.hotline.services import tickets as services

pytestmark = pytest.mark.django_db

URL = "/api/v1/hotline/tickets/"
DAY = dt.date(2025, 9, 29)  # a Monday


@pytest.fixture
def client() -> Client:
    """A client that asks for English."""
    return Client(headers={"accept-language": "en"})


def _post(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data or {}, content_type="application/json")


def _dispatched(hotline: Hotline) -> Ticket:
    ticket = register(operator=hotline.operator, reporter_id_number="110101199003077777")
    return services.ticket_dispatch(
        actor=hotline.operator, ticket=ticket, department=hotline.department
    )


def test_operator_registers_a_ticket_with_a_category(client, hotline):
    """An operator's POST registers the ticket and answers it in full, with its history."""
    TicketCategory.objects.create(code="noise", name="噪音")
    client.force_login(hotline.operator)
    answer = _post(
        client,
        URL,
        {
            "channel": "phone",
            "ticket_type": "complaint",
            "description": "夜间施工噪音",
            "category": "noise",
            "reporter_phone": "13812345678",
        },
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["status"] == "registered"
    assert body["category"] == "noise"
    assert body["reporter_phone"] == "13812345678"
    assert [e["action"] for e in body["events"]] == ["register"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"channel": "fax", "ticket_type": "complaint", "description": "x"}, "channel"),
        ({"channel": "phone", "ticket_type": "complaint"}, "description"),
        (
            {"channel": "phone", "ticket_type": "complaint", "description": "x", "category": "zz"},
            "category",
        ),
    ],
)
def test_register_refuses_bad_input_naming_the_field(client, hotline, data, field):
    """Bad input answers 400 in the one error shape, naming the faulty field."""
    client.force_login(hotline.operator)
    answer = _post(client, URL, data)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "invalid"
    assert field in str(error["details"]) + error["message"]
    assert Ticket.objects.count() == 0


def test_only_operators_register(client, hotline):
    """A department head may not register a ticket: 403."""
    client.force_login(hotline.head)
    answer = _post(client, URL, {"channel": "phone", "ticket_type": "help", "description": "x"})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"


def test_anonymous_is_refused(client, hotline):
    """Without a login the API answers 401 or 403, never data."""
    assert client.get(URL).status_code in {401, 403}


def test_list_shows_each_role_what_it_may_see_and_filters(client, hotline):
    """Operators see all tickets, a department its own; a citizen is refused (403, as on the
    queue page): they follow a ticket by number and query code. Filters narrow."""
    mine = _dispatched(hotline)
    waiting = register(operator=hotline.operator, ticket_type="consultation")
    client.force_login(hotline.operator)
    assert {t["id"] for t in client.get(URL).json()["results"]} == {mine.pk, waiting.pk}
    assert [t["id"] for t in client.get(URL, {"status": "registered"}).json()["results"]] == [
        waiting.pk
    ]
    assert [t["id"] for t in client.get(URL, {"type": "complaint"}).json()["results"]] == [mine.pk]
    dept = {"department": hotline.department.code}
    assert [t["id"] for t in client.get(URL, dept).json()["results"]] == [mine.pk]
    client.force_login(hotline.head)
    assert [t["id"] for t in client.get(URL).json()["results"]] == [mine.pk]
    client.force_login(hotline.other_head)
    assert client.get(URL).json()["count"] == 0
    client.force_login(hotline.citizen)
    refused = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 403
    assert "query code" in refused.json()["error"]["message"]


def test_reporter_is_masked_for_department_staff_only(client, hotline):
    """The department sees a masked phone and ID number; the operator sees them in full."""
    ticket = _dispatched(hotline)
    client.force_login(hotline.window)
    body = client.get(f"{URL}{ticket.pk}/").json()
    assert body["reporter_phone"] != "13812345678"
    assert "5678" in body["reporter_phone"] or "*" in body["reporter_phone"]
    assert body["reporter_id_number"] != "110101199003077777"
    assert "*" in body["reporter_id_number"]
    listed = client.get(URL).json()["results"][0]
    assert listed["reporter_phone"] == body["reporter_phone"]
    client.force_login(hotline.operator)
    body = client.get(f"{URL}{ticket.pk}/").json()
    assert body["reporter_phone"] == "13812345678"
    assert body["reporter_id_number"] == "110101199003077777"


def test_another_departments_ticket_is_404_like_a_missing_one(client, hotline):
    """Another department gets 404 on detail and actions, as for a ticket that does not exist."""
    ticket = _dispatched(hotline)
    client.force_login(hotline.other_head)
    for url in (f"{URL}{ticket.pk}/", f"{URL}999999/"):
        answer = client.get(url)
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"
    assert _post(client, f"{URL}{ticket.pk}/accept/").status_code == 404


def test_full_path_dispatch_accept_reply_visit_with_the_clock(client, hotline):
    """Dispatch, accept, reply and a satisfied visit close the ticket; detail shows the clock."""
    with travel_to(DAY):
        ticket = register(operator=hotline.operator)
        client.force_login(hotline.operator)
        answer = _post(
            client, f"{URL}{ticket.pk}/dispatch/", {"department": hotline.department.code}
        )
        assert answer.status_code == 200, answer.json()
        assert answer.json()["status"] == "dispatched"
        assert answer.json()["clock"]["state"] == "running"
        client.force_login(hotline.window)
        assert _post(client, f"{URL}{ticket.pk}/accept/").json()["status"] == "accepted"
        answer = _post(client, f"{URL}{ticket.pk}/reply/", {"reply": "已责令整改"})
        assert answer.json()["status"] == "replied"
        assert answer.json()["clock"]["state"] == "stopped"
        client.force_login(hotline.operator)
        answer = _post(client, f"{URL}{ticket.pk}/return-visit/", {"level": 5})
        body = answer.json()
    assert answer.status_code == 200
    assert body["status"] == "closed"
    assert body["satisfaction"] == 5
    assert [e["action"] for e in body["events"]] == [
        "register",
        "dispatch",
        "accept",
        "reply",
        "visit_satisfied",
    ]


def test_department_may_send_a_ticket_back(client, hotline):
    """A send-back returns the ticket to the centre; the department is told what it did."""
    ticket = _dispatched(hotline)
    client.force_login(hotline.head)
    answer = _post(client, f"{URL}{ticket.pk}/return/", {"reason": "不属本部门职责"})
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "registered"
    assert _post(client, f"{URL}{ticket.pk}/return/", {"reason": "x"}).status_code == 404


def test_operator_closes_directly_or_as_not_accepted(client, hotline):
    """Answer-directly and close-not-accepted close a registered ticket at once."""
    direct = register(operator=hotline.operator, ticket_type="consultation")
    refused = register(operator=hotline.operator)
    client.force_login(hotline.operator)
    answer = _post(client, f"{URL}{direct.pk}/answer-directly/", {"answer": "可网上办理"})
    assert answer.json()["status"] == "closed"
    answer = _post(client, f"{URL}{refused.pk}/close-not-accepted/", {"reason": "litigation"})
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "closed"


def test_wrong_state_is_409(client, hotline):
    """Accepting a ticket twice, or replying before accepting another, answers 409."""
    ticket = _dispatched(hotline)
    client.force_login(hotline.window)
    assert _post(client, f"{URL}{ticket.pk}/accept/").status_code == 200
    answer = _post(client, f"{URL}{ticket.pk}/accept/")
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "conflict"
    client.force_login(hotline.operator)
    closed_later = _post(client, f"{URL}{ticket.pk}/answer-directly/", {"answer": "x"})
    assert closed_later.status_code == 409


@pytest.mark.parametrize(
    ("slug", "data"),
    [
        ("dispatch", {"department": "none-such"}),
        ("dispatch", {}),
        ("return-visit", {"level": 6}),
        ("return-visit", {"level": 0}),
        ("close-not-accepted", {"reason": ""}),
        ("answer-directly", {}),
    ],
)
def test_actions_refuse_bad_input(client, hotline, slug, data):
    """A missing or out-of-range field answers 400 and names the field."""
    ticket = register(operator=hotline.operator)
    client.force_login(hotline.operator)
    answer = _post(client, f"{URL}{ticket.pk}/{slug}/", data)
    assert answer.status_code == 400
    error = answer.json()["error"]
    field = next(iter(data), None) or {"dispatch": "department", "answer-directly": "answer"}[slug]
    assert field in str(error["details"]) + error["message"]
    assert Ticket.objects.get(pk=ticket.pk).status == "registered"


@pytest.mark.parametrize("who", ["window", "head"])
def test_department_staff_may_not_record_the_return_visit(client, hotline, who):
    """The return visit is the operator's: department staff who see the replied ticket get 403."""
    ticket = _dispatched(hotline)
    services.ticket_accept(actor=hotline.window, ticket=ticket)
    services.ticket_reply(actor=hotline.window, ticket=ticket, reply="已整改")
    client.force_login(getattr(hotline, who))
    answer = _post(client, f"{URL}{ticket.pk}/return-visit/", {"level": 5})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"
    assert Ticket.objects.get(pk=ticket.pk).status == "replied"


def test_operator_may_not_take_department_actions(client, hotline):
    """The operator may not accept or reply for the department: 403."""
    ticket = _dispatched(hotline)
    client.force_login(hotline.operator)
    assert _post(client, f"{URL}{ticket.pk}/accept/").status_code == 403
    services.ticket_accept(actor=hotline.window, ticket=ticket)
    assert _post(client, f"{URL}{ticket.pk}/reply/", {"reply": "x"}).status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == "accepted"


def test_the_schema_documents_the_hotline_endpoints():
    """The OpenAPI schema lists every hotline path, the KPIs included."""
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for slug in ("", "{id}/", "{id}/dispatch/", "{id}/return-visit/"):
        assert f"{URL}{slug}" in paths
    assert "/api/v1/hotline/kpis/" in paths
