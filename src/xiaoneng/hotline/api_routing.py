"""Dispatch suggestions API (issue 5 §3): suggestions, routing rules, the dispatch model.

Thin views over :mod:`xiaoneng.hotline.selectors.routing` and
:mod:`xiaoneng.hotline.services.routing`. Only the hotline operators and the efficiency
office (``services.tickets.is_operator``) use any of it: they dispatch and keep the rules.
Included under ``/api/v1/`` by ``api_urls.py``.
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
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xiaoneng.accounts.models import Department
from xiaoneng.core.api import ErrorSerializer
from xiaoneng.core.errors import InvalidInput, NotFound, PermissionDenied
from xiaoneng.hotline.api import TicketDepartmentSerializer
from xiaoneng.hotline.api_common import category_by_code, department_by_code, valid
from xiaoneng.hotline.models import DispatchModel, RoutingRule
from xiaoneng.hotline.selectors import routing as selectors
from xiaoneng.hotline.selectors.tickets import ticket_for_user
from xiaoneng.hotline.services import routing as services
from xiaoneng.hotline.services.tickets import is_operator

TAGS = ["hotline"]

ERRORS: dict[int | tuple[int, str], Any] = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input; the message names the field."),
    403: OpenApiResponse(ErrorSerializer, description="Hotline operators and the office only."),
    404: OpenApiResponse(ErrorSerializer, description="No such item."),
}


def _require_operator(user: Any) -> None:
    if not is_operator(user):
        raise PermissionDenied(
            _("Only hotline operators and the efficiency office use dispatch suggestions.")
        )


def _department_ref(department: Department) -> dict[str, Any]:
    return {"id": department.pk, "code": department.code, "name": department.name}


class SuggestionSerializer(serializers.Serializer):
    """One suggested department: from a routing rule, or from the classifier."""

    department = TicketDepartmentSerializer()
    probability = serializers.FloatField(
        allow_null=True, help_text="The classifier's probability in [0, 1]; null for a rule."
    )
    source = serializers.ChoiceField(choices=["rule", "model"])  # type: ignore[assignment]
    rule = serializers.CharField(help_text="Name of the matching rule; empty for the model.")


def _suggestions(suggestions: list[selectors.Suggestion]) -> list[dict[str, Any]]:
    return [
        {
            "department": _department_ref(s.department),
            "probability": s.probability,
            "source": s.source,
            "rule": s.rule,
        }
        for s in suggestions
    ]


class SuggestionQuerySerializer(serializers.Serializer):
    description = serializers.CharField(help_text="What the reporter said.")
    category = serializers.CharField(required=False, allow_blank=True, default="")
    district = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema(tags=TAGS)
class SuggestionsApi(APIView):
    """The top departments for a ticket being registered (rule first, then the classifier)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("description", str, required=True, description="The request text."),
            OpenApiParameter("category", str, description="Category code."),
            OpenApiParameter("district", str, description="District."),
        ],
        responses={200: SuggestionSerializer(many=True), 400: ERRORS[400], 403: ERRORS[403]},
    )
    def get(self, request: Request) -> Response:
        _require_operator(request.user)
        query = valid(SuggestionQuerySerializer, request.query_params)
        suggestions = selectors.dispatch_suggestions(
            description=query["description"],
            category=category_by_code(query["category"]),
            district=query["district"],
        )
        return Response(_suggestions(suggestions))


@extend_schema(tags=TAGS)
class TicketSuggestionsApi(APIView):
    """The top departments for a registered ticket, from its description, category, district."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: SuggestionSerializer(many=True), 403: ERRORS[403], 404: ERRORS[404]}
    )
    def get(self, request: Request, pk: int) -> Response:
        _require_operator(request.user)
        ticket = ticket_for_user(request.user, pk)
        suggestions = selectors.dispatch_suggestions(
            description=ticket.description, category=ticket.category, district=ticket.district
        )
        return Response(_suggestions(suggestions))


class RoutingRuleSerializer(serializers.ModelSerializer[RoutingRule]):
    """A routing rule (派单规则); conditions that are empty match anything."""

    category = serializers.SerializerMethodField(help_text="Category code, or null.")
    department = serializers.SerializerMethodField()

    class Meta:
        model = RoutingRule
        fields = [
            "id",
            "position",
            "name",
            "category",
            "keywords",
            "district",
            "department",
            "active",
            "disabled_reason",
            "updated_at",
        ]

    def get_category(self, rule: RoutingRule) -> str | None:
        return rule.category.code if rule.category is not None else None

    @extend_schema_field(TicketDepartmentSerializer())
    def get_department(self, rule: RoutingRule) -> dict[str, Any]:
        return _department_ref(rule.department)


class RoutingRuleInputSerializer(serializers.Serializer):
    position = serializers.IntegerField(min_value=0, required=False, help_text="Smaller first.")
    name = serializers.CharField(max_length=100)
    category = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, help_text="Category code."
    )
    keywords = serializers.CharField(
        required=False, allow_blank=True, max_length=300, help_text="Spaces, commas or 、."
    )
    district = serializers.CharField(required=False, allow_blank=True, max_length=60)
    department = serializers.CharField(help_text="Department code.")
    active = serializers.BooleanField(required=False, help_text="PATCH only: switch on or off.")


def _rule_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Service arguments from validated input: codes turned into rows."""
    fields = dict(data)
    if "category" in fields:
        fields["category"] = category_by_code(fields["category"])
    if "department" in fields:
        fields["department"] = department_by_code(fields["department"])
    return fields


