"""Read API of the working-day calendar: coverage, and working-day arithmetic.

Thin views: they parse the query, call a selector and the calendar's arithmetic, and shape
the answer. Errors use the platform's one error shape (:mod:`xiaoneng.core.api`). Holidays are
public information, so the endpoints need no sign-in.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xiaoneng.calendars.selectors import calendar_coverage, workday_calendar
from xiaoneng.core.errors import InvalidInput

# Far beyond any legal time limit (the longest are a few hundred working days), and short
# enough that the answer stays inside the index.
MAX_WORKDAYS = 2500

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

ERROR_RESPONSE = inline_serializer(
    name="CalendarErrorResponse",
    fields={
        "error": inline_serializer(
            name="CalendarErrorBody",
            fields={
                "code": serializers.CharField(
                    help_text="invalid, or calendar_not_covered when a year is not covered"
                ),
                "message": serializers.CharField(
                    help_text="What was expected and what arrived, in the user's language"
                ),
                "details": serializers.DictField(),
            },
        )
    },
)


def _date_param(request: Request, name: str) -> dt.date:
    raw = request.query_params.get(name, "")
    value = raw.strip()
    if _ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass  # same answer as any other malformed date, below
    raise InvalidInput(
        _("'%(name)s' must be a date written like 2024-09-27, got %(value)s.")
        % {"name": name, "value": f'"{raw}"' if raw else _("nothing")},
        details={"parameter": name, "value": raw},
    )


def _int_param(request: Request, name: str, *, low: int, high: int) -> int:
    raw = request.query_params.get(name, "")
    value = raw.strip()
    if re.fullmatch(r"\d+", value) and low <= int(value) <= high:
        return int(value)
    raise InvalidInput(
        _("'%(name)s' must be a whole number from %(low)s to %(high)s, got %(value)s.")
        % {"name": name, "low": low, "high": high, "value": f'"{raw}"' if raw else _("nothing")},
        details={"parameter": name, "value": raw},
    )


def _bool_param(request: Request, name: str) -> bool:
    raw = request.query_params.get(name, "false").strip().lower()
    if raw in {"1", "true", "yes"}:
        return True
    if raw in {"0", "false", "no", ""}:
        return False
    raise InvalidInput(
        _("'%(name)s' must be true or false, got %(value)s.") % {"name": name, "value": raw},
        details={"parameter": name, "value": raw},
    )


class CalendarYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    source = serializers.CharField(help_text="package, import or admin")  # type: ignore[assignment]
    notice = serializers.CharField(help_text="The notice the days come from")
    imported_at = serializers.DateTimeField()


class CalendarCoverageApi(APIView):
    """What the holiday table covers."""

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        covered_from = serializers.DateField(
            allow_null=True, help_text="First day of the first covered year"
        )
        covered_to = serializers.DateField(
            allow_null=True, help_text="Last day of the last covered year"
        )
        covered_years = serializers.ListField(child=serializers.IntegerField())
        description = serializers.CharField(help_text="Covered years as ranges, e.g. 2004–2026")
        gaps = serializers.ListField(
            child=serializers.IntegerField(),
            help_text="Years missing between the first and last covered year",
        )
        next_year_covered = serializers.BooleanField(
            help_text="Whether next year's holidays are known; if not, due dates reaching "
            "into it are provisional"
        )
        draft_years = serializers.ListField(
            child=serializers.IntegerField(),
            help_text="Years with days entered but not yet in effect",
        )
        latest = CalendarYearSerializer(
            allow_null=True, help_text="The last covered year: its source and notice"
        )

    @extend_schema(
        operation_id="calendar_coverage",
        summary="Coverage of the working-day calendar",
        description=(
            "The years whose holidays and adjusted working days (调休) are known. Working-day "
            "answers that depend on any other year are provisional (weekends only) or refused "
            "(DOMAIN_RULES.md §1)."
        ),
        responses={200: OutputSerializer},
        tags=["calendar"],
    )
    def get(self, request: Request) -> Response:
        coverage = calendar_coverage(today=timezone.localdate())
        return Response(self.OutputSerializer(coverage).data)


class WorkdaysApi(APIView):
    """Working-day arithmetic: the n-th working day after a date, or working days between two."""

    permission_classes = [AllowAny]

    class AddOutputSerializer(serializers.Serializer):
        start = serializers.DateField()
        n = serializers.IntegerField()
        date = serializers.DateField(help_text="The n-th working day after start")
        provisional = serializers.BooleanField(
            help_text="True when the answer depends on a year not yet covered (weekends only); "
            "it may change when that year is imported"
        )

    class CountOutputSerializer(serializers.Serializer):
        a = serializers.DateField()
        b = serializers.DateField()
        count = serializers.IntegerField(help_text="Working days in (a, b]; negative if b < a")
        provisional = serializers.BooleanField(
            help_text="True when the answer depends on a year not yet covered (weekends only)"
        )

    @extend_schema(
        operation_id="calendar_workdays",
        summary="Add or count working days",
        description=(
            "Give `start` and `n` for the n-th working day after `start` (`start` itself is "
            "not counted; a `start` that is not a working day counts as the next working day; "
            "`n=0` gives that day), or `a` and `b` for the number of working days in (a, b] "
            "(DOMAIN_RULES.md §1). Example: 20 working days after 2024-09-27 is 2024-10-30. "
            "An answer that depends on a year whose holidays are not yet known is marked "
            "`provisional` (weekends only), or refused with `strict=true`."
        ),
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="Start day (with n)"),
            OpenApiParameter(
                "n", OpenApiTypes.INT, description=f"Working days to add, 0 to {MAX_WORKDAYS}"
            ),
            OpenApiParameter("a", OpenApiTypes.DATE, description="Count from (excluded)"),
            OpenApiParameter("b", OpenApiTypes.DATE, description="Count to (included)"),
            OpenApiParameter(
                "strict",
                OpenApiTypes.BOOL,
                description="Refuse (400 calendar_not_covered) instead of a provisional answer",
            ),
        ],
        responses={
            200: PolymorphicProxySerializer(
                component_name="WorkdaysResult",
                serializers=[AddOutputSerializer, CountOutputSerializer],
                resource_type_field_name=None,
            ),
            400: OpenApiResponse(
                ERROR_RESPONSE, description="Bad input, or strict and a year is not covered"
            ),
        },
        examples=[
            OpenApiExample(
                "add",
                value={"start": "2024-09-27", "n": 20, "date": "2024-10-30", "provisional": False},
                response_only=True,
            ),
            OpenApiExample(
                "count",
                value={"a": "2024-09-27", "b": "2024-10-30", "count": 20, "provisional": False},
                response_only=True,
            ),
        ],
        tags=["calendar"],
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        adding = "start" in params or "n" in params
        counting = "a" in params or "b" in params
        if adding == counting:
            raise InvalidInput(
                _(
                    "Expected either start and n (to add working days) or a and b (to count "
                    "them), got %(given)s."
                )
                % {
                    "given": ", ".join(sorted(k for k in params if k in {"start", "n", "a", "b"}))
                    or _("neither")
                }
            )
        strict = _bool_param(request, "strict")
        calendar = workday_calendar()
        if adding:
            start = _date_param(request, "start")
            n = _int_param(request, "n", low=0, high=MAX_WORKDAYS)
            if strict:
                date, provisional = calendar.add_workdays(start, n), False
            else:
                marked = calendar.add_workdays_marked(start, n)
                date, provisional = marked.value, marked.provisional
            return Response(
                self.AddOutputSerializer(
                    {"start": start, "n": n, "date": date, "provisional": provisional}
                ).data
            )
        a = _date_param(request, "a")
        b = _date_param(request, "b")
        if strict:
            count, provisional = calendar.count_workdays(a, b), False
        else:
            counted = calendar.count_workdays_marked(a, b)
            count, provisional = counted.value, counted.provisional
        return Response(
            self.CountOutputSerializer(
                {"a": a, "b": b, "count": count, "provisional": provisional}
            ).data
        )
