"""Web pages of the accounts room: signing in."""

from __future__ import annotations

from django.contrib.auth.views import LoginView

from xiaoneng.accounts.forms import ThrottledAuthenticationForm


class ThrottledLoginView(LoginView):
    """``/accounts/login/``: Django's sign-in page with repeated failures throttled.

    After 5 failures for a user name, or from one address, within 15 minutes, the form refuses
    further attempts for 15 minutes and says so (docs/accounts.md). The session then lasts
    ``SESSION_COOKIE_AGE`` (8 hours).
    """

    authentication_form = ThrottledAuthenticationForm
    template_name = "registration/login.html"
