"""The office dashboard (/office/) and its drill-down: who sees what, filters, the figures.

Issue 4 part 4: "For the efficiency office (all departments) and for department heads (their
own) … click a department to reach its late items; time-range and department filters; the
calendar's covered range and any provisional due dates shown."

"Today" is frozen at Friday 2026-11-20 (Asia/Shanghai), so the figures of the hand-made
season below do not depend on the day the tests run; 2027 is not in the seeded calendar, so a
clock reaching into it has a provisional due date.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from tests.applications.conftest import travel_to
from tests.catalog.factories import CertificateDataFactory, MatterFactory
from tests.catalog.factories import DepartmentFactory as CatalogDepartmentFactory
from tests.clocks.factories import DepartmentFactory, tracked_item
from xiaoneng.accounts.models import Department, Role, User
from xiaoneng.clocks.models import Clock
from xiaoneng.clocks.services import clock_start, clock_stop
from xiaoneng.dashboard import rules, selectors

pytestmark = pytest.mark.django_db

d = dt.date
TODAY = d(2026, 11, 20)
PROMISED = "application.promised"


@pytest.fixture(autouse=True)
def _frozen_english() -> Iterator[None]:
    """Today is 2026-11-20; messages in English so assertions do not need compiled .mo."""
    with travel_to(TODAY), translation.override("en"):
        yield


_usernames = itertools.count()


@pytest.fixture
def client(client):  # type: ignore[no-untyped-def]
    """The test client, asking for English pages."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _user(role: str, department: Department | None = None, **extra: Any) -> User:
    return User.objects.create_user(
        username=f"u-{role}-{next(_usernames)}",
        password="pw-123456",
        role=role,
        department=department,
        **extra,
    )


def _clock(
    department: Department,
    *,
    started_on: dt.date,
    limit: int,
    label: str,
    stop: dt.date | None = None,
    officer: User | None = None,
) -> Clock:
    clock = clock_start(
        actor=None,
        item=tracked_item(),
        department=department,
        kind=PROMISED,
        limit_days=limit,
        started_on=started_on,
        label=label,
        officer=officer,
    )
    return clock_stop(actor=None, clock=clock, on=stop) if stop else clock


@dataclass
class Season:
    a: Department
    b: Department
    office: User
    head_a: User
    officer_a: User
    red_a: Clock
    yellow_a: Clock
    provisional_a: Clock
    red_b: Clock


@pytest.fixture
def season() -> Season:
    """Two departments' clocks as of Friday 2026-11-20.

    A (甲局): open and red (started 10-08, 5 days, due 10-14: Saturday 10-10 is an adjusted
    working day after the National Day holiday); open and yellow (started 11-19,
    1 day, due today); open with a provisional due date (started today, 40 days: into
    January 2027); concluded on time in November (11-02 + 5, stopped 11-05) and late (10-20
    + 5, due 10-27, stopped 11-10). B (乙局): open and red (10-08 + 3); concluded on time
    (11-09 + 5, stopped 11-11).
    """
    a = DepartmentFactory(code="A01", name="测试甲局", short_name="甲局")
    b = DepartmentFactory(code="B02", name="测试乙局", short_name="乙局")
    officer_a = _user(Role.REVIEWER, a, display_name="王小明 13912345678")
    season = Season(
        a=a,
        b=b,
        office=_user(Role.OFFICE),
        head_a=_user(Role.HEAD, a),
        officer_a=officer_a,
        red_a=_clock(a, started_on=d(2026, 10, 8), limit=5, label="甲-超时", officer=officer_a),
        yellow_a=_clock(a, started_on=d(2026, 11, 19), limit=1, label="甲-预警"),
        provisional_a=_clock(a, started_on=TODAY, limit=40, label="甲-暂定"),
        red_b=_clock(b, started_on=d(2026, 10, 8), limit=3, label="乙-超时"),
    )
    _clock(a, started_on=d(2026, 11, 2), limit=5, label="甲-按时", stop=d(2026, 11, 5))
    _clock(a, started_on=d(2026, 10, 20), limit=5, label="甲-逾期", stop=d(2026, 11, 10))
    _clock(b, started_on=d(2026, 11, 9), limit=5, label="乙-按时", stop=d(2026, 11, 11))
    return season


def _kpi_values(body: str) -> dict[str, str]:
    """The value shown on each KPI card, by key."""
    return dict(re.findall(r'data-kpi="([a-z_]+)"[^>]*><div class="value">([^<]*)</div>', body))


