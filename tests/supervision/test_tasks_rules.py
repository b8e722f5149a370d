"""The pure rules of supervision tasks: the transition table, escalation once per red period,
numbers, and the year-on-year change of S18 (issue 4, part 2)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.core.errors import Conflict, InvalidInput
from xiaoneng.supervision import rules
from xiaoneng.supervision.rules import TaskAction, TaskCapacity, TaskState


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English, so assertions on wording do not depend on compiled catalogues."""
    with translation.override("en"):
        yield


def test_the_happy_path_is_in_the_table():
    """create → assign → progress → submit → close, each edge by the party the issue names."""
    path = [
        (TaskState.CREATED, TaskAction.ASSIGN, TaskState.ASSIGNED, TaskCapacity.OFFICE),
        (TaskState.ASSIGNED, TaskAction.PROGRESS, TaskState.IN_PROGRESS, TaskCapacity.UNIT_STAFF),
        (TaskState.IN_PROGRESS, TaskAction.SUBMIT, TaskState.SUBMITTED, TaskCapacity.LEAD_HEAD),
        (TaskState.SUBMITTED, TaskAction.CLOSE, TaskState.CLOSED, TaskCapacity.OFFICE),
    ]
    for source, action, target, who in path:
        edge = rules.task_edge(source, action)
        assert edge.target == target
        assert who in edge.capacities


def test_a_send_back_returns_the_task_to_the_unit():
    """submitted → sent_back by the office; the unit then reports progress or the result again."""
    assert rules.task_next_state("submitted", "send_back") == TaskState.SENT_BACK
    assert rules.task_next_state("sent_back", "progress") == TaskState.IN_PROGRESS
    assert rules.task_next_state("sent_back", "submit") == TaskState.SUBMITTED


def test_urge_and_escalate_only_while_the_unit_holds_the_task():
    """Urge and escalate stay in place, and only in assigned, in progress and sent back."""
    for state in TaskState:
        allowed = rules.task_allowed_actions(state)
        holds = state in rules.UNIT_HOLDS
        assert (TaskAction.URGE in allowed) is holds
        assert (TaskAction.ESCALATE in allowed) is holds
        if holds:
            assert rules.task_next_state(state, "urge") == state
            assert rules.task_next_state(state, "escalate") == state


def test_only_the_office_and_the_system_escalate():
    """The daily job (system) and the office may escalate; units may not."""
    edge = rules.task_edge("in_progress", "escalate")
    assert edge.capacities == {TaskCapacity.OFFICE, TaskCapacity.SYSTEM}
    assert rules.task_actions_for("in_progress", [TaskCapacity.UNIT_STAFF]) == [TaskAction.PROGRESS]
    assert rules.task_actions_for("in_progress", ["lead_head", "unit_staff"]) == [
        TaskAction.PROGRESS,
        TaskAction.SUBMIT,
    ]


def test_a_closed_task_allows_nothing():
    """Close-out (销号) is final."""
    assert rules.task_allowed_actions("closed") == []


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("created", "progress"),
        ("created", "urge"),
        ("assigned", "submit"),
        ("in_progress", "close"),
        ("submitted", "urge"),
        ("submitted", "progress"),
        ("closed", "send_back"),
        ("assigned", "assign"),
    ],
)
def test_anything_else_is_a_conflict_naming_the_state_and_what_is_allowed(state, action):
    """A step not in the table is a 409 whose message says the state and the allowed steps."""
    with pytest.raises(Conflict) as exc:
        rules.task_edge(state, action)
    assert exc.value.details == {"state": state, "action": action}
    assert str(rules.TASK_STATE_LABELS[TaskState(state)]) in exc.value.message
    assert "Allowed now:" in exc.value.message


def test_every_edge_has_a_rule_and_text_steps_say_so():
    """Each edge cites where it comes from; progress, result and send-back need a text."""
    for edge in rules.TASK_EDGES:
        assert edge.rule
        assert edge.capacities
    assert rules.task_edge("assigned", "progress").text_required
    assert rules.task_edge("in_progress", "submit").text_required
    assert rules.task_edge("submitted", "send_back").text_required
    assert not rules.task_edge("submitted", "close").text_required


@given(
    st.sampled_from(list(TaskState)),
    st.lists(st.sampled_from(list(TaskAction)), max_size=12),
)
def test_any_sequence_of_steps_stays_inside_the_states(start, actions):
    """Following the table from any state, allowed steps lead to known states, and closed is
    never left."""
    state = start
    for action in actions:
        if action in rules.task_allowed_actions(state):
            after = rules.task_next_state(state, action)
            assert after in TaskState
            if state == TaskState.CLOSED:
                pytest.fail("a closed task moved")
            state = after
        else:
            with pytest.raises(Conflict):
                rules.task_next_state(state, action)


