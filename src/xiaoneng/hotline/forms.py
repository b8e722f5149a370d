"""Forms of the hotline pages: the citizen's web form and the operator's "register a call".

They only check the shape of the input (a mainland mobile number, a resident ID number, a
known category); the services decide everything else and their errors come back to the page.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.accounts.rules import validate_resident_id
from xiaoneng.core.errors import InvalidInput
from xiaoneng.hotline import rules
from xiaoneng.hotline.models import HotlineNumber, TicketCategory
from xiaoneng.hotline.views import labels

MAX_ATTACHMENTS = 5
_MOBILE_RE = re.compile(r"1[3-9]\d{9}")
_ID_RE = re.compile(r"\d{17}[\dX]")
# What people type around a mobile number: spaces, dashes, a +86 / 86 prefix.
_PHONE_NOISE_RE = re.compile(r"[\s\-()]")


def normalise_mobile(raw: str) -> str:
    """The 11 digits of a mainland mobile number as typed (spaces, dashes, +86 dropped).

    Returns "" for an empty input; raises ``forms.ValidationError`` saying what was expected
    and what arrived otherwise.
    """
    text = _PHONE_NOISE_RE.sub("", raw or "")
    if not text:
        return ""
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if not _MOBILE_RE.fullmatch(text):
        raise forms.ValidationError(
            _(
                "Expected a mainland mobile number: 11 digits starting with 13–19, "
                "e.g. 13812345678; got %(value)s."
            )
            % {"value": raw.strip()},
            code="mobile",
        )
    return text


def category_choices() -> list[tuple[Any, Any]]:
    """The leaves of the category tree grouped under their parent's name, for a select."""
    nodes = list(TicketCategory.objects.select_related("parent").order_by("code"))
    with_children = {n.parent_id for n in nodes if n.parent_id is not None}
    groups: dict[str, list[tuple[str, str]]] = {}
    for node in nodes:
        if node.pk in with_children:
            continue
        group = node.parent.name if node.parent is not None else str(_("Other"))
        groups.setdefault(group, []).append((node.code, node.name))
    return [("", _("— not sure —")), *[(name, items) for name, items in groups.items()]]


def category_of(code: str) -> TicketCategory | None:
    """The category with ``code``, or None for an empty code."""
    if not code:
        return None
    return TicketCategory.objects.filter(code=code).first()


class _TicketFields(forms.Form):
    def _choice(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    ticket_type = forms.ChoiceField(label=gettext_lazy("Type of request"))
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    description = forms.CharField(
        label=gettext_lazy("What is it about?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
    )
    address = forms.CharField(label=gettext_lazy("Address"), max_length=300, required=False)
    district = forms.CharField(label=gettext_lazy("District"), max_length=60, required=False)
    reporter_name = forms.CharField(label=gettext_lazy("Your name"), max_length=100, required=False)
    reporter_phone = forms.CharField(
        label=gettext_lazy("Mobile number"), max_length=30, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choice("ticket_type").choices = labels.choices(labels.TYPE_LABELS)
        self._choice("category").choices = category_choices()

    def clean_reporter_phone(self) -> str:
        return normalise_mobile(self.cleaned_data.get("reporter_phone", ""))

    def clean_category(self) -> TicketCategory | None:
        code = self.cleaned_data.get("category", "")
        found = category_of(code)
        if code and found is None:
            raise forms.ValidationError(
                _("No category has the code %(code)s.") % {"code": code}, code="category"
            )
        return found


class SubmitForm(_TicketFields):
    """The citizen's web form (`/hotline/`): anonymous allowed, phone optional."""


class RegisterForm(_TicketFields):
    """The operator's "register a call": the line it came in on, urgency and caller's ID too."""

    line = forms.ChoiceField(label=gettext_lazy("Came in on"))
    urgency = forms.ChoiceField(label=gettext_lazy("Urgency"))
    reporter_id_number = forms.CharField(
        label=gettext_lazy("Caller's ID number"), max_length=30, required=False
    )

    field_order = [
        "line",
        "ticket_type",
        "urgency",
        "category",
        "description",
        "address",
        "district",
        "reporter_name",
        "reporter_phone",
        "reporter_id_number",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reporter_name"].label = gettext_lazy("Caller's name")
        self.fields["reporter_phone"].label = gettext_lazy("Caller's mobile number")
        self._choice("line").choices = [
            (rules.Channel.PHONE.value, labels.label(labels.CHANNEL_LABELS, "phone")),
            *[
                (
                    f"old:{n.pk}",
                    _("Old hotline %(number)s %(name)s") % {"number": n.number, "name": n.name},
                )
                for n in HotlineNumber.objects.order_by("number")
            ],
        ]
        self._choice("urgency").choices = labels.choices(labels.URGENCY_LABELS)

    def clean_reporter_id_number(self) -> str:
        raw = self.cleaned_data.get("reporter_id_number", "")
        text = raw.strip().upper()
        if text and not _ID_RE.fullmatch(text):
            raise forms.ValidationError(
                _(
                    "Expected an 18-character resident ID number (17 digits and a digit or X); "
                    "got %(count)s characters."
                )
                % {"count": len(text)},
                code="id_number",
            )
        if text:
            # The right shape is not enough: the birth date and check character must hold too.
            try:
                validate_resident_id(text)
            except InvalidInput as error:
                raise forms.ValidationError(error.message, code="id_number") from error
        return text

    def channel_and_number(self) -> tuple[str, HotlineNumber | None]:
        """The channel and old hotline number the chosen line stands for (after validation)."""
        line = self.cleaned_data["line"]
        if line.startswith("old:"):
            return rules.Channel.OLD_NUMBER.value, HotlineNumber.objects.get(pk=int(line[4:]))
        return line, None
