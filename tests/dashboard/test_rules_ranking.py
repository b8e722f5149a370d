"""The department ranking's pure rules: weights, normalisation, weighted score, order."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.utils import translation
from hypothesis import assume, given
from hypothesis import strategies as st

from xiaoneng.core.errors import InvalidInput
from xiaoneng.dashboard import rules

IND = rules.RANKING_INDICATORS


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English, so assertions on their wording do not depend on compiled .mo."""
    with translation.override("en"):
        yield


# -- weights -------------------------------------------------------------------------------------


def test_weights_from_text_are_scaled_to_one():
    """The environment's "on_time=40,red=20,bad_reviews=20,supervision=20" is 0.4/0.2/0.2/0.2."""
    weights = rules.parse_weights("on_time=40, red=20,bad_reviews=20 ,supervision=20")
    assert weights == pytest.approx(
        {"on_time": 0.4, "red": 0.2, "bad_reviews": 0.2, "supervision": 0.2}
    )


def test_indicators_left_out_weigh_nothing():
    """ "on_time=1" ranks by the on-time rate alone."""
    assert rules.parse_weights("on_time=1") == {
        "on_time": 1.0,
        "red": 0.0,
        "bad_reviews": 0.0,
        "supervision": 0.0,
    }


def test_weights_from_a_mapping():
    """The setting may be a dict of numbers (or numeric text)."""
    assert rules.parse_weights({"on_time": 3, "red": "1"}) == pytest.approx(
        {"on_time": 0.75, "red": 0.25, "bad_reviews": 0.0, "supervision": 0.0}
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("speed=1", "Unknown ranking indicator 'speed'; the indicators are on_time, red"),
        ("on_time=-1", "The weight of on_time must be a number 0 or more, got '-1'"),
        ("red=abc", "The weight of red must be a number 0 or more, got 'abc'"),
        ("red=nan", "must be a number 0 or more"),
        ("red=inf", "must be a number 0 or more"),
        ("on_time", "Weights are written name=number, separated by commas, got 'on_time'"),
        ("red=1,red=2", "The weight of red is given twice"),
        ("on_time=0,red=0", "At least one ranking weight must be above 0"),
        ("", "At least one ranking weight must be above 0"),
        ({"red": True}, "The weight of red must be a number 0 or more"),
    ],
)
def test_invalid_weights_are_refused_with_a_clear_message(value, message):
    """Each kind of bad weight is refused, saying what was expected and what arrived."""
    with pytest.raises(InvalidInput, match=message):
        rules.parse_weights(value)


def test_invalid_weights_are_explained_in_chinese():
    """The message follows the user's language."""
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as caught:
        rules.parse_weights("speed=1")
    assert "speed" in caught.value.message
    assert "排名" in caught.value.message


def test_weights_in_force_come_from_the_setting(settings):
    """Without an argument the setting RANKING_WEIGHTS applies (text or dict)."""
    settings.RANKING_WEIGHTS = "red=1"
    assert rules.ranking_weights()["red"] == 1.0
    settings.RANKING_WEIGHTS = {"on_time": 1, "supervision": 1}
    assert rules.ranking_weights()["supervision"] == 0.5
    assert rules.ranking_weights("bad_reviews=2")["bad_reviews"] == 1.0


def test_a_bad_setting_names_the_setting(settings):
    """A misconfigured RANKING_WEIGHTS is refused with the setting's name in the message."""
    settings.RANKING_WEIGHTS = "on_time=lots"
    with pytest.raises(InvalidInput, match="The setting RANKING_WEIGHTS is not valid: The weight"):
        rules.ranking_weights()


def test_no_setting_means_the_default_weights(settings):
    """An empty setting falls back to 0.4 / 0.2 / 0.2 / 0.2."""
    settings.RANKING_WEIGHTS = ""
    assert rules.ranking_weights() == pytest.approx(rules.DEFAULT_RANKING_WEIGHTS)


# -- normalisation and score, worked by hand -----------------------------------------------------


def test_counts_are_scored_against_the_largest():
    """Red clocks 0, 2, 4 score 1, 0.5, 0; unknown stays unknown."""
    assert rules.normalise(IND["red"], {"a": 0, "b": 2, "c": 4, "d": None}) == {
        "a": 1.0,
        "b": 0.5,
        "c": 0.0,
        "d": None,
    }


def test_when_every_count_is_zero_everyone_scores_one():
    """No department did worse than another, so all score 1."""
    assert rules.normalise(IND["bad_reviews"], {"a": 0, "b": 0}) == {"a": 1.0, "b": 1.0}


def test_rates_keep_their_scale():
    """An on-time rate of 0.9 scores 0.9, whatever the others did."""
    assert rules.normalise(IND["on_time"], {"a": 0.9, "b": 0.2}) == {"a": 0.9, "b": 0.2}


def test_lower_better_rates_and_higher_better_counts():
    """The general rule: lower-better rates score 1 − rate; higher-better counts value / largest."""
    low_rate = rules.RankingIndicator(
        "x", "bad_review_rate", IND["red"].label, False, rules.Normalisation.RATE, IND["red"].label
    )
    high_count = rules.RankingIndicator(
        "y",
        "supervision_closed",
        IND["red"].label,
        True,
        rules.Normalisation.COUNT,
        IND["red"].label,
    )
    assert rules.normalise(low_rate, {"a": 0.25}) == {"a": 0.75}
    assert rules.normalise(high_count, {"a": 1, "b": 4}) == {"a": 0.25, "b": 1.0}


def test_negative_raw_values_are_refused():
    """A negative count is a bug upstream."""
    with pytest.raises(ValueError):
        rules.normalise(IND["red"], {"a": -1})


