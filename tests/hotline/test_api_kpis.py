"""GET /api/v1/hotline/kpis/: who may see which department's figures, filters, bad input."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.hotline.conftest import Hotline
from tests.hotline.test_kpi_selectors import DAY, make_four

pytestmark = pytest.mark.django_db

URL = "/api/v1/hotline/kpis/"


@pytest.fixture
def four(hotline: Hotline) -> Hotline:
    """The hotline with the four hand-worked tickets of the KPI selector tests."""
    make_four(hotline)
    return hotline


@pytest.fixture
def client() -> Client:
    """A client that asks for English."""
    return Client(headers={"accept-language": "en"})


@pytest.mark.parametrize("who", ["office", "operator"])
def test_office_and_operators_see_all_or_one_department(client, four, who):
    """The office and operators see the city's figures, or one department's on request."""
    client.force_login(getattr(four, who))
    body = client.get(URL).json()
    assert body["tickets_total"] == 4
    assert body["on_time_rate"] == 0.5
    assert body["hot_topics"][0] == {"code": "noise", "name": "噪音扰民", "count": 2}
    one = client.get(URL, {"department": four.other.code}).json()
    assert one["tickets_total"] == 1
    assert one["on_time_rate"] == 0.0


def test_a_head_sees_their_own_department_only(client, four):
    """A department head gets their department's figures; another department's is 403."""
    client.force_login(four.head)
    body = client.get(URL).json()
    assert body["tickets_total"] == 1
    assert body["satisfaction_rate"] == 1.0
    own = client.get(URL, {"department": four.department.code})
    assert own.json() == body
    answer = client.get(URL, {"department": four.other.code})
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("who", ["window", "citizen"])
def test_others_may_not_see_the_kpis(client, four, who):
    """Window officers of a department and citizens get 403."""
    client.force_login(getattr(four, who))
    assert client.get(URL).status_code == 403


def test_the_period_filters_by_registration_day(client, four):
    """``from`` and ``to`` bound the registration day, both included."""
    client.force_login(four.office)
    day = DAY.isoformat()
    assert client.get(URL, {"from": day, "to": day}).json()["tickets_total"] == 4
    empty = client.get(URL, {"from": "2025-09-30"}).json()
    assert empty["tickets_total"] == 0
    assert empty["satisfaction_rate"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [({"from": "29/09/2025"}, "date_from"), ({"department": "none-such"}, "department")],
)
def test_bad_filters_are_400_naming_the_field(client, four, params, field):
    """A malformed day or an unknown department code answers 400 naming it."""
    client.force_login(four.office)
    answer = client.get(URL, params)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert field in str(error["details"]) + error["message"]
