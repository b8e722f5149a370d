"""OpenAPI: bearer-token authentication shown in the schema (drf-spectacular)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """``Authorization: Bearer <token>`` as an HTTP bearer security scheme."""

    target_class = "xiaoneng.accounts.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A token from POST /api/v1/auth/token/, sent as `Authorization: Bearer <token>`. "
                "Tokens expire (24 hours by default) and can be revoked with "
                "DELETE /api/v1/auth/token/."
            ),
        }
