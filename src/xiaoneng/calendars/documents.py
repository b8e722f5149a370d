"""The YAML format of one year's holidays and adjusted working days: read, check, write.

Pure functions, no database: :mod:`xiaoneng.calendars.services` stores what
:func:`parse_year_document` returns. The format (docs/calendar.md has a full example)::

    year: 2027
    notice: 国办发明电〔2026〕N号            # optional: where the days come from
    holidays:                               # rest days, Monday-Friday included
      - {name: 元旦, from: 2027-01-01, to: 2027-01-03}   # a range, both ends included
      - {name: 清明节, date: 2027-04-05}                  # or a single date
    adjusted_workdays:                      # 调休上班: Saturdays or Sundays with work
      - {date: 2027-02-20, name: 春节}

Every date must lie in ``year``; a notice's days in the neighbouring year (New Year's Day
often reaches back to 30-31 December) belong to that year's table. Every problem found is
reported, each with its position, what was expected and what arrived.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from xiaoneng.calendars.rules import MAX_YEAR, MIN_YEAR
from xiaoneng.core.errors import InvalidInput

TOP_LEVEL_KEYS = ("year", "notice", "holidays", "adjusted_workdays")
HOLIDAY_KEYS = ("name", "from", "to", "date")
WORKDAY_KEYS = ("date", "name")
# No notice has a holiday longer than the 2020 Spring Festival (10 days); a longer range is
# almost always a typo in a month, and would silently remove weeks of working days.
MAX_HOLIDAY_RANGE_DAYS = 31
NAME_MAX_LENGTH = 100

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class YearDocument:
    """One year's checked days, ready to be stored.

    Attributes:
        year: the calendar year every day lies in.
        notice: where the days come from (document number or description), may be empty.
        holidays: rest days and the name of the holiday each belongs to, in date order.
        adjusted_workdays: weekend working days and the holiday each makes up for.
    """

    year: int
    notice: str = ""
    holidays: dict[dt.date, str] = field(default_factory=dict)
    adjusted_workdays: dict[dt.date, str] = field(default_factory=dict)


class _TextDatesLoader(yaml.SafeLoader):
    """Safe YAML loader that leaves dates as text.

    PyYAML turns ``2027-02-30`` into an exception for the whole file; keeping dates as text
    lets :func:`parse_year_document` name the entry that holds the bad date.
    """


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str) -> Any:
    """Read YAML text with dates kept as text.

    Raises:
        InvalidInput: the text is not YAML; the message gives the line and the problem.
    """
    try:
        return yaml.load(text, Loader=_TextDatesLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = (
            _("line %(line)s, column %(column)s")
            % {"line": mark.line + 1, "column": mark.column + 1}
            if mark is not None
            else _("unknown position")
        )
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInput(
            _("Expected a YAML document; it is not valid YAML at %(where)s: %(problem)s.")
            % {"where": where, "problem": problem},
            details={"errors": [str(exc)]},
        ) from exc


def _shown(value: Any) -> str:
    """How an unexpected value is quoted in a message: short, and with its type if odd."""
    if value is None:
        return _("nothing")
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f'"{text}"'
    if isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, Mapping):
        return _("a mapping with the keys %(keys)s") % {"keys": ", ".join(map(str, value))}
    if isinstance(value, list):
        return _("a list of %(n)s items") % {"n": len(value)}
    return _("a value of type %(type)s") % {"type": type(value).__name__}


class _Checker:
    """Collects every problem of one document instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.errors.append(
            _("%(where)s: %(message)s") % {"where": where, "message": message} if where else message
        )

    def date(self, where: str, key: str, value: Any) -> dt.date | None:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str) and _ISO_DATE.match(value.strip()):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass  # the same message as any other malformed date, below
        self.add(
            where,
            _("'%(key)s' must be a date written like 2027-01-01, got %(value)s.")
            % {"key": key, "value": _shown(value)},
        )
        return None

    def name(self, where: str, value: Any) -> str | None:
        if value is None:
            self.add(where, _("'name' is missing; expected the holiday's name, e.g. 春节."))
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(
                where,
                _("'name' must be the holiday's name as text, e.g. 春节, got %(value)s.")
                % {"value": _shown(value)},
            )
            return None
        if len(value.strip()) > NAME_MAX_LENGTH:
            self.add(
                where,
                _("'name' must be at most %(max)s characters, got %(n)s.")
                % {"max": NAME_MAX_LENGTH, "n": len(value.strip())},
            )
            return None
        return value.strip()

    def keys(self, where: str, entry: Mapping[Any, Any], allowed: tuple[str, ...]) -> None:
        for key in entry:
            if key not in allowed:
                self.add(
                    where,
                    _("unknown key %(key)s; expected only %(allowed)s.")
                    % {"key": _shown(key), "allowed": ", ".join(allowed)},
                )

    def in_year(self, where: str, day: dt.date, year: int | None) -> bool:
        if year is None or day.year == year:
            return True
        self.add(
            where,
            _(
                "%(day)s is outside %(year)s; expected dates in %(year)s only. Days of "
                "%(other)s belong in %(other)s's table (export it, add them, import it again)."
            )
            % {"day": day.isoformat(), "year": year, "other": day.year},
        )
        return False


