"""Reads for the efficiency office's dashboard: counts from the catalog and the calendar.

Each figure is one aggregate query on the data; formulas live in :mod:`.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from xiaoneng.catalog.models import Material, Matter, MatterKind, MatterStatus, Replacement
from xiaoneng.dashboard import rules


@dataclass(frozen=True)
class CatalogFigures:
    """The catalog's figures, computed from the versions in force today."""

    matters_total: int
    matters_online: int
    online_rate: float | None
    one_visit_matters: int
    in_hall_matters: int
    in_hall_rate: float | None
    instant_matters: int
    certificates_cancelled: int
    certificates_by_replacement: dict[str, int]
    compression_ratio: float | None


def _city_government_matters(department_id: int | None = None) -> QuerySet[Matter]:
    """Matters in use at city level, implemented by government departments (not public-
    service units), by the version in force today."""
    qs = Matter.objects.filter(
        status=MatterStatus.ACTIVE,
        current_version__isnull=False,
        current_version__level="city",
        current_version__department__is_service_unit=False,
    )
    if department_id is not None:
        qs = qs.filter(current_version__department_id=department_id)
    return qs


def catalog_figures(*, department_id: int | None = None) -> CatalogFigures:
    """The catalog KPIs of the city (or one department), each documented in :mod:`.rules`.

    * matters_total / matters_online / online_rate: city-level government matters (S1).
    * one_visit_matters: city-level matters, public-service units included, needing at most
      one visit (到办事现场次数 ≤ 1): the "最多跑一次" list (S4).
    * in_hall_matters: city-level government matters handled in the hall (S2).
    * certificates_cancelled: certificate materials of city-level matters in force whose
      replacement is not "still supplied" (S5), counted per material.
    * compression_ratio: see :func:`.rules.compression_ratio`.
    """
    city = _city_government_matters(department_id)
    counts = city.aggregate(
        total=Count("pk"),
        online=Count("pk", filter=Q(current_version__online=True)),
        in_hall=Count("pk", filter=Q(current_version__in_hall=True)),
        instant=Count("pk", filter=Q(current_version__kind=MatterKind.INSTANT)),
        promised_days=Sum(
            "current_version__promised_limit_days",
            filter=Q(
                current_version__kind=MatterKind.PROMISED,
                current_version__legal_limit_days__isnull=False,
            ),
        ),
        legal_days=Sum(
            "current_version__legal_limit_days",
            filter=Q(
                current_version__kind=MatterKind.PROMISED,
                current_version__legal_limit_days__isnull=False,
            ),
        ),
    )
    all_city = Matter.objects.filter(
        status=MatterStatus.ACTIVE, current_version__isnull=False, current_version__level="city"
    )
    if department_id is not None:
        all_city = all_city.filter(current_version__department_id=department_id)
    one_visit = all_city.filter(current_version__visits__lte=1).count()
    certificates = (
        Material.objects.filter(version__in=city.values("current_version"), is_certificate=True)
        .exclude(replacement=Replacement.NONE)
        .values("replacement")
        .annotate(n=Count("pk"))
    )
    by_replacement = {row["replacement"]: row["n"] for row in certificates}
    return CatalogFigures(
        matters_total=counts["total"],
        matters_online=counts["online"],
        online_rate=rules.online_rate(counts["online"], counts["total"]),
        one_visit_matters=one_visit,
        in_hall_matters=counts["in_hall"],
        in_hall_rate=rules.rate(counts["in_hall"], counts["total"]),
        instant_matters=counts["instant"],
        certificates_cancelled=sum(by_replacement.values()),
        certificates_by_replacement=by_replacement,
        compression_ratio=rules.compression_ratio(
            counts["promised_days"] or 0, counts["legal_days"] or 0
        ),
    )


def department_figures() -> list[dict[str, object]]:
    """Per-department counts of city-level matters in force: total, online, one visit."""
    rows = (
        Matter.objects.filter(
            status=MatterStatus.ACTIVE,
            current_version__isnull=False,
            current_version__level="city",
        )
        .values(
            "current_version__department__code",
            "current_version__department__name",
            "current_version__department__is_service_unit",
        )
        .annotate(
            total=Count("pk"),
            online=Count("pk", filter=Q(current_version__online=True)),
            one_visit=Count("pk", filter=Q(current_version__visits__lte=1)),
        )
        .order_by("current_version__department__code")
    )
    return [
        {
            "code": r["current_version__department__code"],
            "name": r["current_version__department__name"],
            "service_unit": r["current_version__department__is_service_unit"],
            "total": r["total"],
            "online": r["online"],
            "one_visit": r["one_visit"],
            "online_rate": rules.online_rate(r["online"], r["total"]),
        }
        for r in rows
    ]
