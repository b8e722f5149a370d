"""The outbox in the admin: read-only rows, and a retry action that goes through the service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.notifications import services
from xiaoneng.notifications.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin[Message]):
    list_display = ["id", "created_at", "recipient", "channel", "subject", "state", "attempts"]
    list_filter = ["channel", "state"]
    search_fields = ["subject", "recipient__username"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
    actions = ["retry_failed"]

    # The outbox is written by the services only (STYLE.md habit 1).
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Queue the failed messages again"))
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        count = 0
        for message in queryset.filter(state="failed"):
            services.message_retry(actor=request.user, message=message)
            count += 1
        self.message_user(request, _("%(n)s messages queued again.") % {"n": count}, messages.INFO)
