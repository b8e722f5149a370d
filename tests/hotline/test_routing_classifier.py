"""The dispatch classifier on its own (no database): segmentation, training, ranking, cache."""

from __future__ import annotations

import pickle
import random
import tempfile
from pathlib import Path

import jieba
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.hotline.routing_factories import TOPICS, description
from xiaoneng.hotline import classifier


@pytest.fixture(scope="module")
def trained() -> classifier.TrainResult:
    """A model of the three made-up topics, 30 texts each, labels are the topic names."""
    rng = random.Random(11)
    pairs = [(description(rng, topic), topic) for _ in range(30) for topic in TOPICS]
    return classifier.train([t for t, _ in pairs], [label for _, label in pairs], seed=4)


def test_segment_keeps_words_and_drops_punctuation():
    """jieba's words, lower-cased, with punctuation and spaces dropped."""
    text = "小区电梯故障！WiFi 连不上。"
    words = classifier.segment(text)
    assert words == [t.lower() for t in jieba.lcut(text) if t not in {"！", " ", "。"}]
    assert "wifi" in words and "".join(words) == "小区电梯故障wifi连不上"
    assert classifier.segment("。，！ ") == []


def test_jieba_cache_goes_to_the_temporary_directory_not_the_repository():
    """The dictionary cache is written under the system temporary directory."""
    classifier.segment("初始化")
    assert Path(jieba.dt.tmp_dir) == Path(tempfile.gettempdir())
    assert not (Path(__file__).resolve().parents[2] / "jieba.cache").exists()


def test_training_scores_a_stratified_held_out_part(trained):
    """90 texts, 20 % held out with each topic's share kept; accuracy far above chance (1/3)."""
    assert (trained.train_size, trained.test_size) == (72, 18)
    assert sorted(trained.labels) == sorted(TOPICS)
    assert trained.accuracy >= 0.8
    assert trained.top3_accuracy == 1.0


def test_the_pickled_pipeline_refers_to_the_analyzer_by_name(trained):
    """The payload unpickles in a fresh load and ranks a clear text right."""
    pipeline = pickle.loads(trained.payload)  # noqa: S301 - our own test payload
    assert pipeline.named_steps["tfidf"].analyzer is classifier.analyze
    assert classifier.ranked(pipeline, "单位拖欠工资，不交社保")[0][0] == "人社"


@settings(max_examples=30, deadline=None)
@given(text=st.text(alphabet="占道物业工资故障，。 abc", max_size=30))
def test_ranking_covers_every_label_once_with_falling_probabilities(trained, text):
    """Any text gets every label once, probabilities falling and summing to 1."""
    pipeline = pickle.loads(trained.payload)  # noqa: S301 - our own test payload
    ranking = classifier.ranked(pipeline, text)
    assert sorted(label for label, _ in ranking) == sorted(TOPICS)
    probabilities = [p for _, p in ranking]
    assert probabilities == sorted(probabilities, reverse=True)
    assert sum(probabilities) == pytest.approx(1.0)


def test_training_refuses_mismatched_or_unsplittable_input():
    """Texts and labels of different lengths, or a label seen once: ValueError."""
    with pytest.raises(ValueError, match="2 texts but 1 labels"):
        classifier.train(["a", "b"], ["x"])
    with pytest.raises(ValueError):
        classifier.train(["占道", "物业", "工资", "故障"], ["a", "a", "a", "b"])


def test_load_keeps_only_the_newest_model(trained):
    """A model is unpickled once per id; loading another id replaces it."""
    classifier.forget()
    calls = []

    def payload() -> bytes:
        calls.append(1)
        return trained.payload

    first = classifier.load(1, payload)
    assert classifier.load(1, payload) is first and len(calls) == 1
    classifier.load(2, payload)
    assert classifier.cached_ids() == [2] and len(calls) == 2
    classifier.forget()
    assert classifier.cached_ids() == []


@pytest.fixture(scope="module")
def two_labels() -> classifier.TrainResult:
    """A model of two topics only: scikit-learn then keeps one logistic score, not a softmax."""
    rng = random.Random(12)
    pairs = [(description(rng, topic), topic) for _ in range(20) for topic in ("城管", "人社")]
    return classifier.train([t for t, _ in pairs], [label for _, label in pairs], seed=4)


@settings(max_examples=40, deadline=None)
@given(text=st.text(alphabet="占道物业工资故障违章搭建社保，。 abc", max_size=40))
def test_scorer_agrees_with_scikit_learn(trained, two_labels, text):
    """The fast scorer gives scikit-learn's own probabilities, for many and for two labels."""
    for result in (trained, two_labels):
        pipeline = pickle.loads(result.payload)  # noqa: S301 - our own test payload
        scorer = classifier.Scorer(pipeline)
        expected = pipeline.predict_proba([text])[0]
        assert scorer.probabilities(text) == pytest.approx(expected, abs=1e-9)
        assert [label for label, _ in scorer.ranked(text)] == [
            label for label, _ in classifier.ranked(pipeline, text)
        ] or len(set(expected)) < len(expected)  # ties may order either way
