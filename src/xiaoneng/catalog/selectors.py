"""Reads of the catalog for pages, the API, imports and reports, with explicit joins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.accounts.models import Department
from xiaoneng.accounts.selectors import department_descendant_ids
from xiaoneng.catalog import rules
from xiaoneng.catalog.models import (
    Fee,
    Material,
    Matter,
    MatterStatus,
    MatterVersion,
    ProcessStep,
    Replacement,
)
from xiaoneng.core.errors import NotFound

# The content of a version, in the order of the import/export format (docs/catalog-import.md).
# ``department`` is the department's code in content dictionaries.
VERSION_FIELDS: tuple[str, ...] = (
    "name",
    "business_item_code",
    "matter_type",
    "level",
    "power_source",
    "department",
    "body_type",
    "entrusted_department",
    "service_objects",
    "legal_basis",
    "acceptance_conditions",
    "legal_limit_days",
    "legal_limit_note",
    "promised_limit_days",
    "promised_limit_note",
    "extension_days",
    "kind",
    "handling_forms",
    "visits",
    "handling_location",
    "handling_hours",
    "consultation",
    "complaint_channel",
    "in_hall",
    "special_procedures",
    "allows_commitment",
    "online",
    "online_depth",
    "online_url",
    "express_delivery",
    "online_payment",
    "appointment",
    "service_scope",
    "intermediary_services",
    "joint_agencies",
    "charges_fee",
    "fee_basis",
    "result_name",
    "result_type",
    "result_sample",
)
MATERIAL_FIELDS: tuple[str, ...] = (
    "name",
    "necessity",
    "condition",
    "form",
    "source",
    "paper_copies",
    "paper_spec",
    "blank_form",
    "sample",
    "acceptance_standard",
    "basis",
    "trust_level",
    "is_certificate",
    "replacement",
    "cancelled_on",
    "replacement_basis",
    "license_type",
)
FEE_FIELDS: tuple[str, ...] = ("item", "standard", "basis", "reducible")
STEP_FIELDS: tuple[str, ...] = ("name", "description", "limit_days")
ROW_FIELDS: dict[str, tuple[str, ...]] = {
    "materials": MATERIAL_FIELDS,
    "fees": FEE_FIELDS,
    "steps": STEP_FIELDS,
}


def content_from(
    version: MatterVersion,
    materials: Iterable[Material],
    fees: Iterable[Fee],
    steps: Iterable[ProcessStep],
) -> dict[str, Any]:
    """A version's content as plain values: what a matter *says*, without ids or dates.

    Two versions with equal content say the same thing; the import and ``matter_revise`` use
    this to skip changes that change nothing.
    """
    content: dict[str, Any] = {}
    for key in VERSION_FIELDS:
        if key == "department":
            content[key] = version.department.code
        else:
            content[key] = getattr(version, key)
    content["materials"] = [{k: getattr(m, k) for k in MATERIAL_FIELDS} for m in materials]
    content["fees"] = [{k: getattr(f, k) for k in FEE_FIELDS} for f in fees]
    content["steps"] = [{k: getattr(s, k) for k in STEP_FIELDS} for s in steps]
    return content


def version_content(version: MatterVersion) -> dict[str, Any]:
    """The content of a saved version (prefetch materials, fees and steps for many)."""
    return content_from(version, version.materials.all(), version.fees.all(), version.steps.all())


def _version_prefetches(prefix: str = "") -> list[Prefetch[Any]]:
    return [
        Prefetch(f"{prefix}materials", queryset=Material.objects.order_by("order", "id")),
        Prefetch(f"{prefix}fees", queryset=Fee.objects.order_by("order", "id")),
        Prefetch(f"{prefix}steps", queryset=ProcessStep.objects.order_by("order", "id")),
    ]


def matter_public_queryset(*, rows: bool = True) -> QuerySet[Matter]:
    """Matters offered today (in use, with a version in force), everything the API shows joined.

    A constant number of queries whatever the page size: matters with their version and
    department, then (with ``rows``) materials, fees and steps in one query each.
    """
    queryset = (
        Matter.objects.filter(status=MatterStatus.ACTIVE, current_version__isnull=False)
        .select_related("current_version__department")
        .order_by("code")
    )
    if rows:
        queryset = queryset.prefetch_related(*_version_prefetches("current_version__"))
    return queryset


def departments_with_matters() -> QuerySet[Department]:
    """Departments that implement at least one matter offered today, in code order."""
    offered = Matter.objects.filter(
        status=MatterStatus.ACTIVE, current_version__isnull=False
    ).values("current_version__department_id")
    return Department.objects.filter(pk__in=offered).order_by("code")


def matter_filter(
    queryset: QuerySet[Matter],
    *,
    department: str | None = None,
    matter_type: str | None = None,
    online: bool | None = None,
    visits: int | None = None,
    visits_max: int | None = None,
    kind: str | None = None,
    q: str | None = None,
) -> QuerySet[Matter]:
    """Narrow a matter queryset by the fields of the version in force.

    ``department`` is a department code and includes its sub-departments (a county's matters
    include its bureaus' and townships'); an unknown code matches nothing.
    """
    if department:
        root = Department.objects.filter(code=department).first()
        if root is None:
            return queryset.none()
        queryset = queryset.filter(
            current_version__department_id__in=department_descendant_ids(root)
        )
    if matter_type:
        queryset = queryset.filter(current_version__matter_type=matter_type)
    if online is not None:
        queryset = queryset.filter(current_version__online=online)
    if visits is not None:
        queryset = queryset.filter(current_version__visits=visits)
    if visits_max is not None:
        queryset = queryset.filter(current_version__visits__lte=visits_max)
    if kind:
        queryset = queryset.filter(current_version__kind=kind)
    if q and q.strip():
        term = q.strip()
        queryset = queryset.filter(
            Q(current_version__name__icontains=term)
            | Q(code__icontains=term)
            | Q(catalog_code__icontains=term)
        )
    return queryset


def matter_get(*, code: str) -> Matter:
    """The public matter with this implementation code, version and rows joined.

    Raises:
        NotFound: no matter in use has this code (or it has no version in force yet).
    """
    matter = matter_public_queryset().filter(code=code).first()
    if matter is None:
        raise NotFound(
            _("No service matter has the code %(code)r.") % {"code": code},
            details={"code": code},
        )
    return matter


def matter_get_any(*, code: str) -> Matter:
    """Any matter with this code, withdrawn or not yet in force included.

    Raises:
        NotFound: no matter has this code.
    """
    matter = Matter.objects.select_related("current_version", "latest_version").filter(code=code)
    found = matter.first()
    if found is None:
        raise NotFound(
            _("No service matter has the code %(code)r.") % {"code": code},
            details={"code": code},
        )
    return found


def matter_versions(matter: Matter) -> QuerySet[MatterVersion]:
    """Every version of a matter, oldest first, department joined and rows prefetched."""
    return (
        MatterVersion.objects.filter(matter=matter)
        .select_related("department", "created_by")
        .prefetch_related(*_version_prefetches())
        .order_by("number")
    )


def matter_version_get(matter: Matter, number: int) -> MatterVersion:
    """One version of a matter by its number.

    Raises:
        NotFound: the matter has no such version.
    """
    version = matter_versions(matter).filter(number=number).first()
    if version is None:
        raise NotFound(
            _("Matter %(code)s has no version %(number)s.")
            % {"code": matter.code, "number": number},
            details={"code": matter.code, "version": number},
        )
    return version


def matter_version_in_force(matter: Matter, on: dt.date | None = None) -> MatterVersion | None:
    """The version of ``matter`` in force on ``on`` (default today), or ``None`` before the first.

    The latest effective date not after ``on`` wins; on equal dates the higher number (the later
    correction) wins (see ``rules.pick_in_force``).
    """
    on = on or timezone.localdate()
    return (
        matter_versions(matter)
        .filter(effective_from__lte=on)
        .order_by("-effective_from", "-number")
        .first()
    )


def version_figures(version: MatterVersion) -> rules.VersionFigures:
    """Materials still supplied, steps and limits of a version (prefetch the rows for many)."""
    return rules.VersionFigures(
        materials=sum(1 for m in version.materials.all() if m.replacement == Replacement.NONE),
        steps=len(version.steps.all()),
        legal_limit_days=version.legal_limit_days or 0,
        promised_limit_days=version.promised_limit_days,
    )


def version_compare(before: MatterVersion, after: MatterVersion) -> rules.Comparison:
    """Compare two versions of a matter (materials, steps, limits, with percentages)."""
    return rules.compare_figures(version_figures(before), version_figures(after))


def catalog_compare(
    *, before: dt.date, after: dt.date, matters: QuerySet[Matter] | None = None
) -> rules.Comparison:
    """Compare the catalog in force on two dates, summed over the matters in force on both.

    This is claim S10's report ("15 matters: materials −12 %, steps −10 %, time −15 %"): pass
    the 15 matters and the dates before and after the reform.
    """
    matters = matters if matters is not None else Matter.objects.all()
    versions = (
        MatterVersion.objects.filter(matter__in=matters, effective_from__lte=max(before, after))
        .prefetch_related(*_version_prefetches())
        .order_by("matter_id", "effective_from", "number")
    )
    by_matter: dict[int, list[MatterVersion]] = {}
    for version in versions:
        by_matter.setdefault(version.matter_id, []).append(version)
    pairs = []
    for matter_versions_ in by_matter.values():
        first = _in_force(matter_versions_, before)
        second = _in_force(matter_versions_, after)
        if first is not None and second is not None:
            pairs.append((version_figures(first), version_figures(second)))
    return rules.compare_figures(
        rules.sum_figures(p[0] for p in pairs), rules.sum_figures(p[1] for p in pairs)
    )


def _in_force(versions: list[MatterVersion], on: dt.date) -> MatterVersion | None:
    chosen = rules.pick_in_force(((v.effective_from, v.number) for v in versions), on)
    if chosen is None:
        return None
    return next(v for v in versions if (v.effective_from, v.number) == chosen)


def catalog_export_queryset() -> QuerySet[Matter]:
    """Every matter with its latest version and that version's rows, for export."""
    return (
        Matter.objects.filter(latest_version__isnull=False)
        .select_related("latest_version__department")
        .prefetch_related(*_version_prefetches("latest_version__"))
        .order_by("code")
    )


def department_ancestors(departments: Iterable[Department]) -> list[Department]:
    """The given departments and every department above them, parents before children."""
    found: dict[int, Department] = {}
    frontier = {d.pk: d for d in departments}
    while frontier:
        found.update(frontier)
        parent_ids = {d.parent_id for d in frontier.values() if d.parent_id} - set(found)
        frontier = {d.pk: d for d in Department.objects.filter(pk__in=parent_ids)}

    def depth(d: Department) -> int:
        n = 0
        while d.parent_id:
            d = found[d.parent_id]
            n += 1
        return n

    return sorted(found.values(), key=lambda d: (depth(d), d.code))


def replaced_certificates(version: MatterVersion) -> list[Material]:
    """The certificates and other materials of a version that applicants no longer supply."""
    return [m for m in version.materials.all() if m.replacement != Replacement.NONE]
