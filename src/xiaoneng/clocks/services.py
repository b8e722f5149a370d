"""Every write to clocks: start, pause, resume, extend, stop, recompute.

Each service owns its transaction, locks the clock row (``select_for_update``), checks the
action against the state machine (:data:`xiaoneng.clocks.rules.TRANSITIONS`), validates the
dates against the rules of DOMAIN_RULES.md §2, appends an audit event with the state before
and after, and recomputes the stored due date, yellow day and warning, so that the stored
values are never stale after a change (the lesson of Open Zaak's suspensions).

Dates given to the services are legal days (``date``), never in the future: a clock records
what happened. They may be in the past, so a change can be recorded the day after.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.calendars.rules import CalendarNotCovered, WorkdayCalendar
from xiaoneng.clocks import rules
from xiaoneng.clocks.models import (
    Clock,
    ClockExtension,
    ClockPause,
    ClockPolicy,
    PauseKind,
    StateChoice,
    WarningChoice,
)
from xiaoneng.clocks.rules import ClockAction, Pause, WarningLevel, WarningPolicy
from xiaoneng.clocks.signals import clock_stopped
from xiaoneng.core.errors import Conflict, InvalidInput, NotFound
from xiaoneng.core.services import audit_record
from xiaoneng.core.validation import full_clean_held

logger = logging.getLogger(__name__)

# Rows locked and written per transaction by the bulk recomputes: small enough to keep locks
# short while the web keeps writing, large enough to amortise the round trips.
RECOMPUTE_BATCH = 200

_DERIVED_FIELDS = ("due_on", "due_provisional", "yellow_on", "warning", "used_days")


# -- helpers ---------------------------------------------------------------------------------


def _calendar() -> WorkdayCalendar:
    # Imported here: the calendars room builds (and caches) the calendar from its table, and
    # this module must import even before that table exists (migrations, checks).
    from xiaoneng.calendars.selectors import workday_calendar

    return workday_calendar()


def default_policy() -> WarningPolicy:
    """The warning policy of kinds without a ClockPolicy row (settings, DOMAIN_RULES.md §2)."""
    return WarningPolicy(
        yellow_fraction=Decimal(str(settings.CLOCK_YELLOW_FRACTION)),
        yellow_min_days_before=int(settings.CLOCK_YELLOW_MIN_DAYS_BEFORE),
    )


def _policy_from_row(row: ClockPolicy) -> WarningPolicy:
    return WarningPolicy(
        yellow_fraction=row.yellow_fraction, yellow_min_days_before=row.yellow_min_days_before
    )


def policy_for(kind: str) -> WarningPolicy:
    """The warning policy of a kind of clock: its ClockPolicy row, else the defaults."""
    row = ClockPolicy.objects.filter(kind=kind).first()
    return _policy_from_row(row) if row is not None else default_policy()


def _pauses_of(clock: Clock) -> list[Pause]:
    return [
        Pause(began_on=p.began_on, ended_on=p.ended_on)
        for p in sorted(clock.pauses.all(), key=lambda p: (p.began_on, p.pk or 0))
    ]


def _full_clean(obj: models.Model, **kwargs: Any) -> None:
    try:
        full_clean_held(obj, **kwargs)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        text = "; ".join(
            f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
            for field, messages in errors.items()
        )
        raise InvalidInput(
            _("The clock data is not valid: %(errors)s") % {"errors": text},
            details={"errors": errors},
        ) from exc


def _lock(clock: Clock) -> Clock:
    try:
        return Clock.objects.select_for_update().get(pk=clock.pk)
    except Clock.DoesNotExist:
        raise NotFound(_("This clock does not exist.")) from None


def _sync(target: Clock, source: Clock) -> None:
    # The caller's instance is updated in place too, so code that keeps using it after a
    # service call sees the new state and dates without another query.
    if target is source:
        return
    for field in Clock._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def _check_day(on: dt.date, *, today: dt.date, what: str) -> None:
    if not isinstance(on, dt.date) or isinstance(on, dt.datetime):
        raise InvalidInput(
            _("%(what)s must be a date (a legal day), got %(value)r.") % {"what": what, "value": on}
        )
    if on > today:
        raise InvalidInput(
            _(
                "%(what)s cannot be in the future: %(on)s is after today, %(today)s. "
                "A clock records what has happened."
            )
            % {"what": what, "on": on.isoformat(), "today": today.isoformat()},
            details={"on": on.isoformat(), "today": today.isoformat()},
        )


def _require_text(value: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(_("%(what)s is required.") % {"what": what}, details={"field": "reason"})
    return text


def _apply(
    clock: Clock,
    *,
    calendar: WorkdayCalendar,
    pauses: Sequence[Pause],
    policy: WarningPolicy,
    today: dt.date,
) -> rules.ClockSnapshot:
    """Derive the stored fields from the rows with :func:`rules.snapshot` (DOMAIN_RULES §2)."""
    snap = rules.snapshot(
        calendar,
        started_on=clock.started_on,
        limit_days=clock.limit_days,
        pauses=pauses,
        extension_days=clock.extension_days,
        stopped_on=clock.stopped_on,
        today=today,
        policy=policy,
    )
    clock.due_on = snap.due_on
    clock.due_provisional = snap.due_provisional
    clock.yellow_on = snap.yellow_on
    clock.warning = snap.warning.value
    # Stored only once stopped: the KPIs average what concluded items used (实际用时); an
    # open clock's figure changes every day and is computed when shown.
    clock.used_days = snap.used_days if clock.stopped_on is not None else None
    return snap


def _derived(clock: Clock) -> dict[str, Any]:
    return {
        "due_on": clock.due_on.isoformat() if clock.due_on else None,
        "due_provisional": clock.due_provisional,
        "yellow_on": clock.yellow_on.isoformat() if clock.yellow_on else None,
        "warning": clock.warning,
        "used_days": clock.used_days,
    }


def _audit(
    *,
    actor: Any | None,
    action: str,
    clock: Clock,
    before_state: str,
    before: dict[str, Any],
    summary: str,
    extra: dict[str, Any] | None = None,
) -> None:
    audit_record(
        actor=actor,
        action=f"clocks.{action}",
        target=clock,
        summary=summary,
        data={
            "from": before_state,
            "to": clock.state,
            "before": before,
            "after": _derived(clock),
            "kind": clock.kind,
            "item": {"type": clock.content_type_id, "id": clock.object_id},
            **(extra or {}),
        },
    )


# -- the services ----------------------------------------------------------------------------


def clock_start(
    *,
    actor: Any | None,
    item: models.Model,
    department: Any,
    kind: str,
    limit_days: int,
    started_on: dt.date,
    extension_allowance_days: int = 0,
    label: str = "",
    officer: Any | None = None,
) -> Clock:
    """Start the clock of a tracked item (e.g. on acceptance, 受理).

    The start day is not counted (Civil Code Arts. 201, 203); a start on a rest day counts
    from the next working day (DOMAIN_RULES.md §1). ``limit_days = 0`` is an instant matter
    (即办件): due the day it starts (or the next working day).

    Args:
        actor: who started it (``None`` for the system).
        item: any saved model row; the clock links to it generically.
        department: the responsible ``accounts.Department``.
        kind: e.g. ``application.promised``, ``application.legal``, ``hotline.ticket``.
        limit_days: working days allowed, without extensions.
        started_on: the start day; not after today.
        extension_allowance_days: the most all extensions may add (Art. 42: 10 for the
            20-day licensing limit).
        label: short text for lists and notices.
        officer: the responsible officer (责任人), told first when the clock turns yellow.

    Returns:
        The new clock with its due date, yellow day and warning stored.

    Raises:
        InvalidInput: a number or date breaks a rule, or the item is not saved.
        Conflict: the item already has an open clock of this kind.
    """
    if item.pk is None:
        raise InvalidInput(_("Save the tracked item before starting its clock."))
    today = timezone.localdate()
    _check_day(started_on, today=today, what=_("The start day"))
    if extension_allowance_days < 0:
        raise InvalidInput(
            _("The extension allowance is 0 or more working days, got %(n)s.")
            % {"n": extension_allowance_days}
        )
    content_type = ContentType.objects.get_for_model(item)
    object_id = str(item.pk)
    with transaction.atomic():
        open_clock = (
            Clock.objects.filter(content_type=content_type, object_id=object_id, kind=kind)
            .exclude(state=StateChoice.STOPPED)
            .first()
        )
        if open_clock is not None:
            raise Conflict(
                _(
                    "This item already has an open clock of kind %(kind)s (started "
                    "%(started)s); stop it before starting another."
                )
                % {"kind": kind, "started": open_clock.started_on.isoformat()},
                details={"clock": open_clock.pk, "kind": kind},
            )
        clock = Clock(
            content_type=content_type,
            object_id=object_id,
            department=department,
            kind=kind,
            label=label,
            officer=officer,
            limit_days=limit_days,
            extension_allowance_days=extension_allowance_days,
            started_on=started_on,
            state=StateChoice.RUNNING,
        )
        _apply(clock, calendar=_calendar(), pauses=(), policy=policy_for(kind), today=today)
        # The open-clock check above says it in words; the unique constraint catches a race.
        _full_clean(clock, validate_constraints=False)
        try:
            with transaction.atomic():
                clock.save()
        except IntegrityError as exc:
            raise Conflict(
                _("This item already has an open clock of kind %(kind)s.") % {"kind": kind},
                details={"kind": kind},
            ) from exc
        _audit(
            actor=actor,
            action="clock_start",
            clock=clock,
            before_state="",
            before={},
            summary=_("Clock %(label)s started on %(on)s: %(n)s working days, due %(due)s")
            % {
                "label": clock,
                "on": started_on.isoformat(),
                "n": limit_days,
                "due": clock.due_on.isoformat(),
            },
            extra={"limit_days": limit_days, "started_on": started_on.isoformat()},
        )
    return clock


def clock_pause(*, actor: Any | None, clock: Clock, on: dt.date, kind: str, reason: str) -> Clock:
    """Pause a running clock from ``on`` (Art. 45 special procedure, or awaiting 补正).

    ``on`` itself still counts; the working days after it do not, until the clock resumes
    (DOMAIN_RULES.md §2). While paused, used days, the warning and the due date are frozen.

    Raises:
        Conflict: the clock is not running.
        InvalidInput: ``on`` is in the future, before the start or before the previous
            pause ended; the kind is unknown; the reason is empty.
    """
    reason = _require_text(reason, _("A reason for the pause"))
    if kind not in PauseKind.values:
        raise InvalidInput(
            _("Unknown pause kind %(kind)r; expected one of: %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(PauseKind.values)},
            details={"field": "kind"},
        )
    today = timezone.localdate()
    with transaction.atomic():
        locked = _lock(clock)
        before_state, before = locked.state, _derived(locked)
        locked.state = rules.next_state(locked.state, ClockAction.PAUSE).value
        _check_day(on, today=today, what=_("The pause day"))
        pauses = [*_pauses_of(locked), Pause(began_on=on)]
        rules.validate_clock(
            started_on=locked.started_on,
            limit_days=locked.limit_days,
            pauses=pauses,
            extension_days=locked.extension_days,
        )
        pause = ClockPause(clock=locked, began_on=on, kind=kind, reason=reason, actor=actor)
        _full_clean(pause, validate_constraints=False)
        pause.save()
        _apply(
            locked, calendar=_calendar(), pauses=pauses, policy=policy_for(locked.kind), today=today
        )
        _full_clean(locked, validate_constraints=False)
        locked.save()
        _audit(
            actor=actor,
            action="clock_pause",
            clock=locked,
            before_state=before_state,
            before=before,
            summary=_("Clock %(label)s paused on %(on)s (%(kind)s)")
            % {"label": locked, "on": on.isoformat(), "kind": pause.get_kind_display()},
            extra={"on": on.isoformat(), "pause_kind": kind, "reason": reason},
        )
    _sync(clock, locked)
    return locked


def clock_resume(*, actor: Any | None, clock: Clock, on: dt.date) -> Clock:
    """Resume a paused clock on ``on``: the working days in (pause day, ``on``] are not counted,
    so the due date moves later by that many working days (DOMAIN_RULES.md §2).

    Raises:
        Conflict: the clock is not paused.
        InvalidInput: ``on`` is in the future or before the pause began.
    """
    today = timezone.localdate()
    with transaction.atomic():
        locked = _lock(clock)
        before_state, before = locked.state, _derived(locked)
        locked.state = rules.next_state(locked.state, ClockAction.RESUME).value
        _check_day(on, today=today, what=_("The resume day"))
        open_pause = locked.pauses.get(ended_on__isnull=True)
        pauses = [
            p if p.ended_on is not None else Pause(p.began_on, on) for p in _pauses_of(locked)
        ]
        rules.validate_clock(
            started_on=locked.started_on,
            limit_days=locked.limit_days,
            pauses=pauses,
            extension_days=locked.extension_days,
        )
        open_pause.ended_on = on
        open_pause.ended_by = actor
        open_pause.save(update_fields=["ended_on", "ended_by"])
        _apply(
            locked, calendar=_calendar(), pauses=pauses, policy=policy_for(locked.kind), today=today
        )
        _full_clean(locked, validate_constraints=False)
        locked.save()
        _audit(
            actor=actor,
            action="clock_resume",
            clock=locked,
            before_state=before_state,
            before=before,
            summary=_("Clock %(label)s resumed on %(on)s, now due %(due)s")
            % {"label": locked, "on": on.isoformat(), "due": locked.due_on.isoformat()},
            extra={"on": on.isoformat(), "paused_since": open_pause.began_on.isoformat()},
        )
    _sync(clock, locked)
    return locked


def clock_extend(
    *, actor: Any | None, clock: Clock, days: int, reason: str, on: dt.date | None = None
) -> Clock:
    """Extend a clock by ``days`` working days, approved by ``actor`` (Art. 42).

    The total of all extensions may not exceed the clock's ``extension_allowance_days``, and
    the extension must be approved on or before the due date: a clock that is already late is
    not made on time after the fact. A paused clock may be extended (its time is not running).

    Args:
        on: the day of approval; today when omitted.

    Raises:
        Conflict: the clock is stopped, already late, or its allowance is used up.
        InvalidInput: ``days`` is not positive or alone exceeds the allowance; the reason is
            empty; ``on`` is in the future or before the start.
    """
    reason = _require_text(reason, _("A reason for the extension"))
    today = timezone.localdate()
    on = on or today
    with transaction.atomic():
        locked = _lock(clock)
        before_state, before = locked.state, _derived(locked)
        locked.state = rules.next_state(locked.state, ClockAction.EXTEND).value
        _check_day(on, today=today, what=_("The approval day"))
        if on < locked.started_on:
            raise InvalidInput(
                _(
                    "An extension cannot be approved on %(on)s, before the clock started on "
                    "%(started)s."
                )
                % {"on": on.isoformat(), "started": locked.started_on.isoformat()}
            )
        rules.check_extension(
            days=days,
            already_days=locked.extension_days,
            allowance_days=locked.extension_allowance_days,
        )
        calendar = _calendar()
        pauses = _pauses_of(locked)
        policy = policy_for(locked.kind)
        # Late as of the approval day? A paused clock is judged at its pause day (frozen).
        current = rules.snapshot(
            calendar,
            started_on=locked.started_on,
            limit_days=locked.limit_days,
            pauses=pauses,
            extension_days=locked.extension_days,
            today=on,
            policy=policy,
        )
        late = current.warning is WarningLevel.RED if current.paused else on > current.due_on
        if late:
            raise Conflict(
                _(
                    "The time limit ran out on %(due)s; an extension approved on %(on)s comes "
                    "too late. Extensions must be approved before the limit runs out (Art. 42)."
                )
                % {"due": current.due_on.isoformat(), "on": on.isoformat()},
                details={"due_on": current.due_on.isoformat(), "on": on.isoformat()},
            )
        extension = ClockExtension(
            clock=locked, days=days, reason=reason, approver=actor, approved_on=on
        )
        _full_clean(extension, validate_constraints=False)
        extension.save()
        locked.extension_days += days
        _apply(locked, calendar=calendar, pauses=pauses, policy=policy, today=today)
        _full_clean(locked, validate_constraints=False)
        locked.save()
        _audit(
            actor=actor,
            action="clock_extend",
            clock=locked,
            before_state=before_state,
            before=before,
            summary=_("Clock %(label)s extended by %(days)s working days, now due %(due)s")
            % {"label": locked, "days": days, "due": locked.due_on.isoformat()},
            extra={"days": days, "reason": reason, "approved_on": on.isoformat()},
        )
    _sync(clock, locked)
    return locked


def clock_stop(*, actor: Any | None, clock: Clock, on: dt.date) -> Clock:
    """Stop a clock on ``on`` (办结, or the item ends otherwise); everything freezes.

    A paused clock may be stopped: its open pause ends on ``on``. The stored warning becomes
    the verdict: ``red`` if ``on`` is after the due date (concluded late), else ``none`` — a
    stop closes any yellow warning (办结销号).

    Raises:
        Conflict: the clock is already stopped.
        InvalidInput: ``on`` is in the future, before the start, or before the last pause.
    """
    today = timezone.localdate()
    with transaction.atomic():
        locked = _lock(clock)
        before_state, before = locked.state, _derived(locked)
        locked.state = rules.next_state(locked.state, ClockAction.STOP).value
        _check_day(on, today=today, what=_("The stop day"))
        pauses = [
            p if p.ended_on is not None else Pause(p.began_on, on) for p in _pauses_of(locked)
        ]
        locked.stopped_on = on
        rules.validate_clock(
            started_on=locked.started_on,
            limit_days=locked.limit_days,
            pauses=pauses,
            extension_days=locked.extension_days,
            stopped_on=on,
        )
        if before_state == StateChoice.PAUSED:
            locked.pauses.filter(ended_on__isnull=True).update(ended_on=on, ended_by=actor)
        _apply(
            locked, calendar=_calendar(), pauses=pauses, policy=policy_for(locked.kind), today=today
        )
        _full_clean(locked, validate_constraints=False)
        locked.save()
        _audit(
            actor=actor,
            action="clock_stop",
            clock=locked,
            before_state=before_state,
            before=before,
            summary=_("Clock %(label)s stopped on %(on)s (due %(due)s)")
            % {"label": locked, "on": on.isoformat(), "due": locked.due_on.isoformat()},
            extra={"on": on.isoformat(), "late": locked.warning == WarningChoice.RED},
        )
        # In the transaction: whoever keeps records about the clock (the warnings ledger
        # closes its open warnings, 办结销号) commits or rolls back with the stop.
        clock_stopped.send(sender=Clock, clock=locked, on=on, actor=actor)
    _sync(clock, locked)
    return locked


def clock_set_officer(*, actor: Any | None, clock: Clock, officer: Any | None) -> Clock:
    """Name the responsible officer (责任人) of a clock, e.g. when a case is handed over.

    Allowed in every state; an audit event records who was answerable before and after.
    """
    with transaction.atomic():
        locked = _lock(clock)
        before_id = locked.officer_id
        after_id = officer.pk if officer is not None else None
        if before_id == after_id:
            _sync(clock, locked)
            return locked
        locked.officer = officer
        locked.save(update_fields=["officer", "updated_at"])
        audit_record(
            actor=actor,
            action="clocks.clock_set_officer",
            target=locked,
            summary=_("Clock %(label)s: responsible officer changed") % {"label": locked},
            data={"from": before_id, "to": after_id},
        )
    clock.officer = locked.officer
    _sync(clock, locked)
    return locked


def clock_recompute(*, clock: Clock, today: dt.date | None = None) -> Clock:
    """Re-derive a clock's stored due date, yellow day and warning from its rows.

    For calendar changes (a new year imported, a holiday corrected) and policy changes; an
    audit event is appended only when a stored value changed. Allowed in every state.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock(clock)
        changed = _recompute_locked(
            [locked], calendar=_calendar(), policies=_policies(), today=today
        )
        if changed:
            Clock.objects.bulk_update(changed, [*_DERIVED_FIELDS, "updated_at"])
    _sync(clock, locked)
    return locked


