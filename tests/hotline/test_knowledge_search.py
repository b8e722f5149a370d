"""Searching the knowledge base in Chinese: ranking, filters, snippets (issue 5 §4)."""

from __future__ import annotations

import itertools

import pytest

from tests.hotline.conftest import Hotline
from tests.hotline.knowledge_factories import Library, make_library
from xiaoneng.core.errors import NotFound, PermissionDenied
from xiaoneng.hotline.models import TicketCategory
from xiaoneng.hotline.search_rules import SNIPPET_LENGTH
from xiaoneng.hotline.selectors.knowledge import (
    article_for_editor,
    articles_list,
    articles_search,
    category_and_descendants,
)
from xiaoneng.hotline.services.knowledge import article_update, article_withdraw

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(hotline: Hotline) -> Library:
    """Five articles on distinct matters, written by the operator."""
    return make_library(hotline.operator)


def _titles(query: str, **kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    return [hit.article.title for hit in articles_search(query, **kwargs)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("营业执照怎么办", "licence"),
        ("我想开个公司，要去哪里注册？", "licence"),
        ("社保卡丢了怎么补", "social_card"),
        ("租房能不能取公积金", "fund"),
        ("楼下工地半夜施工太吵了", "noise"),
        ("查询房产证信息", "property_register"),
    ],
)
def test_the_right_article_ranks_first(library: Library, query: str, expected: str):
    """What citizens actually type finds the article on their matter first."""
    hits = articles_search(query)
    assert hits, query
    assert hits[0].article == getattr(library, expected), [h.article.title for h in hits]
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))
    assert all(hit.score > 0 for hit in hits)


@pytest.mark.parametrize("query", ["", "   ", "怎么办？", "请问一下"])
def test_an_empty_query_finds_nothing(library: Library, query: str):
    """Blank text or only question words: no hits, rather than every article."""
    assert articles_search(query) == []


def test_unrelated_words_find_nothing(library: Library):
    """A query sharing no word with any article has no hits."""
    assert articles_search("火星探测器") == []


def test_the_snippet_is_the_answer_around_the_first_hit(library: Library):
    """The snippet comes from the body, contains the word asked, and fits in 120 characters."""
    hit = articles_search("营业执照")[0]
    assert len(hit.snippet) <= SNIPPET_LENGTH
    assert "营业执照" in hit.snippet
    assert hit.snippet.replace("…", "") in " ".join(hit.article.body.split())


def test_the_category_filter_includes_the_categories_below(library: Library):
    """Filtering by 政务服务 keeps its own article and that of 市场主体 below it, only."""
    found = {hit.article for hit in articles_search("办理 查询 登记", category=library.government)}
    assert library.licence in found and library.property_register in found
    assert found <= {library.licence, library.property_register}
    assert category_and_descendants(library.government) == {
        library.government.pk,
        library.business.pk,
    }
    assert _titles("营业执照", category=library.social) == []


def test_withdrawn_articles_are_hidden_unless_asked_for(hotline: Hotline, library: Library):
    """Citizens never see a withdrawn article; the management page may include it."""
    article_withdraw(actor=hotline.operator, article=library.licence)
    assert library.licence.title not in _titles("营业执照")
    assert _titles("营业执照", include_withdrawn=True)[0] == library.licence.title


def test_limit_caps_the_hits(library: Library):
    """At most ``limit`` hits, the best ones."""
    everything = articles_search("身份证 办理 查询 网点 窗口", limit=10)
    assert len(everything) > 2
    two = articles_search("身份证 办理 查询 网点 窗口", limit=2)
    assert [h.article for h in two] == [h.article for h in everything[:2]]
    assert articles_search("营业执照", limit=0) == []


def test_an_edit_is_searchable_at_once_even_at_the_same_instant(hotline: Hotline, library: Library):
    """The cached word counts follow the article's text, not only its timestamp: a new body
    is found by the next search, and the old words no longer find it."""
    assert library.noise in {h.article for h in articles_search("噪音")}
    article_update(actor=hotline.operator, article=library.noise, body="渣土车沿街撒漏请反映。")
    article_update(actor=hotline.operator, article=library.noise, title="渣土车撒漏", keywords="")
    assert articles_search("渣土车")[0].article == library.noise
    assert library.noise not in {h.article for h in articles_search("夜间施工")}


def test_the_search_costs_two_queries(library: Library, django_assert_num_queries):
    """One query for the candidates' words, one for the hits' rows; none per article."""
    articles_search("营业执照")  # warm the word counts
    with django_assert_num_queries(2):
        hits = articles_search("身份证 办理")
        assert [h.article.category for h in hits]  # loaded with the hits
    with django_assert_num_queries(3):  # plus the category tree
        articles_search("身份证", category=library.government)


def test_the_management_list_is_for_editors(hotline: Hotline, library: Library):
    """Operators and the office list every article; a department head is refused."""
    article_withdraw(actor=hotline.operator, article=library.fund)
    every = list(articles_list(hotline.operator))
    assert len(every) == 5
    assert list(articles_list(hotline.office, state="withdrawn")) == [library.fund]
    assert library.fund not in list(articles_list(hotline.office, state="published"))
    searched = articles_list(hotline.operator, query="公积金")
    assert next(iter(searched)) == library.fund
    social = TicketCategory.objects.get(code="social")
    assert set(articles_list(hotline.operator, category=social)) == {
        library.fund,
        library.social_card,
    }
    with pytest.raises(PermissionDenied):
        articles_list(hotline.head)


def test_one_article_for_the_editors(hotline: Hotline, library: Library):
    """An editor reads any article; a missing id is NotFound, a citizen PermissionDenied."""
    assert article_for_editor(hotline.operator, library.fund.pk) == library.fund
    with pytest.raises(NotFound):
        article_for_editor(hotline.operator, 999_999)
    with pytest.raises(PermissionDenied):
        article_for_editor(hotline.citizen, library.fund.pk)
