"""The site's URLs with the sign-in routed to the accounts room's throttled view.

This is the site map after the one-line change to ``xiaoneng/urls.py`` proposed in
docs/accounts.md (dropping the route to Django's plain ``LoginView``), so tests exercise the
sign-in page exactly as it will be served.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from xiaoneng.urls import urlpatterns as site_urlpatterns


def _whoami(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return HttpResponse("anonymous", status=401)
    return HttpResponse(request.user.get_username())


urlpatterns: list[URLPattern | URLResolver] = [
    path("test-whoami/", _whoami),
    *(p for p in site_urlpatterns if getattr(p, "name", None) != "login"),
]
