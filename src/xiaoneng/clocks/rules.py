"""The clock rules as pure functions: due date, used and remaining days, warning level.

No database here: every function takes a :class:`~xiaoneng.calendars.rules.WorkdayCalendar`
and plain dates, so the rules are tested directly (including property-based tests) and the
services only load rows, call these functions and store the answers.

The rules, with their sources (DOMAIN_RULES.md §1–§2, docs/clock.md):

* **Counting.** Limits are working days (行政许可法 Art. 82). The day a clock starts is not
  counted (Civil Code Arts. 201, 203); a clock started on a rest day counts as started on the
  next working day (DOMAIN_RULES.md §1).
* **Pauses** (Art. 45 special procedures — hearing, bidding, auction, inspection, testing,
  quarantine, appraisal, expert review — and waiting for the applicant's supplement): a pause
  that begins on day P and ends on day R removes the working days in (P, R] from the count
  (DOMAIN_RULES.md §2). A *counted day* is a working day after the counting start
  (``started_on`` rolled forward to a working day) that lies in no pause. The due date is
  the ``limit + extensions``-th counted day, so a pause that begins after the due date has
  passed does not move it: lateness is never forgiven by a later pause.
* **Open pause.** While a clock is paused everything freezes at the day the pause began: used
  days, the warning level, and the due date, which stays what it was when the pause began
  (as if the pause ended that same day). On resume the due date moves later by the working
  days the pause took. The stored due date of a paused clock is therefore never stale and is
  the earliest the clock can end up with.
* **Extensions** (延期, Art. 42) add working days to the limit; their total is capped by the
  item's allowance (e.g. 10 days for the 20-day licensing limit, 15 for the 45-day unified
  handling limit) and must be approved before the time limit has run out.
* **Due date is the last allowed day.** Finishing on the due date is on time. The clock is
  red (超时) from the day after the due date while it runs; a clock stopped after its due date
  keeps ``red`` as its verdict (concluded late), one stopped on time is ``none``.
* **Yellow** (预警) begins on the day the used working days reach ``yellow_fraction`` of the
  limit (rounded up), and never later than ``yellow_min_days_before`` working days before the
  due date; both configurable per kind of item (defaults 80 % and 1 day).
* **Remaining** = limit + extensions − used, always, so ``used + remaining = limit +
  extensions`` holds in every state. It is negative when overdue: −3 means three working days
  late. It may be 0 while red when the due date was a Friday and today is the Saturday after.
* **Provisional.** When a computation touches a year whose holidays the calendar does not hold
  yet, it is done weekends-only and marked ``provisional``; the stored values are recomputed
  when that year is imported (``calendar_changed``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.calendars.rules import Marked, WorkdayCalendar
from xiaoneng.core.errors import Conflict, InvalidInput


class ClockState(StrEnum):
    """Where a clock is in its life: counting, not counting for now, or finished."""

    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class WarningLevel(StrEnum):
    """How close a clock is to its due date: none, yellow (预警) or red (超时)."""

    NONE = "none"
    YELLOW = "yellow"
    RED = "red"


class ClockAction(StrEnum):
    """What may be done to a clock after it starts."""

    PAUSE = "pause"
    RESUME = "resume"
    EXTEND = "extend"
    STOP = "stop"


STATE_LABELS: Mapping[ClockState, Promise] = {
    ClockState.RUNNING: gettext_lazy("running"),
    ClockState.PAUSED: gettext_lazy("paused"),
    ClockState.STOPPED: gettext_lazy("stopped"),
}

WARNING_LABELS: Mapping[WarningLevel, Promise] = {
    WarningLevel.NONE: gettext_lazy("on schedule"),
    WarningLevel.YELLOW: gettext_lazy("warning (yellow)"),
    WarningLevel.RED: gettext_lazy("overdue (red)"),
}

ACTION_LABELS: Mapping[ClockAction, Promise] = {
    ClockAction.PAUSE: gettext_lazy("pause"),
    ClockAction.RESUME: gettext_lazy("resume"),
    ClockAction.EXTEND: gettext_lazy("extend"),
    ClockAction.STOP: gettext_lazy("stop"),
}


@dataclass(frozen=True, slots=True)
class Transition:
    """One allowed edge of the clock's state machine and the rule that asks for it."""

    to: ClockState
    basis: str


