"""API authentication: ``Authorization: Bearer <token>`` (filled in by the accounts room)."""

from __future__ import annotations

from rest_framework.authentication import BaseAuthentication


class BearerTokenAuthentication(BaseAuthentication):
    """Placeholder until API tokens land: authenticates nobody, so other schemes apply."""

    def authenticate(self, request):  # type: ignore[no-untyped-def]
        return None
