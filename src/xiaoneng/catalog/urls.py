"""Public catalog pages: /matters/ and /matters/<code>/."""

from django.urls import URLPattern, URLResolver, path

from xiaoneng.catalog import views

app_name = "catalog"

urlpatterns: list[URLPattern | URLResolver] = [
    path("matters/", views.matter_list, name="matter-list"),
    path("matters/<str:code>/", views.matter_detail, name="matter-detail"),
]
