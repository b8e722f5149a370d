"""REST API of supervision tasks (督查督办), mounted under /api/v1/ by ../api_urls.py.

Thin views: each finds the task through the one access function
(:func:`~xiaoneng.supervision.selectors.tasks.task_for_user`: a task the caller may not see
answers 404, as one that does not exist), calls one service, and answers the task as it is
now. One endpoint per step; errors have the one shape of ``core.api``.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xiaoneng.accounts.models import Department, User
from xiaoneng.calendars.rules import WorkdayCalendar
from xiaoneng.clocks.selectors import clock_as_dict
from xiaoneng.core.api import ErrorSerializer, StandardPagination
from xiaoneng.core.errors import InvalidInput, PermissionDenied
from xiaoneng.supervision.models import (
    SupervisionTask,
    TaskCategoryChoice,
    TaskSourceChoice,
    TaskStateChoice,
    WarningRecord,
)
from xiaoneng.supervision.selectors import tasks as selectors
from xiaoneng.supervision.services import tasks as services

TAGS = ["supervision"]

# -- output ----------------------------------------------------------------------------------


class SupervisionClockSerializer(serializers.Serializer):
    """The figures of the task's clock for today (docs/clock.md §8)."""

    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="supervision.task")
    state = serializers.CharField(help_text="running, paused (awaiting review) or stopped")
    limit_days = serializers.IntegerField()
    started_on = serializers.DateField()
    stopped_on = serializers.DateField(allow_null=True)
    due_on = serializers.DateField()
    yellow_on = serializers.DateField()
    used_days = serializers.IntegerField()
    remaining_days = serializers.IntegerField(help_text="Negative when overdue.")
    warning = serializers.CharField(help_text="none, yellow or red")
    provisional = serializers.BooleanField()


class SupervisionUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="Department code (部门编码).")
    name = serializers.CharField()


class SupervisionTaskEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="When it was recorded.")
    on = serializers.DateField(help_text="The day it counts for.")
    actor = serializers.CharField(allow_null=True, help_text="Display name; null: the system.")
    action = serializers.CharField(
        help_text="create, record, assign, progress, submit, close, send_back, urge, escalate"
    )
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    text = serializers.CharField()


def _unit(department: Department | None) -> dict[str, Any] | None:
    if department is None:
        return None
    return {"id": department.pk, "code": department.code, "name": department.name}


class SupervisionTaskSerializer(serializers.ModelSerializer[SupervisionTask]):
    state_label = serializers.CharField(source="get_state_display")
    source_label = serializers.CharField(source="get_source_display")
    lead_unit = serializers.SerializerMethodField()
    co_units = serializers.SerializerMethodField()
    officer = serializers.SerializerMethodField(help_text="Display name of the 责任人, or null.")
    escalated = serializers.BooleanField(help_text="Escalated at least once (升级督办).")
    clock = serializers.SerializerMethodField(
        help_text="Its time limit today; null before hand-over."
    )
    allowed_actions = serializers.SerializerMethodField(
        help_text="The steps the caller may take now: assign, progress, submit, close, "
        "send_back, urge, escalate."
    )

    class Meta:
        model = SupervisionTask
        fields = [
            "id",
            "number",
            "title",
            "description",
            "source",
            "source_label",
            "source_reference",
            "source_warning",
            "category",
            "state",
            "state_label",
            "lead_unit",
            "co_units",
            "officer",
            "limit_days",
            "created_on",
            "closed_on",
            "result",
            "urge_count",
            "last_urged_on",
            "escalated",
            "escalation_level",
            "escalated_on",
            "clock",
            "allowed_actions",
        ]

    @extend_schema_field(SupervisionUnitSerializer(allow_null=True))
    def get_lead_unit(self, task: SupervisionTask) -> dict[str, Any] | None:
        return _unit(task.lead_unit)

    @extend_schema_field(SupervisionUnitSerializer(many=True))
    def get_co_units(self, task: SupervisionTask) -> list[dict[str, Any]]:
        return [u for u in (_unit(d) for d in task.co_units.all()) if u is not None]

    def get_officer(self, task: SupervisionTask) -> str | None:
        return str(task.officer) if task.officer is not None else None

    @extend_schema_field(SupervisionClockSerializer(allow_null=True))
    def get_clock(self, task: SupervisionTask) -> dict[str, Any] | None:
        if task.clock is None:
            return None
        calendar: WorkdayCalendar | None = self.context.get("calendar")
        return dict(clock_as_dict(task.clock, today=self.context.get("today"), calendar=calendar))

    def get_allowed_actions(self, task: SupervisionTask) -> list[str]:
        user = self.context.get("user")
        return [a.value for a in selectors.task_actions_for_user(user, task)]


