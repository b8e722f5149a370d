"""The hotline KPIs counted from tickets made through the services (hand-worked figures)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.hotline.conftest import Hotline, travel_to
from tests.hotline.factories import register
from xiaoneng.hotline.kpi_selectors import hotline_kpis
from xiaoneng.hotline.models import TicketCategory
from xiaoneng.hotline.services import tickets as services

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 9, 29)  # a Monday
LATE = DAY + dt.timedelta(days=40)  # far beyond any default limit


@pytest.fixture
def four(hotline: Hotline) -> Hotline:
    """The hotline with the four tickets of :func:`make_four`."""
    make_four(hotline)
    return hotline


def make_four(hotline: Hotline) -> None:
    """Four tickets of DAY: direct answer, not accepted, on-time satisfied, returned+late+reopened.

    t1 consultation answered directly (鼓楼区, noise); t2 web, not accepted; t3 to 住建局,
    replied the same day, visited 5 (鼓楼区, noise); t4 to 住建局, sent back, dispatched to
    城管局, replied 40 days later (late), visited 1 → reopened (road).
    """
    op = hotline.operator
    noise = TicketCategory.objects.create(code="noise", name="噪音扰民")
    road = TicketCategory.objects.create(code="road", name="道路破损")
    with travel_to(DAY):
        t1 = register(operator=op, ticket_type="consultation", district="鼓楼区", category=noise)
        services.ticket_answer_directly(actor=op, ticket=t1, answer="可网上办理")
        t2 = register(operator=op, channel="web")
        services.ticket_close_not_accepted(actor=op, ticket=t2, reason="litigation")
        t3 = register(operator=op, district="鼓楼区", category=noise)
        services.ticket_dispatch(actor=op, ticket=t3, department=hotline.department)
        services.ticket_accept(actor=hotline.window, ticket=t3)
        services.ticket_reply(actor=hotline.window, ticket=t3, reply="已整改")
        services.ticket_return_visit(actor=op, ticket=t3, level=5)
        t4 = register(operator=op, category=road)
        services.ticket_dispatch(actor=op, ticket=t4, department=hotline.department)
        services.ticket_return(actor=hotline.head, ticket=t4, reason="不属本部门职责")
        services.ticket_dispatch(actor=op, ticket=t4, department=hotline.other)
        services.ticket_accept(actor=hotline.other_head, ticket=t4)
    with travel_to(LATE):
        services.ticket_reply(actor=hotline.other_head, ticket=t4, reply="已修复")
        services.ticket_return_visit(actor=op, ticket=t4, level=1)


def test_kpis_of_the_whole_city(four):
    """All four tickets: every rate and breakdown as worked out by hand."""
    kpis = hotline_kpis()
    assert kpis["tickets_total"] == 4
    assert kpis["first_contact_resolution_rate"] == 0.3333  # t1 of t1, t3, t4
    assert kpis["on_time_rate"] == 0.5  # t3 on time, t4 late; t4's send-back round not counted
    assert kpis["satisfaction_rate"] == 0.5  # t3 (5) of t3, t4 (1)
    assert kpis["reopen_rate"] == 0.5  # t4 of t3, t4
    assert kpis["return_rate"] == 0.5  # t4 of t3, t4
    assert kpis["by_channel"] == {"phone": 3, "web": 1}
    assert kpis["by_type"] == {"complaint": 3, "consultation": 1}
    assert kpis["by_department"] == {"": 2, four.department.code: 1, four.other.code: 1}
    assert kpis["by_district"] == {"": 2, "鼓楼区": 2}
    assert kpis["hot_topics"] == [
        {"code": "noise", "name": "噪音扰民", "count": 2},
        {"code": "road", "name": "道路破损", "count": 1},
    ]


def test_kpis_of_one_department(four):
    """住建局 handles t3 only: one ticket, on time, satisfied, none answered directly."""
    kpis = hotline_kpis(department_id=four.department.pk)
    assert kpis["tickets_total"] == 1
    assert kpis["first_contact_resolution_rate"] == 0.0
    assert kpis["on_time_rate"] == 1.0
    assert kpis["satisfaction_rate"] == 1.0
    assert kpis["reopen_rate"] == 0.0
    assert kpis["return_rate"] == 0.0
    other = hotline_kpis(department_id=four.other.pk)
    assert other["tickets_total"] == 1
    assert other["on_time_rate"] == 0.0  # its one reply was late
    assert other["return_rate"] == 1.0  # t4 was sent back once (by 住建局) on its way


def test_kpis_of_an_empty_period_have_no_rates(four):
    """A period with no tickets counts zero and answers None for every rate."""
    kpis = hotline_kpis(date_from=DAY + dt.timedelta(days=1))
    assert kpis["tickets_total"] == 0
    for key in ("first_contact_resolution_rate", "on_time_rate", "satisfaction_rate"):
        assert kpis[key] is None
    assert kpis["by_channel"] == {}
    assert kpis["hot_topics"] == []
    assert hotline_kpis(date_from=DAY, date_to=DAY)["tickets_total"] == 4
    assert hotline_kpis(date_to=DAY - dt.timedelta(days=1))["tickets_total"] == 0


def test_kpis_take_a_fixed_number_of_queries(four, django_assert_max_num_queries):
    """The figures are aggregate queries: their number does not grow with the tickets."""
    with django_assert_max_num_queries(8):
        hotline_kpis()
