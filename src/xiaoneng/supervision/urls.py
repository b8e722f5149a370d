"""Pages of the supervision room, mounted under /office/: each module lists its own routes."""

from django.urls import URLPattern, URLResolver

from xiaoneng.supervision.views import accountability, tasks, warnings

app_name = "supervision"

urlpatterns: list[URLPattern | URLResolver] = [
    *warnings.urlpatterns,
    *tasks.urlpatterns,
    *accountability.urlpatterns,
]
