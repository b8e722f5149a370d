"""Journeys through the public catalog and the office dashboard, in a real browser."""

import re

import pytest
from django.core.management import call_command

from tests.catalog.factories import CertificateDataFactory, DepartmentFactory, MatterFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_citizen_finds_a_matter_and_sees_which_certificates_are_gone(page):
    """From the home page a citizen searches, opens a matter, and reads limits and
    cancelled certificates, then switches the page to English."""
    dept = DepartmentFactory(name="石家庄市行政审批局")
    MatterFactory(
        name="公共场所卫生许可",
        department=dept,
        legal_limit_days=20,
        promised_limit_days=5,
        materials=[
            {
                "name": "卫生许可申请书",
                "necessity": "required",
                "form": "both",
                "source": "applicant",
                "trust_level": "C",
            },
            CertificateDataFactory(name="健康证明"),
        ],
    )
    MatterFactory(name="食品经营许可", department=dept)

    page.goto("/")
    page.get_by_role("searchbox").fill("卫生")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url(re.compile(r"/matters/\?q="))
    assert "1" in page.locator("#result-count").inner_text()
    page.get_by_role("link", name="公共场所卫生许可").click()

    page.wait_for_url(re.compile(r"/matters/13010000TEST"))
    assert page.get_by_role("heading", level=1).inner_text() == "公共场所卫生许可"
    time_section = page.locator("section[aria-labelledby=time]")
    assert "5" in time_section.inner_text() and "20" in time_section.inner_text()
    gone = page.locator("#no-longer-needed")
    assert "健康证明" in gone.inner_text()
    assert "卫生许可申请书" not in gone.inner_text()
    assert "卫生许可申请书" in page.locator("section[aria-labelledby=bring]").inner_text()

    with page.expect_navigation():
        page.select_option("#lang-select", "en")
    assert "Certificates no longer needed" in page.locator("#no-longer-needed").inner_text()


def test_office_reads_the_demo_city_figures_and_drills_into_a_department(page):
    """The efficiency office signs in, sees the figures computed from the demo city, and
    follows a department to its matters."""
    call_command("demo", "--no-activity")
    page.goto("/office/")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("#id_username", "office")
    page.fill("#id_password", "demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/office/$"))
    assert page.locator("[data-kpi=matters_total] .value").inner_text() == "504"
    assert page.locator("[data-kpi=online_rate] .value").inner_text() == "90.48 %"
    assert page.locator("[data-kpi=one_visit_matters] .value").inner_text() == "543"
    assert page.locator("[data-kpi=certificates_cancelled] .value").inner_text() == "108"
    assert "2004" in page.locator("#calendar-coverage").inner_text()

    # The department's matter count links to its matters in the catalog (its name links to
    # its late items, see tests/browser/test_dashboard.py).
    page.locator("#department-table tr[data-department='130100004'] a[href*='/matters/']").click()
    page.wait_for_url(re.compile(r"department=130100004"))
    assert "16" in page.locator("#result-count").inner_text()


def test_a_citizen_cannot_open_the_dashboard(page):
    """A signed-in citizen gets a refusal, not the office's figures."""
    call_command("demo", "--no-activity")
    page.goto("/accounts/login/")
    page.fill("#id_username", "citizen")
    page.fill("#id_password", "demo")
    page.get_by_role("button", name="登录").click()
    response = page.goto("/office/")
    assert response is not None and response.status == 403
