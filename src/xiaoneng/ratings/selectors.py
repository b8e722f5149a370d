"""Reads of ratings and rectifications: access functions, lists, and dashboard figures.

Access (STYLE.md habit 5): the efficiency office (and administrators) see everything;
department staff (window officers, reviewers, heads) see their own department's rectifications
and ratings; a rater sees their own ratings. Anything else answers exactly as if it did not
exist (:class:`~xiaoneng.core.errors.NotFound`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from xiaoneng.accounts.models import STAFF_ROLES
from xiaoneng.clocks.models import WarningChoice
from xiaoneng.core.errors import NotFound
from xiaoneng.ratings import rules
from xiaoneng.ratings.models import (
    AppealStateChoice,
    Rating,
    RatingAppeal,
    Rectification,
    RectificationStateChoice,
)

OPEN_STATES = (RectificationStateChoice.OPEN, RectificationStateChoice.VISITED)


# -- access ----------------------------------------------------------------------------------


def is_office(user: Any) -> bool:
    """The efficiency office, administrators and superusers see every department."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_office", False))


def may_list_rectifications(user: Any) -> bool:
    """Department staff and the office work rectifications; the list page and API refuse
    everyone else with 403 rather than answer an empty list."""
    return is_office(user) or (
        bool(getattr(user, "is_authenticated", False))
        and getattr(user, "role", None) in STAFF_ROLES
    )


def is_department_staff(user: Any, department_id: int | None) -> bool:
    """A window officer, reviewer or head of that department."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "role", None) in STAFF_ROLES
        and department_id is not None
        and getattr(user, "department_id", None) == department_id
    )


def _rectification_base() -> QuerySet[Rectification]:
    return Rectification.objects.select_related(
        "rating", "rating__rater", "rating__content_type", "department", "clock", "visited_by"
    ).prefetch_related("clock__pauses")


def rectifications_for_user(user: Any, *, state: str | None = None) -> QuerySet[Rectification]:
    """The rectifications ``user`` may see, soonest due first; the office sees all.

    Args:
        user: the caller.
        state: only this state (open, visited, completed, cancelled), or all.
    """
    qs = _rectification_base()
    if is_office(user):
        pass
    elif is_department_staff(user, getattr(user, "department_id", None)):
        qs = qs.filter(department_id=user.department_id)
    else:
        return qs.none()
    if state:
        qs = qs.filter(state=state)
    return qs.order_by(
        models.Case(models.When(state__in=OPEN_STATES, then=0), default=1),
        "clock__due_on",
        "-created_at",
        "-id",
    )


def rectification_for_user(user: Any, rectification_id: int | str) -> Rectification:
    """One rectification ``user`` may see: the access function every view uses.

    Raises:
        NotFound: no such rectification, or another department's (the same answer).
    """
    try:
        pk = int(rectification_id)
    except (TypeError, ValueError):
        raise NotFound(_("This rectification does not exist.")) from None
    found = rectifications_for_user(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("This rectification does not exist."))
    return found


def user_may_see_rectification(user: Any, rectification: Rectification) -> bool:
    """The rule of :func:`rectifications_for_user` for one row already loaded."""
    return is_office(user) or is_department_staff(user, rectification.department_id)


def user_may_see_rating(user: Any, rating: Rating) -> bool:
    """The office, the department's staff, and the rater."""
    return (
        is_office(user)
        or is_department_staff(user, rating.department_id)
        or (
            getattr(user, "is_authenticated", False)
            and getattr(user, "pk", None) == rating.rater_id
        )
    )


def rating_for_user(user: Any, rating_id: int | str) -> Rating:
    """One rating ``user`` may see.

    Raises:
        NotFound: no such rating, or the caller may not see it (the same answer).
    """
    try:
        pk = int(rating_id)
    except (TypeError, ValueError):
        raise NotFound(_("This rating does not exist.")) from None
    rating = Rating.objects.select_related("department", "rater").filter(pk=pk).first()
    if rating is None or not user_may_see_rating(user, rating):
        raise NotFound(_("This rating does not exist."))
    return rating


# -- lists -----------------------------------------------------------------------------------


def rating_of_item(*, item: models.Model, rater: Any) -> Rating | None:
    """The rating ``rater`` gave ``item``, or ``None`` (one per item and rater)."""
    return (
        Rating.objects.filter(
            content_type=ContentType.objects.get_for_model(item),
            object_id=str(item.pk),
            rater_id=getattr(rater, "pk", None),
        )
        .select_related("department")
        .first()
    )


def ratings_of_item(*, item: models.Model) -> QuerySet[Rating]:
    """Every rating of ``item``, newest first."""
    return Rating.objects.filter(
        content_type=ContentType.objects.get_for_model(item), object_id=str(item.pk)
    ).select_related("department", "rater")


def bad_reviews_open(*, department: Any | None = None) -> QuerySet[Rectification]:
    """Rectifications not finished yet (待回访 or 整改中), soonest due first."""
    qs = _rectification_base().filter(state__in=OPEN_STATES)
    if department is not None:
        qs = qs.filter(department=department)
    return qs.order_by("clock__due_on", "id")


def appeals_pending() -> QuerySet[RatingAppeal]:
    """Appeals waiting for the efficiency office, oldest first."""
    return (
        RatingAppeal.objects.filter(state=AppealStateChoice.PENDING)
        .select_related("rating", "rating__department", "filed_by")
        .order_by("filed_at", "id")
    )


# -- figures ---------------------------------------------------------------------------------


def _counted_ratings(
    *, department: Any | None, since: dt.datetime | None, until: dt.datetime | None
) -> QuerySet[Rating]:
    # An upheld appeal found the review mistaken or malicious: it is out of every figure.
    qs = Rating.objects.exclude(appeal_state=AppealStateChoice.UPHELD)
    if department is not None:
        qs = qs.filter(department=department)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs


def rating_counts(
    *,
    department: Any | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> dict[int, dict[int, int]]:
    """Ratings per department id and level: ``{dept_id: {5: n, 4: n, 3: n, 2: n, 1: n}}``.

    Every level is present (0 when none). Ratings whose appeal was upheld are left out.
    """
    rows = (
        _counted_ratings(department=department, since=since, until=until)
        .values("department", "level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[int, dict[int, int]] = {}
    for row in rows:
        per_level = counts.setdefault(row["department"], {int(lv): 0 for lv in rules.RatingLevel})
        per_level[row["level"]] = row["n"]
    return counts


@dataclass(frozen=True, slots=True)
class RatingFigures:
    """The rating figures of a department or the city (upheld appeals left out)."""

    total: int
    by_level: dict[int, int]
    bad: int
    satisfaction_rate: float | None
    rectifications_open: int
    rectifications_completed: int
    rectifications_on_time: int
    rectification_on_time_rate: float | None


def rating_figures(
    *,
    department: Any | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> RatingFigures:
    """Totals for the dashboard: levels, bad reviews, satisfaction and on-time rectification.

    A rectification is on time when its clock stopped on or before the due date (its stored
    verdict is not red, docs/clock.md §4). Rates are ``None`` when there is nothing to count.
    """
    by_level = {int(lv): 0 for lv in rules.RatingLevel}
    for per_level in rating_counts(department=department, since=since, until=until).values():
        for level, n in per_level.items():
            by_level[level] += n
    rects = Rectification.objects.exclude(rating__appeal_state=AppealStateChoice.UPHELD)
    if department is not None:
        rects = rects.filter(department=department)
    if since is not None:
        rects = rects.filter(created_at__gte=since)
    if until is not None:
        rects = rects.filter(created_at__lt=until)
    agg = rects.aggregate(
        open=Count("pk", filter=Q(state__in=OPEN_STATES)),
        completed=Count("pk", filter=Q(state=RectificationStateChoice.COMPLETED)),
        on_time=Count(
            "pk",
            filter=Q(state=RectificationStateChoice.COMPLETED)
            & ~Q(clock__warning=WarningChoice.RED),
        ),
    )
    total = sum(by_level.values())
    return RatingFigures(
        total=total,
        by_level=by_level,
        bad=sum(n for level, n in by_level.items() if rules.is_bad(level)),
        satisfaction_rate=rules.satisfaction_rate(by_level),
        rectifications_open=agg["open"],
        rectifications_completed=agg["completed"],
        rectifications_on_time=agg["on_time"],
        rectification_on_time_rate=rules.rate(agg["on_time"], agg["completed"]),
    )
