"""Seed the holiday table with every year the chinese-calendar package covers (2004–2026).

DOMAIN_RULES.md §1: the platform keeps its own table, seeded from the package, that an
administrator extends or corrects. The name mapping is frozen here on purpose: a migration
must give the same rows whatever later code looks like.
"""

import datetime as dt
from importlib import metadata

from django.db import migrations

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
EXTENSION_2020_NAME = "抗击新冠肺炎疫情延长春节假期"
EXTENSION_2020_DAYS = {dt.date(2020, 1, 31), dt.date(2020, 2, 1), dt.date(2020, 2, 2)}


def _name(day, value):
    if day in EXTENSION_2020_DAYS:
        return EXTENSION_2020_NAME
    english = str(getattr(value, "value", value))
    return HOLIDAY_NAMES.get(english, str(getattr(value, "chinese", english)))


def seed(apps, schema_editor):
    import chinese_calendar

    CalendarYear = apps.get_model("calendars", "CalendarYear")
    CalendarDay = apps.get_model("calendars", "CalendarDay")
    try:
        version = metadata.version("chinesecalendar")
    except metadata.PackageNotFoundError:
        version = "unknown"
    first = min(chinese_calendar.holidays).year
    last = max(chinese_calendar.holidays).year
    existing = set(CalendarYear.objects.values_list("year", flat=True))
    years = [y for y in range(first, last + 1) if y not in existing]
    wanted = set(years)
    days = [
        CalendarDay(day=day, kind="holiday", name=_name(day, value), year=day.year)
        for day, value in chinese_calendar.holidays.items()
        if day.year in wanted
    ] + [
        CalendarDay(day=day, kind="workday", name=_name(day, value), year=day.year)
        for day, value in chinese_calendar.workdays.items()
        if day.year in wanted
    ]
    CalendarDay.objects.bulk_create(sorted(days, key=lambda d: d.day), batch_size=500)
    CalendarYear.objects.bulk_create(
        [
            CalendarYear(year=y, source="package", notice=f"chinese-calendar {version}")
            for y in years
        ]
    )


def unseed(apps, schema_editor):
    CalendarYear = apps.get_model("calendars", "CalendarYear")
    CalendarDay = apps.get_model("calendars", "CalendarDay")
    years = list(CalendarYear.objects.filter(source="package").values_list("year", flat=True))
    CalendarDay.objects.filter(year__in=years).delete()
    CalendarYear.objects.filter(year__in=years).delete()


class Migration(migrations.Migration):
    dependencies = [("calendars", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
