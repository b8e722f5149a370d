"""Admin screens of the holiday table.

Every save and delete goes through :mod:`xiaoneng.calendars.services`, so each change is
audited and the due dates that depend on it are recomputed. Both changelists show what the
table covers; the years' changelist has an "Import a notice file" page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.calendars import selectors, services
from xiaoneng.calendars.documents import load_yaml, parse_year_document
from xiaoneng.calendars.models import CalendarDay, CalendarDayKind, CalendarYear
from xiaoneng.core.errors import XiaonengError

# A notice file is a few kilobytes; anything much larger is the wrong file.
MAX_IMPORT_BYTES = 512 * 1024


class _CoverageAdmin(admin.ModelAdmin):
    """Puts the table's coverage above a changelist."""

    change_list_template = "admin/calendars/change_list.html"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            **(extra_context or {}),
            "calendar_coverage": selectors.calendar_coverage(today=timezone.localdate()),
            "next_year": timezone.localdate().year + 1,
        }
        return super().changelist_view(request, extra_context=context)


class CalendarImportForm(forms.Form):
    """Upload of one year's YAML file (format: docs/calendar.md)."""

    file = forms.FileField(
        label=gettext_lazy("YAML file"),
        help_text=gettext_lazy(
            "One year of holidays and adjusted working days, in the format of docs/calendar.md "
            "(xiaoneng calendar export YEAR writes one)."
        ),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run"),
        required=False,
        initial=True,
        help_text=gettext_lazy("Check the file and show what would change, without writing."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                _("Expected a file of at most %(max)s KB, got %(size)s KB.")
                % {"max": MAX_IMPORT_BYTES // 1024, "size": upload.size // 1024}
            )
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                _("Expected a UTF-8 text file, got undecodable bytes at position %(pos)s.")
                % {"pos": exc.start}
            ) from exc
        try:
            self.cleaned_data["document"] = parse_year_document(load_yaml(text))
        except XiaonengError as exc:
            raise forms.ValidationError(exc.details.get("errors") or [exc.message]) from exc
        return upload


@admin.register(CalendarYear)
class CalendarYearAdmin(_CoverageAdmin):
    list_display = [
        "year",
        "source",
        "notice",
        "holiday_count",
        "workday_count",
        "imported_at",
        "imported_by",
    ]
    list_filter = ["source"]
    search_fields = ["notice"]
    ordering = ["-year"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CalendarYear]:
        def count(kind: str) -> Coalesce:
            rows = (
                CalendarDay.objects.filter(year=OuterRef("year"), kind=kind)
                .order_by()
                .values("year")
                .annotate(n=Count("id"))
                .values("n")
            )
            return Coalesce(Subquery(rows, output_field=IntegerField()), 0)

        return (
            super()
            .get_queryset(request)
            .select_related("imported_by")
            .annotate(
                holidays=count(CalendarDayKind.HOLIDAY),
                adjusted_workdays=count(CalendarDayKind.WORKDAY),
            )
        )

    @admin.display(description=gettext_lazy("holidays"), ordering="holidays")
    def holiday_count(self, obj: Any) -> int:
        return int(obj.holidays)

    @admin.display(description=gettext_lazy("adjusted working days"), ordering="adjusted_workdays")
    def workday_count(self, obj: Any) -> int:
        return int(obj.adjusted_workdays)

    def get_fields(self, request: HttpRequest, obj: CalendarYear | None = None) -> Any:
        if obj is None:
            return ["year", "notice"]
        return ["year", "source", "notice", "imported_at", "imported_by", "revision", "updated_at"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: CalendarYear | None = None
    ) -> list[str]:
        if obj is None:
            return []
        return ["year", "source", "imported_at", "imported_by", "revision", "updated_at"]

    def save_model(self, request: HttpRequest, obj: CalendarYear, form: Any, change: bool) -> None:
        if change:
            row = services.calendar_year_update(
                actor=request.user, year=obj.year, notice=obj.notice
            )
        else:
            row = services.calendar_year_create(
                actor=request.user, year=obj.year, notice=obj.notice
            )
            messages.info(
                request,
                _(
                    "%(year)s is now covered with the days entered for it; check its holidays "
                    "and adjusted working days in the calendar days list."
                )
                % {"year": row.year},
            )
        obj.pk = row.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: CalendarYear) -> None:
        services.calendar_year_remove(actor=request.user, year=obj.year)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarYear]) -> None:
        with transaction.atomic():
            for year in list(queryset.values_list("year", flat=True)):
                services.calendar_year_remove(actor=request.user, year=year)

    # -- import page ------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:  # type: ignore[override]
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="calendars_calendaryear_import",
            )
        ]
        return own + super().get_urls()  # type: ignore[operator]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload one year's YAML file; a dry run shows the changes, a real run applies them."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        summary = None
        if request.method == "POST":
            form = CalendarImportForm(request.POST, request.FILES)
            if form.is_valid():
                document = form.cleaned_data["document"]
                dry_run = form.cleaned_data["dry_run"]
                try:
                    summary = services.calendar_year_import(
                        actor=request.user, document=document, dry_run=dry_run
                    )
                except XiaonengError as exc:
                    form.add_error(None, exc.message)
                else:
                    if not dry_run:
                        messages.success(request, summary.line())
                        return HttpResponseRedirect(
                            reverse("admin:calendars_calendaryear_changelist")
                        )
        else:
            form = CalendarImportForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a year of holidays"),
            "form": form,
            "summary": summary,
        }
        return TemplateResponse(request, "admin/calendars/import.html", context)


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["day", "kind", "name"]


@admin.register(CalendarDay)
class CalendarDayAdmin(_CoverageAdmin):
    form = CalendarDayForm
    list_display = ["day", "weekday", "kind", "name", "year", "in_effect"]
    list_filter = ["kind", "year"]
    search_fields = ["name"]
    date_hierarchy = "day"
    ordering = ["-day"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CalendarDay]:
        covered = CalendarYear.objects.filter(year=OuterRef("year"))
        return super().get_queryset(request).annotate(covered=Exists(covered))

    @admin.display(description=gettext_lazy("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return str(WEEKDAYS[obj.day.weekday()])

    @admin.display(description=gettext_lazy("in effect"), boolean=True, ordering="covered")
    def in_effect(self, obj: Any) -> bool:
        """Days of an uncovered year are drafts until the year is added."""
        return bool(obj.covered)

    def get_readonly_fields(
        self, request: HttpRequest, obj: CalendarDay | None = None
    ) -> list[str]:
        # A day is the row's identity: move a day by deleting it and adding another.
        return ["day"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        row = services.calendar_day_set(
            actor=request.user, day=obj.day, kind=obj.kind, name=obj.name
        )
        obj.pk = row.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        services.calendar_day_remove(actor=request.user, day=obj.day)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        with transaction.atomic():
            for day in list(queryset.values_list("day", flat=True)):
                services.calendar_day_remove(actor=request.user, day=day)
