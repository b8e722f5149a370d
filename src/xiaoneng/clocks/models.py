"""Clocks (时限计时): one per promise, with its pauses, extensions and stored due date.

Rows only: the rules live in :mod:`xiaoneng.clocks.rules`, the writes in
:mod:`xiaoneng.clocks.services`. The due date, yellow day and warning are stored and
recomputed on every change, so that "what is late" is an indexed query on dates
(ARCHITECTURE.md §2), not a loop over items in Python.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.clocks.rules import ClockState, WarningLevel


class StateChoice(models.TextChoices):
    """Where a clock is in its life (values shared with :class:`rules.ClockState`)."""

    RUNNING = ClockState.RUNNING.value, _("running")  # 计时中
    PAUSED = ClockState.PAUSED.value, _("paused")  # 暂停计时
    STOPPED = ClockState.STOPPED.value, _("stopped")  # 已停止（办结）


class WarningChoice(models.TextChoices):
    """Warning level (values shared with :class:`rules.WarningLevel`)."""

    NONE = WarningLevel.NONE.value, _("on schedule")  # 正常
    YELLOW = WarningLevel.YELLOW.value, _("warning (yellow)")  # 预警
    RED = WarningLevel.RED.value, _("overdue (red)")  # 超时


class PauseKind(models.TextChoices):
    """Why a clock is paused: the special procedures of Art. 45, or the applicant's supplement."""

    HEARING = "hearing", _("hearing")  # 听证
    BIDDING = "bidding", _("bidding")  # 招标
    AUCTION = "auction", _("auction")  # 拍卖
    INSPECTION = "inspection", _("inspection")  # 检验
    TESTING = "testing", _("testing")  # 检测
    QUARANTINE = "quarantine", _("quarantine")  # 检疫
    APPRAISAL = "appraisal", _("appraisal")  # 鉴定
    EXPERT_REVIEW = "expert_review", _("expert review")  # 专家评审
    SUPPLEMENT = "supplement", _("awaiting the applicant's supplement")  # 等待补正
    OTHER = "other", _("other")  # 其他


kind_validator = RegexValidator(
    r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$",
    _("A clock kind is lower-case words joined by dots, e.g. application.promised."),
)


