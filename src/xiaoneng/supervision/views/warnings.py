"""Pages for warnings; routes listed here are mounted under /office/ by ../urls.py."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