def clocks_recompute_for_years(*, years: Iterable[int], today: dt.date | None = None) -> int:
    """Recompute every clock whose stored dates depended on one of ``years``, and every
    provisional clock; the hook for ``calendars.signals.calendar_changed``.

    A clock depends on a year when the year lies between its start and its due date: the
    stored dates (due, yellow) are derived from working days in that span only.

    Returns:
        The number of clocks whose stored values changed.
    """
    year_list = sorted({int(y) for y in years})
    if not year_list:
        return 0
    depends = Q(due_provisional=True)
    for year in year_list:
        depends |= Q(started_on__lte=dt.date(year, 12, 31), due_on__gte=dt.date(year, 1, 1))
    return _recompute_where(depends, today=today)


def clocks_recompute_for_kind(*, kind: str, today: dt.date | None = None) -> int:
    """Recompute the clocks of one kind that are not stopped, after its policy changed.

    Returns:
        The number of clocks whose stored values changed.
    """
    return _recompute_where(Q(kind=kind) & ~Q(state=StateChoice.STOPPED), today=today)


def _policies() -> dict[str, WarningPolicy]:
    return {row.kind: _policy_from_row(row) for row in ClockPolicy.objects.all()}


def _recompute_where(where: Q, *, today: dt.date | None) -> int:
    today = today or timezone.localdate()
    calendar = _calendar()
    policies = _policies()
    ids = list(Clock.objects.filter(where).order_by("pk").values_list("pk", flat=True))
    changed_total = 0
    for start in range(0, len(ids), RECOMPUTE_BATCH):
        chunk = ids[start : start + RECOMPUTE_BATCH]
        with transaction.atomic():
            locked = list(
                Clock.objects.select_for_update()
                .filter(pk__in=chunk)
                .order_by("pk")
                .prefetch_related("pauses")
            )
            changed = _recompute_locked(locked, calendar=calendar, policies=policies, today=today)
            if changed:
                Clock.objects.bulk_update(changed, [*_DERIVED_FIELDS, "updated_at"])
            changed_total += len(changed)
    return changed_total