def _chart_data(body: str) -> dict[str, Any]:
    match = re.search(
        r'<script id="dashboard-chart-data" type="application/json">(.*?)</script>', body, re.S
    )
    assert match, "the chart data are on the page"
    return json.loads(match.group(1))  # type: ignore[no-any-return]


# -- who may see it ------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in(client):
    """An anonymous visitor is redirected to the sign-in page, from every dashboard page."""
    for url in ("/office/", "/office/departments/A01/late/", "/office/reports/monthly/2026-10.pdf"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "role", [Role.CITIZEN, Role.ENTERPRISE, Role.WINDOW, Role.REVIEWER, Role.PARTNER]
)
def test_other_roles_are_refused(client, season, role):
    """Applicants, window officers, reviewers and partners get 403 on every dashboard page."""
    client.force_login(_user(role, season.a if role in (Role.WINDOW, Role.REVIEWER) else None))
    assert client.get("/office/").status_code == 403
    assert client.get("/office/departments/A01/late/").status_code == 403
    assert client.get("/office/reports/monthly/2026-10.xlsx").status_code == 403


def test_office_sees_figures_computed_from_the_catalog(client):
    """Three city matters, two online, one cancelled certificate: the page says so."""
    dept = CatalogDepartmentFactory(name="测试局")
    MatterFactory(department=dept, online=True)
    MatterFactory(department=dept, online=True, materials=[CertificateDataFactory()])
    MatterFactory(
        department=dept, online=False, handling_forms=["window"], online_depth=[], visits=2
    )
    unit = CatalogDepartmentFactory(name="供水单位", is_service_unit=True)
    MatterFactory(department=unit, matter_type="20", visits=1)
    client.force_login(_user(Role.OFFICE))
    response = client.get("/office/")
    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures["matters_total"] == 3  # the public-service unit's matter is not city government
    assert figures["matters_online"] == 2
    assert figures["online_rate"] == pytest.approx(2 / 3)
    assert figures["one_visit_matters"] == 3  # two city matters + the unit's matter
    assert figures["certificates_cancelled"] == 1
    assert figures["compression_ratio"] == pytest.approx(1 - 15 / 60)
    body = response.content.decode()
    cards = _kpi_values(body)
    assert cards["online_rate"] == "66.67 %"
    assert cards["matters_total"] == "3"
    assert "calendar-coverage" in body
    assert "2004" in body  # the seeded calendar's first year is shown
    # Catalog entries alone give the department a table row but nothing to chart.
    assert 'data-late-link="' in body
    assert _chart_data(body)["departments"] == []
    assert "No department has applications, clocks or ratings to chart" in body


def test_office_sees_a_card_for_every_documented_kpi_with_its_formula(client, season):
    """Every KPI of KPI_DEFINITIONS has a card whose value is kpis()' for the period, and
    whose title is its documented formula."""
    client.force_login(season.office)
    body = client.get("/office/").content.decode()
    figures = selectors.kpis(date_from=d(2026, 11, 1), date_to=TODAY, today=TODAY)
    cards = _kpi_values(body)
    assert set(cards) == set(rules.KPI_DEFINITIONS)
    for key, definition in rules.KPI_DEFINITIONS.items():
        value = figures[key]
        if definition.unit == rules.Unit.RATE:
            expected = rules.percent(value)
        elif value is None:
            expected = "—"
        elif definition.unit == rules.Unit.DAYS:
            expected = f"{value:.2f}"
        else:
            expected = str(value)
        assert cards[key] == expected, key
        assert f'data-kpi="{key}" title="' in body
    # The hand-made season: two clocks red and one yellow now, three concluded in November,
    # one of them late.
    assert (cards["clocks_red"], cards["clocks_yellow"]) == ("2", "1")
    assert cards["applications_concluded"] == "3"
    assert cards["on_time_rate"] == "66.67 %"
    assert 'id="kpi-formulas"' in body  # the "how computed" table


def test_a_head_sees_their_own_department_whatever_they_ask(client, season):
    """A head's page is forced to their department: figures, table, ranking; another
    department in the query string changes nothing."""
    client.force_login(season.head_a)
    response = client.get("/office/", {"department": "B02"})
    assert response.status_code == 200
    assert response.context["department"] == season.a
    own = selectors.kpis(department_id=season.a.pk, date_from=d(2026, 11, 1), date_to=TODAY)
    assert response.context["figures"] == own
    rows = response.context["department_rows"]
    assert [r["code"] for r in rows] == ["A01"]
    assert [r["code"] for r in response.context["ranking"]] == ["A01"]
    cards = _kpi_values(response.content.decode())
    assert (cards["clocks_red"], cards["clocks_yellow"]) == ("1", "1")
    assert "测试乙局" not in response.content.decode()


