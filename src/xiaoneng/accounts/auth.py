"""API authentication: ``Authorization: Bearer <token>`` with tokens issued by
``POST /api/v1/auth/token/`` (see docs/accounts.md).

A request without a bearer header is left to the next scheme (the browser session); a request
with one either authenticates or is refused with 401 and a message saying why: the token is
unknown, expired or revoked, or the account is inactive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

if TYPE_CHECKING:
    from xiaoneng.accounts.models import ApiToken, User

KEYWORD = "Bearer"


class BearerTokenAuthentication(BaseAuthentication):
    """Authenticate ``Authorization: Bearer <token>``; ``request.auth`` is the :class:`ApiToken`.

    One query per request (token and holder together); the token's last use is written at most
    once a minute.
    """

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise AuthenticationFailed(
                _("Expected the header “Authorization: Bearer <token>” with one token."),
                code="token_malformed",
            )
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(
                _("The bearer token has characters that no token has."), code="token_malformed"
            ) from None
        return self.authenticate_token(raw)

    def authenticate_token(self, raw: str) -> tuple[User, ApiToken]:
        # Imported here: DRF loads this class while importing rest_framework.views, which may
        # happen before the app registry is ready.
        from xiaoneng.accounts.selectors import api_token_for_key
        from xiaoneng.accounts.services import api_token_touch

        token = api_token_for_key(raw)
        if token is None:
            raise AuthenticationFailed(
                _("The token is not known. Ask for a new one at /api/v1/auth/token/."),
                code="token_unknown",
            )
        now = timezone.now()
        state = token.state(now)
        if state == "revoked":
            raise AuthenticationFailed(
                _("The token was revoked. Ask for a new one at /api/v1/auth/token/."),
                code="token_revoked",
            )
        if state == "expired":
            raise AuthenticationFailed(
                _("The token expired at %(time)s. Ask for a new one at /api/v1/auth/token/.")
                % {"time": timezone.localtime(token.expires_at).isoformat(timespec="seconds")},
                code="token_expired",
            )
        if not token.user.is_active:
            raise AuthenticationFailed(_("This account is inactive."), code="user_inactive")
        api_token_touch(token=token, now=now)
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        # Makes DRF answer 401 (not 403) to requests without valid credentials.
        return f'{KEYWORD} realm="api"'
