"""The YAML import format: what it accepts, and row-level messages for what it refuses.

Issue 2, "The working-day calendar": a documented YAML format listing holidays and adjusted
working days. Pure: no database.
"""

import datetime as dt

import pytest

from xiaoneng.calendars.documents import (
    dump_year_document,
    load_yaml,
    parse_year_document,
    year_document_to_dict,
)
from xiaoneng.calendars.package_data import package_data
from xiaoneng.core.errors import InvalidInput


def _doc(**overrides):
    base = {
        "year": 2027,
        "notice": "示例",
        "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}],
        "adjusted_workdays": [{"date": "2027-01-31", "name": "春节"}],
    }
    base.update(overrides)
    return base


def _errors(document) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        parse_year_document(document)
    return caught.value.details["errors"]


def test_example_file_parses(example_2027):
    """The illustrative 2027 file of docs/examples is a valid document."""
    doc = parse_year_document(example_2027)
    assert doc.year == 2027
    assert doc.holidays[dt.date(2027, 2, 5)] == "春节"
    assert doc.holidays[dt.date(2027, 6, 9)] == "端午节"  # the single-date form
    assert len(doc.holidays) == 3 + 9 + 3 + 5 + 1 + 1 + 7
    assert doc.adjusted_workdays[dt.date(2027, 10, 9)] == "国庆节"


def test_dates_may_be_text_or_date_objects():
    """Quoted dates, unquoted dates (as yaml.safe_load reads them) and date objects all work."""
    doc = parse_year_document(
        _doc(holidays=[{"name": "元旦", "from": dt.date(2027, 1, 1), "to": "2027-01-02"}])
    )
    assert list(doc.holidays) == [dt.date(2027, 1, 1), dt.date(2027, 1, 2)]


def test_bad_date_names_the_entry_and_the_value():
    """An impossible date is reported with its section, entry number, and what arrived."""
    text = (
        "year: 2027\nholidays:\n  - {name: 元旦, date: 2027-01-01}\n"
        "  - {name: 春节, from: 2027-02-30, to: 2027-03-02}\n"
    )
    errors = _errors(load_yaml(text))
    assert errors == [
        "holidays, entry 2: 'from' must be a date written like 2027-01-01, got \"2027-02-30\"."
    ]


def test_date_outside_the_year_is_refused_with_advice():
    """A date in another year is refused, saying which table it belongs to."""
    errors = _errors(_doc(holidays=[{"name": "元旦", "from": "2026-12-31", "to": "2027-01-02"}]))
    assert len(errors) == 1
    assert errors[0].startswith("holidays, entry 1: 2026-12-31 is outside 2027")
    assert "2026's table" in errors[0]


def test_holiday_and_workday_on_the_same_day_is_refused():
    """A day cannot be both a holiday and an adjusted working day."""
    errors = _errors(
        _doc(
            holidays=[{"name": "春节", "from": "2027-02-05", "to": "2027-02-13"}],
            adjusted_workdays=[{"date": "2027-02-06", "name": "春节"}],
        )
    )
    assert errors == [
        "adjusted_workdays, entry 1: 2027-02-06 is also a holiday (holidays, entry 1); "
        "expected a day to be either a holiday or an adjusted working day."
    ]


def test_overlapping_holidays_are_refused():
    """Two holiday entries may not list the same day."""
    errors = _errors(
        _doc(
            holidays=[
                {"name": "国庆节", "from": "2027-10-01", "to": "2027-10-07"},
                {"name": "中秋节", "date": "2027-10-03"},
            ]
        )
    )
    assert errors == [
        "holidays, entry 2: 2027-10-03 is already a holiday in holidays, entry 1; "
        "expected each day once."
    ]


