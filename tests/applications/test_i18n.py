"""Every message of the applications room has a Simplified Chinese translation (issue 3 §7)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

import xiaoneng.applications
from tests.applications.conftest import travel_to
from tests.applications.factories import DepartmentFactory, people, promised_matter

LOCALE = Path(xiaoneng.applications.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = LOCALE / "django.po"


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
    assert len(entries) > 200
    for block, msgid, msgstr in entries:
        if not msgid:
            continue  # the header
        assert msgstr, f"untranslated: {msgid!r}"
        assert "#, fuzzy" not in block, f"fuzzy: {msgid!r}"
        assert sorted(re.findall(r"%\(\w+\)[sdr]", msgid)) == sorted(
            re.findall(r"%\(\w+\)[sdr]", msgstr)
        ), msgid


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_catalog_compiles_cleanly() -> None:
    """`msgfmt -c` accepts the catalog (format strings and header checked)."""
    result = subprocess.run(
        ["msgfmt", "-c", "-o", "/dev/null", str(PO)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
@pytest.mark.skipif(not (LOCALE / "django.mo").exists(), reason="messages not compiled")
def test_a_disguised_upload_is_refused_in_chinese() -> None:
    """With Accept-Language zh-hans the refusal of a renamed program reads in Chinese."""
    dept = DepartmentFactory()
    citizen = people(dept)[0]
    matter = promised_matter(dept)
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(citizen)
    with travel_to(dt.date(2025, 3, 3)):
        application = client.post(
            "/api/v1/applications/", {"matter": matter.code}, content_type="application/json"
        ).json()
        response = client.post(
            f"/api/v1/applications/{application['id']}/materials/",
            {"file": SimpleUploadedFile("合同.pdf", b"MZ\x90\x00" + b"\x00" * 64)},
        )
    assert response.status_code == 400
    assert "不是" in response.json()["error"]["message"]