def _rule_for(user: Any, pk: int) -> RoutingRule:
    _require_operator(user)
    rule = selectors.routing_rules().filter(pk=pk).first()
    if rule is None:
        raise NotFound(_("No routing rule %(pk)s.") % {"pk": pk})
    return rule


@extend_schema(tags=TAGS)
class RoutingRuleListApi(APIView):
    """The routing rules in the order they are tried; operators and the office add rules."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: RoutingRuleSerializer(many=True), 403: ERRORS[403]})
    def get(self, request: Request) -> Response:
        _require_operator(request.user)
        return Response(RoutingRuleSerializer(selectors.routing_rules(), many=True).data)

    @extend_schema(
        request=RoutingRuleInputSerializer,
        responses={201: RoutingRuleSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    def post(self, request: Request) -> Response:
        _require_operator(request.user)
        data = _rule_fields(dict(valid(RoutingRuleInputSerializer, request.data)))
        if "active" in data:
            raise InvalidInput(
                _("active: a new rule is always on; switch it off with PATCH."),
                details={"field": "active"},
            )
        rule = services.routing_rule_create(actor=request.user, **data)
        return Response(RoutingRuleSerializer(rule).data, status=201)


@extend_schema(tags=TAGS)
class RoutingRuleDetailApi(APIView):
    """Change or delete one routing rule."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=RoutingRuleInputSerializer,
        responses={200: RoutingRuleSerializer, **ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        rule = _rule_for(request.user, pk)
        data = _rule_fields(dict(valid(RoutingRuleInputSerializer, request.data, partial=True)))
        rule = services.routing_rule_update(actor=request.user, rule=rule, **data)
        return Response(RoutingRuleSerializer(rule).data)

    @extend_schema(responses={204: None, 403: ERRORS[403], 404: ERRORS[404]})
    def delete(self, request: Request, pk: int) -> Response:
        rule = _rule_for(request.user, pk)
        services.routing_rule_delete(actor=request.user, rule=rule)
        return Response(status=204)


class DispatchModelSerializer(serializers.ModelSerializer[DispatchModel]):
    """The classifier in use: when it was trained, on how much, how well."""

    departments = serializers.SerializerMethodField(help_text="Departments it can suggest.")

    class Meta:
        model = DispatchModel
        fields = [
            "id",
            "trained_at",
            "train_size",
            "test_size",
            "accuracy",
            "top3_accuracy",
            "departments",
        ]

    def get_departments(self, model: DispatchModel) -> int:
        return len(model.labels or [])


@extend_schema(tags=TAGS)
class DispatchModelApi(APIView):
    """The newest dispatch model's held-out accuracy and sizes; 404 before the first training."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: DispatchModelSerializer, 403: ERRORS[403], 404: ERRORS[404]})
    def get(self, request: Request) -> Response:
        _require_operator(request.user)
        model = selectors.latest_dispatch_model()
        if model is None:
            raise NotFound(
                _("No dispatch model has been trained yet; run: xiaoneng hotline train.")
            )
        return Response(DispatchModelSerializer(model).data)


urlpatterns: list[URLPattern | URLResolver] = [
    path("hotline/suggestions/", SuggestionsApi.as_view(), name="hotline-api-suggestions"),
    path(
        "hotline/tickets/<int:pk>/suggestions/",
        TicketSuggestionsApi.as_view(),
        name="hotline-api-ticket-suggestions",
    ),
    path("hotline/routing-rules/", RoutingRuleListApi.as_view(), name="hotline-api-routing-rules"),
    path(
        "hotline/routing-rules/<int:pk>/",
        RoutingRuleDetailApi.as_view(),
        name="hotline-api-routing-rule",
    ),
    path("hotline/dispatch-model/", DispatchModelApi.as_view(), name="hotline-api-dispatch-model"),
]
