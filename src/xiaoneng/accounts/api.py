"""The accounts API: obtain and revoke bearer tokens, and say who the caller is.

Thin views over the services, one class per resource. Errors answer in the one shape of
``core.api`` (``{"error": {"code", "message", "details"}}``).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xiaoneng.accounts.auth import BearerTokenAuthentication
from xiaoneng.accounts.errors import LoginThrottled
from xiaoneng.accounts.models import LoginChannel, User
from xiaoneng.accounts.selectors import user_display_identity, user_display_phone
from xiaoneng.accounts.services import api_token_issue, api_token_revoke, user_authenticate

TAGS = ["auth"]

ERROR_RESPONSE = inline_serializer(
    name="AuthErrorResponse",
    fields={
        "error": inline_serializer(
            name="AuthErrorBody",
            fields={
                "code": serializers.CharField(
                    help_text="invalid, invalid_credentials, throttled, not_authenticated, "
                    "token_unknown, token_expired, token_revoked, token_malformed, "
                    "user_inactive"
                ),
                "message": serializers.CharField(
                    help_text="What was wrong, in the request's language"
                ),
                "details": serializers.DictField(
                    help_text="For throttled: retry_after (seconds, also in Retry-After)"
                ),
            },
        )
    },
)


class _HeadersKeptApiView(APIView):
    """Puts back the headers the one error shape drops: ``WWW-Authenticate`` on 401 (RFC 9110)
    and ``Retry-After`` on 429."""

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if response.status_code == status.HTTP_401_UNAUTHORIZED:
            header = self.get_authenticate_header(self.request)
            if header:
                response.setdefault("WWW-Authenticate", header)
        if isinstance(exc, LoginThrottled):
            response["Retry-After"] = str(exc.retry_after)
        return response


class ApiTokenApi(_HeadersKeptApiView):
    """``POST``: exchange a user name and password for a bearer token; ``DELETE``: revoke it."""

    authentication_classes = [BearerTokenAuthentication]

    class ApiTokenObtainSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150, trim_whitespace=True)
        password = serializers.CharField(max_length=4096, trim_whitespace=False)
        name = serializers.CharField(
            max_length=100,
            required=False,
            allow_blank=True,
            help_text="What the token is for (shown in the admin), e.g. the client program",
        )

    class ApiTokenSerializer(serializers.Serializer):
        token = serializers.CharField(
            help_text="Send as `Authorization: Bearer <token>`; shown only this once"
        )
        expires_at = serializers.DateTimeField(help_text="When the token stops working")

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]

    def perform_authentication(self, request: Request) -> None:
        # Asking for a new token must work even while an expired one is still in the header.
        if request.method != "POST":
            super().perform_authentication(request)

    @extend_schema(
        operation_id="auth_token_obtain",
        summary="Obtain an API token",
        description=(
            "Exchange a user name and password for a bearer token, valid for 24 hours unless "
            "the deployment says otherwise. Wrong credentials answer 400 without saying which "
            "part was wrong. After 5 failed attempts for one user name, or from one address, "
            "within 15 minutes, further attempts are refused for 15 minutes with 429 and a "
            "`Retry-After` header; the web sign-in counts towards the same limits."
        ),
        request=ApiTokenObtainSerializer,
        responses={
            201: ApiTokenSerializer,
            400: OpenApiResponse(ERROR_RESPONSE, description="Wrong user name or password"),
            429: OpenApiResponse(ERROR_RESPONSE, description="Too many failed attempts"),
        },
        examples=[
            OpenApiExample(
                "demo partner", value={"username": "bank", "password": "demo"}, request_only=True
            ),
        ],
        auth=[],
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = self.ApiTokenObtainSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_authenticate(
            request=request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
            channel=LoginChannel.API,
        )
        issued = api_token_issue(actor=user, user=user, name=data.validated_data.get("name", ""))
        return Response(
            self.ApiTokenSerializer(
                {"token": issued.raw, "expires_at": issued.token.expires_at}
            ).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        operation_id="auth_token_revoke",
        summary="Revoke the token of this request",
        description="The token sent in `Authorization: Bearer` stops working at once.",
        request=None,
        responses={
            204: OpenApiResponse(description="Revoked"),
            401: OpenApiResponse(ERROR_RESPONSE, description="No valid bearer token"),
        },
        tags=TAGS,
    )
    def delete(self, request: Request) -> Response:
        api_token_revoke(actor=request.user, token=request.auth)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(_HeadersKeptApiView):
    """Who the caller is: user name, role, department and (their own) identity number."""

    permission_classes = [IsAuthenticated]

    class AccountSerializer(serializers.Serializer):
        username = serializers.CharField()
        display_name = serializers.CharField()
        role = serializers.CharField(
            help_text="citizen, enterprise, window, reviewer, head, office, admin or partner"
        )
        role_label = serializers.CharField(help_text="The role in the request's language")
        department = serializers.CharField(
            allow_null=True, help_text="Department code (部门编码), for staff"
        )
        identity = serializers.CharField(
            help_text="The caller's resident ID number or credit code; empty if none"
        )
        phone = serializers.CharField()
        email = serializers.CharField()

    @extend_schema(
        operation_id="auth_me",
        summary="The calling account",
        responses={
            200: AccountSerializer,
            401: OpenApiResponse(ERROR_RESPONSE, description="Not signed in"),
        },
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        body: dict[str, Any] = {
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "role_label": str(user.get_role_display()),
            "department": user.department.code if user.department is not None else None,
            "identity": user_display_identity(user, viewer=user),
            "phone": user_display_phone(user, viewer=user),
            "email": user.email,
        }
        return Response(self.AccountSerializer(body).data)
