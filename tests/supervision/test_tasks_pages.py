"""The supervision task pages under /office/supervision/tasks/: lists and filters, the create
form, the task page with a form per allowed step, 403/404 for those who may not see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.clocks.conftest import travel_to
from tests.clocks.factories import start_test_clock
from tests.supervision.factories import make_city, new_task, task_in_state
from xiaoneng.supervision.models import SupervisionTask, WarningRecord
from xiaoneng.supervision.services.tasks import supervision_tasks_escalate_overdue
from xiaoneng.supervision.services.warnings import warnings_scan

pytestmark = pytest.mark.django_db

LIST = "/office/supervision/tasks/"
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
    import re

    return set(re.findall(r'data-action="([a-z_-]+)"', html))


def test_the_office_creates_a_task_on_the_form_and_lands_on_its_page(client, city):
    """The form posts title, source, limit, units; the task page follows."""
    client.force_login(city.office)
    with travel_to(MONDAY):
        page = client.get(f"{LIST}new/")
        assert page.status_code == 200 and 'id="task-create"' in page.content.decode()
        response = client.post(
            f"{LIST}new/",
            {
                "title": "窗口排长队",
                "description": "媒体报道",
                "source": "media_exposure",
                "category": "supervision",
                "limit_days": "10",
                "lead_unit": str(city.unit.pk),
                "co_units": [str(city.co_unit.pk)],
            },
        )
    task = SupervisionTask.objects.get()
    assert response.status_code == 302 and response.url == f"{LIST}{task.pk}/"
    assert task.lead_unit == city.unit and list(task.co_units.all()) == [city.co_unit]


def test_a_refused_create_shows_the_message_and_keeps_the_input(client, city):
    """An unknown source comes back as an error message; what was typed stays."""
    client.force_login(city.office)
    with travel_to(MONDAY):
        response = client.post(
            f"{LIST}new/", {"title": "窗口排长队", "source": "", "limit_days": "10"}
        )
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert "窗口排长队" in response.content.decode()
    assert not SupervisionTask.objects.exists()


@pytest.mark.parametrize("who", ["head", "reviewer", "citizen"])
def test_only_the_office_has_the_create_form(client, city, who):
    """Units and citizens get 403 on the create form."""
    client.force_login(getattr(city, who))
    assert client.get(f"{LIST}new/").status_code == 403


def test_the_task_page_shows_each_party_its_forms(client, city):
    """Office: urge, escalate; head: progress, result; reviewer: progress; with clock and ids."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
        url = f"{LIST}{task.pk}/"
        for user, expected in [
            (city.office, {"urge", "escalate"}),
            (city.head, {"progress", "submit"}),
            (city.reviewer, {"progress"}),
            (city.co_reviewer, {"progress"}),
        ]:
            client.force_login(user)
            html = client.get(url).content.decode()
            assert _forms(html) == expected, user
            assert 'id="task-state" data-state="in_progress"' in html
            assert 'data-warning="none"' in html and "2025-03-17" in html


def test_other_units_and_citizens_get_404_on_the_task_and_its_steps(client, city):
    """Another unit's head and a citizen: 404 on the page and on a step; nothing changes."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
    for user in (city.other_head, city.citizen):
        client.force_login(user)
        assert client.get(f"{LIST}{task.pk}/").status_code == 404
        assert client.post(f"{LIST}{task.pk}/urge/", {"text": "x"}).status_code == 404
    assert SupervisionTask.objects.get(pk=task.pk).urge_count == 0


def test_the_list_is_for_the_office_and_staff(client, city):
    """A citizen gets 403; a unit's staff see only their tasks."""
    with travel_to(MONDAY):
        mine = task_in_state(city, "assigned")
        theirs = task_in_state(city, "assigned", lead_unit=city.other, co_units=[])
    client.force_login(city.citizen)
    assert client.get(LIST).status_code == 403
    client.force_login(city.reviewer)
    html = client.get(LIST).content.decode()
    assert f'id="task-{mine.pk}"' in html and f'id="task-{theirs.pk}"' not in html
    assert 'id="yearly-counts"' not in html and 'data-action="escalate-overdue"' not in html


