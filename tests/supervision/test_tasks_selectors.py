"""Reads of supervision tasks: the one access function for every role, the list filters, and
the yearly counts of S18 computed from the rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests.clocks.conftest import travel_to
from tests.supervision.factories import make_city, new_task, task_in_state
from xiaoneng.core.errors import InvalidInput, NotFound
from xiaoneng.supervision.rules import TaskAction, TaskCapacity
from xiaoneng.supervision.selectors import tasks as selectors
from xiaoneng.supervision.services import tasks as services

pytestmark = pytest.mark.django_db

d = dt.date
MONDAY = d(2025, 3, 3)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English, so assertions on wording do not depend on compiled catalogues."""
    with translation.override("en"):
        yield


@pytest.fixture
def city(db):  # type: ignore[no-untyped-def]
    """A parent government, a lead unit, a co-unit, another unit, the office, a citizen."""
    return make_city()


def _record(city, year: int, category: str = "supervision") -> None:  # type: ignore[no-untyped-def]
    services.supervision_task_record_closed(
        actor=city.office,
        title="台账事项",
        source="leader_instruction",
        category=category,
        limit_days=5,
        lead_unit=city.unit,
        created_on=d(year, 6, 3),
        closed_on=d(year, 6, 5),
        result="已办结",
    )


# -- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees", "capacities"),
    [
        ("office", True, {TaskCapacity.OFFICE}),
        ("head", True, {TaskCapacity.UNIT_STAFF, TaskCapacity.LEAD_HEAD}),
        ("reviewer", True, {TaskCapacity.UNIT_STAFF}),
        ("window", True, {TaskCapacity.UNIT_STAFF}),
        ("co_head", True, {TaskCapacity.UNIT_STAFF}),
        ("co_reviewer", True, {TaskCapacity.UNIT_STAFF}),
        ("other_head", False, set()),
        ("parent_head", False, set()),
        ("citizen", False, set()),
    ],
)
def test_the_access_function_for_every_role(city, who, sees, capacities):
    """The office and the units' staff see a handed-over task; others get NotFound."""
    with travel_to(MONDAY):
        task = task_in_state(city, "assigned")
    user = getattr(city, who)
    assert selectors.task_capacities(user, task) == capacities
    if sees:
        assert selectors.task_for_user(user, task.pk) == task
        assert task in selectors.tasks_for_user(user)
    else:
        with pytest.raises(NotFound, match="does not exist"):
            selectors.task_for_user(user, task.pk)
        assert task not in selectors.tasks_for_user(user)


def test_a_task_not_handed_over_is_the_offices_draft(city):
    """Before hand-over the units do not see the task at all."""
    with travel_to(MONDAY):
        task = new_task(city)
    for user in (city.head, city.reviewer, city.co_head):
        with pytest.raises(NotFound):
            selectors.task_for_user(user, task.pk)
        assert not selectors.tasks_for_user(user).exists()
    assert selectors.task_for_user(city.office, task.pk) == task


def test_an_anonymous_visitor_and_a_bad_id_get_not_found(city):
    """Anonymous users and ids that are not numbers answer like a missing task."""
    with travel_to(MONDAY):
        task = task_in_state(city, "assigned")
    with pytest.raises(NotFound):
        selectors.task_for_user(AnonymousUser(), task.pk)
    with pytest.raises(NotFound):
        selectors.task_for_user(city.office, "abc")
    with pytest.raises(NotFound):
        selectors.task_for_user(city.office, 999999)


