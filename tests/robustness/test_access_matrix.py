"""Access control as one matrix: every role × every endpoint → the status the policy expects.

Issue 6 §2. Every URL pattern of the project is walked; each named endpoint is requested by
every role (GET, and for the API's write endpoints also their write methods with an empty JSON
body) with path parameters filled by real rows of department D (and, for item endpoints, of
another department E, to check department isolation). The expected statuses are data:
``POLICY`` below. An endpoint missing from ``POLICY`` fails, so every new endpoint must be
classified; an entry whose endpoint no longer exists fails too. No answer may be a 5xx, and no
successful answer given to a role outside a department may carry that department's items.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.robustness.conftest import ROLES, RobustCity, Side

# Patterns left out of the matrix, and why.
SKIPPED_PREFIXES = {
    "admin/": "Django's admin: its own staff-only access, tested by Django",
    "static/": "static files, public by design",
    "media/": "served by the web server, not by a view",
    "__debug__/": "development only",
}
SKIPPED_NAMES = {
    "set_language": "Django's language switch (i18n/setlang/): public, a redirect for everyone",
    "logout": "ends the session the matrix signs in with; public by design",
    "login": "the sign-in page itself: public by design, throttled (tests/accounts)",
    "api-schema": "the OpenAPI schema: public by design; fuzzed by schemathesis in issue 6",
    "api-docs": "Swagger UI over the schema: public by design, static assets",
    "api-redoc": "ReDoc over the schema: public by design, static assets",
}

WRITE_METHODS = ("post", "put", "patch", "delete")

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Endpoint:
    """One named URL pattern as found in the resolver."""

    name: str
    route: str
    methods: tuple[str, ...]
    api: bool


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Endpoint]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, route, ns)
            continue
        assert isinstance(pattern, URLPattern)
        if any(route.lstrip("^").startswith(p) for p in SKIPPED_PREFIXES):
            continue
        name = f"{namespace}:{pattern.name}" if namespace else (pattern.name or route)
        if pattern.name in SKIPPED_NAMES and not namespace:
            continue
        view = getattr(pattern.callback, "view_class", None) or getattr(
            pattern.callback, "cls", None
        )
        methods: tuple[str, ...] = ("get",)
        if view is not None:
            methods += tuple(m for m in WRITE_METHODS if hasattr(view, m))
        yield Endpoint(name, route, methods, api=route.startswith("api/"))


def endpoints() -> list[Endpoint]:
    """Every classified-or-not named endpoint of the project, minus the stated skips."""
    return list(_walk(get_resolver().url_patterns))


# --- how each endpoint's path is filled ---------------------------------------------------
# A variant per side: "" fills with D's rows, "E" with E's. Endpoints without items have one.

Kwargs = Callable[[RobustCity, Side], dict[str, Any]]

_app: Kwargs = lambda c, s: {"application_id": str(s.application.pk)}  # noqa: E731
_uuid: Kwargs = lambda c, s: {"pk": s.application.pk}  # noqa: E731
_ticket: Kwargs = lambda c, s: {"pk": s.ticket.pk}  # noqa: E731
_task: Kwargs = lambda c, s: {"pk": s.task.pk}  # noqa: E731
_case: Kwargs = lambda c, s: {"pk": s.case.pk}  # noqa: E731
_license: Kwargs = lambda c, s: {"identifier": s.license.identifier}  # noqa: E731
_rect: Kwargs = lambda c, s: {"pk": s.rectification.pk}  # noqa: E731
_matter: Kwargs = lambda c, s: {"code": s.matter.code}  # noqa: E731
_none: Kwargs = lambda c, s: {}  # noqa: E731

FILL: dict[str, tuple[Kwargs, bool]] = {
    # name: (kwargs, has an E variant)
    "catalog-api-matter-detail": (_matter, False),
    "catalog-api-matter-versions": (_matter, False),
    "catalog-api-matter-compare": (_matter, False),
    "applications-api-detail": (_app, True),
    "applications-api-action": (lambda c, s: {**_app(c, s), "name": "accept"}, True),
    "applications-api-materials": (_app, True),
    "applications-api-material": (
        lambda c, s: {**_app(c, s), "material_id": s.material.pk},
        True,
    ),
    "applications-api-material-file": (
        lambda c, s: {**_app(c, s), "material_id": s.material.pk},
        True,
    ),
    "applications-api-commitments": (_app, True),
    "applications-api-rating": (_app, True),
    "licenses-api-detail": (_license, True),
    "notifications-api-message-read": (lambda c, s: {"pk": s.message.pk}, True),
    "ratings-api-rectification-detail": (_rect, True),
    "ratings-api-rectification-return-visit": (_rect, True),
    "ratings-api-rectification-complete": (_rect, True),
    "accountability-api-case-detail": (_case, True),
    "hotline-api-ticket-suggestions": (_ticket, True),
    "hotline-api-article-detail": (lambda c, s: {"pk": c.article.pk}, False),
    "hotline-api-article-withdraw": (lambda c, s: {"pk": c.article.pk}, False),
    "hotline-api-article-publish": (lambda c, s: {"pk": c.article.pk}, False),
    "hotline-api-routing-rule": (lambda c, s: {"pk": c.routing_rule.pk}, False),
    "supervision:task-detail": (_task, True),
    "supervision:task-act": (lambda c, s: {"pk": s.task.pk, "action": "progress"}, True),
    "supervision:case-detail": (_case, True),
    "supervision:case-act": (lambda c, s: {"pk": s.case.pk, "action": "investigate"}, True),
    "dashboard:department-late": (lambda c, s: {"code": s.department.code}, True),
    "open311:services": (lambda c, s: {"fmt": "json"}, False),
    "open311:service": (lambda c, s: {"code": c.category.code, "fmt": "json"}, False),
    "open311:requests": (lambda c, s: {"fmt": "json"}, False),
    "open311:request": (lambda c, s: {"number": s.ticket.number, "fmt": "json"}, False),
    "open311:token": (lambda c, s: {"token": "abc", "fmt": "json"}, False),
    "open311:updates": (lambda c, s: {"fmt": "json"}, False),
    "hotline:visit": (_ticket, True),
    "hotline:ticket": (_ticket, True),
    "hotline:ticket-act": (lambda c, s: {"pk": s.ticket.pk, "action": "accept"}, True),
    "hotline:attachment": (lambda c, s: {"pk": s.attachment.pk}, True),
    "hotline:knowledge_edit": (lambda c, s: {"pk": c.article.pk}, False),
    "applications:apply": (_matter, False),
    "applications:detail": (_uuid, True),
    "applications:act": (lambda c, s: {"pk": s.application.pk, "action": "accept"}, True),
    "applications:upload": (_uuid, True),
    "applications:commit": (_uuid, True),
    "applications:rate": (_uuid, True),
    "licenses:verify": (_license, False),
    "licenses:pdf": (_license, True),
    "licenses:revoke": (_license, True),
    "notifications:message-read": (lambda c, s: {"pk": s.message.pk}, True),
    "ratings:rectification-return-visit": (_rect, True),
    "ratings:rectification-complete": (_rect, True),
    "catalog:matter-detail": (_matter, False),
}
for _name in (
    "supervision-api-task-detail",
    "supervision-api-task-assign",
    "supervision-api-task-progress",
    "supervision-api-task-submit",
    "supervision-api-task-close",
    "supervision-api-task-send-back",
    "supervision-api-task-urge",
    "supervision-api-task-escalate",
):
    FILL[_name] = (_task, True)
for _name in ("investigate", "findings", "propose", "decide", "statement"):
    FILL[f"accountability-api-case-{_name}"] = (_case, True)
for _name in (
    "detail",
    "close-not-accepted",
    "answer-directly",
    "dispatch",
    "accept",
    "return",
    "reply",
    "return-visit",
    "merge",
    "split",
    "escalate",
    "attachments",
):
    FILL[f"hotline-api-ticket-{_name}"] = (_ticket, True)

# Pages whose work is a POST (the GET answers 405): the POST is in the matrix too.
PAGE_POSTS = {
    "supervision:task-create",
    "supervision:tasks-escalate-overdue",
    "supervision:task-act",
    "supervision:case-create",
    "supervision:case-act",
    "hotline:visit",
    "hotline:ticket-act",
    "applications:act",
    "applications:upload",
    "applications:commit",
    "applications:rate",
    "licenses:revoke",
    "notifications:message-read",
    "ratings:rectification-return-visit",
    "ratings:rectification-complete",
}

BULLETIN = {
    "dashboard:bulletin": ({"month": "2025-05", "fmt": "pdf"}, {"month": "2025-05", "fmt": "xlsx"})
}
# Open311 endpoints that also take a client's key: asked with and without it.
WITH_KEY = {"open311:requests", "open311:updates"}


@dataclass(frozen=True)
class Case:
    """One cell row of the matrix: an endpoint, a side (D or E), a method."""

    name: str
    variant: str
    method: str

    @property
    def key(self) -> str:
        suffix = f"[{self.variant}]" if self.variant else ""
        return f"{self.method.upper()} {self.name}{suffix}"


def cases() -> list[Case]:
    out: list[Case] = []
    for endpoint in endpoints():
        methods = list(endpoint.methods)
        if not endpoint.api and endpoint.name in PAGE_POSTS:
            methods.append("post")
        variants = [""]
        if endpoint.name in FILL and FILL[endpoint.name][1]:
            variants.append("E")
        if endpoint.name in BULLETIN:
            variants = ["pdf", "xlsx"]
        if endpoint.name in WITH_KEY:
            variants.append("key")
        for variant in variants:
            for method in methods:
                out.append(Case(endpoint.name, variant, method))
    return out


CASES = cases()


def url_of(case: Case, city: RobustCity) -> str:
    if case.name in BULLETIN:
        kwargs = dict(BULLETIN[case.name][0 if case.variant == "pdf" else 1])
        return reverse(case.name, kwargs=kwargs)
    side = city.e if case.variant == "E" else city.d
    fill = FILL.get(case.name)
    url = reverse(case.name, kwargs=fill[0](city, side) if fill else {})
    if case.variant == "key":
        url += "?" + urlencode({"api_key": city.open311_key})
    return url


def request(client: Client, method: str, url: str) -> Any:
    if method == "get":
        return client.get(url)
    if url.startswith("/api/"):
        return client.generic(method.upper(), url, b"{}", content_type="application/json")
    return client.post(url, {})


# --- the policy: who gets what ------------------------------------------------------------
# One entry per "METHOD name[variant]": "status roles...; status roles...; status *", where
# * is every role not named. [E] is the same endpoint on department E's item (isolation: D's
# staff get 403/404 there, E's head gets what D's head gets on D's). Notes on choices:
# - pages send the anonymous to the sign-in page (302), the API answers 401;
# - a page's POST action answers 302 back to its page (with the outcome as a message) to
#   those allowed to try, 403/404 to the others; the API answers 400 to an empty body from
#   a role that may write there, 403 to any other (the role is checked before the body);
# - a list API answers 403 to the roles its page refuses (never an empty list instead);
# - DELETE accounts-api-token revokes the bearer token the request carries, so a session
#   (no token) is 401: there is no token to revoke, by design;
# - 404, not 403, for an item of another department or person: existence is not disclosed;
# - open311:request is 404 for all: the D ticket was not consented public (only public
#   tickets are listed by Open311); open311:updates needs the client's key (403 without);
# - the knowledge base's API and the e-license detail are public by design (docs/hotline.md,
#   docs/licenses.md).

POLICY: dict[str, str] = {
    "GET accounts-api-token": "405 *",
    "POST accounts-api-token": "400 *",
    "DELETE accounts-api-token": "401 *",
    "GET accounts-api-me": "401 anonymous; 200 *",
    "GET catalog-api-matter-list": "200 *",
    "GET catalog-api-matter-detail": "200 *",
    "GET catalog-api-matter-versions": "200 *",
    "GET catalog-api-matter-compare": "200 *",
    "GET calendar-coverage": "200 *",
    "GET calendar-workdays": "400 *",
    "GET applications-api-list": "401 anonymous; 200 *",
    "POST applications-api-list": "400 citizen enterprise partner; 401 anonymous; 403 *",
    "GET applications-api-walk-in": "401 anonymous; 405 *",
    "POST applications-api-walk-in": "400 window operator; 401 anonymous; 403 *",
    "GET applications-api-detail": (
        "401 anonymous; 404 enterprise other_head partner operator; 200 *"
    ),
    "GET applications-api-detail[E]": "200 other_head office admin; 401 anonymous; 404 *",
    "GET applications-api-action": "401 anonymous; 405 *",
    "POST applications-api-action": (
        "200 window reviewer; 401 anonymous; 403 citizen head office admin; 404 *"
    ),
    "GET applications-api-action[E]": "401 anonymous; 405 *",
    "POST applications-api-action[E]": "401 anonymous; 403 other_head office admin; 404 *",
    "GET applications-api-materials": "401 anonymous; 405 *",
    "POST applications-api-materials": (
        "401 anonymous; 404 enterprise other_head partner operator; 415 *"
    ),
    "GET applications-api-materials[E]": "401 anonymous; 405 *",
    "POST applications-api-materials[E]": "401 anonymous; 415 other_head office admin; 404 *",
    "GET applications-api-material": "401 anonymous; 405 *",
    "DELETE applications-api-material": (
        "204 citizen window reviewer; 401 anonymous; 403 head office admin; 404 *"
    ),
    "GET applications-api-material[E]": "401 anonymous; 405 *",
    "DELETE applications-api-material[E]": "401 anonymous; 403 other_head office admin; 404 *",
    "GET applications-api-material-file": (
        "401 anonymous; 404 enterprise other_head partner operator; 200 *"
    ),
    "GET applications-api-material-file[E]": "200 other_head office admin; 401 anonymous; 404 *",
    "GET applications-api-commitments": "401 anonymous; 405 *",
    "POST applications-api-commitments": (
        "401 anonymous; 404 enterprise other_head partner operator; 400 *"
    ),
    "GET applications-api-commitments[E]": "401 anonymous; 405 *",
    "POST applications-api-commitments[E]": "400 other_head office admin; 401 anonymous; 404 *",
    "GET applications-api-rating": "401 anonymous; 405 *",
    "POST applications-api-rating": (
        "401 anonymous; 404 enterprise other_head partner operator; 400 *"
    ),
    "GET applications-api-rating[E]": "401 anonymous; 405 *",
    "POST applications-api-rating[E]": "400 other_head office admin; 401 anonymous; 404 *",
    "GET licenses-api-verify": "405 *",
    "POST licenses-api-verify": "400 *",
    "GET licenses-api-detail": "200 *",
    "GET licenses-api-detail[E]": "200 *",
    "GET notifications-api-message-list": "401 anonymous; 200 *",
    "GET notifications-api-message-read": "401 anonymous; 405 *",
    "POST notifications-api-message-read": "200 citizen; 401 anonymous; 404 *",
    "GET notifications-api-message-read[E]": "401 anonymous; 405 *",
    "POST notifications-api-message-read[E]": "401 anonymous; 404 *",
    "GET ratings-api-rectification-list": "401 anonymous; 403 citizen enterprise partner; 200 *",
    "GET ratings-api-rectification-detail": (
        "200 window reviewer head office admin; 401 anonymous; 404 *"
    ),
    "GET ratings-api-rectification-detail[E]": "200 other_head office admin; 401 anonymous; 404 *",
    "GET ratings-api-rectification-return-visit": "401 anonymous; 405 *",
    "POST ratings-api-rectification-return-visit": (
        "400 window reviewer head office admin; 401 anonymous; 404 *"
    ),
    "GET ratings-api-rectification-return-visit[E]": "401 anonymous; 405 *",
    "POST ratings-api-rectification-return-visit[E]": (
        "400 other_head office admin; 401 anonymous; 404 *"
    ),
    "GET ratings-api-rectification-complete": "401 anonymous; 405 *",
    "POST ratings-api-rectification-complete": (
        "400 window reviewer head office admin; 401 anonymous; 404 *"
    ),
    "GET ratings-api-rectification-complete[E]": "401 anonymous; 405 *",
    "POST ratings-api-rectification-complete[E]": (
        "400 other_head office admin; 401 anonymous; 404 *"
    ),
    "GET supervision-api-warning-list": "200 head other_head office admin; 401 anonymous; 403 *",
    "GET supervision-api-warning-counts": "200 head other_head office admin; 401 anonymous; 403 *",
    "GET supervision-api-tasks": "401 anonymous; 403 citizen enterprise partner; 200 *",
    "POST supervision-api-tasks": "400 office admin; 401 anonymous; 403 *",
    "GET supervision-api-tasks-escalate-overdue": "401 anonymous; 405 *",
    "POST supervision-api-tasks-escalate-overdue": "200 office admin; 401 anonymous; 403 *",
    "GET supervision-api-yearly-counts": "200 office admin; 401 anonymous; 403 *",
    "GET supervision-api-task-detail": (
        "200 window reviewer head office admin; 401 anonymous; 404 *"
    ),
    "GET supervision-api-task-detail[E]": "200 other_head office admin; 401 anonymous; 404 *",
    "GET supervision-api-task-assign": "401 anonymous; 405 *",
    "POST supervision-api-task-assign": (
        "401 anonymous; 403 window reviewer head; 409 office admin; 404 *"
    ),
    "GET supervision-api-task-assign[E]": "401 anonymous; 405 *",
    "POST supervision-api-task-assign[E]": (
        "401 anonymous; 403 other_head; 409 office admin; 404 *"
    ),
    "GET supervision-api-task-progress": "401 anonymous; 405 *",
    "POST supervision-api-task-progress": (
        "400 window reviewer head office admin; 401 anonymous; 404 *"
    ),
    "GET supervision-api-task-progress[E]": "401 anonymous; 405 *",
    "POST supervision-api-task-progress[E]": "400 other_head office admin; 401 anonymous; 404 *",
    "GET supervision-api-task-submit": "401 anonymous; 405 *",
    "POST supervision-api-task-submit": (
        "400 window reviewer head office admin; 401 anonymous; 404 *"
    ),
    "GET supervision-api-task-submit[E]": "401 anonymous; 405 *",
    "POST supervision-api-task-submit[E]": "400 other_head office admin; 401 anonymous; 404 *",
    "GET supervision-api-task-close": "401 anonymous; 405 *",
    "POST supervision-api-task-close": (
        "401 anonymous; 403 window reviewer head; 409 office admin; 404 *"
    ),
    "GET supervision-api-task-close[E]": "401 anonymous; 405 *",
    "POST supervision-api-task-close[E]": "401 anonymous; 403 other_head; 409 office admin; 404 *",
    "GET supervision-api-task-send-back": "401 anonymous; 405 *",
    "POST supervision-api-task-send-back": (
        "400 window reviewer head office admin; 401 anonymous; 404 *"
    ),
    "GET supervision-api-task-send-back[E]": "401 anonymous; 405 *",
    "POST supervision-api-task-send-back[E]": "400 other_head office admin; 401 anonymous; 404 *",
    "GET supervision-api-task-urge": "401 anonymous; 405 *",
    "POST supervision-api-task-urge": (
        "200 office admin; 401 anonymous; 403 window reviewer head; 404 *"
    ),
    "GET supervision-api-task-urge[E]": "401 anonymous; 405 *",
    "POST supervision-api-task-urge[E]": "200 office admin; 401 anonymous; 403 other_head; 404 *",
    "GET supervision-api-task-escalate": "401 anonymous; 405 *",
    "POST supervision-api-task-escalate": (
        "400 window reviewer head office admin; 401 anonymous; 404 *"
    ),
    "GET supervision-api-task-escalate[E]": "401 anonymous; 405 *",
    "POST supervision-api-task-escalate[E]": "400 other_head office admin; 401 anonymous; 404 *",
    "GET accountability-api-cases": "401 anonymous; 403 citizen enterprise partner; 200 *",
    "POST accountability-api-cases": "400 office admin; 401 anonymous; 403 *",
    "GET accountability-api-case-detail": (
        "200 window reviewer head office admin; 401 anonymous; 404 *"
    ),
    "GET accountability-api-case-detail[E]": "200 other_head office admin; 401 anonymous; 404 *",
    "GET accountability-api-case-investigate": "401 anonymous; 405 *",
    "POST accountability-api-case-investigate": (
        "400 window reviewer head office admin; 401 anonymous; 404 *"
    ),
    "GET accountability-api-case-investigate[E]": "401 anonymous; 405 *",
    "POST accountability-api-case-investigate[E]": (
        "400 other_head office admin; 401 anonymous; 404 *"
    ),
    "GET accountability-api-case-findings": "401 anonymous; 405 *",
    "POST accountability-api-case-findings": (
        "400 window reviewer head office admin; 401 anonymous; 404 *"
    ),
    "GET accountability-api-case-findings[E]": "401 anonymous; 405 *",
    "POST accountability-api-case-findings[E]": (
        "400 other_head office admin; 401 anonymous; 404 *"
    ),
    "GET accountability-api-case-propose": "401 anonymous; 405 *",
    "POST accountability-api-case-propose": (
        "400 window reviewer head office admin; 401 anonymous; 404 *"
    ),
    "GET accountability-api-case-propose[E]": "401 anonymous; 405 *",
    "POST accountability-api-case-propose[E]": "400 other_head office admin; 401 anonymous; 404 *",
    "GET accountability-api-case-decide": "401 anonymous; 405 *",
    "POST accountability-api-case-decide": (
        "400 window reviewer head office admin; 401 anonymous; 404 *"
    ),
    "GET accountability-api-case-decide[E]": "401 anonymous; 405 *",
    "POST accountability-api-case-decide[E]": "400 other_head office admin; 401 anonymous; 404 *",
    "GET accountability-api-case-statement": "401 anonymous; 405 *",
    "POST accountability-api-case-statement": (
        "400 window reviewer head office admin; 401 anonymous; 404 *"
    ),
    "GET accountability-api-case-statement[E]": "401 anonymous; 405 *",
    "POST accountability-api-case-statement[E]": (
        "400 other_head office admin; 401 anonymous; 404 *"
    ),
    "GET dashboard-api-kpis": "200 head other_head office admin; 401 anonymous; 403 *",
    "GET dashboard-api-kpis-departments": "200 office admin; 401 anonymous; 403 *",
    "GET dashboard-api-kpis-definitions": "200 head other_head office admin; 401 anonymous; 403 *",
    "GET dashboard-api-ranking": "200 office admin; 401 anonymous; 403 *",
    "GET hotline-api-kpis": "200 head other_head office admin operator; 401 anonymous; 403 *",
    "GET hotline-api-ticket-list": "401 anonymous; 403 citizen enterprise partner; 200 *",
    "POST hotline-api-ticket-list": "400 operator office admin; 401 anonymous; 403 *",
    "GET hotline-api-ticket-detail": (
        "401 anonymous; 404 citizen enterprise other_head partner; 200 *"
    ),
    "GET hotline-api-ticket-detail[E]": (
        "200 other_head office admin operator; 401 anonymous; 404 *"
    ),
    "GET hotline-api-ticket-close-not-accepted": "401 anonymous; 405 *",
    "POST hotline-api-ticket-close-not-accepted": (
        "401 anonymous; 404 citizen enterprise other_head partner; 400 *"
    ),
    "GET hotline-api-ticket-close-not-accepted[E]": "401 anonymous; 405 *",
    "POST hotline-api-ticket-close-not-accepted[E]": (
        "400 other_head office admin operator; 401 anonymous; 404 *"
    ),
    "GET hotline-api-ticket-answer-directly": "401 anonymous; 405 *",
    "POST hotline-api-ticket-answer-directly": (
        "401 anonymous; 404 citizen enterprise other_head partner; 400 *"
    ),
    "GET hotline-api-ticket-answer-directly[E]": "401 anonymous; 405 *",
    "POST hotline-api-ticket-answer-directly[E]": (
        "400 other_head office admin operator; 401 anonymous; 404 *"
    ),
    "GET hotline-api-ticket-dispatch": "401 anonymous; 405 *",
    "POST hotline-api-ticket-dispatch": (
        "401 anonymous; 404 citizen enterprise other_head partner; 400 *"
    ),
    "GET hotline-api-ticket-dispatch[E]": "401 anonymous; 405 *",
    "POST hotline-api-ticket-dispatch[E]": (
        "400 other_head office admin operator; 401 anonymous; 404 *"
    ),
    "GET hotline-api-ticket-accept": "401 anonymous; 405 *",
    "POST hotline-api-ticket-accept": (
        "200 window reviewer head; 401 anonymous; 403 office admin operator; 404 *"
    ),
    "GET hotline-api-ticket-accept[E]": "401 anonymous; 405 *",
    "POST hotline-api-ticket-accept[E]": (
        "200 other_head; 401 anonymous; 403 office admin operator; 404 *"
    ),
    "GET hotline-api-ticket-return": "401 anonymous; 405 *",
    "POST hotline-api-ticket-return": (
        "401 anonymous; 404 citizen enterprise other_head partner; 400 *"
    ),
    "GET hotline-api-ticket-return[E]": "401 anonymous; 405 *",
    "POST hotline-api-ticket-return[E]": (
        "400 other_head office admin operator; 401 anonymous; 404 *"
    ),
    "GET hotline-api-ticket-reply": "401 anonymous; 405 *",
    "POST hotline-api-ticket-reply": (
        "401 anonymous; 404 citizen enterprise other_head partner; 400 *"
    ),
    "GET hotline-api-ticket-reply[E]": "401 anonymous; 405 *",
    "POST hotline-api-ticket-reply[E]": (
        "400 other_head office admin operator; 401 anonymous; 404 *"
    ),
    "GET hotline-api-ticket-return-visit": "401 anonymous; 405 *",
    "POST hotline-api-ticket-return-visit": (
        "401 anonymous; 404 citizen enterprise other_head partner; 400 *"
    ),
    "GET hotline-api-ticket-return-visit[E]": "401 anonymous; 405 *",
    "POST hotline-api-ticket-return-visit[E]": (
        "400 other_head office admin operator; 401 anonymous; 404 *"
    ),
    "GET hotline-api-ticket-merge": "401 anonymous; 405 *",
    "POST hotline-api-ticket-merge": (
        "401 anonymous; 404 citizen enterprise other_head partner; 400 *"
    ),
    "GET hotline-api-ticket-merge[E]": "401 anonymous; 405 *",
    "POST hotline-api-ticket-merge[E]": (
        "400 other_head office admin operator; 401 anonymous; 404 *"
    ),
    "GET hotline-api-ticket-split": "401 anonymous; 405 *",
    "POST hotline-api-ticket-split": (
        "401 anonymous; 404 citizen enterprise other_head partner; 400 *"
    ),
    "GET hotline-api-ticket-split[E]": "401 anonymous; 405 *",
    "POST hotline-api-ticket-split[E]": (
        "400 other_head office admin operator; 401 anonymous; 404 *"
    ),
    "GET hotline-api-ticket-escalate": "401 anonymous; 405 *",
    "POST hotline-api-ticket-escalate": (
        "200 office admin; 401 anonymous; 403 window reviewer head operator; 404 *"
    ),
    "GET hotline-api-ticket-escalate[E]": "401 anonymous; 405 *",
    "POST hotline-api-ticket-escalate[E]": (
        "200 office admin; 401 anonymous; 403 other_head operator; 404 *"
    ),
    "GET hotline-api-ticket-attachments": "401 anonymous; 405 *",
    "POST hotline-api-ticket-attachments": (
        "401 anonymous; 404 citizen enterprise other_head partner; 415 *"
    ),
    "GET hotline-api-ticket-attachments[E]": "401 anonymous; 405 *",
    "POST hotline-api-ticket-attachments[E]": (
        "401 anonymous; 415 other_head office admin operator; 404 *"
    ),
    "GET hotline-api-article-list": "200 *",
    "POST hotline-api-article-list": "400 office admin operator; 401 anonymous; 403 *",
    "GET hotline-api-article-detail": "200 *",
    "PATCH hotline-api-article-detail": "200 office admin operator; 401 anonymous; 403 *",
    "GET hotline-api-article-withdraw": "401 anonymous; 405 *",
    "POST hotline-api-article-withdraw": "200 office admin operator; 401 anonymous; 403 *",
    "GET hotline-api-article-publish": "401 anonymous; 405 *",
    "POST hotline-api-article-publish": "401 anonymous; 409 office admin operator; 403 *",
    "GET hotline-api-suggestions": "400 office admin operator; 401 anonymous; 403 *",
    "GET hotline-api-ticket-suggestions": "200 office admin operator; 401 anonymous; 403 *",
    "GET hotline-api-ticket-suggestions[E]": "200 office admin operator; 401 anonymous; 403 *",
    "GET hotline-api-routing-rules": "200 office admin operator; 401 anonymous; 403 *",
    "POST hotline-api-routing-rules": "400 office admin operator; 401 anonymous; 403 *",
    "GET hotline-api-routing-rule": "401 anonymous; 405 *",
    "PATCH hotline-api-routing-rule": "200 office admin operator; 401 anonymous; 403 *",
    "DELETE hotline-api-routing-rule": "204 office admin operator; 401 anonymous; 403 *",
    "GET hotline-api-dispatch-model": "401 anonymous; 404 office admin operator; 403 *",
    "GET supervision:warnings": "200 head other_head office admin; 302 anonymous; 403 *",
    "GET supervision:task-list": "302 anonymous; 403 citizen enterprise partner; 200 *",
    "GET supervision:task-create": "200 office admin; 302 anonymous; 403 *",
    "POST supervision:task-create": "200 office admin; 302 anonymous; 403 *",
    "GET supervision:tasks-escalate-overdue": "302 anonymous; 405 *",
    "POST supervision:tasks-escalate-overdue": "302 anonymous office admin; 403 *",
    "GET supervision:task-detail": "200 window reviewer head office admin; 302 anonymous; 404 *",
    "GET supervision:task-detail[E]": "200 other_head office admin; 302 anonymous; 404 *",
    "GET supervision:task-act": "302 anonymous; 405 *",
    "POST supervision:task-act": "404 citizen enterprise other_head partner operator; 302 *",
    "GET supervision:task-act[E]": "302 anonymous; 405 *",
    "POST supervision:task-act[E]": "302 anonymous other_head office admin; 404 *",
    "GET supervision:case-list": "302 anonymous; 403 citizen enterprise partner; 200 *",
    "GET supervision:case-create": "200 office admin; 302 anonymous; 403 *",
    "POST supervision:case-create": "200 office admin; 302 anonymous; 403 *",
    "GET supervision:case-detail": "200 window reviewer head office admin; 302 anonymous; 404 *",
    "GET supervision:case-detail[E]": "200 other_head office admin; 302 anonymous; 404 *",
    "GET supervision:case-act": "302 anonymous; 405 *",
    "POST supervision:case-act": "404 citizen enterprise other_head partner operator; 302 *",
    "GET supervision:case-act[E]": "302 anonymous; 405 *",
    "POST supervision:case-act[E]": "302 anonymous other_head office admin; 404 *",
    "GET dashboard:home": "200 head other_head office admin; 302 anonymous; 403 *",
    "GET dashboard:department-late": "200 head office admin; 302 anonymous; 403 *",
    "GET dashboard:department-late[E]": "200 other_head office admin; 302 anonymous; 403 *",
    "GET dashboard:bulletin[pdf]": "200 head other_head office admin; 302 anonymous; 403 *",
    "GET dashboard:bulletin[xlsx]": "200 head other_head office admin; 302 anonymous; 403 *",
    "GET open311:services": "200 *",
    "GET open311:service": "200 *",
    "GET open311:requests": "200 *",
    "GET open311:requests[key]": "200 *",
    "GET open311:request": "404 *",
    "GET open311:token": "404 *",
    "GET open311:updates": "403 *",
    "GET open311:updates[key]": "200 *",
    "GET hotline:submit": "200 *",
    "GET hotline:submitted": "302 *",
    "GET hotline:lookup": "200 *",
    "GET hotline:console": "200 office admin operator; 302 anonymous; 403 *",
    "GET hotline:visits": "200 office admin operator; 302 anonymous; 403 *",
    "GET hotline:visit": "302 anonymous; 405 *",
    "POST hotline:visit": "302 anonymous office admin operator; 403 *",
    "GET hotline:visit[E]": "302 anonymous; 405 *",
    "POST hotline:visit[E]": "302 anonymous office admin operator; 403 *",
    "GET hotline:queue": (
        "200 window reviewer head other_head; 403 citizen enterprise partner; 302 *"
    ),
    "GET hotline:ticket": "302 anonymous; 404 citizen enterprise other_head partner; 200 *",
    "GET hotline:ticket[E]": "200 other_head office admin operator; 302 anonymous; 404 *",
    "GET hotline:ticket-act": "302 anonymous; 405 *",
    "POST hotline:ticket-act": (
        "302 anonymous window reviewer head; 403 office admin operator; 404 *"
    ),
    "GET hotline:ticket-act[E]": "302 anonymous; 405 *",
    "POST hotline:ticket-act[E]": "302 anonymous other_head; 403 office admin operator; 404 *",
    "GET hotline:attachment": "302 anonymous; 404 citizen enterprise other_head partner; 200 *",
    "GET hotline:attachment[E]": "200 other_head office admin operator; 302 anonymous; 404 *",
    "GET hotline:knowledge": "200 office admin operator; 302 anonymous; 403 *",
    "GET hotline:knowledge_new": "200 office admin operator; 302 anonymous; 403 *",
    "GET hotline:knowledge_edit": "200 office admin operator; 302 anonymous; 403 *",
    "GET applications:apply": "200 citizen enterprise partner; 302 anonymous; 403 *",
    "GET applications:mine": "302 anonymous; 200 *",
    "GET applications:detail": "302 anonymous; 404 enterprise other_head partner operator; 200 *",
    "GET applications:detail[E]": "200 other_head office admin; 302 anonymous; 404 *",
    "GET applications:act": "405 *",
    "POST applications:act": "404 enterprise other_head partner operator; 302 *",
    "GET applications:act[E]": "405 *",
    "POST applications:act[E]": "302 anonymous other_head office admin; 404 *",
    "GET applications:upload": "405 *",
    "POST applications:upload": "404 enterprise other_head partner operator; 302 *",
    "GET applications:upload[E]": "405 *",
    "POST applications:upload[E]": "302 anonymous other_head office admin; 404 *",
    "GET applications:commit": "405 *",
    "POST applications:commit": "404 enterprise other_head partner operator; 302 *",
    "GET applications:commit[E]": "405 *",
    "POST applications:commit[E]": "302 anonymous other_head office admin; 404 *",
    "GET applications:rate": "405 *",
    "POST applications:rate": "404 enterprise other_head partner operator; 302 *",
    "GET applications:rate[E]": "405 *",
    "POST applications:rate[E]": "302 anonymous other_head office admin; 404 *",
    "GET applications:workbench": (
        "200 window reviewer head other_head operator; 302 anonymous; 403 *"
    ),
    "GET applications:walk-in": (
        "200 window reviewer head other_head operator; 302 anonymous; 403 *"
    ),
    "GET licenses:verify": "200 *",
    "GET licenses:pdf": "200 window reviewer head office admin; 302 anonymous; 404 *",
    "GET licenses:pdf[E]": "200 other_head office admin; 302 anonymous; 404 *",
    "GET licenses:revoke": "302 anonymous; 405 *",
    "POST licenses:revoke": "404 citizen enterprise other_head partner operator; 302 *",
    "GET licenses:revoke[E]": "302 anonymous; 405 *",
    "POST licenses:revoke[E]": "302 anonymous other_head office admin; 404 *",
    "GET notifications:inbox": "302 anonymous; 200 *",
    "GET notifications:message-read": "302 anonymous; 405 *",
    "POST notifications:message-read": "302 anonymous citizen; 404 *",
    "GET notifications:message-read[E]": "302 anonymous; 405 *",
    "POST notifications:message-read[E]": "302 anonymous; 404 *",
    "GET ratings:rectification-list": "302 anonymous; 403 citizen enterprise partner; 200 *",
    "GET ratings:rectification-return-visit": "302 anonymous; 405 *",
    "POST ratings:rectification-return-visit": (
        "404 citizen enterprise other_head partner operator; 302 *"
    ),
    "GET ratings:rectification-return-visit[E]": "302 anonymous; 405 *",
    "POST ratings:rectification-return-visit[E]": "302 anonymous other_head office admin; 404 *",
    "GET ratings:rectification-complete": "302 anonymous; 405 *",
    "POST ratings:rectification-complete": (
        "404 citizen enterprise other_head partner operator; 302 *"
    ),
    "GET ratings:rectification-complete[E]": "302 anonymous; 405 *",
    "POST ratings:rectification-complete[E]": "302 anonymous other_head office admin; 404 *",
    "GET catalog:matter-list": "200 *",
    "GET catalog:matter-detail": "200 *",
    "GET portal:home": "200 *",
}


def expected_status(case_key: str, role: str) -> int | None:
    """The status POLICY gives ``role`` at ``case_key``; None when the endpoint is unclassified."""
    if case_key not in POLICY:
        return None
    return parse_policy(POLICY[case_key])[role]


def parse_policy(text: str) -> dict[str, int]:
    """ "200 a b; 404 *" → {a: 200, b: 200, every other role: 404}; refuses unknown roles."""
    named: dict[str, int] = {}
    rest: int | None = None
    for part in text.split(";"):
        status, *roles = part.split()
        for role in roles:
            if role == "*":
                rest = int(status)
                continue
            assert role in ROLES, f"unknown role {role!r} in {text!r}"
            assert role not in named, f"role {role!r} twice in {text!r}"
            named[role] = int(status)
    assert rest is not None or len(named) == len(ROLES), f"roles missing from {text!r}"
    return {role: named.get(role, rest or 0) for role in ROLES}


@dataclass(frozen=True)
class Answer:
    """What one role got from one endpoint: the status, and anything it should not have seen."""

    status: int
    leaked: tuple[str, ...] = ()
    error: str = ""
    location: str = ""


def _text(response: Any) -> str:
    if response.streaming:
        return ""
    kind = response.get("Content-Type", "")
    if not any(t in kind for t in ("html", "json", "xml", "text/plain")):
        return ""
    return str(response.content.decode("utf-8", errors="replace"))


def _markers(side: Side) -> tuple[str, ...]:
    """Strings that only pages and answers about ``side``'s own items contain."""
    return (
        side.application.number,
        str(side.application.pk),
        side.ticket.number,
        side.ticket.description,
        side.task.title,
        side.message.subject,
    )


