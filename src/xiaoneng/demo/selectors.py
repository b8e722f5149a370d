"""Reads about the demo city."""

from __future__ import annotations

from xiaoneng.demo.models import DemoBuild

# The demo accounts of the README; they exist only in a database that holds the demo city.
DEMO_USERNAMES = (
    "citizen",
    "enterprise",
    "window",
    "reviewer",
    "head",
    "office",
    "admin",
    "bank",
    "operator",
)


def demo_is_built() -> bool:
    """Whether this database holds the synthetic demo city."""
    return DemoBuild.objects.exists()


def demo_accounts() -> list[tuple[str, str]]:
    """(username, role label) of the demo accounts present, or [] outside the demo."""
    from xiaoneng.accounts.models import User

    if not demo_is_built():
        return []
    users = User.objects.filter(username__in=DEMO_USERNAMES).order_by("id")
    return [(u.username, str(u.get_role_display())) for u in users]
