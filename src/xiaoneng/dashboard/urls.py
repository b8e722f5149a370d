"""Pages of the efficiency office's dashboard, mounted under /office/."""

from django.urls import URLPattern, URLResolver, path, re_path

from xiaoneng.dashboard import views

app_name = "dashboard"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard_home, name="home"),
    path("departments/<str:code>/late/", views.department_late, name="department-late"),
    re_path(
        r"^reports/monthly/(?P<month>[0-9]{4}-[0-9]{2})\.(?P<fmt>pdf|xlsx)$",
        views.bulletin_download,
        name="bulletin",
    ),
]
