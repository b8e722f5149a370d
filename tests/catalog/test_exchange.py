"""Catalog import and export: YAML and Excel round trips, versions on change, row errors."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import yaml
from django.utils import translation
from openpyxl import Workbook, load_workbook

from tests.catalog.factories import (
    CertificateDataFactory,
    DepartmentFactory,
    FeeDataFactory,
    MaterialDataFactory,
    MatterFactory,
)
from xiaoneng.accounts.models import Department
from xiaoneng.catalog.exchange import ImportFailed
from xiaoneng.catalog.models import Material, Matter, MatterVersion
from xiaoneng.catalog.services import catalog_export, catalog_import
from xiaoneng.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are compared in English here; the Chinese ones are checked separately."""
    with translation.override("en"):
        yield


def _catalog():
    """Two departments in a hierarchy and three matters using every kind of row."""
    city = DepartmentFactory(code="130100", name="市政府", level="city")
    bureau = DepartmentFactory(code="130100-GA", name="市公安局", parent=city)
    MatterFactory(
        code="M-001",
        catalog_code="000101001000",
        department=bureau,
        name="居民身份证换领",
        materials=[MaterialDataFactory(name="户口簿"), CertificateDataFactory(name="居住证明")],
        fees=[FeeDataFactory(item="工本费")],
        charges_fee=True,
        legal_limit_days=None,
        legal_basis="《居民身份证法》\n第十条",
    )
    MatterFactory(
        code="M-002",
        catalog_code="000101002000",
        department=bureau,
        kind="instant",
        promised_limit_days=0,
        visits=0,
        allows_commitment=True,
        materials=[
            {
                "name": "无犯罪记录证明",
                "is_certificate": True,
                "replacement": "commitment",
                "cancelled_on": dt.date(2019, 9, 1),
                "replacement_basis": "告知承诺制试点",
            },
            {
                "name": "营业执照",
                "replacement": "e_license",
                "cancelled_on": dt.date(2019, 9, 1),
                "replacement_basis": "电子证照共享",
                "license_type": "营业执照",
                "necessity": "conditional",
                "condition": "企业申请时",
            },
        ],
    )
    MatterFactory(
        code="M-003",
        catalog_code="000101003000",
        department=city,
        matter_type="20",
        online=False,
        handling_forms=["window"],
        online_depth=[],
        steps=[],
        status="withdrawn",
    )


def _wipe_catalog():
    Matter.objects.update(current_version=None, latest_version=None)
    MatterVersion.objects.all().delete()
    Matter.objects.all().delete()
    Department.objects.filter(parent__isnull=False).delete()
    Department.objects.all().delete()


@pytest.mark.parametrize("fmt", ["yaml", "xlsx"])
def test_round_trip_into_an_empty_database(fmt):
    """Export, empty the database, import: the same catalog comes back, departments included."""
    _catalog()
    before = catalog_export(format="yaml")
    document = catalog_export(format=fmt)
    _wipe_catalog()
    summary = catalog_import(actor=None, document=document, format=fmt)
    assert (summary.matters_created, summary.departments_created) == (3, 2)
    assert catalog_export(format="yaml") == before
    assert Department.objects.get(code="130100-GA").parent.code == "130100"  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", ["yaml", "xlsx"])
def test_reimporting_an_unchanged_catalog_changes_nothing(fmt):
    """Importing the catalog's own export creates no version and no department change."""
    _catalog()
    document = catalog_export(format=fmt)
    summary = catalog_import(actor=None, document=document, format=fmt)
    assert summary.matters_unchanged == 3
    assert summary.matters_created == summary.matters_revised == 0
    assert summary.departments_unchanged == 2
    assert MatterVersion.objects.count() == 3


