"""Supervision tasks (督查督办) and their append-only history.

Rows only: the rules live in :mod:`xiaoneng.supervision.rules`, the writes in
:mod:`xiaoneng.supervision.services.tasks`. A task's state is a pointer (``state``) moved by
the services, each move appending a :class:`SupervisionTaskEvent` in the same transaction
(STYLE.md habit 3). Its time limit is a Clock of kind ``supervision.task`` started on
hand-over (交办) and stopped on close-out (销号).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.supervision.rules import TaskCategory, TaskSource, TaskState

__all__ = [
    "SupervisionCounter",
    "SupervisionTask",
    "SupervisionTaskEvent",
    "TaskCategoryChoice",
    "TaskSourceChoice",
    "TaskStateChoice",
]


class TaskSourceChoice(models.TextChoices):
    """Where a task comes from (values shared with :class:`rules.TaskSource`)."""

    LEADER_INSTRUCTION = TaskSource.LEADER_INSTRUCTION.value, _("leader's instruction (领导批示)")
    MEDIA_EXPOSURE = TaskSource.MEDIA_EXPOSURE.value, _("media exposure (媒体曝光)")
    HOTLINE_ESCALATION = (
        TaskSource.HOTLINE_ESCALATION.value,
        _("12345 hotline escalation (热线升级)"),
    )
    WENZHENG = TaskSource.WENZHENG.value, _("efficiency questioning programme (效能问政)")
    OPINION_CAMPAIGN = TaskSource.OPINION_CAMPAIGN.value, _("opinion campaign (万民千企议效能)")
    RED_WARNING = TaskSource.RED_WARNING.value, _("red warning (红色预警)")


class TaskCategoryChoice(models.TextChoices):
    """Supervision (督查) or assessment (考核) item (values of :class:`rules.TaskCategory`)."""

    SUPERVISION = TaskCategory.SUPERVISION.value, _("supervision (督查)")
    ASSESSMENT = TaskCategory.ASSESSMENT.value, _("assessment (考核)")


class TaskStateChoice(models.TextChoices):
    """Where a task is (values shared with :class:`rules.TaskState`)."""

    CREATED = TaskState.CREATED.value, _("created, not handed over yet")  # 已立项
    ASSIGNED = TaskState.ASSIGNED.value, _("handed over")  # 已交办
    IN_PROGRESS = TaskState.IN_PROGRESS.value, _("in progress")  # 办理中
    SUBMITTED = TaskState.SUBMITTED.value, _("result reported, awaiting review")  # 已报结
    SENT_BACK = TaskState.SENT_BACK.value, _("sent back")  # 已退回
    CLOSED = TaskState.CLOSED.value, _("closed out")  # 已销号


class SupervisionCounter(models.Model):
    """The last serial handed out for one prefix and year (DB2026…, WZ2026…).

    Locked with ``select_for_update`` while a number is drawn, so two tasks created at the
    same moment never get the same number.
    """

    prefix = models.CharField(_("prefix"), max_length=4, help_text=_("DB (督办) or WZ (问责)."))
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last serial"), default=0)

    class Meta:
        verbose_name = _("number counter")
        verbose_name_plural = _("number counters")
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="supervision_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}{self.year}: {self.last}"


class SupervisionTask(models.Model):
    """One supervision task (督查督办任务) of the efficiency office (claims S18, S22).

    Created from a source, handed over to a lead unit (牵头单位) and co-units (协办单位) with
    a limit in working days; the lead unit's Clock (kind ``supervision.task``) runs from the
    hand-over. Units report progress, the lead unit's head reports the result (报结), the
    office closes it out (销号) or sends it back. Urges (催办) and escalations (升级督办) are
    counted on the row and told in the history.
    """

    number = models.CharField(
        _("number"),
        max_length=16,
        unique=True,
        help_text=_("督办编号, e.g. DB20260001: DB, the year, the year's serial."),
    )
    title = models.CharField(
        _("title"), max_length=200, help_text=_("督办事项: what is to be done.")
    )
    description = models.TextField(
        _("description"),
        blank=True,
        default="",
        help_text=_("The problem and the requirements (督办要求)."),
    )
    source = models.CharField(
        _("source"),
        max_length=24,
        choices=TaskSourceChoice.choices,
        help_text=_(
            "督办来源: 领导批示, 媒体曝光, 12345热线升级, 效能问政, 万民千企议效能 or 红色预警."
        ),
    )
    source_reference = models.CharField(
        _("source reference"),
        max_length=300,
        blank=True,
        default="",
        help_text=_(
            "Where it came from: the instruction's number, the report's outlet and date, "
            "the hotline ticket number…"
        ),
    )
    source_warning = models.ForeignKey(
        "supervision.WarningRecord",
        verbose_name=_("red warning"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_tasks",
        help_text=_(
            "For a task from a red warning (红色预警): the warnings-ledger record it comes from."
        ),
    )
    category = models.CharField(
        _("category"),
        max_length=12,
        choices=TaskCategoryChoice.choices,
        default=TaskCategoryChoice.SUPERVISION,
        help_text=_("督查 or 考核 item; the yearly counts are kept per category."),
    )
    lead_unit = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("lead unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_tasks_led",
        help_text=_("牵头单位: answerable for the task and its clock; required to hand it over."),
    )
    co_units = models.ManyToManyField(
        "accounts.Department",
        verbose_name=_("co-units"),
        blank=True,
        related_name="supervision_tasks_assisted",
        help_text=_("协办单位: may see the task and report progress."),
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("责任人 in the lead unit: its head unless another officer is named."),
    )
    limit_days = models.PositiveIntegerField(
        _("limit (working days)"),
        help_text=_("办理时限: working days from the hand-over (交办) to the result."),
    )
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=TaskStateChoice.choices,
        default=TaskStateChoice.CREATED,
        help_text=_("Moved only by the services, each move recorded in the history."),
    )
    clock = models.OneToOneField(
        "clocks.Clock",
        verbose_name=_("clock"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Its time limit (kind supervision.task); started on hand-over."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The efficiency office user who created it."),
    )
    created_on = models.DateField(
        _("created on"),
        help_text=_("立项日期; the year it is counted in for the yearly counts."),
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    closed_on = models.DateField(
        _("closed out on"), null=True, blank=True, help_text=_("销号日期; empty while open.")
    )
    result = models.TextField(
        _("result"),
        blank=True,
        default="",
        help_text=_("The result the lead unit reported (办理结果), latest first in the history."),
    )
    urge_count = models.PositiveIntegerField(
        _("urges"), default=0, help_text=_("How many times the office urged the unit (催办次数).")
    )
    last_urged_on = models.DateField(_("last urged on"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation level"),
        default=0,
        help_text=_("0 = not escalated; each escalation (升级督办) raises it by one."),
    )
    escalated_on = models.DateField(_("escalated on"), null=True, blank=True)
    red_escalated = models.BooleanField(
        _("escalated while red"),
        default=False,
        help_text=_(
            "Escalated in the clock's current red period: a task is escalated once per red "
            "period; cleared when the clock is no longer red. Derived: do not edit."
        ),
    )

    class Meta:
        verbose_name = _("supervision task")
        verbose_name_plural = _("supervision tasks")
        ordering = ["-created_on", "-id"]
        indexes = [
            models.Index(fields=["state", "created_on"], name="svtask_state_created"),
            models.Index(fields=["lead_unit", "state"], name="svtask_lead_state"),
            # Yearly counts per category.
            models.Index(fields=["created_on", "category"], name="svtask_created_category"),
            models.Index(fields=["source", "created_on"], name="svtask_source_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in TaskState]), name="svtask_state_known"
            ),
            models.CheckConstraint(
                condition=(Q(state="closed") & Q(closed_on__isnull=False))
                | (~Q(state="closed") & Q(closed_on__isnull=True)),
                name="svtask_closed_has_day",
            ),
            models.CheckConstraint(
                condition=Q(state="created") | Q(lead_unit__isnull=False),
                name="svtask_handed_over_has_lead",
            ),
            models.CheckConstraint(condition=Q(limit_days__gte=1), name="svtask_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def escalated(self) -> bool:
        """升级督办: escalated at least once."""
        return self.escalation_level > 0


class SupervisionTaskEvent(models.Model):
    """One step of a task's history (append-only): who, when, what, from, to, text.

    ``on`` is the day the step counts for (today, or a past day the office recorded it for);
    ``at`` is when it was written.
    """

    task = models.ForeignKey(
        SupervisionTask,
        verbose_name=_("task"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    at = models.DateTimeField(_("recorded at"), default=timezone.now)
    on = models.DateField(_("day"), help_text=_("The day the step counts for."))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who acted; empty for the system (the daily escalation job)."),
    )
    action = models.CharField(
        _("action"),
        max_length=16,
        help_text=_("create, record, assign, progress, submit, close, send_back, urge, escalate."),
    )
    from_state = models.CharField(_("from"), max_length=12, blank=True, default="")
    to_state = models.CharField(_("to"), max_length=12, blank=True, default="")
    text = models.TextField(
        _("text"), blank=True, default="", help_text=_("Progress, result, reasons or the notice.")
    )
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("supervision task event")
        verbose_name_plural = _("supervision task events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["task", "at"], name="svtask_event_task_at")]

    def __str__(self) -> str:
        return f"{self.action} {self.from_state}→{self.to_state}"
