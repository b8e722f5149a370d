"""The supervision room in the admin: read-only (every change goes through the services).

Each helper's models sit in their own section below.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from xiaoneng.supervision.models import (
    AccountabilityCase,
    AccountabilityEntry,
    SupervisionTask,
    SupervisionTaskEvent,
    WarningRecord,
)

# == supervision tasks and accountability cases (督查督办, 问责) ================================
#
# Read-only: every step moves a state pointer, appends to a history, runs a clock and leaves an
# audit event, so the services make changes, not admin forms.


class _SupervisionReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SupervisionTaskEventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = SupervisionTaskEvent
    extra = 0
    fields = ["on", "at", "actor", "action", "from_state", "to_state", "text"]
    readonly_fields = ["on", "at", "actor", "action", "from_state", "to_state", "text"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SupervisionTask)
class SupervisionTaskAdmin(_SupervisionReadOnly):
    list_display = [
        "number",
        "title",
        "source",
        "category",
        "lead_unit",
        "state",
        "created_on",
        "closed_on",
        "urge_count",
        "escalation_level",
    ]
    list_filter = ["state", "source", "category", "escalation_level"]
    list_select_related = ["lead_unit"]
    search_fields = ["number", "title"]
    date_hierarchy = "created_on"
    inlines = [SupervisionTaskEventInline]


class AccountabilityEntryInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AccountabilityEntry
    extra = 0
    fields = ["on", "at", "actor", "kind", "from_state", "to_state", "handling", "text"]
    readonly_fields = ["on", "at", "actor", "kind", "from_state", "to_state", "handling", "text"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccountabilityCase)
class AccountabilityCaseAdmin(_SupervisionReadOnly):
    list_display = [
        "number",
        "title",
        "responsible_unit",
        "state",
        "opened_on",
        "decision",
        "decided_on",
    ]
    list_filter = ["state", "decision"]
    list_select_related = ["responsible_unit"]
    search_fields = ["number", "title", "responsible_person_name"]
    date_hierarchy = "opened_on"
    inlines = [AccountabilityEntryInline]


# == end of supervision tasks and accountability cases =======================================


# == warnings ledger (预警台账) =================================================================
#
# Read-only: rows are written by the warning scan and closed by it or by a clock's stop
# (办结销号); an edit here would break "each change recorded and announced once".


@admin.register(WarningRecord)
class WarningRecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "id",
        "changed_on",
        "level",
        "previous_level",
        "clock",
        "kind",
        "department",
        "notified_at",
        "closed_on",
        "closed_reason",
    ]
    list_filter = ["level", "closed_reason", "kind"]
    list_select_related = ["clock", "department"]
    search_fields = ["clock__label"]
    date_hierarchy = "changed_on"
    raw_id_fields = ["clock"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# == end of warnings ledger ====================================================================
