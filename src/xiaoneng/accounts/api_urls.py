"""Accounts API routes, included under /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from xiaoneng.accounts import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/token/", api.ApiTokenApi.as_view(), name="accounts-api-token"),
    path("auth/me/", api.MeApi.as_view(), name="accounts-api-me"),
]
