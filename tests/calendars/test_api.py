"""The calendar API: coverage, add and count working days, errors in the one error shape.

Issue 2, "The working-day calendar"; DOMAIN_RULES.md §1.
"""

import pytest
from rest_framework.test import APIClient

from xiaoneng.calendars import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    """An anonymous API client (holidays are public), asking for English."""
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def test_coverage(api):
    """GET /api/v1/calendar/ gives the covered range, the gaps and the latest year."""
    body = api.get("/api/v1/calendar/").json()
    assert body["covered_from"] == "2004-01-01"
    assert body["covered_to"] == "2026-12-31"
    assert body["description"] == "2004–2026"
    assert body["gaps"] == []
    assert body["latest"]["year"] == 2026 and body["latest"]["source"] == "package"


def test_add_workdays(api):
    """start and n give the n-th working day after start."""
    response = api.get("/api/v1/calendar/workdays/", {"start": "2024-09-27", "n": 20})
    assert response.status_code == 200
    assert response.json() == {
        "start": "2024-09-27",
        "n": 20,
        "date": "2024-10-30",
        "provisional": False,
    }


def test_count_workdays(api):
    """a and b give the number of working days in (a, b]."""
    response = api.get("/api/v1/calendar/workdays/", {"a": "2020-01-20", "b": "2020-02-25"})
    assert response.json() == {
        "a": "2020-01-20",
        "b": "2020-02-25",
        "count": 20,
        "provisional": False,
    }


def test_uncovered_year_is_provisional_or_refused(api, admin_user, example_2027):
    """Into 2027 the answer is marked provisional, or refused with strict; firm after import."""
    query = {"start": "2027-09-30", "n": 1}
    assert api.get("/api/v1/calendar/workdays/", query).json()["provisional"] is True
    strict = api.get("/api/v1/calendar/workdays/", {**query, "strict": "true"})
    assert strict.status_code == 400
    assert strict.json()["error"]["code"] == "calendar_not_covered"
    assert strict.json()["error"]["details"]["missing_year"] == 2027

    services.calendar_year_import(actor=admin_user, document=example_2027)
    body = api.get("/api/v1/calendar/workdays/", {**query, "strict": "true"}).json()
    assert body == {"start": "2027-09-30", "n": 1, "date": "2027-10-08", "provisional": False}


BAD_QUERIES = [
    (
        {"start": "2024-02-30", "n": 3},
        "'start' must be a date written like 2024-09-27, got \"2024-02-30\".",
    ),
    ({"start": "2024-02-03", "n": "x"}, "'n' must be a whole number from 0 to 2500, got \"x\"."),
    ({"start": "2024-02-03"}, "'n' must be a whole number from 0 to 2500, got nothing."),
    ({"a": "2024-02-03"}, "'b' must be a date written like 2024-09-27, got nothing."),
    (
        {},
        "Expected either start and n (to add working days) or a and b (to count them), "
        "got neither.",
    ),
    ({"start": "2024-02-03", "n": 1, "a": "2024-01-01", "b": "2024-02-01"}, "got a, b, n, start."),
    ({"start": "2024-02-03", "n": 1, "strict": "maybe"}, "'strict' must be true or false"),
    ({"start": "1999-02-03", "n": 1}, "1999-02-03 is outside the working-day calendar"),
]


@pytest.mark.parametrize(("query", "message"), BAD_QUERIES)
def test_bad_input_is_400_in_the_error_shape(api, query, message):
    """Bad parameters answer 400 with {error: {code, message, details}} saying what arrived."""
    response = api.get("/api/v1/calendar/workdays/", query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert message in error["message"]


def test_schema_documents_the_endpoints(api):
    """/api/schema/ lists both calendar endpoints with their parameters."""
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/calendar/" in paths
    parameters = {p["name"] for p in paths["/api/v1/calendar/workdays/"]["get"]["parameters"]}
    assert parameters == {"start", "n", "a", "b", "strict"}


def test_errors_speak_the_users_language(api):
    """With Accept-Language zh-hans the message is in Simplified Chinese."""
    response = api.get(
        "/api/v1/calendar/workdays/",
        {"start": "2024-02-30", "n": 3},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert (
        response.json()["error"]["message"]
        == '“start”必须是形如 2024-09-27 的日期，收到的是 "2024-02-30"。'
    )
