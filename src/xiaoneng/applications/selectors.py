"""Reads of applications: the one access function, queues, detail, allowed actions.

:func:`application_for_user` is the only way a view, a page or a service gets an application
for a user: what the user may not see answers exactly as what does not exist
(:class:`~xiaoneng.core.errors.NotFound`, HTTP 404), STYLE.md habit 5.

Who sees what:

* an applicant (citizen, enterprise): their own applications;
* a partner institution (e.g. a bank filing remotely, claim S7): the ones it filed, and its own;
* a window officer, reviewer or head: the applications of their department, plus those they
  registered at the window (一门办理) or are first responsible for (首问负责);
* the efficiency office and administrators: all (read-only: the table gives them no action).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.accounts.models import STAFF_ROLES, Role
from xiaoneng.applications import rules
from xiaoneng.applications.models import Application, ApplicationEvent, ApplicationMaterial
from xiaoneng.applications.rules import Capacity, MaterialFacts, Requirement, Status
from xiaoneng.calendars.rules import CalendarNotCovered, WorkdayCalendar
from xiaoneng.clocks.models import Clock, StateChoice, WarningChoice
from xiaoneng.clocks.selectors import ClockDict, clock_as_dict
from xiaoneng.core.errors import NotFound

# The extra, non-status actions a page may offer (首问负责).
TAKE_RESPONSIBILITY = "take-responsibility"
HAND_OVER = "hand-over"


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _calendar() -> WorkdayCalendar:
    from xiaoneng.calendars.selectors import workday_calendar

    return workday_calendar()


def _is_signed_in(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.pk is not None


def _visible_q(user: Any) -> Q | None:
    """The filter of the applications ``user`` may see; ``None`` means all of them."""
    if getattr(user, "is_superuser", False) or user.role in {Role.OFFICE, Role.ADMIN}:
        return None
    if user.role in STAFF_ROLES:
        q = Q(registered_by=user) | Q(first_responsible=user)
        if user.department_id is not None:
            q |= Q(department_id=user.department_id)
        return q
    if user.role == Role.PARTNER:
        return Q(registered_by=user) | Q(applicant=user)
    return Q(applicant=user)


def _base() -> QuerySet[Application]:
    # The people come in a second query (one per relation for a whole list): joining three
    # more user tables made PostgreSQL spend ~10 ms planning every lookup, more than the
    # lookups themselves cost.
    return Application.objects.select_related(
        "matter",
        "matter_version",
        "department",
        "promised_clock",
        "legal_clock",
    ).prefetch_related("applicant", "registered_by", "first_responsible")


def application_for_user(
    user: Any, application_id: uuid.UUID | str, *, for_update: bool = False
) -> Application:
    """The application ``user`` may see, or :class:`NotFound` (same as a nonexistent one).

    With ``for_update`` the row is locked (``SELECT … FOR UPDATE``) until the caller's
    transaction ends; call it inside ``transaction.atomic()``.

    Raises:
        NotFound: no such application, a malformed id, or one the user may not see.
    """
    not_found = NotFound(
        _("No application has the id %(id)s.") % {"id": application_id},
        details={"id": str(application_id)},
    )
    if not _is_signed_in(user):
        raise not_found
    try:
        pk = (
            application_id
            if isinstance(application_id, uuid.UUID)
            else uuid.UUID(str(application_id))
        )
    except ValueError:
        raise not_found from None
    queryset = _base()
    if for_update:
        # Only the application row: the joined rows (matter, department…) are not locked, and
        # PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
        queryset = queryset.select_for_update(of=("self",))
    where = _visible_q(user)
    if where is not None:
        queryset = queryset.filter(where)
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise not_found
    return found


def application_capacities(user: Any, application: Application) -> frozenset[Capacity]:
    """The parts ``user`` plays for ``application`` (see :class:`rules.Capacity`).

    The applicant, and the partner institution that filed for them, act as the applicant.
    Staff act in their role for their own department's applications; a window officer who
    registered a walk-in application for another department acts as its window (一窗受理).
    """
    if not _is_signed_in(user):
        return frozenset()
    found: set[Capacity] = set()
    if application.applicant_id == user.pk:
        found.add(Capacity.APPLICANT)
    if user.role == Role.PARTNER and application.registered_by_id == user.pk:
        found.add(Capacity.APPLICANT)
    if user.role in STAFF_ROLES:
        if user.department_id is not None and user.department_id == application.department_id:
            found.add(Capacity(user.role))
        elif user.role == Role.WINDOW and application.registered_by_id == user.pk:
            found.add(Capacity.WINDOW)
    return frozenset(found)


def application_allowed_actions(
    user: Any, application: Application, *, today: dt.date | None = None
) -> list[str]:
    """The actions ``user`` may take on ``application`` now: the buttons a page shows.

    From the transition table and the user's capacities; a supplement request is left out
    once the Art. 32(4) window has closed or after the one notice went out. Staff of the
    department also get ``take-responsibility`` (nobody is first responsible yet) and the
    first responsible officer ``hand-over``.
    """
    capacities = application_capacities(user, application)
    actions = [
        a.value for a in rules.allowed_actions(application.kind, application.status, capacities)
    ]
    if rules.Action.REQUEST_SUPPLEMENT.value in actions and (
        application.supplement_notice or _supplement_closed(application, today=today)
    ):
        actions.remove(rules.Action.REQUEST_SUPPLEMENT.value)
    staff = capacities & {Capacity.WINDOW, Capacity.REVIEWER, Capacity.HEAD}
    if staff and application.status not in rules.FINAL_STATUSES:
        if application.first_responsible_id is None:
            actions.append(TAKE_RESPONSIBILITY)
        elif application.first_responsible_id == user.pk:
            actions.append(HAND_OVER)
    return actions


def _supplement_closed(application: Application, *, today: dt.date | None) -> bool:
    try:
        return rules.supplement_too_late(_calendar(), application.received_on, _today(today))
    except CalendarNotCovered:
        return False


def supplement_deadline_of(application: Application) -> dt.date | None:
    """The last day to ask for a supplement (Art. 32(4)), while the application waits."""
    if application.status != Status.SUBMITTED:
        return None
    try:
        return rules.supplement_deadline(_calendar(), application.received_on)
    except CalendarNotCovered:
        return None


# -- materials -------------------------------------------------------------------------------


def material_facts(application: Application) -> list[MaterialFacts]:
    """The materials of the application's matter version, as the rules need them."""
    return [
        MaterialFacts(
            id=m.pk,
            name=m.name,
            necessity=m.necessity,
            replacement=m.replacement,
            license_type=m.license_type,
        )
        for m in application.matter_version.materials.all()
    ]


