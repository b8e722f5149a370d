"""Hotline pages, mounted at /hotline/: the citizen form and lookup, the operator console, the
ticket page, the department queue, the return visits, attachments and the knowledge base."""

from django.urls import URLPattern, URLResolver, path

from xiaoneng.hotline import views_attachments, views_knowledge
from xiaoneng.hotline.views import citizen, console, department, tickets

app_name = "hotline"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", citizen.submit, name="submit"),
    path("submitted/", citizen.submitted, name="submitted"),
    path("lookup/", citizen.lookup, name="lookup"),
    path("console/", console.console, name="console"),
    path("visits/", console.visits, name="visits"),
    path("visits/<int:pk>/", console.visit, name="visit"),
    path("queue/", department.queue, name="queue"),
    path("tickets/<int:pk>/", tickets.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/<str:action>/", tickets.ticket_act, name="ticket-act"),
    path("attachments/<int:pk>/", views_attachments.attachment_download, name="attachment"),
    path("knowledge/", views_knowledge.article_list, name="knowledge"),
    path("knowledge/new/", views_knowledge.article_create, name="knowledge_new"),
    path("knowledge/<int:pk>/", views_knowledge.article_edit, name="knowledge_edit"),
]
