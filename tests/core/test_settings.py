"""Production mode refuses to start half-configured (the development key, DEBUG on)."""

import os
import subprocess
import sys

import pytest

GOOD_KEY = "k" * 40


def _start(**env: str) -> subprocess.CompletedProcess[str]:
    """Load the settings in a fresh interpreter, as a server process would."""
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "xiaoneng.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": GOOD_KEY, "DEBUG": "true"}, "DEBUG"),
        ({"SECRET_KEY": GOOD_KEY, "DEBUG": "false", "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"SECRET_KEY": GOOD_KEY, "DEBUG": "maybe"}, "DEBUG must be true or false"),
    ],
)
def test_production_refuses_unsafe_settings(env, message):
    """Each unsafe production setting stops the process with a message naming it."""
    result = _start(XIAONENG_ENV="production", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_starts_when_configured():
    """With its own key, DEBUG off and host names, production starts."""
    result = _start(
        XIAONENG_ENV="production",
        SECRET_KEY=GOOD_KEY,
        DEBUG="false",
        ALLOWED_HOSTS="services.example.gov.cn",
    )
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout
