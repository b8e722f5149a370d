"""REST API for accountability; routes listed here are mounted under /api/v1/ by ../api_urls.py."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
