"""The knowledge base's pure search logic: segmentation, BM25 scoring and snippets (issue 5 §4)."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xiaoneng.hotline import search_rules
from xiaoneng.hotline.search_rules import (
    SNIPPET_LENGTH,
    build_search_text,
    document_frequencies,
    idf,
    score,
    segment,
    snippet,
    tokens_of,
)

# -- segmentation ----------------------------------------------------------------------------


def test_segment_keeps_the_words_and_their_parts_without_the_question_words():
    """ "营业执照怎么办" gives the licence and its parts; "怎么办" is how one asks, not what."""
    assert segment("营业执照怎么办") == ["营业", "执照", "营业执照"]


def test_segment_drops_punctuation_blanks_and_lowercases_latin_words():
    """Punctuation and blanks are not words; "App" and "app" are the same word."""
    words = segment("不动产登记，查询 App！")
    assert "app" in words
    assert "不动产" in words
    assert all(w.strip() and any(ch.isalnum() for ch in w) for w in words)
    assert "，" not in words and "！" not in words


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "？！。，", "怎么办 请问 谢谢"])
def test_segment_of_nothing_to_search_is_empty(text):
    """Blank text, punctuation only and stop words only leave nothing to search for."""
    assert segment(text) == []


def test_search_text_counts_the_title_twice():
    """The title's words appear TITLE_WEIGHT times, the keywords' and the body's once."""
    text = build_search_text(title="社保卡补办", keywords="遗失", body="携带身份证到服务网点")
    words = tokens_of(text)
    title_words = segment("社保卡补办")
    for word in title_words:
        assert words.count(word) >= search_rules.TITLE_WEIGHT
    assert words.count("遗失") == 1
    assert "身份证" in words
    assert " ".join(words) == text  # single spaces, nothing else


# -- idf and score ---------------------------------------------------------------------------


def test_idf_is_positive_and_falls_as_a_word_gets_common():
    """A rare word weighs more than a common one; a word in every document still weighs > 0."""
    assert idf(1, 100) > idf(10, 100) > idf(100, 100) > 0


@pytest.mark.parametrize(("n", "total"), [(-1, 5), (6, 5), (0, -1)])
def test_idf_refuses_impossible_counts(n, total):
    """A word cannot be in more documents than there are, nor in a negative number."""
    with pytest.raises(ValueError, match="doc_freq"):
        idf(n, total)


def test_score_is_the_bm25_formula_on_a_worked_example():
    """One word, tf 2, in 1 of 3 documents, document as long as the average: BM25 by hand."""
    k1 = search_rules.K1
    expected = math.log(1 + (3 - 1 + 0.5) / (1 + 0.5)) * 2 * (k1 + 1) / (2 + k1)
    got = score(
        ["执照"], ["执照", "执照", "办理", "材料"], doc_freq={"执照": 1}, n_docs=3, avg_len=4
    )
    assert got == pytest.approx(expected)


WORDS = st.sampled_from(["营业", "执照", "社保", "公积金", "噪音", "补办", "提取", "登记"])
FILLER = st.sampled_from(["材料", "窗口", "网上", "时间", "地点"])


def _stats(*docs: list[str]) -> dict[str, object]:
    doc_freq, n_docs, avg_len = document_frequencies(docs)
    return {"doc_freq": doc_freq, "n_docs": n_docs, "avg_len": avg_len}


@settings(max_examples=200, deadline=None)
@given(
    query=st.lists(WORDS, min_size=1, max_size=5, unique=True),
    drop=st.data(),
    filler=st.lists(FILLER, min_size=0, max_size=10),
)
def test_a_document_with_every_query_word_scores_at_least_one_with_some(query, drop, filler):
    """At equal length, holding all the query's words scores ≥ holding a subset (strictly >
    when words are missing), in the same collection."""
    subset = drop.draw(st.lists(st.sampled_from(query), unique=True, max_size=len(query) - 1))
    full_doc = query + filler
    # The same length: each missing query word is replaced by a word nobody asked for.
    partial_doc = subset + ["其他"] * (len(query) - len(subset)) + filler
    stats = _stats(full_doc, partial_doc, ["无关", "文档"])
    full = score(query, full_doc, **stats)  # type: ignore[arg-type]
    partial = score(query, partial_doc, **stats)  # type: ignore[arg-type]
    assert full > partial >= 0