# The clock's state machine as data (STYLE.md habit 4): for each state, the actions allowed
# in it and the state they lead to. Recomputing is not an action: it is allowed in every
# state because it only re-derives stored values from rows that already exist.
TRANSITIONS: Mapping[ClockState, Mapping[ClockAction, Transition]] = {
    ClockState.RUNNING: {
        ClockAction.PAUSE: Transition(ClockState.PAUSED, "Art. 45; DOMAIN_RULES.md §2 pause rule"),
        ClockAction.EXTEND: Transition(ClockState.RUNNING, "Art. 42 extension"),
        ClockAction.STOP: Transition(ClockState.STOPPED, "concluded / 办结"),
    },
    ClockState.PAUSED: {
        ClockAction.RESUME: Transition(ClockState.RUNNING, "Art. 45; end of the pause"),
        # The head may approve an extension while an expert review runs.
        ClockAction.EXTEND: Transition(ClockState.PAUSED, "Art. 42 extension"),
        # An item may end while paused (withdrawn, or not supplemented in time); the open
        # pause is closed on the stop day.
        ClockAction.STOP: Transition(ClockState.STOPPED, "concluded / 办结 while paused"),
    },
    ClockState.STOPPED: {},
}


def allowed_actions(state: ClockState | str) -> list[ClockAction]:
    """The actions allowed in ``state``, in a stable order."""
    return list(TRANSITIONS[ClockState(state)])


def next_state(state: ClockState | str, action: ClockAction | str) -> ClockState:
    """The state ``action`` leads to from ``state``.

    Raises:
        Conflict: the action is not allowed in that state; the message names both and lists
            what is allowed now.
    """
    current = ClockState(state)
    wanted = ClockAction(action)
    edge = TRANSITIONS[current].get(wanted)
    if edge is None:
        allowed = ", ".join(str(ACTION_LABELS[a]) for a in TRANSITIONS[current]) or _("nothing")
        raise Conflict(
            _(
                "The clock is %(state)s, so it cannot be asked to %(action)s. "
                "Allowed now: %(allowed)s."
            )
            % {
                "state": STATE_LABELS[current],
                "action": ACTION_LABELS[wanted],
                "allowed": allowed,
            },
            details={"state": current.value, "action": wanted.value},
        )
    return edge.to


@dataclass(frozen=True, slots=True)
class Pause:
    """A pause of the clock: the working days in (began_on, ended_on] are not counted.

    ``ended_on`` is ``None`` while the pause is open.
    """

    began_on: dt.date
    ended_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class WarningPolicy:
    """When a clock turns yellow, per kind of item (ClockPolicy rows, settings defaults).

    Attributes:
        yellow_fraction: share of the limit used at which the clock turns yellow (0 < f ≤ 1).
        yellow_min_days_before: the clock is yellow at the latest this many working days
            before the due date (≥ 0).
    """

    yellow_fraction: Decimal = Decimal("0.8")
    yellow_min_days_before: int = 1

    def __post_init__(self) -> None:
        # Decimal, so that 0.7 × 10 is exactly 7 and not 7.000000000000001 rounded up to 8.
        fraction = Decimal(str(self.yellow_fraction))
        object.__setattr__(self, "yellow_fraction", fraction)
        if not Decimal(0) < fraction <= Decimal(1):
            raise InvalidInput(
                _("The yellow fraction must be more than 0 and at most 1, got %(value)s.")
                % {"value": fraction}
            )
        if self.yellow_min_days_before < 0:
            raise InvalidInput(
                _(
                    "The yellow warning starts 0 or more working days before the due date, "
                    "got %(value)s."
                )
                % {"value": self.yellow_min_days_before}
            )


DEFAULT_POLICY = WarningPolicy()


@dataclass(frozen=True, slots=True)
class ClockSnapshot:
    """Everything a clock says on one day, derived from its rows.

    Attributes:
        state: running, paused or stopped.
        limit_days: the limit without extensions.
        extension_days: the working days added by extensions.
        due_on: the last allowed day (a working day); frozen while paused.
        yellow_on: the day the clock turns yellow (≤ ``due_on``).
        as_of: the day the figures are for: today while running, the first day of the open
            pause while paused, the stop day once stopped.
        used_days: counted working days in (started_on, as_of].
        remaining_days: ``limit_days + extension_days − used_days``; negative when overdue.
        warning: none / yellow / red as of ``as_of``.
        due_provisional: the due date or the yellow day rests on a year the calendar does not
            cover yet (the mark stored with them).
        provisional: some figure, the used days included, rests on such a year.
    """

    state: ClockState
    limit_days: int
    extension_days: int
    due_on: dt.date
    yellow_on: dt.date
    as_of: dt.date
    used_days: int
    remaining_days: int
    warning: WarningLevel
    due_provisional: bool
    provisional: bool

    @property
    def paused(self) -> bool:
        return self.state is ClockState.PAUSED

    @property
    def total_days(self) -> int:
        """The limit with its extensions."""
        return self.limit_days + self.extension_days


