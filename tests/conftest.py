"""Test-wide settings: tasks run inline, the test environment, a fast password hasher."""

import os

os.environ.setdefault("XIAONENG_ENV", "test")
os.environ["TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"

import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):  # type: ignore[no-untyped-def]
    """Argon2 is deliberately slow; tests hash with MD5 so the suite stays quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
