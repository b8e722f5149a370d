"""The staff page records the return visit and completes the rectification of a bad review."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.ratings.conftest import travel_to
from tests.ratings.factories import rate
from xiaoneng.ratings.models import Rectification

pytestmark = pytest.mark.django_db

d = dt.date


@pytest.fixture
def client() -> Client:
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def bad(city):  # type: ignore[no-untyped-def]
    with travel_to(d(2025, 9, 29)):
        return rate(department=city.department, level=1, text="窗口态度差").rectification


def test_head_visits_back_then_completes_on_the_page(client, city, bad):
    """Return visit, then measures: the rectification is completed on time."""
    client.force_login(city.head)
    with travel_to(d(2025, 9, 30)):
        page = client.get("/staff/rectifications/")
        assert 'data-form="return-visit"' in page.content.decode()
        response = client.post(
            f"/staff/rectifications/{bad.pk}/return-visit/",
            {"outcome": "已电话回访，申请人说明情况", "satisfied": "no"},
        )
        assert response.status_code == 302
        response = client.post(
            f"/staff/rectifications/{bad.pk}/complete/", {"measures": "窗口人员培训并通报"}
        )
    bad.refresh_from_db()
    assert bad.state == "completed"
    assert bad.rater_satisfied is False
    assert bad.clock.warning == "none"


def test_completing_before_the_visit_is_refused_with_a_message(client, city, bad):
    """The page says why instead of failing: a return visit comes first."""
    client.force_login(city.head)
    with travel_to(d(2025, 9, 30)):
        response = client.post(
            f"/staff/rectifications/{bad.pk}/complete/", {"measures": "x"}, follow=True
        )
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert Rectification.objects.get(pk=bad.pk).state == "open"


def test_another_departments_rectification_is_not_found(client, city, bad):
    """A head of another department gets 404, as for one that does not exist."""
    client.force_login(city.other_head)
    with travel_to(d(2025, 9, 30)):
        response = client.post(
            f"/staff/rectifications/{bad.pk}/return-visit/", {"outcome": "x", "satisfied": ""}
        )
    assert response.status_code == 404
