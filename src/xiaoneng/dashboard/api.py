"""The KPI API: the figures, per department, the ranking, and the formulas behind them.

Thin views: each parses its query parameters, decides access through the one access function
(:func:`~xiaoneng.dashboard.selectors.kpi_department_for_user`, or
:func:`~xiaoneng.dashboard.selectors.require_every_department` for the lists of every
department), and returns what a selector computed. Errors answer in the one shape of
``core.api``: ``{"error": {"code", "message", "details"}}`` — 400 bad input, 403 not allowed.

* ``GET /api/v1/kpis/`` — the office: the city or any department (``department``); a head:
  their own department (another is 403). ``include=hotline`` adds the 12345 hotline's
  figures under ``hotline``.
* ``GET /api/v1/kpis/departments/`` — the office: every department's figures.
* ``GET /api/v1/ranking/`` — the office: the department ranking (``weights`` optional).
* ``GET /api/v1/kpis/definitions/`` — the office and heads: every formula (docs/kpis.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xiaoneng.core.api import ErrorSerializer
from xiaoneng.core.errors import InvalidInput
from xiaoneng.dashboard import rules, selectors
from xiaoneng.hotline.api import HotlineKpisSerializer

TAGS = ["kpis"]


# -- output shapes ---------------------------------------------------------------------------


def _help(definition: rules.KpiDefinition) -> Any:
    parts: list[Any] = [
        definition.label,
        ". Numerator: ",
        definition.numerator,
    ]
    if definition.denominator is not None:
        parts += ["; denominator: ", definition.denominator]
    parts += ["; period: ", definition.period, "; source: ", definition.source, "."]
    return format_lazy("{}" * len(parts), *parts)


def _kpi_field(definition: rules.KpiDefinition) -> serializers.Field:
    if definition.unit is rules.Unit.COUNT:
        return serializers.IntegerField(help_text=_help(definition))
    if definition.unit is rules.Unit.RATE:
        return serializers.FloatField(
            allow_null=True, min_value=0, max_value=1, help_text=_help(definition)
        )
    return serializers.FloatField(allow_null=True, help_text=_help(definition))


# The figures' shape is generated from the documented definitions, so the API schema carries
# every formula and cannot drift from rules.KPI_DEFINITIONS.
_KPI_FIELDS: dict[str, Any] = {
    key: _kpi_field(definition) for key, definition in rules.KPI_DEFINITIONS.items()
}
_EXTRA_FIELDS: dict[str, Any] = {
    "certificates_by_replacement": serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Certificates cancelled by replacement: cancelled, data_sharing, e_license, "
        "verification, commitment.",
    ),
    "period_from": serializers.DateField(allow_null=True, help_text="First day of the period."),
    "period_to": serializers.DateField(allow_null=True, help_text="Last day of the period."),
    "department": serializers.CharField(
        allow_null=True, help_text="The department's code, or null for the whole city."
    ),
}
KpisSerializer = type(
    "KpisSerializer",
    (serializers.Serializer,),
    {
        **_KPI_FIELDS,
        **_EXTRA_FIELDS,
        "hotline": HotlineKpisSerializer(
            required=False, help_text="The 12345 hotline's figures; only with include=hotline."
        ),
        "__doc__": "The KPIs: each field's description gives its formula (docs/kpis.md).",
    },
)
DepartmentKpisSerializer = type(
    "DepartmentKpisSerializer",
    (KpisSerializer,),
    {
        "department_id": serializers.IntegerField(),
        "code": serializers.CharField(help_text="Department code (部门编码)."),
        "name": serializers.CharField(),
        "hotline": None,  # not in the per-department rows
        "__doc__": "One department's KPIs.",
    },
)


class DepartmentKpisListSerializer(serializers.Serializer):
    period_from = serializers.DateField(allow_null=True)
    period_to = serializers.DateField(allow_null=True)
    count = serializers.IntegerField()
    results = DepartmentKpisSerializer(many=True)  # type: ignore[operator]


class IndicatorScoreSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="The raw value (rate or count).")
    score = serializers.FloatField(allow_null=True, help_text="0–1, 1 = best; null: unknown.")
    weight = serializers.FloatField(help_text="Its share of the weights (they add up to 1).")


class RankingRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True, help_text="Equal scores share a rank.")
    department_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    score = serializers.FloatField(allow_null=True, help_text="0–100, 100 = best.")
    indicators = serializers.DictField(
        child=IndicatorScoreSerializer(), help_text="on_time, red, bad_reviews, supervision."
    )


class RankingIndicatorSerializer(serializers.Serializer):
    key = serializers.CharField()
    kpi = serializers.CharField(help_text="The KPI the raw value is.")
    label = serializers.CharField()  # type: ignore[assignment]
    higher_is_better = serializers.BooleanField()
    normalisation = serializers.CharField(help_text="rate (kept as is) or count (vs largest).")
    description = serializers.CharField()


class RankingSerializer(serializers.Serializer):
    period_from = serializers.DateField(allow_null=True)
    period_to = serializers.DateField(allow_null=True)
    weights = serializers.DictField(child=serializers.FloatField())
    indicators = RankingIndicatorSerializer(many=True)
    results = RankingRowSerializer(many=True)


class KpiDefinitionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    numerator = serializers.CharField()
    denominator = serializers.CharField(allow_null=True)
    period = serializers.CharField()
    unit = serializers.CharField(help_text="count, rate (0–1) or days (working days)")
    source = serializers.CharField(  # type: ignore[assignment]
        help_text="Table and filter the figure is counted from."
    )


class DefinitionsSerializer(serializers.Serializer):
    kpis = KpiDefinitionSerializer(many=True)
    ranking_indicators = RankingIndicatorSerializer(many=True)
    ranking_weights = serializers.DictField(child=serializers.FloatField())


# -- input -----------------------------------------------------------------------------------


def _date_param(request: Request, name: str) -> dt.date | None:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            _("'%(name)s' must be a date like 2025-03-31, got %(value)r.")
            % {"name": name, "value": raw},
            details={"parameter": name, "value": raw},
        ) from None


INCLUDES = ("hotline",)


def _include(request: Request) -> set[str]:
    """The optional blocks asked for with ``include`` (comma-separated)."""
    raw = request.query_params.get("include", "")
    asked = {part.strip() for part in raw.split(",") if part.strip()}
    unknown = sorted(asked - set(INCLUDES))
    if unknown:
        raise InvalidInput(
            _("'include' may name %(known)s, got %(value)r.")
            % {"known": ", ".join(INCLUDES), "value": raw},
            details={"parameter": "include", "value": raw},
        )
    return asked


def _period(request: Request) -> tuple[dt.date | None, dt.date | None]:
    date_from, date_to = _date_param(request, "from"), _date_param(request, "to")
    rules.check_period(date_from, date_to)
    return date_from, date_to


FROM = OpenApiParameter(
    "from", dt.date, description="First day of the period (ISO date), included; open if left out."
)
TO = OpenApiParameter(
    "to", dt.date, description="Last day of the period (ISO date), included; open if left out."
)
BAD_INPUT = OpenApiResponse(
    ErrorSerializer, description="A bad date, from after to, or an unknown department."
)
OFFICE_ONLY = OpenApiResponse(
    ErrorSerializer, description="Not signed in, or not the efficiency office."
)


# -- views -----------------------------------------------------------------------------------


class KpisApi(APIView):
    """The KPIs of the city or of one department, computed live from the data."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        operation_id="kpis_retrieve",
        parameters=[
            OpenApiParameter(
                "department",
                str,
                description="A department code. The office: any, or none for the whole city; "
                "a head: their own (the default), another is 403.",
            ),
            FROM,
            TO,
            OpenApiParameter(
                "include",
                str,
                description="hotline: add the 12345 hotline's figures under the key "
                "hotline (docs/hotline.md, KPIs). Off by default, so the figures above keep "
                "their fixed number of queries.",
            ),
        ],
        responses={
            200: KpisSerializer,
            400: BAD_INPUT,
            403: OpenApiResponse(
                ErrorSerializer,
                description="Not signed in; not the office or a head; a head asking for "
                "another department.",
            ),
        },
    )
    def get(self, request: Request) -> Response:
        date_from, date_to = _period(request)
        code = request.query_params.get("department", "").strip() or None
        department = selectors.kpi_department_for_user(request.user, code)
        include = _include(request)
        figures = selectors.kpis(
            department_id=department.pk if department else None,
            date_from=date_from,
            date_to=date_to,
        )
        if "hotline" in include:
            figures["hotline"] = selectors.hotline_kpis(
                department_id=department.pk if department else None,
                date_from=date_from,
                date_to=date_to,
            )
        return Response(figures)


