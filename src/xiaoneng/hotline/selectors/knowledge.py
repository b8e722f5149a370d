"""Reads of the hotline knowledge base (知识库, issue 5 §4): search and the management list.

Search: the query is segmented with jieba (:func:`xiaoneng.hotline.search_rules.segment`);
the articles were segmented when saved (``Article.search_text``). A city has hundreds of
articles at most, so the search loads ``(id, search_text)`` of the published articles in one
query, ranks them in Python with BM25 (:func:`~xiaoneng.hotline.search_rules.score`; the
collection statistics are those of every article searched, so a filter by category does not
change a word's weight) and then loads the few best rows. The word counts of each article are
cached per process by id, and reused only while its ``search_text`` is unchanged.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from xiaoneng.core.errors import NotFound, PermissionDenied
from xiaoneng.hotline import search_rules
from xiaoneng.hotline.models import Article, TicketCategory
from xiaoneng.hotline.services.knowledge import may_edit_articles

#: Longest query searched, in characters; the rest is ignored (the public API caps it too).
QUERY_MAX = 200
#: Articles whose word counts are kept in memory per process (a city has hundreds).
_CACHE_MAX = 5000


@dataclass(frozen=True)
class ArticleHit:
    """One search result: the article, its BM25 score (> 0) and the body around the hit."""

    article: Article
    score: float
    snippet: str


_cache: dict[int, tuple[str, Counter[str], int]] = {}
_cache_lock = threading.Lock()


def _counts(pk: int, search_text: str) -> tuple[Counter[str], int]:
    # Compared on the text itself, not on ``updated_at``: two saves in the same microsecond
    # (or under a frozen test clock) must not leave an old count behind.
    found = _cache.get(pk)
    if found is not None and found[0] == search_text:
        return found[1], found[2]
    tokens = search_rules.tokens_of(search_text)
    counts, length = Counter(tokens), len(tokens)
    with _cache_lock:
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()  # simpler than LRU; refilled by the next searches
        _cache[pk] = (search_text, counts, length)
    return counts, length


def category_and_descendants(category: TicketCategory) -> set[int]:
    """Ids of ``category`` and every category below it (one query: the tree is small)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in TicketCategory.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found = {category.pk}
    todo = [category.pk]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def articles_search(
    query: str,
    *,
    category: TicketCategory | None = None,
    limit: int = 5,
    include_withdrawn: bool = False,
) -> list[ArticleHit]:
    """The articles that best answer ``query``, best first (issue 5 §4).

    Args:
        query: what the citizen or operator typed; only its first :data:`QUERY_MAX`
            characters count. Empty, blank or stop words only: no hits.
        category: only articles in this category or below it.
        limit: at most this many hits.
        include_withdrawn: also withdrawn articles (the management page); citizens never.

    Returns:
        Hits with a score above 0 (sharing at least one word with the query), by score, then
        title and id so equal scores keep one order. ``snippet`` is the body around the first
        query word in it, at most 120 characters.
    """
    words = search_rules.segment((query or "")[:QUERY_MAX])
    if not words or limit <= 0:
        return []
    rows = Article.objects.all()
    if not include_withdrawn:
        rows = rows.filter(active=True)
    docs = [
        (pk, category_id, title, *_counts(pk, text))
        for pk, category_id, title, text in rows.values_list(
            "pk", "category_id", "title", "search_text"
        )
    ]
    if not docs:
        return []
    doc_freq: Counter[str] = Counter()
    asked = set(words)
    for _pk, _cat, _title, counts, _len in docs:
        # Only the query's words need a document frequency.
        doc_freq.update(asked.intersection(counts))
    n_docs = len(docs)
    avg_len = sum(length for *_rest, length in docs) / n_docs
    allowed = category_and_descendants(category) if category is not None else None
    scored = []
    for pk, category_id, title, counts, length in docs:
        if allowed is not None and category_id not in allowed:
            continue
        value = search_rules.score(
            words, counts, doc_freq=doc_freq, n_docs=n_docs, avg_len=avg_len, doc_len=length
        )
        if value > 0:
            scored.append((-value, title, pk))
    if not scored:
        return []
    # Only the hits shown are loaded whole: ranking needs no more than score and title.
    ranked = [(-neg, pk) for neg, _title, pk in sorted(scored)[:limit]]
    articles = Article.objects.select_related("category", "department", "updated_by").in_bulk(
        [pk for _value, pk in ranked]
    )
    return [
        ArticleHit(
            article=articles[pk],
            score=round(value, 4),
            snippet=search_rules.snippet(articles[pk].body, words),
        )
        for value, pk in ranked
    ]


def require_article_editor(user: Any) -> None:
    """The management pages and writes are for operators and the office; others are refused."""
    if not may_edit_articles(user):
        raise PermissionDenied(
            _("The knowledge base is managed by hotline operators and the efficiency office.")
        )


def articles_list(
    user: Any,
    *,
    query: str = "",
    category: TicketCategory | None = None,
    state: str = "",
) -> list[Article] | QuerySet[Article]:
    """Articles for the management page: every article, published or withdrawn.

    With a ``query``, the search's ranking (withdrawn included, at most 100); without, by
    category and title. ``state`` narrows to ``"published"`` or ``"withdrawn"``.

    Raises:
        PermissionDenied: ``user`` is not a hotline operator or the office.
    """
    require_article_editor(user)
    if query.strip():
        hits = articles_search(query, category=category, limit=100, include_withdrawn=True)
        found = [hit.article for hit in hits]
        if state == "published":
            found = [a for a in found if a.active]
        elif state == "withdrawn":
            found = [a for a in found if not a.active]
        return found
    rows = Article.objects.select_related("category", "department", "updated_by")
    if category is not None:
        rows = rows.filter(category_id__in=category_and_descendants(category))
    if state == "published":
        rows = rows.filter(active=True)
    elif state == "withdrawn":
        rows = rows.filter(Q(active=False))
    return rows.order_by("category__code", "title", "id")


def article_for_editor(user: Any, pk: int) -> Article:
    """One article for the management pages (operators and the office).

    Raises:
        PermissionDenied: ``user`` is not an operator or the office.
        NotFound: no article has this id.
    """
    require_article_editor(user)
    found = Article.objects.select_related("category", "department", "updated_by").filter(pk=pk)
    article = found.first()
    if article is None:
        raise NotFound(_("No knowledge-base article has the id %(id)s.") % {"id": pk})
    return article