def _recompute_locked(
    clocks: Sequence[Clock],
    *,
    calendar: WorkdayCalendar,
    policies: dict[str, WarningPolicy],
    today: dt.date,
) -> list[Clock]:
    changed: list[Clock] = []
    fallback = default_policy()
    for clock in clocks:
        before = _derived(clock)
        try:
            _apply(
                clock,
                calendar=calendar,
                pauses=_pauses_of(clock),
                policy=policies.get(clock.kind, fallback),
                today=today,
            )
        except CalendarNotCovered as exc:
            # Keep the old values (still marked provisional) rather than fail the whole batch.
            logger.warning("clock %s not recomputed: %s", clock.pk, exc.message)
            continue
        if _derived(clock) == before:
            continue
        clock.updated_at = timezone.now()
        changed.append(clock)
        _audit(
            actor=None,
            action="clock_recompute",
            clock=clock,
            before_state=clock.state,
            before=before,
            summary=_("Clock %(label)s recomputed: due %(before)s → %(after)s")
            % {"label": clock, "before": before["due_on"], "after": clock.due_on.isoformat()},
        )
    return changed


# -- warnings as time passes -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WarningChange:
    """One clock whose stored warning moved because a day passed."""

    clock_id: int
    before: str
    after: str


# PostgreSQL, two statements: yellow clocks past their due date turn red, then clocks still at
# none from their yellow day turn yellow (or red, when the due date passed too). Each select
# reads one partial index (``clock_running_yellow``, ``clock_running_none``) that holds only
# the clocks not warned yet, locks the rows in id order and skips those a service holds locked
# at this moment: the scan never waits for the web, and that service recomputes the warning
# itself (the next scan sees the row if it did not). A second scan at the same time skips what
# the first holds and, once that one committed, no longer finds them. The locked ids are
# handed to the update as an array, so it reaches each row through the primary key.
_REFRESH_SQL_POSTGRESQL = (
    (
        "yellow",
        """
UPDATE {clock} SET warning = 'red', updated_at = %(now)s
WHERE id = ANY(ARRAY(
        SELECT id FROM {clock}
        WHERE state = 'running' AND warning = 'yellow' AND due_on < %(today)s
        ORDER BY id FOR UPDATE SKIP LOCKED))
  AND state = 'running' AND warning = 'yellow' AND due_on < %(today)s
RETURNING id, warning
""",
    ),
    (
        "none",
        """
UPDATE {clock}
SET warning = CASE WHEN due_on < %(today)s THEN 'red' ELSE 'yellow' END, updated_at = %(now)s
WHERE id = ANY(ARRAY(
        SELECT id FROM {clock}
        WHERE state = 'running' AND warning = 'none' AND yellow_on <= %(today)s
        ORDER BY id FOR UPDATE SKIP LOCKED))
  AND state = 'running' AND warning = 'none' AND yellow_on <= %(today)s
RETURNING id, warning
""",
    ),
)


