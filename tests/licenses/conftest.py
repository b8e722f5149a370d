"""Fixtures of the licenses tests: media in a temporary folder, the department's staff."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Result PDFs land in a folder of the test's own, never in var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
