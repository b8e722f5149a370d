"""Import and export of the whole catalog, in YAML and in Excel (docs/catalog-import.md).

One format, two spellings: a YAML document with ``departments`` and ``matters`` (each matter
nesting its ``materials``, ``fees`` and ``steps``), or a workbook with the sheets
``Departments``, ``Matters``, ``Materials``, ``Fees`` and ``Steps`` whose first row holds the
same keys. Both are read into the same rows and checked cell by cell against one table of
columns (``MATTER_COLUMNS`` …), so an error reads the same way in both, in the user's language:

    Sheet Materials, row 12, column 'trust_level': expected A, B, C or D, got 'E'.
    Line 57 (matters[3].materials[2]), field 'trust_level': expected A, B, C or D, got 'E'.

An import is all or nothing: every row is checked, every error reported, and nothing is kept
unless every row is valid (one transaction). Unchanged matters are left alone; a changed matter
gets a new version through ``services.matter_revise``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from xiaoneng.accounts.models import Department, DepartmentLevel
from xiaoneng.accounts.services import department_upsert
from xiaoneng.catalog import selectors
from xiaoneng.catalog.models import (
    BodyType,
    ExerciseLevel,
    HandlingForm,
    MaterialForm,
    MaterialSource,
    Matter,
    MatterKind,
    MatterStatus,
    MatterType,
    Necessity,
    OnlineDepth,
    PowerSource,
    Replacement,
    ResultType,
    ServiceObject,
    ServiceScope,
    TrustLevel,
)
from xiaoneng.core.errors import InvalidInput
from xiaoneng.core.services import audit_record

FORMAT_NAME = "xiaoneng-catalog"
FORMAT_VERSION = 1
FORMATS = ("yaml", "xlsx")

SHEET_DEPARTMENTS = "Departments"
SHEET_MATTERS = "Matters"
SHEET_MATERIALS = "Materials"
SHEET_FEES = "Fees"
SHEET_STEPS = "Steps"
SHEET_ABOUT = "About"


# --- Columns ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One key of the format: how a cell is read, checked and written.

    ``kind`` is one of ``text``, ``int``, ``bool``, ``date``, ``choice``, ``multi``.
    ``aliases`` maps other accepted spellings (e.g. the national codes 1/2 of 办件类型) to codes.
    """

    key: str
    kind: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    nullable: bool = False  # an empty int cell means None rather than the default
    default: Any = None


def _choice(
    key: str, choices: type[models.Choices], *, required: bool = False, **kw: Any
) -> Column:
    return Column(key, "choice", required, tuple(str(v) for v in choices.values), **kw)


def _multi(key: str, choices: type[models.Choices], **kw: Any) -> Column:
    return Column(key, "multi", choices=tuple(str(v) for v in choices.values), **kw)


DEPARTMENT_COLUMNS: tuple[Column, ...] = (
    Column("code", required=True),
    Column("name", required=True),
    _choice("level", DepartmentLevel, default=DepartmentLevel.CITY),
    Column("parent"),
    Column("short_name"),
    Column("credit_code"),
    Column("is_service_unit", "bool", default=False),
)