class SupervisionTaskDetailSerializer(SupervisionTaskSerializer):
    events = serializers.SerializerMethodField(help_text="The history, oldest first.")

    class Meta(SupervisionTaskSerializer.Meta):
        fields = [*SupervisionTaskSerializer.Meta.fields, "events"]

    @extend_schema_field(SupervisionTaskEventSerializer(many=True))
    def get_events(self, task: SupervisionTask) -> list[dict[str, Any]]:
        return [
            {
                "at": e.at,
                "on": e.on,
                "actor": str(e.actor) if e.actor is not None else None,
                "action": e.action,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "text": e.text,
            }
            for e in selectors.task_events(task)
        ]


class YearlyCountSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    supervision = serializers.IntegerField(help_text="督查 items created that year.")
    assessment = serializers.IntegerField(help_text="考核 items created that year.")
    total = serializers.IntegerField(help_text="Items counted (both, or the asked category).")
    change_vs_previous = serializers.FloatField(
        allow_null=True,
        help_text="(total − the year before) / the year before; −0.729 is −72.9 %. Null when "
        "the year before has no items.",
    )


def _context(request: Request) -> dict[str, Any]:
    # One calendar and one "today" for a whole page of clocks.
    from xiaoneng.calendars.selectors import workday_calendar

    return {"calendar": workday_calendar(), "today": timezone.localdate(), "user": request.user}


def _require_supervision_user(user: Any) -> None:
    """403 for roles that never hold a task (the task pages refuse them too)."""
    if not selectors.may_see_supervision(user):
        raise PermissionDenied(
            _("Supervision tasks are for the efficiency office and department staff.")
        )


def _task_response(request: Request, pk: int, *, code: int = status.HTTP_200_OK) -> Response:
    task = selectors.task_for_user(request.user, pk)
    return Response(
        SupervisionTaskDetailSerializer(task, context=_context(request)).data, status=code
    )


NOT_FOUND = OpenApiResponse(
    ErrorSerializer,
    description="No such task, or one the caller may not see (the same answer).",
)
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Missing or bad input."),
    403: OpenApiResponse(ErrorSerializer, description="Not signed in, or not the caller's step."),
    404: NOT_FOUND,
    409: OpenApiResponse(ErrorSerializer, description="Not allowed in the task's state now."),
}

# -- input helpers ---------------------------------------------------------------------------


def _department(pk: int | None, field: str) -> Department | None:
    if pk is None:
        return None
    found = Department.objects.filter(pk=pk).first()
    if found is None:
        raise InvalidInput(
            _("No department has the id %(id)s.") % {"id": pk}, details={"field": field}
        )
    return found


def _departments(ids: list[int], field: str) -> list[Department]:
    found = list(Department.objects.filter(pk__in=ids))
    if len(found) != len(set(ids)):
        missing = sorted(set(ids) - {d.pk for d in found})
        raise InvalidInput(
            _("No department has the id %(id)s.") % {"id": missing[0]},
            details={"field": field, "ids": missing},
        )
    return found


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class _Base(APIView):
    permission_classes = [IsAuthenticated]


# -- list and create -------------------------------------------------------------------------


class TaskCreateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    source = serializers.ChoiceField(choices=TaskSourceChoice.choices)  # type: ignore[assignment]
    category = serializers.ChoiceField(
        choices=TaskCategoryChoice.choices, default=TaskCategoryChoice.SUPERVISION
    )
    source_reference = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=300
    )
    source_warning = serializers.IntegerField(
        required=False, allow_null=True, help_text="Warnings-ledger id, for a red_warning task."
    )
    limit_days = serializers.IntegerField(help_text="Working days from the hand-over, 1–250.")
    lead_unit = serializers.IntegerField(required=False, allow_null=True)
    co_units = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    on = serializers.DateField(
        required=False, allow_null=True, help_text="The day created; today when left out."
    )


