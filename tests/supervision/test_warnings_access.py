"""Who sees the warnings ledger, on the page (/office/warnings/) and through the API
(/api/v1/warnings/): the efficiency office every department, a head their own, nobody else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from tests.applications.factories import (
    DepartmentFactory,
    UserFactory,
    people,
    promised_matter,
    submit,
)
from tests.clocks.conftest import travel_to
from tests.clocks.factories import start_test_clock
from xiaoneng.accounts.models import Role
from xiaoneng.applications import services as applications
from xiaoneng.supervision.models import WarningRecord
from xiaoneng.supervision.services.warnings import warnings_scan

pytestmark = pytest.mark.django_db

d = dt.date
SCAN_DAY = d(2025, 4, 1)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English, so assertions do not depend on compiled catalogues."""
    with translation.override("en"):
        yield


class Ledger:
    """Two departments with warnings: A has an application (red) and a plain clock (yellow),
    B a plain clock (red). Staff of every role, the office and an administrator."""

    def __init__(self) -> None:
        self.a = DepartmentFactory(name="甲局")
        self.b = DepartmentFactory(name="乙局")
        self.citizen, self.window, self.reviewer, self.head_a = people(self.a)
        self.head_b = UserFactory(role=Role.HEAD, department=self.b)
        self.office = UserFactory(role=Role.OFFICE)
        self.admin = UserFactory(role=Role.ADMIN)
        with travel_to(d(2025, 3, 3)):
            self.application = submit(self.citizen, promised_matter(self.a))
            applications.application_accept(actor=self.window, application=self.application)
            start_test_clock(started_on=d(2025, 3, 3), department=self.b, label="乙局工单")
        with travel_to(d(2025, 3, 10)):
            start_test_clock(started_on=d(2025, 3, 10), department=self.a, label="甲局工单")
        with travel_to(SCAN_DAY):
            warnings_scan(today=d(2025, 3, 25))  # everything started 03-03 turns yellow
            warnings_scan()  # …then red; 甲局工单 (due 04-07) turns yellow (yellow day 04-01)


@pytest.fixture
def ledger() -> Ledger:
    return Ledger()


def page(user: Any, query: str = "") -> Any:
    client = Client(headers={"accept-language": "en"})
    if user is not None:
        client.force_login(user)
    with travel_to(SCAN_DAY):
        return client.get(f"/office/warnings/{query}")


def api(user: Any, path: str = "/api/v1/warnings/", **params: Any) -> Any:
    client = APIClient(headers={"accept-language": "en"})
    if user is not None:
        client.force_authenticate(user)
    return client.get(path, params)


def test_the_office_and_administrators_see_every_department_on_the_page(ledger):
    """Open warnings of both departments, with the counts per department."""
    for user in (ledger.office, ledger.admin):
        response = page(user)
        assert response.status_code == 200
        body = response.content.decode()
        assert "甲局工单" in body and "乙局工单" in body
        assert ledger.application.number in body
        assert f'href="/applications/{ledger.application.pk}/"' in body
        assert len(response.context["rows"]) == 4  # open: 2 app clocks red, 2 plain clocks
        # A red warning can become a supervision task (督办) from here.
        red = WarningRecord.objects.filter(level="red", closed_on__isnull=True).first()
        assert f"/office/supervision/tasks/new/?warning={red.pk}" in body


def test_a_head_sees_only_their_department(ledger):
    """Head of B: B's warning only, even when asking for A's department."""
    response = page(ledger.head_b)
    assert response.status_code == 200
    assert {row["record"].department_id for row in response.context["rows"]} == {ledger.b.pk}
    assert response.context["counts"] == [{"department": "乙局", "yellow": 0, "red": 1}]
    assert 'data-action="task-from-warning"' not in response.content.decode()
    response = page(ledger.head_b, f"?department={ledger.a.pk}")
    assert response.context["rows"] == []


@pytest.mark.parametrize("role", ["citizen", "window", "reviewer"])
def test_other_roles_are_refused_the_page(ledger, role):
    """Applicants, window officers and reviewers get 403: the ledger is a supervision tool."""
    assert page(getattr(ledger, role)).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(ledger):
    """Not signed in: redirected to the login page."""
    response = page(None)
    assert response.status_code == 302
    assert "/login" in response["Location"] or "next=" in response["Location"]


