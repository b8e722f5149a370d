"""Writes of the catalog, each in one transaction with its audit event.

History is append-only (DOMAIN_RULES.md §3, 事项版本): ``matter_create`` records version 1 and
``matter_revise`` appends version n + 1 with an effective date; no version is edited in place.
``Matter.current_version`` (in force today) and ``Matter.latest_version`` are pointers moved
only here; ``matter_versions_activate`` moves ``current_version`` when a scheduled version's
day comes (run it daily: ``xiaoneng catalog activate``).

Content dictionaries use the keys of ``selectors.VERSION_FIELDS`` plus ``materials``, ``fees``
and ``steps`` (lists of dictionaries with the keys of ``MATERIAL_FIELDS``, ``FEE_FIELDS`` and
``STEP_FIELDS``); ``department`` is a :class:`~xiaoneng.accounts.models.Department` or its code.
Keys left out take the model defaults (``matter_create``) or keep the previous version's value
(``matter_revise``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.accounts.models import Department
from xiaoneng.catalog import rules
from xiaoneng.catalog.models import (
    Fee,
    HandlingForm,
    Material,
    Matter,
    MatterStatus,
    MatterVersion,
    OnlineDepth,
    ProcessStep,
    ServiceObject,
)
from xiaoneng.catalog.selectors import (
    ROW_FIELDS,
    VERSION_FIELDS,
    content_from,
    matter_versions,
    version_content,
)
from xiaoneng.core.errors import InvalidInput
from xiaoneng.core.services import audit_record

if TYPE_CHECKING:
    from xiaoneng.catalog.exchange import ImportSummary

# A new matter cannot do without these; every other field has a default.
REQUIRED_ON_CREATE: tuple[str, ...] = (
    "name",
    "matter_type",
    "department",
    "kind",
    "promised_limit_days",
    "visits",
)
CONTENT_KEYS = frozenset(VERSION_FIELDS) | frozenset(ROW_FIELDS)

# Multi-selects are stored in code-list order, so that equal choices compare equal.
_MULTI_ORDER: dict[str, list[Any]] = {
    "service_objects": list(ServiceObject.values),
    "handling_forms": list(HandlingForm.values),
    "online_depth": list(OnlineDepth.values),
}

Errors = dict[str, list[str]]


def _today() -> dt.date:
    return timezone.localdate()


def _add_validation_error(errors: Errors, exc: ValidationError, prefix: str = "") -> None:
    if hasattr(exc, "error_dict"):
        for key, messages in exc.message_dict.items():
            where = prefix + key if key != "__all__" else (prefix.rstrip(".") or "__all__")
            errors.setdefault(where, []).extend(messages)
    else:
        errors.setdefault(prefix.rstrip(".") or "__all__", []).extend(exc.messages)


def _raise_if_errors(errors: Errors, *, code: str = "") -> None:
    if not errors:
        return
    lines = [f"{key}: {' '.join(messages)}" for key, messages in errors.items()]
    intro = (
        _("Matter %(code)s is not valid.") % {"code": code}
        if code
        else _("The matter is not valid.")
    )
    raise InvalidInput(f"{intro} " + " ".join(lines), details={"errors": errors})


def _canonical_multi(key: str, value: Any) -> Any:
    """Sort a multi-select into code-list order; anything odd is left for ``clean()`` to name."""
    if not isinstance(value, list | tuple):
        return value
    items = list(value)
    if key == "online_depth":
        items = [int(v) if isinstance(v, str) and v.strip().isdigit() else v for v in items]
    order = _MULTI_ORDER[key]
    if all(v in order for v in items):
        items.sort(key=order.index)
    return items


def _resolve_department(value: Any, errors: Errors) -> Department | None:
    if isinstance(value, Department):
        return value
    if isinstance(value, str) and value.strip():
        department = Department.objects.filter(code=value.strip()).first()
        if department is None:
            errors.setdefault("department", []).append(
                _("Expected the code of an existing department, got %(code)r.") % {"code": value}
            )
        return department
    errors.setdefault("department", []).append(
        _("Expected the implementing department (a department code), got %(value)r.")
        % {"value": value}
    )
    return None


def _check_keys(data: Mapping[str, Any], errors: Errors) -> None:
    for key in data:
        if key not in CONTENT_KEYS:
            errors.setdefault(key, []).append(
                _("Unknown field %(field)r; expected one of: %(expected)s.")
                % {"field": key, "expected": ", ".join([*VERSION_FIELDS, *ROW_FIELDS])}
            )


@dataclass
class _Built:
    """An unsaved, validated version with its rows."""

    version: MatterVersion
    materials: list[Material] = field(default_factory=list)
    fees: list[Fee] = field(default_factory=list)
    steps: list[ProcessStep] = field(default_factory=list)

    def content(self) -> dict[str, Any]:
        return content_from(self.version, self.materials, self.fees, self.steps)


_ROW_MODELS: dict[str, type[models.Model]] = {
    "materials": Material,
    "fees": Fee,
    "steps": ProcessStep,
}


def _build(
    *,
    matter: Matter,
    number: int,
    content: Mapping[str, Any],
    effective_from: dt.date,
    note: str,
    actor: Any | None,
    errors: Errors,
) -> _Built:
    """Make unsaved model instances from content and validate them, collecting every error."""
    version = MatterVersion(
        matter=matter,
        number=number,
        effective_from=effective_from,
        change_note=note or "",
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    for key in VERSION_FIELDS:
        if key == "department" or key not in content:
            continue
        value = content[key]
        if isinstance(value, str):
            # Surrounding blanks carry no meaning and would make equal content look changed.
            value = value.strip()
        if key in _MULTI_ORDER:
            value = _canonical_multi(key, value)
        setattr(version, key, value)
    department = _resolve_department(content.get("department"), errors)
    if department is not None:
        version.department = department
    try:
        # The department is checked above; validating the foreign keys here would cost a query.
        version.full_clean(
            exclude=["matter", "department", "created_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        _add_validation_error(errors, exc)
    built = _Built(version)
    for list_key, row_fields in ROW_FIELDS.items():
        rows = content.get(list_key) or []
        if not isinstance(rows, list | tuple):
            errors.setdefault(list_key, []).append(
                _("Expected a list, got %(value)r.") % {"value": rows}
            )
            continue
        model = _ROW_MODELS[list_key]
        target: list[Any] = getattr(built, list_key)
        for index, row in enumerate(rows):
            prefix = f"{list_key}[{index}]."
            if not isinstance(row, Mapping):
                errors.setdefault(prefix.rstrip("."), []).append(
                    _("Expected a mapping of fields, got %(value)r.") % {"value": row}
                )
                continue
            unknown = [k for k in row if k not in row_fields]
            for key in unknown:
                errors.setdefault(prefix + key, []).append(
                    _("Unknown field %(field)r; expected one of: %(expected)s.")
                    % {"field": key, "expected": ", ".join(row_fields)}
                )
            values = {
                k: (row[k].strip() if isinstance(row[k], str) else row[k])
                for k in row_fields
                if k in row
            }
            instance = model(version=version, order=index, **values)
            try:
                instance.full_clean(exclude=["version"], validate_unique=False)
            except ValidationError as exc:
                _add_validation_error(errors, exc, prefix)
            target.append(instance)
    if not errors:
        content_now = built.content()
        for problem in rules.content_problems(
            content_now, content_now["materials"], content_now["fees"]
        ):
            errors.setdefault(problem.field, []).append(problem.message)
    return built


def _save(built: _Built) -> MatterVersion:
    version = built.version
    version.save()
    for objects in (built.materials, built.fees, built.steps):
        for obj in objects:
            obj.version = version  # type: ignore[attr-defined]
    Material.objects.bulk_create(built.materials)
    Fee.objects.bulk_create(built.fees)
    ProcessStep.objects.bulk_create(built.steps)
    return version


def _refresh_pointers(matter: Matter, *, today: dt.date | None = None) -> None:
    """Point ``current_version`` at the version in force today, ``latest_version`` at the newest."""
    today = today or _today()
    versions = MatterVersion.objects.filter(matter=matter)
    latest = versions.order_by("-number").first()
    current = (
        versions.filter(effective_from__lte=today).order_by("-effective_from", "-number").first()
    )
    matter.latest_version = latest
    matter.current_version = current
    matter.save(update_fields=["latest_version", "current_version"])


@transaction.atomic
def matter_create(
    *,
    actor: Any | None,
    code: str,
    catalog_code: str,
    data: Mapping[str, Any],
    effective_from: dt.date,
    note: str = "",
    status: str = MatterStatus.ACTIVE,
) -> Matter:
    """Enter a new matter in the catalog with its first version.

    Args:
        actor: who records it (``None`` for the system, e.g. an import or the demo build).
        code: implementation code (实施编码), unique.
        catalog_code: basic code (基本编码), 12 letters or digits.
        data: the version's content (see the module docstring); ``name``, ``matter_type``,
            ``department``, ``kind``, ``promised_limit_days`` and ``visits`` are required.
        effective_from: the day version 1 takes effect; a later day leaves the matter
            unpublished (no current version) until then.
        note: change note of version 1.
        status: ``active`` (default) or ``withdrawn``.

    Returns:
        The saved matter, ``latest_version`` set, ``current_version`` set if in force today.

    Raises:
        InvalidInput: with ``details["errors"]`` mapping each field (``materials[2].name`` for
            rows) to its messages; nothing is saved.
    """
    errors: Errors = {}
    _check_keys(data, errors)
    for key in REQUIRED_ON_CREATE:
        if data.get(key) in (None, ""):
            errors.setdefault(key, []).append(_("This field is required; expected a value."))
    if Matter.objects.filter(code=code).exists():
        errors.setdefault("code", []).append(
            _(
                "A matter with implementation code %(code)s already exists; expected a new code "
                "(change an existing matter by revising it)."
            )
            % {"code": code}
        )
    matter = Matter(code=code, catalog_code=catalog_code, status=status)
    try:
        matter.full_clean(exclude=["current_version", "latest_version"], validate_unique=False)
    except ValidationError as exc:
        _add_validation_error(errors, exc)
    built = _build(
        matter=matter,
        number=1,
        content={k: v for k, v in data.items() if k in CONTENT_KEYS},
        effective_from=effective_from,
        note=note,
        actor=actor,
        errors=errors,
    )
    _raise_if_errors(errors, code=code)
    matter.save()
    built.version.matter = matter
    version = _save(built)
    _refresh_pointers(matter)
    audit_record(
        actor=actor,
        action="catalog.matter_create",
        target=matter,
        summary=f"{code} {version.name} v1",
        data={"version": 1, "effective_from": effective_from.isoformat(), "note": note},
    )
    return matter


@transaction.atomic
def matter_revise(
    *,
    actor: Any | None,
    matter: Matter,
    changes: Mapping[str, Any],
    effective_from: dt.date,
    note: str = "",
) -> MatterVersion:
    """Append a new version of a matter with ``changes`` applied to its latest version.

    History is never edited: the new version takes effect on ``effective_from`` and the
    previous one stays in force before that day. A list given in ``changes`` (``materials``,
    ``fees``, ``steps``) replaces the whole list; keys left out keep their values.

    Args:
        actor: who records the change.
        matter: the matter to change.
        changes: fields of the content to change (see the module docstring).
        effective_from: the day the new version takes effect; not before the latest version's
            effective date (on the same date the new version wins, as a correction).
        note: what changed and why (变更说明).

    Returns:
        The new version; or the latest version itself when ``changes`` change nothing (no
        version and no audit event are written then).

    Raises:
        InvalidInput: the changes break a rule, or the date is before the latest version's.
    """
    # Lock the matter so that two revisions at once cannot both take number n + 1.
    matter = Matter.objects.select_for_update().get(pk=matter.pk)
    latest = matter_versions(matter).order_by("-number").first()
    if latest is None:  # a matter always has a version; guard against hand-made rows
        raise InvalidInput(_("Matter %(code)s has no version to revise.") % {"code": matter.code})
    errors: Errors = {}
    _check_keys(changes, errors)
    base = version_content(latest)
    merged = {**base, **{k: v for k, v in changes.items() if k in CONTENT_KEYS}}
    built = _build(
        matter=matter,
        number=latest.number + 1,
        content=merged,
        effective_from=effective_from,
        note=note,
        actor=actor,
        errors=errors,
    )
    _raise_if_errors(errors, code=matter.code)
    after = built.content()
    if after == base:
        return latest
    if effective_from < latest.effective_from:
        errors.setdefault("effective_from", []).append(
            _(
                "Expected a date on or after %(date)s (when version %(number)s takes effect), "
                "got %(got)s; history is not rewritten."
            )
            % {
                "date": latest.effective_from.isoformat(),
                "number": latest.number,
                "got": effective_from.isoformat(),
            }
        )
    _raise_if_errors(errors, code=matter.code)
    version = _save(built)
    _refresh_pointers(matter)
    changed = [key for key in after if after[key] != base.get(key)]
    audit_record(
        actor=actor,
        action="catalog.matter_revise",
        target=matter,
        summary=f"{matter.code} {version.name} v{version.number}",
        data={
            "version": version.number,
            "effective_from": effective_from.isoformat(),
            "changed": changed,
            "note": note,
        },
    )
    return version


@transaction.atomic
def matter_set_status(
    *, actor: Any | None, matter: Matter, status: str, reason: str = ""
) -> Matter:
    """Withdraw a matter from the catalog (事项状态), or put it back in use.

    Raises:
        InvalidInput: ``status`` is not ``active`` or ``withdrawn``.
    """
    if status not in MatterStatus.values:
        raise InvalidInput(
            _("Expected status %(expected)s, got %(got)r.")
            % {"expected": " / ".join(MatterStatus.values), "got": status}
        )
    matter = Matter.objects.select_for_update().get(pk=matter.pk)
    if matter.status == status:
        return matter
    before = matter.status
    matter.status = status
    matter.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="catalog.matter_set_status",
        target=matter,
        summary=f"{matter.code} {before} → {status}",
        data={"from": before, "to": status, "reason": reason},
    )
    return matter


@transaction.atomic
def matter_versions_activate(*, actor: Any | None = None, on: dt.date | None = None) -> int:
    """Point every matter at the version in force on ``on`` (default today).

    A version recorded with a later effective date waits until its day; run this daily
    (``xiaoneng catalog activate``). Idempotent.

    Returns:
        How many matters changed their current version.
    """
    on = on or _today()
    best: dict[int, tuple[dt.date, int, int]] = {}
    rows = MatterVersion.objects.filter(effective_from__lte=on).values_list(
        "matter_id", "effective_from", "number", "pk"
    )
    for matter_id, effective_from, number, pk in rows:
        candidate = (effective_from, number, pk)
        if matter_id not in best or candidate > best[matter_id]:
            best[matter_id] = candidate
    moved = 0
    for matter in Matter.objects.select_for_update().only("pk", "code", "current_version_id"):
        target = best.get(matter.pk)
        target_id = target[2] if target else None
        if matter.current_version_id == target_id:
            continue
        before = matter.current_version_id
        matter.current_version_id = target_id
        matter.save(update_fields=["current_version"])
        audit_record(
            actor=actor,
            action="catalog.matter_activate",
            target=matter,
            summary=f"{matter.code} current version on {on.isoformat()}",
            data={"from_version_id": before, "to_version_id": target_id, "on": on.isoformat()},
        )
        moved += 1
    return moved


# --- Import and export (docs/catalog-import.md) ---------------------------------------------


def catalog_export(*, format: str) -> bytes:
    """The whole catalog (latest version of every matter) as YAML or Excel bytes.

    Departments that matters name, and their parents, are included so that the file can be
    imported into an empty database.

    Raises:
        InvalidInput: ``format`` is not ``yaml`` or ``xlsx``.
    """
    from xiaoneng.catalog import exchange

    return exchange.export_catalog(format=format)


def catalog_import(
    *,
    actor: Any | None,
    document: bytes | str | None = None,
    path: str | Path | None = None,
    format: str | None = None,
    effective_from: dt.date | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Import a whole catalog file: every row valid, or nothing imported (one transaction).

    New matters are created; a matter whose content differs from its latest version gets a
    new version; unchanged matters are left alone. Departments declared in the file are
    upserted first (``accounts.services.department_upsert``).

    Args:
        actor: who imports (``None`` for the system).
        document: the file's content; or give ``path``.
        path: a file to read; its suffix (``.yaml``/``.yml``/``.xlsx``) gives the format.
        format: ``yaml`` or ``xlsx``; required with ``document`` unless it can be guessed.
        effective_from: effective date of every new version; default: each row's
            ``effective_from``, else today.
        dry_run: validate and count, then roll everything back.
        progress: called with (matters done, matters in all).

    Returns:
        An :class:`~xiaoneng.catalog.exchange.ImportSummary` (counts per outcome).

    Raises:
        ImportFailed: with every row-level error (``.errors``), in the user's language.
    """
    from xiaoneng.catalog import exchange

    return exchange.import_catalog(
        actor=actor,
        document=document,
        path=path,
        format=format,
        effective_from=effective_from,
        dry_run=dry_run,
        progress=progress,
    )
