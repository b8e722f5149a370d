"""The warnings ledger API (预警台账): ``GET /api/v1/warnings/`` and ``…/warnings/counts/``.

Thin views: each goes through the one access function
(:func:`~xiaoneng.supervision.selectors.warnings.warning_records_for_user`): the efficiency
office sees every department, a department head their own, anyone else gets 403. Routes
listed here are mounted under /api/v1/ by ../api_urls.py.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xiaoneng.accounts.models import Department
from xiaoneng.core.api import ErrorSerializer, StandardPagination
from xiaoneng.core.errors import InvalidInput
from xiaoneng.supervision.models import WarningLevelChoice, WarningRecord
from xiaoneng.supervision.selectors import warnings as selectors

TAGS = ["warnings"]


class WarningDepartmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="Department code (部门编码).")
    name = serializers.CharField()


class WarningClockSerializer(serializers.Serializer):
    """The clock the warning is about, as it stands now."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    state = serializers.CharField(help_text="running, paused or stopped")
    warning = serializers.CharField(help_text="none, yellow or red, as stored now")
    due_on = serializers.DateField()
    officer = serializers.IntegerField(
        source="officer_id", allow_null=True, help_text="The responsible officer (责任人)."
    )


class WarningItemSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="app_label.model of the tracked item.")
    id = serializers.CharField(help_text="Primary key of the tracked item, as text.")
    url = serializers.CharField(allow_null=True, help_text="Its page, where one is known.")


class WarningRecordSerializer(serializers.ModelSerializer[WarningRecord]):
    level_label = serializers.CharField(source="get_level_display")
    closed_reason_label = serializers.CharField(source="get_closed_reason_display")
    department = WarningDepartmentSerializer()
    clock = WarningClockSerializer()
    item = serializers.SerializerMethodField()

    class Meta:
        model = WarningRecord
        fields = [
            "id",
            "level",
            "level_label",
            "previous_level",
            "changed_on",
            "created_at",
            "kind",
            "department",
            "clock",
            "item",
            "notified_at",
            "closed_on",
            "closed_reason",
            "closed_reason_label",
        ]

    @extend_schema_field(WarningItemSerializer)
    def get_item(self, record: WarningRecord) -> dict[str, Any]:
        content_type = record.clock.content_type
        return {
            "type": f"{content_type.app_label}.{content_type.model}",
            "id": record.clock.object_id,
            "url": selectors.item_url(content_type, record.clock.object_id),
        }


def _day(params: Any, name: str) -> dt.date | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            _("'%(name)s' is a day as YYYY-MM-DD, got %(value)r.") % {"name": name, "value": raw},
            details={"parameter": name, "value": raw},
        ) from None


def _department(params: Any) -> int | None:
    raw = params.get("department", "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]{1,18}", raw):  # not str.isdigit: "²" is a digit to it
        raise InvalidInput(
            _("'department' is a department id (a whole number), got %(value)r.") % {"value": raw},
            details={"parameter": "department", "value": raw},
        )
    return int(raw)


FORBIDDEN = OpenApiResponse(
    ErrorSerializer,
    description="Not signed in, or neither the efficiency office nor a department head.",
)


class WarningRecordListApi(ListAPIView[WarningRecord]):
    """The warnings ledger: one row per warning change, newest first.

    The efficiency office sees every department; a department head their own department's
    (a ``department`` naming another one gives an empty list).
    """

    permission_classes = [IsAuthenticated]
    serializer_class = WarningRecordSerializer
    pagination_class = StandardPagination

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no rows
            return WarningRecord.objects.none()
        params = self.request.query_params
        return selectors.warning_records_for_user(
            self.request.user,
            department=_department(params),
            level=params.get("level", "").strip() or None,
            state=params.get("state", "").strip() or None,
            date_from=_day(params, "date_from"),
            date_to=_day(params, "date_to"),
        )

    @extend_schema(
        tags=TAGS,
        operation_id="warnings_list",
        parameters=[
            OpenApiParameter("department", int, description="Only this department (id)."),
            OpenApiParameter(
                "level", str, enum=list(WarningLevelChoice.values), description="yellow or red"
            ),
            OpenApiParameter(
                "state",
                str,
                enum=list(selectors.RECORD_STATES),
                description="open or closed; both when left out",
            ),
            OpenApiParameter(
                "date_from", dt.date, description="Changed on or after this day (YYYY-MM-DD)."
            ),
            OpenApiParameter(
                "date_to", dt.date, description="Changed on or before this day (YYYY-MM-DD)."
            ),
        ],
        responses={
            200: WarningRecordSerializer(many=True),
            400: OpenApiResponse(ErrorSerializer, description="A bad filter value."),
            403: FORBIDDEN,
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class WarningCountSerializer(serializers.Serializer):
    department = WarningDepartmentSerializer()
    yellow = serializers.IntegerField(help_text="Open yellow warnings (预警).")
    red = serializers.IntegerField(help_text="Open red warnings (超时).")


class WarningCountsApi(APIView):
    """Open warnings per department, yellow and red; the caller's department for a head."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        operation_id="warnings_counts",
        responses={200: WarningCountSerializer(many=True), 403: FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        counts = selectors.warning_counts_for_user(request.user)
        departments = Department.objects.in_bulk(list(counts))
        rows = [
            {
                "department": {
                    "id": pk,
                    "code": departments[pk].code,
                    "name": departments[pk].name,
                },
                **counts[pk],
            }
            for pk in sorted(counts, key=lambda pk: departments[pk].code)
        ]
        return Response(WarningCountSerializer(rows, many=True).data)


urlpatterns: list[URLPattern | URLResolver] = [
    path("warnings/", WarningRecordListApi.as_view(), name="supervision-api-warning-list"),
    path("warnings/counts/", WarningCountsApi.as_view(), name="supervision-api-warning-counts"),
]
