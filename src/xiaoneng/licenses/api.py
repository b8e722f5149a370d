"""The e-license API: public-safe details and verification of an identifier or a copy.

Errors answer in the one shape of ``core.api`` (``{"error": {"code", "message", "details"}}``).
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xiaoneng.core.api import ErrorSerializer
from xiaoneng.core.errors import InvalidInput, NotFound
from xiaoneng.licenses import selectors

TAGS = ["licenses"]


class VerificationSerializer(serializers.Serializer):
    """The answer of a verification; personal data only masked, and record fields only for a
    genuine license (valid, revoked or expired)."""

    identifier = serializers.CharField(help_text="The identifier verified.")
    valid = serializers.BooleanField(help_text="True only when status is valid.")
    status = serializers.ChoiceField(
        choices=[s.value for s in selectors.VerificationStatus],
        help_text="valid, revoked, expired (genuine but not in force), forged, or unknown.",
    )
    reason = serializers.ChoiceField(
        choices=list(selectors.REASONS), help_text="Why, as a machine code."
    )
    message = serializers.CharField(help_text="Why, for people, in the request's language.")
    copy_checked = serializers.BooleanField(help_text="True when a submitted copy was compared.")
    holder = serializers.CharField(allow_null=True, help_text="Holder's name, masked.")
    holder_code = serializers.CharField(allow_null=True, help_text="ID or credit code, masked.")
    department = serializers.CharField(allow_null=True, help_text="Issuing department.")
    license_type = serializers.CharField(allow_null=True)
    matter_code = serializers.CharField(allow_null=True)
    matter_name = serializers.CharField(allow_null=True)
    result_name = serializers.CharField(allow_null=True)
    issued_on = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True, help_text="null: no end date.")
    revoked_at = serializers.DateTimeField(allow_null=True)
    revocation_reason = serializers.CharField(allow_null=True)
    content_digest = serializers.CharField(allow_null=True, help_text="SM3 of the sealed content.")
    signature_fingerprint = serializers.CharField(allow_null=True)
    seal_key = serializers.CharField(allow_null=True, help_text="Seal key fingerprint.")
    verify_url = serializers.URLField(allow_null=True, help_text="Public verification page.")


class VerifyInputSerializer(serializers.Serializer):
    identifier = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="The identifier to verify; may be left out when a copy names it.",
    )
    file = serializers.FileField(
        required=False, help_text="A PDF copy of the result document (multipart)."
    )
    content = serializers.JSONField(
        required=False,
        help_text="The sealed content as a JSON object (or a string holding one) to compare.",
    )


class LicenseDetailApi(APIView):
    """Public-safe fields and the verification status of one e-license."""

    @extend_schema(
        tags=TAGS,
        operation_id="licenses_retrieve",
        summary="An e-license's public-safe fields and status",
        description=(
            "Anyone may read this: the holder is masked. The status is the result of a full "
            "verification of the record's seal. A license not issued here answers 404."
        ),
        responses={
            200: VerificationSerializer,
            404: OpenApiResponse(ErrorSerializer, description="No such e-license."),
        },
    )
    def get(self, request: Request, identifier: str) -> Response:
        result = selectors.license_verify(identifier=identifier)
        if result.license is None:
            raise NotFound(_("No e-license with identifier %(id)s.") % {"id": identifier})
        return Response(VerificationSerializer(selectors.license_public_data(result)).data)


class LicenseVerifyApi(APIView):
    """Verify an identifier, or a copy: an uploaded PDF or the sealed content as JSON."""

    authentication_classes: list[Any] = []  # public, and no CSRF dance for anonymous clients
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        tags=TAGS,
        operation_id="licenses_verify",
        summary="Verify an e-license or a copy of it",
        description=(
            "Send `identifier` alone to verify the record; add `file` (a PDF, multipart) or "
            "`content` (JSON) to check a copy too. A copy whose identifier or digest does not "
            "match the record, or a PDF that is not byte for byte the issued document, "
            "answers `forged`. Always 200 with a status, except for malformed requests (400)."
        ),
        request={
            "multipart/form-data": VerifyInputSerializer,
            "application/json": VerifyInputSerializer,
        },
        responses={
            200: VerificationSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Nothing to verify."),
        },
        examples=[
            OpenApiExample(
                "By identifier",
                value={
                    "identifier": "1.2.156.3005.2.ZABCDEFGHIJKLMNOPQ001.ZABCDEFGHIJKLMNOPQ."
                    "202500000001.001.K"
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = VerifyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        identifier = (serializer.validated_data.get("identifier") or "").strip()
        upload = serializer.validated_data.get("file")
        content_value = serializer.validated_data.get("content")
        content: bytes | None = None
        if upload is not None:
            if upload.size > selectors.MAX_COPY_BYTES:
                too_large = selectors.VerificationResult(
                    identifier, selectors.VerificationStatus.UNKNOWN, "too_large"
                )
                data = selectors.license_public_data(too_large)
                return Response(VerificationSerializer(data).data)
            content = upload.read()
        elif content_value is not None:
            content = _content_bytes(content_value)
        if not identifier and content is None:
            raise InvalidInput(_("Expected an identifier, a file or content to verify."))
        result = selectors.license_verify(identifier=identifier, content=content)
        return Response(VerificationSerializer(selectors.license_public_data(result)).data)


def _content_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False).encode("utf-8")
    raise InvalidInput(_("Expected content as a JSON object."))
