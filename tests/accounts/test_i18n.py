"""Every message of the accounts room has a Simplified Chinese translation, worded like the
project-wide catalogue for the shared strings."""

from __future__ import annotations

import re
from pathlib import Path

import xiaoneng

ROOT = Path(xiaoneng.__file__).parent
PO = ROOT / "accounts" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PROJECT_PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _entries(text: str) -> dict[str, tuple[str, str]]:
    entries = {}
    for block in text.split("\n\n"):
        match = re.search(
            r"^msgid ((?:\".*\"\n)+)(?:msgid_plural (?:\".*\"\n)+)?"
            r"msgstr(?:\[0\])? ((?:\".*\"\n?)+)",
            block + "\n",
            re.M,
        )
        if match:
            msgid = "".join(re.findall(r'"(.*)"', match.group(1)))
            msgstr = "".join(re.findall(r'"(.*)"', match.group(2)))
            entries[msgid] = (block, msgstr)
    return entries


def test_shared_strings_read_the_same_as_the_project_catalogue():
    """Strings that also stand in src/xiaoneng/locale are translated identically there."""
    ours = _entries(PO.read_text(encoding="utf-8"))
    project = _entries(PROJECT_PO.read_text(encoding="utf-8"))
    shared = [m for m in ours if m and m in project and project[m][1]]
    for msgid in shared:
        assert ours[msgid][1] == project[msgid][1], msgid
