"""Catalog API routes, included under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from xiaoneng.catalog import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("matters/", api.MatterListApi.as_view(), name="catalog-api-matter-list"),
    path("matters/<str:code>/", api.MatterDetailApi.as_view(), name="catalog-api-matter-detail"),
    path(
        "matters/<str:code>/versions/",
        api.MatterVersionListApi.as_view(),
        name="catalog-api-matter-versions",
    ),
    path(
        "matters/<str:code>/versions/compare/",
        api.MatterVersionCompareApi.as_view(),
        name="catalog-api-matter-compare",
    ),
]