def test_changed_matter_gets_a_new_version():
    """A matter whose row changed gets version 2 from the given date; others stay at version 1."""
    _catalog()
    data = yaml.safe_load(catalog_export(format="yaml"))
    data["matters"][0]["promised_limit_days"] = 3
    data["matters"][0]["change_note"] = "压缩时限"
    summary = catalog_import(
        actor=None,
        document=yaml.safe_dump(data, allow_unicode=True),
        format="yaml",
        effective_from=dt.date(2020, 3, 1),
    )
    assert (summary.matters_revised, summary.matters_unchanged) == (1, 2)
    matter = Matter.objects.get(code="M-001")
    assert matter.latest_version.number == 2  # type: ignore[union-attr]
    assert matter.latest_version.effective_from == dt.date(2020, 3, 1)  # type: ignore[union-attr]
    assert matter.latest_version.change_note == "压缩时限"  # type: ignore[union-attr]
    assert AuditEvent.objects.filter(action="catalog.catalog_import").count() == 1


def test_status_change_is_imported():
    """A matter marked withdrawn in the file is withdrawn, without a new version."""
    _catalog()
    data = yaml.safe_load(catalog_export(format="yaml"))
    data["matters"][0]["status"] = "withdrawn"
    summary = catalog_import(actor=None, document=yaml.safe_dump(data), format="yaml")
    assert summary.matters_status_changed == 1
    assert Matter.objects.get(code="M-001").status == "withdrawn"


def test_dry_run_saves_nothing():
    """A dry run reports what it would do and leaves the database as it was."""
    _catalog()
    document = catalog_export(format="yaml")
    _wipe_catalog()
    summary = catalog_import(actor=None, document=document, format="yaml", dry_run=True)
    assert summary.matters_created == 3 and summary.dry_run
    assert not Matter.objects.exists() and not Department.objects.exists()


def test_departments_may_already_exist_instead_of_being_declared():
    """A file without a departments section imports when the departments exist."""
    DepartmentFactory(code="D1")
    document = """
format: xiaoneng-catalog
matters:
  - code: X1
    catalog_code: "000101001000"
    name: 测试
    matter_type: "01"
    department: D1
    service_objects: [natural_person]
    promised_limit_days: 5
    kind: promised
    handling_forms: [window]
    visits: 1
"""
    summary = catalog_import(actor=None, document=document, format="yaml")
    assert summary.matters_created == 1


def test_format_is_guessed_from_the_path(tmp_path):
    """A path ending in .xlsx is read as a workbook, .yaml as YAML."""
    _catalog()
    path = tmp_path / "catalog.xlsx"
    path.write_bytes(catalog_export(format="xlsx"))
    assert catalog_import(actor=None, path=path).matters_unchanged == 3


def test_progress_is_reported_per_matter():
    """The progress callback hears of every matter, ending at the total."""
    _catalog()
    seen = []
    catalog_import(
        actor=None,
        document=catalog_export(format="yaml"),
        format="yaml",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]


# --- Row-level errors -------------------------------------------------------------------------


def _workbook():
    _catalog()
    return load_workbook(io.BytesIO(catalog_export(format="xlsx")))


def _set(workbook, sheet, row, column, value):
    worksheet = workbook[sheet]
    header = [c.value for c in worksheet[1]]
    worksheet.cell(row=row, column=header.index(column) + 1).value = value


def _import_xlsx(workbook):
    out = io.BytesIO()
    workbook.save(out)
    return catalog_import(actor=None, document=out.getvalue(), format="xlsx")


def _errors_xlsx(workbook):
    with pytest.raises(ImportFailed) as caught:
        _import_xlsx(workbook)
    return caught.value.errors


def test_bad_trust_level_names_sheet_row_and_column():
    """A trust level outside A–D is reported with its sheet, row and column."""
    workbook = _workbook()
    _set(workbook, "Materials", 3, "trust_level", "E")
    assert _errors_xlsx(workbook) == [
        "Sheet Materials, row 3, column 'trust_level': expected A, B, C or D, got 'E'."
    ]


