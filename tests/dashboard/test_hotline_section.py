"""The 12345 hotline on the office dashboard (issue 5 §5): figures from tickets made through
the hotline services, shown with their formulas, in the page and in ``/api/v1/kpis/``; and
the links from warnings and late items to a ticket's page."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from tests.hotline.conftest import Hotline, travel_to
from tests.hotline.conftest import hotline as hotline
from tests.hotline.factories import register
from xiaoneng.accounts.models import User
from xiaoneng.clocks.selectors import clock_of_item
from xiaoneng.dashboard import hotline as section
from xiaoneng.dashboard import views
from xiaoneng.dashboard.rules import percent
from xiaoneng.hotline.kpi_selectors import hotline_kpis
from xiaoneng.hotline.models import Ticket, TicketCategory
from xiaoneng.hotline.services import tickets as services
from xiaoneng.supervision.selectors.warnings import item_url

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 2)  # a Monday
LATE = DAY + dt.timedelta(days=40)  # far beyond any default limit
AFTER = LATE + dt.timedelta(days=1)
PERIOD = {"from": DAY.isoformat(), "to": AFTER.isoformat()}
RATES = (
    "first_contact_resolution_rate",
    "on_time_rate",
    "satisfaction_rate",
    "reopen_rate",
    "return_rate",
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def client() -> Client:
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def five(hotline: Hotline) -> dict[str, Ticket]:
    """Five tickets of DAY, each down one path of the loop.

    t1 phone consultation answered directly (noise); t2 web, not accepted; t3 app to 住建局,
    replied the same day, visited 4 (noise); t4 phone to 住建局, sent back, to 城管局,
    replied 40 days late, visited 2 → reopened (road); t5 Open311 to 住建局, replied on
    time, visited 5.
    """
    op = hotline.operator
    noise = TicketCategory.objects.create(code="noise", name="噪音扰民")
    road = TicketCategory.objects.create(code="road", name="道路破损")
    with travel_to(DAY):
        t1 = register(operator=op, ticket_type="consultation", category=noise)
        services.ticket_answer_directly(actor=op, ticket=t1, answer="可网上办理")
        t2 = register(operator=op, channel="web")
        services.ticket_close_not_accepted(actor=op, ticket=t2, reason="litigation")
        t3 = register(operator=op, channel="app", category=noise)
        t4 = register(operator=op, ticket_type="help", category=road)
        t5 = register(operator=op, channel="open311", ticket_type="help")
        for ticket in (t3, t4, t5):
            services.ticket_dispatch(actor=op, ticket=ticket, department=hotline.department)
        services.ticket_return(actor=hotline.head, ticket=t4, reason="不属本部门职责")
        services.ticket_dispatch(actor=op, ticket=t4, department=hotline.other)
        services.ticket_accept(actor=hotline.other_head, ticket=t4)
        for ticket in (t3, t5):
            services.ticket_accept(actor=hotline.window, ticket=ticket)
            services.ticket_reply(actor=hotline.window, ticket=ticket, reply="已处理")
        services.ticket_return_visit(actor=op, ticket=t3, level=4)
        services.ticket_return_visit(actor=op, ticket=t5, level=5)
    with travel_to(LATE):
        services.ticket_reply(actor=hotline.other_head, ticket=t4, reply="已修复")
        services.ticket_return_visit(actor=op, ticket=t4, level=2)
    return {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5}


def _cards(body: str) -> dict[str, str]:
    """The value on each hotline card, by key."""
    return dict(
        re.findall(r'data-hotline-kpi="([a-z_]+)"[^>]*><div class="value">([^<]*)</div>', body)
    )


def _table(body: str, table_id: str) -> dict[str, tuple[str, str]]:
    """``{key: (count, share)}`` of one breakdown table."""
    start = body.index(f'id="{table_id}"')
    chunk = body[start : body.index("</table>", start)]
    rows = re.findall(
        r'<tr data-key="([^"]*)"><th scope="row">[^<]*</th>'
        r'<td class="num">(\d+)</td><td class="num">([^<]*)</td>',
        chunk,
    )
    return {key: (count, share) for key, count, share in rows}


def _page(client: Client, user: User, **params: str) -> str:
    with travel_to(AFTER):  # signed in on the day the page is read: sessions expire
        client.force_login(user)
        answer = client.get("/office/", {**PERIOD, **params})
    assert answer.status_code == 200
    return answer.content.decode()


def test_the_office_sees_the_city_hotline_figures(client, hotline, five):
    """The cards show the rates worked out by hand from the five tickets, which are also
    exactly what hotline_kpis computes."""
    body = _page(client, hotline.office)
    cards = _cards(body)
    assert set(cards) == set(section.HOTLINE_KPI_DEFINITIONS)
    assert cards["tickets_total"] == "5"
    # Direct answers t1 of the accepted t1, t3, t4, t5.
    assert cards["first_contact_resolution_rate"] == percent(1 / 4)
    # Rounds ended by a reply: t3, t5 on time and t4 (its second round) late.
    assert cards["on_time_rate"] == percent(2 / 3)
    # Visited t3 (4), t4 (2), t5 (5): two satisfied; t4 reopened.
    assert cards["satisfaction_rate"] == percent(2 / 3)
    assert cards["reopen_rate"] == percent(1 / 3)
    # Dispatched t3, t4, t5; t4 sent back once.
    assert cards["return_rate"] == percent(1 / 3)
    figures = hotline_kpis(date_from=DAY, date_to=AFTER)
    for key in RATES:
        assert cards[key] == percent(figures[key]), key
    assert _table(body, "hotline-by-channel") == {
        "phone": ("2", percent(2 / 5)),
        "app": ("1", percent(1 / 5)),
        "open311": ("1", percent(1 / 5)),
        "web": ("1", percent(1 / 5)),
    }
    assert _table(body, "hotline-hot-topics") == {
        "noise": ("2", percent(2 / 5)),
        "road": ("1", percent(1 / 5)),
    }
    assert _table(body, "hotline-by-type")["complaint"] == ("2", percent(2 / 5))


def test_each_hotline_figure_shows_its_formula(client, hotline, five):
    """Every card's title is its numerator ÷ denominator and period, and the formula table
    lists each one, as the dashboard does for its own KPIs."""
    body = _page(client, hotline.office)
    for key, definition in section.HOTLINE_KPI_DEFINITIONS.items():
        assert f'data-hotline-kpi="{key}" title="{definition.numerator!s}' in body.replace(
            "&#x27;", "'"
        ), key
        assert f'id="hotline-formula-{key}"' in body
    assert "tickets registered minus those not accepted" in body
    assert 'id="dashboard-hotline-data"' in body  # the charts' figures
    assert 'id="chart-hotline-channels"' in body


def test_the_department_filter_narrows_to_the_tickets_it_handles(client, hotline, five):
    """住建局 handles t3 and t5 now (t4 went to 城管局): two tickets, both on time and
    satisfied, none answered directly or sent back while there."""
    body = _page(client, hotline.office, department=hotline.department.code)
    cards = _cards(body)
    assert cards["tickets_total"] == "2"
    assert cards["first_contact_resolution_rate"] == percent(0.0)
    assert cards["on_time_rate"] == percent(1.0)
    assert cards["satisfaction_rate"] == percent(1.0)
    assert cards["return_rate"] == percent(0.0)


def test_a_head_sees_their_own_department(client, hotline, five):
    """城管局's head sees t4 only: late, dissatisfied and reopened, sent back on its way."""
    cards = _cards(_page(client, hotline.other_head))
    assert cards["tickets_total"] == "1"
    assert cards["on_time_rate"] == percent(0.0)
    assert cards["satisfaction_rate"] == percent(0.0)
    assert cards["reopen_rate"] == percent(1.0)
    assert cards["return_rate"] == percent(1.0)


