"""The applications API: thin views over the services and selectors.

Every view finds the application through the one access function
(:func:`~xiaoneng.applications.selectors.application_for_user`): what the caller may not see
answers 404 like what does not exist. Errors answer in the one shape of ``core.api``:
``{"error": {"code", "message", "details"}}`` — 400 bad input, 403 wrong role, 404 not
yours, 409 not allowed in the current status (or someone else acted first).

Authentication is the project default (Bearer token, then session); these views only require
a signed-in user.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xiaoneng.accounts.models import User
from xiaoneng.applications import rules, selectors, services
from xiaoneng.applications.models import Application, ApplicationMaterial, Commitment
from xiaoneng.core.api import ErrorSerializer, StandardPagination
from xiaoneng.core.errors import InvalidInput, NotFound
from xiaoneng.core.masking import mask_id_number

TAGS = ["applications"]


# -- output shapes ---------------------------------------------------------------------------


class ClockSerializer(serializers.Serializer):
    """A time limit's figures today (docs/clock.md): working days, due date, warning."""

    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="application.promised or application.legal")
    state = serializers.CharField(help_text="running, paused or stopped")
    paused = serializers.BooleanField()
    limit_days = serializers.IntegerField(help_text="Working days allowed, without extensions.")
    extension_days = serializers.IntegerField(help_text="Working days added by extensions.")
    extension_allowance_days = serializers.IntegerField()
    started_on = serializers.DateField(help_text="Day of acceptance (not counted itself).")
    stopped_on = serializers.DateField(allow_null=True)
    due_on = serializers.DateField(help_text="The last allowed day, a working day.")
    yellow_on = serializers.DateField()
    used_days = serializers.IntegerField()
    remaining_days = serializers.IntegerField(help_text="Negative when overdue.")
    warning = serializers.ChoiceField(choices=["none", "yellow", "red"])
    provisional = serializers.BooleanField(help_text="Rests on a year not in the calendar yet.")


class SummarySerializer(serializers.Serializer):
    """One application in a list or a queue."""

    id = serializers.UUIDField()
    number = serializers.CharField(help_text="SQ + day + serial, e.g. SQ2026112600001.")
    matter = serializers.CharField(help_text="Implementation code of the matter.")
    matter_name = serializers.CharField()
    kind = serializers.CharField(help_text="instant (即办件) or promised (承诺件)")
    department = serializers.CharField()
    department_name = serializers.CharField()
    applicant_name = serializers.CharField()
    channel = serializers.CharField(help_text="online, window or partner")
    status = serializers.ChoiceField(choices=[s.value for s in rules.Status])
    status_label = serializers.CharField()
    received_on = serializers.DateField()
    accepted_on = serializers.DateField(allow_null=True)
    concluded_on = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()
    clock = ClockSerializer(allow_null=True, help_text="The promised limit's clock.")


class EventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField(allow_null=True, help_text="null for the system.")
    action = serializers.CharField()
    from_status = serializers.CharField(source="from")
    to_status = serializers.CharField(source="to")
    reason = serializers.CharField()
    data = serializers.DictField()  # type: ignore[assignment]


class MaterialRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    material = serializers.IntegerField(allow_null=True, help_text="Catalog material id.")
    material_name = serializers.CharField(allow_null=True)
    kind = serializers.CharField(
        help_text="uploaded, paper, commitment, e_license or replaced (how it is satisfied)."
    )
    replacement = serializers.CharField(help_text="For replaced: cancelled, data_sharing, …")
    basis = serializers.CharField()
    license_identifier = serializers.CharField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    file_url = serializers.CharField(allow_null=True, help_text="Download (access checked).")
    created_at = serializers.DateTimeField()


class RequirementSerializer(serializers.Serializer):
    material = serializers.IntegerField()
    name = serializers.CharField()
    needed = serializers.BooleanField(help_text="Every applicant must supply or replace it.")
    satisfied_by = serializers.ListField(child=serializers.CharField())
    missing = serializers.BooleanField()