class Clock(models.Model):
    """The time limit of one tracked item (时限计时), counted in working days.

    Belongs to any model row through ``content_type`` + ``object_id`` (a string, so integer
    and UUID primary keys both work) and to one responsible department. ``due_on``,
    ``due_provisional``, ``yellow_on`` and ``warning`` are derived from the other fields and
    the pause and extension rows by :func:`xiaoneng.clocks.rules.snapshot`; only the services
    write them.
    """

    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("item type"),
        on_delete=models.PROTECT,
        related_name="+",
        # Covered by the (content_type, object_id) index below.
        db_index=False,
        help_text=_("The kind of tracked item (办件、工单、督办任务…) this clock times."),
    )
    object_id = models.CharField(
        _("item id"),
        max_length=64,
        help_text=_("Primary key of the tracked item, as text (integer or UUID)."),
    )
    item = GenericForeignKey("content_type", "object_id")
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("responsible department"),
        on_delete=models.PROTECT,
        related_name="clocks",
        # Covered by the (department, state, due_on) index below.
        db_index=False,
        help_text=_("The department answerable for meeting this time limit (责任部门)."),
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "The officer answerable for meeting this time limit (责任人), told first when it "
            "turns yellow; empty when only the department is."
        ),
    )
    kind = models.CharField(
        _("kind"),
        max_length=64,
        validators=[kind_validator],
        help_text=_(
            "What is timed, e.g. application.legal (法定办结时限), application.promised "
            "(承诺办结时限), hotline.ticket (工单办理时限); picks the warning policy."
        ),
    )
    label = models.CharField(
        _("label"),
        max_length=200,
        blank=True,
        default="",
        help_text=_("Short text for lists and notices, e.g. the case number and matter name."),
    )
    limit_days = models.PositiveIntegerField(
        _("time limit (working days)"),
        help_text=_(
            "The time limit in working days (工作日) without extensions; 0 for an instant "
            "matter (即办件), concluded on the day it starts."
        ),
    )
    extension_allowance_days = models.PositiveIntegerField(
        _("extension allowance (working days)"),
        default=0,
        help_text=_(
            "Most working days extensions (延期) may add in total, e.g. 10 for the 20-day "
            "licensing limit (行政许可法 Art. 42)."
        ),
    )
    extension_days = models.PositiveIntegerField(
        _("extended by (working days)"),
        default=0,
        help_text=_("Working days added by approved extensions (延期) so far; sum of the rows."),
    )
    started_on = models.DateField(
        _("started on"),
        help_text=_(
            "The day the clock started, e.g. the day of acceptance (受理日); not counted itself "
            "(民法典 Arts. 201, 203)."
        ),
    )
    stopped_on = models.DateField(
        _("stopped on"),
        null=True,
        blank=True,
        help_text=_(
            "The day the clock stopped, e.g. the day of conclusion (办结日); empty while open."
        ),
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=StateChoice.choices,
        default=StateChoice.RUNNING,
        help_text=_("Running (计时中), paused (暂停计时) or stopped (已停止)."),
    )
    due_on = models.DateField(
        _("due on"),
        help_text=_(
            "The last allowed day (办结期限), a working day; finishing on it is on time. "
            "Frozen while paused. Derived: do not edit."
        ),
    )
    due_provisional = models.BooleanField(
        _("provisional"),
        default=False,
        help_text=_(
            "The due date rests on a year whose holidays are not in the calendar yet (暂定); "
            "it is recomputed when that year is imported."
        ),
    )
    used_days = models.PositiveIntegerField(
        _("working days used"),
        null=True,
        blank=True,
        help_text=_(
            "Working days counted from start to stop, pauses left out (实际用时); stored when "
            "the clock stops, empty while open. Derived: do not edit."
        ),
    )
    yellow_on = models.DateField(
        _("warning from"),
        help_text=_("The day the clock turns yellow (预警日). Derived: do not edit."),
    )
    warning = models.CharField(
        _("warning"),
        max_length=10,
        choices=WarningChoice.choices,
        default=WarningChoice.NONE,
        help_text=_(
            "None (正常), yellow (预警) or red (超时) as of the last computation; for a stopped "
            "clock, red means it was concluded late."
        ),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("clock")
        verbose_name_plural = _("clocks")
        ordering = ["due_on", "id"]
        indexes = [
            # The warning scan: running clocks past their due date / at their yellow day.
            models.Index(fields=["state", "due_on"], name="clock_state_due"),
            models.Index(fields=["state", "yellow_on"], name="clock_state_yellow"),
            # The warning scan's candidates only: running clocks still at none (they turn
            # yellow, or red, from their yellow day) and running yellow ones (red after the
            # due date). A clock leaves these once warned, so a scan reads the clocks that
            # change, not every late one (docs/warnings.md).
            models.Index(
                fields=["yellow_on"],
                condition=Q(state="running", warning="none"),
                name="clock_running_none",
            ),
            models.Index(
                fields=["due_on"],
                condition=Q(state="running", warning="yellow"),
                name="clock_running_yellow",
            ),
            # Open clocks that are yellow or red: the warnings ledger is checked against these
            # by a merge of two index-only scans (a few per cent of the open clocks).
            models.Index(
                fields=["id", "warning"],
                condition=~Q(state="stopped") & ~Q(warning="none"),
                name="clock_open_warned",
            ),
            # Counts and lists of yellow and red clocks per department (dashboard).
            models.Index(fields=["warning", "department"], name="clock_warning_dept"),
            # A department's queue sorted by due date.
            models.Index(fields=["department", "state", "due_on"], name="clock_dept_state_due"),
            models.Index(fields=["content_type", "object_id"], name="clock_item"),
            # KPIs of a period, answered from the index alone (docs/kpis.md §6): clocks of one
            # kind stopped (concluded) between two days, with what the figures need.
            models.Index(
                fields=["kind", "stopped_on", "department", "warning", "used_days", "limit_days"],
                condition=Q(stopped_on__isnull=False),
                name="clock_stopped_cover",
            ),
            # The KPIs' open clocks now (a few per cent of the rows). The condition says "no
            # stop day" because SQLite uses a partial index only when the query's words imply
            # it; by clock_stopped_has_stop_day it is the same as running or paused.
            models.Index(
                fields=[
                    "department",
                    "kind",
                    "state",
                    "due_on",
                    "yellow_on",
                    "warning",
                    "due_provisional",
                ],
                condition=Q(stopped_on__isnull=True),
                name="clock_open_cover",
            ),
            # Few rows are provisional; the recompute after an import finds them at once.
            models.Index(
                fields=["due_on"],
                condition=Q(due_provisional=True),
                name="clock_provisional",
            ),
        ]
        constraints = [
            # One open clock per item and kind, so a retried start never makes a second one.
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kind"],
                condition=~Q(state="stopped"),
                name="clock_one_open_per_item_kind",
            ),
            models.CheckConstraint(
                condition=Q(extension_days__lte=F("extension_allowance_days")),
                name="clock_extensions_within_allowance",
            ),
            models.CheckConstraint(
                condition=Q(stopped_on__isnull=True) | Q(stopped_on__gte=F("started_on")),
                name="clock_stops_after_start",
            ),
            models.CheckConstraint(
                condition=(Q(state="stopped") & Q(stopped_on__isnull=False))
                | (~Q(state="stopped") & Q(stopped_on__isnull=True)),
                name="clock_stopped_has_stop_day",
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=F("started_on")) & Q(yellow_on__lte=F("due_on")),
                name="clock_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.label or f"{self.kind} #{self.pk}"


class ClockPause(models.Model):
    """A pause of a clock (暂停计时): the working days in (began_on, ended_on] are not counted.

    Art. 45 special procedures (听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审) and waiting
    for the applicant's supplement (补正); DOMAIN_RULES.md §2. Append-only: a pause is opened
    once and ended once, by the services.
    """

    clock = models.ForeignKey(
        Clock,
        verbose_name=_("clock"),
        on_delete=models.PROTECT,
        related_name="pauses",
        help_text=_("The clock this pause belongs to."),
    )
    began_on = models.DateField(
        _("began on"),
        help_text=_("The day the pause began (暂停日); this day itself still counts."),
    )
    ended_on = models.DateField(
        _("ended on"),
        null=True,
        blank=True,
        help_text=_("The day counting resumed (恢复计时日), counted as paused; empty while open."),
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=PauseKind.choices,
        help_text=_("Why the clock is paused: an Art. 45 special procedure (特别程序) or 补正."),
    )
    reason = models.TextField(
        _("reason"),
        help_text=_("What is being done and, where known, how long it takes (告知时间)."),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("paused by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who paused the clock; empty for the system."),
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resumed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who resumed the clock (or stopped it while paused)."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("clock pause")
        verbose_name_plural = _("clock pauses")
        ordering = ["clock", "began_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clock"],
                condition=Q(ended_on__isnull=True),
                name="clockpause_one_open_per_clock",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("began_on")),
                name="clockpause_ends_after_it_begins",
            ),
        ]

    def __str__(self) -> str:
        end = self.ended_on.isoformat() if self.ended_on else "…"
        return f"{self.get_kind_display()} {self.began_on.isoformat()}–{end}"


