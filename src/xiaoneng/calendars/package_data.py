"""The ``chinese-calendar`` package read as data: its years, holidays and adjusted working days.

The package (import ``chinese_calendar``, MIT) holds the State Council notices for 2004–2026
and is the seed of the holiday table (DOMAIN_RULES.md §1). It is used as data only, never for
arithmetic: its ``find_workday`` takes about a millisecond a call.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import metadata

import chinese_calendar

from xiaoneng.calendars.documents import YearDocument
from xiaoneng.calendars.rules import WorkdayCalendar

# The package names days by the English value of its Holiday enum; the table speaks Chinese,
# with the names the State Council notices use.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
# The package files the 2020 extension (国办发明电〔2020〕1号) under Spring Festival; the
# table keeps the name of the notice that added those days.
EXTENSION_2020_NAME = "抗击新冠肺炎疫情延长春节假期"
EXTENSION_2020_DAYS = frozenset({dt.date(2020, 1, 31), dt.date(2020, 2, 1), dt.date(2020, 2, 2)})


def _name(day: dt.date, value: object) -> str:
    if day in EXTENSION_2020_DAYS:
        return EXTENSION_2020_NAME
    # Values are the Holiday enum's English value (a str) in 1.x; accept the enum too.
    english = getattr(value, "value", value)
    return HOLIDAY_NAMES.get(str(english), str(getattr(value, "chinese", english)))


def package_version() -> str:
    """Version of the installed ``chinesecalendar`` distribution, e.g. ``1.11.0``."""
    try:
        return metadata.version("chinesecalendar")
    except metadata.PackageNotFoundError:  # pragma: no cover - installed with the platform
        return "unknown"


@dataclass(frozen=True)
class PackageData:
    """Everything the package knows, with Chinese names."""

    years: tuple[int, ...]
    holidays: dict[dt.date, str]
    adjusted_workdays: dict[dt.date, str]

    def year_document(self, year: int) -> YearDocument:
        """One year of the package in the import format's checked form."""
        return YearDocument(
            year=year,
            notice=f"chinese-calendar {package_version()}",
            holidays={d: n for d, n in self.holidays.items() if d.year == year},
            adjusted_workdays={d: n for d, n in self.adjusted_workdays.items() if d.year == year},
        )


def package_data() -> PackageData:
    """The package's days, each named in Chinese, and the years it covers."""
    holidays = {d: _name(d, v) for d, v in sorted(chinese_calendar.holidays.items())}
    workdays = {d: _name(d, v) for d, v in sorted(chinese_calendar.workdays.items())}
    years = range(min(holidays).year, max(holidays).year + 1)
    return PackageData(years=tuple(years), holidays=holidays, adjusted_workdays=workdays)


def package_calendar() -> WorkdayCalendar:
    """A :class:`WorkdayCalendar` built straight from the package, without a database.

    For benchmarks and pure tests; the platform reads the holiday table through
    :func:`xiaoneng.calendars.selectors.workday_calendar`.
    """
    data = package_data()
    return WorkdayCalendar(
        covered_years=data.years,
        holidays=data.holidays,
        adjusted_workdays=data.adjusted_workdays,
    )
