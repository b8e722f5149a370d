"""Inbox API routes, included under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from xiaoneng.notifications import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("messages/", api.MessageListApi.as_view(), name="notifications-api-message-list"),
    path(
        "messages/<int:pk>/read/",
        api.MessageReadApi.as_view(),
        name="notifications-api-message-read",
    ),
]
