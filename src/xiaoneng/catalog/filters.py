"""The one filter of the catalog, shared by the API and the public pages."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from xiaoneng.catalog.models import Matter, MatterKind, MatterType
from xiaoneng.catalog.selectors import matter_filter


class MatterFilter(django_filters.FilterSet):
    """Filters on the version in force; every filter is optional and they combine with AND."""

    department = django_filters.CharFilter(
        field_name="current_version__department__code",
        label=_("Department"),
        help_text=_(
            "Department code; includes the matters of its sub-departments (a county includes "
            "its bureaus and townships). An unknown code matches nothing."
        ),
    )
    type = django_filters.ChoiceFilter(
        field_name="current_version__matter_type",
        choices=MatterType.choices,
        label=_("Matter type"),
        help_text=_("Matter type code (事项类型): 01 … 10, 20."),
    )
    kind = django_filters.ChoiceFilter(
        field_name="current_version__kind",
        choices=MatterKind.choices,
        label=_("Kind"),
        help_text=_("instant (即办件) or promised (承诺件)."),
    )
    online = django_filters.BooleanFilter(
        field_name="current_version__online",
        label=_("Online"),
        help_text=_("true: can be applied for online (是否网办)."),
    )
    visits = django_filters.NumberFilter(
        field_name="current_version__visits",
        label=_("Visits"),
        help_text=_("Exact number of on-site visits: 0 = no visit (不见面), 1 = 最多跑一次."),
    )
    visits_max = django_filters.NumberFilter(
        field_name="current_version__visits",
        lookup_expr="lte",
        label=_("At most visits"),
        help_text=_("At most this many visits; visits_max=1 gives the 最多跑一次 list."),
    )
    q = django_filters.CharFilter(
        field_name="current_version__name",
        lookup_expr="icontains",
        label=_("Search"),
        help_text=_("Part of the name, the implementation code or the catalog code."),
    )

    class Meta:
        model = Matter
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[Matter]) -> QuerySet[Matter]:
        """Apply every filter through ``selectors.matter_filter``, the one place they live."""
        data: dict[str, Any] = self.form.cleaned_data
        visits = data.get("visits")
        visits_max = data.get("visits_max")
        return matter_filter(
            queryset,
            department=data.get("department") or None,
            matter_type=data.get("type") or None,
            online=data.get("online"),
            visits=int(visits) if visits is not None else None,
            visits_max=int(visits_max) if visits_max is not None else None,
            kind=data.get("kind") or None,
            q=data.get("q") or None,
        )
