"""Fixtures of the application tests: English messages, uploads in a temporary folder."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English, so assertions on their wording do not depend on compiled .mo."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Uploaded files go to a fresh folder per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def travel_to(day: dt.date, hour: int = 10) -> time_machine.travel:
    """Freeze "today" (Asia/Shanghai) at ``day``."""
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), tick=False
    )
