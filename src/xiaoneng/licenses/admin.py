"""Admin screens: e-licenses and seal keys, read-only (writes go through the services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from xiaoneng.licenses.models import License, LicenseType, SealKey


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(License)
class LicenseAdmin(_ReadOnly):
    list_display = ["identifier", "result_name", "department_name", "issued_on", "status"]
    list_filter = ["status", "department"]
    search_fields = ["identifier", "result_name", "matter_code"]
    # The private half of seals never shows; the holder's code is left out of lists.
    exclude = ["holder_code"]


@admin.register(SealKey)
class SealKeyAdmin(_ReadOnly):
    list_display = ["fingerprint", "department", "created_at", "retired_at"]
    exclude = ["private_key_sealed"]


@admin.register(LicenseType)
class LicenseTypeAdmin(_ReadOnly):
    list_display = ["department", "number", "name"]
