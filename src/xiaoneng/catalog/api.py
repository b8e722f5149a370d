"""The catalog's read API: thin views over the selectors, one class per operation.

Errors answer in the one shape of ``core.api`` (``{"error": {"code", "message", "details"}}``).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xiaoneng.catalog import rules, selectors
from xiaoneng.catalog.filters import MatterFilter
from xiaoneng.catalog.models import Fee, Material, Matter, MatterVersion, ProcessStep, Replacement
from xiaoneng.core.api import ErrorSerializer, StandardPagination
from xiaoneng.core.errors import InvalidInput

TAGS = ["catalog"]


class DepartmentRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Department code (部门编码).")
    name = serializers.CharField(help_text="Department name.")


class ReplacementSerializer(serializers.Serializer):
    """How a certificate no longer supplied is replaced (DOMAIN_RULES.md §4)."""

    method = serializers.CharField(
        source="replacement",
        help_text="cancelled, data_sharing, e_license, verification or commitment.",
    )
    method_label = serializers.CharField(source="get_replacement_display")
    since = serializers.DateField(source="cancelled_on", help_text="No longer asked for since.")
    basis = serializers.CharField(source="replacement_basis", help_text="Decision or reason.")
    license_type = serializers.CharField(help_text="E-license type, for e_license.")


class MaterialSerializer(serializers.ModelSerializer[Material]):
    required = serializers.SerializerMethodField(  # type: ignore[assignment]
        help_text="True when every applicant must supply it (necessity required)."
    )
    replacement = serializers.SerializerMethodField(
        help_text="null while the applicant still supplies it; otherwise how it is replaced."
    )

    class Meta:
        model = Material
        fields = [
            "name",
            "required",
            "necessity",
            "condition",
            "form",
            "source",
            "paper_copies",
            "paper_spec",
            "blank_form",
            "sample",
            "acceptance_standard",
            "basis",
            "trust_level",
            "is_certificate",
            "replacement",
        ]

    def get_required(self, material: Material) -> bool:
        return material.necessity == "required"

    @extend_schema_field(ReplacementSerializer(allow_null=True))
    def get_replacement(self, material: Material) -> dict[str, Any] | None:
        if material.replacement == Replacement.NONE:
            return None
        return dict(ReplacementSerializer(material).data)


class FeeSerializer(serializers.ModelSerializer[Fee]):
    class Meta:
        model = Fee
        fields = ["item", "standard", "basis", "reducible"]


class StepSerializer(serializers.ModelSerializer[ProcessStep]):
    class Meta:
        model = ProcessStep
        fields = ["name", "description", "limit_days"]


VERSION_OUTPUT_FIELDS = [
    "name",
    "department",
    "type",
    "type_label",
    "kind",
    "kind_label",
    "legal_limit_days",
    "legal_limit_note",
    "promised_limit_days",
    "promised_limit_note",
    "compression_ratio",
    "extension_days",
    "visits",
    "online",
    "online_depth",
    "online_url",
    "handling_forms",
    "express_delivery",
    "online_payment",
    "appointment",
    "service_scope",
    "in_hall",
    "allows_commitment",
    "level",
    "power_source",
    "body_type",
    "entrusted_department",
    "service_objects",
    "business_item_code",
    "legal_basis",
    "acceptance_conditions",
    "handling_location",
    "handling_hours",
    "consultation",
    "complaint_channel",
    "special_procedures",
    "intermediary_services",
    "joint_agencies",
    "charges_fee",
    "fee_basis",
    "fees",
    "result_name",
    "result_type",
    "result_sample",
    "materials",
    "steps",
    "version",
    "effective_from",
    "change_note",
]


class MatterVersionSerializer(serializers.ModelSerializer[MatterVersion]):
    """One version of a matter, everything an applicant or a report needs."""

    department = DepartmentRefSerializer(help_text="Implementing department (实施主体).")
    type = serializers.CharField(source="matter_type", help_text="Matter type code (事项类型).")
    type_label = serializers.CharField(source="get_matter_type_display")
    kind_label = serializers.CharField(source="get_kind_display")
    compression_ratio = serializers.SerializerMethodField(
        help_text="1 − promised / legal (DOMAIN_RULES.md §2); null without a legal limit."
    )
    service_objects = serializers.ListField(child=serializers.CharField())
    handling_forms = serializers.ListField(
        child=serializers.CharField(), help_text="window, online, post (办理形式)."
    )
    online_depth = serializers.ListField(
        child=serializers.IntegerField(), help_text="1 to 7 (网上办理深度)."
    )
    version = serializers.IntegerField(source="number", help_text="Version number (事项版本).")
    materials = MaterialSerializer(many=True)
    fees = FeeSerializer(many=True)
    steps = StepSerializer(many=True, help_text="Process steps (办理流程), in order.")

    class Meta:
        model = MatterVersion
        fields = VERSION_OUTPUT_FIELDS

    @extend_schema_field(OpenApiTypes.FLOAT)
    def get_compression_ratio(self, version: MatterVersion) -> float | None:
        ratio = rules.compression_ratio(version.legal_limit_days, version.promised_limit_days)
        return None if ratio is None else round(ratio, 4)


class MatterSerializer(MatterVersionSerializer):
    """A matter as in force today: its identity and its current version's fields."""

    code = serializers.CharField(source="matter.code", help_text="Implementation code (实施编码).")
    catalog_code = serializers.CharField(
        source="matter.catalog_code", help_text="Basic code (基本编码), 12 characters."
    )

    class Meta(MatterVersionSerializer.Meta):
        fields = ["code", "catalog_code", *VERSION_OUTPUT_FIELDS]

    def to_representation(self, instance: Any) -> Any:
        matter: Matter = instance
        version = matter.current_version
        assert version is not None  # the public queryset has a version in force
        version.matter = matter  # already loaded: spare a query per matter
        return super().to_representation(version)


