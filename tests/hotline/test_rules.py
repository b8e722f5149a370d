"""Pure hotline rules: the transition table, reopen limit, satisfaction, limits, redirects."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.core.errors import Conflict, InvalidInput
from xiaoneng.hotline import rules
from xiaoneng.hotline.rules import TicketAction as A
from xiaoneng.hotline.rules import TicketStatus as S

statuses = st.sampled_from(list(S))
actions = st.sampled_from(list(A))
counts = st.integers(0, 5)


@given(statuses, actions, counts, counts)
def test_every_pair_is_either_in_the_table_or_refused(status, action, count, limit):
    """A status/action pair outside the table raises Conflict; inside it gives its target."""
    if (status, action) not in rules.TRANSITIONS:
        with pytest.raises(Conflict):
            rules.next_status(status, action, reopen_count=count, max_reopens=limit)
        return
    try:
        after = rules.next_status(status, action, reopen_count=count, max_reopens=limit)
    except Conflict:
        assert action in {A.VISIT_REOPEN, A.VISIT_CLOSE_DISSATISFIED}
    else:
        assert after == rules.TRANSITIONS[(status, action)][0]


@given(actions, counts, counts)
def test_nothing_leaves_closed(action, count, limit):
    """Closed is final: the only way back is a reopen from replied, never from closed."""
    with pytest.raises(Conflict):
        rules.next_status(S.CLOSED, action, reopen_count=count, max_reopens=limit)


@given(counts, counts)
def test_exactly_one_dissatisfied_outcome_is_allowed(count, limit):
    """A dissatisfied visit reopens while reopens are left and closes once they are spent."""
    outcomes = []
    for action in (A.VISIT_REOPEN, A.VISIT_CLOSE_DISSATISFIED):
        with contextlib.suppress(Conflict):
            after = rules.next_status(S.REPLIED, action, reopen_count=count, max_reopens=limit)
            outcomes.append(after)
    assert outcomes == ([S.ACCEPTED] if count < limit else [S.CLOSED])


def test_return_goes_back_to_the_dispatcher_and_reply_needs_acceptance():
    """A send-back returns the ticket to registered; a dispatched ticket cannot be replied."""
    assert rules.next_status(S.DISPATCHED, A.RETURN) == S.REGISTERED
    assert rules.actor_of(S.DISPATCHED, A.RETURN) == rules.Actor.DEPARTMENT
    with pytest.raises(Conflict):
        rules.next_status(S.DISPATCHED, A.REPLY)


@pytest.mark.parametrize(("level", "bad"), [(1, True), ("2", True), (3, False), (5, False)])
def test_levels_one_and_two_are_dissatisfied(level, bad):
    """Satisfaction is 1–5; 1 and 2 are dissatisfied."""
    assert rules.is_dissatisfied(rules.satisfaction_of(level)) is bad


@pytest.mark.parametrize("level", [0, 6, "good", None])
def test_other_levels_are_refused(level):
    """Anything but 1–5 is invalid input, and the message repeats what arrived."""
    with pytest.raises(InvalidInput, match=repr(level).replace("(", r"\(")):
        rules.satisfaction_of(level)


def test_default_limits():
    """Complaints 15 working days, ordinary help 5, every urgent request 1."""
    assert rules.default_limit_days("complaint", "ordinary") == 15
    assert rules.default_limit_days("help", "ordinary") == 5
    assert all(rules.default_limit_days(t, "urgent") == 1 for t in rules.TicketType)


def test_every_not_accepted_reason_has_a_redirect():
    """Each §7 exclusion names a channel; an unknown reason is refused."""
    assert set(rules.REDIRECT) == set(rules.NotAccepted)
    assert "110" in rules.redirect_for("emergency")
    with pytest.raises(InvalidInput, match="got 'weather'"):
        rules.redirect_for("weather")