def _level_due(today: dt.date) -> models.Case:
    """The level a running clock behind the day moves to: red after its due date, else yellow."""
    return models.Case(
        models.When(due_on__lt=today, then=models.Value(WarningChoice.RED.value)),
        default=models.Value(WarningChoice.YELLOW.value),
        output_field=models.CharField(),
    )


def clocks_refresh_warnings(*, today: dt.date | None = None) -> list[WarningChange]:
    """Move the stored warning of running clocks forward as days pass; indexed, set-based.

    Running clocks past their due date become red, those at or past their yellow day become
    yellow (DOMAIN_RULES.md §2, docs/clock.md §4: red from the day after the due date).
    Paused and stopped clocks are frozen and left alone; a warning is never moved back here
    (the services recompute it on every change). No clock is loaded and nothing is decided
    per clock in Python: two set-based steps, yellow → red, then none → yellow or red, each
    on a partial index that holds only the clocks not warned yet. On PostgreSQL each step is
    one ``UPDATE … WHERE id = ANY(ARRAY(SELECT … FOR UPDATE SKIP LOCKED)) … RETURNING``;
    elsewhere (SQLite, whose write transactions are serialised) one indexed select of the
    changing ids and one ``UPDATE … CASE`` with the same condition. An audit event records
    the counts. The warning scan of the supervision room calls this and keeps the ledger; on
    its own it is safe to run at any time, as often as wished.

    Returns:
        The changes made, ordered by clock id, each with the warning before and after.
    """
    from xiaoneng.clocks.selectors import (
        clocks_turning_red_from_yellow,
        clocks_turning_yellow_or_red,
    )

    today = today or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        connection = transaction.get_connection()
        rows: list[tuple[Any, str, str]] = []
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(Clock._meta.db_table)
            with connection.cursor() as cursor:
                for before, sql in _REFRESH_SQL_POSTGRESQL:
                    cursor.execute(sql.format(clock=table), {"today": today, "now": now})
                    rows.extend((pk, before, after) for pk, after in cursor.fetchall())
        else:
            # SQLite serialises write transactions, so the select and the update see the same
            # rows; the same two steps as above, in the same order.
            for before, behind in (
                (WarningChoice.YELLOW.value, clocks_turning_red_from_yellow(today=today)),
                (WarningChoice.NONE.value, clocks_turning_yellow_or_red(today=today)),
            ):
                found = list(behind.annotate(after=_level_due(today)).values_list("pk", "after"))
                if found:
                    behind.update(warning=_level_due(today), updated_at=now)
                rows.extend((pk, before, after) for pk, after in found)
        changes = sorted(
            (WarningChange(int(pk), str(before), str(after)) for pk, before, after in rows),
            key=lambda change: change.clock_id,
        )
        if changes:
            red = sum(1 for c in changes if c.after == WarningChoice.RED)
            audit_record(
                actor=None,
                action="clocks.warnings_refresh",
                summary=_("%(n)s clock warnings moved forward on %(today)s")
                % {"n": len(changes), "today": today.isoformat()},
                data={"today": today.isoformat(), "red": red, "yellow": len(changes) - red},
            )
    return changes


