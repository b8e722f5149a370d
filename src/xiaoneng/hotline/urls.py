"""Hotline pages: the citizen form and lookup, the operator console, the department queue,
the return visits and the knowledge base (to be filled in this session)."""

from django.urls import URLPattern, URLResolver

app_name = "hotline"

urlpatterns: list[URLPattern | URLResolver] = []
