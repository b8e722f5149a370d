"""The ``xiaoneng catalog`` command: import, export, activate; progress, summary, exit codes."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys

import pytest
import yaml
from django.core.management import call_command
from django.utils import translation

from tests.catalog.factories import MatterFactory
from xiaoneng.catalog.models import Matter, MatterVersion
from xiaoneng.catalog.services import catalog_export, matter_revise

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("catalog", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_import_prints_progress_and_summary(tmp_path):
    """A good file is imported; stdout shows progress and a final summary; exit code 0."""
    MatterFactory.create_batch(3)
    path = tmp_path / "catalog.yaml"
    path.write_bytes(catalog_export(format="yaml"))
    code, out, err = _run("import", str(path))
    assert code == 0 and err == ""
    assert "matters 3/3" in out
    assert "3 matters: 0 new, 0 with a new version, 3 unchanged" in out


def test_dry_run_says_so_and_saves_nothing(tmp_path):
    """--dry-run reports what would happen and keeps the database unchanged."""
    MatterFactory()
    data = yaml.safe_load(catalog_export(format="yaml"))
    data["matters"][0]["name"] = "新名称"
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    code, out, _ = _run("import", str(path), "--dry-run", "--effective-from", "2020-01-01")
    assert code == 0
    assert "Dry run, nothing saved." in out and "1 with a new version" in out
    assert MatterVersion.objects.count() == 1


def test_unreadable_file_is_one_line_on_stderr_and_exit_2(tmp_path):
    """A file that is not YAML gives exactly one line on stderr and exit code 2."""
    path = tmp_path / "broken.yaml"
    path.write_text("matters: [\n  - {", encoding="utf-8")
    code, _, err = _run("import", str(path))
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert err.startswith(f"{path}: The file is not valid YAML")


def test_missing_file_exit_2(tmp_path):
    """A path that does not exist is refused with exit code 2."""
    code, _, err = _run("import", str(tmp_path / "nope.yaml"))
    assert code == 2 and "Cannot read" in err


def test_row_errors_are_listed_one_per_line(tmp_path):
    """Row errors: a first line with the count, then one line per error, exit code 2."""
    MatterFactory()
    data = yaml.safe_load(catalog_export(format="yaml"))
    data["matters"][0]["visits"] = "x"
    data["matters"][0]["kind"] = "later"
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    code, _, err = _run("import", str(path))
    lines = err.strip().splitlines()
    assert code == 2
    assert lines[0] == f"{path}: The file has 2 errors; nothing was imported."
    assert "field 'kind'" in lines[1] and "field 'visits'" in lines[2]


def test_export_writes_both_formats(tmp_path):
    """export --format yaml|xlsx --out FILE writes the file and says so."""
    MatterFactory()
    for fmt in ("yaml", "xlsx"):
        out_path = tmp_path / f"catalog.{fmt}"
        code, out, _ = _run("export", "--format", fmt, "--out", str(out_path))
        assert code == 0 and "Wrote the catalog" in out
        assert out_path.read_bytes() == catalog_export(format=fmt) or fmt == "xlsx"
    assert yaml.safe_load((tmp_path / "catalog.yaml").read_text())["matters"][0]["code"]


def test_export_yaml_to_stdout():
    """Without --out the YAML goes to stdout."""
    MatterFactory(code="STDOUT-1")
    code, out, _ = _run("export", "--format", "yaml")
    assert code == 0 and "code: STDOUT-1" in out


def test_excel_export_needs_a_file():
    """An Excel export without --out is refused with exit code 2."""
    code, _, err = _run("export", "--format", "xlsx")
    assert code == 2 and "--out" in err


def test_activate_moves_scheduled_versions():
    """activate --on DATE makes versions whose day has come current and says how many."""
    matter = MatterFactory(effective_from=dt.date(2019, 1, 1))
    version = matter_revise(
        actor=None,
        matter=matter,
        changes={"promised_limit_days": 2},
        effective_from=dt.date(2099, 1, 1),
    )
    code, out, _ = _run("activate", "--on", "2099-01-01")
    assert code == 0 and out.startswith("1 matters")
    assert Matter.objects.get(pk=matter.pk).current_version == version


def test_console_entry_point_exit_code(tmp_path):
    """Through the real console command, a bad file exits with 2 and one stderr line."""
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a workbook")
    result = subprocess.run(
        [sys.executable, "-m", "xiaoneng", "catalog", "import", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"LANGUAGE": "en", "DATABASE_URL": "sqlite:///:memory:", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "not an Excel workbook" in result.stderr