# Identity and version keys that are not part of a version's content.
MATTER_HEAD_COLUMNS: tuple[Column, ...] = (
    Column("code", required=True),
    Column("catalog_code", required=True),
    _choice("status", MatterStatus, default=MatterStatus.ACTIVE),
    Column("effective_from", "date"),
    Column("change_note"),
)
MATTER_CONTENT_COLUMNS: tuple[Column, ...] = (
    Column("name", required=True),
    Column("business_item_code"),
    # Excel turns "01" into 1; accept the number as the code it was.
    _choice(
        "matter_type",
        MatterType,
        required=True,
        aliases={str(int(v)): str(v) for v in MatterType.values},
    ),
    _choice("level", ExerciseLevel, default=ExerciseLevel.CITY),
    _choice("power_source", PowerSource, default=PowerSource.STATUTORY),
    Column("department", required=True),
    _choice("body_type", BodyType, default=BodyType.STATUTORY),
    Column("entrusted_department"),
    _multi("service_objects", ServiceObject, required=True),
    Column("legal_basis"),
    Column("acceptance_conditions"),
    Column("legal_limit_days", "int", nullable=True),
    Column("legal_limit_note"),
    Column("promised_limit_days", "int", required=True),
    Column("promised_limit_note"),
    Column("extension_days", "int", default=10),
    _choice("kind", MatterKind, required=True, aliases={"1": "instant", "2": "promised"}),
    _multi(
        "handling_forms",
        HandlingForm,
        required=True,
        aliases={"1": "window", "2": "online", "3": "post"},
    ),
    Column("visits", "int", required=True),
    Column("handling_location"),
    Column("handling_hours"),
    Column("consultation"),
    Column("complaint_channel"),
    Column("in_hall", "bool", default=True),
    Column("special_procedures"),
    Column("allows_commitment", "bool", default=False),
    Column("online", "bool", default=False),
    _multi("online_depth", OnlineDepth),
    Column("online_url"),
    Column("express_delivery", "bool", default=False),
    Column("online_payment", "bool", default=False),
    Column("appointment", "bool", default=False),
    _choice("service_scope", ServiceScope, default=ServiceScope.NONE),
    Column("intermediary_services"),
    Column("joint_agencies"),
    Column("charges_fee", "bool", default=False),
    Column("fee_basis"),
    Column("result_name"),
    _choice("result_type", ResultType, default=ResultType.OTHER),
    Column("result_sample"),
)
MATTER_COLUMNS = MATTER_HEAD_COLUMNS + MATTER_CONTENT_COLUMNS
MATERIAL_COLUMNS: tuple[Column, ...] = (
    Column("name", required=True),
    _choice("necessity", Necessity, default=Necessity.REQUIRED),
    Column("condition"),
    _choice("form", MaterialForm, default=MaterialForm.BOTH),
    _choice("source", MaterialSource, default=MaterialSource.APPLICANT),
    Column("paper_copies", "int", default=1),
    Column("paper_spec"),
    Column("blank_form"),
    Column("sample"),
    Column("acceptance_standard"),
    Column("basis"),
    _choice("trust_level", TrustLevel, default=TrustLevel.C),
    Column("is_certificate", "bool", default=False),
    _choice("replacement", Replacement, default=Replacement.NONE),
    Column("cancelled_on", "date"),
    Column("replacement_basis"),
    Column("license_type"),
)
FEE_COLUMNS: tuple[Column, ...] = (
    Column("item", required=True),
    Column("standard", required=True),
    Column("basis"),
    Column("reducible", "bool", default=False),
)
STEP_COLUMNS: tuple[Column, ...] = (
    Column("name", required=True),
    Column("description"),
    Column("limit_days", "int", nullable=True),
)
ROW_COLUMNS: dict[str, tuple[Column, ...]] = {
    "materials": MATERIAL_COLUMNS,
    "fees": FEE_COLUMNS,
    "steps": STEP_COLUMNS,
}
ROW_SHEETS = {"materials": SHEET_MATERIALS, "fees": SHEET_FEES, "steps": SHEET_STEPS}
MATTER_REF = "matter_code"  # first column of the row sheets in Excel

assert tuple(c.key for c in MATTER_CONTENT_COLUMNS) == selectors.VERSION_FIELDS
assert tuple(c.key for c in MATERIAL_COLUMNS) == selectors.MATERIAL_FIELDS
assert tuple(c.key for c in FEE_COLUMNS) == selectors.FEE_FIELDS
assert tuple(c.key for c in STEP_COLUMNS) == selectors.STEP_FIELDS


# --- Locations and errors --------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    """Where a row sits in the file: a sheet and row (Excel) or a path and line (YAML)."""

    sheet: str = ""
    row: int = 0
    path: str = ""
    line: int = 0
    key_lines: Mapping[str, int] = field(default_factory=dict, compare=False)

    def describe(self, column: str | None = None) -> str:
        if self.sheet:
            if column:
                return _("Sheet %(sheet)s, row %(row)s, column '%(column)s'") % {
                    "sheet": self.sheet,
                    "row": self.row,
                    "column": column,
                }
            return _("Sheet %(sheet)s, row %(row)s") % {"sheet": self.sheet, "row": self.row}
        line = self.key_lines.get(column, self.line) if column else self.line
        if column:
            return _("Line %(line)s (%(path)s), field '%(column)s'") % {
                "line": line,
                "path": self.path,
                "column": column,
            }
        return _("Line %(line)s (%(path)s)") % {"line": line, "path": self.path}


@dataclass(frozen=True)
class RowError:
    """One thing wrong with one cell or row, with its place in the file."""

    location: Location
    column: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.location.describe(self.column)}: {self.message}"


class ImportFailed(InvalidInput):
    """The file could not be imported; ``errors`` lists every problem, one line each."""

    code = "import_invalid"

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        self.errors = list(errors)
        super().__init__(message, details={"errors": self.errors})


@dataclass
class ImportSummary:
    """What an import did (or, for a dry run, would do)."""

    matters_total: int = 0
    matters_created: int = 0
    matters_revised: int = 0
    matters_unchanged: int = 0
    matters_status_changed: int = 0
    departments_created: int = 0
    departments_updated: int = 0
    departments_unchanged: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __str__(self) -> str:
        text = _(
            "%(total)s matters: %(created)s new, %(revised)s with a new version, "
            "%(unchanged)s unchanged, %(status)s status changes; departments: %(dc)s new, "
            "%(du)s updated, %(dn)s unchanged."
        ) % {
            "total": self.matters_total,
            "created": self.matters_created,
            "revised": self.matters_revised,
            "unchanged": self.matters_unchanged,
            "status": self.matters_status_changed,
            "dc": self.departments_created,
            "du": self.departments_updated,
            "dn": self.departments_unchanged,
        }
        if self.dry_run:
            text = _("Dry run, nothing saved.") + " " + text
        return text