def test_the_page_filters_by_level_state_and_period(ledger):
    """Level, open/closed and the period of the change narrow the list."""
    rows = page(ledger.office, "?level=yellow&state=closed")
    assert {r["record"].closed_reason for r in rows.context["rows"]} == {"escalated"}
    assert len(rows.context["rows"]) == 3
    rows = page(ledger.office, "?state=all&from=2025-03-25&to=2025-03-25")
    assert len(rows.context["rows"]) == 3
    rows = page(ledger.office, f"?department={ledger.b.pk}&level=red")
    assert [r["record"].department_id for r in rows.context["rows"]] == [ledger.b.pk]
    # Values the page does not know are ignored rather than an error page.
    assert page(ledger.office, "?level=purple&from=yesterday").status_code == 200


def test_the_nav_links_to_the_ledger_for_office_and_heads_only(ledger):
    """The link shows for the office and heads, not for reviewers."""
    client = Client(headers={"accept-language": "en"})
    for user, shown in ((ledger.office, True), (ledger.head_a, True), (ledger.reviewer, False)):
        client.force_login(user)
        body = client.get("/inbox/").content.decode()
        assert ('id="nav-warnings"' in body) is shown


def test_the_api_gives_the_office_every_row_and_a_head_their_own(ledger):
    """Same access as the page; a head's department filter cannot reach another one."""
    everything = api(ledger.office)
    assert everything.status_code == 200
    assert everything.data["count"] == WarningRecord.objects.count() == 7
    mine = api(ledger.head_a)
    assert {row["department"]["id"] for row in mine.data["results"]} == {ledger.a.pk}
    assert api(ledger.head_a, department=ledger.b.pk).data["count"] == 0
    row = next(r for r in mine.data["results"] if r["item"]["type"] == "applications.application")
    assert row["item"]["url"] == f"/applications/{ledger.application.pk}/"
    assert row["clock"]["officer"] is None
    assert set(row) >= {"level", "previous_level", "changed_on", "closed_on", "notified_at"}


def test_the_api_filters(ledger):
    """level, state and the period, like the page."""
    assert api(ledger.office, level="red", state="open").data["count"] == 3
    assert api(ledger.office, state="closed").data["count"] == 3
    assert api(ledger.office, date_from="2025-04-01", date_to="2025-04-01").data["count"] == 4


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"level": "purple"}, "level"),
        ({"state": "ajar"}, "state"),
        ({"date_from": "01/04/2025"}, "date_from"),
        ({"department": "甲局"}, "department"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(ledger, params, parameter):
    """A bad value answers the one error shape, saying which parameter and what arrived."""
    response = api(ledger.office, **params)
    assert response.status_code == 400
    assert response.data["error"]["code"] == "invalid"
    assert response.data["error"]["details"]["parameter"] == parameter


def test_a_period_ending_before_it_starts_is_400(ledger):
    """date_to before date_from is refused with both days."""
    response = api(ledger.office, date_from="2025-04-02", date_to="2025-04-01")
    assert response.status_code == 400
    assert "2025-04-01" in response.data["error"]["message"]


@pytest.mark.parametrize("role", ["citizen", "window", "reviewer"])
def test_other_roles_are_refused_the_api(ledger, role):
    """403 in the one error shape for everyone but the office and heads."""
    for path in ("/api/v1/warnings/", "/api/v1/warnings/counts/"):
        response = api(getattr(ledger, role), path)
        assert response.status_code == 403
        assert response.data["error"]["code"] == "forbidden"


def test_the_api_refuses_anonymous_callers(ledger):
    """Not signed in: 401 or 403, never the rows."""
    assert api(None).status_code in (401, 403)


def test_the_counts_per_department(ledger):
    """Open yellow and red per department: all for the office, their own for a head."""
    counts = api(ledger.office, "/api/v1/warnings/counts/").data
    assert [(c["department"]["id"], c["yellow"], c["red"]) for c in counts] == sorted(
        [(ledger.a.pk, 1, 2), (ledger.b.pk, 0, 1)],
        key=lambda row: ledger.a.code if row[0] == ledger.a.pk else ledger.b.code,
    )
    mine = api(ledger.head_b, "/api/v1/warnings/counts/").data
    assert [(c["department"]["name"], c["yellow"], c["red"]) for c in mine] == [("乙局", 0, 1)]


def test_the_list_costs_the_same_queries_for_many_rows(ledger, django_assert_max_num_queries):
    """The API list is a fixed number of queries, whatever the page holds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        api(ledger.office, page_size=2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api(ledger.office, page_size=50)
    assert len(response.data["results"]) == 7