def test_a_head_without_the_office_role_gets_no_department_select(client, season):
    """A head's filter form has dates only: the department is theirs."""
    client.force_login(season.head_a)
    body = client.get("/office/").content.decode()
    assert 'name="department"' not in body
    assert 'name="from"' in body


# -- filters -------------------------------------------------------------------------------------


def test_the_default_period_is_this_month_to_date(client, season):
    """No filter: from the first of this month to today; "now" figures as of today."""
    client.force_login(season.office)
    response = client.get("/office/")
    filters = response.context["filters"]
    assert (filters.date_from, filters.date_to, filters.period) == (
        d(2026, 11, 1),
        TODAY,
        "this-month",
    )
    assert response.context["figures"]["period_from"] == "2026-11-01"


def test_last_month_preset_and_now_figures_as_of_its_end(client, season):
    """period=last-month covers October, and "now" figures are taken on October 31."""
    client.force_login(season.office)
    response = client.get("/office/", {"period": "last-month"})
    assert response.context["as_of"] == d(2026, 10, 31)
    expected = selectors.kpis(
        date_from=d(2026, 10, 1), date_to=d(2026, 10, 31), today=d(2026, 10, 31)
    )
    assert response.context["figures"] == expected
    assert response.context["figures"]["applications_concluded"] == 0  # all stopped in November


def test_custom_dates_and_department_are_kept_in_the_links(client, season):
    """from/to and department stay in the preset links' query strings and narrow the page."""
    client.force_login(season.office)
    response = client.get(
        "/office/", {"from": "2026-11-05", "to": "2026-11-10", "department": "A01"}
    )
    assert response.context["department"] == season.a
    assert response.context["figures"] == selectors.kpis(
        department_id=season.a.pk,
        date_from=d(2026, 11, 5),
        date_to=d(2026, 11, 10),
        today=d(2026, 11, 10),
    )
    presets = {name: query for name, _label, query in response.context["presets"]}
    assert presets["last-month"] == "department=A01&period=last-month"
    body = response.content.decode()
    assert 'value="2026-11-05"' in body and 'value="2026-11-10"' in body
    assert '<option value="A01" selected>' in body


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-13-01"}, "from: expected a date written YYYY-MM-DD, got '2026-13-01'."),
        ({"from": "2026-11-10", "to": "2026-11-01"}, "after it ends"),
        ({"period": "last-week"}, "period: expected one of this-month, last-month, this-year"),
        ({"department": "NOPE"}, "No department has the code"),
    ],
)
def test_bad_filters_are_reported_and_the_defaults_used(client, season, query, message):
    """A bad date, a reversed period, an unknown preset or department is said on the page,
    and the figures fall back to this month, all departments."""
    client.force_login(season.office)
    response = client.get("/office/", query)
    assert response.status_code == 200
    assert any(message in error for error in response.context["errors"])
    assert message.split("'")[0] in response.content.decode()
    assert response.context["filters"].date_from == d(2026, 11, 1)
    assert response.context["department"] is None


def test_parse_filters_presets():
    """The presets: this month to date, the whole last month (across a year end), this year."""
    from django.http import QueryDict

    from xiaoneng.dashboard.views import parse_filters

    def period(query: str, today: dt.date) -> tuple[dt.date, dt.date]:
        f = parse_filters(QueryDict(query), today=today)
        return f.date_from, f.date_to

    assert period("period=this-month", d(2026, 3, 31)) == (d(2026, 3, 1), d(2026, 3, 31))
    assert period("period=last-month", d(2026, 1, 15)) == (d(2025, 12, 1), d(2025, 12, 31))
    assert period("period=last-month", d(2024, 3, 1)) == (d(2024, 2, 1), d(2024, 2, 29))
    assert period("period=this-year", d(2026, 11, 20)) == (d(2026, 1, 1), d(2026, 11, 20))
    assert period("from=2026-02-01", d(2026, 3, 5)) == (d(2026, 2, 1), d(2026, 3, 5))