# Roles that must never see D's items, and those that must never see E's.
OUTSIDE_D = {"anonymous", "enterprise", "partner", "other_head"}
OUTSIDE_E = {"anonymous", "citizen", "enterprise", "partner", "window", "reviewer", "head"}


class Matrix:
    """Requests each cell. Clients sign in once per role when the module starts, so their
    sessions live in the module's transaction; each test's own savepoint (pytest-django) rolls
    back what its request wrote."""

    def __init__(self, city: RobustCity) -> None:
        self.city = city
        self.clients: dict[str, Client] = {}
        self.cookies: dict[str, str] = {}
        for role in ROLES:
            client = Client()
            user = city.users[role]
            if user is not None:
                client.force_login(user)
            self.clients[role] = client
            self.cookies[role] = client.cookies.output(header="")
        self.forbidden = {
            role: (_markers(city.d) if role in OUTSIDE_D else ())
            + (_markers(city.e) if role in OUTSIDE_E else ())
            for role in ROLES
        }

    def client(self, role: str) -> Client:
        """The role's client with the session it signed in with (a view may have set others)."""
        client = self.clients[role]
        client.cookies = SimpleCookie(self.cookies[role])
        return client

    def answer(self, case: Case, role: str) -> Answer:
        url = url_of(case, self.city)
        try:
            response = request(self.client(role), case.method, url)
        except Exception:
            return Answer(500, error=traceback.format_exc(limit=-8))
        body = _text(response)
        # An answer may echo what the caller sent (a 404 naming the number asked for).
        leaked = tuple(m for m in self.forbidden[role] if m in body and m not in url)
        return Answer(response.status_code, leaked, location=response.get("Location", ""))


