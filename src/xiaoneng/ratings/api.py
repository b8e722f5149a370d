"""The rectification API for department staff and the efficiency office.

Thin views: each checks the caller through the one access function
(:func:`~xiaoneng.ratings.selectors.rectification_for_user`: another department's
rectification answers 404, as one that does not exist), calls one service, and shapes the
answer. Rating an item is exposed by the room that owns the item (e.g. applications).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
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

from xiaoneng.calendars.rules import WorkdayCalendar
from xiaoneng.clocks.selectors import clock_as_dict
from xiaoneng.core.api import ErrorSerializer, StandardPagination
from xiaoneng.core.errors import InvalidInput, PermissionDenied
from xiaoneng.ratings import rules, selectors, services
from xiaoneng.ratings.models import Rating, Rectification, RectificationStateChoice

TAGS = ["ratings"]


class RectificationClockSerializer(serializers.Serializer):
    """The figures of a clock for today (docs/clock.md §8, ``clock_as_dict``)."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    department = serializers.IntegerField()
    state = serializers.CharField(help_text="running, paused or stopped")
    paused = serializers.BooleanField()
    limit_days = serializers.IntegerField()
    extension_days = serializers.IntegerField()
    extension_allowance_days = serializers.IntegerField()
    started_on = serializers.DateField()
    stopped_on = serializers.DateField(allow_null=True)
    due_on = serializers.DateField()
    yellow_on = serializers.DateField()
    used_days = serializers.IntegerField()
    remaining_days = serializers.IntegerField(help_text="Negative when overdue.")
    warning = serializers.CharField(help_text="none, yellow or red")
    provisional = serializers.BooleanField()


class RatedDepartmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="Department code (部门编码).")
    name = serializers.CharField()


class RatedItemSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="app_label.model of the rated item.")
    id = serializers.CharField(help_text="Primary key of the rated item, as text.")


class RatingOutputSerializer(serializers.ModelSerializer[Rating]):
    level_code = serializers.SerializerMethodField(help_text="very_satisfied … very_dissatisfied")
    level_label = serializers.CharField(source="get_level_display")
    channel_label = serializers.CharField(source="get_channel_display")
    rater = serializers.SerializerMethodField(help_text="The rater's display name.")
    item = serializers.SerializerMethodField()

    class Meta:
        model = Rating
        fields = [
            "id",
            "level",
            "level_code",
            "level_label",
            "is_bad",
            "text",
            "channel",
            "channel_label",
            "created_at",
            "rater",
            "appeal_state",
            "item",
        ]

    def get_level_code(self, rating: Rating) -> str:
        return rules.CODE_OF_LEVEL[rules.RatingLevel(rating.level)]

    def get_rater(self, rating: Rating) -> str:
        return str(rating.rater)

    @extend_schema_field(RatedItemSerializer)
    def get_item(self, rating: Rating) -> dict[str, str]:
        ct = rating.content_type
        return {"type": f"{ct.app_label}.{ct.model}", "id": rating.object_id}


class RectificationOutputSerializer(serializers.ModelSerializer[Rectification]):
    state_label = serializers.CharField(source="get_state_display")
    allowed_actions = serializers.SerializerMethodField(
        help_text="What may be done now: return_visit, complete (cancel is the office's, "
        "through an appeal)."
    )
    department = RatedDepartmentSerializer()
    rating = RatingOutputSerializer()
    clock = serializers.SerializerMethodField(help_text="Its time limit today, or null.")

    class Meta:
        model = Rectification
        fields = [
            "id",
            "state",
            "state_label",
            "allowed_actions",
            "department",
            "rating",
            "clock",
            "visited_on",
            "visit_outcome",
            "rater_satisfied",
            "measures",
            "completed_at",
            "created_at",
        ]

    def get_allowed_actions(self, rectification: Rectification) -> list[str]:
        return [
            a.value
            for a in rules.rectification_allowed_actions(rectification.state)
            if a != rules.RectificationAction.CANCEL
        ]

    @extend_schema_field(RectificationClockSerializer(allow_null=True))
    def get_clock(self, rectification: Rectification) -> dict[str, Any] | None:
        if rectification.clock is None:
            return None
        calendar: WorkdayCalendar | None = self.context.get("calendar")
        return dict(
            clock_as_dict(rectification.clock, today=self.context.get("today"), calendar=calendar)
        )


