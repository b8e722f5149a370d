"""The inbox API: the caller's in-site messages, and marking one read.

Thin views: they check the caller through the access function, call one selector or service,
and shape the answer. Errors answer in the one shape of ``core.api``.
"""

from __future__ import annotations

from typing import Any

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

from xiaoneng.core.api import ErrorSerializer, StandardPagination
from xiaoneng.notifications import selectors, services
from xiaoneng.notifications.models import Message

TAGS = ["notifications"]


class RelatedItemSerializer(serializers.Serializer):
    type = serializers.CharField(
        help_text="app_label.model of the item, e.g. ratings.rectification."
    )
    id = serializers.CharField(help_text="Primary key of the item, as text.")


class MessageOutputSerializer(serializers.ModelSerializer[Message]):
    is_read = serializers.BooleanField(read_only=True)
    related = serializers.SerializerMethodField(help_text="What the message is about, or null.")

    class Meta:
        model = Message
        fields = ["id", "subject", "body", "created_at", "read_at", "is_read", "related"]

    @extend_schema_field(RelatedItemSerializer(allow_null=True))
    def get_related(self, message: Message) -> dict[str, Any] | None:
        ct = message.content_type
        if ct is None:
            return None
        return {"type": f"{ct.app_label}.{ct.model}", "id": message.object_id}


class MessageListApi(ListAPIView[Message]):
    """The caller's in-site messages (站内信), newest first, paginated."""

    permission_classes = [IsAuthenticated]
    serializer_class = MessageOutputSerializer
    pagination_class = StandardPagination

    def get_queryset(self) -> Any:
        unread = self.request.query_params.get("unread", "").strip().lower() in {"1", "true"}
        return selectors.message_inbox(user=self.request.user, unread_only=unread)

    @extend_schema(
        tags=TAGS,
        operation_id="messages_list",
        parameters=[
            OpenApiParameter("unread", bool, description="true: only the messages not opened yet."),
        ],
        responses={
            200: MessageOutputSerializer(many=True),
            403: OpenApiResponse(ErrorSerializer, description="Not signed in."),
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class MessageReadApi(APIView):
    """Mark one of the caller's in-site messages read (reading it twice changes nothing)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        operation_id="messages_read",
        request=None,
        responses={
            200: MessageOutputSerializer,
            403: OpenApiResponse(ErrorSerializer, description="Not signed in."),
            404: OpenApiResponse(
                ErrorSerializer,
                description="No such message, or it is someone else's (the same answer).",
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        message = selectors.message_for_user(request.user, pk)
        message = services.message_mark_read(actor=request.user, message=message)
        return Response(MessageOutputSerializer(message).data)