class LicenseSerializer(serializers.Serializer):
    identifier = serializers.CharField(help_text="E-license identifier (DOMAIN_RULES.md §9).")
    verify_url = serializers.CharField(help_text="Public verification page (JSON on request).")
    license_type_name = serializers.CharField()
    status = serializers.CharField()


class DetailSerializer(SummarySerializer):
    """One application with its history, materials, clocks and e-license."""

    matter_version = serializers.IntegerField()
    applicant_code = serializers.CharField(help_text="ID number or credit code, masked.")
    registered_by = serializers.CharField(allow_null=True)
    first_responsible = serializers.CharField(allow_null=True)
    form = serializers.DictField()
    decided_on = serializers.DateField(allow_null=True)
    decision = serializers.CharField(help_text="approved, denied or empty")
    decision_reason = serializers.CharField()
    delivered_on = serializers.DateField(allow_null=True)
    delivery_method = serializers.CharField()
    supplement_notice = serializers.DictField()
    supplement_deadline = serializers.DateField(
        allow_null=True, help_text="Last day to ask for a supplement (Art. 32(4))."
    )
    legal_clock = ClockSerializer(allow_null=True, help_text="The legal limit's clock.")
    events = EventSerializer(many=True)
    materials = MaterialRowSerializer(many=True)
    requirements = RequirementSerializer(many=True)
    license = LicenseSerializer(allow_null=True, help_text="Once approved.")
    allowed_actions = serializers.ListField(child=serializers.CharField())


def _material_row(application: Application, row: ApplicationMaterial) -> dict[str, Any]:
    return {
        "id": row.pk,
        "material": row.material_id,
        "material_name": row.material.name if row.material is not None else None,
        "kind": row.kind,
        "replacement": row.replacement,
        "basis": row.basis,
        "license_identifier": row.license_identifier,
        "original_name": row.original_name,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "file_url": (
            f"/api/v1/applications/{application.pk}/materials/{row.pk}/file" if row.file else None
        ),
        "created_at": row.created_at,
    }


def detail_body(detail: selectors.ApplicationDetail) -> dict[str, Any]:
    """The JSON body of one application (see :class:`DetailSerializer`)."""
    application = detail.application
    body = selectors.application_summary(application, with_clock=False)
    body["clock"] = detail.clock
    body.update(
        {
            "matter_version": application.matter_version.number,
            "applicant_code": mask_id_number(application.applicant_code)
            if application.applicant_code
            else "",
            "registered_by": str(application.registered_by) if application.registered_by else None,
            "first_responsible": str(application.first_responsible)
            if application.first_responsible
            else None,
            "form": application.form,
            "decided_on": application.decided_on,
            "decision": application.decision,
            "decision_reason": application.decision_reason,
            "delivered_on": application.delivered_on,
            "delivery_method": application.delivery_method,
            "supplement_notice": application.supplement_notice,
            "supplement_deadline": detail.supplement_deadline,
            "legal_clock": detail.legal_clock,
            "events": [
                {
                    "at": e.at,
                    "actor": str(e.actor) if e.actor is not None else None,
                    "action": e.action,
                    "from": e.from_status,
                    "to": e.to_status,
                    "reason": e.reason,
                    "data": e.data,
                }
                for e in detail.events
            ],
            "materials": [_material_row(application, m) for m in detail.materials],
            "requirements": [
                {
                    "material": r.material_id,
                    "name": r.name,
                    "needed": r.needed,
                    "satisfied_by": list(r.satisfied_by),
                    "missing": r.missing,
                }
                for r in detail.requirements
            ],
            "license": detail.license,
            "allowed_actions": detail.allowed_actions,
        }
    )
    return dict(DetailSerializer(body).data)


def _detail_response(
    request: Request, application_id: Any, code: int = 200, *, loaded: Any = None
) -> Response:
    detail = selectors.application_detail(request.user, application_id, loaded=loaded)
    return Response(detail_body(detail), status=code)


# -- inputs ----------------------------------------------------------------------------------


class ApplicantInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    id_number = serializers.CharField(required=False, allow_blank=True, default="")
    credit_code = serializers.CharField(required=False, allow_blank=True, default="")


class SubmitInputSerializer(serializers.Serializer):
    matter = serializers.CharField(help_text="Implementation code of the matter (实施编码).")
    form = serializers.DictField(required=False, default=dict, help_text="The application form.")
    channel = serializers.ChoiceField(
        choices=["online", "partner"], required=False, default="online"
    )
    applicant = ApplicantInputSerializer(
        required=False, help_text="Partners only: the applicant they file for."
    )


class WalkInInputSerializer(serializers.Serializer):
    matter = serializers.CharField()
    form = serializers.DictField(required=False, default=dict)
    applicant = ApplicantInputSerializer()
    paper_materials = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        help_text="Catalog materials whose paper originals were checked at the window.",
    )
    accept = serializers.BooleanField(
        required=False, default=True, help_text="Accept on the spot when nothing is missing."
    )


class ActionInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    days = serializers.IntegerField(required=False, help_text="extend: working days")
    kind = serializers.ChoiceField(
        choices=list(services.SPECIAL_PROCEDURES),
        required=False,
        help_text="pause: the special procedure (Art. 45)",
    )
    materials = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="request-supplement: catalog materials to supply (default: all missing)",
    )
    items = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text="request-supplement: other things to supply, as text",
    )
    method = serializers.CharField(required=False, help_text="deliver: pickup, post, e_license")
    detail = serializers.CharField(required=False, allow_blank=True, default="")
    to_officer = serializers.IntegerField(required=False, help_text="hand-over: the user id")


class UploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, JPEG, PNG or OFD; at most UPLOAD_MAX_BYTES.")
    material = serializers.IntegerField(required=False, help_text="Catalog material id.")


class CommitmentInputSerializer(serializers.Serializer):
    material = serializers.IntegerField(help_text="The material the promise replaces.")
    text = serializers.CharField(required=False, allow_blank=True, default="")


class CommitmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    material = serializers.IntegerField(source="material_id")
    text = serializers.CharField()
    signed_at = serializers.DateTimeField()
    signer = serializers.CharField()


class RatingInputSerializer(serializers.Serializer):
    level = serializers.IntegerField(
        min_value=1, max_value=5, help_text="5 非常满意 … 1 非常不满意"
    )
    text = serializers.CharField(required=False, allow_blank=True, default="")


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# -- views -----------------------------------------------------------------------------------

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer}


class _Base(APIView):
    permission_classes = [IsAuthenticated]


