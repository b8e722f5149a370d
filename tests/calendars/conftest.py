"""Shared fixtures of the calendar tests."""

from pathlib import Path

import pytest
from django.utils import translation

from xiaoneng.calendars.documents import load_yaml
from xiaoneng.calendars.selectors import workday_calendar_clear_cache

from .factories import AdminFactory

EXAMPLE_2027 = (
    Path(__file__).resolve().parents[2] / "docs" / "examples" / "calendar-example-2027.yaml"
)


@pytest.fixture
def example_2027_path() -> Path:
    """The illustrative 2027 notice file of docs/examples."""
    return EXAMPLE_2027


@pytest.fixture
def example_2027() -> dict:
    """The illustrative 2027 notice, loaded as a document."""
    return load_yaml(EXAMPLE_2027.read_text(encoding="utf-8"))


@pytest.fixture
def admin_user(db):
    """An administrator."""
    return AdminFactory()


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English (their msgids); one test checks the Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Each test starts without a cached calendar, as a new process would."""
    workday_calendar_clear_cache()
    yield
    workday_calendar_clear_cache()
