"""The web sign-in form, with throttling of repeated failures shared with the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from xiaoneng.accounts.errors import InvalidCredentials, LoginThrottled
from xiaoneng.accounts.models import LoginChannel
from xiaoneng.accounts.services import user_authenticate


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, checking through :func:`~xiaoneng.accounts.services.
    user_authenticate`: locked-out user names and addresses are refused with a form error
    saying how long to wait, and every failure counts towards the lockout."""

    error_messages = {
        "invalid_login": _("The user name or password is not right. Try again."),
        "inactive": _("This account is inactive."),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = user_authenticate(
                    request=self.request,
                    username=username,
                    password=password,
                    channel=LoginChannel.WEB,
                )
            except LoginThrottled as exc:
                raise forms.ValidationError(exc.message, code="throttled") from None
            except InvalidCredentials:
                raise self.get_invalid_login_error() from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class ThrottledAdminAuthenticationForm(ThrottledAuthenticationForm, AdminAuthenticationForm):
    """The admin site's sign-in (staff only), throttled like the rest: otherwise
    ``/admin/login/`` would be a way round the limit."""

    error_messages = {
        **ThrottledAuthenticationForm.error_messages,
        "invalid_login": _(
            "The user name or password is not right, or the account may not use the admin "
            "site. Try again."
        ),
    }
