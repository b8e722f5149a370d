"""REST API of the supervision room, mounted under /api/v1/: each module lists its own routes."""

from django.urls import URLPattern, URLResolver

from xiaoneng.supervision.api import accountability, tasks, warnings

urlpatterns: list[URLPattern | URLResolver] = [
    *warnings.urlpatterns,
    *tasks.urlpatterns,
    *accountability.urlpatterns,
]
