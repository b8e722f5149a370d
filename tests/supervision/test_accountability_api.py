"""The accountability API under /api/v1/accountability/cases/: the office writes, the unit
reads (its head may make a statement), others get 404; the one error shape; the schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.clocks.conftest import travel_to
from tests.clocks.factories import start_test_clock
from tests.supervision.factories import case_in_state, make_city, task_in_state

pytestmark = pytest.mark.django_db

URL = "/api/v1/accountability/cases/"
d = dt.date
MONDAY = d(2025, 3, 3)


@pytest.fixture
def client() -> Client:
    """A client that asks for English."""
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def city(db):  # type: ignore[no-untyped-def]
    """A parent government, a lead unit, a co-unit, another unit, the office, a citizen."""
    return make_city()


def _post(client: Client, path: str, data: dict):  # type: ignore[no-untyped-def]
    return client.post(path, data, content_type="application/json")


def test_a_case_from_a_task_to_its_decision_through_the_api(client, city):
    """Open → investigate → findings → propose → statement → decide; the history is complete."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
        client.force_login(city.office)
        opened = _post(client, URL, {"task": task.pk, "reason": "整改不力"})
        assert opened.status_code == 201, opened.json()
        pk = opened.json()["id"]
        assert opened.json()["task"] == task.number
        assert opened.json()["responsible_unit"]["id"] == city.unit.pk
        _post(client, f"{URL}{pk}/investigate/", {"text": "调查记录一"})
        found = _post(
            client,
            f"{URL}{pk}/findings/",
            {"text": "未按期督促", "person_name": "王某", "person_position": "科长"},
        ).json()
        assert found["state"] == "findings_recorded"
        assert found["responsible_person_name"] == "王某"
        _post(client, f"{URL}{pk}/propose/", {"handling": "interview", "text": "建议约谈"})
        client.force_login(city.head)
        stated = _post(client, f"{URL}{pk}/statement/", {"text": "情况说明"})
        assert stated.status_code == 200 and stated.json()["allowed_actions"] == ["statement"]
        client.force_login(city.office)
        decided = _post(
            client, f"{URL}{pk}/decide/", {"handling": "circulated_criticism", "text": "通报批评"}
        ).json()
    assert decided["state"] == "decided" and decided["decision"] == "circulated_criticism"
    assert decided["decided_on"] == "2025-03-03" and decided["allowed_actions"] == []
    assert [e["kind"] for e in decided["entries"]] == [
        "open",
        "investigate",
        "record_findings",
        "propose",
        "statement",
        "decide",
    ]


def test_a_case_from_an_overdue_item_through_the_api(client, city):
    """A clock id opens a case against the clock's department; an unknown id is 400."""
    with travel_to(MONDAY):
        clock = start_test_clock(started_on=MONDAY, limit_days=1, department=city.other)
    client.force_login(city.office)
    with travel_to(d(2025, 3, 6)):
        answer = _post(client, URL, {"clock": clock.pk, "reason": "超时"})
        assert answer.status_code == 201
        assert answer.json()["clock"] == clock.pk
        assert answer.json()["responsible_unit"]["id"] == city.other.pk
        bad = _post(client, URL, {"clock": 999999, "reason": "超时"})
    assert bad.status_code == 400 and bad.json()["error"]["details"]["field"] == "clock"


def test_the_unit_reads_its_cases_and_may_not_write(client, city):
    """A reviewer lists and reads the unit's case; writing is 403 in the error shape."""
    with travel_to(MONDAY):
        case = case_in_state(city, "investigating")
    client.force_login(city.reviewer)
    assert [c["id"] for c in client.get(URL).json()["results"]] == [case.pk]
    assert client.get(f"{URL}{case.pk}/").json()["allowed_actions"] == []
    with travel_to(MONDAY):
        answer = _post(client, f"{URL}{case.pk}/investigate/", {"text": "x"})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("who", ["other_head", "co_head", "citizen"])
def test_others_get_404_everywhere(client, city, who):
    """Another unit and the co-unit: no list rows; a citizen: the list refused (403, as on the
    page); all three 404 on detail and steps."""
    with travel_to(MONDAY):
        case = case_in_state(city, "investigating")
    client.force_login(getattr(city, who))
    listed = client.get(URL)
    if who == "citizen":
        assert listed.status_code == 403
    else:
        assert listed.json()["count"] == 0
    assert client.get(f"{URL}{case.pk}/").status_code == 404
    with travel_to(MONDAY):
        for step in ("investigate", "statement", "decide"):
            answer = _post(
                client, f"{URL}{case.pk}/{step}/", {"text": "x", "handling": "interview"}
            )
            assert answer.status_code == 404
            assert answer.json()["error"]["code"] == "not_found"


def test_out_of_order_is_409_and_bad_input_is_400(client, city):
    """Deciding before a proposal is 409; an unknown handling and no reason are 400."""
    with travel_to(MONDAY):
        case = case_in_state(city, "investigating")
        task = task_in_state(city, "in_progress")
    client.force_login(city.office)
    with travel_to(MONDAY):
        answer = _post(client, f"{URL}{case.pk}/decide/", {"handling": "interview", "text": "x"})
        assert answer.status_code == 409
        assert answer.json()["error"]["details"] == {"state": "investigating", "action": "decide"}
        answer = _post(client, f"{URL}{case.pk}/findings/", {"text": "x"})
        assert answer.status_code == 400
        assert answer.json()["error"]["details"]["field"] == "person_name"
        answer = _post(client, URL, {"task": task.pk})
        assert answer.status_code == 400 and "reason" in answer.json()["error"]["details"]
        answer = _post(client, f"{URL}{case.pk}/propose/", {"handling": "fine", "text": "x"})
        assert answer.status_code == 400 and "handling" in answer.json()["error"]["details"]


def test_only_the_office_opens_cases(client, city):
    """A head opening a case from their own task is 403."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
    client.force_login(city.head)
    with travel_to(MONDAY):
        answer = _post(client, URL, {"task": task.pk, "reason": "x"})
    assert answer.status_code == 403


def test_the_schema_documents_every_case_endpoint(client):
    """The list, detail and each entry are in the OpenAPI schema."""
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/accountability/cases/"])
    assert "get" in paths["/api/v1/accountability/cases/{id}/"]
    for step in ("investigate", "findings", "propose", "decide", "statement"):
        assert "post" in paths[f"/api/v1/accountability/cases/{{id}}/{step}/"], step