# --- Reading cells ---------------------------------------------------------------------------

_TRUE = {"true", "yes", "y", "1", "是", "对", "√"}
_FALSE = {"false", "no", "n", "0", "否", "无", "×"}
_SPLIT = re.compile(r"[,，、;；\s]+")

_EMPTY = object()


class _CellError(Exception):
    pass


def _join_or(values: Sequence[str]) -> str:
    values = list(values)
    if len(values) == 1:
        return values[0]
    separator = pgettext("separator between items of a list", ", ")
    return _("%(first)s or %(last)s") % {
        "first": separator.join(values[:-1]),
        "last": values[-1],
    }


def _shown(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return repr(value)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _to_choice(column: Column, value: Any) -> str:
    if isinstance(value, bool):
        raise _CellError(_got(column, value))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    text = column.aliases.get(text, text)
    if text not in column.choices:
        raise _CellError(_got(column, value))
    return text


def _got(column: Column, value: Any) -> str:
    return _("expected %(expected)s, got %(got)s") % {
        "expected": _join_or(column.choices),
        "got": _shown(value),
    }


def _read_cell(column: Column, value: Any) -> Any:
    """The typed value of one cell, or ``_EMPTY`` for a blank one; raises ``_CellError``."""
    if column.kind == "multi":
        if _is_blank(value):
            return _EMPTY
        items: list[Any]
        if isinstance(value, list | tuple):
            items = list(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            items = [value]
        else:
            items = [p for p in _SPLIT.split(str(value)) if p]
        out: list[Any] = []
        bad: list[Any] = []
        for item in items:
            try:
                out.append(_to_choice(column, item))
            except _CellError:
                bad.append(item)
        if bad:
            raise _CellError(
                _("expected values from %(expected)s, got %(got)s")
                % {
                    "expected": ", ".join(column.choices),
                    "got": ", ".join(_shown(b) for b in bad),
                }
            )
        if column.key == "online_depth":
            return [int(v) for v in out]
        return out
    if _is_blank(value):
        return _EMPTY
    if column.kind == "text":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, dt.datetime | dt.date):
            value = value.isoformat()[:10]
        if isinstance(value, bool | list | dict):
            raise _CellError(_("expected text, got %(got)s") % {"got": _shown(value)})
        return str(value).strip()
    if column.kind == "int":
        number: Any = value
        if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
            number = int(value)
        if isinstance(value, float) and value.is_integer():
            number = int(value)
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise _CellError(
                _("expected a whole number of 0 or more, got %(got)s") % {"got": _shown(value)}
            )
        return number
    if column.kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _CellError(_("expected true or false (是/否), got %(got)s") % {"got": _shown(value)})
    if column.kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise _CellError(
                _("expected a date written YYYY-MM-DD, got %(got)s") % {"got": _shown(value)}
            ) from None
    if column.kind == "choice":
        return _to_choice(column, value)
    raise AssertionError(f"unknown column kind {column.kind}")


@dataclass
class RawRow:
    """One row as read from the file: its place and its raw cells by key."""

    location: Location
    cells: dict[str, Any]
    children: dict[str, list[RawRow]] = field(default_factory=dict)


def _check_unknown(row: RawRow, columns: Sequence[Column], errors: list[RowError]) -> None:
    known = {c.key for c in columns}
    for key in row.cells:
        if key not in known:
            errors.append(
                RowError(
                    row.location,
                    key,
                    _("unknown field; expected one of: %(expected)s")
                    % {"expected": ", ".join(c.key for c in columns)},
                )
            )


def _read_row(
    row: RawRow, columns: Sequence[Column], errors: list[RowError], *, check_unknown: bool = True
) -> dict[str, Any]:
    """Check every cell of a row against its columns; blank cells take the defaults."""
    out: dict[str, Any] = {}
    if check_unknown:
        _check_unknown(row, columns, errors)
    for column in columns:
        try:
            value = _read_cell(column, row.cells.get(column.key))
        except _CellError as exc:
            errors.append(RowError(row.location, column.key, str(exc)))
            continue
        if value is _EMPTY:
            if column.required:
                errors.append(
                    RowError(row.location, column.key, _("expected a value, got nothing"))
                )
                continue
            if column.kind == "multi":
                value = []
            elif column.kind == "text":
                value = ""
            elif column.kind in ("int", "date") and column.nullable:
                value = None
            elif column.default is not None:
                value = column.default
            elif column.kind == "date":
                value = None
            else:
                value = column.default
        out[column.key] = value
    return out


# --- YAML ------------------------------------------------------------------------------------


class _LineDict(dict[Any, Any]):
    """A mapping that remembers the line it starts on and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    mapping = _LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = key_node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)


def _yaml_location(path: str, value: Any) -> Location:
    line = getattr(value, "line", 0)
    return Location(path=path, line=line, key_lines=getattr(value, "key_lines", {}))


def _file_error(message: str) -> ImportFailed:
    return ImportFailed(message, [message])


def read_yaml(document: bytes | str) -> tuple[list[RawRow], list[RawRow]]:
    """Departments and matters (with their rows) of a YAML document.

    Raises:
        ImportFailed: the document is not YAML or not shaped like a catalog.
    """
    try:
        text = document.decode("utf-8") if isinstance(document, bytes) else document
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except UnicodeDecodeError:
        raise _file_error(_("The file is not UTF-8 text; expected a YAML document.")) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _("line %(line)s") % {"line": mark.line + 1} if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise _file_error(
            _("The file is not valid YAML (%(where)s: %(problem)s).")
            % {"where": where, "problem": problem}
        ) from None
    if not isinstance(data, dict):
        raise _file_error(
            _("Expected a YAML mapping with the keys format, departments and matters; got %(got)s.")
            % {"got": type(data).__name__}
        )
    allowed = {"format", "format_version", "departments", "matters"}
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise _file_error(
            _(
                "Unknown top-level keys %(keys)s; expected format, format_version, "
                "departments, matters."
            )
            % {"keys": ", ".join(unknown)}
        )
    if data.get("format", FORMAT_NAME) != FORMAT_NAME:
        raise _file_error(
            _("Expected format %(expected)r, got %(got)r.")
            % {"expected": FORMAT_NAME, "got": data.get("format")}
        )
    if data.get("format_version", FORMAT_VERSION) != FORMAT_VERSION:
        raise _file_error(
            _("Expected format_version %(expected)s, got %(got)r.")
            % {"expected": FORMAT_VERSION, "got": data.get("format_version")}
        )
    if "matters" not in data:
        raise _file_error(_("The document has no 'matters' list; expected one (it may be empty)."))

    def rows(value: Any, path: str) -> list[tuple[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise _file_error(
                _("Expected %(path)s to be a list, got %(got)s.")
                % {"path": path, "got": type(value).__name__}
            )
        return [(f"{path}[{i}]", item) for i, item in enumerate(value)]

    def mapping(path: str, item: Any) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise _file_error(
                _("Expected %(path)s to be a mapping of fields, got %(got)r.")
                % {"path": path, "got": item}
            )
        return {str(k): v for k, v in item.items()}

    departments = [
        RawRow(_yaml_location(p, item), mapping(p, item))
        for p, item in rows(data.get("departments"), "departments")
    ]
    matters: list[RawRow] = []
    for p, item in rows(data.get("matters"), "matters"):
        cells = mapping(p, item)
        children: dict[str, list[RawRow]] = {}
        for list_key in ROW_COLUMNS:
            value = cells.pop(list_key, None)
            children[list_key] = [
                RawRow(_yaml_location(cp, child), mapping(cp, child))
                for cp, child in rows(value, f"{p}.{list_key}")
            ]
        matters.append(RawRow(_yaml_location(p, item), cells, children))
    return departments, matters


# --- Excel -----------------------------------------------------------------------------------


def read_xlsx(document: bytes) -> tuple[list[RawRow], list[RawRow], list[RowError]]:
    """Departments and matters (with their rows) of a workbook, and rows naming no matter.

    Raises:
        ImportFailed: the file is not an .xlsx workbook, lacks the Matters sheet, or has a bad
            header.
    """
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(document), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise _file_error(
            _("The file is not an Excel workbook (.xlsx): %(problem)s") % {"problem": exc}
        ) from None
    try:
        names = set(workbook.sheetnames)
        if SHEET_MATTERS not in names:
            raise _file_error(
                _("The workbook has no sheet %(sheet)s; expected the sheets %(sheets)s.")
                % {
                    "sheet": SHEET_MATTERS,
                    "sheets": ", ".join(
                        [SHEET_DEPARTMENTS, SHEET_MATTERS, SHEET_MATERIALS, SHEET_FEES, SHEET_STEPS]
                    ),
                }
            )

        def sheet_rows(
            name: str, columns: Sequence[Column], extra: Sequence[str] = ()
        ) -> list[RawRow]:
            if name not in names:
                return []
            worksheet = workbook[name]
            iterator = worksheet.iter_rows(values_only=True)
            header_cells = next(iterator, None)
            if header_cells is None:
                return []
            header = [str(h).strip() if h is not None else "" for h in header_cells]
            known = {*extra, *(c.key for c in columns)}
            problems = []
            for index, key in enumerate(header):
                if key and key not in known:
                    problems.append(
                        _(
                            "Sheet %(sheet)s, row 1, column %(col)s: unknown column %(key)r; "
                            "expected one of: %(expected)s."
                        )
                        % {
                            "sheet": name,
                            "col": _column_letter(index),
                            "key": key,
                            "expected": ", ".join([*extra, *(c.key for c in columns)]),
                        }
                    )
            for key in [*extra, *(c.key for c in columns if c.required)]:
                if key not in header:
                    problems.append(
                        _("Sheet %(sheet)s, row 1: missing column %(key)r.")
                        % {"sheet": name, "key": key}
                    )
            duplicates = sorted({k for k in header if k and header.count(k) > 1})
            for key in duplicates:
                problems.append(
                    _("Sheet %(sheet)s, row 1: column %(key)r appears more than once.")
                    % {"sheet": name, "key": key}
                )
            if problems:
                raise ImportFailed(problems[0], problems)
            out = []
            for number, values in enumerate(iterator, start=2):
                if values is None or all(_is_blank(v) for v in values):
                    continue
                cells = {
                    key: value
                    for key, value in zip(header, values, strict=False)
                    if key and not _is_blank(value)
                }
                out.append(RawRow(Location(sheet=name, row=number), cells))
            return out

        departments = sheet_rows(SHEET_DEPARTMENTS, DEPARTMENT_COLUMNS)
        matters = sheet_rows(SHEET_MATTERS, MATTER_COLUMNS)
        by_code: dict[str, RawRow] = {}
        problems: list[RowError] = []
        for matter in matters:
            matter.children = {key: [] for key in ROW_COLUMNS}
            code = str(matter.cells.get("code", "")).strip()
            by_code.setdefault(code, matter)
        for list_key, sheet in ROW_SHEETS.items():
            for row in sheet_rows(sheet, ROW_COLUMNS[list_key], extra=(MATTER_REF,)):
                ref = row.cells.pop(MATTER_REF, None)
                ref_text = _cell_code(ref)
                owner = by_code.get(ref_text) if ref_text else None
                if owner is None:
                    problems.append(
                        RowError(
                            row.location,
                            MATTER_REF,
                            _("expected the code of a matter on sheet %(sheet)s, got %(got)s")
                            % {"sheet": SHEET_MATTERS, "got": _shown(ref)},
                        )
                    )
                    continue
                owner.children[list_key].append(row)
        return departments, matters, problems
    finally:
        workbook.close()


def _cell_code(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# --- Import ----------------------------------------------------------------------------------


def _guess_format(path: Path | None, document: bytes | str | None, format: str | None) -> str:
    if format:
        fmt = format.lower().lstrip(".")
        fmt = {"yml": "yaml", "excel": "xlsx"}.get(fmt, fmt)
        if fmt not in FORMATS:
            raise _file_error(_("Expected the format yaml or xlsx, got %(got)r.") % {"got": format})
        return fmt
    if path is not None:
        suffix = path.suffix.lower()
        if suffix in (".yaml", ".yml"):
            return "yaml"
        if suffix == ".xlsx":
            return "xlsx"
        raise _file_error(
            _("Cannot tell the format of %(name)s; expected a .yaml, .yml or .xlsx file.")
            % {"name": path.name}
        )
    if isinstance(document, bytes) and document[:2] == b"PK":
        return "xlsx"
    return "yaml"


@dataclass
class _MatterRow:
    raw: RawRow
    head: dict[str, Any]
    content: dict[str, Any]


def _parse(
    departments_raw: list[RawRow], matters_raw: list[RawRow]
) -> tuple[list[tuple[RawRow, dict[str, Any]]], list[_MatterRow], list[RowError]]:
    errors: list[RowError] = []
    departments: list[tuple[RawRow, dict[str, Any]]] = []
    seen_departments: dict[str, RawRow] = {}
    for row in departments_raw:
        values = _read_row(row, DEPARTMENT_COLUMNS, errors)
        code = values.get("code")
        if code and code in seen_departments:
            errors.append(
                RowError(
                    row.location,
                    "code",
                    _("department %(code)s is declared twice (also at %(other)s)")
                    % {"code": code, "other": seen_departments[code].location.describe()},
                )
            )
            continue
        if code:
            seen_departments[code] = row
        departments.append((row, values))

    matters: list[_MatterRow] = []
    seen_matters: dict[str, RawRow] = {}
    for row in matters_raw:
        _check_unknown(row, MATTER_COLUMNS, errors)
        head = _read_row(row, MATTER_HEAD_COLUMNS, errors, check_unknown=False)
        content = _read_row(row, MATTER_CONTENT_COLUMNS, errors, check_unknown=False)
        for list_key, columns in ROW_COLUMNS.items():
            content[list_key] = [
                _read_row(child, columns, errors) for child in row.children.get(list_key, [])
            ]
        code = head.get("code")
        if code and code in seen_matters:
            errors.append(
                RowError(
                    row.location,
                    "code",
                    _("matter %(code)s appears twice (also at %(other)s)")
                    % {"code": code, "other": seen_matters[code].location.describe()},
                )
            )
            continue
        if code:
            seen_matters[code] = row
        matters.append(_MatterRow(row, head, content))
    return departments, matters, errors


def _locate(matter: _MatterRow, key: str) -> tuple[Location, str | None]:
    """Map a service error key (``materials[2].trust_level``) to a row and column."""
    match = re.fullmatch(r"(materials|fees|steps)\[(\d+)\](?:\.(\w+))?", key)
    if match:
        children = matter.raw.children.get(match.group(1), [])
        index = int(match.group(2))
        if index < len(children):
            return children[index].location, match.group(3)
    if key == "__all__":
        return matter.raw.location, None
    return matter.raw.location, key


def _errors_of(matter: _MatterRow, exc: InvalidInput) -> list[RowError]:
    found = exc.details.get("errors") if isinstance(exc.details, dict) else None
    if not isinstance(found, dict):
        return [RowError(matter.raw.location, None, exc.message)]
    out = []
    for key, messages in found.items():
        location, column = _locate(matter, str(key))
        for message in messages:
            out.append(RowError(location, column, str(message).rstrip(".")))
    return out


def _department_state(department: Department) -> dict[str, Any]:
    return {
        "name": department.name,
        "level": department.level,
        "parent": department.parent.code if department.parent_id and department.parent else None,
        "short_name": department.short_name,
        "credit_code": department.credit_code,
        "is_service_unit": department.is_service_unit,
    }


def _order_departments(
    rows: list[tuple[RawRow, dict[str, Any]]], errors: list[RowError]
) -> list[tuple[RawRow, dict[str, Any]]]:
    """Parents before children; a parent must be declared or exist; no cycles."""
    declared = {values["code"]: (row, values) for row, values in rows}
    existing = set(
        Department.objects.filter(
            code__in=[v.get("parent") for _, v in rows if v.get("parent")]
        ).values_list("code", flat=True)
    )
    ordered: list[tuple[RawRow, dict[str, Any]]] = []
    placed: set[str] = set()
    visiting: set[str] = set()

    def place(code: str) -> bool:
        if code in placed:
            return True
        row, values = declared[code]
        parent = values.get("parent") or None
        if code in visiting:
            errors.append(
                RowError(row.location, "parent", _("the departments' parents form a loop"))
            )
            return False
        visiting.add(code)
        ok = True
        if parent:
            if parent in declared:
                ok = place(parent)
            elif parent not in existing:
                errors.append(
                    RowError(
                        row.location,
                        "parent",
                        _("expected the code of a declared or existing department, got %(got)r")
                        % {"got": parent},
                    )
                )
                ok = False
        visiting.discard(code)
        if ok:
            placed.add(code)
            ordered.append((row, values))
        return ok

    for code in declared:
        place(code)
    return ordered


def import_catalog(
    *,
    actor: Any | None,
    document: bytes | str | None = None,
    path: str | Path | None = None,
    format: str | None = None,
    effective_from: dt.date | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """See :func:`xiaoneng.catalog.services.catalog_import`."""
    from xiaoneng.catalog.services import matter_create, matter_revise, matter_set_status

    file_path = Path(path) if path is not None else None
    if document is None:
        if file_path is None:
            raise _file_error(_("Nothing to import: expected a document or a path."))
        try:
            document = file_path.read_bytes()
        except OSError as exc:
            raise _file_error(
                _("Cannot read %(path)s: %(problem)s")
                % {"path": file_path, "problem": exc.strerror or exc}
            ) from None
    fmt = _guess_format(file_path, document, format)
    if fmt == "xlsx":
        if isinstance(document, str):
            raise _file_error(_("An Excel workbook must be given as bytes, not text."))
        departments_raw, matters_raw, read_errors = read_xlsx(document)
    else:
        departments_raw, matters_raw = read_yaml(document)
        read_errors = []

    departments, matters, errors = _parse(departments_raw, matters_raw)
    errors = read_errors + errors
    ordered_departments = _order_departments(departments, errors)

    # Departments named by matters must be declared in the file or exist already.
    declared = {values["code"] for _, values in departments if values.get("code")}
    referenced = {m.content.get("department") for m in matters if m.content.get("department")}
    existing = {
        d.code: d for d in Department.objects.filter(code__in=referenced).select_related("parent")
    }
    for matter in matters:
        code = matter.content.get("department")
        if code and code not in declared and code not in existing:
            errors.append(
                RowError(
                    matter.raw.location,
                    "department",
                    _(
                        "expected the code of an existing department or of one declared in "
                        "the departments section, got %(got)r"
                    )
                    % {"got": code},
                )
            )
    if errors:
        raise _failed(errors)

    summary = ImportSummary(matters_total=len(matters), dry_run=dry_run)
    today = timezone.localdate()
    with transaction.atomic():
        department_by_code = _apply_departments(actor, ordered_departments, summary)
        department_by_code = {**existing, **department_by_code}
        current = {
            m.code: m for m in Matter.objects.filter(code__in=[m.head["code"] for m in matters])
        }
        for done, matter in enumerate(matters, start=1):
            content = dict(matter.content)
            content["department"] = department_by_code.get(
                content["department"], content["department"]
            )
            when = effective_from or matter.head.get("effective_from") or today
            note = matter.head.get("change_note") or ""
            status = matter.head.get("status") or MatterStatus.ACTIVE
            try:
                existing_matter = current.get(matter.head["code"])
                if existing_matter is None:
                    matter_create(
                        actor=actor,
                        code=matter.head["code"],
                        catalog_code=matter.head["catalog_code"],
                        data=content,
                        effective_from=when,
                        note=note,
                        status=status,
                    )
                    summary.matters_created += 1
                else:
                    if existing_matter.catalog_code != matter.head["catalog_code"]:
                        errors.append(
                            RowError(
                                matter.raw.location,
                                "catalog_code",
                                _(
                                    "the catalog code of matter %(code)s is %(have)s and "
                                    "does not change; got %(got)s"
                                )
                                % {
                                    "code": existing_matter.code,
                                    "have": existing_matter.catalog_code,
                                    "got": matter.head["catalog_code"],
                                },
                            )
                        )
                        continue
                    before = existing_matter.latest_version_id
                    version = matter_revise(
                        actor=actor,
                        matter=existing_matter,
                        changes=content,
                        effective_from=when,
                        note=note,
                    )
                    if version.pk != before:
                        summary.matters_revised += 1
                    else:
                        summary.matters_unchanged += 1
                    if existing_matter.status != status:
                        matter_set_status(
                            actor=actor, matter=existing_matter, status=status, reason=note
                        )
                        summary.matters_status_changed += 1
            except InvalidInput as exc:
                errors.extend(_errors_of(matter, exc))
            if progress is not None:
                progress(done, len(matters))
        if errors:
            raise _failed(errors)
        audit_record(
            actor=actor,
            action="catalog.catalog_import",
            summary=str(summary)[:500],
            data=summary.as_dict(),
        )
        if dry_run:
            transaction.set_rollback(True)
    return summary


def _apply_departments(
    actor: Any | None,
    ordered: list[tuple[RawRow, dict[str, Any]]],
    summary: ImportSummary,
) -> dict[str, Department]:
    out: dict[str, Department] = {}
    have = {
        d.code: d
        for d in Department.objects.filter(code__in=[v["code"] for _, v in ordered]).select_related(
            "parent"
        )
    }
    for _row, values in ordered:
        code = values["code"]
        wanted = {
            "name": values["name"],
            "level": values["level"],
            "parent": values.get("parent") or None,
            "short_name": values.get("short_name", ""),
            "credit_code": values.get("credit_code", ""),
            "is_service_unit": values.get("is_service_unit", False),
        }
        found = have.get(code)
        if found is not None and _department_state(found) == wanted:
            summary.departments_unchanged += 1
            out[code] = found
            continue
        parent_code = wanted.pop("parent")
        parent = out.get(parent_code) if parent_code else None
        if parent_code and parent is None:
            parent = Department.objects.get(code=parent_code)
        out[code] = department_upsert(actor=actor, code=code, parent=parent, **wanted)
        if found is None:
            summary.departments_created += 1
        else:
            summary.departments_updated += 1
    return out


def _failed(errors: Iterable[RowError]) -> ImportFailed:
    stop = pgettext("end of a sentence", ".")
    lines = [str(e) + ("" if str(e).endswith((".", "。")) else stop) for e in errors]
    message = _("The file has %(count)s errors; nothing was imported.") % {"count": len(lines)}
    return ImportFailed(message, lines)


# --- Export ----------------------------------------------------------------------------------


def _export_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Departments and matters (each with head, content and rows), as plain values."""
    matters = list(selectors.catalog_export_queryset())
    departments = selectors.department_ancestors(
        [m.latest_version.department for m in matters if m.latest_version is not None]
    )
    parents = {d.pk: d.code for d in departments}
    department_rows = [
        {
            "code": d.code,
            "name": d.name,
            "level": d.level,
            "parent": parents.get(d.parent_id) if d.parent_id else None,
            "short_name": d.short_name,
            "credit_code": d.credit_code,
            "is_service_unit": d.is_service_unit,
        }
        for d in departments
    ]
    matter_rows = []
    for matter in matters:
        version = matter.latest_version
        assert version is not None
        content = selectors.version_content(version)
        matter_rows.append(
            {
                "code": matter.code,
                "catalog_code": matter.catalog_code,
                "status": matter.status,
                "effective_from": version.effective_from,
                "change_note": version.change_note,
                **content,
            }
        )
    return department_rows, matter_rows


def _compact(row: Mapping[str, Any], columns: Sequence[Column]) -> dict[str, Any]:
    """Leave out empty optional values, so the YAML shows what matters."""
    out = {}
    for column in columns:
        value = row.get(column.key)
        if not column.required and value in ("", None, []):
            continue
        out[column.key] = value
    return out


class _Dumper(yaml.SafeDumper):
    """Block style for mappings; short lists of codes on one line (``[window, online]``)."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(isinstance(item, str | int) and not isinstance(item, bool) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def export_yaml() -> bytes:
    departments, matters = _export_rows()
    document: dict[str, Any] = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION}
    document["departments"] = [_compact(d, DEPARTMENT_COLUMNS) for d in departments]
    document["matters"] = []
    for matter in matters:
        item = _compact(matter, MATTER_COLUMNS)
        for list_key, columns in ROW_COLUMNS.items():
            rows = [_compact(r, columns) for r in matter[list_key]]
            if rows:
                item[list_key] = rows
        document["matters"].append(item)
    text = yaml.dump(
        document,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=100,
    )
    return text.encode("utf-8")


def _xlsx_value(column: Column, value: Any) -> Any:
    if column.kind == "multi":
        return ", ".join(str(v) for v in value or [])
    if value is None or value == "":
        return None
    return value


def export_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    departments, matters = _export_rows()
    workbook = Workbook()
    about = workbook.active
    assert about is not None
    about.title = SHEET_ABOUT

    def add_sheet(
        name: str, keys: list[str], columns: Sequence[Column], rows: Iterable[list[Any]]
    ) -> None:
        sheet = workbook.create_sheet(name)
        sheet.append(keys)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        kinds = {c.key: c for c in columns}
        for row in rows:
            sheet.append(row)
        for index, key in enumerate(keys, start=1):
            letter = get_column_letter(index)
            column = kinds.get(key)
            sheet.column_dimensions[letter].width = 14 if column and column.kind != "text" else 24
            if column is not None and column.kind == "date":
                for cell in sheet[letter][1:]:
                    cell.number_format = "yyyy-mm-dd"
            elif column is None or column.kind in ("text", "choice"):
                for cell in sheet[letter][1:]:
                    cell.number_format = "@"  # keep codes such as 01 as text

    add_sheet(
        SHEET_DEPARTMENTS,
        [c.key for c in DEPARTMENT_COLUMNS],
        DEPARTMENT_COLUMNS,
        ([_xlsx_value(c, d.get(c.key)) for c in DEPARTMENT_COLUMNS] for d in departments),
    )
    add_sheet(
        SHEET_MATTERS,
        [c.key for c in MATTER_COLUMNS],
        MATTER_COLUMNS,
        ([_xlsx_value(c, m.get(c.key)) for c in MATTER_COLUMNS] for m in matters),
    )
    for list_key, sheet_name in ROW_SHEETS.items():
        columns = ROW_COLUMNS[list_key]
        add_sheet(
            sheet_name,
            [MATTER_REF, *(c.key for c in columns)],
            columns,
            (
                [m["code"], *(_xlsx_value(c, r.get(c.key)) for c in columns)]
                for m in matters
                for r in m[list_key]
            ),
        )
    _write_about(about)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _write_about(sheet: Any) -> None:
    """A sheet for people: what the file is and the code lists; ignored on import."""
    from openpyxl.styles import Font

    sheet.append([f"{FORMAT_NAME} {FORMAT_VERSION}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([str(_ABOUT_TEXT)])
    sheet.append([])
    for title, choices in _CODE_LISTS:
        sheet.append([str(title)])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        for value, label in choices:
            sheet.append([str(value), str(label)])
        sheet.append([])
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 60


_ABOUT_TEXT = gettext_lazy(
    "Service-matter catalog. Row 1 of every sheet holds the keys; Materials, Fees and Steps "
    "name their matter in the column matter_code. See docs/catalog-import.md. This sheet is "
    "ignored on import."
)
_CODE_LISTS: tuple[tuple[Any, Any], ...] = (
    ("matter_type", MatterType.choices),
    ("kind", MatterKind.choices),
    ("level", ExerciseLevel.choices),
    ("power_source", PowerSource.choices),
    ("body_type", BodyType.choices),
    ("service_objects", ServiceObject.choices),
    ("handling_forms", HandlingForm.choices),
    ("online_depth", OnlineDepth.choices),
    ("service_scope", ServiceScope.choices),
    ("result_type", ResultType.choices),
    ("status", MatterStatus.choices),
    ("necessity", Necessity.choices),
    ("form", MaterialForm.choices),
    ("source", MaterialSource.choices),
    ("trust_level", TrustLevel.choices),
    ("replacement", Replacement.choices),
    ("department level", DepartmentLevel.choices),
)


def export_catalog(*, format: str) -> bytes:
    """See :func:`xiaoneng.catalog.services.catalog_export`."""
    fmt = {"yml": "yaml", "excel": "xlsx"}.get(format.lower(), format.lower())
    if fmt == "yaml":
        return export_yaml()
    if fmt == "xlsx":
        return export_xlsx()
    raise InvalidInput(
        _("Expected the format yaml or xlsx, got %(got)r.") % {"got": format},
        details={"format": format},
    )
