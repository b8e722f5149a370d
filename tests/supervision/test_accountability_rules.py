"""The pure rules of accountability cases (问责, S24): the steps as data, handling kinds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.core.errors import Conflict, InvalidInput
from xiaoneng.supervision import rules
from xiaoneng.supervision.rules import CaseAction, CaseCapacity, CaseState


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English, so assertions on wording do not depend on compiled catalogues."""
    with translation.override("en"):
        yield


def test_the_case_goes_from_opened_to_decided_in_order():
    """opened → investigating → findings_recorded → handling_proposed → decided."""
    state = CaseState.OPENED
    for action, expected in [
        (CaseAction.INVESTIGATE, CaseState.INVESTIGATING),
        (CaseAction.INVESTIGATE, CaseState.INVESTIGATING),
        (CaseAction.RECORD_FINDINGS, CaseState.FINDINGS_RECORDED),
        (CaseAction.PROPOSE, CaseState.HANDLING_PROPOSED),
        (CaseAction.DECIDE, CaseState.DECIDED),
    ]:
        state = rules.case_next_state(state, action)
        assert state == expected


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("opened", "record_findings"),
        ("opened", "decide"),
        ("investigating", "propose"),
        ("findings_recorded", "decide"),
        ("findings_recorded", "investigate"),
        ("decided", "propose"),
        ("decided", "statement"),
        ("opened", "statement"),
    ],
)
def test_skipping_a_step_or_acting_after_the_decision_is_a_conflict(state, action):
    """The table refuses skips and anything after the final decision, naming the state."""
    with pytest.raises(Conflict) as exc:
        rules.case_edge(state, action)
    assert exc.value.details == {"state": state, "action": action}
    assert str(rules.CASE_STATE_LABELS[CaseState(state)]) in exc.value.message


def test_the_office_writes_and_the_unit_head_only_makes_statements():
    """Every edge is the office's except the statement, which is the unit head's."""
    for edge in rules.CASE_EDGES:
        expected = (
            {CaseCapacity.UNIT_HEAD}
            if edge.action == CaseAction.STATEMENT
            else {CaseCapacity.OFFICE}
        )
        assert edge.capacities == expected
        assert edge.rule


def test_a_statement_leaves_the_state_as_it_is_and_comes_before_the_decision():
    """申辩 is heard during investigation, findings and proposal; it moves nothing."""
    for state in CaseState:
        allowed = CaseAction.STATEMENT in rules.case_allowed_actions(state)
        assert allowed == (state not in (CaseState.OPENED, CaseState.DECIDED))
        if allowed:
            assert rules.case_next_state(state, "statement") == state
    assert rules.case_actions_for("investigating", ["unit_head"]) == [CaseAction.STATEMENT]


def test_decided_is_final():
    """Nothing may be added after the decision."""
    assert rules.case_allowed_actions("decided") == []


@given(st.lists(st.sampled_from(list(CaseAction)), max_size=15))
def test_any_sequence_from_opened_never_leaves_decided(actions):
    """Following the table, a decided case stays decided and only valid states occur."""
    state = CaseState.OPENED
    for action in actions:
        if action in rules.case_allowed_actions(state):
            state = rules.case_next_state(state, action)
        else:
            with pytest.raises(Conflict):
                rules.case_next_state(state, action)
    if state == CaseState.DECIDED:
        assert rules.case_allowed_actions(state) == []


def test_handling_kinds_are_the_known_ones():
    """约谈, 通报批评, 诫勉谈话, 责令检查, 移交纪检监察, 免予问责; anything else is refused."""
    assert rules.parse_handling("interview") == rules.Handling.INTERVIEW
    assert rules.parse_handling(" referral ") == rules.Handling.REFERRAL
    with pytest.raises(InvalidInput, match="interview, circulated_criticism") as exc:
        rules.parse_handling("fine", field="decision")
    assert exc.value.details["field"] == "decision"


def test_texts_are_trimmed_required_and_bounded():
    """A required text may not be blank; no text is longer than the maximum."""
    assert rules.check_text("  记录  ", what="x", field="text", required=True) == "记录"
    assert rules.check_text("", what="x", field="text", required=False) == ""
    with pytest.raises(InvalidInput, match="required"):
        rules.check_text("   ", what="A record", field="text", required=True)
    with pytest.raises(InvalidInput, match="at most"):
        rules.check_text(
            "字" * (rules.TEXT_MAX_CHARS + 1), what="A record", field="t", required=False
        )
