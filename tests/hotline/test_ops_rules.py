"""Pure rules of the ticket operations: merge groups, annotations, split parts, KPI counts."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hotline.conftest import travel_to
from tests.hotline.factories import register
from xiaoneng.core.errors import Conflict, InvalidInput
from xiaoneng.hotline import kpi_rules, rules
from xiaoneng.hotline.kpi_selectors import hotline_kpis
from xiaoneng.hotline.rules import TicketAction as A
from xiaoneng.hotline.rules import TicketStatus as S
from xiaoneng.hotline.services import tickets as services

DAY = dt.date(2025, 9, 29)  # a Monday

merges = st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=40)


@given(merges)
def test_merge_groups_stay_one_level_deep_and_acyclic(steps):
    """Whatever merges are tried, every parent is a root: no chains, no cycles, no self-loop."""
    parents: dict[int, int | None] = dict.fromkeys(range(8))
    for duplicate, into in steps:
        expected_refusal = (
            duplicate == into or parents[duplicate] is not None or parents[into] is not None
        )
        try:
            changes = rules.merge_parents(parents, duplicate=duplicate, into=into)
        except (Conflict, InvalidInput):
            assert expected_refusal
            continue
        assert not expected_refusal
        assert changes[duplicate] == into
        parents.update(changes)
        for child, parent in parents.items():
            if parent is not None:
                assert parent != child
                assert parents[parent] is None  # a parent is never itself a duplicate


@given(merges)
def test_a_merge_moves_exactly_the_duplicate_and_its_own_duplicates(steps):
    """The changed pointers are the duplicate and those that were under it, nothing else."""
    parents: dict[int, int | None] = dict.fromkeys(range(8))
    for duplicate, into in steps:
        try:
            changes = rules.merge_parents(parents, duplicate=duplicate, into=into)
        except (Conflict, InvalidInput):
            continue
        under = {c for c, p in parents.items() if p == duplicate}
        assert set(changes) == {duplicate} | under
        parents.update(changes)


@given(st.sampled_from(list(S)), st.sampled_from(list(A)))
def test_annotations_never_move_and_only_where_listed(status, action):
    """An annotation is allowed exactly in its listed statuses and is never a move."""
    if action in rules.ANNOTATIONS:
        assert all(key[1] != action for key in rules.TRANSITIONS)
        statuses, actor = rules.ANNOTATIONS[action]
        if status in statuses:
            assert rules.check_annotation(status, action) == actor
            return
    with pytest.raises(Conflict):
        rules.check_annotation(status, action)


def test_merge_and_split_only_from_registered_by_an_operator():
    """Merge and split close a registered ticket; from any other status they conflict."""
    for action in (A.MERGE, A.SPLIT):
        assert rules.next_status(S.REGISTERED, action) == S.CLOSED
        assert rules.actor_of(S.REGISTERED, action) == rules.Actor.OPERATOR
        for status in set(S) - {S.REGISTERED}:
            with pytest.raises(Conflict):
                rules.next_status(status, action)
    assert rules.check_annotation(S.ACCEPTED, A.ESCALATE) == rules.Actor.OFFICE


parts = st.lists(
    st.tuples(st.integers(1, 4), st.booleans(), st.sampled_from(["", "  ", "甲", " 乙 "])),
    max_size=12,
)


@given(parts)
def test_split_parts_are_accepted_exactly_when_every_rule_holds(given_parts):
    """2–10 parts, each described, active and to its own department; else InvalidInput."""
    ok = (
        rules.MIN_SPLIT_PARTS <= len(given_parts) <= rules.MAX_SPLIT_PARTS
        and all(text.strip() and active for _d, active, text in given_parts)
        and len({d for d, _a, _t in given_parts}) == len(given_parts)
    )
    if ok:
        assert rules.check_split_parts(given_parts) == [t.strip() for _d, _a, t in given_parts]
    else:
        with pytest.raises(InvalidInput):
            rules.check_split_parts(given_parts)


counts = st.integers(0, 50)


@given(counts, counts, counts, counts)
def test_first_contact_denominator_counts_each_matter_once(total, refused, merged, split):
    """Denominator = total − not accepted − merged − split, refused when that goes negative."""
    if refused + merged + split > total:
        with pytest.raises(ValueError, match="fit the total"):
            kpi_rules.first_contact_denominator(
                total=total, not_accepted=refused, merged=merged, split=split
            )
        return
    value = kpi_rules.first_contact_denominator(
        total=total, not_accepted=refused, merged=merged, split=split
    )
    assert value == total - refused - merged - split >= 0


@pytest.mark.django_db
def test_kpis_count_merged_and_split_once(hotline):
    """Parent answered directly + its duplicate + a split original and its 2 parts.

    tickets_total 5, merged 1, split 1; first-contact = 1 direct / (5 − 1 − 1) = 0.3333; no
    clock or visit comes from the duplicate or the original.
    """
    op = hotline.operator
    with travel_to(DAY):
        parent = register(operator=op, ticket_type="consultation")
        duplicate = register(operator=op, ticket_type="consultation")
        services.ticket_merge(actor=op, ticket=duplicate, into=parent)
        services.ticket_answer_directly(actor=op, ticket=parent, answer="可网上办理")
        original = register(operator=op)
        services.ticket_split(
            actor=op, ticket=original, parts=[(hotline.department, "甲"), (hotline.other, "乙")]
        )
        figures = hotline_kpis()
    assert (figures["tickets_total"], figures["merged"], figures["split"]) == (5, 1, 1)
    assert figures["first_contact_resolution_rate"] == round(1 / 3, 4)
    assert figures["satisfaction_rate"] is None and figures["on_time_rate"] is None
    assert figures["by_department"] == {"": 3, hotline.department.code: 1, hotline.other.code: 1}