@pytest.mark.parametrize(
    ("sheet", "column", "value", "message"),
    [
        ("Matters", "visits", "two", "expected a whole number of 0 or more, got 'two'"),
        ("Matters", "online", "maybe", "expected true or false (是/否), got 'maybe'"),
        ("Matters", "effective_from", "2019/13/01", "expected a date written YYYY-MM-DD"),
        ("Matters", "matter_type", "99", "expected 01, 02, 03, 04, 05, 06, 07, 08, 09, 10 or 20"),
        (
            "Matters",
            "handling_forms",
            "window, fax",
            "expected values from window, online, post, got 'fax'",
        ),
        ("Matters", "name", None, "expected a value, got nothing"),
        ("Matters", "department", "NOPE", "expected the code of an existing department"),
        ("Matters", "kind", "someday", "expected instant or promised, got 'someday'"),
        ("Materials", "cancelled_on", "yesterday", "expected a date written YYYY-MM-DD"),
        ("Fees", "reducible", "perhaps", "expected true or false"),
        ("Steps", "limit_days", -1, "expected a whole number of 0 or more, got -1"),
    ],
)
def test_each_kind_of_cell_error(sheet, column, value, message):
    """Every kind of bad cell is reported at its sheet, row and column with what was expected."""
    workbook = _workbook()
    _set(workbook, sheet, 2, column, value)
    errors = _errors_xlsx(workbook)
    assert errors[0].startswith(f"Sheet {sheet}, row 2, column '{column}': "), errors
    assert message in errors[0]
    assert all(e.startswith(f"Sheet {sheet}, row 2, ") for e in errors)


def test_replacement_without_date_and_basis():
    """Marking a material replaced without its date and basis reports both missing cells."""
    workbook = _workbook()
    _set(workbook, "Materials", 2, "replacement", "cancelled")
    assert _errors_xlsx(workbook) == [
        "Sheet Materials, row 2, column 'cancelled_on': A replaced material needs the date since "
        "which it is no longer asked for.",
        "Sheet Materials, row 2, column 'replacement_basis': A replaced material needs the "
        "decision or reason for the replacement.",
    ]


def test_rule_across_fields_is_reported_on_the_cell():
    """A promised limit above the legal one is reported on the promised_limit_days cell."""
    workbook = _workbook()
    _set(workbook, "Matters", 4, "promised_limit_days", 30)
    assert _errors_xlsx(workbook) == [
        "Sheet Matters, row 4, column 'promised_limit_days': The promised limit may not exceed "
        "the legal limit: expected at most 20 working days, got 30."
    ]


def test_bad_catalog_code_of_a_new_matter():
    """A new matter's catalog code must be 12 letters or digits."""
    workbook = _workbook()
    _set(workbook, "Matters", 4, "code", "M-NEW")
    _set(workbook, "Matters", 4, "catalog_code", "123")
    for sheet in ("Materials", "Fees", "Steps"):
        for row in range(2, workbook[sheet].max_row + 1):
            if workbook[sheet].cell(row=row, column=1).value == "M-003":
                workbook[sheet].cell(row=row, column=1).value = "M-NEW"
    errors = _errors_xlsx(workbook)
    assert errors == ["Sheet Matters, row 4, column 'catalog_code': Expected 12 letters or digits."]


def test_all_errors_are_reported_and_nothing_is_imported():
    """Several bad rows give several messages, and even the good rows are not imported."""
    _catalog()
    document = catalog_export(format="yaml")
    _wipe_catalog()
    data = yaml.safe_load(document)
    data["matters"][0]["visits"] = "many"
    data["matters"][2]["materials"] = [{"name": "证明", "trust_level": "Z"}]
    with pytest.raises(ImportFailed) as caught:
        catalog_import(actor=None, document=yaml.safe_dump(data, allow_unicode=True), format="yaml")
    assert len(caught.value.errors) == 2
    assert "2 errors; nothing was imported" in caught.value.message
    assert not Matter.objects.exists() and not Department.objects.exists()