def test_score_by_hand_leaves_unknown_indicators_out():
    """0.9 / 0.5 / 1.0 / unknown with 0.4/0.2/0.2/0.2: (0.36 + 0.1 + 0.2) / 0.8 = 82.5."""
    scores = {"on_time": 0.9, "red": 0.5, "bad_reviews": 1.0, "supervision": None}
    assert rules.ranking_score(scores, rules.DEFAULT_RANKING_WEIGHTS) == pytest.approx(82.5)


def test_no_known_weighted_indicator_gives_no_score():
    """Only the on-time rate weighs, and it is unknown: no score."""
    scores = {"on_time": None, "red": 1.0, "bad_reviews": 1.0, "supervision": None}
    assert rules.ranking_score(scores, rules.parse_weights("on_time=1")) is None


def test_three_departments_ranked_by_hand():
    """A 76, B 62, C 50 (C has no rate, so its two counts carry the weight)."""
    values = {
        "A": {"on_time": 0.9, "red": 2, "bad_reviews": 1, "supervision": 1.0},
        "B": {"on_time": 0.8, "red": 4, "bad_reviews": 0, "supervision": 0.5},
        "C": {"on_time": None, "red": 0, "bad_reviews": 2, "supervision": None},
    }
    ranked = rules.rank_departments(values, rules.DEFAULT_RANKING_WEIGHTS)
    assert [(e.key, e.rank) for e in ranked] == [("A", 1), ("B", 2), ("C", 3)]
    assert [e.score for e in ranked] == pytest.approx([76.0, 62.0, 50.0])
    assert ranked[0].scores == {"on_time": 0.9, "red": 0.5, "bad_reviews": 0.5, "supervision": 1.0}
    assert ranked[2].values == values["C"]


def test_equal_scores_share_a_rank_in_code_order():
    """Two equal departments share rank 1 (listed by code), the next is 3rd; no score is last."""
    same = {"on_time": 1.0, "red": 0, "bad_reviews": 0, "supervision": 1.0}
    values = {
        1: same,
        2: {"on_time": 0.5, "red": 1, "bad_reviews": 0, "supervision": 1.0},
        3: dict(same),
        4: {"on_time": None, "red": 0, "bad_reviews": 0, "supervision": None},
    }
    weights = rules.parse_weights("on_time=1,supervision=1")
    ranked = rules.rank_departments(values, weights, order={1: "B", 2: "A", 3: "A", 4: "C"})
    assert [(e.key, e.rank) for e in ranked] == [(3, 1), (1, 1), (2, 3), (4, None)]


# -- properties ------------------------------------------------------------------------------

rates = st.one_of(st.none(), st.floats(0, 1))
counts = st.integers(0, 500)
department_values = st.fixed_dictionaries(
    {"on_time": rates, "red": counts, "bad_reviews": counts, "supervision": rates}
)
some_departments = st.dictionaries(
    st.integers(1, 10_000), department_values, min_size=1, max_size=12
)
weights_raw = st.fixed_dictionaries(
    {key: st.floats(0, 100) for key in rules.RANKING_INDICATORS}
).filter(lambda w: sum(w.values()) > 1e-6)


@given(some_departments, weights_raw)
def test_scores_are_between_0_and_100_and_indicator_scores_between_0_and_1(values, raw):
    """Every score lies in 0–100 and every indicator score in 0–1."""
    for entry in rules.rank_departments(values, rules.parse_weights(raw)):
        assert entry.score is None or -1e-9 <= entry.score <= 100 + 1e-9
        for s in entry.scores.values():
            assert s is None or 0 <= s <= 1


@given(some_departments, weights_raw, st.floats(0.001, 1000))
def test_scaling_the_weights_changes_nothing(values, raw, factor):
    """Multiplying every weight by the same factor gives the same order and ranks."""
    first = rules.rank_departments(values, rules.parse_weights(raw))
    scaled = rules.rank_departments(
        values, rules.parse_weights({k: v * factor for k, v in raw.items()})
    )
    assert [(e.key, e.rank) for e in first] == [(e.key, e.rank) for e in scaled]


@given(
    some_departments,
    weights_raw,
    st.fixed_dictionaries(
        {
            "on_time": st.floats(0, 0.9),
            "red": st.integers(1, 500),
            "bad_reviews": st.integers(1, 500),
            "supervision": st.floats(0, 0.9),
        }
    ),
    st.floats(0.01, 0.1),
)
def test_a_department_better_on_every_indicator_ranks_higher(values, raw, worse, step):
    """A department strictly better than another on every indicator scores and ranks higher."""
    better = {
        "on_time": worse["on_time"] + step,
        "red": worse["red"] - 1,
        "bad_reviews": worse["bad_reviews"] - 1,
        "supervision": worse["supervision"] + step,
    }
    assume(-1 not in values and -2 not in values)
    values = {**values, -1: worse, -2: better}
    ranked = {e.key: e for e in rules.rank_departments(values, rules.parse_weights(raw))}
    assert ranked[-2].score > ranked[-1].score
    assert ranked[-2].rank < ranked[-1].rank


def test_the_environment_variable_sets_the_weights():
    """RANKING_WEIGHTS in the environment reaches the setting as text the rules accept."""
    env = {**os.environ, "RANKING_WEIGHTS": "on_time=1,red=3"}
    done = subprocess.run(
        [sys.executable, "-c", "import xiaoneng.settings as s; print(s.RANKING_WEIGHTS)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    setting = done.stdout.strip()
    assert setting == "on_time=1,red=3"
    assert rules.parse_weights(setting)["red"] == 0.75