class ClockExtension(models.Model):
    """An approved extension (延期) adding working days to a clock's limit (Art. 42).

    The total of a clock's extensions never exceeds its ``extension_allowance_days``.
    """

    clock = models.ForeignKey(
        Clock,
        verbose_name=_("clock"),
        on_delete=models.PROTECT,
        related_name="extensions",
        help_text=_("The clock this extension lengthens."),
    )
    days = models.PositiveIntegerField(
        _("working days"),
        validators=[MinValueValidator(1)],
        help_text=_("Working days added to the limit (延长工作日数)."),
    )
    reason = models.TextField(
        _("reason"),
        help_text=_("Why more time is needed; told to the applicant (告知延期理由)."),
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The head who approved the extension (本行政机关负责人批准)."),
    )
    approved_on = models.DateField(
        _("approved on"),
        help_text=_("The day the extension was approved; on or before the due date (Art. 42)."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("clock extension")
        verbose_name_plural = _("clock extensions")
        ordering = ["clock", "approved_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(days__gte=1), name="clockextension_days_positive")
        ]

    def __str__(self) -> str:
        return f"+{self.days} ({self.approved_on.isoformat()})"


class ClockPolicy(models.Model):
    """The warning policy of one kind of clock; kinds without a row use the settings defaults.

    Defaults (settings ``CLOCK_YELLOW_FRACTION``, ``CLOCK_YELLOW_MIN_DAYS_BEFORE``): yellow at
    80 % of the limit used, and never later than 1 working day before the due date.
    """

    kind = models.CharField(
        _("kind"),
        max_length=64,
        unique=True,
        validators=[kind_validator],
        help_text=_("The clock kind this policy applies to, e.g. hotline.ticket."),
    )
    yellow_fraction = models.DecimalField(
        _("yellow at share of limit used"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.800"),
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("1"))],
        help_text=_("Share of the limit used (0–1) at which the clock turns yellow (预警)."),
    )
    yellow_min_days_before = models.PositiveSmallIntegerField(
        _("yellow at the latest, working days before due"),
        default=1,
        help_text=_(
            "The clock is yellow (预警) at the latest this many working days before the due date."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("clock warning policy")
        verbose_name_plural = _("clock warning policies")
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.kind