# -- validation ------------------------------------------------------------------------------


def validate_clock(
    *,
    started_on: dt.date,
    limit_days: int,
    pauses: Sequence[Pause] = (),
    extension_days: int = 0,
    stopped_on: dt.date | None = None,
) -> None:
    """Refuse a clock whose rows contradict each other, saying which rule and which dates.

    Pauses must come in order, begin on or after the start, end on or after they begin, not
    overlap (one may begin on the day the previous one ended, since (P1, R1] and (R1, R2] are
    disjoint), and only the last may be open; a stopped clock has no open pause and stops
    on or after the start and every pause.

    Raises:
        InvalidInput: with a message naming the dates at fault.
    """
    if limit_days < 0:
        raise InvalidInput(
            _("A time limit is 0 or more working days, got %(n)s.") % {"n": limit_days}
        )
    if extension_days < 0:
        raise InvalidInput(
            _("Extensions add 0 or more working days, got %(n)s.") % {"n": extension_days}
        )
    previous_end: dt.date | None = None
    for index, pause in enumerate(pauses):
        if pause.began_on < started_on:
            raise InvalidInput(
                _("A pause cannot begin on %(began)s, before the clock started on %(started)s.")
                % {"began": pause.began_on.isoformat(), "started": started_on.isoformat()},
                details={"field": "began_on"},
            )
        if index > 0 and previous_end is None:
            raise InvalidInput(
                _(
                    "The clock is already paused (since %(since)s); resume it before pausing "
                    "it again."
                )
                % {"since": pauses[index - 1].began_on.isoformat()},
                details={"field": "began_on"},
            )
        if previous_end is not None and pause.began_on < previous_end:
            raise InvalidInput(
                _(
                    "A pause cannot begin on %(began)s: the previous pause lasted until "
                    "%(ended)s, and pauses may not overlap."
                )
                % {"began": pause.began_on.isoformat(), "ended": previous_end.isoformat()},
                details={"field": "began_on"},
            )
        if pause.ended_on is not None and pause.ended_on < pause.began_on:
            raise InvalidInput(
                _("A pause cannot end on %(ended)s, before it began on %(began)s.")
                % {"ended": pause.ended_on.isoformat(), "began": pause.began_on.isoformat()},
                details={"field": "ended_on"},
            )
        previous_end = pause.ended_on
    if stopped_on is not None:
        if stopped_on < started_on:
            raise InvalidInput(
                _("A clock cannot stop on %(stopped)s, before it started on %(started)s.")
                % {"stopped": stopped_on.isoformat(), "started": started_on.isoformat()},
                details={"field": "stopped_on"},
            )
        if pauses and pauses[-1].ended_on is None:
            raise InvalidInput(
                _("A stopped clock cannot have an open pause; end the pause first."),
                details={"field": "stopped_on"},
            )
        if previous_end is not None and stopped_on < previous_end:
            raise InvalidInput(
                _("A clock cannot stop on %(stopped)s, before its last pause ended on %(ended)s.")
                % {"stopped": stopped_on.isoformat(), "ended": previous_end.isoformat()},
                details={"field": "stopped_on"},
            )


# -- the arithmetic --------------------------------------------------------------------------


def _closed(pauses: Sequence[Pause]) -> list[tuple[dt.date, dt.date]]:
    # An open pause freezes the clock at its first day; for the due date it counts as if it
    # ended that same day, i.e. it removes nothing (yet).
    return [(p.began_on, p.ended_on if p.ended_on is not None else p.began_on) for p in pauses]


def counting_start(calendar: WorkdayCalendar, started_on: dt.date) -> Marked[dt.date]:
    """The day counting starts from: ``started_on`` rolled forward to a working day.

    A clock started on a rest day counts as started on the next working day, which is itself
    not counted (DOMAIN_RULES.md §1: received on Saturday = received on Monday).
    """
    return calendar.add_workdays_marked(started_on, 0)


