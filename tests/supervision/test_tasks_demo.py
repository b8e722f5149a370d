"""The demo city's supervision tasks and cases (issue 4, parts 2–3): S18's −72.9 % comes back
from the rows, every state is shown, and the cases reach a decision."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models.functions import ExtractYear

from tests.clocks.conftest import travel_to
from tests.clocks.factories import DepartmentFactory, UserFactory
from xiaoneng.accounts.models import Role
from xiaoneng.core.errors import Conflict
from xiaoneng.demo.supervision import demo_build_supervision
from xiaoneng.supervision.models import AccountabilityCase, SupervisionTask
from xiaoneng.supervision.rules import year_on_year_change

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 11, 20)


@pytest.fixture
def demo_people(db):  # type: ignore[no-untyped-def]
    """The departments and accounts the demo city has when its supervision is built."""
    city = DepartmentFactory(code="130100", name="石家庄市人民政府（演示）", level="city")
    approval = DepartmentFactory(
        code="130100001", name="石家庄市行政审批局", short_name="市行政审批局", parent=city
    )
    DepartmentFactory(code="130100007", name="石家庄市市场监督管理局", parent=city)
    for n in range(2, 7):
        DepartmentFactory(code=f"13010000{n}", name=f"演示部门{n}", parent=city)
    UserFactory(username="office", role=Role.OFFICE, department=None)
    UserFactory(username="head", role=Role.HEAD, department=approval)
    UserFactory(username="reviewer", role=Role.REVIEWER, department=approval)


def test_the_demo_gives_s18s_minus_72_9_percent_from_its_rows(demo_people):
    """214 items in 2018, 58 in 2019, each created and closed in its year: −72.9 %; the
    progress callback counts up to its total."""
    seen: list[tuple[str, int, int]] = []
    with travel_to(TODAY):
        built = demo_build_supervision(progress=lambda *step: seen.append(step))
    assert seen[-1][1] == seen[-1][2] and {s for s, _d, _t in seen} == {"supervision"}
    assert [done for _s, done, _t in seen] == sorted(done for _s, done, _t in seen)
    assert built["historical"] == {2018: 214, 2019: 58}
    rows = {r["year"]: r for r in built["yearly"]}
    assert (rows[2018]["total"], rows[2019]["total"]) == (214, 58)
    assert round(rows[2019]["change_vs_previous"] * 100, 1) == -72.9
    assert rows[2019]["change_vs_previous"] == year_on_year_change(214, 58)
    old = SupervisionTask.objects.annotate(year=ExtractYear("created_on")).filter(
        year__in=[2018, 2019]
    )
    assert old.count() == 272
    assert not old.exclude(state="closed").exists()
    for task in old.select_related("clock"):
        assert task.closed_on.year == task.created_on.year
        assert task.clock.state == "stopped"
    late = old.filter(clock__warning="red").count()
    assert 0 < late < 272 // 2  # some items ran late, most did not


def test_the_demo_shows_tasks_in_every_state_and_three_cases(demo_people):
    """Created, in progress, submitted, sent back, escalated and closed tasks; three cases;
    a second build is refused."""
    with travel_to(TODAY):
        built = demo_build_supervision()
        with pytest.raises(Conflict, match="already holds supervision tasks"):
            demo_build_supervision()
    current = {key: SupervisionTask.objects.get(number=n) for key, n in built["current"].items()}
    assert current["created"].state == "created"
    assert current["in_progress"].state == "in_progress"
    assert current["submitted"].state == "submitted"
    assert current["sent_back"].state == "sent_back"
    assert current["closed"].state == "closed" and current["closed_media"].state == "closed"
    escalated = current["escalated"]
    assert escalated.state == "in_progress" and escalated.escalation_level == 1
    assert escalated.urge_count == 1 and escalated.red_escalated
    assert built["escalated"] == [escalated.number]
    cases = {key: AccountabilityCase.objects.get(number=n) for key, n in built["cases"].items()}
    decided = cases["decided"]
    assert decided.state == "decided" and decided.task == current["closed_media"]
    assert decided.task.source == "media_exposure"
    assert cases["investigating"].task == escalated
    assert cases["investigating"].entries.filter(kind="statement").exists()
    from_clock = cases["findings_recorded"]
    assert from_clock.clock is not None and from_clock.task is None
    assert from_clock.clock.warning == "red"
