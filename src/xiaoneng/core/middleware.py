"""Request checks that hold for every endpoint, before any view runs.

Form bodies that are not UTF-8: Django decodes form fields leniently (an undecodable byte
becomes U+FFFD), so without this check a form post whose bytes are not UTF-8 would be stored
as garbled text with a 2xx. Refusing it with a 400 that says so keeps the stored record what
the person typed, or nothing (Standards: "every bad input answered with a clear 4xx and
nothing stored half-way"). JSON bodies are checked by the JSON parser already; this covers
``application/x-www-form-urlencoded`` and the text fields of ``multipart/form-data``
(uploaded files are bytes and are not checked here).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
REPLACEMENT = "\ufffd"


def form_body_undecodable(request: HttpRequest) -> bool:
    """Whether a form post's fields are not UTF-8 text.

    ``x-www-form-urlencoded``: the body, percent-decoded, must decode strictly as UTF-8 (the
    only charset Django reads such a body in; it refuses a declared other one with a bare 400).
    Multipart: no text field may hold the replacement character (U+FFFD) Django decodes a bad
    byte into.
    """
    if request.method not in {"POST", "PUT", "PATCH"}:
        return False
    content_type = request.content_type or ""
    if content_type == FORM:
        charset = (request.content_params or {}).get("charset", "utf-8")
        if charset.lower().replace("_", "-") not in {"utf-8", "utf8"}:
            return True
        try:
            unquote_to_bytes(request.body.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return True
        return False
    if content_type == MULTIPART:
        # Reading POST here parses the upload once; Django's views and the API both reuse the
        # result. The raw body cannot be read as well (the parser streams it, files included),
        # so a text field holding U+FFFD is refused even if the sender typed that character:
        # it stands for "undecodable" and no person enters it on purpose.
        return any(REPLACEMENT in v for _name, values in request.POST.lists() for v in values)
    return False


def encoding_error_response(request: HttpRequest, message: str) -> HttpResponse:
    """The 400: a renderer of ``BODY_ENCODING_ERROR_RENDERERS`` for the path, else JSON for
    the API and plain text for pages."""
    for prefix, dotted in getattr(settings, "BODY_ENCODING_ERROR_RENDERERS", {}).items():
        if request.path.startswith(prefix):
            renderer: Callable[[HttpRequest, str], HttpResponse] = import_string(dotted)
            return renderer(request, message)
    if request.path.startswith("/api/"):
        body = {"error": {"code": "invalid_encoding", "message": message, "details": {}}}
        return HttpResponse(
            json.dumps(body, ensure_ascii=False),
            status=400,
            content_type="application/json; charset=utf-8",
        )
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


class FormBodyEncodingMiddleware:
    """Refuse a form post whose fields are not text in its declared charset (400)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if form_body_undecodable(request):
            message = _("The form data is not valid UTF-8 text. Send it encoded as UTF-8.")
            return encoding_error_response(request, message)
        return self.get_response(request)
