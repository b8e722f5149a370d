"""Errors of signing in, in the platform's one hierarchy (:mod:`xiaoneng.core.errors`)."""

from __future__ import annotations

import math

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xiaoneng.core.errors import InvalidInput, XiaonengError


class InvalidCredentials(InvalidInput):
    """The user name and password do not match an active account.

    The message never says which of the two was wrong, nor whether the account exists.
    """

    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__(_("The user name or password is not right. Try again."))


class LoginThrottled(XiaonengError):
    """Too many failed sign-ins for this user name or from this address: wait and retry.

    ``retry_after`` is the number of seconds until attempts are accepted again; the API sends
    it as the ``Retry-After`` header.
    """

    code = "throttled"
    http_status = 429

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        minutes = max(1, math.ceil(self.retry_after / 60))
        super().__init__(
            ngettext(
                "Too many failed sign-ins for this account or from this address. "
                "Try again in %(minutes)d minute.",
                "Too many failed sign-ins for this account or from this address. "
                "Try again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes},
            details={"retry_after": self.retry_after},
        )
