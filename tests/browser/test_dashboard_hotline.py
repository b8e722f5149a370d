"""The office dashboard's 12345 hotline section in a real browser (issue 5 §5): the cards show
the figures of tickets made through the services, and ECharts draws the section's charts."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.hotline.conftest import Hotline
from tests.hotline.conftest import hotline as hotline
from tests.hotline.factories import register
from xiaoneng.accounts.models import Role, User
from xiaoneng.dashboard.rules import percent
from xiaoneng.hotline.models import TicketCategory
from xiaoneng.hotline.services import tickets as services

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page: Any, username: str) -> None:
    page.goto("/office/")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-123456")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/office/$"))


def test_the_office_reads_the_hotline_section(page, hotline: Hotline):
    """Three tickets today: one answered directly, two dispatched (one sent back first); the
    cards show 1 of 3 answered directly and 1 of 2 sent back, and both charts are drawn."""
    op = hotline.operator
    noise = TicketCategory.objects.create(code="noise", name="噪音扰民")
    direct = register(operator=op, ticket_type="consultation", category=noise)
    services.ticket_answer_directly(actor=op, ticket=direct, answer="可网上办理")
    kept = register(operator=op, channel="web", category=noise)
    returned = register(operator=op, channel="app")
    for ticket in (kept, returned):
        services.ticket_dispatch(actor=op, ticket=ticket, department=hotline.department)
    services.ticket_return(actor=hotline.head, ticket=returned, reason="不属本部门职责")
    User.objects.create_user(username="kn-office", password="pw-123456", role=Role.OFFICE)

    _sign_in(page, "kn-office")
    page.wait_for_selector("#hotline[data-rendered=true]")
    card = "#hotline [data-hotline-kpi={}] .value"
    assert page.locator(card.format("tickets_total")).inner_text() == "3"
    assert page.locator(card.format("first_contact_resolution_rate")).inner_text() == percent(1 / 3)
    assert page.locator(card.format("return_rate")).inner_text() == percent(1 / 2)
    formula = page.locator("[data-hotline-kpi=return_rate]").get_attribute("title")
    assert formula and "÷" in formula
    for chart in ("#chart-hotline-channels", "#chart-hotline-topics"):
        assert page.locator(f"{chart} canvas").count() >= 1, chart
    assert page.evaluate("Object.keys(window.xiaonengCharts)").count("chart-hotline-topics") == 1
