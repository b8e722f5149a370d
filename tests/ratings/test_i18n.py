"""Every message of the ratings and notifications rooms has a Simplified Chinese translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

import xiaoneng.notifications
import xiaoneng.ratings
from xiaoneng.ratings.models import LevelChoice


def _po(package: object) -> Path:
    return Path(package.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"  # type: ignore[attr-defined]


_ENTRY = re.compile(
    r"^msgid ((?:\".*\"\n)+)"
    r"(?:msgid_plural (?:\".*\"\n)+)?"
    r"msgstr(?:\[0\])? ((?:\".*\"\n?)+)",
    re.M,
)


def _entries(text: str) -> list[tuple[str, str, str]]:
    entries = []
    for block in text.split("\n\n"):
        match = _ENTRY.search(block + "\n")
        if match:
            msgid = "".join(re.findall(r'"(.*)"', match.group(1)))
            msgstr = "".join(re.findall(r'"(.*)"', match.group(2)))
            entries.append((block, msgid, msgstr))
    return entries


@pytest.mark.parametrize("package", [xiaoneng.ratings, xiaoneng.notifications])
def test_every_message_is_translated(package: object) -> None:
    """No empty msgstr, no fuzzy entry, and the same %(name)s placeholders on both sides."""
    entries = _entries(_po(package).read_text(encoding="utf-8"))
    assert len(entries) > 50
    for block, msgid, msgstr in entries:
        if not msgid:
            continue  # the header
        assert msgstr, f"untranslated: {msgid!r}"
        assert "#, fuzzy" not in block, f"fuzzy: {msgid!r}"
        assert sorted(re.findall(r"%\(\w+\)[sdr]", msgid)) == sorted(
            re.findall(r"%\(\w+\)[sdr]", msgstr)
        ), msgid


def test_the_rating_levels_read_as_in_the_national_standard() -> None:
    """In zh-Hans the five levels read 非常满意, 满意, 基本满意, 不满意, 非常不满意 (§8)."""
    with translation.override("zh-hans"):
        labels = [str(label) for _, label in LevelChoice.choices]
    assert labels == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
