"""A URL map for the knowledge pages' tests: the project's, with the knowledge pages in the
``hotline`` namespace whether or not ``hotline/urls.py`` wires them yet.

The hotline namespace is rebuilt from the real ``hotline.urls`` plus any knowledge page it
lacks, and put first, so both ``reverse`` and the resolver use it; the rest is the project's.
"""

from django.urls import URLPattern, URLResolver, include, path

from xiaoneng import urls as project_urls
from xiaoneng.hotline import urls as hotline_urls
from xiaoneng.hotline import views_knowledge

_KNOWLEDGE = [
    path("knowledge/", views_knowledge.article_list, name="knowledge"),
    path("knowledge/new/", views_knowledge.article_create, name="knowledge_new"),
    path("knowledge/<int:pk>/", views_knowledge.article_edit, name="knowledge_edit"),
]
_wired = {p.name for p in hotline_urls.urlpatterns if isinstance(p, URLPattern)}
_hotline = [*hotline_urls.urlpatterns, *(p for p in _KNOWLEDGE if p.name not in _wired)]

urlpatterns: list[URLPattern | URLResolver] = [
    path("hotline/", include((_hotline, "hotline"))),
    *project_urls.urlpatterns,
]
