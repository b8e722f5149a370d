"""Admin screens for applications: read-only; every change goes through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from xiaoneng.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    Commitment,
)


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(_ReadOnly, admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    fields = ("at", "actor", "action", "from_status", "to_status", "reason")
    readonly_fields = fields


class MaterialInline(_ReadOnly, admin.TabularInline):
    model = ApplicationMaterial
    extra = 0
    fields = ("material", "kind", "original_name", "content_type", "size", "sha256", "added_by")
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = (
        "number",
        "matter",
        "department",
        "applicant_name",
        "channel",
        "status",
        "received_on",
        "accepted_on",
        "concluded_on",
    )
    list_filter = ("status", "channel", "kind")
    search_fields = ("number", "applicant_name", "matter__code")
    list_select_related = ("matter", "department")
    exclude = ("applicant_code",)  # personal data: masked everywhere (DOMAIN_RULES.md §10)
    inlines = [EventInline, MaterialInline]


@admin.register(Commitment)
class CommitmentAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("application", "material", "signer", "signed_at")
    list_select_related = ("application", "material", "signer")