def satisfied_map(rows: Iterable[ApplicationMaterial]) -> dict[int, list[str]]:
    """``{catalog material id: [how it is satisfied, …]}`` from an application's rows."""
    found: dict[int, list[str]] = {}
    for row in rows:
        if row.material_id is not None:
            found.setdefault(row.material_id, []).append(row.kind)
    return found


def application_requirements(application: Application) -> list[Requirement]:
    """Each material of the version, whether it is needed and what satisfies it so far."""
    return rules.requirements(
        material_facts(application), satisfied_map(application.materials.all())
    )


def application_missing(application: Application) -> list[Requirement]:
    """The needed materials nothing satisfies yet (what blocks acceptance)."""
    return [r for r in application_requirements(application) if r.missing]


# -- queues ----------------------------------------------------------------------------------

WARNING_LEVELS = ("none", "yellow", "red")


def _warning_q(level: str, today: dt.date, prefix: str = "promised_clock__") -> Q:
    """The applications whose promised clock is at ``level`` today (as clocks.selectors)."""

    def q(**kwargs: Any) -> Q:
        return Q(**{prefix + k: v for k, v in kwargs.items()})

    red = q(state=StateChoice.RUNNING, due_on__lt=today) | (
        q(state__in=[StateChoice.PAUSED, StateChoice.STOPPED], warning=WarningChoice.RED)
    )
    yellow = q(state=StateChoice.RUNNING, yellow_on__lte=today, due_on__gte=today) | q(
        state=StateChoice.PAUSED, warning=WarningChoice.YELLOW
    )
    if level == "red":
        return red
    if level == "yellow":
        return yellow
    return ~red & ~yellow


