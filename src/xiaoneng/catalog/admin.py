"""Admin screens for the catalog.

The matter screen shows the latest version's fields with its materials, fees and steps inline;
saving never edits that version: the form and the inlines are handed to
``services.matter_revise`` (or ``matter_create`` for a new matter), which appends a version with
the effective date given on the form. Versions themselves are view-only (history is kept).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet, fields_for_model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.catalog import rules
from xiaoneng.catalog.models import (
    Fee,
    HandlingForm,
    Material,
    Matter,
    MatterVersion,
    OnlineDepth,
    ProcessStep,
    ServiceObject,
)
from xiaoneng.catalog.selectors import (
    FEE_FIELDS,
    MATERIAL_FIELDS,
    STEP_FIELDS,
    VERSION_FIELDS,
    version_content,
)
from xiaoneng.catalog.services import matter_create, matter_revise, matter_set_status
from xiaoneng.core.errors import InvalidInput

# --- The matter form: identity + the version's fields ---------------------------------------


def _version_form_fields() -> dict[str, forms.Field]:
    fields = fields_for_model(MatterVersion, fields=list(VERSION_FIELDS))
    # Multi-selects are JSON lists in the database; people pick them from the code lists.
    fields["service_objects"] = forms.MultipleChoiceField(
        label=_("service objects"),
        choices=ServiceObject.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=MatterVersion._meta.get_field("service_objects").help_text,
    )
    fields["handling_forms"] = forms.MultipleChoiceField(
        label=_("handling forms"),
        choices=HandlingForm.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=MatterVersion._meta.get_field("handling_forms").help_text,
    )
    fields["online_depth"] = forms.TypedMultipleChoiceField(
        label=_("online depth"),
        choices=OnlineDepth.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=MatterVersion._meta.get_field("online_depth").help_text,
    )
    return fields


class _MatterFormBase(forms.ModelForm):
    """Identity of the matter plus the content of the version the save will append."""

    effective_from = forms.DateField(
        label=_("effective from"),
        help_text=_("The day the new version takes effect; not before the latest version's."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    change_note = forms.CharField(
        label=_("change note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What changed and why (变更说明)."),
    )

    class Meta:
        model = Matter
        fields = ["code", "catalog_code", "status"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["effective_from"].initial = timezone.localdate()
        latest = self.instance.latest_version if self.instance.pk else None
        if latest is not None:
            content = version_content(latest)
            content["department"] = latest.department
            for key in VERSION_FIELDS:
                self.initial.setdefault(key, content[key])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        version = MatterVersion(
            **{k: cleaned[k] for k in VERSION_FIELDS if k in cleaned and k != "department"}
        )
        try:
            version.clean()
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    self.add_error(field if field in self.fields else None, error)
        latest = self.instance.latest_version if self.instance.pk else None
        effective_from = cleaned.get("effective_from")
        if latest is not None and effective_from and effective_from < latest.effective_from:
            self.add_error(
                "effective_from",
                _("Expected a date on or after %(date)s (version %(number)s), got %(got)s.")
                % {
                    "date": latest.effective_from.isoformat(),
                    "number": latest.number,
                    "got": effective_from.isoformat(),
                },
            )
        return cleaned


MatterAdminForm = type(
    "MatterAdminForm",
    (_MatterFormBase,),
    {"__module__": __name__, **_version_form_fields()},
)


# --- Inlines: rows of the latest version ----------------------------------------------------


def _posted_bool(data: Any, key: str) -> bool:
    return str(data.get(key, "")).lower() in {"on", "true", "1", "yes"}


def formset_rows(formset: BaseInlineFormSet, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """The rows a formset asks for, in display order; deleted and untouched blank forms skipped."""
    rows = []
    for form in formset.forms:
        cleaned = getattr(form, "cleaned_data", None)
        if not cleaned:
            continue
        if formset.can_delete and formset._should_delete_form(form):  # type: ignore[attr-defined]
            continue
        rows.append({key: getattr(form.instance, key) for key in fields})
    return rows


class MaterialFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        rows = formset_rows(self, MATERIAL_FIELDS)
        fields = {"allows_commitment": _posted_bool(self.data, "allows_commitment")}
        problems = rules.content_problems(fields, rows, [])
        if problems:
            raise ValidationError([p.message for p in problems])


class FeeFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        rows = formset_rows(self, FEE_FIELDS)
        fields = {"charges_fee": _posted_bool(self.data, "charges_fee")}
        problems = rules.content_problems(fields, [], rows)
        if problems:
            raise ValidationError([p.message for p in problems])


class _VersionRowsInline(admin.options.InlineModelAdmin):  # type: ignore[type-arg]
    """An inline of the latest version's rows shown on the matter's page."""

    extra = 0

    def __init__(self, parent_model: Any, admin_site: admin.AdminSite) -> None:
        # The rows hang from a version, not from the matter this page edits.
        super().__init__(MatterVersion, admin_site)


class MaterialInline(_VersionRowsInline, admin.StackedInline):  # type: ignore[type-arg]
    model = Material
    formset = MaterialFormSet
    fields = list(MATERIAL_FIELDS)
    extra = 0


class FeeInline(_VersionRowsInline, admin.TabularInline):  # type: ignore[type-arg]
    model = Fee
    formset = FeeFormSet
    fields = list(FEE_FIELDS)


class StepInline(_VersionRowsInline, admin.TabularInline):  # type: ignore[type-arg]
    model = ProcessStep
    fields = list(STEP_FIELDS)


_INLINE_LISTS = {Material: ("materials", MATERIAL_FIELDS), Fee: ("fees", FEE_FIELDS)}
_INLINE_LISTS[ProcessStep] = ("steps", STEP_FIELDS)


@admin.register(Matter)
class MatterAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = MatterAdminForm
    inlines = [MaterialInline, FeeInline, StepInline]
    list_display = [
        "code",
        "current_name",
        "current_department",
        "current_type",
        "current_visits",
        "current_online",
        "current_number",
        "status",
    ]
    list_filter = [
        ("current_version__department", admin.RelatedOnlyFieldListFilter),
        "current_version__matter_type",
        "current_version__kind",
        "current_version__online",
        "current_version__visits",
        "status",
    ]
    search_fields = ["code", "catalog_code", "current_version__name"]
    list_select_related = ["current_version__department"]
    readonly_fields = ["version_info"]
    fieldsets = [
        (None, {"fields": ["code", "catalog_code", "status", "version_info"]}),
        (_("New version"), {"fields": ["effective_from", "change_note"]}),
        (
            _("Basic information"),
            {
                "fields": [
                    "name",
                    "business_item_code",
                    "matter_type",
                    "level",
                    "power_source",
                    "department",
                    "body_type",
                    "entrusted_department",
                    "service_objects",
                    "legal_basis",
                    "acceptance_conditions",
                ]
            },
        ),
        (
            _("Time limits"),
            {
                "fields": [
                    "kind",
                    "legal_limit_days",
                    "legal_limit_note",
                    "promised_limit_days",
                    "promised_limit_note",
                    "extension_days",
                    "special_procedures",
                ]
            },
        ),
        (
            _("Handling"),
            {
                "fields": [
                    "handling_forms",
                    "visits",
                    "in_hall",
                    "allows_commitment",
                    "handling_location",
                    "handling_hours",
                    "consultation",
                    "complaint_channel",
                ]
            },
        ),
        (
            _("Online and delivery"),
            {
                "fields": [
                    "online",
                    "online_depth",
                    "online_url",
                    "express_delivery",
                    "online_payment",
                    "appointment",
                    "service_scope",
                    "intermediary_services",
                    "joint_agencies",
                ]
            },
        ),
        (
            _("Fees and result"),
            {"fields": ["charges_fee", "fee_basis", "result_name", "result_type", "result_sample"]},
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Matter]:
        return (
            super()
            .get_queryset(request)
            .select_related("current_version__department", "latest_version")
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The implementation and catalog codes are the matter's identity: set once.
        if obj is not None:
            return ["code", "catalog_code", "version_info"]
        return ["version_info"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # withdraw a matter (status) instead: its history stays

    @admin.display(description=_("name"), ordering="current_version__name")
    def current_name(self, obj: Matter) -> str:
        return obj.current_version.name if obj.current_version else "—"

    @admin.display(description=_("department"), ordering="current_version__department__code")
    def current_department(self, obj: Matter) -> str:
        return obj.current_version.department.name if obj.current_version else "—"

    @admin.display(description=_("matter type"), ordering="current_version__matter_type")
    def current_type(self, obj: Matter) -> str:
        return obj.current_version.get_matter_type_display() if obj.current_version else "—"

    @admin.display(description=_("on-site visits"), ordering="current_version__visits")
    def current_visits(self, obj: Matter) -> Any:
        return obj.current_version.visits if obj.current_version else "—"

    @admin.display(description=_("online"), boolean=True)
    def current_online(self, obj: Matter) -> bool | None:
        return obj.current_version.online if obj.current_version else None

    @admin.display(description=_("version"))
    def current_number(self, obj: Matter) -> Any:
        return obj.current_version.number if obj.current_version else "—"

    @admin.display(description=_("versions"))
    def version_info(self, obj: Matter) -> str:
        if obj is None or not obj.pk:
            return str(_("A new matter starts at version 1."))
        current = obj.current_version
        latest = obj.latest_version
        text = str(
            _(
                "Editing the latest version %(number)s (effective %(date)s); saving appends a "
                "new one."
            )
            % {
                "number": latest.number if latest else "—",
                "date": latest.effective_from.isoformat() if latest else "—",
            }
        )
        if current is not None and latest is not None and current.pk != latest.pk:
            text += " " + str(
                _("Version %(number)s is in force today.") % {"number": current.number}
            )
        return text

    def get_formset_kwargs(
        self, request: HttpRequest, obj: Any, inline: Any, prefix: str
    ) -> dict[str, Any]:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        latest = obj.latest_version if obj is not None and obj.pk else None
        kwargs["instance"] = latest if latest is not None else MatterVersion()
        return kwargs

    def save_model(self, request: HttpRequest, obj: Matter, form: Any, change: bool) -> None:
        """Nothing here: ``save_related`` records the version with its rows in one service call."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        cleaned = form.cleaned_data
        content: dict[str, Any] = {key: cleaned[key] for key in VERSION_FIELDS}
        for formset in formsets:
            list_key, fields = _INLINE_LISTS[formset.model]
            content[list_key] = formset_rows(formset, fields)
        effective_from = cleaned["effective_from"]
        note = cleaned.get("change_note", "")
        if change:
            matter = Matter.objects.get(pk=form.instance.pk)
            matter_revise(
                actor=request.user,
                matter=matter,
                changes=content,
                effective_from=effective_from,
                note=note,
            )
            if cleaned.get("status") and cleaned["status"] != matter.status:
                matter_set_status(
                    actor=request.user, matter=matter, status=cleaned["status"], reason=note
                )
        else:
            matter = matter_create(
                actor=request.user,
                code=cleaned["code"],
                catalog_code=cleaned["catalog_code"],
                data=content,
                effective_from=effective_from,
                note=note,
                status=cleaned.get("status") or "active",
            )
            form.instance.pk = matter.pk
        form.instance.refresh_from_db()

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> list[dict[str, Any]]:
        # The formsets were never saved themselves (the service wrote the rows).
        if add:
            return [{"added": {}}]
        return [
            {"changed": {"fields": [str(form.fields[f].label or f) for f in form.changed_data]}}
        ]

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except InvalidInput as exc:
            # A rule the form could not check alone; the transaction has been rolled back.
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


# --- History, view only ---------------------------------------------------------------------


class _ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MaterialHistoryInline(_ReadOnlyInline):
    model = Material
    fields = [
        "name",
        "necessity",
        "form",
        "trust_level",
        "is_certificate",
        "replacement",
        "cancelled_on",
        "replacement_basis",
    ]


class FeeHistoryInline(_ReadOnlyInline):
    model = Fee
    fields = list(FEE_FIELDS)


class StepHistoryInline(_ReadOnlyInline):
    model = ProcessStep
    fields = list(STEP_FIELDS)


@admin.register(MatterVersion)
class MatterVersionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Every version ever recorded; read-only, because history is never edited."""

    list_display = ["matter", "number", "name", "department", "effective_from", "created_at"]
    list_filter = [("department", admin.RelatedOnlyFieldListFilter), "matter_type", "online"]
    search_fields = ["matter__code", "name"]
    list_select_related = ["matter", "department"]
    inlines = [MaterialHistoryInline, FeeHistoryInline, StepHistoryInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
