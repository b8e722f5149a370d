"""``xiaoneng scan-clocks``: prints each change and a summary, exit 0; the hyphenated name the
docs use works through the console entry point."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tests.clocks.conftest import travel_to
from tests.clocks.factories import DepartmentFactory, start_test_clock
from xiaoneng.cli import main
from xiaoneng.supervision.models import WarningRecord

pytestmark = pytest.mark.django_db

d = dt.date


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Output in English, so assertions do not depend on compiled catalogues."""
    with translation.override("en"):
        yield


@pytest.fixture
def two_clocks() -> tuple[object, object]:
    """Two 20-day clocks started 2025-03-03 (yellow 03-25, due 03-31) in named departments."""
    with travel_to(d(2025, 3, 3)):
        first = start_test_clock(
            started_on=d(2025, 3, 3),
            label="SQ2025030300001 食品经营许可",
            department=DepartmentFactory(name="市场监督管理局"),
        )
        second = start_test_clock(
            started_on=d(2025, 3, 3),
            label="SQ2025030300002 建筑工程施工许可",
            department=DepartmentFactory(name="住房和城乡建设局"),
        )
    return first, second


def test_prints_each_change_and_a_summary(two_clocks):
    """One line per change (label, department, before → after), then the counts."""
    out = StringIO()
    with travel_to(d(2025, 4, 1)):
        call_command("scan_clocks", "--today", "2025-03-25", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines == [
        "SQ2025030300001 食品经营许可 · 市场监督管理局: on schedule → warning (yellow)",
        "SQ2025030300002 建筑工程施工许可 · 住房和城乡建设局: on schedule → warning (yellow)",
        "Scan of 2025-03-25: 2 warnings opened (2 yellow, 0 red), 0 closed.",
    ]
    out = StringIO()
    with travel_to(d(2025, 4, 1)):
        call_command("scan_clocks", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("warning (yellow) → overdue (red)")
    assert lines[-1] == (
        "Scan of 2025-04-01: 2 warnings opened (0 yellow, 2 red), 2 closed (escalated 2)."
    )
    assert WarningRecord.objects.count() == 4


def test_a_second_run_prints_only_the_summary(two_clocks):
    """Nothing changed since the last scan: just the summary line with zeros."""
    with travel_to(d(2025, 3, 25)):
        call_command("scan_clocks", stdout=StringIO())
        out = StringIO()
        call_command("scan_clocks", stdout=out)
    assert out.getvalue().splitlines() == [
        "Scan of 2025-03-25: 0 warnings opened (0 yellow, 0 red), 0 closed."
    ]


def test_the_hyphenated_name_runs_the_same_command(two_clocks, capsys, monkeypatch):
    """``xiaoneng scan-clocks`` (README, issue) is an alias of Django's ``scan_clocks``."""
    from django.db import connections

    # A command run from the console closes the connections when done; the test's own
    # connection must stay open for the assertions and the rollback after them.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    with travel_to(d(2025, 3, 25)):
        main(["scan-clocks", "--today", "2025-03-25"])
    out = capsys.readouterr().out
    assert "2 warnings opened (2 yellow, 0 red)" in out
    assert WarningRecord.objects.count() == 2


def test_a_future_day_is_an_error_naming_both_days(two_clocks):
    """A day after today is refused: the scan records what has happened."""
    with travel_to(d(2025, 3, 25)), pytest.raises(CommandError, match=r"2025-03-26.*2025-03-25"):
        call_command("scan_clocks", "--today", "2025-03-26", stdout=StringIO())
    assert not WarningRecord.objects.exists()


def test_a_malformed_day_is_refused():
    """``--today`` must be written YYYY-MM-DD."""
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("scan_clocks", "--today", "25/03/2025", stdout=StringIO())