@settings(max_examples=200, deadline=None)
@given(
    query=st.lists(WORDS, max_size=6),
    doc=st.lists(WORDS | FILLER, max_size=30),
    others=st.lists(st.lists(WORDS | FILLER, max_size=20), max_size=5),
)
def test_score_is_deterministic_non_negative_and_ignores_query_order(query, doc, others):
    """The same inputs give the same score, whatever the order of the query words; never < 0."""
    stats = _stats(doc, *others)
    first = score(query, doc, **stats)  # type: ignore[arg-type]
    again = score(list(reversed(query)), list(doc), **stats)  # type: ignore[arg-type]
    assert first == again
    assert first >= 0
    # Counts instead of the token list: the same score.
    assert score(query, Counter(doc), doc_len=len(doc), **stats) == first  # type: ignore[arg-type]


@given(doc=st.lists(WORDS | FILLER, max_size=30))
def test_an_empty_query_scores_zero(doc):
    """Nothing asked, nothing found: the score of an empty query is 0 for any document."""
    assert score([], doc, **_stats(doc)) == 0.0  # type: ignore[arg-type]


@given(query=st.lists(WORDS, min_size=1, max_size=5), doc=st.lists(FILLER, max_size=20))
def test_a_document_sharing_no_word_scores_zero(query, doc):
    """A document without any query word scores 0 (it is not a hit)."""
    assert score(query, doc, **_stats(doc, query)) == 0.0  # type: ignore[arg-type]


def test_a_rare_word_outweighs_a_common_one():
    """Matching the word few articles have ranks above matching the word all of them have."""
    docs = [["营业执照", "办理"], ["社保卡", "办理"], ["公积金", "办理"]]
    stats = _stats(*docs)
    query = ["营业执照", "办理"]
    assert score(query, docs[0], **stats) > score(query, docs[1], **stats)  # type: ignore[arg-type]


# -- snippets --------------------------------------------------------------------------------


def test_a_short_body_is_its_own_snippet_on_one_line():
    """A body shorter than the limit is shown whole, blanks collapsed."""
    assert snippet("携带身份证\n  到窗口办理。", ["身份证"]) == "携带身份证 到窗口办理。"


def test_the_snippet_shows_the_body_around_the_first_hit():
    """The first query word in the body is inside the snippet, which is cut with "…"."""
    body = "甲" * 200 + "营业执照" + "乙" * 200
    text = snippet(body, ["执照", "营业执照"])
    assert len(text) <= SNIPPET_LENGTH
    assert "营业执照" in text
    assert text.startswith("…") and text.endswith("…")


def test_without_a_hit_the_snippet_is_the_start_of_the_body():
    """When the words matched only the title or keywords, the answer's beginning is shown."""
    body = "开头" + "内容" * 100
    text = snippet(body, ["没有的词"])
    assert text.startswith("开头")
    assert text.endswith("…") and len(text) == SNIPPET_LENGTH


def test_a_hit_near_the_end_keeps_the_end():
    """A hit in the last characters gives the body's tail, starting with "…"."""
    body = "前" * 300 + "公积金"
    text = snippet(body, ["公积金"])
    assert text.endswith("公积金") and text.startswith("…") and len(text) == SNIPPET_LENGTH


@given(
    body=st.text(alphabet="营业执照办理材料窗口 。", max_size=400),
    words=st.lists(st.sampled_from(["营业", "执照", "窗口"]), max_size=3),
)
def test_a_snippet_is_never_longer_than_the_limit(body, words):
    """Whatever the body and the words, the snippet fits in SNIPPET_LENGTH characters."""
    assert len(snippet(body, words)) <= SNIPPET_LENGTH
