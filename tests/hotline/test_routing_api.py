"""Routing API (issue 5 §3): suggestions, rules and the model, for operators and the office."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from tests.hotline.factories import register
from tests.hotline.routing_factories import history
from xiaoneng.hotline import classifier
from xiaoneng.hotline.models import RoutingRule, TicketCategory
from xiaoneng.hotline.services import routing as services

pytestmark = pytest.mark.django_db

SUGGEST = "/api/v1/hotline/suggestions/"
RULES = "/api/v1/hotline/routing-rules/"
MODEL = "/api/v1/hotline/dispatch-model/"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with no model held in the process."""
    classifier.forget()
    yield
    classifier.forget()


@pytest.fixture
def client() -> Client:
    """A client that asks for English."""
    return Client(headers={"accept-language": "en"})


def _json(client: Client, method: str, url: str, data: dict[str, Any] | None = None) -> Any:
    return getattr(client, method)(url, data or {}, content_type="application/json")


def test_only_operators_and_the_office_get_suggestions(client, hotline):
    """Department staff and citizens get 403 on every routing endpoint; anonymous 401/403."""
    ticket = register(operator=hotline.operator)
    urls = [f"{SUGGEST}?description=噪音", f"/api/v1/hotline/tickets/{ticket.pk}/suggestions/"]
    urls += [RULES, MODEL]
    assert all(client.get(url).status_code in (401, 403) for url in urls)
    for person in (hotline.head, hotline.window, hotline.citizen):
        client.force_login(person)
        assert [client.get(url).status_code for url in urls] == [403] * 4
        assert _json(client, "post", RULES, {"name": "x"}).status_code == 403
    client.force_login(hotline.office)
    assert client.get(f"{SUGGEST}?description=噪音").status_code == 200


def test_suggestions_answer_rule_then_model(client, hotline):
    """The answer lists department, probability, source and rule, the rule's first."""
    handlers = history(operator=hotline.operator, per_topic=10)
    services.dispatch_model_train(min_tickets=30)
    services.routing_rule_create(
        actor=hotline.operator, name="电梯", department=hotline.department, keywords="电梯"
    )
    client.force_login(hotline.operator)
    body = client.get(SUGGEST, {"description": "小区电梯故障，物业不管"}).json()
    assert [item["source"] for item in body] == ["rule", "model", "model"]
    assert body[0] == {
        "department": {
            "id": hotline.department.pk,
            "code": hotline.department.code,
            "name": hotline.department.name,
        },
        "probability": None,
        "source": "rule",
        "rule": "电梯",
    }
    assert body[1]["department"]["id"] == handlers["住建"].department.pk
    assert 0 < body[1]["probability"] <= 1 and body[1]["rule"] == ""


def test_suggestions_need_a_description_and_a_known_category(client, hotline):
    """No description, or an unknown category code: 400 naming the field."""
    client.force_login(hotline.operator)
    assert client.get(SUGGEST).status_code == 400
    answer = client.get(SUGGEST, {"description": "噪音", "category": "nope"})
    assert answer.status_code == 400
    assert "category" in answer.json()["error"]["message"]


def test_ticket_suggestions_use_the_ticket(client, hotline):
    """A ticket's suggestions come from its own category and district; unknown ticket 404."""
    noise = TicketCategory.objects.create(code="noise", name="噪音")
    services.routing_rule_create(
        actor=hotline.operator,
        name="东城噪音",
        department=hotline.other,
        category=noise,
        district="东城区",
    )
    ticket = register(operator=hotline.operator, category=noise, district="东城区")
    client.force_login(hotline.operator)
    body = client.get(f"/api/v1/hotline/tickets/{ticket.pk}/suggestions/").json()
    assert [(item["rule"], item["department"]["code"]) for item in body] == [
        ("东城噪音", hotline.other.code)
    ]
    assert client.get("/api/v1/hotline/tickets/999999/suggestions/").status_code == 404


def test_rules_are_created_listed_changed_and_deleted(client, hotline):
    """POST creates (201), GET lists in order, PATCH changes given fields, DELETE removes."""
    TicketCategory.objects.create(code="noise", name="噪音")
    client.force_login(hotline.operator)
    created = _json(
        client,
        "post",
        RULES,
        {"name": "噪音", "department": hotline.department.code, "keywords": "噪音、施工"},
    )
    assert created.status_code == 201, created.json()
    rule = created.json()
    assert (rule["keywords"], rule["position"], rule["active"]) == ("噪音 施工", 10, True)
    url = f"{RULES}{rule['id']}/"
    patched = _json(client, "patch", url, {"category": "noise", "active": False})
    assert patched.status_code == 200, patched.json()
    assert (patched.json()["category"], patched.json()["active"]) == ("noise", False)
    assert patched.json()["keywords"] == "噪音 施工"
    listed = client.get(RULES).json()
    assert [item["id"] for item in listed] == [rule["id"]]
    assert client.delete(url).status_code == 204
    assert not RoutingRule.objects.exists()
    assert client.delete(url).status_code == 404


def test_rule_input_errors_are_400(client, hotline):
    """Unknown department, no condition, or setting active on creation: 400 saying why."""
    client.force_login(hotline.office)
    unknown = _json(client, "post", RULES, {"name": "x", "department": "nope", "keywords": "x"})
    assert unknown.status_code == 400 and "department" in unknown.json()["error"]["message"]
    bare = _json(client, "post", RULES, {"name": "x", "department": hotline.department.code})
    assert bare.status_code == 400 and "condition" in bare.json()["error"]["message"]
    active = _json(
        client,
        "post",
        RULES,
        {"name": "x", "department": hotline.department.code, "keywords": "x", "active": True},
    )
    assert active.status_code == 400


def test_dispatch_model_shows_the_newest_figures(client, hotline):
    """404 before any training; then the newest model's accuracy and sizes."""
    client.force_login(hotline.operator)
    missing = client.get(MODEL)
    assert (
        missing.status_code == 404
        and "xiaoneng hotline train" in missing.json()["error"]["message"]
    )
    history(operator=hotline.operator, per_topic=10)
    model = services.dispatch_model_train(min_tickets=30)
    body = client.get(MODEL).json()
    assert body["id"] == model.pk
    assert (body["train_size"], body["test_size"], body["departments"]) == (24, 6, 3)
    assert body["accuracy"] == model.accuracy and body["top3_accuracy"] == model.top3_accuracy
    assert "payload" not in body
