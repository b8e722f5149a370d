"""Staff pages of the ratings room: /staff/rectifications/."""

from django.urls import URLPattern, URLResolver, path

from xiaoneng.ratings import views

app_name = "ratings"

urlpatterns: list[URLPattern | URLResolver] = [
    path("staff/rectifications/", views.rectification_list, name="rectification-list"),
]
