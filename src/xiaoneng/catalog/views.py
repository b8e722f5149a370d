"""Public catalog pages: browse and search matters, and one matter's page."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from xiaoneng.catalog import rules, selectors
from xiaoneng.catalog.filters import MatterFilter
from xiaoneng.catalog.models import (
    HandlingForm,
    MatterKind,
    MatterType,
    MatterVersion,
    OnlineDepth,
    ServiceObject,
)
from xiaoneng.core.errors import NotFound

PAGE_SIZE = 20
VISIT_OPTIONS = (0, 1, 2, 3)


@require_GET
def matter_list(request: HttpRequest) -> HttpResponse:
    """The catalog: search by name or code, filter by department, type, kind, online, visits."""
    filterset = MatterFilter(request.GET, queryset=selectors.matter_public_queryset(rows=False))
    errors: dict[str, Any] = {}
    if filterset.is_valid():
        matters = filterset.qs
    else:
        errors = filterset.errors
        matters = selectors.matter_public_queryset(rows=False).none()
    page = Paginator(matters, PAGE_SIZE).get_page(request.GET.get("page"))
    for matter in page.object_list:
        version = matter.current_version
        matter.compression = (  # type: ignore[attr-defined]
            rules.compression_ratio(version.legal_limit_days, version.promised_limit_days)
            if version
            else None
        )
    return render(
        request,
        "catalog/matter_list.html",
        {
            "page_obj": page,
            "total": page.paginator.count,
            "values": request.GET,
            "errors": errors,
            "departments": selectors.departments_with_matters(),
            "type_choices": MatterType.choices,
            "kind_choices": MatterKind.choices,
            "visit_options": VISIT_OPTIONS,
        },
    )


@require_GET
def matter_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One matter: what to bring, how long, how many visits, online, fees, certificates gone."""
    try:
        matter = selectors.matter_get(code=code)
    except NotFound as exc:
        raise Http404(exc.message) from None
    version = matter.current_version
    assert version is not None
    materials = list(version.materials.all())
    history: list[dict[str, Any]] = []
    previous: MatterVersion | None = None
    for item in selectors.matter_versions(matter):
        comparison: rules.Comparison | None = (
            selectors.version_compare(previous, item) if previous is not None else None
        )
        history.append({"version": item, "comparison": comparison})
        previous = item
    depth_labels = dict(OnlineDepth.choices)
    return render(
        request,
        "catalog/matter_detail.html",
        {
            "matter": matter,
            "version": version,
            "to_bring": [m for m in materials if not m.is_replaced],
            "replaced": [m for m in materials if m.is_replaced],
            "fees": list(version.fees.all()),
            "steps": list(version.steps.all()),
            "compression": rules.compression_ratio(
                version.legal_limit_days, version.promised_limit_days
            ),
            "online_depth": [depth_labels.get(d, d) for d in version.online_depth],
            "service_object_labels": _labels(ServiceObject, version.service_objects),
            "handling_form_labels": _labels(HandlingForm, version.handling_forms),
            "online_url_is_web": version.online_url.startswith(("https://", "http://")),
            "history": history,
            "scheduled": matter.latest_version_id != matter.current_version_id,
        },
    )


def _labels(choices: Any, values: list[Any]) -> list[Any]:
    labels = dict(choices.choices)
    return [labels.get(v, v) for v in values]
