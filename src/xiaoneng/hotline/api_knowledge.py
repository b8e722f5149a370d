"""The knowledge-base API of the 12345 hotline (知识库, issue 5 §4), under /api/v1/.

* ``GET hotline/articles/?q=&category=`` — **public** (anonymous allowed): the published
  articles that best answer ``q``; the citizen web form calls it as the citizen types, the
  operator console as the operator searches. Lightly throttled for anonymous callers (setting
  ``HOTLINE_ARTICLE_SEARCH_RATE``, default ``"300/min"`` per address; ``None`` switches it
  off).
* ``GET hotline/articles/<id>/`` — a published article to anyone; a withdrawn one only to
  the editors (others get 404, as for a missing one).
* ``POST hotline/articles/``, ``PATCH hotline/articles/<id>/``,
  ``POST hotline/articles/<id>/withdraw/`` and ``…/publish/`` — hotline operators and the
  efficiency office (others 403, anonymous 401); the services decide who may write.

Errors answer in the one shape ``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from xiaoneng.core.api import ErrorSerializer
from xiaoneng.core.errors import NotFound
from xiaoneng.hotline.api_common import category_by_code, department_by_code, valid
from xiaoneng.hotline.models import Article
from xiaoneng.hotline.selectors import knowledge as selectors
from xiaoneng.hotline.services import knowledge as services

TAGS = ["hotline"]
DEFAULT_SEARCH_RATE = "300/min"
SEARCH_LIMIT_MAX = 20

ERRORS: dict[int | tuple[int, str], Any] = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input; the message names the field."),
    401: OpenApiResponse(ErrorSerializer, description="Not signed in."),
    403: OpenApiResponse(
        ErrorSerializer, description="Not a hotline operator or the efficiency office."
    ),
    404: OpenApiResponse(ErrorSerializer, description="No such article that you may see."),
    409: OpenApiResponse(ErrorSerializer, description="Already withdrawn / already published."),
}


class ArticleSearchThrottle(AnonRateThrottle):
    """Anonymous searches per client address; signed-in staff are not throttled."""

    scope = "hotline_article_search"

    def get_rate(self) -> str | None:
        return getattr(settings, "HOTLINE_ARTICLE_SEARCH_RATE", DEFAULT_SEARCH_RATE)


# -- shapes ----------------------------------------------------------------------------------


class ArticleCategorySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Category code (分类编码).")
    name = serializers.CharField()


class ArticleDepartmentSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Department code (部门编码).")
    name = serializers.CharField()


def _category(article: Article) -> dict[str, str] | None:
    category = article.category
    return None if category is None else {"code": category.code, "name": category.name}


class ArticleHitSerializer(serializers.Serializer):
    """One search hit: the article, the part of its answer around the words asked, a score."""

    id = serializers.IntegerField(source="article.pk")
    title = serializers.CharField(source="article.title")
    snippet = serializers.CharField(help_text="The answer around the first word asked, ≤120.")
    body = serializers.CharField(source="article.body", help_text="The whole answer.")
    category = serializers.SerializerMethodField()
    score = serializers.FloatField(help_text="BM25 relevance (> 0); higher is better.")

    @extend_schema_field(ArticleCategorySerializer(allow_null=True))
    def get_category(self, hit: selectors.ArticleHit) -> dict[str, str] | None:
        return _category(hit.article)


class ArticleSerializer(serializers.ModelSerializer[Article]):
    """A knowledge-base article as the editors see it."""

    category = serializers.SerializerMethodField()
    department = serializers.SerializerMethodField()
    published = serializers.BooleanField(source="active")

    class Meta:
        model = Article
        fields = [
            "id",
            "title",
            "body",
            "keywords",
            "category",
            "department",
            "published",
            "updated_at",
        ]

    @extend_schema_field(ArticleCategorySerializer(allow_null=True))
    def get_category(self, article: Article) -> dict[str, str] | None:
        return _category(article)

    @extend_schema_field(ArticleDepartmentSerializer(allow_null=True))
    def get_department(self, article: Article) -> dict[str, str] | None:
        dept = article.department
        return None if dept is None else {"code": dept.code, "name": dept.name}


class ArticleSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=True)
    category = serializers.CharField(required=False, allow_blank=True, default="")
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=SEARCH_LIMIT_MAX, default=5
    )


class ArticleWriteSerializer(serializers.Serializer):
    title = serializers.CharField(
        max_length=services.TITLE_MAX, help_text="The matter or question, ≤200 characters."
    )
    body = serializers.CharField(help_text="The answer.")
    keywords = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=services.KEYWORDS_MAX,
        help_text="Other words people use, spaces or commas between.",
    )
    category = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="Category code, or null."
    )
    department = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="Department code, or null."
    )


def _article(pk: int) -> Article:
    article = Article.objects.select_related("category", "department").filter(pk=pk).first()
    if article is None:
        raise NotFound(_("No knowledge-base article has the id %(id)s.") % {"id": pk})
    return article


# -- views -----------------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class ArticleListApi(APIView):
    """Search the published articles (anyone); add an article (operators and the office)."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    def get_throttles(self) -> list[Any]:
        # Only the public search is throttled; the editors' writes are few.
        return [ArticleSearchThrottle()] if self.request.method == "GET" else []

    @extend_schema(
        auth=[],
        parameters=[
            OpenApiParameter(
                "q", str, description="What was typed; first 200 characters. Empty: no hits."
            ),
            OpenApiParameter(
                "category", str, description="A category code: that category and below."
            ),
            OpenApiParameter("limit", int, description="At most this many hits (1–20, 5)."),
        ],
        responses={
            200: ArticleHitSerializer(many=True),
            400: ERRORS[400],
            429: OpenApiResponse(ErrorSerializer, description="Too many searches; wait."),
        },
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        query = valid(
            ArticleSearchQuerySerializer,
            {
                key: params[key]
                for key in ("q", "category", "limit")
                if key in params and params[key] != ""
            },
        )
        hits = selectors.articles_search(
            query["q"][: selectors.QUERY_MAX],
            category=category_by_code(query["category"]),
            limit=query["limit"],
        )
        return Response(ArticleHitSerializer(hits, many=True).data)

    @extend_schema(
        request=ArticleWriteSerializer,
        responses={201: ArticleSerializer, **{k: ERRORS[k] for k in (400, 401, 403)}},
    )
    def post(self, request: Request) -> Response:
        # Refused before the input is read: a citizen learns nothing about the fields.
        selectors.require_article_editor(request.user)
        data = valid(ArticleWriteSerializer, request.data)
        article = services.article_create(
            actor=request.user,
            title=data["title"],
            body=data["body"],
            keywords=data.get("keywords", ""),
            category=category_by_code(data.get("category")),
            department=department_by_code(data.get("department")),
        )
        return Response(ArticleSerializer(article).data, status=201)


@extend_schema(tags=TAGS)
class ArticleDetailApi(APIView):
    """One article: published ones to anyone; the editors change it with PATCH."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(auth=[], responses={200: ArticleSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        article = _article(pk)
        if not article.active and not services.may_edit_articles(request.user):
            raise NotFound(_("No knowledge-base article has the id %(id)s.") % {"id": pk})
        return Response(ArticleSerializer(article).data)

    @extend_schema(
        request=ArticleWriteSerializer(partial=True),
        responses={200: ArticleSerializer, **{k: ERRORS[k] for k in (400, 401, 403, 404)}},
    )
    def patch(self, request: Request, pk: int) -> Response:
        selectors.require_article_editor(request.user)
        article = _article(pk)
        data = valid(ArticleWriteSerializer, request.data, partial=True)
        changes: dict[str, Any] = {
            key: data[key] for key in ("title", "body", "keywords") if key in data
        }
        if "category" in data:
            changes["category"] = category_by_code(data["category"])
        if "department" in data:
            changes["department"] = department_by_code(data["department"])
        article = services.article_update(actor=request.user, article=article, **changes)
        return Response(ArticleSerializer(article).data)


class _ArticleStateApi(APIView):
    permission_classes = [IsAuthenticated]
    publish = False

    def post(self, request: Request, pk: int) -> Response:
        selectors.require_article_editor(request.user)
        article = _article(pk)
        change = services.article_publish if self.publish else services.article_withdraw
        article = change(actor=request.user, article=article)
        return Response(ArticleSerializer(article).data)


_STATE_SCHEMA = extend_schema(
    tags=TAGS,
    request=None,
    responses={200: ArticleSerializer, **{k: ERRORS[k] for k in (401, 403, 404, 409)}},
)


class ArticleWithdrawApi(_ArticleStateApi):
    """Withdraw an article: hidden from citizens and the search; nothing is deleted."""

    @_STATE_SCHEMA
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class ArticlePublishApi(_ArticleStateApi):
    """Publish a withdrawn article again."""

    publish = True

    @_STATE_SCHEMA
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


urlpatterns: list[URLPattern | URLResolver] = [
    path("hotline/articles/", ArticleListApi.as_view(), name="hotline-api-article-list"),
    path(
        "hotline/articles/<int:pk>/",
        ArticleDetailApi.as_view(),
        name="hotline-api-article-detail",
    ),
    path(
        "hotline/articles/<int:pk>/withdraw/",
        ArticleWithdrawApi.as_view(),
        name="hotline-api-article-withdraw",
    ),
    path(
        "hotline/articles/<int:pk>/publish/",
        ArticlePublishApi.as_view(),
        name="hotline-api-article-publish",
    ),
]
