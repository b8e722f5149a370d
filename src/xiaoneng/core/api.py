"""API plumbing shared by every room: pagination and the one error shape.

Every error answers ``{"error": {"code", "message", "details"}}`` whatever raised it: our own
:class:`~xiaoneng.core.errors.XiaonengError`, DRF's validation errors, or Django's 404.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from xiaoneng.core.errors import XiaonengError


class StandardPagination(PageNumberPagination):
    """Page-numbered lists: ``?page=N&page_size=M`` (at most 200 a page)."""

    page_size_query_param = "page_size"
    max_page_size = 200


def _error(
    code: str, message: str, details: Any, http_status: int, headers: Any = None
) -> Response:
    return Response(
        {"error": {"code": code, "message": message, "details": details or {}}},
        status=http_status,
        headers=headers,
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn any error into the documented error shape."""
    if isinstance(exc, XiaonengError):
        return _error(exc.code, exc.message, exc.details, exc.http_status)
    if isinstance(exc, DjangoValidationError):
        return _error("invalid", _("The input is not valid."), {"errors": exc.messages}, 400)
    if isinstance(exc, Http404):
        return _error("not_found", _("Not found."), {}, status.HTTP_404_NOT_FOUND)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    # Keep the headers DRF set (WWW-Authenticate on 401, Retry-After on 429).
    headers = {k: v for k, v in response.items()}
    if isinstance(exc, exceptions.ValidationError):
        return _error("invalid", _("The input is not valid."), response.data, 400, headers)
    detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
    code = getattr(getattr(exc, "detail", None), "code", None) or getattr(
        exc, "default_code", "error"
    )
    return _error(str(code), str(detail), {}, response.status_code, headers)


class ErrorBodySerializer(serializers.Serializer):
    """The body of an error: a stable code for programs, a message for people."""

    code = serializers.CharField(
        help_text="invalid, not_authenticated, forbidden, not_found, conflict, …"
    )
    message = serializers.CharField(help_text="For people, in the request's language.")
    details = serializers.DictField(
        help_text="What was wrong, for programs: the field, the value, the state and action."
    )


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the whole API, documented once for every endpoint's schema."""

    error = ErrorBodySerializer()