# -- policies --------------------------------------------------------------------------------


def clock_policy_set(
    *,
    actor: Any | None,
    kind: str,
    yellow_fraction: Decimal | float | str,
    yellow_min_days_before: int,
) -> ClockPolicy:
    """Set the warning policy of a kind of clock, then recompute its open clocks' yellow days.

    The recompute runs as a background task after commit (many clocks may share a kind).
    """
    from xiaoneng.clocks.tasks import recompute_clocks_of_kind

    fraction = Decimal(str(yellow_fraction))
    rules.WarningPolicy(yellow_fraction=fraction, yellow_min_days_before=yellow_min_days_before)
    with transaction.atomic():
        row = ClockPolicy.objects.select_for_update().filter(kind=kind).first()
        before = (
            {
                "yellow_fraction": str(row.yellow_fraction),
                "yellow_min_days_before": row.yellow_min_days_before,
            }
            if row is not None
            else {}
        )
        row = row or ClockPolicy(kind=kind)
        row.yellow_fraction = fraction
        row.yellow_min_days_before = yellow_min_days_before
        _full_clean(row)
        row.save()
        audit_record(
            actor=actor,
            action="clocks.policy_set",
            target=row,
            summary=_(
                "Warning policy of %(kind)s: yellow at %(fraction)s of the limit, at the latest "
                "%(days)s working days before the due date"
            )
            % {"kind": kind, "fraction": fraction, "days": yellow_min_days_before},
            data={
                "before": before,
                "after": {
                    "yellow_fraction": str(fraction),
                    "yellow_min_days_before": yellow_min_days_before,
                },
            },
        )
        transaction.on_commit(lambda: recompute_clocks_of_kind.enqueue(kind=kind))
    return row
