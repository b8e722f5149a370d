"""Admin screens: departments, users (identity masked in lists), API tokens, failed sign-ins."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from xiaoneng.accounts.forms import ThrottledAdminAuthenticationForm
from xiaoneng.accounts.models import ApiToken, Department, LoginFailure, User
from xiaoneng.accounts.services import api_token_revoke, identity_access_record
from xiaoneng.core.masking import mask_id_number
from xiaoneng.core.services import audit_record

# The admin site's own sign-in page counts failures and refuses locked-out users too.
admin.site.login_form = ThrottledAdminAuthenticationForm


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level", "is_service_unit"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


XIAONENG_FIELDS = ("role", "department", "display_name", "id_number", "credit_code", "phone")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Users with role, department and identity; lists show the identity number masked.

    Opening a user's page shows their identity number and phone in full to the administrator,
    which is logged as an access to personal data (DOMAIN_RULES.md §10).
    """

    list_display = [
        "username",
        "display_name",
        "role",
        "department",
        "masked_identity",
        "is_active",
    ]
    list_filter = ["role", "is_active"]
    list_select_related = ["department"]
    autocomplete_fields = ["department"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Xiaoneng", {"fields": XIAONENG_FIELDS}),
    )
    add_fieldsets = (
        *(BaseUserAdmin.add_fieldsets or ()),
        ("Xiaoneng", {"fields": XIAONENG_FIELDS}),
    )

    @admin.display(description=_("identity number"))
    def masked_identity(self, obj: User) -> str:
        return mask_id_number(obj.identity_number) if obj.identity_number else ""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            user = User.objects.filter(pk=object_id).first()
            viewer = request.user
            if user is not None and isinstance(viewer, User) and viewer.pk != user.pk:
                shown = [f for f in ("id_number", "credit_code", "phone") if getattr(user, f)]
                if shown:
                    identity_access_record(viewer=viewer, user=user, fields=shown)
        return response

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                actor=request.user,
                action="accounts.user_update" if change else "accounts.user_register",
                target=obj,
                summary=f"{obj.username} ({obj.role}) via admin",
                data={"changed": sorted(form.changed_data)},
            )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued through the API; here they can be seen and revoked, not edited."""

    list_display = [
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    list_select_related = ["user"]
    search_fields = ["prefix", "user__username", "name"]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(actor=request.user, token=token)  # type: ignore[arg-type]
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    """Read-only: failed sign-ins as recorded for throttling."""

    list_display = ["at", "username", "ip", "channel"]
    list_filter = ["channel"]
    search_fields = ["username", "ip"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