def nth_counted_day(
    calendar: WorkdayCalendar, started_on: dt.date, n: int, pauses: Sequence[Pause] = ()
) -> Marked[dt.date]:
    """The n-th counted day of a clock: a working day after the counting start in no pause.

    ``n = 0`` gives the counting start (:func:`counting_start`), which is the due date of an
    instant matter (即办件). A pause (P, R] removes the working days in it
    (DOMAIN_RULES.md §2); an open pause removes nothing until it ends.

    Pauses must already be valid (:func:`validate_clock`).
    """
    if n < 0:
        raise InvalidInput(_("The number of working days must be 0 or more, got %(n)s.") % {"n": n})
    start = counting_start(calendar, started_on)
    cursor = start.value
    remaining = n
    provisional = start.provisional
    for began, ended in _closed(pauses):
        if ended <= cursor:
            continue  # over before counting began (e.g. on the weekend the clock started)
        before = calendar.count_workdays_marked(cursor, max(began, cursor))
        provisional |= before.provisional
        if before.value >= remaining:
            # The n-th counted day falls on or before the day this pause began.
            break
        remaining -= before.value
        cursor = ended
    result = _nth_workday_after(calendar, cursor, remaining)
    return Marked(result.value, provisional or result.provisional)


def _nth_workday_after(calendar: WorkdayCalendar, day: dt.date, n: int) -> Marked[dt.date]:
    # The n-th working day strictly after ``day``. ``add_workdays`` rolls a rest day forward
    # and counts from there (right for a start day, §1), which would skip one working day
    # after a pause that ended on a weekend; here a rest day is simply not counted.
    if n == 0:
        return calendar.add_workdays_marked(day, 0)
    is_workday = calendar.is_workday_marked(day)
    result = calendar.add_workdays_marked(day, n if is_workday.value else n - 1)
    return Marked(result.value, result.provisional or is_workday.provisional)


def due_date(
    calendar: WorkdayCalendar,
    *,
    started_on: dt.date,
    limit_days: int,
    pauses: Sequence[Pause] = (),
    extension_days: int = 0,
) -> Marked[dt.date]:
    """The due date: the last allowed day, the (limit + extensions)-th counted day.

    Worked example (DOMAIN_RULES.md §2): accepted 2025-03-03 with 20 working days → due
    2025-03-31; paused 2025-03-05, resumed 2025-03-12 → the 5 working days in (03-05, 03-12]
    are not counted → due 2025-04-08 (2025-04-04 is the Qingming holiday).

    Raises:
        InvalidInput: the pauses or numbers break a rule (see :func:`validate_clock`).
        CalendarNotCovered: the date leaves the calendar's index altogether.
    """
    validate_clock(
        started_on=started_on,
        limit_days=limit_days,
        pauses=pauses,
        extension_days=extension_days,
    )
    return nth_counted_day(calendar, started_on, limit_days + extension_days, pauses)


def yellow_day_index(total_days: int, policy: WarningPolicy = DEFAULT_POLICY) -> int:
    """The counted day on which a clock of ``total_days`` turns yellow (0 = from the start).

    ``ceil(fraction × total)``, but never later than ``min_days_before`` days before the due
    date: with the defaults, day 16 of 20, day 2 of 3, day 0 of 1.
    """
    by_fraction = math.ceil(policy.yellow_fraction * total_days)
    return max(0, min(by_fraction, total_days - policy.yellow_min_days_before))


def used_days(
    calendar: WorkdayCalendar,
    *,
    started_on: dt.date,
    pauses: Sequence[Pause] = (),
    as_of: dt.date,
) -> Marked[int]:
    """Counted working days up to ``as_of``: working days after the counting start and in no
    pause (DOMAIN_RULES.md §1–§2); 0 until counting starts.

    On the n-th counted day this is n, so on the due date it equals limit + extensions.
    """
    start = counting_start(calendar, started_on)
    if as_of <= start.value:
        return Marked(0, False)
    total = calendar.count_workdays_marked(start.value, as_of)
    provisional = start.provisional or total.provisional
    paused = 0
    for began, ended in _closed(pauses):
        lo, hi = max(began, start.value), min(ended, as_of)
        if began >= as_of:
            break
        if hi <= lo:
            continue
        removed = calendar.count_workdays_marked(lo, hi)
        paused += removed.value
        provisional |= removed.provisional
    return Marked(total.value - paused, provisional)


def warning_level(*, as_of: dt.date, due_on: dt.date, yellow_on: dt.date) -> WarningLevel:
    """Red after the due date (the due date itself is still on time), yellow from
    ``yellow_on``, none before."""
    if as_of > due_on:
        return WarningLevel.RED
    if as_of >= yellow_on:
        return WarningLevel.YELLOW
    return WarningLevel.NONE


