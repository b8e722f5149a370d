"""The KPI API through HTTP: who sees which figures, the filters, the errors, the queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from tests.catalog.factories import MatterFactory
from tests.clocks.conftest import travel_to
from tests.clocks.factories import DepartmentFactory, UserFactory, start_test_clock
from xiaoneng.accounts.models import Role, User
from xiaoneng.clocks.services import clock_stop
from xiaoneng.dashboard import rules

pytestmark = pytest.mark.django_db

d = dt.date
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def city():
    """Two departments, A with two matters (one online) and B with one; clocks in March 2025.

    A: promised 5 days from 03-03 (due 03-10) stopped 03-07, on time; B: promised 5 days from
    03-03 stopped 03-12, late; B: one open clock of 2 days from 03-03, red from 03-06.
    """
    a = DepartmentFactory(code="A01", name="甲局")
    b = DepartmentFactory(code="B02", name="乙局")
    MatterFactory(department=a, online=True)
    MatterFactory(department=a, online=False, handling_forms=["window"], online_depth=[])
    MatterFactory(department=b, online=True)
    for dept, stop in ((a, d(2025, 3, 7)), (b, d(2025, 3, 12))):
        clock = start_test_clock(
            kind="application.promised", limit_days=5, started_on=d(2025, 3, 3), department=dept
        )
        clock_stop(actor=None, clock=clock, on=stop)
    start_test_clock(
        kind="application.promised", limit_days=2, started_on=d(2025, 3, 3), department=b
    )
    return a, b


def _user(role: str, department=None):
    return UserFactory(role=role, department=department)


def _get(client, url, **params):
    return client.get(url, params, **EN)


def test_the_office_sees_the_city(client, city):
    """The office without a department gets the city's figures as one JSON object."""
    client.force_login(_user(Role.OFFICE))
    response = _get(client, "/api/v1/kpis/", **{"from": "2025-03-01", "to": "2025-03-31"})
    assert response.status_code == 200
    body = response.json()
    assert body["matters_total"] == 3
    assert body["matters_online"] == 2
    assert body["online_rate"] == pytest.approx(2 / 3)
    assert body["applications_concluded"] == 2
    assert body["on_time_rate"] == 0.5
    assert body["department"] is None
    assert body["period_from"] == "2025-03-01" and body["period_to"] == "2025-03-31"
    for key in (
        "matters_total",
        "matters_online",
        "online_rate",
        "one_visit_matters",
        "certificates_cancelled",
        "on_time_rate",
        "clocks_yellow",
        "clocks_red",
        "compression_ratio",
        "supervision_open",
        "supervision_overdue",
    ):
        assert key in body


def test_the_office_may_pick_any_department(client, city):
    """?department=B02 gives B's figures only."""
    client.force_login(_user(Role.OFFICE))
    body = _get(client, "/api/v1/kpis/", department="B02").json()
    assert body["department"] == "B02"
    assert (body["matters_total"], body["applications_concluded"], body["on_time_rate"]) == (
        1,
        1,
        0.0,
    )
    assert body["clocks_red"] == 1


def test_a_head_sees_their_own_department_by_default(client, city):
    """A head of A without a department parameter gets A's figures."""
    a, _b = city
    client.force_login(_user(Role.HEAD, a))
    body = _get(client, "/api/v1/kpis/").json()
    assert body["department"] == "A01"
    assert body["matters_total"] == 2
    assert _get(client, "/api/v1/kpis/", department="A01").json() == body


def test_a_head_asking_for_another_department_is_refused(client, city):
    """A head of A asking for B gets 403 naming both departments."""
    a, _b = city
    client.force_login(_user(Role.HEAD, a))
    response = _get(client, "/api/v1/kpis/", department="B02")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "forbidden"
    assert "own department (A01) only; B02 was asked for" in error["message"]