def applications_visible_to(
    user: Any,
    *,
    status: str | Sequence[str] | None = None,
    warning: str | None = None,
    matter: str | None = None,
    q: str | None = None,
    today: dt.date | None = None,
) -> QuerySet[Application]:
    """The applications ``user`` may see, filtered, in the order their page shows them.

    Staff get their department's queue sorted by the promised due date (the most urgent
    first; not yet accepted ones after, oldest receipt first); applicants and partners their
    own, newest first. Filters: ``status`` (one or several), ``warning`` (none / yellow / red
    of the promised clock today), ``matter`` (implementation code), ``q`` (number, applicant
    name or matter name contains). Promised clocks and their pauses are fetched with the
    list, so :func:`application_summaries` adds no query per row.
    """
    if not _is_signed_in(user):
        return Application.objects.none()
    queryset = _base().prefetch_related("promised_clock__pauses")
    where = _visible_q(user)
    if where is not None:
        queryset = queryset.filter(where)
    if status:
        statuses = [status] if isinstance(status, str) else list(status)
        statuses = [s for part in statuses for s in str(part).split(",") if s]
        queryset = queryset.filter(status__in=statuses)
    if warning in WARNING_LEVELS:
        queryset = queryset.filter(_warning_q(warning, _today(today)))
    if matter:
        queryset = queryset.filter(matter__code=matter)
    if q and q.strip():
        term = q.strip()
        queryset = queryset.filter(
            Q(number__icontains=term)
            | Q(applicant_name__icontains=term)
            | Q(matter_version__name__icontains=term)
        )
    if user.role in STAFF_ROLES:
        return queryset.order_by(
            F("promised_clock__due_on").asc(nulls_last=True), "received_on", "number"
        )
    return queryset.order_by("-created_at", "-number")


def _clock_dict(clock: Any, *, today: dt.date, calendar: WorkdayCalendar | None) -> Any:
    if clock is None:
        return None
    return clock_as_dict(clock, today=today, calendar=calendar)


def application_summary(
    application: Application,
    *,
    today: dt.date | None = None,
    calendar: WorkdayCalendar | None = None,
    with_clock: bool = True,
) -> dict[str, Any]:
    """One row of a list or queue, JSON-ready (the promised clock as its figures)."""
    day = _today(today)
    clock = application.promised_clock if with_clock else None
    if clock is not None and calendar is None:
        calendar = _calendar()
    return {
        "id": str(application.pk),
        "number": application.number,
        "matter": application.matter.code,
        "matter_name": application.matter_version.name,
        "kind": application.kind,
        "department": application.department.code,
        "department_name": application.department.name,
        "applicant_name": application.applicant_name,
        "channel": application.channel,
        "status": application.status,
        "status_label": str(rules.STATUS_LABELS[Status(application.status)]),
        "received_on": application.received_on.isoformat(),
        "accepted_on": _iso(application.accepted_on),
        "concluded_on": _iso(application.concluded_on),
        "created_at": application.created_at.isoformat(),
        "clock": _clock_dict(clock, today=day, calendar=calendar),
    }


