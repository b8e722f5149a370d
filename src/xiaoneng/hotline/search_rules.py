"""Pure search logic of the hotline knowledge base (知识库, issue 5 §4): segment and score.

No database here. Chinese has no spaces between words, so text is cut into words by jieba
(``lcut_for_search``: the whole word *and* its parts, so "营业执照" also finds "执照"). Every
article keeps its segmented text in ``Article.search_text`` (:func:`build_search_text`,
rebuilt by the services on every save); a search segments only the query and ranks the
articles with :func:`score`, an Okapi BM25 score (Robertson and Zaragoza, "The Probabilistic
Relevance Framework: BM25 and Beyond", 2009).
"""

from __future__ import annotations

import logging
import math
import threading
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence

import jieba

#: BM25's term-frequency saturation: a word said a third time adds little.
K1 = 1.2
#: BM25's length normalisation: long answers do not win by length alone.
B = 0.75
#: The title counts twice in ``search_text``: a title names the matter, a body explains it.
TITLE_WEIGHT = 2
#: Longest snippet shown under a hit, in characters (ellipses included).
SNIPPET_LENGTH = 120
#: Characters of context kept before the first hit in a snippet.
SNIPPET_LEAD = 30

# Words that say how someone asks, not what about; they would match every article.
_STOP_WORDS_TEXT = """
    的 了 吗 呢 吧 啊 呀 么 嘛 哦 和 与 及 或 在 是 有 要 会 能 可 可以 可不可以 能否 是否
    我 我们 你 你们 您 他 她 它 他们 这 那 这个 那个 这里 那里 哪 哪里 哪儿 哪个 什么 怎么
    怎么办 怎样 如何 为什么 为何 多少 几 请问 请 问 问一下 一下 想 想问 需要 应该 咨询 就 都
    也 还 又 把 被 给 对 向 从 到 为 于 以 之 其 该 等 个 一 一个 没有 不 没 已经 现在 谢谢
    a an and are can do does for how i in is it my of on or the to what when where which who
    why with you
"""
#: The stop words, dropped by :func:`segment`.
STOP_WORDS: frozenset[str] = frozenset(_STOP_WORDS_TEXT.split())

_lock = threading.Lock()
_ready = False


def _jieba() -> None:
    """Load jieba's dictionary once per process, without its log lines on every start."""
    global _ready
    if _ready:
        return
    with _lock:
        if not _ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _ready = True


def _is_word(token: str) -> bool:
    # Punctuation, symbols and blanks are not words; any letter, digit or CJK character is.
    return any(ch.isalnum() for ch in token)


def segment(text: str) -> list[str]:
    """The searchable words of ``text``, in order: jieba's search segmentation, lower-cased,
    without punctuation, blanks and :data:`STOP_WORDS`.

    ``segment("营业执照怎么办")`` is ``["营业", "执照", "营业执照"]``. Deterministic: the same
    text always gives the same words (jieba's dictionary is fixed; no user dictionary is
    loaded).
    """
    if not text or not text.strip():
        return []
    _jieba()
    words = []
    for raw in jieba.lcut_for_search(text):
        token = raw.strip().lower()
        if token and _is_word(token) and token not in STOP_WORDS:
            words.append(token)
    return words


def build_search_text(*, title: str, keywords: str, body: str) -> str:
    """``Article.search_text``: the words of the title (:data:`TITLE_WEIGHT` times), the
    keywords and the body, joined by single spaces (words never contain a space)."""
    words = segment(title) * TITLE_WEIGHT + segment(keywords) + segment(body)
    return " ".join(words)


def tokens_of(search_text: str) -> list[str]:
    """The words stored in a ``search_text`` (the inverse of the join in
    :func:`build_search_text`)."""
    return search_text.split()