@given(today=st.dates(min_value=d(2004, 1, 1), max_value=d(2030, 12, 31)))
def test_presets_are_whole_periods_that_end_by_today(today):
    """Every preset starts on a 1st, never ends after today, and last month ends the day
    before this month begins."""
    from xiaoneng.dashboard.views import PRESETS, preset_period

    for name in PRESETS:
        start, end = preset_period(name, today=today)
        assert start.day == 1 and start <= end <= today
    this_start, _ = preset_period("this-month", today=today)
    _, last_end = preset_period("last-month", today=today)
    assert last_end + dt.timedelta(days=1) == this_start


# -- charts, ranking, calendar -----------------------------------------------------------------


def test_chart_data_name_each_department_and_its_late_items_page(client, season):
    """The charts' JSON holds each department's yellow and red counts, on-time percent and
    the URL of its late items (what a click on its bar opens)."""
    client.force_login(season.office)
    body = client.get("/office/").content.decode()
    data = _chart_data(body)
    by_code = {row["code"]: row for row in data["departments"]}
    assert by_code["A01"]["yellow"] == 1 and by_code["A01"]["red"] == 1
    assert by_code["B02"]["red"] == 1
    assert by_code["A01"]["on_time_percent"] == 50.0
    assert by_code["B02"]["on_time_percent"] == 100.0
    assert by_code["A01"]["late_url"] == "/office/departments/A01/late/"
    assert by_code["A01"]["short_name"] == "甲局"
    # Without JavaScript the same figures are in a table with links to the late items.
    assert 'href="/office/departments/A01/late/" data-late-link="A01"' in body
    assert '/static/vendor/echarts/echarts.min.js"' in body
    assert "/static/dashboard/dashboard.js" in body


def test_ranking_shows_ranks_scores_and_weights(client, season):
    """The ranking table lists department_ranking()'s rows and the weights in force."""
    client.force_login(season.office)
    response = client.get("/office/")
    expected = selectors.department_ranking(date_from=d(2026, 11, 1), date_to=TODAY, today=TODAY)
    shown = response.context["ranking"]
    assert [(r["rank"], r["code"], r["score"]) for r in shown] == [
        (r["rank"], r["code"], r["score"]) for r in expected
    ]
    assert shown[0]["code"] == "B02"  # all on time, against A's one late of two
    body = response.content.decode()
    assert 'id="ranking-weights"' in body
    weights = rules.ranking_weights()
    assert f"{weights['on_time']:.2f}" in body


def test_calendar_coverage_and_provisional_due_dates_are_shown(client, season):
    """The covered range, the missing next year, and the provisional clock are on the page."""
    client.force_login(season.office)
    response = client.get("/office/")
    body = response.content.decode()
    assert "2004-01-01" in body and "2026-12-31" in body
    assert "Next year is not imported yet" in body
    assert response.context["provisional_count"] == 1
    assert [row["label"] for row in response.context["provisional"]] == ["甲-暂定"]
    assert "1 provisional due date" in body


def test_the_bulletin_links_name_this_and_last_month(client, season):
    """The dashboard offers the PDF and Excel bulletin of the filter's month and the last."""
    client.force_login(season.office)
    body = client.get("/office/", {"department": "A01"}).content.decode()
    for name in ("2026-11.pdf", "2026-11.xlsx", "2026-10.pdf", "2026-10.xlsx"):
        assert f'href="/office/reports/monthly/{name}?department=A01"' in body


# -- the late items of a department ----------------------------------------------------------


def test_office_opens_a_departments_late_items(client, season):
    """Red and yellow items of A now, with due date, days over or left and the officer
    (phone masked); B's item is not there."""
    client.force_login(season.office)
    response = client.get("/office/departments/A01/late/")
    assert response.status_code == 200
    (red_level, red, red_count), (yellow_level, yellow, yellow_count) = response.context["lists"]
    assert (red_level, red_count, yellow_level, yellow_count) == ("red", 1, "yellow", 1)
    assert red[0]["label"] == "甲-超时"
    assert red[0]["due_on"] == d(2026, 10, 14)
    assert red[0]["days_over"] == 27  # working days in (10-14, 11-20]: 2 + 5 × 5
    assert yellow[0]["label"] == "甲-预警" and yellow[0]["remaining_days"] == 0
    body = response.content.decode()
    assert "王小明 139****5678" in body
    assert "13912345678" not in body
    assert "乙-超时" not in body


def test_late_items_access_by_role(client, season):
    """The office opens any department, a head only their own (403 for another), and an
    unknown department is a 404."""
    client.force_login(season.office)
    assert client.get("/office/departments/B02/late/").status_code == 200
    assert client.get("/office/departments/NOPE/late/").status_code == 404
    client.force_login(season.head_a)
    assert client.get("/office/departments/A01/late/").status_code == 200
    assert client.get("/office/departments/B02/late/").status_code == 403