@pytest.mark.parametrize(
    "role", [Role.CITIZEN, Role.ENTERPRISE, Role.WINDOW, Role.REVIEWER, Role.PARTNER]
)
def test_other_roles_are_refused(client, city, role):
    """Applicants, window officers, reviewers and partners get 403 with their role named."""
    a, _b = city
    client.force_login(_user(role, a if role in {Role.WINDOW, Role.REVIEWER} else None))
    for url in ("/api/v1/kpis/", "/api/v1/kpis/definitions/"):
        response = _get(client, url)
        assert response.status_code == 403
        assert f"your role is {role}" in response.json()["error"]["message"]


def test_an_anonymous_caller_is_refused(client, city):
    """Without signing in, every KPI endpoint refuses."""
    for url in ("/api/v1/kpis/", "/api/v1/kpis/departments/", "/api/v1/ranking/"):
        assert _get(client, url).status_code in (401, 403)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2025-13-01"}, "'from' must be a date like 2025-03-31, got '2025-13-01'"),
        ({"to": "yesterday"}, "'to' must be a date like 2025-03-31, got 'yesterday'"),
        ({"from": "2025-04-01", "to": "2025-03-01"}, "starts on 2025-04-01, after it ends"),
        ({"department": "NOPE"}, "No department has the code 'NOPE'"),
    ],
)
def test_bad_filters_are_400_with_a_clear_message(client, city, params, message):
    """Bad dates, a reversed period and an unknown department are 400 in the error shape."""
    client.force_login(_user(Role.OFFICE))
    response = _get(client, "/api/v1/kpis/", **params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert message in error["message"]


def test_errors_come_in_chinese_by_default(client, city):
    """Without a language asked for, the message is in zh-Hans."""
    client.force_login(_user(Role.OFFICE))
    response = client.get("/api/v1/kpis/", {"department": "NOPE"})
    assert response.status_code == 400
    assert "部门" in response.json()["error"]["message"]


def test_the_office_lists_every_department(client, city):
    """/kpis/departments/ has one row per department with data, with code and name."""
    client.force_login(_user(Role.OFFICE))
    body = _get(client, "/api/v1/kpis/departments/", **{"from": "2025-03-01"}).json()
    assert body["count"] == 2
    assert [(r["code"], r["name"], r["matters_total"]) for r in body["results"]] == [
        ("A01", "甲局", 2),
        ("B02", "乙局", 1),
    ]
    assert body["period_from"] == "2025-03-01" and body["period_to"] is None


def test_only_the_office_lists_departments_and_the_ranking(client, city):
    """A head gets 403 for the lists of every department and the ranking."""
    a, _b = city
    client.force_login(_user(Role.HEAD, a))
    for url in ("/api/v1/kpis/departments/", "/api/v1/ranking/"):
        response = _get(client, url)
        assert response.status_code == 403
        assert "for the efficiency office" in response.json()["error"]["message"]


def test_the_ranking(client, city):
    """March, default weights: A (on time 1, red 0) ahead of B (on time 0, red 1)."""
    client.force_login(_user(Role.OFFICE))
    body = _get(client, "/api/v1/ranking/", **{"from": "2025-03-01", "to": "2025-03-31"}).json()
    assert [(r["rank"], r["code"]) for r in body["results"]] == [(1, "A01"), (2, "B02")]
    # A: (0.4·1 + 0.2·1 + 0.2·1) / 0.8 = 100; B: (0.4·0 + 0.2·0 + 0.2·1) / 0.8 = 25.
    assert [r["score"] for r in body["results"]] == [100.0, 25.0]
    assert body["weights"] == pytest.approx(rules.DEFAULT_RANKING_WEIGHTS)
    assert [i["key"] for i in body["indicators"]] == list(rules.RANKING_INDICATORS)


def test_the_ranking_takes_weights_from_the_query(client, city):
    """weights=bad_reviews=1 puts everyone level (no bad reviews anywhere)."""
    client.force_login(_user(Role.OFFICE))
    body = _get(client, "/api/v1/ranking/", weights="bad_reviews=1").json()
    assert [(r["rank"], r["score"]) for r in body["results"]] == [(1, 100.0), (1, 100.0)]
    assert body["weights"]["bad_reviews"] == 1.0


def test_bad_weights_are_400(client, city):
    """An unknown indicator in weights is 400 with the list of indicators."""
    client.force_login(_user(Role.OFFICE))
    response = _get(client, "/api/v1/ranking/", weights="speed=1")
    assert response.status_code == 400
    assert (
        "the indicators are on_time, red, bad_reviews, supervision"
        in (response.json()["error"]["message"])
    )


def test_definitions_explain_every_figure(client, city):
    """/kpis/definitions/ lists every KPI's numerator, denominator and period."""
    a, _b = city
    client.force_login(_user(Role.HEAD, a))
    body = _get(client, "/api/v1/kpis/definitions/").json()
    keys = [k["key"] for k in body["kpis"]]
    assert keys == list(rules.KPI_DEFINITIONS)
    on_time = next(k for k in body["kpis"] if k["key"] == "on_time_rate")
    assert on_time["unit"] == "rate"
    assert on_time["denominator"] == "applications concluded"
    assert sum(body["ranking_weights"].values()) == pytest.approx(1)


def test_the_schema_documents_the_formulas(client):
    """The OpenAPI schema describes each KPI field with its formula."""
    schema = client.get("/api/schema/?format=json").json()
    assert "/api/v1/kpis/" in schema["paths"]
    fields = schema["components"]["schemas"]["Kpis"]["properties"]
    assert "Numerator:" in fields["on_time_rate"]["description"]
    assert set(rules.KPI_DEFINITIONS) <= set(fields)


@pytest.mark.parametrize("role", [Role.OFFICE, Role.HEAD])
def test_kpis_take_a_fixed_number_of_queries(client, city, role, django_assert_max_num_queries):
    """The figures cost the same handful of queries however much data there is.

    Session and user (2), the department asked for (1) and its code (1), the catalog (3),
    applications received and accepted (2), stopped clocks and their histogram (2), open
    clocks (1), ratings (1), rectifications (1): 14 on SQLite and PostgreSQL.
    """
    a, _b = city
    client.force_login(_user(role, a if role == Role.HEAD else None))
    with django_assert_max_num_queries(14):
        response = _get(client, "/api/v1/kpis/", department="A01", **{"from": "2025-03-01"})
    assert response.status_code == 200


def test_now_figures_use_today(client, city):
    """The open 2-day clock of B (due 03-05) is red on 03-06 and yellow before."""
    client.force_login(_user(Role.OFFICE))
    with travel_to(d(2025, 3, 6)):
        assert _get(client, "/api/v1/kpis/").json()["clocks_red"] == 1
    with travel_to(d(2025, 3, 4)):
        body = _get(client, "/api/v1/kpis/").json()
    assert (body["clocks_red"], body["clocks_yellow"]) == (0, 1)


def test_the_demo_city_shows_the_reports_figures(client):
    """After `xiaoneng demo`, /api/v1/kpis/ computes 504 matters, 456 online (90.48 %), 543
    one-visit items and 108 certificates from the rows; the demo head sees their bureau."""
    call_command("demo", "--no-activity")
    client.force_login(User.objects.get(username="office"))
    body = _get(client, "/api/v1/kpis/").json()
    assert (body["matters_total"], body["matters_online"]) == (504, 456)
    assert rules.percent(body["online_rate"]) == "90.48 %"
    assert body["one_visit_matters"] == 543
    assert body["certificates_cancelled"] == 108
    client.force_login(User.objects.get(username="head"))
    own = _get(client, "/api/v1/kpis/").json()
    assert own["department"] == "130100001"
    assert 0 < own["matters_total"] < 504
