"""``xiaoneng report monthly --month YYYY-MM --out DIR``: both files written, paths printed,
one line and exit code 2 on bad input (issue 4 part 5)."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.applications.conftest import travel_to
from tests.clocks.factories import DepartmentFactory, start_test_clock
from xiaoneng.clocks.services import clock_stop
from xiaoneng.dashboard import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_english() -> Iterator[None]:
    with travel_to(dt.date(2026, 11, 20)), translation.override("en"):
        yield


def run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue().splitlines()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert caught.value.returncode == 2
    return str(caught.value)


def test_monthly_writes_the_pdf_and_the_workbook_and_prints_their_paths(tmp_path):
    """Both files land in DIR (created when missing) under bulletin-YYYY-MM names and hold
    the month's figures."""
    dept = DepartmentFactory(code="A01")
    clock = start_test_clock(
        kind="application.promised", limit_days=5, started_on=dt.date(2026, 10, 12), department=dept
    )
    clock_stop(actor=None, clock=clock, on=dt.date(2026, 10, 16))
    out_dir = tmp_path / "reports" / "2026"
    lines = run("monthly", "--month", "2026-10", "--out", str(out_dir))
    pdf, xlsx = out_dir / "bulletin-2026-10.pdf", out_dir / "bulletin-2026-10.xlsx"
    assert lines == [str(pdf), str(xlsx)]
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "2026年10月" in text
    sheet = load_workbook(xlsx)["KPIs"]
    values = {row[0].value: row[2].value for row in sheet.iter_rows(min_row=2)}
    figures = selectors.kpis(
        date_from=dt.date(2026, 10, 1), date_to=dt.date(2026, 10, 31), today=dt.date(2026, 10, 31)
    )
    assert values["applications_concluded"] == figures["applications_concluded"] == 1
    assert values["on_time_rate"] == figures["on_time_rate"] == 1.0


def test_one_departments_bulletin_carries_its_code(tmp_path):
    """--department CODE writes bulletin-YYYY-MM-CODE.* files."""
    DepartmentFactory(code="A01")
    lines = run("monthly", "--month", "2026-11", "--out", str(tmp_path), "--department", "A01")
    assert [Path(line).name for line in lines] == [
        "bulletin-2026-11-A01.pdf",
        "bulletin-2026-11-A01.xlsx",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "--month: Expected a month written YYYY-MM"),
        (["--month", "November"], "--month: Expected a month written YYYY-MM"),
        (["--month", "2026-12"], "--month: Expected a month that has begun (up to 2026-11)"),
        (["--month", "2026-10", "--department", "NOPE"], "--department: expected the code"),
    ],
)
def test_bad_input_is_one_error_with_exit_code_2(tmp_path, args, message):
    """A bad or future month and an unknown department are refused, and nothing is written."""
    error = refused("monthly", *args, "--out", str(tmp_path / "out"))
    assert error.startswith(message), error
    assert not (tmp_path / "out").exists()


def test_an_out_path_that_is_a_file_is_refused(tmp_path):
    """--out naming a file is refused: a directory was expected."""
    target = tmp_path / "a-file"
    target.write_text("x")
    assert "--out: expected a directory" in refused(
        "monthly", "--month", "2026-10", "--out", str(target)
    )


def test_on_the_command_line_a_missing_option_prints_one_line_and_exits_2(tmp_path):
    """The console script prints one line on stderr and exits 2 when --out is missing."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "xiaoneng.settings", "LANGUAGE": "en"}
    result = subprocess.run(
        [sys.executable, "-m", "xiaoneng", "report", "monthly", "--month", "2026-10"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--out" in result.stderr