def test_item_links_go_to_the_items_page():
    """An application's clock links to its page; a kind of item without a page has no link."""
    import uuid

    from django.contrib.contenttypes.models import ContentType

    from xiaoneng.applications.models import Application
    from xiaoneng.dashboard.views import item_url
    from xiaoneng.supervision.models import SupervisionTask

    pk = uuid.uuid4()
    clock = Clock(content_type=ContentType.objects.get_for_model(Application), object_id=str(pk))
    assert item_url(clock) == f"/applications/{pk}/"
    clock = Clock(content_type=ContentType.objects.get_for_model(SupervisionTask), object_id="12")
    assert item_url(clock) == "/office/supervision/tasks/12/"
    clock = Clock(content_type=ContentType.objects.get_for_model(Department), object_id="1")
    assert item_url(clock) is None


# -- downloads ---------------------------------------------------------------------------------


def test_office_downloads_the_bulletin_as_pdf_and_excel(client, season):
    """Both files come with their content type and a bulletin-YYYY-MM file name."""
    client.force_login(season.office)
    pdf = client.get("/office/reports/monthly/2026-11.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert 'filename="bulletin-2026-11.pdf"' in pdf["Content-Disposition"]
    xlsx = client.get("/office/reports/monthly/2026-11.xlsx", {"department": "B02"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="bulletin-2026-11-B02.xlsx"' in xlsx["Content-Disposition"]
    assert xlsx.content.startswith(b"PK")


def test_a_head_downloads_their_own_departments_bulletin(client, season):
    """A head asking for another department's bulletin gets their own (the page's rule)."""
    client.force_login(season.head_a)
    response = client.get("/office/reports/monthly/2026-10.xlsx", {"department": "B02"})
    assert response.status_code == 200
    assert 'filename="bulletin-2026-10-A01.xlsx"' in response["Content-Disposition"]


@pytest.mark.parametrize("month", ["2026-13", "2026-12", "1899-01"])
def test_a_month_that_is_not_one_or_has_not_begun_is_not_found(client, season, month):
    """Month 13, next month and a month before 1900 have no bulletin: 404."""
    client.force_login(season.office)
    assert client.get(f"/office/reports/monthly/{month}.pdf").status_code == 404


def test_the_page_for_a_month_and_that_months_bulletin_show_the_same_figures(client, season):
    """Filtered on last month, the page's figures, department rows and ranking are the
    bulletin's of that month (issue 4: "the same numbers as the dashboard for that month")."""
    from xiaoneng.dashboard import reports

    client.force_login(season.office)
    response = client.get("/office/", {"period": "last-month"})
    bulletin = reports.bulletin_data(month=d(2026, 10, 1))
    assert response.context["figures"] == bulletin.figures
    page_lines = {line.key: line.text for line in response.context["kpi_lines"]}
    assert page_lines == {line.key: line.text for line in bulletin.lines}
    assert [(r["code"], r["cells"]) for r in response.context["department_rows"]] == [
        (r["code"], [reports.kpi_text(r.get(k), u) for k, u in reports.DEPARTMENT_COLUMNS])
        for r in bulletin.departments
    ]
    assert [(r["rank"], r["code"], r["score"]) for r in response.context["ranking"]] == [
        (r["rank"], r["code"], r["score"]) for r in bulletin.ranking
    ]


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_more_departments_and_items_cost_no_more_queries(client, season):
    """The dashboard and the late-items page read in a fixed number of queries, whatever the
    number of departments, clocks and officers (no query per row)."""
    client.force_login(season.office)
    home, late = _queries(client, "/office/"), _queries(client, "/office/departments/A01/late/")
    for n in range(3):
        extra = DepartmentFactory(code=f"C0{n}", name=f"测试丙局{n}")
        officer = _user(Role.REVIEWER, extra)
        _clock(extra, started_on=d(2026, 10, 8), limit=2, label=f"丙-{n}", officer=officer)
        _clock(extra, started_on=d(2026, 11, 2), limit=5, label=f"丙按时-{n}", stop=d(2026, 11, 4))
        _clock(season.a, started_on=d(2026, 10, 9), limit=2, label=f"甲-{n}", officer=officer)
    assert _queries(client, "/office/") == home
    assert _queries(client, "/office/departments/A01/late/") == late
