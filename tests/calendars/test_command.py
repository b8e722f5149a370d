"""``xiaoneng calendar``: import, export, coverage and seed; exit code 2 with one line on errors.

Issue 2: "Administrators add or correct a year ... with `xiaoneng calendar import FILE`".
"""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from xiaoneng.calendars.models import CalendarYear
from xiaoneng.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("calendar", *args, stdout=out)
    return out.getvalue()


def refused(*args: str) -> CommandError:
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert caught.value.returncode == 2
    return caught.value


def test_import_shows_progress_and_a_summary(example_2027_path, admin_user):
    """Import prints a step per file and a summary line, and records the actor."""
    out = run("import", str(example_2027_path), "--actor", admin_user.username)
    lines = out.splitlines()
    assert lines[0] == f"[1/1] Checking {example_2027_path}"
    assert lines[1] == "[1/1] Importing 2027"
    assert lines[2].startswith("  2027: 29 holidays, 6 adjusted working days; 35 added")
    assert lines[-1] == "Imported 1 year(s): 2027."
    assert CalendarYear.objects.get(year=2027).imported_by == admin_user
    assert AuditEvent.objects.get(action="calendars.year_import").actor == admin_user


def test_dry_run_writes_nothing(example_2027_path):
    """--dry-run compares and reports, and leaves the table alone."""
    out = run("import", str(example_2027_path), "--dry-run")
    assert "[dry run: nothing written]" in out
    assert out.splitlines()[-1] == "Dry run: 1 year(s) checked (2027); nothing written."
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_bad_file_gives_one_line_and_exit_2(tmp_path):
    """A file with a bad date is refused with the file, entry and value, exit code 2."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("year: 2027\nholidays:\n  - {name: 春节, date: 2027-02-30}\n", "utf-8")
    error = refused("import", str(bad))
    assert str(error) == (
        f"{bad}: The calendar document has 1 problem(s): holidays, entry 1: 'date' must be a "
        'date written like 2027-01-01, got "2027-02-30".'
    )
    assert "\n" not in str(error)
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_missing_file_and_unknown_actor_exit_2(tmp_path, example_2027_path):
    """An unreadable file or an unknown --actor is refused before anything is written."""
    assert "expected a readable UTF-8 YAML file" in str(refused("import", str(tmp_path / "no")))
    assert "got nobody" in str(refused("import", str(example_2027_path), "--actor", "nobody"))


def test_two_files_are_all_or_nothing(tmp_path, example_2027_path):
    """When a second file is bad, the first is not imported either."""
    bad = tmp_path / "2028.yaml"
    bad.write_text("year: 2028\nholidays: []\n", "utf-8")
    refused("import", str(example_2027_path), str(bad))
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_same_year_twice_is_refused(example_2027_path):
    """Two files for one year are refused."""
    error = refused("import", str(example_2027_path), str(example_2027_path))
    assert "expected each year once" in str(error)


def test_export_is_reimportable(tmp_path):
    """export YEAR writes YAML that imports back without changes."""
    text = run("export", "2020")
    assert text.startswith("# Holidays and adjusted working days of 2020")
    assert "{name: 抗击新冠肺炎疫情延长春节假期, from: 2020-01-31, to: 2020-02-02}" in text
    path = tmp_path / "2020.yaml"
    path.write_text(text, "utf-8")
    out = run("import", str(path), "--dry-run")
    assert "0 added, 0 removed, 0 changed (was covered)" in out


def test_export_of_an_uncovered_year_exits_2():
    """Exporting a year that is not in the table is refused, naming the covered years."""
    error = refused("export", "2031")
    assert str(error) == "2031 is not in the calendar; expected a covered year (2004–2026)."


def test_coverage_lists_years_gaps_and_next_year(example_2027_path):
    """coverage prints the covered range and whether next year is known."""
    out = run("coverage")
    assert out.splitlines()[0] == "Covered years: 2004–2026 (2004-01-01 to 2026-12-31)"
    assert "Gaps: none" in out
    assert "Latest year: 2026, chinese-calendar package" in out


def test_seed_reports_nothing_to_do_when_covered():
    """seed leaves covered years alone unless --replace is given."""
    assert run("seed").splitlines()[-1] == "Seeded 0 year(s) from the chinese-calendar package."
    out = run("seed", "--year", "2024", "--replace")
    assert "2024: 28 holidays, 8 adjusted working days; 0 added" in out


def test_usage_error_is_one_line_with_exit_2(tmp_path):
    """On the command line, a missing argument prints one line on stderr and exits with 2."""
    env = {**os.environ, "XIAONENG_VAR": str(tmp_path), "LANGUAGE": "en"}
    cli = Path(sys.executable).parent / "xiaoneng"
    done = subprocess.run(
        [str(cli), "calendar", "import"], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    assert "the following arguments are required: FILE" in done.stderr