def test_unknown_keys_are_refused_at_every_level():
    """Misspelt keys are reported where they are, with the keys that are allowed."""
    errors = _errors(
        _doc(
            workdays=[],
            holidays=[{"name": "元旦", "date": "2027-01-01", "note": "x"}],
        )
    )
    assert errors == [
        'unknown key "workdays"; expected only year, notice, holidays, adjusted_workdays.',
        'holidays, entry 1: unknown key "note"; expected only name, from, to, date.',
    ]


def test_adjusted_workday_on_a_weekday_is_refused():
    """An adjusted working day must fall on a weekend; a weekday is a working day anyway."""
    errors = _errors(_doc(adjusted_workdays=[{"date": "2027-02-01", "name": "春节"}]))
    assert errors == [
        "adjusted_workdays, entry 1: expected a Saturday or Sunday, got 2027-02-01, a Monday "
        "(a working day anyway)."
    ]


def test_every_problem_is_reported_at_once():
    """All problems of a file come back together, so one round of fixes is enough."""
    errors = _errors(
        {
            "year": "2027",
            "holidays": [
                {"from": "2027-01-03", "to": "2027-01-01", "name": ""},
                "2027-05-01",
                {"name": "国庆节", "from": "2027-09-01", "to": "2027-10-31"},
            ],
            "adjusted_workdays": {"date": "2027-01-31"},
        }
    )
    assert errors == [
        'year: expected a year from 1990 to 2100, got "2027".',
        "holidays, entry 1: 'name' must be the holiday's name as text, e.g. 春节, got \"\".",
        "holidays, entry 1: 'to' (2027-01-01) must not be before 'from' (2027-01-03).",
        "holidays, entry 2: expected a mapping such as {name: 春节, from: 2027-02-06, to: "
        '2027-02-12}, got "2027-05-01".',
        "holidays, entry 3: expected a holiday of at most 31 days, got 61 days (2027-09-01 to "
        "2027-10-31).",
        "adjusted_workdays: expected a list of entries, got a mapping with the keys date.",
    ]


def test_missing_parts_are_named():
    """A document without year or holidays says what is missing."""
    assert _errors({"notice": "x"}) == [
        "'year' is missing; expected the calendar year, e.g. 2027.",
        "'holidays' is missing; expected a list of the year's holidays.",
    ]


def test_not_a_mapping_is_refused():
    """A list or text instead of a mapping is refused with what arrived."""
    with pytest.raises(InvalidInput, match="got a list of 2 items"):
        parse_year_document([1, 2])


def test_invalid_yaml_gives_line_and_column():
    """Broken YAML is reported with its position."""
    with pytest.raises(InvalidInput, match=r"line 3, column 1: expected the node content"):
        load_yaml("year: 2027\nholidays: [\n")


def test_export_round_trips_through_yaml():
    """A dumped year reads back to the same days, ranges merged by name."""
    data = package_data()
    for year in (2015, 2020, 2024):
        original = data.year_document(year)
        text = dump_year_document(original, header="a header\nsecond line")
        assert text.startswith("# a header\n# second line\nyear: ")
        assert parse_year_document(load_yaml(text)) == original


def test_consecutive_days_with_one_name_become_a_range():
    """The 2020 extension stays a separate range from the Spring Festival it extended."""
    doc = package_data().year_document(2020)
    holidays = year_document_to_dict(doc)["holidays"]
    assert {"name": "春节", "from": dt.date(2020, 1, 24), "to": dt.date(2020, 1, 30)} in holidays
    assert {
        "name": "抗击新冠肺炎疫情延长春节假期",
        "from": dt.date(2020, 1, 31),
        "to": dt.date(2020, 2, 2),
    } in holidays
    assert {"name": "元旦", "date": dt.date(2020, 1, 1)} in holidays


def test_example_file_is_labelled_as_illustrative(example_2027_path):
    """The 2027 example says, first thing, that it is not the official notice."""
    first_line = example_2027_path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# ILLUSTRATIVE EXAMPLE")
    assert "NOT the official 2027 notice" in first_line
