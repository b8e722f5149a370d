"""Reads of the warnings ledger (预警台账): open warnings, the ledger, counts, access.

Access (STYLE.md habit 5), one function for every page and API:
:func:`warning_records_for_user`. The efficiency office (and administrators) see every
department's warnings; a department head (负责人) sees their own department's; anyone else is
refused (:class:`~xiaoneng.core.errors.PermissionDenied`): the ledger is a supervision tool,
not a list of items.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from xiaoneng.accounts.models import Role
from xiaoneng.core.errors import InvalidInput, PermissionDenied
from xiaoneng.supervision.models import WarningLevelChoice, WarningRecord

#: ``state`` filter values of the ledger: open, closed, or both (empty).
RECORD_STATES = ("open", "closed")


def _application_url(object_id: str) -> str:
    return reverse("applications:detail", kwargs={"pk": object_id})


def _rectification_url(object_id: str) -> str:
    return f"{reverse('ratings:rectification-list')}#rectification-{object_id}"


def _hotline_ticket_url(object_id: str) -> str:
    return reverse("hotline:ticket", kwargs={"pk": object_id})


#: Where the page of a tracked item is, by ``app_label.model`` of its content type. Rooms with
#: item pages add theirs here (hotline tickets, supervision tasks…); others show no link.
ITEM_URLS: dict[str, Callable[[str], str]] = {
    "applications.application": _application_url,
    "ratings.rectification": _rectification_url,
    "hotline.ticket": _hotline_ticket_url,
}


def item_url(content_type: ContentType, object_id: str) -> str | None:
    """The path of a tracked item's page, or ``None`` when no page is known for its kind."""
    build = ITEM_URLS.get(f"{content_type.app_label}.{content_type.model}")
    if build is None:
        return None
    try:
        return build(object_id)
    except NoReverseMatch:
        return None


# -- access ----------------------------------------------------------------------------------


def _is_office(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_office", False))


def _is_head(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "role", None) == Role.HEAD
        and getattr(user, "department_id", None) is not None
    )


def user_may_see_warnings(user: Any) -> bool:
    """The efficiency office, administrators and department heads see (part of) the ledger."""
    return _is_office(user) or _is_head(user)


def warning_records_for_user(
    user: Any,
    *,
    department: Any | None = None,
    level: str | None = None,
    state: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[WarningRecord]:
    """The ledger rows ``user`` may see, filtered; newest change first.

    The office sees every department; a head sees their own department only (a ``department``
    filter naming another one gives nothing).

    Raises:
        PermissionDenied: the user is neither the efficiency office nor a department head.
        InvalidInput: a filter value is not one of those allowed.
    """
    if not user_may_see_warnings(user):
        raise PermissionDenied(
            _("The warnings ledger is for the efficiency office and department heads.")
        )
    qs = warning_records(
        department=department, level=level, state=state, date_from=date_from, date_to=date_to
    )
    if not _is_office(user):
        qs = qs.filter(department_id=user.department_id)
    return qs


# -- reads -----------------------------------------------------------------------------------


def _department_id(department: Any | None) -> int | None:
    if department is None or department == "":
        return None
    return int(getattr(department, "pk", department))


def _check_level(level: str | None) -> None:
    if level and level not in WarningLevelChoice.values:
        raise InvalidInput(
            _("'level' is one of %(known)s, got %(value)r.")
            % {"known": ", ".join(WarningLevelChoice.values), "value": level},
            details={"parameter": "level", "value": level},
        )


def warning_records(
    *,
    department: Any | None = None,
    level: str | None = None,
    state: str | None = None,
    open_only: bool = False,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[WarningRecord]:
    """The warnings ledger, newest change first, with clock, department and item type joined.

    Args:
        department: a department (or its id); all when ``None``.
        level: ``yellow`` or ``red``; both when empty.
        state: ``open`` or ``closed``; both when empty. ``open_only=True`` is ``state="open"``.
        date_from, date_to: the day of the change (``changed_on``) within these, inclusive.

    Raises:
        InvalidInput: an unknown level or state, or a period that ends before it starts.
    """
    _check_level(level)
    if state and state not in RECORD_STATES:
        raise InvalidInput(
            _("'state' is one of %(known)s, got %(value)r.")
            % {"known": ", ".join(RECORD_STATES), "value": state},
            details={"parameter": "state", "value": state},
        )
    if date_from and date_to and date_to < date_from:
        raise InvalidInput(
            _("The period ends on %(to)s, before it starts on %(from)s.")
            % {"to": date_to.isoformat(), "from": date_from.isoformat()},
            details={"date_from": date_from.isoformat(), "date_to": date_to.isoformat()},
        )
    qs = WarningRecord.objects.select_related(
        "clock", "clock__content_type", "clock__officer", "department"
    )
    department_id = _department_id(department)
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    if level:
        qs = qs.filter(level=level)
    if open_only or state == "open":
        qs = qs.filter(closed_on__isnull=True)
    elif state == "closed":
        qs = qs.filter(closed_on__isnull=False)
    if date_from:
        qs = qs.filter(changed_on__gte=date_from)
    if date_to:
        qs = qs.filter(changed_on__lte=date_to)
    return qs.order_by("-changed_on", "-id")


def warnings_open(
    *, department: Any | None = None, level: str | None = None
) -> QuerySet[WarningRecord]:
    """The open warnings (clocks yellow or red now, per the last scan), newest first."""
    return warning_records(department=department, level=level, open_only=True)


def warning_counts_by_department(*, department: Any | None = None) -> dict[int, dict[str, int]]:
    """Open warnings per department id: ``{dept_id: {"yellow": n, "red": n}}``.

    One grouped query on the partial index of open records by department and level.
    """
    qs = WarningRecord.objects.filter(closed_on__isnull=True)
    department_id = _department_id(department)
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    counts: dict[int, dict[str, int]] = {}
    for row in qs.values("department_id", "level").annotate(n=Count("pk")).order_by():
        counts.setdefault(row["department_id"], {"yellow": 0, "red": 0})[row["level"]] = row["n"]
    return counts


def warning_counts_for_user(user: Any) -> dict[int, dict[str, int]]:
    """:func:`warning_counts_by_department` limited to what ``user`` may see.

    Raises:
        PermissionDenied: as :func:`warning_records_for_user`.
    """
    if not user_may_see_warnings(user):
        raise PermissionDenied(
            _("The warnings ledger is for the efficiency office and department heads.")
        )
    return warning_counts_by_department(department=None if _is_office(user) else user.department_id)


def warning_records_by_ids(ids: list[int], *, chunk: int = 1000) -> list[WarningRecord]:
    """The records with these ids (clock and department joined), in the order given."""
    found: dict[int, WarningRecord] = {}
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        for record in warning_records().filter(pk__in=part):
            found[record.pk] = record
    return [found[pk] for pk in ids if pk in found]
