"""Every message catalogue of the platform is complete: zh-Hans is the default language.

One check for all rooms: gettext's own ``msgfmt -c --statistics`` must accept each
``django.po`` (placeholders agree on both sides of every python-format entry) and count no
fuzzy and no untranslated message.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import xiaoneng

PACKAGE = Path(xiaoneng.__file__).parent
CATALOGUES = sorted(PACKAGE.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))


def test_every_room_with_pages_has_a_catalogue():
    """The project catalogue and each room that shows text to people have zh-Hans messages."""
    rooms = {p.relative_to(PACKAGE).parts[0] for p in CATALOGUES}
    expected = {"locale", "accounts", "applications", "calendars", "catalog", "clocks"}
    expected |= {"licenses", "notifications", "ratings"}
    assert expected <= rooms


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_catalogue_is_complete_and_well_formed(po: Path):
    """msgfmt accepts the catalogue and counts no fuzzy or untranslated message."""
    done = subprocess.run(
        ["msgfmt", "-c", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "fuzzy" not in done.stderr, done.stderr
    assert "untranslated" not in done.stderr, done.stderr
