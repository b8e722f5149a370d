"""Writing the knowledge base: who may, what is checked, the search text, the audit trail."""

from __future__ import annotations

import pytest

from tests.clocks.factories import DepartmentFactory
from tests.hotline.conftest import Hotline
from xiaoneng.core.errors import Conflict, InvalidInput, PermissionDenied
from xiaoneng.core.models import AuditEvent
from xiaoneng.hotline.models import Article, TicketCategory
from xiaoneng.hotline.search_rules import build_search_text, segment
from xiaoneng.hotline.services.knowledge import (
    article_create,
    article_publish,
    article_update,
    article_withdraw,
)

pytestmark = pytest.mark.django_db


def _create(actor, **kwargs) -> Article:  # type: ignore[no-untyped-def]
    values = {"title": "社保卡丢失如何补办", "body": "携带身份证到社保卡服务网点补办。"}
    values.update(kwargs)
    return article_create(actor=actor, **values)


def _audits(article: Article) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_id=str(article.pk), action__startswith="hotline.article_")
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_an_operator_publishes_an_article_with_its_search_text(hotline: Hotline):
    """The article is published at once, its search text is the segmented title (twice),
    keywords and body, and an audit event records who wrote it."""
    category = TicketCategory.objects.create(code="social", name="社会保障")
    article = _create(
        hotline.operator, keywords="挂失, 补卡", category=category, department=hotline.department
    )
    article.refresh_from_db()
    assert article.active is True
    assert article.category == category and article.department == hotline.department
    assert article.updated_by == hotline.operator
    assert article.search_text == build_search_text(
        title=article.title, keywords=article.keywords, body=article.body
    )
    assert set(segment("社保卡补办")) <= set(article.search_text.split())
    assert _audits(article) == ["hotline.article_create"]


def test_the_office_may_write_the_knowledge_base(hotline: Hotline):
    """The efficiency office edits the knowledge base like an operator."""
    assert _create(hotline.office).pk is not None


@pytest.mark.parametrize("who", ["head", "window", "citizen"])
def test_others_may_not_write_the_knowledge_base(hotline: Hotline, who: str):
    """Department staff and citizens are refused, with the reason; nothing is written."""
    with pytest.raises(PermissionDenied, match="operators and the efficiency office"):
        _create(getattr(hotline, who))
    assert not Article.objects.exists()


def test_anonymous_may_not_write(hotline: Hotline):
    """No actor, no article."""
    with pytest.raises(PermissionDenied):
        _create(None)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"title": "  "}, "title: a title is required, got an empty text."),
        ({"title": "长" * 201}, "title: expected at most 200 characters, got 201."),
        ({"body": "\n "}, "body: the answer is required, got an empty text."),
        ({"keywords": "词" * 301}, "keywords: expected at most 300 characters, got 301."),
    ],
)
def test_bad_input_is_refused_with_what_was_expected(hotline: Hotline, values, message):
    """Each rule's message says what was expected and what arrived."""
    with pytest.raises(InvalidInput) as caught:
        _create(hotline.operator, **values)
    assert caught.value.message == message
    assert not Article.objects.exists()


def test_a_title_of_exactly_200_characters_is_fine(hotline: Hotline):
    """The limit is inclusive; blanks inside the title are collapsed."""
    article = _create(hotline.operator, title="长" * 198 + "  短")
    assert len(article.title) == 200  # the two blanks became one
    assert article.title.endswith("长 短")


def test_an_inactive_department_is_refused(hotline: Hotline):
    """A new answer cannot name a department that has closed."""
    closed = DepartmentFactory(name="已撤销局", active=False)
    with pytest.raises(InvalidInput, match="no longer active"):
        _create(hotline.operator, department=closed)


def test_update_changes_only_what_is_given_and_rebuilds_the_search_text(hotline: Hotline):
    """A new body re-segments the article; title, keywords and category stay; the audit event
    lists what changed."""
    category = TicketCategory.objects.create(code="social", name="社会保障")
    article = _create(hotline.operator, category=category, keywords="挂失")
    updated = article_update(
        actor=hotline.office, article=article, body="可在手机上申领电子社保卡。"
    )
    assert updated.title == article.title and updated.keywords == "挂失"
    assert updated.category == category
    assert "电子" in updated.search_text.split()
    assert "身份证" not in updated.search_text.split()
    assert updated.updated_by == hotline.office
    event = AuditEvent.objects.filter(action="hotline.article_update").get()
    assert event.data["changed"] == ["body_length"]
    assert _audits(article) == ["hotline.article_create", "hotline.article_update"]


def test_update_may_clear_the_category_and_department(hotline: Hotline):
    """``None`` clears a category or department; ``...`` (the default) keeps it."""
    category = TicketCategory.objects.create(code="social", name="社会保障")
    article = _create(hotline.operator, category=category, department=hotline.department)
    kept = article_update(actor=hotline.operator, article=article, title="社保卡补办")
    assert kept.category == category and kept.department == hotline.department
    cleared = article_update(
        actor=hotline.operator, article=article, category=None, department=None
    )
    assert cleared.category is None and cleared.department is None


def test_an_article_keeps_a_department_that_has_since_closed(hotline: Hotline):
    """Editing other fields of an article whose department closed is allowed."""
    article = _create(hotline.operator, department=hotline.other)
    hotline.other.active = False
    hotline.other.save()
    updated = article_update(
        actor=hotline.operator, article=article, department=hotline.other, title="新标题"
    )
    assert updated.department == hotline.other and updated.title == "新标题"


def test_update_refuses_others_and_bad_input(hotline: Hotline):
    """The same rules as on creation; a refused update changes nothing."""
    article = _create(hotline.operator)
    with pytest.raises(PermissionDenied):
        article_update(actor=hotline.head, article=article, title="x")
    with pytest.raises(InvalidInput, match="title"):
        article_update(actor=hotline.operator, article=article, title="")
    article.refresh_from_db()
    assert article.title == "社保卡丢失如何补办"


def test_withdraw_and_publish_again(hotline: Hotline):
    """Withdrawing hides, publishing shows again; doing either twice is a conflict."""
    article = _create(hotline.operator)
    assert article_withdraw(actor=hotline.operator, article=article).active is False
    with pytest.raises(Conflict, match="already withdrawn"):
        article_withdraw(actor=hotline.operator, article=article)
    assert article_publish(actor=hotline.office, article=article).active is True
    with pytest.raises(Conflict, match="already published"):
        article_publish(actor=hotline.operator, article=article)
    assert _audits(article) == [
        "hotline.article_create",
        "hotline.article_withdraw",
        "hotline.article_publish",
    ]


def test_staff_may_not_withdraw(hotline: Hotline):
    """Withdrawing is the editors' too."""
    article = _create(hotline.operator)
    with pytest.raises(PermissionDenied):
        article_withdraw(actor=hotline.window, article=article)
    article.refresh_from_db()
    assert article.active is True
