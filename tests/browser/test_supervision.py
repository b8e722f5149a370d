"""The supervision journey of issue 4 (parts 2–3) in a real browser.

The efficiency office creates a supervision task from a media exposure and hands it over to a
unit (recording both for a day a month ago, as from a paper instruction); the unit's reviewer
reports progress; the office urges; the task, now overdue (red), is escalated by the office's
run of the escalation job; the unit's head reports the result; the office closes it out. Then
the office opens an accountability case from the task and takes it through investigation,
findings and a proposal to a decision, while the unit reads it and its head makes a
statement, with no way to write anything else.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.clocks.factories import DepartmentFactory, UserFactory
from xiaoneng.accounts.models import Role
from xiaoneng.supervision.models import AccountabilityCase, SupervisionTask

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "journey-pass-2025"


@pytest.fixture
def people(seeded_calendar):  # type: ignore[no-untyped-def]
    """The office, a unit with its head and reviewer, a co-unit, under a city government."""
    city = DepartmentFactory(code="130100", name="测试市人民政府")
    unit = DepartmentFactory(code="130100008", name="市住房和城乡建设局", parent=city)
    co_unit = DepartmentFactory(code="130100003", name="市自然资源和规划局", parent=city)
    users = {
        "office": UserFactory(username="sv-office", role=Role.OFFICE, department=None),
        "head": UserFactory(username="sv-head", role=Role.HEAD, department=unit),
        "reviewer": UserFactory(username="sv-reviewer", role=Role.REVIEWER, department=unit),
        "city_head": UserFactory(username="sv-city", role=Role.HEAD, department=city),
    }
    for user in users.values():
        user.set_password(PASSWORD)
        user.save()
    return {"unit": unit, "co_unit": co_unit, **users}


def _sign_in(browser, live_server, username):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    return page


def _act(page, action: str, **fields: str) -> None:  # type: ignore[no-untyped-def]
    form = page.locator(f"form[data-action='{action}']")
    for name, value in fields.items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def _state(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("#task-state").get_attribute("data-state")


def test_a_supervision_task_from_creation_to_close_out_and_its_accountability_case(
    browser, live_server, people
):
    """Create → assign → progress → urge → escalate → submit → close; a case to decision."""
    month_ago = (timezone.localdate() - dt.timedelta(days=30)).isoformat()

    # The office creates the task (for a day a month ago) and hands it over.
    office = _sign_in(browser, live_server, "sv-office")
    office.locator("#nav-supervision").click()
    office.locator("#task-new").click()
    office.fill("#title", "媒体曝光：老旧小区改造停工三个月")
    office.fill("#description", "请查明停工原因，限期复工并报送结果。")
    office.select_option("#source", "media_exposure")
    office.fill("#source_reference", "燕赵都市报 民生调查")
    office.fill("#limit_days", "10")
    office.select_option("#lead_unit", str(people["unit"].pk))
    office.select_option("#co_units", [str(people["co_unit"].pk)])
    office.fill("#on", month_ago)
    office.locator("#task-create-submit").click()
    office.wait_for_url(re.compile(r"/office/supervision/tasks/\d+/$"))
    task_url = office.url
    assert _state(office) == "created"
    _act(office, "assign", on=month_ago)
    assert _state(office) == "assigned"
    assert office.locator("[data-clock=task] [data-warning]").get_attribute("data-warning") == "red"

    # The unit's reviewer finds the task from the list and reports progress.
    reviewer = _sign_in(browser, live_server, "sv-reviewer")
    reviewer.locator("#nav-supervision").click()
    reviewer.locator("#tasks a").first.click()
    assert reviewer.url == task_url
    assert reviewer.locator("form[data-action]").count() == 1
    _act(reviewer, "progress", text="已约谈施工单位，复工方案已报。")
    assert _state(reviewer) == "in_progress"

    # The office urges, then runs the escalation of overdue tasks.
    office.reload()
    _act(office, "urge", text="已超期，请立即报送办理结果。")
    assert office.locator("#urge-count").get_attribute("data-count") == "1"
    office.locator("#nav-supervision").click()
    _act(office, "escalate-overdue")
    office.goto(task_url)
    assert office.locator("#escalation").get_attribute("data-level") == "1"
    assert office.locator("#history li[data-event=escalate]").count() == 1
    # Running the job again does not escalate the same red period twice.
    office.locator("#nav-supervision").click()
    _act(office, "escalate-overdue")
    office.goto(task_url)
    assert office.locator("#escalation").get_attribute("data-level") == "1"

    # The unit's head reports the result; the office closes the task out.
    head = _sign_in(browser, live_server, "sv-head")
    head.goto(task_url)
    _act(head, "submit", text="小区已复工，工期计划和现场照片已上传。")
    assert _state(head) == "submitted"
    assert head.locator("form[data-action]").count() == 0
    office.goto(task_url)
    _act(office, "close", text="整改到位，同意销号。")
    assert _state(office) == "closed"
    assert office.locator("[data-clock=task] [data-warning]").get_attribute("data-warning") == "red"
    task = SupervisionTask.objects.get()
    assert task.state == "closed" and task.urge_count == 1 and task.escalation_level == 1
    assert [e.action for e in task.events.order_by("at", "id")] == [
        "create",
        "assign",
        "progress",
        "urge",
        "escalate",
        "submit",
        "close",
    ]

    # An accountability case from the task, through to the decision.
    office.locator("#open-case").click()
    office.fill("#reason", "媒体曝光问题超期整改，群众反映强烈，需查明责任。")
    office.locator("#case-create-submit").click()
    office.wait_for_url(re.compile(r"/office/accountability/cases/\d+/$"))
    case_url = office.url
    _act(office, "investigate", text="调取了施工日志，约谈了项目负责人。")
    _act(
        office,
        "record_findings",
        text="监管科未按期督促施工单位复工。",
        person_name="王某",
        person_position="监管科科长",
    )
    _act(office, "propose", handling="interview", text="建议对监管科科长约谈。")

    # The unit's head makes a statement; the reviewer reads, and can write nothing.
    head.goto(case_url)
    assert [
        head.locator("form[data-action]").nth(i).get_attribute("data-action")
        for i in range(head.locator("form[data-action]").count())
    ] == ["statement"]
    _act(head, "statement", text="停工系规划调整所致，我局已多次协调。")

    office.reload()
    _act(office, "decide", handling="circulated_criticism", text="给予通报批评。")
    assert office.locator("#case-state").get_attribute("data-state") == "decided"

    reviewer.goto(case_url)
    assert reviewer.locator("#case-state").get_attribute("data-state") == "decided"
    assert reviewer.locator("form[data-action]").count() == 0
    assert "监管科未按期督促施工单位复工" in reviewer.locator("#findings").inner_text()
    assert reviewer.locator("#decision").get_attribute("data-decision") == "circulated_criticism"
    kinds = reviewer.locator("#history li").evaluate_all("items => items.map(i => i.dataset.kind)")
    assert kinds == ["open", "investigate", "record_findings", "propose", "statement", "decide"]
    case = AccountabilityCase.objects.get()
    assert case.task == task and case.state == "decided" and case.responsible_unit == people["unit"]

    # Someone outside the unit does not find the case.
    outsider = _sign_in(browser, live_server, "sv-city")
    response = outsider.goto(case_url)
    assert response is not None and response.status == 404
