"""Knowledge-base pages of the 12345 hotline (知识库, issue 5 §4), for operators and the office.

``knowledge/`` lists and searches every article (published and withdrawn); ``knowledge/new/``
adds one; ``knowledge/<pk>/`` edits one, and withdraws or publishes it again. Views only parse
the form, check access through
:func:`~xiaoneng.hotline.selectors.knowledge.require_article_editor` (403 for anyone else) and
call one service; a refused change comes back to the page as a message in the user's
language, with what was typed kept.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from xiaoneng.accounts.models import Department
from xiaoneng.core.errors import InvalidInput, NotFound, PermissionDenied, XiaonengError
from xiaoneng.hotline.models import Article, TicketCategory
from xiaoneng.hotline.selectors import knowledge as selectors
from xiaoneng.hotline.services import knowledge as services

STATES = ("published", "withdrawn")


def _require_editor(request: HttpRequest) -> None:
    try:
        selectors.require_article_editor(request.user)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from None


def category_choices() -> list[tuple[str, str]]:
    """``(code, "parent › name")`` of every category, by code, for the select boxes."""
    rows = list(TicketCategory.objects.values_list("pk", "code", "name", "parent_id"))
    names = {pk: (name, parent_id) for pk, _code, name, parent_id in rows}

    def label(pk: int) -> str:
        parts: list[str] = []
        seen: set[int] = set()
        current: int | None = pk
        while current is not None and current not in seen and current in names:
            seen.add(current)
            name, current = names[current]
            parts.append(name)
        return " › ".join(reversed(parts))

    return sorted(((code, label(pk)) for pk, code, _name, _parent in rows), key=lambda c: c[0])


def _by_code(model: type[Any], raw: str, field: str, unknown: str) -> Any:
    """The row of ``model`` with this code; ``None`` for no code; a 400 naming ``field``
    (``unknown``: the message, with ``%(code)s``, in the user's language)."""
    if not raw:
        return None
    found = model.objects.filter(code=raw).first()
    if found is None:
        raise InvalidInput(unknown % {"code": raw}, details={"field": field})
    return found


def _category(code: str) -> TicketCategory | None:
    unknown = _("category: no category with code %(code)s.")
    return _by_code(TicketCategory, code, "category", unknown)  # type: ignore[no-any-return]


def _department(raw: str) -> Department | None:
    unknown = _("department: no department with code %(code)s.")
    return _by_code(Department, raw, "department", unknown)  # type: ignore[no-any-return]


def _safe_next(request: HttpRequest) -> str | None:
    # Back to the list the button was pressed on (its filters kept); only the list itself, so
    # the parameter cannot send anyone elsewhere.
    target = request.POST.get("next", "")
    base = reverse("hotline:knowledge")
    if target == base or target.startswith(base + "?"):
        return target
    return None


def _form_context(values: dict[str, Any], article: Article | None) -> dict[str, Any]:
    return {
        "values": values,
        "article": article,
        "categories": category_choices(),
        # An article may keep a department that has since closed: it stays selectable there.
        "departments": Department.objects.filter(
            Q(active=True) | Q(pk=getattr(article, "department_id", None))
        ).order_by("code"),
        "title_max": services.TITLE_MAX,
        "keywords_max": services.KEYWORDS_MAX,
    }


def _values(request: HttpRequest) -> dict[str, str]:
    return {
        "title": request.POST.get("title", ""),
        "body": request.POST.get("body", ""),
        "keywords": request.POST.get("keywords", ""),
        "category": request.POST.get("category", "").strip(),
        "department": request.POST.get("department", "").strip(),
    }


@login_required
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    """Every article, with a search box (ranked as the public search ranks), a category and a
    published/withdrawn filter, and the buttons to withdraw or publish each."""
    _require_editor(request)
    values = {
        "q": request.GET.get("q", "").strip()[: selectors.QUERY_MAX],
        "category": request.GET.get("category", "").strip(),
        "state": request.GET.get("state", "").strip(),
    }
    problems = []
    category = None
    try:
        category = _category(values["category"])
    except InvalidInput as exc:
        problems.append(exc.message)
    if values["state"] and values["state"] not in STATES:
        problems.append(
            _("state: expected one of %(states)s, got %(value)r.")
            % {"states": ", ".join(STATES), "value": values["state"]}
        )
        values["state"] = ""
    articles = list(
        selectors.articles_list(
            request.user, query=values["q"], category=category, state=values["state"]
        )
    )
    return render(
        request,
        "hotline/knowledge_list.html",
        {
            "values": values,
            "errors": problems,
            "articles": articles,
            "categories": category_choices(),
            "states": [("published", _("Published")), ("withdrawn", _("Withdrawn"))],
            "here": request.get_full_path(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def article_create(request: HttpRequest) -> HttpResponse:
    """Add an article: title, answer, keywords, category and department."""
    _require_editor(request)
    values = {"title": "", "body": "", "keywords": "", "category": "", "department": ""}
    if request.method == "POST":
        values = _values(request)
        try:
            article = services.article_create(
                actor=request.user,
                title=values["title"],
                body=values["body"],
                keywords=values["keywords"],
                category=_category(values["category"]),
                department=_department(values["department"]),
            )
        except XiaonengError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Article “%(title)s” published.") % {"title": article.title}
            )
            return HttpResponseRedirect(reverse("hotline:knowledge_edit", args=[article.pk]))
    return render(request, "hotline/knowledge_form.html", _form_context(values, None))


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit an article (``action=save``), or withdraw / publish it (``action=withdraw`` or
    ``publish``, also from the list's buttons, which send ``next`` to come back to it)."""
    _require_editor(request)
    try:
        article = selectors.article_for_editor(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None
    values = {
        "title": article.title,
        "body": article.body,
        "keywords": article.keywords,
        "category": article.category.code if article.category else "",
        "department": article.department.code if article.department else "",
    }
    if request.method == "POST":
        action = request.POST.get("action", "save")
        back = _safe_next(request) or reverse("hotline:knowledge_edit", args=[article.pk])
        try:
            if action == "withdraw":
                services.article_withdraw(actor=request.user, article=article)
                messages.success(request, _("Article withdrawn: citizens no longer see it."))
                return HttpResponseRedirect(back)
            if action == "publish":
                services.article_publish(actor=request.user, article=article)
                messages.success(request, _("Article published again."))
                return HttpResponseRedirect(back)
            if action != "save":
                raise InvalidInput(
                    _("action: expected save, withdraw or publish, got %(value)r.")
                    % {"value": action}
                )
            values = _values(request)
            services.article_update(
                actor=request.user,
                article=article,
                title=values["title"],
                body=values["body"],
                keywords=values["keywords"],
                category=_category(values["category"]),
                department=_department(values["department"]),
            )
        except XiaonengError as exc:
            messages.error(request, exc.message)
            if action != "save":
                return HttpResponseRedirect(back)
        else:
            messages.success(request, _("Article saved."))
            return HttpResponseRedirect(reverse("hotline:knowledge_edit", args=[article.pk]))
    return render(request, "hotline/knowledge_form.html", _form_context(values, article))