def application_summaries(
    applications: Iterable[Application], *, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """:func:`application_summary` for a page of rows, with one calendar for all."""
    rows = list(applications)
    calendar = _calendar() if any(a.promised_clock_id for a in rows) else None
    day = _today(today)
    return [application_summary(a, today=day, calendar=calendar) for a in rows]


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


# -- detail ----------------------------------------------------------------------------------


@dataclass
class ApplicationDetail:
    """Everything the application page and the API detail show, fetched in a few queries."""

    application: Application
    events: list[ApplicationEvent]
    materials: list[ApplicationMaterial]
    requirements: list[Requirement]
    clock: ClockDict | None
    legal_clock: ClockDict | None
    license: dict[str, Any] | None
    allowed_actions: list[str]
    capacities: frozenset[Capacity]
    supplement_deadline: dt.date | None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def missing(self) -> list[Requirement]:
        return [r for r in self.requirements if r.missing]


def application_detail(
    user: Any,
    application_id: uuid.UUID | str,
    *,
    today: dt.date | None = None,
    loaded: Application | None = None,
) -> ApplicationDetail:
    """The application with its history, materials, clocks, license and allowed actions.

    ``loaded``: the application as :func:`application_for_user` gave it to this ``user`` in
    this request and a service brought up to date (``_sync``) — the answer to an action
    reads it instead of looking it up again (two statements with five joins, about a tenth
    of an action request). Its clocks are read afresh all the same.

    Raises:
        NotFound: as :func:`application_for_user`.
    """
    day = _today(today)
    if loaded is not None and str(loaded.pk) == str(application_id):
        application = loaded
    else:
        application = application_for_user(user, application_id)
    events = list(
        ApplicationEvent.objects.filter(application=application)
        .select_related("actor")
        .order_by("at", "id")
    )
    materials = list(
        ApplicationMaterial.objects.filter(application=application)
        .select_related("material", "commitment", "added_by")
        .order_by("id")
    )
    version_materials = list(application.matter_version.materials.all())
    facts = [
        MaterialFacts(
            id=m.pk,
            name=m.name,
            necessity=m.necessity,
            replacement=m.replacement,
            license_type=m.license_type,
        )
        for m in version_materials
    ]
    requirements = rules.requirements(facts, satisfied_map(materials))
    calendar = _calendar() if application.promised_clock_id or application.legal_clock_id else None
    # Both clocks afresh in one query (an action may just have started, paused or stopped
    # them), put back on the application so the allowed actions read the same state.
    names = ("promised_clock", "legal_clock")
    ids = [getattr(application, f"{name}_id") for name in names]
    fresh = {
        c.pk: c
        for c in Clock.objects.prefetch_related("pauses").filter(pk__in=[i for i in ids if i])
    }
    clocks = {}
    for name, clock_id in zip(names, ids, strict=True):
        clock = fresh.get(clock_id) if clock_id else None
        if clock is not None:
            setattr(application, name, clock)
        clocks[name] = _clock_dict(clock, today=day, calendar=calendar)
    return ApplicationDetail(
        application=application,
        events=events,
        materials=materials,
        requirements=requirements,
        clock=clocks["promised_clock"],
        legal_clock=clocks["legal_clock"],
        license=application_license(application),
        allowed_actions=application_allowed_actions(user, application, today=day),
        capacities=application_capacities(user, application),
        supplement_deadline=supplement_deadline_of(application),
        extras={"version_materials": {m.pk: m for m in version_materials}},
    )


def application_license(application: Application) -> dict[str, Any] | None:
    """The e-license issued on approval, as ``{"identifier", "verify_url", …}``; or ``None``."""
    if application.decision != "approved":
        return None
    from xiaoneng.licenses.selectors import license_for_source

    found = license_for_source(source=application)
    if found is None:
        return None
    identifier = found.identifier
    try:
        verify_url = reverse("licenses:verify", args=[identifier])
    except NoReverseMatch:
        verify_url = f"/licenses/verify/{identifier}/"
    return {
        "identifier": identifier,
        "verify_url": verify_url,
        "license_type_name": getattr(found, "license_type_name", ""),
        "status": str(getattr(found, "status", "")),
    }


def held_license_types(applicant: Any) -> dict[str, str]:
    """``{e-license type name: identifier}`` of the e-licenses this platform issued to
    ``applicant`` that are neither revoked nor expired (一次提交、多次复用)."""
    from xiaoneng.licenses.models import License

    queryset = License.objects.filter(holder_user=applicant, revoked_at__isnull=True).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=timezone.localdate())
    )
    found: dict[str, str] = {}
    for type_name, identifier in queryset.order_by("pk").values_list(
        "license_type_name", "identifier"
    ):
        found[type_name] = identifier
    return found


__all__ = [
    "HAND_OVER",
    "TAKE_RESPONSIBILITY",
    "ApplicationDetail",
    "application_allowed_actions",
    "application_capacities",
    "application_detail",
    "application_for_user",
    "application_license",
    "application_missing",
    "application_requirements",
    "application_summaries",
    "application_summary",
    "applications_visible_to",
    "held_license_types",
    "supplement_deadline_of",
]