@extend_schema(
    tags=TAGS,
    summary="List service matters",
    description=(
        "The service matters offered today (政务服务事项), paginated (`page`, `page_size` ≤ 200), "
        "each with its version in force, materials, fees and steps. Filters combine with AND; "
        "`department` includes sub-departments."
    ),
    responses={200: MatterSerializer(many=True), 400: ErrorSerializer},
)
class MatterListApi(ListAPIView[Matter]):
    serializer_class = MatterSerializer  # type: ignore[assignment]  # renders a Matter
    filterset_class = MatterFilter
    pagination_class = StandardPagination

    def get_queryset(self) -> Any:
        return selectors.matter_public_queryset()


@extend_schema(
    tags=TAGS,
    summary="One service matter",
    description="The matter with this implementation code as in force today; 404 if unknown.",
    responses={200: MatterSerializer, 404: ErrorSerializer},
)
class MatterDetailApi(APIView):
    def get(self, request: Request, code: str) -> Response:
        matter = selectors.matter_get(code=code)
        return Response(MatterSerializer(matter).data)  # type: ignore[arg-type]


@extend_schema(
    tags=TAGS,
    summary="Every version of a matter",
    description=(
        "The matter's versions, oldest first, including any scheduled for a later date "
        "(`effective_from` in the future). History is never edited: a change is a new version."
    ),
    responses={200: MatterVersionSerializer(many=True), 404: ErrorSerializer},
)
class MatterVersionListApi(APIView):
    def get(self, request: Request, code: str) -> Response:
        matter = selectors.matter_get_any(code=code)
        versions = selectors.matter_versions(matter)
        return Response(MatterVersionSerializer(versions, many=True).data)


class ChangeSerializer(serializers.Serializer):
    before = serializers.IntegerField()
    after = serializers.IntegerField()
    difference = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True, help_text="null when before is 0.")


class ComparisonSerializer(serializers.Serializer):
    code = serializers.CharField()
    before = serializers.DictField(help_text="version and effective_from of the earlier version")
    after = serializers.DictField(help_text="version and effective_from of the later version")
    materials = ChangeSerializer(help_text="Materials the applicant still supplies.")
    steps = ChangeSerializer()
    legal_limit_days = ChangeSerializer()
    promised_limit_days = ChangeSerializer()


@extend_schema(
    tags=TAGS,
    summary="Compare two versions of a matter",
    description=(
        "Materials still supplied, process steps and limits of two versions, with the "
        "percentage change (claim S10: materials −12 %, steps −10 %, time −15 %). Defaults: "
        "`from` the first version, `to` the latest."
    ),
    parameters=[
        OpenApiParameter("from", int, description="version number, default the first"),
        OpenApiParameter("to", int, description="version number, default the latest"),
    ],
    responses={200: ComparisonSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
)
class MatterVersionCompareApi(APIView):
    def get(self, request: Request, code: str) -> Response:
        matter = selectors.matter_get_any(code=code)
        versions = list(selectors.matter_versions(matter))
        first = _version_param(request, "from", versions, default=versions[0])
        second = _version_param(request, "to", versions, default=versions[-1])
        comparison = selectors.version_compare(first, second)
        return Response(
            {
                "code": matter.code,
                "before": {"version": first.number, "effective_from": first.effective_from},
                "after": {"version": second.number, "effective_from": second.effective_from},
                **comparison.as_dict(),
            }
        )


def _version_param(
    request: Request, name: str, versions: list[MatterVersion], *, default: MatterVersion
) -> MatterVersion:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    numbers = {v.number: v for v in versions}
    if not str(raw).isdigit() or int(str(raw)) not in numbers:
        raise InvalidInput(
            _("Expected %(name)s to be a version number of this matter (%(numbers)s), got %(got)r.")
            % {"name": name, "numbers": ", ".join(str(n) for n in numbers), "got": raw},
            details={name: raw},
        )
    return numbers[int(str(raw))]