def test_the_detail_says_what_each_user_may_do_now(city):
    """The office may urge and escalate; the head may report progress and the result."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
        office = selectors.task_detail(city.office, task.pk)
        head = selectors.task_detail(city.head, task.pk)
        reviewer = selectors.task_detail(city.reviewer, task.pk)
    assert office.allowed_actions == [TaskAction.URGE, TaskAction.ESCALATE]
    assert head.allowed_actions == [TaskAction.PROGRESS, TaskAction.SUBMIT]
    assert reviewer.allowed_actions == [TaskAction.PROGRESS]
    assert office.clock is not None and office.clock["due_on"] == "2025-03-17"
    assert [e.action for e in office.events] == ["create", "assign", "progress"]


# -- lists -----------------------------------------------------------------------------------


def test_the_list_filters_by_state_source_category_unit_and_overdue(city):
    """Each filter narrows the list; overdue means red today, open tasks only."""
    with travel_to(MONDAY):
        late = task_in_state(city, "in_progress")  # due 03-17
    with travel_to(d(2025, 3, 14)):
        fresh = task_in_state(
            city, "in_progress", source="leader_instruction", category="assessment", co_units=[]
        )
        other = task_in_state(city, "assigned", lead_unit=city.other, co_units=[])
    with travel_to(d(2025, 3, 18)):
        assert list(selectors.tasks_for_user(city.office, overdue=True)) == [late]
        assert set(selectors.tasks_for_user(city.office, overdue=False)) == {fresh, other}
    office = city.office
    assert set(selectors.tasks_for_user(office, state="in_progress")) == {late, fresh}
    assert set(selectors.tasks_for_user(office, source="leader_instruction")) == {fresh}
    assert set(selectors.tasks_for_user(office, category="assessment")) == {fresh}
    assert set(selectors.tasks_for_user(office, unit=city.other.pk)) == {other}
    # A co-unit's tasks are "its" tasks too.
    assert set(selectors.tasks_for_user(office, unit=city.co_unit.pk)) == {late}


def test_overdue_is_judged_by_date_and_closed_tasks_are_not_overdue(city):
    """Due today is on time; the day after is overdue; a closed task is not overdue."""
    with travel_to(MONDAY):
        open_task = task_in_state(city, "in_progress")
        closed = task_in_state(city, "in_progress")
    with travel_to(d(2025, 3, 17)):
        assert not selectors.tasks_for_user(city.office, overdue=True).exists()
    with travel_to(d(2025, 3, 18)):
        services.supervision_task_submit(actor=city.head, task=closed, result="迟")
        services.supervision_task_close(actor=city.office, task=closed)
        assert list(selectors.tasks_for_user(city.office, overdue=True)) == [open_task]


def test_unknown_filter_values_are_refused_by_name(city):
    """An unknown state, source or category, or a unit that is not a number: InvalidInput."""
    for kwargs, expected in [
        ({"state": "done"}, "'state' is one of created, assigned"),
        ({"source": "tv"}, "'source' is one of"),
        ({"category": "x"}, "'category' is one of supervision, assessment"),
        ({"unit": "abc"}, "'unit' is a department id"),
    ]:
        with pytest.raises(InvalidInput, match=expected):
            selectors.tasks_for_user(city.office, **kwargs)


def test_the_list_reads_a_page_in_a_fixed_number_of_queries(city):
    """Units, officer, clock and co-units come with the list: no query per task."""
    with travel_to(MONDAY):
        for _ in range(3):
            task_in_state(city, "in_progress")

    def run() -> int:
        with CaptureQueriesContext(connection) as ctx:
            for task in selectors.tasks_for_user(city.office):
                _ = (task.lead_unit.name, task.officer, task.clock.due_on)
                _ = [u.name for u in task.co_units.all()]
        return len(ctx.captured_queries)

    few = run()
    with travel_to(MONDAY):
        for _ in range(4):
            task_in_state(city, "in_progress")
    assert run() == few


# -- yearly counts (S18) ---------------------------------------------------------------------


def test_yearly_counts_come_from_the_rows_with_the_change_on_the_year_before(city):
    """Per year and category, by the day created; the change only against a year with items."""
    with travel_to(MONDAY):
        for _ in range(4):
            _record(city, 2018)
        _record(city, 2018, "assessment")
        _record(city, 2019)
        _record(city, 2019, "assessment")
        _record(city, 2021)
    rows = selectors.supervision_yearly_counts()
    assert rows == [
        {
            "year": 2018,
            "supervision": 4,
            "assessment": 1,
            "total": 5,
            "change_vs_previous": None,
        },
        {
            "year": 2019,
            "supervision": 1,
            "assessment": 1,
            "total": 2,
            "change_vs_previous": pytest.approx(-0.6),
        },
        {
            "year": 2021,
            "supervision": 1,
            "assessment": 0,
            "total": 1,
            "change_vs_previous": None,
        },
    ]
    only = selectors.supervision_yearly_counts(category="assessment")
    assert [(r["year"], r["total"], r["change_vs_previous"]) for r in only] == [
        (2018, 1, None),
        (2019, 1, 0.0),
        (2021, 0, None),
    ]
    with pytest.raises(InvalidInput):
        selectors.supervision_yearly_counts(category="audit")


def test_no_tasks_no_years():
    """An empty database has no yearly counts."""
    assert selectors.supervision_yearly_counts() == []
