"""Pages: the applicant's portal and the staff workbench."""

from django.urls import URLPattern, URLResolver, path

from xiaoneng.applications import views

app_name = "applications"

urlpatterns: list[URLPattern | URLResolver] = [
    path("apply/<str:code>/", views.apply, name="apply"),
    path("my/applications/", views.my_applications, name="mine"),
    path("applications/<uuid:pk>/", views.detail, name="detail"),
    path("applications/<uuid:pk>/act/<str:action>/", views.act, name="act"),
    path("applications/<uuid:pk>/upload/", views.upload, name="upload"),
    path("applications/<uuid:pk>/commit/", views.commit, name="commit"),
    path("applications/<uuid:pk>/rate/", views.rate, name="rate"),
    path("staff/", views.workbench, name="workbench"),
    path("staff/walk-in/", views.walk_in, name="walk-in"),
]