class ApplicationsApi(_Base):
    """The caller's applications (or the department's queue), and submitting one."""

    # The list is paginated by hand; naming the class makes the schema say so (a page object).
    pagination_class = StandardPagination

    @extend_schema(
        tags=TAGS,
        operation_id="applications_list",
        summary="My applications, or my department's queue",
        description=(
            "Applicants and partners: their own, newest first. Staff: their department's "
            "queue sorted by the promised due date (most urgent first). Office: all. "
            "Paginated (`page`, `page_size` ≤ 200)."
        ),
        parameters=[
            OpenApiParameter("status", str, description="one status or several, comma-separated"),
            OpenApiParameter("warning", str, enum=["none", "yellow", "red"]),
            OpenApiParameter("matter", str, description="implementation code"),
            OpenApiParameter("q", str, description="number, applicant or matter name contains"),
        ],
        responses={200: SummarySerializer(many=True), 403: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.applications_visible_to(
            request.user,
            status=request.query_params.get("status") or None,
            warning=request.query_params.get("warning") or None,
            matter=request.query_params.get("matter") or None,
            q=request.query_params.get("q") or None,
        )
        paginator = StandardPagination()
        page = paginator.paginate_queryset(queryset, request, view=self) or []
        rows = selectors.application_summaries(page)
        return paginator.get_paginated_response(SummarySerializer(rows, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="applications_submit",
        summary="Submit an application",
        description=(
            "Apply for a matter online (or, for a partner institution, on behalf of an "
            "applicant). With an `Idempotency-Key` header a retry returns the first application "
            "with 200 instead of 201, never a second one; the same key with a different body "
            "is 409."
        ),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key", str, OpenApiParameter.HEADER, description="any unique text"
            )
        ],
        request=SubmitInputSerializer,
        responses={201: DetailSerializer, 200: DetailSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Apply online",
                value={"matter": "130100-XK-0001", "form": {"项目名称": "门店装修"}},
                request_only=True,
            ),
            OpenApiExample(
                "A bank files for a customer",
                value={
                    "matter": "130100-DJ-0002",
                    "form": {"抵押物": "房屋"},
                    "applicant": {"name": "张三", "id_number": "11010519491231002X"},
                },
                request_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        # The role before the body: a caller who may never submit learns that, not the shape.
        services.require_may_submit(request.user)
        data = _valid(SubmitInputSerializer, request.data)
        applicant = None
        if data.get("applicant"):
            who = data["applicant"]
            applicant = services.applicant_resolve(
                actor=request.user,
                name=who["name"],
                id_number=who.get("id_number", ""),
                credit_code=who.get("credit_code", ""),
            )
        application = services.application_submit(
            actor=request.user,
            matter=data["matter"],
            form=data.get("form") or {},
            channel=data.get("channel") or "online",
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            applicant=applicant,
        )
        replay = getattr(application, "idempotent_replay", False)
        return _detail_response(request, application.pk, 200 if replay else 201)


@extend_schema(
    tags=TAGS,
    summary="Register a walk-in application (window)",
    description=(
        "A window officer registers an application for a walk-in applicant, found or created "
        "by resident ID number or credit code (一门办理); accepted on the spot when nothing "
        "needed is missing (an instant matter is then concluded too)."
    ),
    request=WalkInInputSerializer,
    responses={201: DetailSerializer, **ERRORS},
    examples=[
        OpenApiExample(
            "Walk-in",
            value={
                "matter": "130100-XK-0001",
                "applicant": {"name": "张三", "id_number": "11010519491231002X"},
                "paper_materials": [12, 13],
                "accept": True,
            },
            request_only=True,
        )
    ],
)
class ApplicationWalkInApi(_Base):
    def post(self, request: Request) -> Response:
        services.require_may_register_walk_in(request.user)
        data = _valid(WalkInInputSerializer, request.data)
        application = services.application_register_walk_in(
            actor=request.user,
            matter=data["matter"],
            applicant_name=data["applicant"]["name"],
            id_number=data["applicant"].get("id_number", ""),
            credit_code=data["applicant"].get("credit_code", ""),
            form=data.get("form") or {},
            paper_materials=data.get("paper_materials") or [],
            accept=data.get("accept", True),
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
        return _detail_response(request, application.pk, 201)


@extend_schema(
    tags=TAGS,
    summary="One application",
    description=(
        "Status, history (`events`), materials and what each requirement is satisfied by, "
        "the promised (`clock`) and legal (`legal_clock`) time limits, the e-license once "
        "approved, and the actions the caller may take now. 404 if not the caller's."
    ),
    responses={200: DetailSerializer, 404: ErrorSerializer},
)
class ApplicationDetailApi(_Base):
    def get(self, request: Request, application_id: str) -> Response:
        return _detail_response(request, application_id)


def _officer(user_id: int | None) -> User | None:
    return User.objects.filter(pk=user_id).first() if user_id else None


# name → how to call the service with the validated input
ACTIONS: dict[str, Any] = {
    "accept": lambda a, app, d: services.application_accept(actor=a, application=app),
    "reject": lambda a, app, d: services.application_reject(
        actor=a, application=app, reason=d["reason"]
    ),
    "request-supplement": lambda a, app, d: services.application_request_supplement(
        actor=a,
        application=app,
        reason=d["reason"],
        materials=d.get("materials"),
        items=d.get("items") or [],
    ),
    "supplement": lambda a, app, d: services.application_supplement(actor=a, application=app),
    "pause": lambda a, app, d: services.application_pause(
        actor=a, application=app, kind=d.get("kind", ""), reason=d["reason"]
    ),
    "resume": lambda a, app, d: services.application_resume(
        actor=a, application=app, reason=d["reason"]
    ),
    "extend": lambda a, app, d: services.application_extend(
        actor=a, application=app, days=d.get("days") or 0, reason=d["reason"]
    ),
    "approve": lambda a, app, d: services.application_approve(
        actor=a, application=app, reason=d["reason"]
    ),
    "deny": lambda a, app, d: services.application_deny(
        actor=a, application=app, reason=d["reason"]
    ),
    "conclude": lambda a, app, d: services.application_conclude(actor=a, application=app),
    "deliver": lambda a, app, d: services.application_deliver(
        actor=a, application=app, method=d.get("method", ""), detail=d.get("detail", "")
    ),
    selectors.TAKE_RESPONSIBILITY: lambda a, app, d: services.application_take_responsibility(
        actor=a, application=app
    ),
    selectors.HAND_OVER: lambda a, app, d: services.application_hand_over(
        actor=a, application=app, to_officer=_officer(d.get("to_officer")), reason=d["reason"]
    ),
}


@extend_schema(
    tags=TAGS,
    summary="Take an action on an application",
    description=(
        "`name`: accept, reject, request-supplement, supplement, pause, resume, extend, "
        "approve, deny, conclude, deliver, take-responsibility, hand-over. Reasons are required "
        "for reject, request-supplement, pause, extend, deny and hand-over; `days` for extend "
        "(head only, Art. 42); `kind` for pause (Art. 45); `method` for deliver. Answers the "
        "application as it is now. 409 when not allowed in the current status (or someone else "
        "acted first), 403 for the wrong role, 404 when not yours."
    ),
    parameters=[
        OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(ACTIONS)),
    ],
    request=ActionInputSerializer,
    responses={200: DetailSerializer, **ERRORS},
    examples=[
        OpenApiExample(
            "Pause for expert review",
            value={"kind": "expert_review", "reason": "组织专家评审，约 5 个工作日"},
            request_only=True,
        ),
        OpenApiExample(
            "Extend", value={"days": 10, "reason": "现场核查需要更多时间"}, request_only=True
        ),
        OpenApiExample(
            "Request a supplement",
            value={"reason": "材料不全", "materials": [12], "items": ["申请表缺少签字"]},
            request_only=True,
        ),
        OpenApiExample(
            "Deliver", value={"method": "post", "detail": "SF1234567890"}, request_only=True
        ),
    ],
)
class ApplicationActionApi(_Base):
    def post(self, request: Request, application_id: str, name: str) -> Response:
        application = selectors.application_for_user(request.user, application_id)
        call = ACTIONS.get(name)
        if call is None:
            raise NotFound(
                _("Unknown action %(name)r; expected one of: %(names)s.")
                % {"name": name, "names": ", ".join(ACTIONS)},
                details={"name": name},
            )
        data = _valid(ActionInputSerializer, request.data)
        # The service brings ``application`` (read through the access function above) up to
        # date, so the answer need not look it up again.
        call(request.user, application, data)
        return _detail_response(request, application.pk, loaded=application)


@extend_schema(
    tags=TAGS,
    summary="Upload a material",
    description=(
        "Multipart `file` (PDF, JPEG, PNG or OFD, the type judged by the content and the "
        "extension must agree; at most `UPLOAD_MAX_BYTES`, 10 MiB by default) and the catalog "
        "`material` it is for. Before acceptance only."
    ),
    request={"multipart/form-data": UploadInputSerializer},
    responses={201: MaterialRowSerializer, **ERRORS},
)
class ApplicationMaterialUploadApi(_Base):
    parser_classes = [MultiPartParser, FormParser]

    def post(self, request: Request, application_id: str) -> Response:
        application = selectors.application_for_user(request.user, application_id)
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput(
                _("Attach the file as the multipart field 'file'."), details={"field": "file"}
            )
        material = request.data.get("material") or None
        try:
            material_id = int(material) if material is not None else None
        except (TypeError, ValueError):
            raise InvalidInput(
                _("Expected the material as a number, got %(got)r.") % {"got": material},
                details={"field": "material"},
            ) from None
        row = services.application_upload_material(
            actor=request.user,
            application=application,
            file=upload,
            name=upload.name or "",
            material=material_id,
            size=upload.size,
        )
        return Response(
            MaterialRowSerializer(_material_row(application, row)).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(
    tags=TAGS,
    summary="Remove an uploaded material",
    description="Before acceptance, by the applicant's side or the window.",
    responses={204: None, **ERRORS},
)
class ApplicationMaterialApi(_Base):
    def delete(self, request: Request, application_id: str, material_id: int) -> Response:
        application = selectors.application_for_user(request.user, application_id)
        services.application_remove_material(
            actor=request.user, application=application, application_material=material_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    tags=TAGS,
    summary="Download an uploaded material",
    description="The file as uploaded, for those who may see the application; 404 otherwise.",
    responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: ErrorSerializer},
)
class ApplicationMaterialFileApi(_Base):
    def get(self, request: Request, application_id: str, material_id: int) -> FileResponse:
        application = selectors.application_for_user(request.user, application_id)
        row = ApplicationMaterial.objects.filter(application=application, pk=material_id).first()
        if row is None or not row.file:
            raise NotFound(
                _("This application has no file %(id)s.") % {"id": material_id},
                details={"material": material_id},
            )
        response = FileResponse(
            row.file.open("rb"),
            as_attachment=True,
            filename=row.original_name or row.file.name.rsplit("/", 1)[-1],
            content_type=row.content_type or "application/octet-stream",
        )
        # Never rendered by the browser as a page, whatever it holds.
        response["Content-Security-Policy"] = "sandbox"
        response["X-Content-Type-Options"] = "nosniff"
        return response


@extend_schema(
    tags=TAGS,
    summary="Sign an informed commitment",
    description=(
        "The applicant's written promise replacing a certificate (告知承诺); only for materials "
        "the matter marks as replaced by commitment, never for excluded applicants (409)."
    ),
    request=CommitmentInputSerializer,
    responses={201: CommitmentSerializer, **ERRORS},
)
class ApplicationCommitmentApi(_Base):
    def post(self, request: Request, application_id: str) -> Response:
        application = selectors.application_for_user(request.user, application_id)
        data = _valid(CommitmentInputSerializer, request.data)
        commitment: Commitment = services.application_sign_commitment(
            actor=request.user,
            application=application,
            material=data["material"],
            text=data.get("text", ""),
        )
        return Response(CommitmentSerializer(commitment).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=TAGS,
    summary="Rate a concluded application (好差评)",
    description="The applicant only, after conclusion; levels 1–5 (1–2 are bad reviews).",
    request=RatingInputSerializer,
    responses={
        201: inline_serializer(
            "ApplicationRating",
            {
                "id": serializers.IntegerField(),
                "level": serializers.IntegerField(),
                "is_bad": serializers.BooleanField(),
            },
        ),
        **ERRORS,
    },
    examples=[
        OpenApiExample("Satisfied", value={"level": 5, "text": "办事很快"}, request_only=True)
    ],
)
class ApplicationRatingApi(_Base):
    def post(self, request: Request, application_id: str) -> Response:
        application = selectors.application_for_user(request.user, application_id)
        data = _valid(RatingInputSerializer, request.data)
        rating = services.application_rate(
            actor=request.user, application=application, level=data["level"], text=data["text"]
        )
        return Response(
            {
                "id": rating.pk,
                "level": int(rating.level),
                "is_bad": bool(getattr(rating, "is_bad", int(rating.level) <= 2)),
            },
            status=status.HTTP_201_CREATED,
        )
