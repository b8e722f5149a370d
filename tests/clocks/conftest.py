"""Fixtures of the clock tests: the pure calendar, English messages, a fixed "today"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import time_machine
from django.utils import translation

from xiaoneng.calendars.rules import WorkdayCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Built once: the package as data, the same years the seeded table covers (DOMAIN_RULES §1).
PURE_CALENDAR = WorkdayCalendar(
    covered_years=range(2004, 2027),
    holidays=chinese_calendar.holidays,
    adjusted_workdays=chinese_calendar.workdays,
)


@pytest.fixture
def calendar() -> WorkdayCalendar:
    """The working-day calendar of 2004–2026 built from the package, without a database."""
    return PURE_CALENDAR


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English, so assertions on their wording do not depend on compiled .mo."""
    with translation.override("en"):
        yield


def travel_to(day: dt.date, hour: int = 10) -> time_machine.travel:
    """Freeze "today" (Asia/Shanghai) at ``day``."""
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), tick=False
    )
