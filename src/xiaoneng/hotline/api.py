"""The staff API of the 12345 hotline (DOMAIN_RULES.md §7): tickets, actions and KPIs.

Thin views: every ticket is reached through the one access function
(:func:`~xiaoneng.hotline.selectors.tickets.ticket_for_user`: a ticket the caller may not see
answers 404, as one that does not exist), each action calls one service, which decides who
may act (403) and in which state (409). The reporter's phone and ID number are masked for everyone
but the hotline operators (``hotline.services.tickets.is_operator``), who need them to call back.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xiaoneng.accounts.models import Department, Role
from xiaoneng.accounts.rules import validate_resident_id
from xiaoneng.clocks.selectors import clock_as_dict, clock_of_item
from xiaoneng.core.api import ErrorSerializer, StandardPagination
from xiaoneng.core.errors import InvalidInput, PermissionDenied
from xiaoneng.core.masking import mask_id_number, mask_phone, mask_text
from xiaoneng.hotline import kpi_selectors, rules
from xiaoneng.hotline.api_common import category_by_code, department_by_code, valid
from xiaoneng.hotline.models import Ticket, TicketAttachment, TicketEvent
from xiaoneng.hotline.selectors import tickets as selectors
from xiaoneng.hotline.services import tickets as services

TAGS = ["hotline"]

ERRORS: dict[int | tuple[int, str], Any] = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input; the message names the field."),
    403: OpenApiResponse(ErrorSerializer, description="You may not take this action."),
    404: OpenApiResponse(ErrorSerializer, description="No such ticket that you may see."),
    409: OpenApiResponse(ErrorSerializer, description="Not allowed in the ticket's state."),
}


def _viewer(serializer: serializers.Serializer) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class TicketDepartmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="Department code (部门编码).")
    name = serializers.CharField()


class TicketOutputSerializer(serializers.ModelSerializer[Ticket]):
    """A ticket (工单); the reporter's phone and ID number masked but for operators."""

    status_label = serializers.CharField(source="get_status_display")
    category = serializers.SerializerMethodField(help_text="Category code, or null.")
    department = serializers.SerializerMethodField()
    reporter_phone = serializers.SerializerMethodField(help_text="Masked but for operators.")
    reporter_id_number = serializers.SerializerMethodField(help_text="Masked but for operators.")

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "channel",
            "ticket_type",
            "urgency",
            "category",
            "status",
            "status_label",
            "department",
            "district",
            "address",
            "description",
            "reporter_name",
            "reporter_phone",
            "reporter_id_number",
            "reopen_count",
            "satisfaction",
            "reply",
            "created_at",
            "closed_at",
        ]

    def get_category(self, ticket: Ticket) -> str | None:
        return ticket.category.code if ticket.category is not None else None

    @extend_schema_field(TicketDepartmentSerializer(allow_null=True))
    def get_department(self, ticket: Ticket) -> dict[str, Any] | None:
        dept = ticket.department
        if dept is None:
            return None
        return {"id": dept.pk, "code": dept.code, "name": dept.name}

    def get_reporter_phone(self, ticket: Ticket) -> str:
        if services.is_operator(_viewer(self)):
            return ticket.reporter_phone
        return mask_phone(ticket.reporter_phone)

    def get_reporter_id_number(self, ticket: Ticket) -> str:
        if services.is_operator(_viewer(self)):
            return ticket.reporter_id_number
        return mask_id_number(ticket.reporter_id_number)


class TicketEventSerializer(serializers.ModelSerializer[TicketEvent]):
    actor = serializers.SerializerMethodField(help_text="Who acted, by display name.")

    class Meta:
        model = TicketEvent
        fields = ["at", "action", "from_status", "to_status", "reason", "actor"]

    def get_actor(self, event: TicketEvent) -> str:
        return str(event.actor) if event.actor is not None else ""


def attachment_url(pk: int) -> str:
    """The download page of an attachment (``hotline:attachment``: /hotline/attachments/<pk>/)."""
    try:
        return reverse("hotline:attachment", args=[pk])
    except NoReverseMatch:  # the page is wired by the hotline pages' urls.py
        return f"/hotline/attachments/{pk}/"


class TicketAttachmentSerializer(serializers.ModelSerializer[TicketAttachment]):
    """A file of a ticket; its name is masked (phones, ID numbers) but for operators."""

    name = serializers.SerializerMethodField(help_text="The original file name.")
    type = serializers.CharField(source="content_type", help_text="Sniffed from the content.")
    url = serializers.SerializerMethodField(help_text="Download: /hotline/attachments/<id>/.")

    class Meta:
        model = TicketAttachment
        fields = ["id", "name", "size", "type", "sha256", "created_at", "url"]

    def get_name(self, row: TicketAttachment) -> str:
        if services.is_operator(_viewer(self)):
            return row.original_name
        return mask_text(row.original_name)

    def get_url(self, row: TicketAttachment) -> str:
        return attachment_url(row.pk)


class LinkedTicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    department = serializers.CharField(help_text="Handling department's name; empty if none.")


class SupervisionTaskRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


class TicketDetailSerializer(TicketOutputSerializer):
    """A ticket with its history, its time limit today, its files and linked tickets."""

    events = serializers.SerializerMethodField()
    clock = serializers.SerializerMethodField(help_text="Its clock (docs/clock.md §8), or null.")
    attachments = serializers.SerializerMethodField()
    # DRF's metaclass takes declared fields off the class, so this does not hide Field.parent.
    parent = serializers.SerializerMethodField(  # type: ignore[assignment]
        help_text="Merged into (并单), or null."
    )
    duplicates = serializers.SerializerMethodField(help_text="Duplicates merged into it.")
    split_from = serializers.SerializerMethodField(help_text="Split from (拆单), or null.")
    parts = serializers.SerializerMethodField(help_text="The parts it was split into.")
    supervision_task = serializers.SerializerMethodField(help_text="Escalated into, or null.")

    class Meta(TicketOutputSerializer.Meta):
        fields = [
            *TicketOutputSerializer.Meta.fields,
            "events",
            "clock",
            "attachments",
            "parent",
            "duplicates",
            "split_from",
            "parts",
            "supervision_task",
        ]

    def _links(self, ticket: Ticket) -> selectors.TicketLinks:
        cache: dict[int, selectors.TicketLinks] = self.context.setdefault("_links", {})
        if ticket.pk not in cache:
            cache[ticket.pk] = selectors.ticket_links(ticket)
        return cache[ticket.pk]

    @staticmethod
    def _linked(linked: selectors.LinkedTicket | None) -> dict[str, Any] | None:
        if linked is None:
            return None
        return {
            "id": linked.id,
            "number": linked.number,
            "status": linked.status,
            "department": linked.department,
        }

    @extend_schema_field(TicketAttachmentSerializer(many=True))
    def get_attachments(self, ticket: Ticket) -> list[Any]:
        rows = selectors.ticket_attachments(ticket)
        return list(TicketAttachmentSerializer(rows, many=True, context=self.context).data)

    @extend_schema_field(LinkedTicketSerializer(allow_null=True))
    def get_parent(self, ticket: Ticket) -> dict[str, Any] | None:
        return self._linked(self._links(ticket).parent)

    @extend_schema_field(LinkedTicketSerializer(many=True))
    def get_duplicates(self, ticket: Ticket) -> list[Any]:
        return [self._linked(t) for t in self._links(ticket).duplicates]

    @extend_schema_field(LinkedTicketSerializer(allow_null=True))
    def get_split_from(self, ticket: Ticket) -> dict[str, Any] | None:
        return self._linked(self._links(ticket).split_from)

    @extend_schema_field(LinkedTicketSerializer(many=True))
    def get_parts(self, ticket: Ticket) -> list[Any]:
        return [self._linked(t) for t in self._links(ticket).parts]

    @extend_schema_field(SupervisionTaskRefSerializer(allow_null=True))
    def get_supervision_task(self, ticket: Ticket) -> dict[str, Any] | None:
        links = self._links(ticket)
        if links.supervision_task_id is None:
            return None
        return {"id": links.supervision_task_id, "number": links.supervision_task_number}

    @extend_schema_field(TicketEventSerializer(many=True))
    def get_events(self, ticket: Ticket) -> list[Any]:
        return list(TicketEventSerializer(selectors.ticket_events(ticket), many=True).data)

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_clock(self, ticket: Ticket) -> dict[str, Any] | None:
        clock = clock_of_item(item=ticket, kind=services.CLOCK_KIND)
        return dict(clock_as_dict(clock)) if clock is not None else None


def _choice(enum: Any) -> list[str]:
    return [member.value for member in enum]


class TicketRegisterSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=_choice(rules.Channel))
    ticket_type = serializers.ChoiceField(choices=_choice(rules.TicketType))
    # The same limits as the web form and Open311 (4000), and as the columns below.
    description = serializers.CharField(max_length=4000)
    urgency = serializers.ChoiceField(
        choices=_choice(rules.Urgency), default=rules.Urgency.ORDINARY.value
    )
    category = serializers.CharField(required=False, help_text="Category code (分类编码).")
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    district = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    reporter_name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=100
    )
    reporter_phone = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20
    )
    reporter_id_number = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_reporter_id_number(self, value: str) -> str:
        """Optional; when given, a valid resident ID number (check character, birth date)."""
        if not value.strip():
            return ""
        try:
            return validate_resident_id(value)
        except InvalidInput as error:
            raise serializers.ValidationError(error.message) from error


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why; required.")


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(help_text="The answer given on the call (直办).")


class DispatchSerializer(serializers.Serializer):
    department = serializers.CharField(help_text="Code of the handling department.")


class ReplySerializer(serializers.Serializer):
    reply = serializers.CharField(help_text="The department's reply (答复).")


class ReturnVisitSerializer(serializers.Serializer):
    level = serializers.IntegerField(min_value=1, max_value=5, help_text="1 (very bad)–5.")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class MergeSerializer(serializers.Serializer):
    into = serializers.CharField(
        help_text="The parent ticket: its number (GD…) or its id; it must be open."
    )


class SplitPartSerializer(serializers.Serializer):
    department = serializers.JSONField(
        help_text="The part's department: its id (an integer) or its code (a string)."
    )
    description = serializers.CharField(help_text="What this department is to do.")


class SplitSerializer(serializers.Serializer):
    parts = SplitPartSerializer(many=True, help_text="2 to 10 parts, each to its department.")


class EscalateSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True, default="")
    limit_days = serializers.IntegerField(
        required=False,
        default=services.DEFAULT_ESCALATION_LIMIT_DAYS,
        help_text="Working days the unit gets from the hand-over (1–250).",
    )
    lead_unit = serializers.JSONField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Department id or code; default the handling department.",
    )


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, JPEG, PNG or OFD; at most 10 MiB by default.")


class EmptySerializer(serializers.Serializer):
    pass


def _department_of(value: Any, field: str) -> Department:
    """A department named by id (an integer) or code (a string; a numeric id as a fallback)."""
    department = None
    if isinstance(value, int) and not isinstance(value, bool):
        department = Department.objects.filter(pk=value).first()
    elif isinstance(value, str) and value.strip():
        code = value.strip()
        department = Department.objects.filter(code=code).first()
        if department is None and code.isdigit():
            department = Department.objects.filter(pk=int(code)).first()
    if department is None:
        raise InvalidInput(
            _("%(field)s: no department with id or code %(value)s.")
            % {"field": field, "value": value},
            details={"field": field, "value": value},
        )
    return department


def _ticket_named(user: Any, value: str) -> Ticket:
    """A ticket the user sees, named by its number (GD…) or its id."""
    text = value.strip()
    ticket = None
    if text.upper().startswith("GD"):
        ticket = selectors.tickets_visible_to(user).filter(number=text.upper()).first()
    elif text.isdigit():
        ticket = selectors.tickets_visible_to(user).filter(pk=int(text)).first()
    if ticket is None:
        raise InvalidInput(
            _("into: no ticket %(value)s that you may see; give its number or id.")
            % {"value": text},
            details={"field": "into", "value": text},
        )
    return ticket