def test_rule_broken_late_rolls_back_earlier_matters():
    """A rule only the service checks (commitment not allowed) still rolls back the whole import."""
    _catalog()
    data = yaml.safe_load(catalog_export(format="yaml"))
    data["matters"][0]["name"] = "改名"
    data["matters"][1]["allows_commitment"] = False
    with pytest.raises(ImportFailed) as caught:
        catalog_import(actor=None, document=yaml.safe_dump(data, allow_unicode=True), format="yaml")
    assert len(caught.value.errors) == 1
    assert "matters[1].materials[0]" in caught.value.errors[0]
    assert "'replacement'" in caught.value.errors[0]
    assert MatterVersion.objects.count() == 3  # the renamed matter got no version


def test_yaml_errors_give_the_line():
    """A YAML error names the line of the bad key, the path and the field."""
    _catalog()
    text = catalog_export(format="yaml").decode()
    text = text.replace("trust_level: A", "trust_level: E", 1)
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if "trust_level: E" in t)
    with pytest.raises(ImportFailed) as caught:
        catalog_import(actor=None, document=text, format="yaml")
    assert caught.value.errors == [
        f"Line {line} (matters[0].materials[1]), field 'trust_level': "
        "expected A, B, C or D, got 'E'."
    ]


def test_unknown_yaml_field_is_refused():
    """A misspelt key in YAML is reported instead of being ignored."""
    _catalog()
    data = yaml.safe_load(catalog_export(format="yaml"))
    data["matters"][0]["vists"] = 1
    with pytest.raises(ImportFailed) as caught:
        catalog_import(actor=None, document=yaml.safe_dump(data, allow_unicode=True), format="yaml")
    assert "field 'vists': unknown field" in caught.value.errors[0]


def test_duplicate_matter_code_is_refused():
    """The same implementation code twice in one file is an error on the second row."""
    workbook = _workbook()
    _set(workbook, "Matters", 3, "code", "M-001")
    errors = _errors_xlsx(workbook)
    assert any(
        e.startswith("Sheet Matters, row 3, column 'code': matter M-001 appears twice")
        for e in errors
    )


def test_material_row_for_unknown_matter_is_refused():
    """A Materials row naming a matter the Matters sheet lacks is reported."""
    workbook = _workbook()
    _set(workbook, "Materials", 2, "matter_code", "NOPE")
    assert _errors_xlsx(workbook) == [
        "Sheet Materials, row 2, column 'matter_code': expected the code of a matter on sheet "
        "Matters, got 'NOPE'."
    ]


def test_unknown_column_header_is_refused():
    """A header that is not a key of the format is reported with its column letter."""
    workbook = _workbook()
    workbook["Fees"].cell(row=1, column=3, value="price")
    errors = _errors_xlsx(workbook)
    assert errors[0].startswith("Sheet Fees, row 1, column C: unknown column 'price'")


def test_department_parent_must_be_known():
    """A declared department whose parent is neither declared nor existing is reported."""
    workbook = _workbook()
    _set(workbook, "Departments", 3, "parent", "NOWHERE")
    errors = _errors_xlsx(workbook)
    assert errors == [
        "Sheet Departments, row 3, column 'parent': expected the code of a declared or existing "
        "department, got 'NOWHERE'."
    ]


def test_changing_the_catalog_code_is_refused():
    """A matter's catalog code is part of its identity and cannot change through an import."""
    workbook = _workbook()
    _set(workbook, "Matters", 2, "catalog_code", "999999999999")
    errors = _errors_xlsx(workbook)
    assert "does not change" in errors[0]


def test_change_dated_before_the_latest_version_is_refused():
    """A changed row whose effective date precedes the latest version's is an error on that cell."""
    workbook = _workbook()
    _set(workbook, "Matters", 2, "name", "新名称")
    _set(workbook, "Matters", 2, "effective_from", dt.datetime(2018, 1, 1))
    errors = _errors_xlsx(workbook)
    assert errors[0].startswith(
        "Sheet Matters, row 2, column 'effective_from': Expected a date on or after 2019-01-01"
    )


