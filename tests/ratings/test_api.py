"""The rectification API and the staff list: own department only, actions, 404 and 409."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.ratings.conftest import travel_to
from tests.ratings.factories import rate

pytestmark = pytest.mark.django_db

URL = "/api/v1/rectifications/"
d = dt.date


@pytest.fixture
def client() -> Client:
    """A client that asks for English."""
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def two(city):  # type: ignore[no-untyped-def]
    """One bad review for each department, rated on 2025-09-29."""
    with travel_to(d(2025, 9, 29)):
        mine = rate(department=city.department, level=1, text="太慢").rectification
        theirs = rate(department=city.other, level=2).rectification
    return mine, theirs


def test_staff_list_only_their_departments_rectifications(client, city, two):
    """A reviewer sees their department's; the office sees both; a citizen is refused (403,
    as on the page)."""
    mine, theirs = two
    client.force_login(city.reviewer)
    with travel_to(d(2025, 10, 9)):
        body = client.get(URL).json()
    assert [r["id"] for r in body["results"]] == [mine.pk]
    row = body["results"][0]
    assert row["state"] == "open" and row["allowed_actions"] == ["return_visit"]
    assert row["rating"]["level"] == 1 and row["rating"]["level_code"] == "very_dissatisfied"
    assert row["rating"]["text"] == "太慢" and row["rating"]["is_bad"] is True
    assert row["department"]["id"] == city.department.pk
    clock = row["clock"]
    assert clock["due_on"] == "2025-10-13" and clock["limit_days"] == 5
    assert clock["used_days"] == 2 and clock["remaining_days"] == 3
    assert clock["warning"] == "none"

    client.force_login(city.office)
    assert {r["id"] for r in client.get(URL).json()["results"]} == {mine.pk, theirs.pk}
    client.force_login(city.citizen)
    assert client.get(URL).status_code == 403


def test_the_list_filters_by_state_and_refuses_an_unknown_state(client, city, two):
    """?state=open filters; an unknown state is 400 naming the known ones."""
    client.force_login(city.office)
    assert client.get(URL, {"state": "completed"}).json()["count"] == 0
    assert client.get(URL, {"state": "open"}).json()["count"] == 2
    answer = client.get(URL, {"state": "closed"})
    assert answer.status_code == 400
    assert "open, visited, completed, cancelled" in answer.json()["error"]["message"]


def test_another_departments_rectification_is_404_everywhere(client, city, two):
    """Detail, return visit and complete answer 404 for another department, as for none."""
    _mine, theirs = two
    client.force_login(city.head)
    for path in (f"{URL}{theirs.pk}/", f"{URL}999999/"):
        assert client.get(path).status_code == 404
    for action, data in (("return-visit", {"outcome": "x", "satisfied": True}), ("complete", {})):
        answer = client.post(f"{URL}{theirs.pk}/{action}/", data, content_type="application/json")
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.state == "open"


def test_return_visit_then_complete_over_the_api(client, city, two):
    """POST return-visit then complete: completed, clock stopped on time, warning none."""
    mine, _ = two
    client.force_login(city.head)
    with travel_to(d(2025, 10, 9)):
        answer = client.post(
            f"{URL}{mine.pk}/return-visit/",
            {"outcome": "已电话回访", "satisfied": None},
            content_type="application/json",
        )
        assert answer.status_code == 200, answer.json()
        assert answer.json()["state"] == "visited"
        assert answer.json()["allowed_actions"] == ["return_visit", "complete"]
        assert answer.json()["visited_on"] == "2025-10-09"
        answer = client.post(
            f"{URL}{mine.pk}/complete/", {"measures": "优化流程"}, content_type="application/json"
        )
    assert answer.status_code == 200
    body = answer.json()
    assert body["state"] == "completed" and body["measures"] == "优化流程"
    assert body["allowed_actions"] == []
    assert body["clock"]["state"] == "stopped" and body["clock"]["stopped_on"] == "2025-10-09"
    assert body["clock"]["warning"] == "none"


def test_completing_before_a_return_visit_is_409(client, city, two):
    """The conflict says what is allowed now, in the one error shape."""
    mine, _ = two
    client.force_login(city.reviewer)
    answer = client.post(
        f"{URL}{mine.pk}/complete/", {"measures": "x"}, content_type="application/json"
    )
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "conflict"
    assert error["details"] == {"state": "open", "action": "complete"}
    assert "Allowed now: record a return visit" in error["message"]


def test_missing_input_is_400(client, city, two):
    """No outcome, no measures, or a visit day in the future: 400."""
    mine, _ = two
    client.force_login(city.head)
    answer = client.post(f"{URL}{mine.pk}/return-visit/", {}, content_type="application/json")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid"
    with travel_to(d(2025, 10, 9)):
        answer = client.post(
            f"{URL}{mine.pk}/return-visit/",
            {"outcome": "x", "satisfied": True, "visited_on": "2025-10-10"},
            content_type="application/json",
        )
    assert answer.status_code == 400
    assert "cannot be in the future" in answer.json()["error"]["message"]


def test_the_list_pins_its_query_count(client, city, django_assert_max_num_queries):
    """Listing many rectifications costs the same few queries as listing one."""
    with travel_to(d(2025, 9, 29)):
        for _ in range(8):
            rate(department=city.department, level=1)
    client.force_login(city.head)
    client.get(URL)  # warm the calendar cache
    with django_assert_max_num_queries(6):
        assert client.get(URL).json()["count"] == 8


def test_the_staff_page_lists_the_departments_rectifications(client, city, two):
    """/staff/rectifications/ shows the department's own, with the due date."""
    mine, theirs = two
    client.force_login(city.head)
    with travel_to(d(2025, 10, 9)):
        html = client.get("/staff/rectifications/").content.decode()
    assert f'id="rectification-{mine.pk}"' in html
    assert f'id="rectification-{theirs.pk}"' not in html
    assert "2025-10-13" in html and "太慢" in html


def test_the_staff_page_marks_late_rectifications(client, city, two):
    """After the due date the row carries the red warning."""
    client.force_login(city.office)
    with travel_to(d(2025, 10, 14)):
        html = client.get("/staff/rectifications/", {"state": "open"}).content.decode()
    assert "warning-red" in html and "overdue" in html


def test_the_staff_page_is_for_staff_and_signed_in_users(client, city):
    """Anonymous → sign-in page; a citizen → 403."""
    answer = client.get("/staff/rectifications/")
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")
    client.force_login(city.citizen)
    assert client.get("/staff/rectifications/").status_code == 403


def test_the_schema_documents_the_rectification_endpoints(client):
    """The list and both actions are in the OpenAPI schema."""
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert "/api/v1/rectifications/" in paths
    assert "post" in paths["/api/v1/rectifications/{id}/return-visit/"]
    assert "post" in paths["/api/v1/rectifications/{id}/complete/"]