def _context() -> dict[str, Any]:
    # One calendar and one "today" for a whole page of clocks.
    from xiaoneng.calendars.selectors import workday_calendar

    return {"calendar": workday_calendar(), "today": timezone.localdate()}


NOT_FOUND = OpenApiResponse(
    ErrorSerializer,
    description="No such rectification, or another department's (the same answer).",
)
NOT_SIGNED_IN = OpenApiResponse(ErrorSerializer, description="Not signed in.")


class RectificationListApi(ListAPIView[Rectification]):
    """Rectifications of bad reviews: the caller's department's; the office sees all.

    Unfinished ones first, soonest due first.
    """

    permission_classes = [IsAuthenticated]
    serializer_class = RectificationOutputSerializer
    pagination_class = StandardPagination

    def get_queryset(self) -> Any:
        if not selectors.may_list_rectifications(self.request.user):
            raise PermissionDenied(
                _("This list is for department staff and the efficiency office.")
            )
        state = self.request.query_params.get("state", "").strip()
        if state and state not in RectificationStateChoice.values:
            raise InvalidInput(
                _("'state' is one of %(known)s, got %(value)r.")
                % {"known": ", ".join(RectificationStateChoice.values), "value": state},
                details={"parameter": "state", "value": state},
            )
        return selectors.rectifications_for_user(self.request.user, state=state or None)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), **_context()}

    @extend_schema(
        tags=TAGS,
        operation_id="rectifications_list",
        parameters=[
            OpenApiParameter(
                "state",
                str,
                enum=list(RectificationStateChoice.values),
                description="Only rectifications in this state.",
            )
        ],
        responses={
            200: RectificationOutputSerializer(many=True),
            400: OpenApiResponse(ErrorSerializer, description="Unknown state."),
            403: NOT_SIGNED_IN,
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class RectificationDetailApi(APIView):
    """One rectification with its rating, return visit, measures and clock."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        operation_id="rectifications_retrieve",
        responses={200: RectificationOutputSerializer, 403: NOT_SIGNED_IN, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        rectification = selectors.rectification_for_user(request.user, pk)
        return Response(RectificationOutputSerializer(rectification, context=_context()).data)


def _refreshed(user: Any, pk: int) -> Response:
    rectification = selectors.rectification_for_user(user, pk)
    return Response(RectificationOutputSerializer(rectification, context=_context()).data)


class RectificationReturnVisitApi(APIView):
    """Record a return visit (回访) to the rater; may be recorded again until completed."""

    permission_classes = [IsAuthenticated]

    class ReturnVisitInputSerializer(serializers.Serializer):
        outcome = serializers.CharField(help_text="What the rater said and what was agreed.")
        satisfied = serializers.BooleanField(
            allow_null=True, help_text="Was the rater satisfied after the visit? null: not reached."
        )
        visited_on = serializers.DateField(
            required=False, help_text="The day of the visit; today when left out."
        )

    @extend_schema(
        tags=TAGS,
        operation_id="rectifications_return_visit",
        request=ReturnVisitInputSerializer,
        responses={
            200: RectificationOutputSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Missing or bad input."),
            403: NOT_SIGNED_IN,
            404: NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer, description="Completed or cancelled: no visit now."
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        rectification = selectors.rectification_for_user(request.user, pk)
        data = self.ReturnVisitInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        visited_on: dt.date | None = data.validated_data.get("visited_on")
        services.rectification_record_return_visit(
            actor=request.user,
            rectification=rectification,
            outcome=data.validated_data["outcome"],
            satisfied=data.validated_data["satisfied"],
            visited_on=visited_on,
        )
        return _refreshed(request.user, pk)


class RectificationCompleteApi(APIView):
    """Record the measures taken and close the rectification; its clock stops (销号)."""

    permission_classes = [IsAuthenticated]

    class CompleteInputSerializer(serializers.Serializer):
        measures = serializers.CharField(help_text="What was done (整改措施).")

    @extend_schema(
        tags=TAGS,
        operation_id="rectifications_complete",
        request=CompleteInputSerializer,
        responses={
            200: RectificationOutputSerializer,
            400: OpenApiResponse(ErrorSerializer, description="No measures."),
            403: NOT_SIGNED_IN,
            404: NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer,
                description="No return visit yet, or already completed or cancelled.",
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        rectification = selectors.rectification_for_user(request.user, pk)
        data = self.CompleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.rectification_complete(
            actor=request.user,
            rectification=rectification,
            measures=data.validated_data["measures"],
        )
        return _refreshed(request.user, pk)
