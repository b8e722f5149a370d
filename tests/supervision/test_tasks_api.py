"""The supervision task API under /api/v1/supervision/: roles, one endpoint per step, the one
error shape (400, 403, 404, 409), the yearly counts, and the schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.clocks.conftest import travel_to
from tests.supervision.factories import make_city, new_task, task_in_state

pytestmark = pytest.mark.django_db

URL = "/api/v1/supervision/tasks/"
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


def _post(client: Client, path: str, data: dict | None = None):  # type: ignore[no-untyped-def]
    return client.post(path, data or {}, content_type="application/json")


def test_the_whole_life_of_a_task_through_the_api(client, city):
    """Create → assign → progress → urge → escalate → submit → close, each by its party."""
    with travel_to(MONDAY):
        client.force_login(city.office)
        created = _post(
            client,
            URL,
            {
                "title": "窗口排长队",
                "source": "media_exposure",
                "limit_days": 10,
                "co_units": [city.co_unit.pk],
            },
        )
        assert created.status_code == 201, created.json()
        body = created.json()
        pk = body["id"]
        assert body["number"] == "DB20250001" and body["state"] == "created"
        assert body["allowed_actions"] == ["assign"] and body["clock"] is None
        assigned = _post(client, f"{URL}{pk}/assign/", {"lead_unit": city.unit.pk})
        assert assigned.status_code == 200
        body = assigned.json()
        assert body["state"] == "assigned" and body["lead_unit"]["id"] == city.unit.pk
        assert [u["id"] for u in body["co_units"]] == [city.co_unit.pk]
        assert body["clock"]["kind"] == "supervision.task"
        assert body["clock"]["due_on"] == "2025-03-17"
        assert body["officer"] == str(city.head)

        client.force_login(city.reviewer)
        assert _post(client, f"{URL}{pk}/progress/", {"text": "已核查"}).json()["state"] == (
            "in_progress"
        )
        client.force_login(city.office)
        urged = _post(client, f"{URL}{pk}/urge/", {"text": "请加快"}).json()
        assert urged["urge_count"] == 1
        escalated = _post(client, f"{URL}{pk}/escalate/", {"text": "领导关注"}).json()
        assert escalated["escalated"] is True and escalated["escalation_level"] == 1

        client.force_login(city.head)
        submitted = _post(client, f"{URL}{pk}/submit/", {"text": "已整改"}).json()
        assert submitted["state"] == "submitted" and submitted["clock"]["state"] == "paused"
        assert submitted["allowed_actions"] == []

        client.force_login(city.office)
        closed = _post(client, f"{URL}{pk}/close/", {"text": "同意销号"}).json()
    assert closed["state"] == "closed" and closed["closed_on"] == "2025-03-03"
    assert closed["clock"]["state"] == "stopped" and closed["clock"]["warning"] == "none"
    assert [e["action"] for e in closed["events"]] == [
        "create",
        "assign",
        "progress",
        "urge",
        "escalate",
        "submit",
        "close",
    ]


def test_a_send_back_through_the_api_needs_a_reason(client, city):
    """send-back without text is 400 in the one error shape; with a reason it is sent back."""
    with travel_to(MONDAY):
        task = task_in_state(city, "submitted")
        client.force_login(city.office)
        bad = _post(client, f"{URL}{task.pk}/send-back/", {})
        assert bad.status_code == 400
        assert bad.json()["error"]["code"] == "invalid"
        assert "text" in bad.json()["error"]["details"]
        ok = _post(client, f"{URL}{task.pk}/send-back/", {"text": "缺照片"})
    assert ok.status_code == 200 and ok.json()["state"] == "sent_back"


def test_units_see_their_tasks_and_others_see_none(client, city):
    """The lead unit and co-unit list the task; another unit lists nothing; a citizen is
    refused (403, as on the task pages)."""
    with travel_to(MONDAY):
        task = task_in_state(city, "assigned")
        draft = new_task(city)
    for user, expected in [
        (city.office, {task.pk, draft.pk}),
        (city.head, {task.pk}),
        (city.co_reviewer, {task.pk}),
        (city.other_head, set()),
    ]:
        client.force_login(user)
        assert {r["id"] for r in client.get(URL).json()["results"]} == expected
    client.force_login(city.citizen)
    assert client.get(URL).status_code == 403


def test_a_task_the_caller_may_not_see_is_404_everywhere(client, city):
    """Detail and every step answer 404, as for a task that does not exist."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
        client.force_login(city.other_head)
        for path in (f"{URL}{task.pk}/", f"{URL}999999/"):
            answer = client.get(path)
            assert answer.status_code == 404
            assert answer.json()["error"]["code"] == "not_found"
        for step in ("assign", "progress", "submit", "close", "send-back", "urge", "escalate"):
            answer = _post(client, f"{URL}{task.pk}/{step}/", {"text": "x"})
            assert answer.status_code == 404, step
    task.refresh_from_db()
    assert task.state == "in_progress" and task.urge_count == 0


