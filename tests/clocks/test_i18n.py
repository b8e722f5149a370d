"""Every message of the clocks room has a Simplified Chinese translation."""

from __future__ import annotations

import re
from pathlib import Path

import xiaoneng.clocks

PO = Path(xiaoneng.clocks.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _entries(text: str) -> list[tuple[str, str, str]]:
    entries = []
    for block in text.split("\n\n"):
        match = re.search(r"^msgid ((?:\".*\"\n)+)msgstr ((?:\".*\"\n?)+)", block + "\n", re.M)
        if match:
            msgid = "".join(re.findall(r'"(.*)"', match.group(1)))
            msgstr = "".join(re.findall(r'"(.*)"', match.group(2)))
            entries.append((block, msgid, msgstr))
    return entries


def test_every_message_is_translated() -> None:
    """No empty msgstr, no fuzzy entry, and the same %(name)s placeholders on both sides."""
    entries = _entries(PO.read_text(encoding="utf-8"))
    assert len(entries) > 100
    for block, msgid, msgstr in entries:
        if not msgid:
            continue  # the header
        assert msgstr, f"untranslated: {msgid!r}"
        assert "#, fuzzy" not in block, f"fuzzy: {msgid!r}"
        assert sorted(re.findall(r"%\(\w+\)[sdr]", msgid)) == sorted(
            re.findall(r"%\(\w+\)[sdr]", msgstr)
        ), msgid
