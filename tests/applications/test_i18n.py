"""Every message of the applications room has a Simplified Chinese translation (issue 3 §7)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

import xiaoneng.applications
from tests.applications.conftest import travel_to
from tests.applications.factories import DepartmentFactory, people, promised_matter

LOCALE = Path(xiaoneng.applications.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"


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