class SupervisionTasksApi(_Base):
    """Supervision tasks the caller may see; the office creates them."""

    # The list is paginated by hand; naming the class makes the schema say so (a page object).
    pagination_class = StandardPagination

    @extend_schema(
        tags=TAGS,
        operation_id="supervision_tasks_list",
        summary="Supervision tasks",
        description=(
            "The office sees every task; staff of a lead unit or co-unit see their tasks once "
            "handed over. Newest first; paginated (`page`, `page_size` ≤ 200)."
        ),
        parameters=[
            OpenApiParameter("state", str, enum=list(TaskStateChoice.values)),
            OpenApiParameter("source", str, enum=list(TaskSourceChoice.values)),
            OpenApiParameter("category", str, enum=list(TaskCategoryChoice.values)),
            OpenApiParameter("unit", int, description="Led or assisted by this department id."),
            OpenApiParameter(
                "overdue", bool, description="true: open tasks whose clock is red today."
            ),
        ],
        responses={200: SupervisionTaskSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        _require_supervision_user(request.user)
        params = request.query_params
        overdue_raw = params.get("overdue", "").strip().lower()
        overdue = {"true": True, "1": True, "false": False, "0": False}.get(overdue_raw)
        if overdue_raw and overdue is None:
            raise InvalidInput(
                _("'overdue' is true or false, got %(value)r.") % {"value": overdue_raw},
                details={"parameter": "overdue"},
            )
        queryset = selectors.tasks_for_user(
            request.user,
            state=params.get("state"),
            source=params.get("source"),
            category=params.get("category"),
            unit=params.get("unit"),
            overdue=overdue,
        )
        paginator = StandardPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        data = SupervisionTaskSerializer(page, many=True, context=_context(request)).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        tags=TAGS,
        operation_id="supervision_tasks_create",
        summary="Create a supervision task (office)",
        request=TaskCreateInputSerializer,
        responses={201: SupervisionTaskDetailSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "From a media exposure",
                value={
                    "title": "老旧小区改造进度滞后",
                    "source": "media_exposure",
                    "source_reference": "石家庄日报 2025-03-01",
                    "limit_days": 10,
                    "lead_unit": 2,
                    "co_units": [3],
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        # The role before the body: a caller who may never create learns that, not the shape.
        services.require_office(request.user)
        data = _valid(TaskCreateInputSerializer, request.data)
        warning = None
        if data.get("source_warning") is not None:
            warning = WarningRecord.objects.filter(pk=data["source_warning"]).first()
            if warning is None:
                raise InvalidInput(
                    _("No warning has the id %(id)s.") % {"id": data["source_warning"]},
                    details={"field": "source_warning"},
                )
        task = services.supervision_task_create(
            actor=request.user,
            title=data["title"],
            description=data["description"],
            source=data["source"],
            category=data["category"],
            source_reference=data["source_reference"],
            source_warning=warning,
            limit_days=data["limit_days"],
            lead_unit=_department(data.get("lead_unit"), "lead_unit"),
            co_units=_departments(data["co_units"], "co_units"),
            on=data.get("on"),
        )
        return _task_response(request, task.pk, code=status.HTTP_201_CREATED)


class SupervisionTaskDetailApi(_Base):
    """One task with its clock, history and the steps the caller may take."""

    @extend_schema(
        tags=TAGS,
        operation_id="supervision_tasks_retrieve",
        responses={200: SupervisionTaskDetailSerializer, 403: ERRORS[403], 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        return _task_response(request, pk)


# -- steps -----------------------------------------------------------------------------------


class TaskAssignInputSerializer(serializers.Serializer):
    lead_unit = serializers.IntegerField(required=False, allow_null=True)
    co_units = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_null=True,
        help_text="Replaces the co-units; left out keeps those set at creation.",
    )
    officer = serializers.IntegerField(
        required=False, allow_null=True, help_text="User id; the lead unit's head by default."
    )
    limit_days = serializers.IntegerField(required=False, allow_null=True)
    on = serializers.DateField(required=False, allow_null=True)


class TaskTextInputSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The progress, the result, or the reason.")


class TaskOfficeTextInputSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")
    on = serializers.DateField(
        required=False, allow_null=True, help_text="The day; today when left out (office only)."
    )


class TaskOfficeReasonInputSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="Why.")
    on = serializers.DateField(required=False, allow_null=True)


class SupervisionTaskAssignApi(_Base):
    """Hand the task over (交办): lead unit, co-units, officer; its clock starts (office)."""

    @extend_schema(
        tags=TAGS,
        operation_id="supervision_tasks_assign",
        request=TaskAssignInputSerializer,
        responses={200: SupervisionTaskDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        task = selectors.task_for_user(request.user, pk)
        data = _valid(TaskAssignInputSerializer, request.data)
        officer = None
        if data.get("officer") is not None:
            officer = User.objects.filter(pk=data["officer"], is_active=True).first()
            if officer is None:
                raise InvalidInput(
                    _("No active user has the id %(id)s.") % {"id": data["officer"]},
                    details={"field": "officer"},
                )
        co_units = data.get("co_units")
        services.supervision_task_assign(
            actor=request.user,
            task=task,
            lead_unit=_department(data.get("lead_unit"), "lead_unit"),
            co_units=_departments(co_units, "co_units") if co_units is not None else None,
            officer=officer,
            limit_days=data.get("limit_days"),
            on=data.get("on"),
        )
        return _task_response(request, pk)


class SupervisionTaskProgressApi(_Base):
    """Report progress (进展报送): staff of the lead unit or a co-unit; today."""

    @extend_schema(
        tags=TAGS,
        operation_id="supervision_tasks_progress",
        request=TaskTextInputSerializer,
        responses={200: SupervisionTaskDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        task = selectors.task_for_user(request.user, pk)
        data = _valid(TaskTextInputSerializer, request.data)
        services.supervision_task_report_progress(actor=request.user, task=task, text=data["text"])
        return _task_response(request, pk)


class SupervisionTaskSubmitApi(_Base):
    """Report the result (报结): the lead unit's head; the clock pauses for the review."""

    @extend_schema(
        tags=TAGS,
        operation_id="supervision_tasks_submit",
        request=TaskTextInputSerializer,
        responses={200: SupervisionTaskDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        task = selectors.task_for_user(request.user, pk)
        data = _valid(TaskTextInputSerializer, request.data)
        services.supervision_task_submit(actor=request.user, task=task, result=data["text"])
        return _task_response(request, pk)


class SupervisionTaskCloseApi(_Base):
    """Close the task out (销号): the office accepts the result; the clock stops."""

    @extend_schema(
        tags=TAGS,
        operation_id="supervision_tasks_close",
        request=TaskOfficeTextInputSerializer,
        responses={200: SupervisionTaskDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        task = selectors.task_for_user(request.user, pk)
        data = _valid(TaskOfficeTextInputSerializer, request.data)
        services.supervision_task_close(
            actor=request.user, task=task, note=data["text"], on=data.get("on")
        )
        return _task_response(request, pk)


class SupervisionTaskSendBackApi(_Base):
    """Send the result back (退回): the office, with the reason; the clock runs on."""

    @extend_schema(
        tags=TAGS,
        operation_id="supervision_tasks_send_back",
        request=TaskOfficeReasonInputSerializer,
        responses={200: SupervisionTaskDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        task = selectors.task_for_user(request.user, pk)
        data = _valid(TaskOfficeReasonInputSerializer, request.data)
        services.supervision_task_send_back(
            actor=request.user, task=task, reason=data["text"], on=data.get("on")
        )
        return _task_response(request, pk)


class SupervisionTaskUrgeApi(_Base):
    """Urge the unit (催办): the office; told to the lead unit's heads and officer."""

    @extend_schema(
        tags=TAGS,
        operation_id="supervision_tasks_urge",
        request=TaskOfficeTextInputSerializer,
        responses={200: SupervisionTaskDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        task = selectors.task_for_user(request.user, pk)
        data = _valid(TaskOfficeTextInputSerializer, request.data)
        services.supervision_task_urge(
            actor=request.user, task=task, text=data["text"], on=data.get("on")
        )
        return _task_response(request, pk)


class SupervisionTaskEscalateApi(_Base):
    """Escalate the task (升级督办): the office, with the reason; the level rises by one."""

    @extend_schema(
        tags=TAGS,
        operation_id="supervision_tasks_escalate",
        request=TaskOfficeReasonInputSerializer,
        responses={200: SupervisionTaskDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        task = selectors.task_for_user(request.user, pk)
        data = _valid(TaskOfficeReasonInputSerializer, request.data)
        services.supervision_task_escalate(
            actor=request.user, task=task, reason=data["text"], on=data.get("on")
        )
        return _task_response(request, pk)


class EscalatedSerializer(serializers.Serializer):
    escalated = serializers.ListField(
        child=serializers.CharField(), help_text="Numbers of the tasks escalated by this run."
    )


class SupervisionTasksEscalateOverdueApi(_Base):
    """Run the escalation of overdue tasks now (the daily job on demand; office)."""

    @extend_schema(
        tags=TAGS,
        operation_id="supervision_tasks_escalate_overdue",
        request=None,
        responses={200: EscalatedSerializer, 403: ERRORS[403]},
    )
    def post(self, request: Request) -> Response:
        escalated = services.supervision_tasks_escalate_overdue(actor=request.user)
        return Response({"escalated": [t.number for t in escalated]})


class SupervisionYearlyCountsApi(_Base):
    """Supervision and assessment items per year and the change on the year before (S18)."""

    @extend_schema(
        tags=TAGS,
        operation_id="supervision_yearly_counts",
        parameters=[
            OpenApiParameter(
                "category",
                str,
                enum=list(TaskCategoryChoice.values),
                description="Count only this category in total and change.",
            )
        ],
        responses={200: YearlyCountSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        if not selectors.is_office(request.user):
            raise PermissionDenied(_("The yearly counts are the efficiency office's."))
        rows = selectors.supervision_yearly_counts(category=request.query_params.get("category"))
        return Response(YearlyCountSerializer(rows, many=True).data)


urlpatterns: list[URLPattern | URLResolver] = [
    path("supervision/tasks/", SupervisionTasksApi.as_view(), name="supervision-api-tasks"),
    path(
        "supervision/tasks/escalate-overdue/",
        SupervisionTasksEscalateOverdueApi.as_view(),
        name="supervision-api-tasks-escalate-overdue",
    ),
    path(
        "supervision/yearly-counts/",
        SupervisionYearlyCountsApi.as_view(),
        name="supervision-api-yearly-counts",
    ),
    path(
        "supervision/tasks/<int:pk>/",
        SupervisionTaskDetailApi.as_view(),
        name="supervision-api-task-detail",
    ),
    path(
        "supervision/tasks/<int:pk>/assign/",
        SupervisionTaskAssignApi.as_view(),
        name="supervision-api-task-assign",
    ),
    path(
        "supervision/tasks/<int:pk>/progress/",
        SupervisionTaskProgressApi.as_view(),
        name="supervision-api-task-progress",
    ),
    path(
        "supervision/tasks/<int:pk>/submit/",
        SupervisionTaskSubmitApi.as_view(),
        name="supervision-api-task-submit",
    ),
    path(
        "supervision/tasks/<int:pk>/close/",
        SupervisionTaskCloseApi.as_view(),
        name="supervision-api-task-close",
    ),
    path(
        "supervision/tasks/<int:pk>/send-back/",
        SupervisionTaskSendBackApi.as_view(),
        name="supervision-api-task-send-back",
    ),
    path(
        "supervision/tasks/<int:pk>/urge/",
        SupervisionTaskUrgeApi.as_view(),
        name="supervision-api-task-urge",
    ),
    path(
        "supervision/tasks/<int:pk>/escalate/",
        SupervisionTaskEscalateApi.as_view(),
        name="supervision-api-task-escalate",
    ),
]