def test_the_list_filters_overdue_tasks_and_shows_the_red_ones(client, city):
    """?overdue=yes shows the red task with its badge; ?state filters; bad values are reset."""
    with travel_to(MONDAY):
        late = task_in_state(city, "in_progress")
        draft = new_task(city)
    client.force_login(city.office)
    with travel_to(d(2025, 3, 18)):
        html = client.get(LIST, {"overdue": "yes"}).content.decode()
        assert f'id="task-{late.pk}"' in html and f'id="task-{draft.pk}"' not in html
        assert 'data-warning="red"' in html
        html = client.get(LIST, {"state": "created"}).content.decode()
        assert f'id="task-{draft.pk}"' in html and f'id="task-{late.pk}"' not in html
        response = client.get(LIST, {"state": "done"})
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_steps_posted_from_the_page_move_the_task_and_refusals_say_why(client, city):
    """Hand-over, progress, result and close-out from the forms; an empty result is refused."""
    with travel_to(MONDAY):
        task = new_task(city)
        url = f"{LIST}{task.pk}/"
        client.force_login(city.office)
        client.post(
            f"{url}assign/",
            {"lead_unit": city.unit.pk, "co_units_sent": "1", "limit_days": "8"},
        )
        client.force_login(city.reviewer)
        client.post(f"{url}progress/", {"text": "已核查"})
        client.force_login(city.head)
        refused = client.post(f"{url}submit/", {"text": ""}, follow=True)
        assert [m.level_tag for m in refused.context["messages"]][-1] == "error"
        client.post(f"{url}submit/", {"text": "已整改"})
        client.force_login(city.office)
        client.post(f"{url}close/", {"text": "同意"})
        assert client.post(f"{url}unknown/", {}).status_code == 404
    task.refresh_from_db()
    assert task.state == "closed" and task.limit_days == 8
    assert list(task.co_units.all()) == []  # the form sent no co-unit: none


def test_the_office_runs_the_escalation_from_the_list_and_sees_the_yearly_counts(client, city):
    """The button escalates the red task; the counts table shows the year."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
    client.force_login(city.office)
    with travel_to(d(2025, 3, 18)):
        response = client.post(f"{LIST}escalate-overdue/", follow=True)
    assert task.number in next(str(m) for m in response.context["messages"])
    html = response.content.decode()
    assert 'data-year="2025"' in html
    assert SupervisionTask.objects.get(pk=task.pk).escalation_level == 1
    client.force_login(city.head)
    assert client.post(f"{LIST}escalate-overdue/").status_code == 403


def test_the_history_names_each_step_and_who_took_it(client, city):
    """The page lists every step with its day and actor; the automatic escalation says system."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
    with travel_to(d(2025, 3, 18)):
        supervision_tasks_escalate_overdue()
        client.force_login(city.head)
        html = client.get(f"{LIST}{task.pk}/").content.decode()
    for action in ("create", "assign", "progress", "escalate"):
        assert f'<li data-event="{action}">' in html
    assert "system" in html
    assert 'id="escalation" data-level="1"' in html


def test_the_nav_links_staff_and_office_to_the_tasks(client, city):
    """Staff and the office see the nav link; citizens do not."""
    client.force_login(city.window)
    assert 'id="nav-supervision"' in client.get(LIST).content.decode()
    client.force_login(city.citizen)
    assert 'id="nav-supervision"' not in client.get("/").content.decode()


def test_a_task_from_a_red_warning_starts_filled_in_from_the_ledger(client, city):
    """?warning=<red record> preselects the source, the record and the item's department."""
    with travel_to(MONDAY):
        start_test_clock(started_on=MONDAY, limit_days=1, department=city.other, label="SQ-1")
    with travel_to(d(2025, 3, 5)):
        warnings_scan()
    red = WarningRecord.objects.get(level="red")
    client.force_login(city.office)
    html = client.get(f"{LIST}new/", {"warning": red.pk}).content.decode()
    assert f'<option value="{city.other.pk}" selected>' in html
    assert '<option value="red_warning" selected>' in html
    assert f'name="source_warning" value="{red.pk}"' in html
    assert "SQ-1" in html
    with travel_to(d(2025, 3, 5)):
        client.post(
            f"{LIST}new/",
            {
                "title": "红色预警：SQ-1",
                "source": "red_warning",
                "source_warning": str(red.pk),
                "limit_days": "5",
                "lead_unit": str(city.other.pk),
            },
        )
    assert SupervisionTask.objects.get().source_warning == red
