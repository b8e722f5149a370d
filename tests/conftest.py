"""Test-wide settings: tasks run inline, a fast password hasher."""

import pytest


@pytest.fixture(autouse=True)
def _tasks_inline(settings):  # type: ignore[no-untyped-def]
    """Queued background tasks run inline, at the commit that queues them.

    Set through the settings fixture: pytest-django has read the settings before any conftest
    runs, so an environment variable set here would come too late.
    """
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }


@pytest.fixture(autouse=True)
def _fast_passwords(settings):  # type: ignore[no-untyped-def]
    """Argon2 is deliberately slow; tests hash with MD5 so the suite stays quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
