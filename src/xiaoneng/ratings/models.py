"""Ratings (好差评), the rectification of bad reviews (整改) and appeals (申诉).

Rows only: the rules live in :mod:`xiaoneng.ratings.rules`, the writes in
:mod:`xiaoneng.ratings.services`. A rating belongs to what was rated (an application, a
hotline ticket…) through ``content_type`` + ``object_id`` (text), so this room does not
depend on the rooms whose items are rated.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.ratings.rules import (
    AppealState,
    RatingChannel,
    RatingLevel,
    RectificationState,
)


class LevelChoice(models.IntegerChoices):
    """The five levels (values shared with :class:`rules.RatingLevel`)."""

    VERY_SATISFIED = RatingLevel.VERY_SATISFIED.value, _("very satisfied")  # 非常满意
    SATISFIED = RatingLevel.SATISFIED.value, _("satisfied")  # 满意
    BASICALLY_SATISFIED = (
        RatingLevel.BASICALLY_SATISFIED.value,
        _("basically satisfied"),
    )  # 基本满意
    DISSATISFIED = RatingLevel.DISSATISFIED.value, _("dissatisfied")  # 不满意
    VERY_DISSATISFIED = RatingLevel.VERY_DISSATISFIED.value, _("very dissatisfied")  # 非常不满意


class ChannelChoice(models.TextChoices):
    """Where the rating was given (values shared with :class:`rules.RatingChannel`)."""

    ON_SITE = RatingChannel.ON_SITE.value, _("on site (一次一评)")
    ONLINE = RatingChannel.ONLINE.value, _("online (一事一评)")
    PUBLIC = RatingChannel.PUBLIC.value, _("public comment (综合点评)")
    GOVERNMENT = RatingChannel.GOVERNMENT.value, _("government supervision (监督查评)")


class AppealStateChoice(models.TextChoices):
    """Where a rating is on the appeal path (values shared with :class:`rules.AppealState`)."""

    NONE = AppealState.NONE.value, _("not appealed")  # 未申诉
    PENDING = AppealState.PENDING.value, _("appeal pending")  # 申诉中
    UPHELD = AppealState.UPHELD.value, _("appeal upheld")  # 申诉成立
    REJECTED = AppealState.REJECTED.value, _("appeal rejected")  # 申诉不成立


class RectificationStateChoice(models.TextChoices):
    """Where a rectification is (values shared with :class:`rules.RectificationState`)."""

    OPEN = RectificationState.OPEN.value, _("awaiting return visit")  # 待回访
    VISITED = RectificationState.VISITED.value, _("visited, being rectified")  # 整改中
    COMPLETED = RectificationState.COMPLETED.value, _("rectified")  # 已整改
    CANCELLED = RectificationState.CANCELLED.value, _("cancelled on appeal")  # 已撤销


class Rating(models.Model):
    """One person's rating of one service item (好差评), real-name: the rater is signed in.

    One rating per item per rater (一事一评). ``is_bad`` is derived from ``level`` (≤ 2,
    DOMAIN_RULES.md §8) and stored so the figures and lists of bad reviews are indexed
    queries; a database constraint keeps the two in step.
    """

    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("rated item type"),
        on_delete=models.PROTECT,
        related_name="+",
        # Covered by the unique (content_type, object_id, rater) constraint below.
        db_index=False,
        help_text=_("The kind of item rated (办件、工单…)."),
    )
    object_id = models.CharField(
        _("rated item id"),
        max_length=64,
        help_text=_("Primary key of the rated item, as text (integer or UUID)."),
    )
    item = GenericForeignKey("content_type", "object_id")
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("rated department"),
        on_delete=models.PROTECT,
        related_name="ratings",
        db_index=False,
        help_text=_("The handling unit (办理单位) the rating is about; it answers for a bad one."),
    )
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rater"),
        on_delete=models.PROTECT,
        related_name="ratings_given",
        help_text=_("The signed-in person who rated (real-name, 实名评价)."),
    )
    level = models.PositiveSmallIntegerField(
        _("level"),
        choices=LevelChoice.choices,
        help_text=_(
            "5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意; "
            "2 and 1 are bad reviews (差评)."
        ),
    )
    text = models.TextField(
        _("text"), blank=True, default="", help_text=_("What the rater wrote, if anything.")
    )
    channel = models.CharField(
        _("channel"),
        max_length=12,
        choices=ChannelChoice.choices,
        default=ChannelChoice.ONLINE,
        help_text=_("一次一评 on site, 一事一评 online, 综合点评 public, 监督查评 government."),
    )
    created_at = models.DateTimeField(_("rated at"), default=timezone.now, editable=False)
    is_bad = models.BooleanField(
        _("bad review"),
        default=False,
        editable=False,
        help_text=_("差评: level 2 or 1. Derived from the level: do not edit."),
    )
    appeal_state = models.CharField(
        _("appeal"),
        max_length=10,
        choices=AppealStateChoice.choices,
        default=AppealStateChoice.NONE,
        help_text=_(
            "Where the rating is on the appeal path (申诉); an upheld appeal takes it out of "
            "the figures."
        ),
    )

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Figures per department and level, over a period.
            models.Index(fields=["department", "level", "created_at"], name="rating_dept_level"),
            # Bad reviews of a department, newest first.
            models.Index(
                fields=["department", "-created_at"],
                condition=Q(is_bad=True),
                name="rating_dept_bad",
            ),
            # KPIs of a period (dashboard): ratings and bad reviews given between two days,
            # for the city or per department, counted from the index alone.
            models.Index(
                fields=["created_at", "department", "is_bad", "appeal_state"],
                name="rating_period",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "rater"], name="rating_one_per_item_rater"
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=5), name="rating_level_1_5"
            ),
            models.CheckConstraint(
                condition=Q(is_bad=True, level__lte=2) | Q(is_bad=False, level__gte=3),
                name="rating_is_bad_matches_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.department_id} · {self.object_id}"


class Rectification(models.Model):
    """The rectification (整改) a bad review opens for the department, on its own Clock.

    The department records a return visit (回访) to the rater, then the measures taken
    (整改措施); its clock (kind ``rating.rectification``) runs from the day of the review
    with the local limit (setting ``RATING_RECTIFICATION_DAYS``, default 5 working days).
    """

    rating = models.OneToOneField(
        Rating,
        verbose_name=_("rating"),
        on_delete=models.PROTECT,
        related_name="rectification",
        help_text=_("The bad review (差评) that opened it."),
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("responsible department"),
        on_delete=models.PROTECT,
        related_name="rectifications",
        db_index=False,
        help_text=_("The handling unit answerable for the rectification (责任单位)."),
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=RectificationStateChoice.choices,
        default=RectificationStateChoice.OPEN,
        help_text=_("待回访, 整改中, 已整改, or 已撤销 after an upheld appeal."),
    )
    clock = models.OneToOneField(
        "clocks.Clock",
        verbose_name=_("clock"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Its time limit; set when it opens, stopped when it is completed."),
    )
    visited_on = models.DateField(
        _("return visit on"),
        null=True,
        blank=True,
        help_text=_("The day of the (latest) return visit to the rater (回访日期)."),
    )
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visited by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    visit_outcome = models.TextField(
        _("return visit outcome"),
        blank=True,
        default="",
        help_text=_("What the rater said and what was agreed (回访情况)."),
    )
    rater_satisfied = models.BooleanField(
        _("rater satisfied"),
        null=True,
        blank=True,
        help_text=_("Whether the rater was satisfied after the visit; empty if not reached."),
    )
    measures = models.TextField(
        _("measures"), blank=True, default="", help_text=_("What was done (整改措施).")
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("opened at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["department", "state"], name="rectification_dept_state"),
            models.Index(fields=["state"], name="rectification_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="completed")
                | (Q(completed_at__isnull=False) & Q(visited_on__isnull=False) & ~Q(measures="")),
                name="rectification_completed_has_measures",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} · {self.get_state_display()}"


class RatingAppeal(models.Model):
    """The department's appeal (申诉) against a mistaken or malicious bad review.

    Filed by the department head, decided by the efficiency office. One per rating.
    """

    rating = models.OneToOneField(
        Rating,
        verbose_name=_("rating"),
        on_delete=models.PROTECT,
        related_name="appeal",
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(
        _("reason"), help_text=_("Why the review is mistaken or malicious (申诉理由).")
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=AppealStateChoice.choices,
        default=AppealStateChoice.PENDING,
    )
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(
        _("decision"), blank=True, default="", help_text=_("The office's reasons (审核意见).")
    )

    class Meta:
        verbose_name = _("rating appeal")
        verbose_name_plural = _("rating appeals")
        ordering = ["-filed_at", "-id"]
        indexes = [models.Index(fields=["state", "filed_at"], name="appeal_state")]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["pending", "upheld", "rejected"]), name="appeal_state_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating_id} · {self.get_state_display()}"
