"""REST API of accountability cases (问责), mounted under /api/v1/ by ../api_urls.py.

Thin views: each finds the case through the one access function
(:func:`~xiaoneng.supervision.selectors.accountability.case_for_user`: a case the caller may
not see answers 404), calls one service and answers the case as it is now. The office writes
every entry; staff of the responsible unit read; its heads may add a statement.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from xiaoneng.accounts.models import User
from xiaoneng.clocks.models import Clock
from xiaoneng.core.api import StandardPagination
from xiaoneng.core.errors import InvalidInput, PermissionDenied
from xiaoneng.supervision.api.tasks import (
    ERRORS,
    SupervisionUnitSerializer,
    _Base,
    _department,
    _unit,
    _valid,
)
from xiaoneng.supervision.models import (
    AccountabilityCase,
    CaseStateChoice,
    HandlingChoice,
    SupervisionTask,
)
from xiaoneng.supervision.selectors import accountability as selectors
from xiaoneng.supervision.selectors.tasks import may_see_supervision, task_for_user
from xiaoneng.supervision.services import accountability as services

TAGS = ["accountability"]

NOT_FOUND = OpenApiResponse(
    description="No such case, or one the caller may not see (the same answer).",
)

# -- output ----------------------------------------------------------------------------------


class AccountabilityEntrySerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="open, investigate, record_findings, propose, decide, statement"
    )
    at = serializers.DateTimeField(help_text="When it was recorded.")
    on = serializers.DateField(help_text="The day it counts for.")
    actor = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    text = serializers.CharField()
    handling = serializers.CharField(help_text="For a proposal or decision; else empty.")


class AccountabilityCaseSerializer(serializers.ModelSerializer[AccountabilityCase]):
    state_label = serializers.CharField(source="get_state_display")
    responsible_unit = serializers.SerializerMethodField()
    task = serializers.SerializerMethodField(help_text="Number of the task it comes from.")
    clock = serializers.IntegerField(
        source="clock_id",
        read_only=True,
        allow_null=True,
        help_text="Id of the overdue item's clock it comes from.",
    )
    allowed_actions = serializers.SerializerMethodField(
        help_text="What the caller may add now: investigate, record_findings, propose, decide, "
        "statement."
    )

    class Meta:
        model = AccountabilityCase
        fields = [
            "id",
            "number",
            "title",
            "state",
            "state_label",
            "task",
            "clock",
            "responsible_unit",
            "reason",
            "opened_on",
            "findings",
            "responsible_person_name",
            "responsible_person_position",
            "proposed_handling",
            "proposal",
            "decision",
            "decision_text",
            "decided_on",
            "allowed_actions",
        ]

    @extend_schema_field(SupervisionUnitSerializer)
    def get_responsible_unit(self, case: AccountabilityCase) -> dict[str, Any] | None:
        return _unit(case.responsible_unit)

    def get_task(self, case: AccountabilityCase) -> str | None:
        return case.task.number if case.task is not None else None

    def get_allowed_actions(self, case: AccountabilityCase) -> list[str]:
        return [a.value for a in selectors.case_actions_for_user(self.context.get("user"), case)]


class AccountabilityCaseDetailSerializer(AccountabilityCaseSerializer):
    entries = serializers.SerializerMethodField(help_text="The full history, oldest first.")

    class Meta(AccountabilityCaseSerializer.Meta):
        fields = [*AccountabilityCaseSerializer.Meta.fields, "entries"]

    @extend_schema_field(AccountabilityEntrySerializer(many=True))
    def get_entries(self, case: AccountabilityCase) -> list[dict[str, Any]]:
        return [
            {
                "kind": e.kind,
                "at": e.at,
                "on": e.on,
                "actor": str(e.actor),
                "from_state": e.from_state,
                "to_state": e.to_state,
                "text": e.text,
                "handling": e.handling,
            }
            for e in selectors.case_entries(case)
        ]


def _case_response(request: Request, pk: int, *, code: int = status.HTTP_200_OK) -> Response:
    case = selectors.case_for_user(request.user, pk)
    return Response(
        AccountabilityCaseDetailSerializer(case, context={"user": request.user}).data, status=code
    )


# -- list and open ---------------------------------------------------------------------------


class CaseOpenInputSerializer(serializers.Serializer):
    task = serializers.IntegerField(
        required=False, allow_null=True, help_text="Id of the supervision task it comes from."
    )
    clock = serializers.IntegerField(
        required=False, allow_null=True, help_text="Id of the overdue item's clock."
    )
    responsible_unit = serializers.IntegerField(
        required=False, allow_null=True, help_text="By default the task's lead unit."
    )
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    reason = serializers.CharField(help_text="Why accountability is pursued (问责事由).")
    on = serializers.DateField(required=False, allow_null=True)


class AccountabilityCasesApi(_Base):
    """Accountability cases the caller may see; the office opens them."""

    # The list is paginated by hand; naming the class makes the schema say so (a page object).
    pagination_class = StandardPagination

    @extend_schema(
        tags=TAGS,
        operation_id="accountability_cases_list",
        summary="Accountability cases",
        description=(
            "The office sees every case; staff of the responsible unit see its cases. Newest "
            "first; paginated (`page`, `page_size` ≤ 200)."
        ),
        parameters=[
            OpenApiParameter("state", str, enum=list(CaseStateChoice.values)),
            OpenApiParameter("unit", int, description="Responsible unit id."),
        ],
        responses={200: AccountabilityCaseSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        if not may_see_supervision(request.user):
            raise PermissionDenied(
                _("Accountability cases are for the efficiency office and the units concerned.")
            )
        queryset = selectors.cases_for_user(
            request.user,
            state=request.query_params.get("state"),
            unit=request.query_params.get("unit"),
        )
        paginator = StandardPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        data = AccountabilityCaseSerializer(page, many=True, context={"user": request.user}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        tags=TAGS,
        operation_id="accountability_cases_create",
        summary="Open an accountability case (office)",
        request=CaseOpenInputSerializer,
        responses={201: AccountabilityCaseDetailSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        # The role before the body: a caller who may never open a case learns that, not the shape.
        services.require_case_opener(request.user)
        data = _valid(CaseOpenInputSerializer, request.data)
        task: SupervisionTask | None = None
        clock: Clock | None = None
        if data.get("task") is not None:
            task = task_for_user(request.user, data["task"])
        if data.get("clock") is not None:
            clock = Clock.objects.select_related("department").filter(pk=data["clock"]).first()
            if clock is None:
                raise InvalidInput(
                    _("No clock has the id %(id)s.") % {"id": data["clock"]},
                    details={"field": "clock"},
                )
        case = services.accountability_case_open(
            actor=request.user,
            task=task,
            clock=clock,
            responsible_unit=_department(data.get("responsible_unit"), "responsible_unit"),
            title=data["title"],
            reason=data["reason"],
            on=data.get("on"),
        )
        return _case_response(request, case.pk, code=status.HTTP_201_CREATED)


class AccountabilityCaseDetailApi(_Base):
    """One case with its full history and what the caller may add now."""

    @extend_schema(
        tags=TAGS,
        operation_id="accountability_cases_retrieve",
        responses={200: AccountabilityCaseDetailSerializer, 403: ERRORS[403], 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        return _case_response(request, pk)


# -- entries ---------------------------------------------------------------------------------


class CaseTextInputSerializer(serializers.Serializer):
    text = serializers.CharField()
    on = serializers.DateField(
        required=False, allow_null=True, help_text="The day; today when left out (office only)."
    )


class CaseFindingsInputSerializer(CaseTextInputSerializer):
    person_name = serializers.CharField(required=False, allow_blank=True, default="")
    person_position = serializers.CharField(required=False, allow_blank=True, default="")
    person = serializers.IntegerField(
        required=False, allow_null=True, help_text="The responsible person's user id, if any."
    )
    responsible_unit = serializers.IntegerField(
        required=False, allow_null=True, help_text="The unit found responsible, if another."
    )


class CaseHandlingInputSerializer(CaseTextInputSerializer):
    handling = serializers.ChoiceField(choices=HandlingChoice.choices)


class CaseStatementInputSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The unit's statement (申辩).")


class AccountabilityCaseInvestigateApi(_Base):
    """Add an investigation record (调查记录; office)."""

    @extend_schema(
        tags=TAGS,
        operation_id="accountability_cases_investigate",
        request=CaseTextInputSerializer,
        responses={200: AccountabilityCaseDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = selectors.case_for_user(request.user, pk)
        data = _valid(CaseTextInputSerializer, request.data)
        services.accountability_case_investigate(
            actor=request.user, case=case, text=data["text"], on=data.get("on")
        )
        return _case_response(request, pk)


class AccountabilityCaseFindingsApi(_Base):
    """Record the findings and the responsible unit and person (查明事实; office)."""

    @extend_schema(
        tags=TAGS,
        operation_id="accountability_cases_findings",
        request=CaseFindingsInputSerializer,
        responses={200: AccountabilityCaseDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = selectors.case_for_user(request.user, pk)
        data = _valid(CaseFindingsInputSerializer, request.data)
        person = None
        if data.get("person") is not None:
            person = User.objects.filter(pk=data["person"], is_active=True).first()
            if person is None:
                raise InvalidInput(
                    _("No active user has the id %(id)s.") % {"id": data["person"]},
                    details={"field": "person"},
                )
        services.accountability_case_record_findings(
            actor=request.user,
            case=case,
            findings=data["text"],
            person_name=data["person_name"],
            person_position=data["person_position"],
            person=person,
            responsible_unit=_department(data.get("responsible_unit"), "responsible_unit"),
            on=data.get("on"),
        )
        return _case_response(request, pk)


class AccountabilityCaseProposeApi(_Base):
    """Propose the handling (处理建议; office)."""

    @extend_schema(
        tags=TAGS,
        operation_id="accountability_cases_propose",
        request=CaseHandlingInputSerializer,
        responses={200: AccountabilityCaseDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = selectors.case_for_user(request.user, pk)
        data = _valid(CaseHandlingInputSerializer, request.data)
        services.accountability_case_propose(
            actor=request.user,
            case=case,
            handling=data["handling"],
            text=data["text"],
            on=data.get("on"),
        )
        return _case_response(request, pk)


class AccountabilityCaseDecideApi(_Base):
    """Decide the case (处理决定; office): final, the case is closed."""

    @extend_schema(
        tags=TAGS,
        operation_id="accountability_cases_decide",
        request=CaseHandlingInputSerializer,
        responses={200: AccountabilityCaseDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = selectors.case_for_user(request.user, pk)
        data = _valid(CaseHandlingInputSerializer, request.data)
        services.accountability_case_decide(
            actor=request.user,
            case=case,
            decision=data["handling"],
            text=data["text"],
            on=data.get("on"),
        )
        return _case_response(request, pk)


class AccountabilityCaseStatementApi(_Base):
    """Add the responsible unit's statement (申辩; a head of the unit, before the decision)."""

    @extend_schema(
        tags=TAGS,
        operation_id="accountability_cases_statement",
        request=CaseStatementInputSerializer,
        responses={200: AccountabilityCaseDetailSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        case = selectors.case_for_user(request.user, pk)
        data = _valid(CaseStatementInputSerializer, request.data)
        services.accountability_case_add_statement(actor=request.user, case=case, text=data["text"])
        return _case_response(request, pk)


urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "accountability/cases/", AccountabilityCasesApi.as_view(), name="accountability-api-cases"
    ),
    path(
        "accountability/cases/<int:pk>/",
        AccountabilityCaseDetailApi.as_view(),
        name="accountability-api-case-detail",
    ),
    path(
        "accountability/cases/<int:pk>/investigate/",
        AccountabilityCaseInvestigateApi.as_view(),
        name="accountability-api-case-investigate",
    ),
    path(
        "accountability/cases/<int:pk>/findings/",
        AccountabilityCaseFindingsApi.as_view(),
        name="accountability-api-case-findings",
    ),
    path(
        "accountability/cases/<int:pk>/propose/",
        AccountabilityCaseProposeApi.as_view(),
        name="accountability-api-case-propose",
    ),
    path(
        "accountability/cases/<int:pk>/decide/",
        AccountabilityCaseDecideApi.as_view(),
        name="accountability-api-case-decide",
    ),
    path(
        "accountability/cases/<int:pk>/statement/",
        AccountabilityCaseStatementApi.as_view(),
        name="accountability-api-case-statement",
    ),
]
