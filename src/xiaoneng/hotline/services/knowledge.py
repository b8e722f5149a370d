"""Every write of the hotline knowledge base (知识库, issue 5 §4; DOMAIN_RULES.md §7).

The knowledge base holds the answers the operators give on the call (直办, "answered at
once where possible") and that citizens read on the web form before they submit. Only the
hotline operators and the efficiency office (:func:`~xiaoneng.hotline.services.tickets.is_operator`)
write it. Each service is keyword-only with ``actor``, owns its transaction, rebuilds
``Article.search_text`` (:func:`xiaoneng.hotline.search_rules.build_search_text`) so that a
search never segments the articles, and writes an audit event ``hotline.article_<verb>``.

An article is never deleted: it is withdrawn (``active`` false, hidden from citizens and the
search) and may be published again, so an answer once given can still be read.
"""

from __future__ import annotations

from types import EllipsisType
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.accounts.models import Department
from xiaoneng.core.errors import Conflict, InvalidInput, PermissionDenied
from xiaoneng.core.services import audit_record
from xiaoneng.hotline.models import Article, TicketCategory
from xiaoneng.hotline.search_rules import build_search_text
from xiaoneng.hotline.services.tickets import is_operator

TITLE_MAX = Article._meta.get_field("title").max_length or 200
KEYWORDS_MAX = Article._meta.get_field("keywords").max_length or 300

# -- checks ----------------------------------------------------------------------------------


def may_edit_articles(user: Any) -> bool:
    """Who writes the knowledge base: hotline operators and the efficiency office."""
    return is_operator(user)


def _require_editor(actor: Any) -> None:
    if not may_edit_articles(actor):
        raise PermissionDenied(
            _("Only hotline operators and the efficiency office may edit the knowledge base.")
        )


def _clean_title(title: str) -> str:
    text = " ".join((title or "").split())
    if not text:
        raise InvalidInput(
            _("title: a title is required, got an empty text."), details={"field": "title"}
        )
    if len(text) > TITLE_MAX:
        raise InvalidInput(
            _("title: expected at most %(max)d characters, got %(n)d.")
            % {"max": TITLE_MAX, "n": len(text)},
            details={"field": "title", "max_length": TITLE_MAX, "length": len(text)},
        )
    return text


def _clean_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise InvalidInput(
            _("body: the answer is required, got an empty text."), details={"field": "body"}
        )
    return text


def _clean_keywords(keywords: str) -> str:
    text = " ".join((keywords or "").split())
    if len(text) > KEYWORDS_MAX:
        raise InvalidInput(
            _("keywords: expected at most %(max)d characters, got %(n)d.")
            % {"max": KEYWORDS_MAX, "n": len(text)},
            details={"field": "keywords", "max_length": KEYWORDS_MAX, "length": len(text)},
        )
    return text


def _check_category(category: Any) -> TicketCategory | None:
    if category is not None and not isinstance(category, TicketCategory):
        raise InvalidInput(
            _("category: expected a ticket category or none, got %(value)r.") % {"value": category},
            details={"field": "category"},
        )
    return category


def _check_department(department: Any) -> Department | None:
    if department is None:
        return None
    if not isinstance(department, Department):
        raise InvalidInput(
            _("department: expected a department or none, got %(value)r.") % {"value": department},
            details={"field": "department"},
        )
    if not department.active:
        raise InvalidInput(
            _("department: %(name)s is no longer active; choose an active department.")
            % {"name": department.name},
            details={"field": "department", "value": department.code},
        )
    return department


def _index(article: Article) -> None:
    article.search_text = build_search_text(
        title=article.title, keywords=article.keywords, body=article.body
    )


def _snapshot(article: Article) -> dict[str, Any]:
    return {
        "title": article.title,
        "category": article.category.code if article.category is not None else None,
        "department": article.department.code if article.department is not None else None,
        "keywords": article.keywords,
        "body_length": len(article.body),
        "active": article.active,
    }


# -- services --------------------------------------------------------------------------------


