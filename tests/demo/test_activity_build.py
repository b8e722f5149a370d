"""Building the demo city with its season: one transaction, never in the future, real files."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from xiaoneng.accounts.models import User
from xiaoneng.catalog.models import Matter
from xiaoneng.core.errors import InvalidInput
from xiaoneng.demo import activity
from xiaoneng.demo.activity import demo_build_activity, tiny_pdf, tiny_png
from xiaoneng.demo.models import DemoBuild
from xiaoneng.demo.services import demo_build


def test_the_small_files_are_real_pdf_and_png():
    """The generated PDF opens as one page; the PNG is a 1×1 image with valid chunks."""
    assert len(PdfReader(io.BytesIO(tiny_pdf())).pages) == 1
    png = tiny_png()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png[12:16] == b"IHDR" and png[16:24] == (1).to_bytes(4, "big") * 2
    assert png.endswith(b"IEND\xaeB`\x82")


def test_a_season_cannot_end_in_the_future():
    """A today after the real today is refused."""
    with pytest.raises(InvalidInput, match="before today"):
        demo_build_activity(seed=1, today=timezone.localdate() + dt.timedelta(days=1))


@pytest.mark.django_db
def test_a_failed_season_leaves_no_demo_city_behind(monkeypatch):
    """If the season fails, the whole build rolls back: no DemoBuild, no catalog, no
    accounts, so the database is empty and can be built again."""

    def boom(**kwargs: object) -> dict[str, int]:
        raise RuntimeError("the season failed")

    monkeypatch.setattr(activity, "demo_build_activity", boom)
    with pytest.raises(RuntimeError, match="season failed"):
        demo_build()
    assert not DemoBuild.objects.exists()
    assert not Matter.objects.exists()
    assert not User.objects.exists()
