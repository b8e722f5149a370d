"""Pure rating rules: levels, bad reviews, channels, the two state machines, the rates."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.core.errors import Conflict, InvalidInput
from xiaoneng.ratings import rules
from xiaoneng.ratings.rules import (
    AppealAction,
    AppealState,
    RatingLevel,
    RectificationAction,
    RectificationState,
)


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (5, RatingLevel.VERY_SATISFIED),
        (4, RatingLevel.SATISFIED),
        (3, RatingLevel.BASICALLY_SATISFIED),
        (2, RatingLevel.DISSATISFIED),
        (1, RatingLevel.VERY_DISSATISFIED),
        ("5", RatingLevel.VERY_SATISFIED),
        (" 1 ", RatingLevel.VERY_DISSATISFIED),
        ("very_satisfied", RatingLevel.VERY_SATISFIED),
        ("Satisfied", RatingLevel.SATISFIED),
        ("basically_satisfied", RatingLevel.BASICALLY_SATISFIED),
        ("dissatisfied", RatingLevel.DISSATISFIED),
        ("very_dissatisfied", RatingLevel.VERY_DISSATISFIED),
        ("非常满意", RatingLevel.VERY_SATISFIED),
        ("基本满意", RatingLevel.BASICALLY_SATISFIED),
        ("非常不满意", RatingLevel.VERY_DISSATISFIED),
    ],
)
def test_a_level_is_read_from_a_number_a_code_or_its_chinese_name(value, level):
    """1–5, their digits, the codes and the Chinese names all name a level."""
    assert rules.parse_level(value) == level


@pytest.mark.parametrize("value", [0, 6, -1, "0", "6", "", "great", True, None, 4.5])
def test_anything_else_is_not_a_level(value):
    """Out of range, unknown words, booleans and floats are refused with what is accepted."""
    with translation.override("en"), pytest.raises(InvalidInput, match="1 to 5"):
        rules.parse_level(value)


@pytest.mark.parametrize(
    ("level", "bad"), [(5, False), (4, False), (3, False), (2, True), (1, True)]
)
def test_the_last_two_levels_are_bad_reviews(level, bad):
    """不满意 and 非常不满意 are bad reviews (DOMAIN_RULES.md §8); the other three are not."""
    assert rules.is_bad(level) is bad


def test_the_chinese_names_run_from_very_satisfied_to_very_dissatisfied():
    """The five names of §8 map to 5…1 in order."""
    assert list(rules.LEVEL_NAMES_ZH) == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert [int(v) for v in rules.LEVEL_NAMES_ZH.values()] == [5, 4, 3, 2, 1]


@pytest.mark.parametrize("channel", ["on_site", "online", "public", "government"])
def test_the_four_channels_are_known(channel):
    """一次一评, 一事一评, 综合点评, 监督查评."""
    assert rules.parse_channel(channel).value == channel


def test_an_unknown_channel_is_refused():
    """A channel outside the four is InvalidInput naming the four."""
    with translation.override("en"), pytest.raises(InvalidInput, match="on_site, online"):
        rules.parse_channel("phone")


def test_rating_text_is_trimmed_and_limited():
    """Text is trimmed; more than 2000 characters is refused."""
    assert rules.check_text("  ok \n") == "ok"
    assert rules.check_text("x" * 2000) == "x" * 2000
    with translation.override("en"), pytest.raises(InvalidInput, match="at most 2000"):
        rules.check_text("x" * 2001)


def test_the_rectification_path_is_visit_then_complete():
    """open → visited (→ visited again) → completed; completed and cancelled are final."""
    s = rules.rectification_next_state(RectificationState.OPEN, RectificationAction.RETURN_VISIT)
    assert s == RectificationState.VISITED
    s = rules.rectification_next_state(s, RectificationAction.RETURN_VISIT)
    assert s == RectificationState.VISITED
    assert (
        rules.rectification_next_state(s, RectificationAction.COMPLETE)
        == RectificationState.COMPLETED
    )
    assert rules.rectification_allowed_actions(RectificationState.COMPLETED) == []
    assert rules.rectification_allowed_actions(RectificationState.CANCELLED) == []


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (RectificationState.OPEN, RectificationAction.COMPLETE),
        (RectificationState.COMPLETED, RectificationAction.RETURN_VISIT),
        (RectificationState.COMPLETED, RectificationAction.COMPLETE),
        (RectificationState.COMPLETED, RectificationAction.CANCEL),
        (RectificationState.CANCELLED, RectificationAction.RETURN_VISIT),
    ],
)
def test_a_rectification_action_not_allowed_now_is_a_conflict(state, action):
    """Completing before a return visit, or acting on a finished one, is 409 naming both."""
    with translation.override("en"), pytest.raises(Conflict) as caught:
        rules.rectification_next_state(state, action)
    assert caught.value.details == {"state": state.value, "action": action.value}
    assert "Allowed now" in caught.value.message


def test_complete_before_a_visit_says_what_is_allowed():
    """The message names the state and the actions allowed in it."""
    with translation.override("en"), pytest.raises(Conflict) as caught:
        rules.rectification_next_state("open", "complete")
    assert caught.value.message == (
        "The rectification is awaiting return visit, so you cannot complete the rectification. "
        "Allowed now: record a return visit, cancel."
    )


def test_an_appeal_is_filed_once_and_decided_once():
    """none → pending → upheld or rejected; nothing after a decision."""
    assert rules.appeal_next_state(AppealState.NONE, AppealAction.FILE) == AppealState.PENDING
    assert rules.appeal_next_state(AppealState.PENDING, AppealAction.UPHOLD) == AppealState.UPHELD
    assert rules.appeal_next_state(AppealState.PENDING, AppealAction.REJECT) == AppealState.REJECTED
    for state in (AppealState.UPHELD, AppealState.REJECTED, AppealState.PENDING):
        with pytest.raises(Conflict):
            rules.appeal_next_state(state, AppealAction.FILE)
    with pytest.raises(Conflict):
        rules.appeal_next_state(AppealState.NONE, AppealAction.UPHOLD)


def test_rates_are_none_when_there_is_nothing_to_count():
    """No completed rectifications is no on-time rate, not 0 %."""
    assert rules.rate(0, 0) is None
    assert rules.rate(3, 4) == 0.75
    assert rules.satisfaction_rate({}) is None
    assert rules.satisfaction_rate({5: 6, 4: 1, 3: 1, 2: 1, 1: 1}) == 0.8


@given(st.dictionaries(st.integers(1, 5), st.integers(0, 1000)))
def test_satisfaction_and_bad_shares_add_up_to_one(counts):
    """For any counts, the share of bad reviews is one minus the satisfaction rate."""
    total = sum(counts.values())
    rate = rules.satisfaction_rate(counts)
    if total == 0:
        assert rate is None
    else:
        bad = sum(n for level, n in counts.items() if level <= 2)
        assert rate is not None
        assert abs(rate + bad / total - 1) < 1e-9