def _entry_where(section: str, number: int) -> str:
    return _("%(section)s, entry %(number)s") % {"section": section, "number": number}


def _entries(checker: _Checker, document: Mapping[Any, Any], section: str) -> list[Any]:
    raw = document.get(section)
    if raw is None:
        if section == "holidays":
            checker.add("", _("'holidays' is missing; expected a list of the year's holidays."))
        return []
    if not isinstance(raw, list):
        checker.add(
            section,
            _("expected a list of entries, got %(value)s.") % {"value": _shown(raw)},
        )
        return []
    if section == "holidays" and not raw:
        checker.add(section, _("expected at least one holiday, got an empty list."))
    return raw


def parse_year_document(document: Any) -> YearDocument:
    """Check one year's document and return its days (the format is in the module docstring).

    Args:
        document: the YAML document as loaded (a mapping); dates may be text or ``date``.

    Returns:
        The year's holidays and adjusted working days, each with its name.

    Raises:
        InvalidInput: listing every problem (``details["errors"]``), each with its position,
            what was expected and what arrived.
    """
    checker = _Checker()
    if not isinstance(document, Mapping):
        raise InvalidInput(
            _("Expected a mapping with the keys %(keys)s, got %(value)s.")
            % {"keys": ", ".join(TOP_LEVEL_KEYS), "value": _shown(document)},
            details={"errors": []},
        )
    checker.keys("", document, TOP_LEVEL_KEYS)

    year: int | None = None
    raw_year = document.get("year")
    if raw_year is None:
        checker.add("", _("'year' is missing; expected the calendar year, e.g. 2027."))
    elif (
        isinstance(raw_year, bool)
        or not isinstance(raw_year, int)
        or not MIN_YEAR <= raw_year <= MAX_YEAR
    ):
        checker.add(
            "year",
            _("expected a year from %(min)s to %(max)s, got %(value)s.")
            % {"min": MIN_YEAR, "max": MAX_YEAR, "value": _shown(raw_year)},
        )
    else:
        year = raw_year

    notice = document.get("notice", "")
    if notice is None:
        notice = ""
    if not isinstance(notice, str | int):
        checker.add(
            "notice",
            _("expected the notice's number or title as text, got %(value)s.")
            % {"value": _shown(notice)},
        )
        notice = ""
    notice = str(notice).strip()
    if len(notice) > 200:
        checker.add("notice", _("expected at most 200 characters, got %(n)s.") % {"n": len(notice)})

    holidays: dict[dt.date, str] = {}
    holiday_entry: dict[dt.date, int] = {}
    for number, entry in enumerate(_entries(checker, document, "holidays"), start=1):
        where = _entry_where("holidays", number)
        if not isinstance(entry, Mapping):
            checker.add(
                where,
                _(
                    "expected a mapping such as {name: 春节, from: 2027-02-06, to: 2027-02-12}, "
                    "got %(value)s."
                )
                % {"value": _shown(entry)},
            )
            continue
        checker.keys(where, entry, HOLIDAY_KEYS)
        name = checker.name(where, entry.get("name"))
        if "date" in entry and ("from" in entry or "to" in entry):
            checker.add(where, _("give either 'date' or 'from' and 'to', not both."))
            continue
        if "date" in entry:
            first = last = checker.date(where, "date", entry["date"])
        elif "from" in entry:
            first = checker.date(where, "from", entry["from"])
            last = checker.date(where, "to", entry["to"]) if "to" in entry else first
        else:
            checker.add(where, _("expected 'date', or 'from' and 'to'; neither is there."))
            continue
        if first is None or last is None:
            continue
        if last < first:
            checker.add(
                where,
                _("'to' (%(to)s) must not be before 'from' (%(from)s).")
                % {"to": last.isoformat(), "from": first.isoformat()},
            )
            continue
        length = (last - first).days + 1
        if length > MAX_HOLIDAY_RANGE_DAYS:
            checker.add(
                where,
                _(
                    "expected a holiday of at most %(max)s days, got %(n)s days (%(from)s to "
                    "%(to)s)."
                )
                % {
                    "max": MAX_HOLIDAY_RANGE_DAYS,
                    "n": length,
                    "from": first.isoformat(),
                    "to": last.isoformat(),
                },
            )
            continue
        if not (checker.in_year(where, first, year) and checker.in_year(where, last, year)):
            continue
        for offset in range(length):
            day = first + dt.timedelta(days=offset)
            if day in holiday_entry:
                checker.add(
                    where,
                    _(
                        "%(day)s is already a holiday in holidays, entry %(other)s; expected "
                        "each day once."
                    )
                    % {"day": day.isoformat(), "other": holiday_entry[day]},
                )
                continue
            holiday_entry[day] = number
            if name is not None:
                holidays[day] = name

    workdays: dict[dt.date, str] = {}
    workday_entry: dict[dt.date, int] = {}
    for number, entry in enumerate(_entries(checker, document, "adjusted_workdays"), start=1):
        where = _entry_where("adjusted_workdays", number)
        if not isinstance(entry, Mapping):
            checker.add(
                where,
                _("expected a mapping such as {date: 2027-02-20, name: 春节}, got %(value)s.")
                % {"value": _shown(entry)},
            )
            continue
        checker.keys(where, entry, WORKDAY_KEYS)
        name = checker.name(where, entry.get("name"))
        if "date" not in entry:
            checker.add(where, _("'date' is missing; expected a date such as 2027-02-20."))
            continue
        workday = checker.date(where, "date", entry["date"])
        if workday is None or not checker.in_year(where, workday, year):
            continue
        day = workday
        if day.weekday() < 5:
            checker.add(
                where,
                _(
                    "expected a Saturday or Sunday, got %(day)s, a %(weekday)s (a working day "
                    "anyway)."
                )
                % {"day": day.isoformat(), "weekday": WEEKDAYS[day.weekday()]},
            )
            continue
        if day in holiday_entry:
            checker.add(
                where,
                _(
                    "%(day)s is also a holiday (holidays, entry %(other)s); expected a day to be "
                    "either a holiday or an adjusted working day."
                )
                % {"day": day.isoformat(), "other": holiday_entry[day]},
            )
            continue
        if day in workday_entry:
            checker.add(
                where,
                _(
                    "%(day)s is already listed in adjusted_workdays, entry %(other)s; expected "
                    "each day once."
                )
                % {"day": day.isoformat(), "other": workday_entry[day]},
            )
            continue
        workday_entry[day] = number
        if name is not None:
            workdays[day] = name

    if checker.errors:
        count = len(checker.errors)
        head = pgettext("separator of a list of errors", "; ").join(checker.errors[:5])
        more = "" if count <= 5 else " " + _("(and %(n)s more)") % {"n": count - 5}
        raise InvalidInput(
            _("The calendar document has %(n)s problem(s): %(errors)s")
            % {"n": count, "errors": head + more},
            details={"errors": checker.errors},
        )
    assert year is not None  # no error means the year was read
    return YearDocument(
        year=year,
        notice=notice,
        holidays=dict(sorted(holidays.items())),
        adjusted_workdays=dict(sorted(workdays.items())),
    )


