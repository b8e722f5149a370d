"""Inbox pages: /inbox/ and the mark-read form."""

from django.urls import URLPattern, URLResolver, path

from xiaoneng.notifications import views

app_name = "notifications"

urlpatterns: list[URLPattern | URLResolver] = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", views.message_read, name="message-read"),
]
