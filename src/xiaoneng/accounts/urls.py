"""Web routes of the accounts room, included at the site root."""

from django.urls import URLPattern, URLResolver, path

from xiaoneng.accounts import views

urlpatterns: list[URLPattern | URLResolver] = [
    # Takes effect once xiaoneng/urls.py stops routing accounts/login/ to Django's LoginView
    # ahead of this include (see docs/accounts.md).
    path("accounts/login/", views.ThrottledLoginView.as_view(), name="login"),
]
