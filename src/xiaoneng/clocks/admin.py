"""Admin screens for clocks: look, filter and recompute; every write goes through the services.

Clocks are started, paused, extended and stopped by the module that owns the tracked item
(applications, hotline, supervision…), so the admin shows them read-only; its only actions
call :func:`~xiaoneng.clocks.services.clock_recompute`. Warning policies are edited here
through :func:`~xiaoneng.clocks.services.clock_policy_set`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.clocks import services
from xiaoneng.clocks.models import Clock, ClockExtension, ClockPause, ClockPolicy
from xiaoneng.core.errors import XiaonengError


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ClockPauseInline(_ReadOnlyInline):
    model = ClockPause
    fields = ("began_on", "ended_on", "kind", "reason", "actor", "ended_by", "created_at")
    readonly_fields = fields


class ClockExtensionInline(_ReadOnlyInline):
    model = ClockExtension
    fields = ("days", "approved_on", "reason", "approver", "created_at")
    readonly_fields = fields


@admin.register(Clock)
class ClockAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "kind",
        "department",
        "state",
        "started_on",
        "limit_days",
        "extension_days",
        "due_on",
        "due_provisional",
        "warning",
        "stopped_on",
    )
    list_filter = ("warning", "state", "kind", "due_provisional", "department")
    list_select_related = ("department",)
    search_fields = ("label", "object_id", "kind")
    date_hierarchy = "due_on"
    ordering = ("due_on", "id")
    inlines = (ClockPauseInline, ClockExtensionInline)
    actions = ("recompute",)
    readonly_fields = (
        "content_type",
        "object_id",
        "department",
        "kind",
        "label",
        "limit_days",
        "extension_allowance_days",
        "extension_days",
        "started_on",
        "stopped_on",
        "state",
        "due_on",
        "due_provisional",
        "yellow_on",
        "warning",
        "created_at",
        "updated_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A clock starts with its item (clock_start), never on its own.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Recompute due date and warning"))
    def recompute(self, request: HttpRequest, queryset: QuerySet[Clock]) -> None:
        changed = 0
        for clock in queryset:
            before = (clock.due_on, clock.due_provisional, clock.yellow_on, clock.warning)
            try:
                services.clock_recompute(clock=clock)
            except XiaonengError as exc:
                self.message_user(request, f"{clock}: {exc.message}", messages.ERROR)
                continue
            if (clock.due_on, clock.due_provisional, clock.yellow_on, clock.warning) != before:
                changed += 1
        self.message_user(
            request,
            _("%(n)s clocks recomputed, %(changed)s changed.")
            % {"n": queryset.count(), "changed": changed},
        )


@admin.register(ClockPolicy)
class ClockPolicyAdmin(admin.ModelAdmin):
    list_display = ("kind", "yellow_fraction", "yellow_min_days_before", "updated_at")
    search_fields = ("kind",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("kind", "updated_at") if obj is not None else ("updated_at",)

    def save_model(self, request: HttpRequest, obj: ClockPolicy, form: Any, change: bool) -> None:
        # Through the service: it audits the change and recomputes the kind's open clocks.
        saved = services.clock_policy_set(
            actor=request.user,
            kind=obj.kind,
            yellow_fraction=obj.yellow_fraction,
            yellow_min_days_before=obj.yellow_min_days_before,
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting would silently change yellow days; set the defaults instead.
        return False