def year_document_to_dict(document: YearDocument) -> dict[str, Any]:
    """The mapping form of a year, which :func:`parse_year_document` reads back unchanged.

    Consecutive holidays with the same name become one ``from``/``to`` range.
    """
    runs: list[tuple[str, dt.date, dt.date]] = []
    for day, name in sorted(document.holidays.items()):
        if runs and runs[-1][0] == name and runs[-1][2] + dt.timedelta(days=1) == day:
            runs[-1] = (name, runs[-1][1], day)
        else:
            runs.append((name, day, day))
    holidays = [
        {"name": name, "date": first}
        if first == last
        else {"name": name, "from": first, "to": last}
        for name, first, last in runs
    ]
    return {
        "year": document.year,
        "notice": document.notice,
        "holidays": holidays,
        "adjusted_workdays": [
            {"date": day, "name": name} for day, name in sorted(document.adjusted_workdays.items())
        ],
    }


def dump_year_document(document: YearDocument, *, header: str = "") -> str:
    """The YAML text of one year, re-importable with ``xiaoneng calendar import``.

    Args:
        document: the year to write.
        header: comment lines to put first (without the leading ``#``).
    """
    body = yaml.safe_dump(
        year_document_to_dict(document),
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=None,
        width=100,
    )
    comments = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    return comments + body
