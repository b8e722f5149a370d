from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "xiaoneng.accounts"
    label = "accounts"
    verbose_name = _("Accounts and departments")

    def ready(self) -> None:
        # Registers the bearer-token security scheme with drf-spectacular.
        from xiaoneng.accounts import schema  # noqa: F401