def idf(doc_freq: int, n_docs: int) -> float:
    """Inverse document frequency of a word found in ``doc_freq`` of ``n_docs`` documents.

    The BM25 form with 1 added inside the logarithm, so it is never negative: a word in
    every document still weighs a little more than nothing, a rare word much more.
    """
    if n_docs < 0 or doc_freq < 0 or doc_freq > n_docs:
        raise ValueError(f"expected 0 <= doc_freq <= n_docs, got {doc_freq} of {n_docs}")
    return math.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def score(
    query_tokens: Collection[str],
    doc_tokens: Sequence[str] | Mapping[str, int],
    *,
    doc_freq: Mapping[str, int],
    n_docs: int,
    avg_len: float,
    doc_len: int | None = None,
    k1: float = K1,
    b: float = B,
) -> float:
    """Okapi BM25 score of one document for a query; 0 when they share no word.

    ``score = Σ idf(t) · tf(t)·(k1 + 1) / (tf(t) + k1·(1 − b + b·len/avg_len))`` over the
    *distinct* query words ``t`` (jieba's search mode repeats parts of a word; a word asked
    twice is asked once), ``tf(t)`` its count in the document.

    Args:
        query_tokens: the query's words (:func:`segment`).
        doc_tokens: the document's words, or their counts (``Counter``) when the caller has
            counted them already.
        doc_freq: in how many documents of the collection each word occurs (missing: 0).
        n_docs: documents in the collection.
        avg_len: average document length in words; ``<= 0`` means an empty collection.
        doc_len: the document's length; taken from ``doc_tokens`` when not given.
        k1, b: the BM25 parameters (:data:`K1`, :data:`B`).

    Properties (tested): never negative; 0 for an empty query; the same inputs give the same
    score whatever the order of the query words; at equal length, a document holding every
    query word scores at least as high as one holding only some of them.
    """
    counts = doc_tokens if isinstance(doc_tokens, Mapping) else Counter(doc_tokens)
    length = doc_len if doc_len is not None else sum(counts.values())
    if not query_tokens or length == 0:
        return 0.0
    norm = k1 * (1.0 - b + b * (length / avg_len if avg_len > 0 else 1.0))
    total = 0.0
    # Sorted, so the float sum is added in one order whatever order the words came in.
    for token in sorted(set(query_tokens)):
        tf = counts.get(token, 0)
        if tf <= 0:
            continue
        n = min(max(doc_freq.get(token, 0), 1), max(n_docs, 1))
        total += idf(n, max(n_docs, 1)) * tf * (k1 + 1.0) / (tf + norm)
    return total


def document_frequencies(documents: Iterable[Collection[str]]) -> tuple[Counter[str], int, float]:
    """``(doc_freq, n_docs, avg_len)`` of a collection of tokenised documents, for :func:`score`."""
    doc_freq: Counter[str] = Counter()
    n_docs = 0
    total_len = 0
    for tokens in documents:
        n_docs += 1
        total_len += len(tokens)
        doc_freq.update(set(tokens))
    return doc_freq, n_docs, (total_len / n_docs if n_docs else 0.0)


def snippet(body: str, query_tokens: Collection[str], *, length: int = SNIPPET_LENGTH) -> str:
    """The part of ``body`` around the first query word it contains, at most ``length``
    characters, with "…" where it was cut; the body's start when no word occurs in it.

    Blanks are collapsed to single spaces first, so a snippet is one line.
    """
    text = " ".join(body.split())
    if len(text) <= length:
        return text
    lowered = text.lower()
    first = -1
    # Longest words first at the same position: "营业执照" rather than "营业".
    for token in sorted(set(query_tokens), key=lambda t: (-len(t), t)):
        at = lowered.find(token)
        if at >= 0 and (first < 0 or at < first):
            first = at
    if first <= SNIPPET_LEAD:
        return text[: length - 1] + "…"
    start = first - SNIPPET_LEAD
    if start + length - 1 >= len(text):
        return "…" + text[len(text) - (length - 1) :]
    return "…" + text[start : start + length - 2] + "…"
