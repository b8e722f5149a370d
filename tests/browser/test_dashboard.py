"""The office dashboard in a real browser against the demo city (issue 4, parts 4 and 5).

The efficiency office signs in, reads KPI cards computed from the demo city (the report's
90.48 % online rate, 543 one-visit items, 108 certificates), sees ECharts draw its charts from
the platform's own /static/ (nothing is fetched from elsewhere), clicks a department's column
and lands on its late items, and downloads the monthly bulletin as PDF and Excel.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from xiaoneng.accounts.models import Department
from xiaoneng.clocks.services import clock_start

pytestmark = pytest.mark.django_db(transaction=True)

APPROVAL_BUREAU = "130100001"  # 石家庄市行政审批局, the demo's walkthrough department
LATE_LABEL = "浏览器测试：超时的办件"


@pytest.fixture
def demo_city(seeded_calendar, settings, tmp_path):  # type: ignore[no-untyped-def]
    """The demo city (catalog and accounts, without its season) and one overdue clock of the
    approval bureau, so the figures checked do not depend on the season."""
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo", "--no-activity")
    bureau = Department.objects.get(code=APPROVAL_BUREAU)
    clock_start(
        actor=None,
        item=bureau,
        department=bureau,
        kind="browser.test",
        limit_days=3,
        started_on=timezone.localdate() - dt.timedelta(days=40),
        label=LATE_LABEL,
    )


def _sign_in_as_office(page: Any) -> None:
    page.goto("/office/")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("#id_username", "office")
    page.fill("#id_password", "demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/office/$"))


def _column_point(page: Any, code: str) -> tuple[float, float]:
    """Where on the screen the clocks chart draws the column of department ``code``."""
    page.locator("#chart-clocks").scroll_into_view_if_needed()
    x, y = page.evaluate(
        """(code) => {
            const chart = window.xiaonengCharts["chart-clocks"];
            const rows = JSON.parse(
                document.getElementById("dashboard-chart-data").textContent).departments;
            const index = rows.findIndex((row) => row.code === code);
            const top = rows[index].yellow + rows[index].red;
            const [x, y] = chart.convertToPixel({ seriesIndex: 1 }, [index, top / 2]);
            const box = chart.getDom().getBoundingClientRect();
            return [box.left + x, box.top + y];
        }""",
        code,
    )
    return float(x), float(y)


def test_office_reads_the_dashboard_clicks_a_department_and_downloads_the_bulletin(
    page, live_server, demo_city
):
    """KPI cards from the data, charts drawn by the local ECharts, a click on a column (or the
    table's link) opens the department's late items, and both bulletin files download."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    _sign_in_as_office(page)

    assert page.locator("[data-kpi=online_rate] .value").inner_text() == "90.48 %"
    assert page.locator("[data-kpi=one_visit_matters] .value").inner_text() == "543"
    assert page.locator("[data-kpi=certificates_cancelled] .value").inner_text() == "108"
    assert page.locator("[data-kpi=online_rate]").get_attribute("title")  # the formula

    # ECharts, loaded from the platform's /static/, drew every chart on a canvas.
    page.wait_for_selector("#charts[data-rendered=true]")
    assert page.evaluate("typeof window.echarts") == "object"
    assert page.evaluate("window.echarts.version") == "5.6.0"
    scripts = page.evaluate("Array.from(document.scripts).filter(s => s.src).map(s => s.src)")
    assert f"{live_server.url}/static/vendor/echarts/echarts.min.js" in scripts
    for chart in ("#chart-clocks", "#chart-on-time", "#chart-days"):
        assert page.locator(f"{chart} canvas").count() >= 1, chart

    x, y = _column_point(page, APPROVAL_BUREAU)
    page.mouse.click(x, y)
    page.wait_for_url(re.compile(rf"/office/departments/{APPROVAL_BUREAU}/late/$"))
    red = page.locator("#red-items")
    assert LATE_LABEL in red.inner_text()

    # Without the chart, the department table's link opens the same page.
    page.go_back()
    page.wait_for_url(re.compile(r"/office/"))
    page.locator(f"[data-late-link='{APPROVAL_BUREAU}']").click()
    page.wait_for_url(re.compile(rf"/office/departments/{APPROVAL_BUREAU}/late/$"))
    assert LATE_LABEL in page.locator("#red-items").inner_text()

    page.go_back()
    page.wait_for_url(re.compile(r"/office/"))
    with page.expect_download() as download_info:
        page.locator("[data-bulletin$='.pdf']").first.click()
    download = download_info.value
    assert re.fullmatch(r"bulletin-\d{4}-\d{2}\.pdf", download.suggested_filename)
    assert Path(download.path()).read_bytes()[:5] == b"%PDF-"
    for link in page.locator("[data-bulletin]").all():
        response = page.request.get(link.get_attribute("href"))
        assert response.status == 200
        expected = "pdf" if link.get_attribute("data-bulletin").endswith(".pdf") else "sheet"
        assert expected in response.headers["content-type"]

    # Every request the pages made went to the platform itself: no CDN.
    outside = [url for url in requested if not url.startswith(live_server.url)]
    assert outside == []


def test_a_head_sees_their_department_and_not_anothers(page, live_server, demo_city):
    """The demo head (of the approval bureau) gets their department's page; another
    department's late items are refused."""
    page.goto("/accounts/login/")
    page.fill("#id_username", "head")
    page.fill("#id_password", "demo")
    page.get_by_role("button", name="登录").click()
    page.goto("/office/")
    assert "石家庄市行政审批局" in page.get_by_role("heading", level=1).inner_text()
    assert page.locator("#filter-department").count() == 0
    response = page.goto("/office/departments/130100004/late/")
    assert response is not None and response.status == 403