def test_not_a_workbook():
    """Bytes that are not an .xlsx file give one clear file-level error."""
    with pytest.raises(ImportFailed) as caught:
        catalog_import(actor=None, document=b"not a zip", format="xlsx")
    assert len(caught.value.errors) == 1
    assert "not an Excel workbook" in caught.value.errors[0]


def test_workbook_without_matters_sheet():
    """A workbook lacking the Matters sheet is refused, naming the sheets expected."""
    out = io.BytesIO()
    Workbook().save(out)
    with pytest.raises(ImportFailed, match="no sheet Matters"):
        catalog_import(actor=None, document=out.getvalue(), format="xlsx")


def test_invalid_yaml():
    """Broken YAML is refused with the line of the problem."""
    with pytest.raises(ImportFailed, match="not valid YAML"):
        catalog_import(actor=None, document="matters: [\n  - {", format="yaml")


def test_yaml_of_the_wrong_shape():
    """A YAML list, a foreign format name or a missing matters key are refused."""
    for document, match in [
        ("- a\n- b\n", "Expected a YAML mapping"),
        ("format: other\nmatters: []\n", "Expected format"),
        ("departments: []\n", "no 'matters' list"),
        ("matters: []\nextra: 1\n", "Unknown top-level keys extra"),
    ]:
        with pytest.raises(ImportFailed, match=match):
            catalog_import(actor=None, document=document, format="yaml")


def test_unknown_format():
    """Only yaml and xlsx exist, for import and for export."""
    with pytest.raises(ImportFailed, match="yaml or xlsx"):
        catalog_import(actor=None, document="matters: []", format="csv")
    with pytest.raises(Exception, match="yaml or xlsx"):
        catalog_export(format="csv")


def test_excel_numbers_for_codes_are_accepted():
    """Excel turning "01" into 1 and kind codes 1/2 are read as the codes they were."""
    workbook = _workbook()
    _set(workbook, "Matters", 2, "matter_type", 1)
    _set(workbook, "Matters", 3, "kind", 1)
    _set(workbook, "Matters", 3, "handling_forms", "1、2")
    summary = _import_xlsx(workbook)
    assert summary.matters_unchanged == 3


def test_messages_follow_the_users_language():
    """With Chinese active, row errors come in Chinese (the default language of the platform)."""
    workbook = _workbook()
    _set(workbook, "Materials", 3, "trust_level", "E")
    with translation.override("zh-hans"):
        errors = _errors_xlsx(workbook)
    assert errors[0].startswith("工作表 Materials，第 3 行，列“trust_level”")
    assert "A、B、C 或 D" in errors[0]


def test_export_lists_materials_with_their_replacement():
    """The YAML export carries each certificate's replacement, date and basis."""
    _catalog()
    data = yaml.safe_load(catalog_export(format="yaml"))
    certificate = data["matters"][0]["materials"][1]
    assert certificate["replacement"] == "cancelled"
    assert certificate["cancelled_on"] == dt.date(2019, 6, 1)
    assert Material.objects.filter(replacement="cancelled").count() == 1


def test_documented_example_imports_and_round_trips():
    """The full example of docs/catalog-import.md imports cleanly and its xlsx twin is the same."""
    from pathlib import Path

    examples = Path(__file__).resolve().parents[2] / "docs" / "examples"
    summary = catalog_import(actor=None, path=examples / "catalog-example.yaml")
    assert (summary.matters_created, summary.departments_created) == (3, 4)
    assert Material.objects.filter(is_certificate=True).exclude(replacement="none").count() == 3
    workbook = examples / "catalog-example.xlsx"
    if workbook.exists():
        again = catalog_import(actor=None, path=workbook)
        assert again.matters_unchanged == 3 and again.departments_unchanged == 4