def article_create(
    *,
    actor: Any,
    title: str,
    body: str,
    category: TicketCategory | None = None,
    keywords: str = "",
    department: Department | None = None,
) -> Article:
    """Publish a new knowledge-base article (issue 5 §4).

    Args:
        actor: a hotline operator or the efficiency office.
        title: the question or matter, at most 200 characters ("营业执照怎么办理").
        body: the answer, required.
        category: where it sits in the ticket category tree, or ``None``.
        keywords: other words people use for the matter, spaces or commas between.
        department: the department whose answer it is (must be active), or ``None``.

    Returns:
        The article, published, with its ``search_text`` built.

    Raises:
        PermissionDenied: the actor is not an operator or the office.
        InvalidInput: an empty or too long title, an empty body, too long keywords, an
            inactive department.
    """
    _require_editor(actor)
    article = Article(
        title=_clean_title(title),
        body=_clean_body(body),
        keywords=_clean_keywords(keywords),
        category=_check_category(category),
        department=_check_department(department),
        active=True,
        updated_at=timezone.now(),
        updated_by=actor,
    )
    _index(article)
    article.full_clean()
    with transaction.atomic():
        article.save()
        audit_record(
            actor=actor,
            action="hotline.article_create",
            target=article,
            summary=f"Knowledge-base article created: {article.title}",
            data=_snapshot(article),
        )
    return article


def article_update(
    *,
    actor: Any,
    article: Article,
    title: str | None = None,
    body: str | None = None,
    category: TicketCategory | EllipsisType | None = ...,
    keywords: str | None = None,
    department: Department | EllipsisType | None = ...,
) -> Article:
    """Change an article; what is not passed stays as it is.

    ``title``, ``body`` and ``keywords`` are left alone when ``None``; ``category`` and
    ``department`` when ``...`` (``None`` clears them). The search text is rebuilt and the
    audit event records what changed, before and after.

    Raises:
        PermissionDenied: the actor is not an operator or the office.
        InvalidInput: as for :func:`article_create`.
    """
    _require_editor(actor)
    with transaction.atomic():
        # Lock the article's row only: PostgreSQL cannot lock the nullable side of the joins.
        locked = Article.objects.select_for_update(of=("self",))
        row = locked.select_related("category", "department").get(pk=article.pk)
        before = _snapshot(row)
        if title is not None:
            row.title = _clean_title(title)
        if body is not None:
            row.body = _clean_body(body)
        if keywords is not None:
            row.keywords = _clean_keywords(keywords)
        if not isinstance(category, EllipsisType):
            row.category = _check_category(category)
        # An article may keep a department that has since closed; a new one must be active.
        if not isinstance(department, EllipsisType) and (
            department is None or department.pk != row.department_id
        ):
            row.department = _check_department(department)
        _index(row)
        row.updated_at = timezone.now()
        row.updated_by = actor
        row.full_clean()
        row.save()
        after = _snapshot(row)
        changed = sorted(k for k in after if before[k] != after[k])
        audit_record(
            actor=actor,
            action="hotline.article_update",
            target=row,
            summary=f"Knowledge-base article updated: {row.title}",
            data={"changed": changed, "before": before, "after": after},
        )
    return row


def _set_active(*, actor: Any, article: Article, active: bool) -> Article:
    _require_editor(actor)
    with transaction.atomic():
        row = Article.objects.select_for_update().get(pk=article.pk)
        if row.active == active:
            raise Conflict(
                _("The article is already published.")
                if active
                else _("The article is already withdrawn."),
                details={"active": row.active},
            )
        row.active = active
        row.updated_at = timezone.now()
        row.updated_by = actor
        row.save(update_fields=["active", "updated_at", "updated_by"])
        verb = "publish" if active else "withdraw"
        audit_record(
            actor=actor,
            action=f"hotline.article_{verb}",
            target=row,
            summary=f"Knowledge-base article {verb}: {row.title}",
            data={"active": active},
        )
    return row


def article_withdraw(*, actor: Any, article: Article) -> Article:
    """Withdraw an article: citizens and the search no longer see it; nothing is deleted.

    Raises:
        PermissionDenied: the actor is not an operator or the office.
        Conflict: the article is withdrawn already.
    """
    return _set_active(actor=actor, article=article, active=False)


def article_publish(*, actor: Any, article: Article) -> Article:
    """Publish a withdrawn article again.

    Raises:
        PermissionDenied: the actor is not an operator or the office.
        Conflict: the article is published already.
    """
    return _set_active(actor=actor, article=article, active=True)
