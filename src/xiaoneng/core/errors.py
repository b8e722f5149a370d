"""One hierarchy of application errors, turned into API responses in one place.

Every error carries a machine code and a message for people, written in the user's language
(messages are marked for translation), saying what was expected and what arrived.
"""

from __future__ import annotations

from typing import Any


class XiaonengError(Exception):
    """Base of every error the platform raises on purpose."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.details = details or {}


class InvalidInput(XiaonengError):
    """The caller sent something that breaks a rule; the message says which."""

    code = "invalid"
    http_status = 400


class NotFound(XiaonengError):
    """The thing does not exist, or the caller may not see it (the two look the same)."""

    code = "not_found"
    http_status = 404


class Conflict(XiaonengError):
    """The action is not allowed in the current state, or another action won the race."""

    code = "conflict"
    http_status = 409


class PermissionDenied(XiaonengError):
    """The caller may see the thing but may not do this to it."""

    code = "forbidden"
    http_status = 403
