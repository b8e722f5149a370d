"""The warnings ledger (预警台账): one row each time a clock's warning level changes.

Rows only: the scan that writes them and the notices they trigger are in
:mod:`xiaoneng.supervision.services.warnings`. A row is opened when a clock turns yellow (预警)
or red (超时) and closed when the clock stops (办结销号), when its warning is lifted (an
extension or a recompute moved the due date), or when a yellow warning is escalated to red.
The department and the kind of clock are copied at the time, so counts per department and
kind are one indexed query on this table (ARCHITECTURE.md §2).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.clocks.models import WarningChoice

__all__ = ["WarningCloseReason", "WarningLevelChoice", "WarningRecord"]


class WarningLevelChoice(models.TextChoices):
    """The level a warning record opens at (values shared with ``clocks.WarningChoice``)."""

    YELLOW = WarningChoice.YELLOW.value, _("warning (yellow)")  # 预警
    RED = WarningChoice.RED.value, _("overdue (red)")  # 超时


class WarningCloseReason(models.TextChoices):
    """Why an open warning record was closed."""

    STOPPED = "stopped", _("stopped: the item was concluded (办结销号)")
    LIFTED = "lifted", _("lifted: the due date moved, e.g. an extension (解除预警)")
    ESCALATED = "escalated", _("escalated: the clock turned red (升级为超时)")


class WarningRecord(models.Model):
    """One change of a clock's warning level (预警台账), written by the warning scan.

    Open (``closed_on`` empty) while the clock stays at ``level``; at most one open record
    per clock and level, so a scan run twice, or two scans at once, record a change once
    and notify it once (``notified_at``).
    """

    clock = models.ForeignKey(
        "clocks.Clock",
        verbose_name=_("clock"),
        on_delete=models.PROTECT,
        related_name="warning_records",
        # Covered by the (clock, changed_on) index below.
        db_index=False,
        help_text=_("The time limit (时限计时) whose warning level changed."),
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("responsible department"),
        on_delete=models.PROTECT,
        related_name="warning_records",
        # Covered by the (department, level) and (department, changed_on) indexes below.
        db_index=False,
        help_text=_("The clock's responsible department (责任部门) when the warning was raised."),
    )
    kind = models.CharField(
        _("clock kind"),
        max_length=64,
        help_text=_(
            "The clock's kind when the warning was raised, e.g. application.promised "
            "(承诺办结时限), hotline.ticket, supervision.task."
        ),
    )
    level = models.CharField(
        _("level"),
        max_length=10,
        choices=WarningLevelChoice.choices,
        help_text=_(
            "Yellow (预警: the time limit is nearly used) or red (超时: past the due date)."
        ),
    )
    previous_level = models.CharField(
        _("previous level"),
        max_length=10,
        choices=WarningChoice.choices,
        help_text=_(
            "The level of the open warning this one replaced, or none (正常) if there was none."
        ),
    )
    changed_on = models.DateField(
        _("changed on"),
        help_text=_("The day of the scan that found the change (预警日期)."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    closed_on = models.DateField(
        _("closed on"),
        null=True,
        blank=True,
        help_text=_(
            "The day the warning was closed: the stop day of the clock (办结销号), or the day "
            "of the scan that found it lifted or escalated; empty while open."
        ),
    )
    closed_reason = models.CharField(
        _("closed because"),
        max_length=10,
        choices=WarningCloseReason.choices,
        blank=True,
        default="",
        help_text=_(
            "Stopped (办结销号), lifted (解除) or escalated to red (升级); empty while open."
        ),
    )
    notified_at = models.DateTimeField(
        _("notified at"),
        null=True,
        blank=True,
        help_text=_(
            "When the responsible officer, the department head and, at red, the efficiency "
            "office were told; empty until then."
        ),
    )

    class Meta:
        verbose_name = _("warning record")
        verbose_name_plural = _("warnings ledger")
        ordering = ["-changed_on", "-id"]
        indexes = [
            # Counts and lists of open warnings per department and level (dashboard, page).
            models.Index(
                fields=["department", "level"],
                condition=Q(closed_on__isnull=True),
                name="warning_open_dept_level",
            ),
            # A clock's history (the open ones are also in the unique index below).
            models.Index(fields=["clock", "changed_on"], name="warning_clock"),
            # The ledger of one department over a period; and of the whole city.
            models.Index(fields=["department", "changed_on"], name="warning_dept_changed"),
            models.Index(fields=["changed_on"], name="warning_changed"),
            # The notice fan-out: open records nobody was told about yet (few at any time).
            models.Index(
                fields=["id"],
                condition=Q(notified_at__isnull=True, closed_on__isnull=True),
                name="warning_pending_notice",
            ),
        ]
        constraints = [
            # Exactly once: a second scan (or a concurrent one) cannot open the same warning.
            models.UniqueConstraint(
                fields=["clock", "level"],
                condition=Q(closed_on__isnull=True),
                name="warning_one_open_per_clock_level",
            ),
            models.CheckConstraint(
                condition=(Q(closed_on__isnull=True) & Q(closed_reason=""))
                | (Q(closed_on__isnull=False) & ~Q(closed_reason="")),
                name="warning_closed_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(level__in=["yellow", "red"]) & ~Q(previous_level=models.F("level")),
                name="warning_level_changes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} #{self.clock_id} {self.changed_on.isoformat()}"