def test_sources_and_categories_are_parsed_or_refused():
    """Known values pass; anything else is refused with the list of known values."""
    assert rules.parse_task_source(" media_exposure ") == rules.TaskSource.MEDIA_EXPOSURE
    assert rules.parse_task_category("assessment") == rules.TaskCategory.ASSESSMENT
    with pytest.raises(InvalidInput, match="leader_instruction, media_exposure"):
        rules.parse_task_source("newspaper")
    with pytest.raises(InvalidInput, match="supervision, assessment"):
        rules.parse_task_category("inspection")


@pytest.mark.parametrize("value", [0, -1, 251, True, 2.5, "10"])
def test_a_limit_is_a_whole_number_of_working_days_from_1_to_250(value):
    """Zero, negatives, huge numbers and non-integers are refused."""
    with pytest.raises(InvalidInput, match="from 1 to 250"):
        rules.check_limit_days(value)


def test_numbers_carry_the_prefix_the_year_and_the_serial():
    """DB + year + four-digit serial; the serial grows past four digits rather than wrap."""
    assert rules.task_number("DB", 2026, 1) == "DB20260001"
    assert rules.task_number("WZ", 2019, 58) == "WZ20190058"
    assert rules.task_number("DB", 2026, 12345) == "DB202612345"
    with pytest.raises(ValueError):
        rules.task_number("DB", 2026, 0)


# -- escalation ------------------------------------------------------------------------------


def test_escalation_is_due_once_per_red_period():
    """Red and held by the unit escalates; once marked, not again; not while awaiting review."""
    assert rules.escalation_due(state="in_progress", clock_red=True, red_escalated=False)
    assert not rules.escalation_due(state="in_progress", clock_red=True, red_escalated=True)
    assert not rules.escalation_due(state="in_progress", clock_red=False, red_escalated=False)
    assert not rules.escalation_due(state="submitted", clock_red=True, red_escalated=False)
    assert not rules.escalation_due(state="closed", clock_red=True, red_escalated=False)


@given(st.booleans(), st.booleans(), st.sampled_from(list(TaskState)))
def test_a_red_period_ends_only_when_the_clock_is_no_longer_red(red, marked, state):
    """Clearing the mark and escalating never both apply; after either, the job is idle."""
    over = rules.red_period_over(clock_red=red, red_escalated=marked)
    due = rules.escalation_due(state=state, clock_red=red, red_escalated=marked)
    assert not (over and due)
    assert over == (marked and not red)
    if due:
        # After escalating, the mark is set: the next run does nothing.
        assert not rules.escalation_due(state=state, clock_red=red, red_escalated=True)


# -- year on year (S18) ----------------------------------------------------------------------


def test_s18_214_then_58_is_minus_72_9_percent():
    """S18: supervision and assessment items fell 72.9 % year on year."""
    change = rules.year_on_year_change(214, 58)
    assert change is not None
    assert round(change * 100, 1) == -72.9


def test_no_change_from_nothing():
    """A change from zero items is not a percentage: None."""
    assert rules.year_on_year_change(0, 5) is None
    assert rules.year_on_year_change(0, 0) is None


def test_negative_counts_are_refused():
    """Counts are never negative."""
    with pytest.raises(ValueError):
        rules.year_on_year_change(-1, 3)
    with pytest.raises(ValueError):
        rules.year_on_year_change(3, -1)


@given(st.integers(1, 10**6), st.integers(0, 10**6))
def test_the_change_brings_the_previous_count_back_to_the_current_one(previous, current):
    """previous × (1 + change) = current; the change is ≥ −1 and its sign follows the counts."""
    change = rules.year_on_year_change(previous, current)
    assert change is not None
    assert change >= -1
    assert previous * (1 + change) == pytest.approx(current)
    assert (change > 0) == (current > previous)
    assert (change == 0) == (current == previous)


@given(st.integers(1, 10**4), st.integers(0, 10**4), st.integers(2, 50))
def test_the_change_does_not_depend_on_the_unit_of_counting(previous, current, factor):
    """Scaling both years by the same factor leaves the change as it is."""
    assert rules.year_on_year_change(previous * factor, current * factor) == pytest.approx(
        rules.year_on_year_change(previous, current)
    )
