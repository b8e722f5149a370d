"""Staff pages of the ratings room: /staff/rectifications/."""

from django.urls import URLPattern, URLResolver, path

from xiaoneng.ratings import views

app_name = "ratings"

urlpatterns: list[URLPattern | URLResolver] = [
    path("staff/rectifications/", views.rectification_list, name="rectification-list"),
    path(
        "staff/rectifications/<int:pk>/return-visit/",
        views.rectification_return_visit,
        name="rectification-return-visit",
    ),
    path(
        "staff/rectifications/<int:pk>/complete/",
        views.rectification_complete,
        name="rectification-complete",
    ),
]
