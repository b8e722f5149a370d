"""Accountability cases (问责) and their append-only history of entries.

Rows only: the rules live in :mod:`xiaoneng.supervision.rules`, the writes in
:mod:`xiaoneng.supervision.services.accountability`. Every step (investigation record,
findings, proposal, decision, the unit's statement) is an :class:`AccountabilityEntry`; the
case row keeps the state pointer and the latest findings, proposal and decision so lists need
no join through the history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.supervision.rules import CaseAction, CaseState, Handling

__all__ = [
    "AccountabilityCase",
    "AccountabilityEntry",
    "CaseEntryKindChoice",
    "CaseStateChoice",
    "HandlingChoice",
]


class CaseStateChoice(models.TextChoices):
    """Where a case is (values shared with :class:`rules.CaseState`)."""

    OPENED = CaseState.OPENED.value, _("opened")  # 已立案
    INVESTIGATING = CaseState.INVESTIGATING.value, _("under investigation")  # 调查中
    FINDINGS_RECORDED = CaseState.FINDINGS_RECORDED.value, _("facts established")  # 已查明
    HANDLING_PROPOSED = CaseState.HANDLING_PROPOSED.value, _("handling proposed")  # 已提出建议
    DECIDED = CaseState.DECIDED.value, _("decided")  # 已决定


class HandlingChoice(models.TextChoices):
    """Kinds of accountability handling (values shared with :class:`rules.Handling`)."""

    INTERVIEW = Handling.INTERVIEW.value, _("interview (约谈)")
    CIRCULATED_CRITICISM = Handling.CIRCULATED_CRITICISM.value, _("circulated criticism (通报批评)")
    ADMONISHMENT = Handling.ADMONISHMENT.value, _("admonishment talk (诫勉谈话)")
    WRITTEN_SELF_EXAMINATION = (
        Handling.WRITTEN_SELF_EXAMINATION.value,
        _("ordered written self-examination (责令检查)"),
    )
    REFERRAL = Handling.REFERRAL.value, _("referral to discipline inspection (移交纪检监察)")
    NO_ACCOUNTABILITY = Handling.NO_ACCOUNTABILITY.value, _("no accountability (免予问责)")


class CaseEntryKindChoice(models.TextChoices):
    """What an entry of the history records: the opening, or one :class:`rules.CaseAction`."""

    OPEN = "open", _("case opened")  # 立案
    INVESTIGATE = CaseAction.INVESTIGATE.value, _("investigation record")  # 调查记录
    RECORD_FINDINGS = CaseAction.RECORD_FINDINGS.value, _("findings")  # 查明事实
    PROPOSE = CaseAction.PROPOSE.value, _("proposed handling")  # 处理建议
    DECIDE = CaseAction.DECIDE.value, _("decision")  # 处理决定
    STATEMENT = CaseAction.STATEMENT.value, _("statement of the unit")  # 申辩


class AccountabilityCase(models.Model):
    """One accountability case (问责案件) of the efficiency office (claim S24).

    Opened from a supervision task or from an overdue item (a red Clock), or both; the
    responsible unit (责任单位) sees it read-only and its head may make a statement (申辩).
    The decision (处理决定) is final and closes the case.
    """

    number = models.CharField(
        _("number"),
        max_length=16,
        unique=True,
        help_text=_("问责编号, e.g. WZ20260001: WZ, the year, the year's serial."),
    )
    title = models.CharField(_("title"), max_length=200, help_text=_("What the case is about."))
    task = models.ForeignKey(
        "supervision.SupervisionTask",
        verbose_name=_("supervision task"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accountability_cases",
        help_text=_("The supervision task the case comes from, if any."),
    )
    clock = models.ForeignKey(
        "clocks.Clock",
        verbose_name=_("overdue item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The overdue item's clock (超时事项) the case comes from, if any."),
    )
    responsible_unit = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        related_name="accountability_cases",
        help_text=_("责任单位: answerable; its staff see the case, its head may make a statement."),
    )
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=CaseStateChoice.choices,
        default=CaseStateChoice.OPENED,
        help_text=_("Moved only by the services, each move recorded in the history."),
    )
    reason = models.TextField(
        _("reason for opening"), help_text=_("Why accountability is pursued (问责事由).")
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_on = models.DateField(_("opened on"), help_text=_("立案日期."))
    opened_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    findings = models.TextField(
        _("findings"), blank=True, default="", help_text=_("查明事实: the latest findings.")
    )
    responsible_person_name = models.CharField(
        _("responsible person"),
        max_length=100,
        blank=True,
        default="",
        help_text=_("责任人 as found: name."),
    )
    responsible_person_position = models.CharField(
        _("position"),
        max_length=100,
        blank=True,
        default="",
        help_text=_("责任人 as found: position (职务)."),
    )
    responsible_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible person's account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The responsible person's account, when they have one; told of the decision."),
    )
    proposed_handling = models.CharField(
        _("proposed handling"),
        max_length=32,
        choices=HandlingChoice.choices,
        blank=True,
        default="",
        help_text=_("处理建议: the latest proposal."),
    )
    proposal = models.TextField(_("proposal"), blank=True, default="")
    decision = models.CharField(
        _("decision"),
        max_length=32,
        choices=HandlingChoice.choices,
        blank=True,
        default="",
        help_text=_("处理决定: final."),
    )
    decision_text = models.TextField(_("decision text"), blank=True, default="")
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("accountability case")
        verbose_name_plural = _("accountability cases")
        ordering = ["-opened_on", "-id"]
        indexes = [
            models.Index(fields=["responsible_unit", "state"], name="svcase_unit_state"),
            models.Index(fields=["state", "opened_on"], name="svcase_state_opened"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(task__isnull=False) | Q(clock__isnull=False),
                name="svcase_has_origin",
                violation_error_message=_(
                    "A case comes from a supervision task or an overdue item."
                ),
            ),
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in CaseState]), name="svcase_state_known"
            ),
            models.CheckConstraint(
                condition=~Q(state="decided") | (Q(decided_on__isnull=False) & ~Q(decision="")),
                name="svcase_decided_has_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class AccountabilityEntry(models.Model):
    """One entry of a case's history (append-only): an investigation record, findings…"""

    case = models.ForeignKey(
        AccountabilityCase,
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        related_name="entries",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CaseEntryKindChoice.choices)
    at = models.DateTimeField(_("recorded at"), default=timezone.now)
    on = models.DateField(_("day"), help_text=_("The day the entry counts for."))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_state = models.CharField(_("from"), max_length=20, blank=True, default="")
    to_state = models.CharField(_("to"), max_length=20, blank=True, default="")
    text = models.TextField(
        _("text"), help_text=_("The record, the findings, the proposal, the decision…")
    )
    handling = models.CharField(
        _("handling"),
        max_length=32,
        choices=HandlingChoice.choices,
        blank=True,
        default="",
        help_text=_("For a proposal or a decision: the kind of handling."),
    )
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("accountability entry")
        verbose_name_plural = _("accountability entries")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="svcase_entry_case_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.from_state}→{self.to_state}"
