"""Ratings, rectifications and appeals in the admin: read-only (writes go through services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from xiaoneng.ratings.models import Rating, RatingAppeal, Rectification


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    # Every change has rules, a clock and an audit event: the services make them, not forms.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Rating)
class RatingAdmin(_ReadOnly):
    list_display = ["id", "created_at", "department", "level", "is_bad", "channel", "appeal_state"]
    list_filter = ["level", "is_bad", "channel", "appeal_state"]
    list_select_related = ["department"]
    date_hierarchy = "created_at"


@admin.register(Rectification)
class RectificationAdmin(_ReadOnly):
    list_display = ["id", "created_at", "department", "state", "visited_on", "completed_at"]
    list_filter = ["state"]
    list_select_related = ["department"]


@admin.register(RatingAppeal)
class RatingAppealAdmin(_ReadOnly):
    list_display = ["id", "filed_at", "rating", "state", "decided_at"]
    list_filter = ["state"]