@pytest.fixture(scope="module")
def matrix(robust_city: RobustCity) -> Iterator[Matrix]:
    """The matrix of this module. PDF drawing (a second each, tested in tests/licenses and
    tests/dashboard) is replaced by a stub: the access checks before it still run."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("xiaoneng.licenses.services.license_pdf", lambda *a, **k: b"%PDF-1.4 stub")
        patch.setattr("xiaoneng.dashboard.reports.bulletin_pdf", lambda *a, **k: b"%PDF-1.4 stub")
        yield Matrix(robust_city)


LOGIN = "/accounts/login/"
OBSERVED_FILE = os.environ.get("MATRIX_OBSERVE")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.key)
def test_role_gets_the_expected_status(matrix: Matrix, case: Case, role: str) -> None:
    """``role`` requesting ``case`` gets the status of POLICY, never a 5xx, never others' items."""
    answer = matrix.answer(case, role)
    if OBSERVED_FILE:
        with open(OBSERVED_FILE, "a") as f:
            f.write(f"{case.key}\t{role}\t{answer.status}\t{answer.leaked}\t{answer.location}\n")
    assert answer.status < 500, f"{case.key} as {role}: {answer.status}\n{answer.error}"
    expected = expected_status(case.key, role)
    assert expected is not None, f"{case.key} is not classified: add it to POLICY"
    assert answer.status == expected, f"{case.key} as {role}: {answer.status}, want {expected}"
    if role != "anonymous" and answer.status == 302:
        # A signed-in caller sent to the sign-in page means a lost session or a wrong refusal.
        assert not answer.location.startswith(LOGIN), f"{case.key} as {role}: {answer.location}"
    assert not answer.leaked, f"{case.key} as {role} shows items it may not see: {answer.leaked}"


def test_the_policy_is_well_formed_and_names_only_existing_endpoints() -> None:
    """Every POLICY entry parses, and names an endpoint and method the project still has."""
    keys = {case.key for case in CASES}
    stale = sorted(set(POLICY) - keys)
    assert not stale, f"POLICY names endpoints that no longer exist: {stale}"
    for text in POLICY.values():
        parse_policy(text)
    names = {endpoint.name for endpoint in endpoints()}
    assert not sorted(set(FILL) - names), "FILL names endpoints that no longer exist"
    assert not sorted((PAGE_POSTS | WITH_KEY | set(BULLETIN)) - names)


def test_the_walk_finds_every_kind_of_endpoint() -> None:
    """The resolver walk reaches pages, the API, Open311, the office and the hotline."""
    routes = [endpoint.route for endpoint in endpoints()]
    for prefix in ("api/v1/", "open311/v2/", "office/", "hotline/", "applications/", "inbox/"):
        assert any(route.startswith(prefix) for route in routes), prefix
    assert len(CASES) > 250