def test_a_period_without_tickets_says_so(client, hotline, five):
    """No ticket registered: 0 tickets, every rate "—" (nothing to count is not 0 %)."""
    body = _page(client, hotline.office, **{"from": "2026-10-01", "to": "2026-10-31"})
    cards = _cards(body)
    assert cards["tickets_total"] == "0"
    assert all(cards[key] == "—" for key in RATES)
    assert 'id="hotline-empty"' in body


def test_the_kpi_api_adds_the_hotline_on_request(client, hotline, five):
    """``include=hotline`` adds hotline_kpis' figures; without it the answer is unchanged."""
    client.force_login(hotline.office)
    params = {**PERIOD, "include": "hotline"}
    body = client.get("/api/v1/kpis/", params).json()
    assert body["hotline"] == hotline_kpis(date_from=DAY, date_to=AFTER)
    assert body["hotline"]["tickets_total"] == 5
    assert body["hotline"]["by_channel"] == {"app": 1, "open311": 1, "phone": 2, "web": 1}
    assert "hotline" not in client.get("/api/v1/kpis/", PERIOD).json()
    bad = client.get("/api/v1/kpis/", {"include": "weather"})
    assert bad.status_code == 400
    assert bad.json()["error"]["details"] == {"parameter": "include", "value": "weather"}


def test_a_head_gets_their_departments_hotline_figures_in_the_api(client, hotline, five):
    """The API's department rule holds for the hotline block too."""
    client.force_login(hotline.head)
    body = client.get("/api/v1/kpis/", {**PERIOD, "include": "hotline"}).json()
    assert body["hotline"]["tickets_total"] == 2
    assert body["hotline"]["by_department"] == {hotline.department.code: 2}


def test_a_late_ticket_links_to_its_page(hotline, five):
    """Warnings and the dashboard's late lists link a hotline clock to the ticket's page."""
    ticket = five["t4"]
    clock = clock_of_item(item=ticket, kind=services.CLOCK_KIND)
    assert clock is not None
    try:
        expected = reverse("hotline:ticket", kwargs={"pk": ticket.pk})
    except NoReverseMatch:  # the ticket page is not wired: no link rather than an error
        expected = None
    content_type = ContentType.objects.get_for_model(Ticket)
    assert item_url(content_type, str(ticket.pk)) == expected
    assert views.item_url(clock) == expected
    assert item_url(content_type, "not-a-number") is None
