"""The accountability pages under /office/accountability/cases/: the office opens a case from a
task and writes its entries; the unit reads it (its head may make a statement); others 404."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from tests.clocks.conftest import travel_to
from tests.supervision.factories import case_in_state, make_city, task_in_state
from xiaoneng.supervision.models import AccountabilityCase

pytestmark = pytest.mark.django_db

LIST = "/office/accountability/cases/"
d = dt.date
MONDAY = d(2025, 3, 3)


@pytest.fixture
def client() -> Client:
    """A client that asks for English."""
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def city(db):  # type: ignore[no-untyped-def]
    """A parent government, a lead unit, a co-unit, another unit, the office, a citizen."""
    return make_city()


def _forms(html: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z_-]+)"', html))


def test_the_office_opens_a_case_from_the_task_page_and_decides_it(client, city):
    """From the task's link to the decision, every step posted from the case page."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
        client.force_login(city.office)
        task_page = client.get(f"/office/supervision/tasks/{task.pk}/").content.decode()
        assert f"/office/accountability/cases/new/?task={task.pk}" in task_page
        form = client.get(f"{LIST}new/", {"task": task.pk}).content.decode()
        assert task.number in form
        response = client.post(
            f"{LIST}new/",
            {"task": task.pk, "responsible_unit": city.unit.pk, "reason": "整改不力"},
        )
        case = AccountabilityCase.objects.get()
        assert response.url == f"{LIST}{case.pk}/"
        url = f"{LIST}{case.pk}/"
        client.post(f"{url}investigate/", {"text": "询问记录"})
        client.post(
            f"{url}record_findings/",
            {"text": "未按期督促", "person_name": "王某", "person_position": "科长"},
        )
        client.post(f"{url}propose/", {"handling": "interview", "text": "建议约谈"})
        assert _forms(client.get(url).content.decode()) == {"propose", "decide"}
        client.post(f"{url}decide/", {"handling": "interview", "text": "约谈"})
        html = client.get(url).content.decode()
    case.refresh_from_db()
    assert case.state == "decided" and case.decision == "interview"
    assert 'id="case-state" data-state="decided"' in html and 'data-decision="interview"' in html
    assert _forms(html) == set()
    for kind in ("open", "investigate", "record_findings", "propose", "decide"):
        assert f'data-kind="{kind}"' in html


def test_the_unit_reads_the_case_and_its_head_may_only_make_a_statement(client, city):
    """A reviewer sees no form; the head sees the statement form and posts it."""
    with travel_to(MONDAY):
        case = case_in_state(city, "findings_recorded")
        url = f"{LIST}{case.pk}/"
        client.force_login(city.reviewer)
        html = client.get(url).content.decode()
        assert _forms(html) == set()
        assert 'id="findings"' in html and "监管科未按期督促施工单位复工" in html
        client.force_login(city.head)
        assert _forms(client.get(url).content.decode()) == {"statement"}
        client.post(f"{url}statement/", {"text": "申辩理由"})
        refused = client.post(f"{url}decide/", {"handling": "interview", "text": "x"}, follow=True)
    assert [m.level_tag for m in refused.context["messages"]][-1] == "error"
    assert case.entries.last().kind == "statement"
    assert AccountabilityCase.objects.get(pk=case.pk).state == "findings_recorded"


def test_others_get_404_and_citizens_403_on_the_list(client, city):
    """Another unit's head: 404 on the case; a citizen: 403 on the list and the form."""
    with travel_to(MONDAY):
        case = case_in_state(city, "investigating")
    client.force_login(city.other_head)
    assert client.get(f"{LIST}{case.pk}/").status_code == 404
    assert client.post(f"{LIST}{case.pk}/statement/", {"text": "x"}).status_code == 404
    assert f'id="case-{case.pk}"' not in client.get(LIST).content.decode()
    client.force_login(city.citizen)
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}new/").status_code == 403
    client.force_login(city.head)
    assert client.get(f"{LIST}new/").status_code == 403


def test_opening_without_a_reason_is_refused_with_a_message(client, city):
    """The form comes back with the error; no case is opened."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
        client.force_login(city.office)
        response = client.post(f"{LIST}new/", {"task": task.pk, "reason": ""})
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not AccountabilityCase.objects.exists()


def test_the_list_shows_the_unit_its_cases_and_filters_by_state(client, city):
    """The head lists the unit's cases; ?state=decided narrows it."""
    with travel_to(MONDAY):
        open_case = case_in_state(city, "investigating")
        decided = case_in_state(city, "decided")
    client.force_login(city.head)
    html = client.get(LIST).content.decode()
    assert f'id="case-{open_case.pk}"' in html and f'id="case-{decided.pk}"' in html
    html = client.get(LIST, {"state": "decided"}).content.decode()
    assert f'id="case-{open_case.pk}"' not in html and f'id="case-{decided.pk}"' in html