def state_of(pauses: Sequence[Pause], stopped_on: dt.date | None) -> ClockState:
    """Stopped once it has a stop day, paused while its last pause is open, else running."""
    if stopped_on is not None:
        return ClockState.STOPPED
    if pauses and pauses[-1].ended_on is None:
        return ClockState.PAUSED
    return ClockState.RUNNING


def as_of_day(pauses: Sequence[Pause], stopped_on: dt.date | None, today: dt.date) -> dt.date:
    """The day a clock's figures are for: frozen at the stop day or at the open pause's first
    day, otherwise today."""
    if stopped_on is not None:
        return stopped_on
    if pauses and pauses[-1].ended_on is None:
        return pauses[-1].began_on
    return today


def final_warning(*, stopped_on: dt.date, due_on: dt.date) -> WarningLevel:
    """The verdict of a stopped clock: red when it stopped after its due date, none otherwise.

    Yellow never outlives a stop: stopping closes the warning (办结销号).
    """
    return WarningLevel.RED if stopped_on > due_on else WarningLevel.NONE


def snapshot(
    calendar: WorkdayCalendar,
    *,
    started_on: dt.date,
    limit_days: int,
    today: dt.date,
    pauses: Sequence[Pause] = (),
    extension_days: int = 0,
    stopped_on: dt.date | None = None,
    policy: WarningPolicy = DEFAULT_POLICY,
) -> ClockSnapshot:
    """What a clock says on ``today``: due date, yellow day, used / remaining days, warning.

    Implements DOMAIN_RULES.md §1–§2 (Arts. 42, 45, 82); the module docstring gives the rules
    and the choices for open pauses, the due date itself, overdue remaining days and stopped
    clocks. A stopped or paused clock does not depend on ``today`` at all.

    Raises:
        InvalidInput: the rows contradict each other (see :func:`validate_clock`).
        CalendarNotCovered: a date leaves the calendar's index altogether.
    """
    validate_clock(
        started_on=started_on,
        limit_days=limit_days,
        pauses=pauses,
        extension_days=extension_days,
        stopped_on=stopped_on,
    )
    total = limit_days + extension_days
    due = nth_counted_day(calendar, started_on, total, pauses)
    yellow = nth_counted_day(calendar, started_on, yellow_day_index(total, policy), pauses)
    state = state_of(pauses, stopped_on)
    as_of = as_of_day(pauses, stopped_on, today)
    used = used_days(calendar, started_on=started_on, pauses=pauses, as_of=as_of)
    if stopped_on is not None:
        warning = final_warning(stopped_on=stopped_on, due_on=due.value)
    else:
        warning = warning_level(as_of=as_of, due_on=due.value, yellow_on=yellow.value)
    return ClockSnapshot(
        state=state,
        limit_days=limit_days,
        extension_days=extension_days,
        due_on=due.value,
        yellow_on=yellow.value,
        as_of=as_of,
        used_days=used.value,
        remaining_days=total - used.value,
        warning=warning,
        due_provisional=due.provisional or yellow.provisional,
        provisional=due.provisional or yellow.provisional or used.provisional,
    )


def check_extension(*, days: int, already_days: int, allowance_days: int) -> None:
    """Refuse an extension that the item's allowance cannot hold (Art. 42).

    Raises:
        InvalidInput: ``days`` is not positive, or alone exceeds the allowance (it could
            never be granted).
        Conflict: the extensions already granted leave too little of the allowance.
    """
    if days < 1:
        raise InvalidInput(
            _("An extension adds at least 1 working day, got %(days)s.") % {"days": days},
            details={"field": "days"},
        )
    if days > allowance_days:
        raise InvalidInput(
            _(
                "An extension of %(days)s working days exceeds this item's allowance of "
                "%(allowance)s working days (Art. 42)."
            )
            % {"days": days, "allowance": allowance_days},
            details={"field": "days", "allowance_days": allowance_days},
        )
    if already_days + days > allowance_days:
        raise Conflict(
            _(
                "This clock has already been extended by %(already)s of its %(allowance)s "
                "working days; %(left)s remain, but %(days)s were asked (Art. 42)."
            )
            % {
                "already": already_days,
                "allowance": allowance_days,
                "left": allowance_days - already_days,
                "days": days,
            },
            details={
                "field": "days",
                "allowance_days": allowance_days,
                "extension_days": already_days,
            },
        )
