"""The holiday table: which years are covered, and their holidays and adjusted working days.

A day that is not in :class:`CalendarDay` follows the week: Monday-Friday work, Saturday and
Sunday rest. That default is only trusted for years listed in :class:`CalendarYear`; the
arithmetic refuses (or marks provisional) any answer that depends on another year
(DOMAIN_RULES.md §1). Rows are written only by :mod:`xiaoneng.calendars.services`.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.calendars.rules import MAX_YEAR, MIN_YEAR


class CalendarDayKind(models.TextChoices):
    """What a listed day is: a rest day on a weekday, or a working day on a weekend."""

    HOLIDAY = "holiday", _("Holiday")  # 法定节假日（含调休放假）
    WORKDAY = "workday", _("Adjusted working day")  # 调休上班


class CalendarSource(models.TextChoices):
    """Where a covered year's days came from."""

    PACKAGE = "package", _("chinese-calendar package")
    IMPORT = "import", _("Imported notice file")
    ADMIN = "admin", _("Entered in the admin")


class CalendarYear(models.Model):
    """A year whose holidays and adjusted working days are known (the year is *covered*).

    Its existence is what lets the arithmetic trust that year's weekdays and weekends
    (DOMAIN_RULES.md §1). ``revision`` grows with every change to the year or its days, so
    every process can notice a change with one cheap query.
    """

    year = models.PositiveSmallIntegerField(
        _("year"),
        unique=True,
        help_text=_(
            "Calendar year whose State Council holiday notice (国务院办公厅关于节假日安排的通知) "
            "is in the table; working days of that year are computed from it."
        ),
    )
    source = models.CharField(
        _("source"),
        max_length=10,
        choices=CalendarSource.choices,
        default=CalendarSource.IMPORT,
        help_text=_(
            "Where the year's days came from: the chinese-calendar package, an imported "
            "notice file, or entries made in the admin."
        ),
    )
    notice = models.CharField(
        _("notice"),
        max_length=200,
        blank=True,
        default="",
        help_text=_(
            "The notice the days come from, e.g. its document number 国办发明电〔2025〕7号, "
            "or the package version."
        ),
    )
    imported_at = models.DateTimeField(
        _("imported at"),
        default=timezone.now,
        help_text=_("When the year's days were last imported or entered."),
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Who imported or entered the year; empty for the seed from the package."),
    )
    revision = models.PositiveIntegerField(
        _("revision"),
        default=1,
        help_text=_("Grows by one with every change to the year or its days."),
    )
    updated_at = models.DateTimeField(
        _("updated at"),
        auto_now=True,
        help_text=_("When the year or one of its days last changed."),
    )

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)

    def clean(self) -> None:
        if self.year is not None and not MIN_YEAR <= self.year <= MAX_YEAR:
            raise ValidationError(
                {
                    "year": _("Expected a year from %(min)s to %(max)s, got %(year)s.")
                    % {"min": MIN_YEAR, "max": MAX_YEAR, "year": self.year}
                }
            )


class CalendarDay(models.Model):
    """One day that breaks the weekly rhythm: a holiday or an adjusted working day (调休).

    Days of a year not in :class:`CalendarYear` are drafts: the arithmetic ignores them
    until the year is added (DOMAIN_RULES.md §1).
    """

    day = models.DateField(
        _("day"),
        unique=True,
        help_text=_("The date that is a holiday or an adjusted working day."),
    )
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=CalendarDayKind.choices,
        help_text=_(
            "Holiday: a rest day (法定节假日), even Monday-Friday. Adjusted working day "
            "(调休上班): a Saturday or Sunday on which offices work."
        ),
    )
    name = models.CharField(
        _("name"),
        max_length=100,
        help_text=_(
            "The holiday the day belongs to, e.g. 春节 or 国庆节; for an adjusted working day, "
            "the holiday it makes up for."
        ),
    )
    year = models.PositiveSmallIntegerField(
        _("year"),
        db_index=True,
        help_text=_("The calendar year of the day; set from the day."),
    )
    updated_at = models.DateTimeField(
        _("updated at"),
        auto_now=True,
        help_text=_("When the row last changed."),
    )

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.name} ({self.get_kind_display()})"

    def clean(self) -> None:
        if isinstance(self.day, dt.date):
            self.year = self.day.year
            if not MIN_YEAR <= self.day.year <= MAX_YEAR:
                raise ValidationError(
                    {
                        "day": _("Expected a day in %(min)s–%(max)s, got %(day)s.")
                        % {"min": MIN_YEAR, "max": MAX_YEAR, "day": self.day.isoformat()}
                    }
                )
            if self.kind == CalendarDayKind.WORKDAY and self.day.weekday() < 5:
                raise ValidationError(
                    {
                        "kind": _(
                            "An adjusted working day must be a Saturday or Sunday; "
                            "%(day)s is a weekday, which is a working day anyway."
                        )
                        % {"day": self.day.isoformat()}
                    }
                )