def test_wrong_party_is_403_and_wrong_state_is_409(client, city):
    """A reviewer may not submit (403); the office may not close an unreported task (409)."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
        client.force_login(city.reviewer)
        answer = _post(client, f"{URL}{task.pk}/submit/", {"text": "x"})
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "forbidden"
        assert "head of the lead unit" in answer.json()["error"]["message"]
        client.force_login(city.office)
        answer = _post(client, f"{URL}{task.pk}/close/", {})
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "conflict"
    assert error["details"] == {"state": "in_progress", "action": "close"}


def test_only_the_office_creates_and_bad_input_is_400(client, city):
    """A head's create is 403; an unknown source and a missing department are 400."""
    client.force_login(city.head)
    answer = _post(client, URL, {"title": "x", "source": "media_exposure", "limit_days": 5})
    assert answer.status_code == 403
    client.force_login(city.office)
    answer = _post(client, URL, {"title": "x", "source": "tv", "limit_days": 5})
    assert answer.status_code == 400 and "source" in answer.json()["error"]["details"]
    answer = _post(
        client, URL, {"title": "x", "source": "media_exposure", "limit_days": 5, "lead_unit": 99999}
    )
    assert answer.status_code == 400
    assert "99999" in answer.json()["error"]["message"]
    answer = _post(client, URL, {"title": "x", "source": "media_exposure", "limit_days": 0})
    assert answer.status_code == 400 and "from 1 to 250" in answer.json()["error"]["message"]


def test_the_list_filters_and_refuses_unknown_values(client, city):
    """?state, ?overdue filter; an unknown state or overdue value is 400 naming the parameter."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
        new_task(city)
    client.force_login(city.office)
    with travel_to(d(2025, 3, 18)):
        assert [r["id"] for r in client.get(URL, {"overdue": "true"}).json()["results"]] == [
            task.pk
        ]
        assert client.get(URL, {"state": "created"}).json()["count"] == 1
        for params in ({"state": "done"}, {"overdue": "maybe"}):
            answer = client.get(URL, params)
            assert answer.status_code == 400
            assert answer.json()["error"]["details"]["parameter"] in params


def test_the_list_costs_the_same_queries_for_more_tasks(client, city):
    """A page of tasks is read in a fixed number of queries."""
    client.force_login(city.office)
    with travel_to(MONDAY):
        for _ in range(2):
            task_in_state(city, "in_progress")
        with CaptureQueriesContext(connection) as few:
            client.get(URL)
        for _ in range(5):
            task_in_state(city, "in_progress")
        with CaptureQueriesContext(connection) as many:
            body = client.get(URL).json()
    assert body["count"] == 7
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_office_runs_the_escalation_and_reads_the_yearly_counts(client, city):
    """escalate-overdue answers the numbers escalated; yearly-counts is the office's."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
    client.force_login(city.office)
    with travel_to(d(2025, 3, 18)):
        answer = _post(client, f"{URL}escalate-overdue/")
        assert answer.json() == {"escalated": [task.number]}
        assert _post(client, f"{URL}escalate-overdue/").json() == {"escalated": []}
    counts = client.get("/api/v1/supervision/yearly-counts/").json()
    assert counts == [
        {
            "year": 2025,
            "supervision": 1,
            "assessment": 0,
            "total": 1,
            "change_vs_previous": None,
        }
    ]
    client.force_login(city.head)
    assert _post(client, f"{URL}escalate-overdue/").status_code == 403
    assert client.get("/api/v1/supervision/yearly-counts/").status_code == 403


def test_anonymous_callers_are_refused(client, city):
    """Not signed in: 401 in the one error shape."""
    answer = client.get(URL)
    assert answer.status_code == 401
    assert set(answer.json()["error"]) == {"code", "message", "details"}


def test_the_schema_documents_every_task_endpoint(client):
    """The list, detail, each step, the job and the yearly counts are in the OpenAPI schema."""
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/supervision/tasks/"])
    assert "get" in paths["/api/v1/supervision/tasks/{id}/"]
    for step in ("assign", "progress", "submit", "close", "send-back", "urge", "escalate"):
        assert "post" in paths[f"/api/v1/supervision/tasks/{{id}}/{step}/"], step
    assert "post" in paths["/api/v1/supervision/tasks/escalate-overdue/"]
    assert "get" in paths["/api/v1/supervision/yearly-counts/"]
