"""Rectification API routes, included under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from xiaoneng.ratings import api

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "rectifications/",
        api.RectificationListApi.as_view(),
        name="ratings-api-rectification-list",
    ),
    path(
        "rectifications/<int:pk>/",
        api.RectificationDetailApi.as_view(),
        name="ratings-api-rectification-detail",
    ),
    path(
        "rectifications/<int:pk>/return-visit/",
        api.RectificationReturnVisitApi.as_view(),
        name="ratings-api-rectification-return-visit",
    ),
    path(
        "rectifications/<int:pk>/complete/",
        api.RectificationCompleteApi.as_view(),
        name="ratings-api-rectification-complete",
    ),
]