class DepartmentKpisApi(APIView):
    """The KPIs of every department that has any data, by department code (the office)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        operation_id="kpis_departments",
        parameters=[FROM, TO],
        responses={200: DepartmentKpisListSerializer, 400: BAD_INPUT, 403: OFFICE_ONLY},
    )
    def get(self, request: Request) -> Response:
        selectors.require_every_department(request.user)
        date_from, date_to = _period(request)
        rows = selectors.kpis_by_department(date_from=date_from, date_to=date_to)
        return Response(
            {
                "period_from": date_from.isoformat() if date_from else None,
                "period_to": date_to.isoformat() if date_to else None,
                "count": len(rows),
                "results": rows,
            }
        )


class RankingApi(APIView):
    """Departments ranked by the weighted score of documented indicators (the office)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        operation_id="ranking_list",
        parameters=[
            FROM,
            TO,
            OpenApiParameter(
                "weights",
                str,
                description="Weights as name=number pairs, e.g. "
                "on_time=40,red=20,bad_reviews=20,supervision=20 (any scale; indicators left "
                "out weigh 0). Default: the setting RANKING_WEIGHTS.",
            ),
        ],
        responses={
            200: RankingSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Bad dates or bad weights."),
            403: OFFICE_ONLY,
        },
    )
    def get(self, request: Request) -> Response:
        selectors.require_every_department(request.user)
        date_from, date_to = _period(request)
        # A blank field (an empty form input) means "the weights in force".
        weights = rules.ranking_weights(request.query_params.get("weights", "").strip() or None)
        return Response(
            {
                "period_from": date_from.isoformat() if date_from else None,
                "period_to": date_to.isoformat() if date_to else None,
                "weights": weights,
                "indicators": [i.as_dict() for i in rules.RANKING_INDICATORS.values()],
                "results": selectors.department_ranking(
                    date_from=date_from, date_to=date_to, weights=weights
                ),
            }
        )


class KpiDefinitionsApi(APIView):
    """Every KPI's formula (numerator, denominator, period, source) and the ranking's."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        operation_id="kpis_definitions",
        responses={200: DefinitionsSerializer, 403: OpenApiResponse(ErrorSerializer)},
    )
    def get(self, request: Request) -> Response:
        selectors.kpi_department_for_user(request.user)
        return Response(
            {
                "kpis": [d.as_dict() for d in rules.KPI_DEFINITIONS.values()],
                "ranking_indicators": [i.as_dict() for i in rules.RANKING_INDICATORS.values()],
                "ranking_weights": rules.ranking_weights(),
            }
        )