@extend_schema(tags=TAGS)
class TicketListApi(ListAPIView[Ticket]):
    """Tickets the caller may see, newest first; operators register new ones here."""

    permission_classes = [IsAuthenticated]
    serializer_class = TicketOutputSerializer
    pagination_class = StandardPagination

    def get_queryset(self) -> QuerySet[Ticket]:
        if not selectors.may_list_tickets(self.request.user):
            raise PermissionDenied(
                _(
                    "The ticket list is for hotline operators, the efficiency office and "
                    "department staff; follow your own ticket by its number and query code."
                )
            )
        tickets = selectors.tickets_visible_to(self.request.user)
        params = self.request.query_params
        if params.get("status"):
            tickets = tickets.filter(status=params["status"])
        if params.get("type"):
            tickets = tickets.filter(ticket_type=params["type"])
        if params.get("department"):
            tickets = tickets.filter(department__code=params["department"])
        return tickets.order_by("-created_at", "-id")

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, description="registered, dispatched, …"),
            OpenApiParameter("type", str, description="consultation, complaint, …"),
            OpenApiParameter("department", str, description="Handling department code."),
        ],
        responses={
            200: TicketOutputSerializer(many=True),
            403: OpenApiResponse(
                ErrorSerializer, description="Citizens, enterprises and partners: not theirs."
            ),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=TicketRegisterSerializer,
        responses={201: TicketDetailSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        # The role before the body: a caller who may never register learns that, not the shape.
        services.require_operator(request.user)
        data = valid(TicketRegisterSerializer, request.data)
        category = category_by_code(data.pop("category", None))
        ticket = services.ticket_register(actor=request.user, category=category, **data)
        ticket = selectors.ticket_for_user(request.user, ticket.pk)
        body = TicketDetailSerializer(ticket, context={"request": request}).data
        return Response(body, status=201)


@extend_schema(tags=TAGS)
class TicketDetailApi(APIView):
    """One ticket with its events and clock."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: TicketDetailSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        ticket = selectors.ticket_for_user(request.user, pk)
        return Response(TicketDetailSerializer(ticket, context={"request": request}).data)


class _TicketActionApi(APIView):
    """POST one action on a ticket; answers the ticket as it is after the action."""

    permission_classes = [IsAuthenticated]
    input_serializer: type[serializers.Serializer] = EmptySerializer

    def act(self, actor: Any, ticket: Ticket, data: dict[str, Any]) -> Ticket:
        raise NotImplementedError  # every concrete action overrides it

    def post(self, request: Request, pk: int) -> Response:
        ticket = selectors.ticket_for_user(request.user, pk)
        data = valid(self.input_serializer, request.data)
        # The service's answer, not a fresh read: a department that sends a ticket back no
        # longer sees it, yet is told what it did.
        ticket = self.act(request.user, ticket, data)
        return Response(TicketDetailSerializer(ticket, context={"request": request}).data)


def _action_schema(serializer: type[serializers.Serializer]) -> Any:
    return extend_schema(
        tags=TAGS,
        request=None if serializer is EmptySerializer else serializer,
        responses={200: TicketDetailSerializer, **ERRORS},
    )


class TicketCloseNotAcceptedApi(_TicketActionApi):
    """不予受理: the operator closes a matter the hotline does not take (§7)."""

    input_serializer = ReasonSerializer

    @_action_schema(ReasonSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def act(self, actor: Any, ticket: Ticket, data: dict[str, Any]) -> Ticket:
        return services.ticket_close_not_accepted(actor=actor, ticket=ticket, reason=data["reason"])


class TicketAnswerDirectlyApi(_TicketActionApi):
    """直办: the operator answers on the call and closes the ticket."""

    input_serializer = AnswerSerializer

    @_action_schema(AnswerSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def act(self, actor: Any, ticket: Ticket, data: dict[str, Any]) -> Ticket:
        return services.ticket_answer_directly(actor=actor, ticket=ticket, answer=data["answer"])


class TicketDispatchApi(_TicketActionApi):
    """派单: the operator sends the ticket to a handling department (starts its clock)."""

    input_serializer = DispatchSerializer

    @_action_schema(DispatchSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def act(self, actor: Any, ticket: Ticket, data: dict[str, Any]) -> Ticket:
        department = department_by_code(data["department"])
        assert department is not None  # the serializer requires the code
        return services.ticket_dispatch(actor=actor, ticket=ticket, department=department)


class TicketAcceptApi(_TicketActionApi):
    """签收: the handling department takes the ticket."""

    @_action_schema(EmptySerializer)
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def act(self, actor: Any, ticket: Ticket, data: dict[str, Any]) -> Ticket:
        return services.ticket_accept(actor=actor, ticket=ticket)


class TicketReturnApi(_TicketActionApi):
    """退单: the department sends back a ticket that is not its own, with the reason."""

    input_serializer = ReasonSerializer

    @_action_schema(ReasonSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def act(self, actor: Any, ticket: Ticket, data: dict[str, Any]) -> Ticket:
        return services.ticket_return(actor=actor, ticket=ticket, reason=data["reason"])


class TicketReplyApi(_TicketActionApi):
    """答复: the department replies (stops its clock)."""

    input_serializer = ReplySerializer

    @_action_schema(ReplySerializer)
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def act(self, actor: Any, ticket: Ticket, data: dict[str, Any]) -> Ticket:
        return services.ticket_reply(actor=actor, ticket=ticket, reply=data["reply"])


class TicketReturnVisitApi(_TicketActionApi):
    """回访: the operator records the reporter's satisfaction, 1–5."""

    input_serializer = ReturnVisitSerializer

    @_action_schema(ReturnVisitSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def act(self, actor: Any, ticket: Ticket, data: dict[str, Any]) -> Ticket:
        return services.ticket_return_visit(
            actor=actor, ticket=ticket, level=data["level"], note=data["note"]
        )


class TicketMergeApi(_TicketActionApi):
    """并单: the operator merges a registered duplicate under an open parent ticket."""

    input_serializer = MergeSerializer

    @_action_schema(MergeSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def act(self, actor: Any, ticket: Ticket, data: dict[str, Any]) -> Ticket:
        into = _ticket_named(actor, data["into"])
        return services.ticket_merge(actor=actor, ticket=ticket, into=into)


class TicketSplitApi(_TicketActionApi):
    """拆单: the operator splits a registered ticket; each part is dispatched at once."""

    input_serializer = SplitSerializer

    @_action_schema(SplitSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def act(self, actor: Any, ticket: Ticket, data: dict[str, Any]) -> Ticket:
        parts = [
            (_department_of(part["department"], f"parts[{index}].department"), part["description"])
            for index, part in enumerate(data["parts"])
        ]
        services.ticket_split(actor=actor, ticket=ticket, parts=parts)
        return ticket


class TicketEscalateApi(_TicketActionApi):
    """升级督办: the efficiency office opens a supervision task for an open ticket."""

    input_serializer = EscalateSerializer

    @_action_schema(EscalateSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def act(self, actor: Any, ticket: Ticket, data: dict[str, Any]) -> Ticket:
        lead = data.get("lead_unit")
        services.ticket_escalate(
            actor=actor,
            ticket=ticket,
            title=data["title"],
            limit_days=data["limit_days"],
            lead_unit=_department_of(lead, "lead_unit") if lead not in (None, "") else None,
        )
        return ticket


@extend_schema(tags=TAGS)
class TicketAttachmentsApi(APIView):
    """Add a file to a ticket (multipart ``file``): operators and the reporter's own account."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: TicketAttachmentSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        ticket = selectors.ticket_for_user_or_reporter(request.user, pk)
        data = valid(AttachmentUploadSerializer, request.data)
        row = services.ticket_attach(actor=request.user, ticket=ticket, upload=data["file"])
        body = TicketAttachmentSerializer(row, context={"request": request}).data
        return Response(body, status=201)


class HotlineKpisSerializer(serializers.Serializer):
    """The hotline KPIs (docs/hotline.md, "API and KPIs"); rates in [0, 1] or null."""

    tickets_total = serializers.IntegerField()
    merged = serializers.IntegerField(help_text="Duplicates merged under a parent (并单).")
    split = serializers.IntegerField(help_text="Tickets split into parts (拆单).")
    first_contact_resolution_rate = serializers.FloatField(allow_null=True)
    on_time_rate = serializers.FloatField(allow_null=True)
    satisfaction_rate = serializers.FloatField(allow_null=True)
    reopen_rate = serializers.FloatField(allow_null=True)
    return_rate = serializers.FloatField(allow_null=True)
    by_channel = serializers.DictField(child=serializers.IntegerField())
    by_type = serializers.DictField(child=serializers.IntegerField())
    by_department = serializers.DictField(child=serializers.IntegerField())
    by_district = serializers.DictField(child=serializers.IntegerField())
    hot_topics = serializers.ListField(child=serializers.DictField())


class KpiQuerySerializer(serializers.Serializer):
    department = serializers.CharField(required=False, help_text="Department code.")
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


@extend_schema(tags=TAGS)
class HotlineKpisApi(APIView):
    """The KPIs: the office and operators for any department or all, a head for their own."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("department", str, description="Department code; all if absent."),
            OpenApiParameter("from", str, description="First registration day, YYYY-MM-DD."),
            OpenApiParameter("to", str, description="Last registration day, YYYY-MM-DD."),
        ],
        responses={200: HotlineKpisSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        query = valid(
            KpiQuerySerializer,
            {
                key: value
                for key, value in (
                    ("department", params.get("department")),
                    ("date_from", params.get("from")),
                    ("date_to", params.get("to")),
                )
                if value
            },
        )
        department_id = self._department_id(request.user, query.get("department"))
        figures = kpi_selectors.hotline_kpis(
            department_id=department_id,
            date_from=query.get("date_from"),
            date_to=query.get("date_to"),
        )
        return Response(HotlineKpisSerializer(figures).data)

    @staticmethod
    def _department_id(user: Any, code: str | None) -> int | None:
        department = department_by_code(code)
        if services.is_operator(user):
            return department.pk if department is not None else None
        if user.role == Role.HEAD and user.department_id is not None:
            if department is not None and department.pk != user.department_id:
                raise PermissionDenied(
                    _("A department head sees the KPIs of their own department.")
                )
            return int(user.department_id)
        raise PermissionDenied(
            _("Only the efficiency office, hotline operators and department heads see the KPIs.")
        )
