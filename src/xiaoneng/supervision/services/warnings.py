"""The warning scan, the warnings ledger (预警台账) and its notices; 办结销号 when a clock stops.

"全程跟踪、限时办结、超时预警、办结销号" (ARCHITECTURE.md §1): every running clock, whatever
room owns it, turns yellow from its yellow day and red from the day after its due date
(DOMAIN_RULES.md §2, docs/clock.md §4). :func:`warnings_scan` moves the stored warnings
forward, keeps the ledger and queues the notices; it is set-based SQL on stored, indexed
dates, never a loop over items in Python, and it is safe to run often and at the same time
as the web and as another scan:

* the ledger is first reconciled with the clocks: a row is opened for every open clock whose
  stored warning has no open row at that level (warnings the services set themselves), and
  open rows that no longer match their clock are closed — ``lifted`` (an extension, a resume
  or a recompute moved the due date, so the warning went down), ``escalated`` (yellow →
  red) or ``stopped`` (a safety net: the stop itself closes them through
  :func:`warnings_close_for_clock`, 办结销号);
* the clocks are moved by :func:`xiaoneng.clocks.services.clocks_refresh_warnings` (rows
  locked with ``SKIP LOCKED`` on PostgreSQL, so the scan never waits for a web request), a
  row is opened for each clock it moved and the yellow row of a clock turned red is closed;
* every insert is ``INSERT … SELECT … ON CONFLICT DO NOTHING`` against the partial unique
  constraint ``warning_one_open_per_clock_level``, so a second scan, or a concurrent one,
  opens nothing twice;
* the notices are sent by :func:`warnings_notify_pending`, queued after commit as a
  background task: it locks the rows not notified yet (``SKIP LOCKED``), tells the people,
  and marks ``notified_at`` in the same transaction, so each change is announced once.

Who is told (one message per person, item and level, however many clocks of the item
changed): at yellow the clock's responsible officer (责任人) and the heads of its
department (负责人); at red the same plus every active efficiency-office user (效能办).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.accounts.models import Role, User
from xiaoneng.clocks.models import Clock, WarningChoice
from xiaoneng.clocks.services import clocks_refresh_warnings
from xiaoneng.core.errors import InvalidInput
from xiaoneng.core.services import audit_record
from xiaoneng.supervision.models import WarningCloseReason, WarningLevelChoice, WarningRecord

logger = logging.getLogger("xiaoneng.supervision")

# Records told about per transaction by the notice fan-out: short locks, few round trips.
NOTICE_BATCH = 200

# How the clock kinds of the rooms read in a notice; other kinds show their code.
KIND_LABELS: dict[str, Any] = {
    "application.promised": gettext_lazy("promised time limit (承诺办结时限)"),
    "application.legal": gettext_lazy("legal time limit (法定办结时限)"),
    "hotline.ticket": gettext_lazy("hotline ticket time limit (工单办理时限)"),
    "supervision.task": gettext_lazy("supervision task time limit (督办时限)"),
    "rating.rectification": gettext_lazy("rectification time limit (整改时限)"),
}


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScanChange:
    """One warning change the scan recorded: a new ledger row."""

    record_id: int
    clock_id: int
    department_id: int
    kind: str
    before: str
    after: str


@dataclass(frozen=True)
class ScanResult:
    """What one scan did (counts, and the list of changes it recorded)."""

    today: dt.date
    #: clocks whose stored warning the scan moved forward
    moved: int
    #: ledger rows opened at yellow and at red
    yellow: int
    red: int
    #: ledger rows closed, per reason (escalated, lifted, stopped)
    closed: dict[str, int] = field(default_factory=dict)
    changes: list[ScanChange] = field(default_factory=list)

    @property
    def opened(self) -> int:
        return self.yellow + self.red

    def __str__(self) -> str:
        closed = ", ".join(f"{reason} {n}" for reason, n in sorted(self.closed.items()))
        return (
            f"{self.today.isoformat()}: {self.opened} warnings opened ({self.yellow} yellow, "
            f"{self.red} red), {sum(self.closed.values())} closed"
            + (f" ({closed})" if closed else "")
            + f", {self.moved} clocks moved"
        )


# -- the scan --------------------------------------------------------------------------------

# Reconcile, first: open a record for every open clock whose stored warning has no open record
# at that level — warnings that services set rather than the scan (a clock started late, a
# resume, a recompute), and the first scan after the ledger arrived. Both sides are small
# partial indexes (``clock_open_warned``, ``warning_one_open_per_clock_level``) merged on
# (clock, level); only the missing clocks are read. The previous level is the one of the open
# record it replaces, else none. Portable SQL (PostgreSQL, SQLite ≥ 3.35): a concurrent scan
# inserting the same (clock, level) first makes this one wait on the unique index, then skip.
_OPEN_MISSING_SQL = """
WITH missing AS MATERIALIZED (
    SELECT w.id FROM {clock} w
    WHERE w.state <> 'stopped' AND w.warning <> 'none'
      AND NOT EXISTS (SELECT 1 FROM {record} r
                      WHERE r.clock_id = w.id AND r.level = w.warning AND r.closed_on IS NULL)
)
INSERT INTO {record} (clock_id, department_id, kind, level, previous_level, changed_on,
                      created_at, closed_reason)
SELECT c.id, c.department_id, c.kind, c.warning,
       COALESCE((SELECT o.level FROM {record} o
                 WHERE o.clock_id = c.id AND o.closed_on IS NULL AND o.level <> c.warning
                 ORDER BY o.id DESC LIMIT 1), 'none'),
       %(today)s, %(now)s, ''
FROM {clock} c
WHERE c.id IN (SELECT id FROM missing) AND c.state <> 'stopped' AND c.warning <> 'none'
ORDER BY c.id
ON CONFLICT DO NOTHING
RETURNING id, clock_id, department_id, kind, previous_level, level
"""

# Reconcile, second: close every open record whose clock is no longer open at that level —
# stopped (办结销号, on the stop day; the stop closes them itself, this is the safety net),
# escalated (the clock is red, the record yellow), or lifted (the warning went down: an
# extension, a resume, a recompute after a calendar or policy change). The same merge of two
# index-only scans finds them; only the stale rows are read and written.
_CLOSE_STALE_SQL = """
WITH stale AS MATERIALIZED (
    SELECT r.clock_id, r.level FROM {record} r
    WHERE r.closed_on IS NULL
      AND NOT EXISTS (SELECT 1 FROM {clock} c
                      WHERE c.id = r.clock_id AND c.warning = r.level
                        AND c.state <> 'stopped' AND c.warning <> 'none')
)
UPDATE {record}
SET closed_on = COALESCE((SELECT c.stopped_on FROM {clock} c
                          WHERE c.id = {record}.clock_id AND c.state = 'stopped'), %(today)s),
    closed_reason = (SELECT CASE WHEN c.state = 'stopped' THEN 'stopped'
                                 WHEN c.warning = 'red' THEN 'escalated'
                                 ELSE 'lifted' END
                     FROM {clock} c WHERE c.id = {record}.clock_id)
WHERE closed_on IS NULL AND (clock_id, level) IN (SELECT clock_id, level FROM stale)
RETURNING closed_reason
"""

# Then, for the clocks the scan itself moved (known ids, the warning before known too): one
# record each, read through the primary key. ON CONFLICT as above.
_OPEN_MOVED_SQL = """
INSERT INTO {record} (clock_id, department_id, kind, level, previous_level, changed_on,
                      created_at, closed_reason)
SELECT c.id, c.department_id, c.kind, c.warning, %s, %s, %s, ''
FROM {clock} c
WHERE c.id {ids} AND c.warning <> %s
ORDER BY c.id
ON CONFLICT DO NOTHING
RETURNING id, clock_id, department_id, kind, previous_level, level
"""


# And the yellow record of each clock the scan turned from yellow to red is closed: escalated.
_CLOSE_ESCALATED_SQL = """
UPDATE {record} SET closed_on = %s, closed_reason = 'escalated'
WHERE closed_on IS NULL AND level = 'yellow' AND clock_id {ids}
"""


def _sql(template: str, connection: Any, **extra: str) -> str:
    quote = connection.ops.quote_name
    return template.format(
        record=quote(WarningRecord._meta.db_table), clock=quote(Clock._meta.db_table), **extra
    )


def _id_matches(connection: Any, ids: Sequence[int]) -> Iterable[tuple[str, list[Any]]]:
    """``(sql, params)`` pieces that match a column against ``ids``: one array on PostgreSQL
    (``= ANY(%s)``, a single parameter however many ids), ``IN (%s, …)`` in chunks that fit
    the parameter limit elsewhere (SQLite allows 999)."""
    if not ids:
        return
    if connection.vendor == "postgresql":
        yield "= ANY(%s)", [list(ids)]
        return
    size = max(1, (connection.features.max_query_params or 1000) - 8)
    for start in range(0, len(ids), size):
        chunk = list(ids[start : start + size])
        yield f"IN ({', '.join(['%s'] * len(chunk))})", chunk


def _changes(rows: Iterable[Sequence[Any]]) -> list[ScanChange]:
    return [
        ScanChange(
            record_id=int(pk),
            clock_id=int(clock_id),
            department_id=int(department_id),
            kind=str(kind),
            before=str(before),
            after=str(after),
        )
        for pk, clock_id, department_id, kind, before, after in rows
    ]


def warnings_scan(*, today: dt.date | None = None) -> ScanResult:
    """Move every running clock's warning forward and keep the warnings ledger; one transaction.

    Yellow from the yellow day, red from the day after the due date (DOMAIN_RULES.md §2;
    docs/clock.md §4), for the clocks of every room. In one transaction, all set-based SQL on
    indexed, stored dates (see the module docstring): the ledger is first reconciled with the
    clocks (records opened for warnings the services set, stale ones closed: lifted, stopped,
    escalated); the stored warnings move forward
    (:func:`~xiaoneng.clocks.services.clocks_refresh_warnings`); a record is opened per
    clock moved and the yellow record of a clock turned red is closed (escalated); one audit
    event records the counts; and the notices are queued for after the commit
    (:func:`warnings_notify_pending`, as a background task). Running it again the same day,
    or twice at once, records and notifies nothing new.

    Args:
        today: the day to scan as of (Asia/Shanghai today by default); a past day catches up,
            a future day is refused (a clock records what has happened).

    Returns:
        The counts and the changes recorded.

    Raises:
        InvalidInput: ``today`` is after the real today.
    """
    real_today = timezone.localdate()
    today = today or real_today
    if today > real_today:
        raise InvalidInput(
            _(
                "The scan cannot run as of %(day)s: it is after today, %(today)s. A warning "
                "records what has happened."
            )
            % {"day": today.isoformat(), "today": real_today.isoformat()},
            details={"today": today.isoformat()},
        )
    now = timezone.now()
    with transaction.atomic():
        connection = transaction.get_connection()
        day = connection.ops.adapt_datefield_value(today)
        at = connection.ops.adapt_datetimefield_value(now)
        closed: Counter[str] = Counter()
        with connection.cursor() as cursor:
            cursor.execute(_sql(_OPEN_MISSING_SQL, connection), {"today": day, "now": at})
            opened = _changes(cursor.fetchall())
            cursor.execute(_sql(_CLOSE_STALE_SQL, connection), {"today": day})
            closed.update(str(reason) for (reason,) in cursor.fetchall())
        moved = clocks_refresh_warnings(today=today)
        for before in (WarningChoice.YELLOW.value, WarningChoice.NONE.value):
            ids = [change.clock_id for change in moved if change.before == before]
            for match, ids_params in _id_matches(connection, ids):
                with connection.cursor() as cursor:
                    cursor.execute(
                        _sql(_OPEN_MOVED_SQL, connection, ids=match),
                        [before, day, at, *ids_params, before],
                    )
                    opened.extend(_changes(cursor.fetchall()))
        escalated = [
            c.clock_id
            for c in moved
            if c.before == WarningChoice.YELLOW and c.after == WarningChoice.RED
        ]
        for match, ids_params in _id_matches(connection, escalated):
            with connection.cursor() as cursor:
                cursor.execute(
                    _sql(_CLOSE_ESCALATED_SQL, connection, ids=match), [day, *ids_params]
                )
                closed[WarningCloseReason.ESCALATED.value] += cursor.rowcount
        closed = +closed  # drop reasons counted zero
        opened.sort(key=lambda change: change.record_id)
        red = sum(1 for change in opened if change.after == WarningLevelChoice.RED)
        result = ScanResult(
            today=today,
            moved=len(moved),
            yellow=len(opened) - red,
            red=red,
            closed=dict(closed),
            changes=opened,
        )
        if opened or closed:
            audit_record(
                actor=None,
                action="supervision.warnings_scan",
                summary=_(
                    "Warning scan of %(day)s: %(opened)s warnings opened (%(yellow)s yellow, "
                    "%(red)s red), %(closed)s closed"
                )
                % {
                    "day": today.isoformat(),
                    "opened": result.opened,
                    "yellow": result.yellow,
                    "red": result.red,
                    "closed": sum(closed.values()),
                },
                data={
                    "today": today.isoformat(),
                    "moved": result.moved,
                    "yellow": result.yellow,
                    "red": result.red,
                    "closed": dict(closed),
                },
            )
        # Every scan queues the fan-out while anything is pending, so a notice whose task was
        # lost (the queue unreachable at the commit) goes out with the next scan.
        if opened or _pending().exists():
            transaction.on_commit(_enqueue_notify, robust=True)
    return result


def _enqueue_notify() -> None:
    # Imported here: the task module imports this one.
    from xiaoneng.supervision.tasks import warnings_notify_task

    warnings_notify_task.enqueue()


# -- 办结销号 ----------------------------------------------------------------------------------


def warnings_close_for_clock(*, actor: Any | None, clock: Clock, on: dt.date) -> int:
    """Close the open warnings of a clock that stopped on ``on`` (办结销号).

    Called in the stop's transaction (the ``clock_stopped`` receiver), so the ledger and the
    clock commit or roll back together. An audit event records what was closed.

    Returns:
        How many open records were closed.
    """
    with transaction.atomic():
        closed = WarningRecord.objects.filter(clock=clock, closed_on__isnull=True).update(
            closed_on=on, closed_reason=WarningCloseReason.STOPPED
        )
        if closed:
            audit_record(
                actor=actor,
                action="supervision.warnings_close",
                target=clock,
                summary=_("Warnings of %(label)s closed: stopped on %(on)s (办结销号)")
                % {"label": clock, "on": on.isoformat()},
                data={
                    "clock": clock.pk,
                    "on": on.isoformat(),
                    "reason": WarningCloseReason.STOPPED.value,
                    "closed": closed,
                },
            )
    return closed


def on_clock_stopped(
    sender: Any, *, clock: Clock, on: dt.date, actor: Any = None, **_: Any
) -> None:
    """Receiver of ``clocks.signals.clock_stopped`` (sent inside the stop's transaction)."""
    warnings_close_for_clock(actor=actor, clock=clock, on=on)


# -- notices ---------------------------------------------------------------------------------


def notice_recipients(
    *,
    level: str,
    officers: Iterable[User | None],
    heads: Iterable[User],
    office: Iterable[User],
) -> list[User]:
    """Who is told of a warning, in this order, each once, active accounts only.

    At yellow the responsible officers (责任人) and the department heads (负责人); at red also
    the efficiency office (效能办). Pure: the caller loads the people.
    """
    wanted: list[User | None] = [*officers, *heads]
    if level == WarningLevelChoice.RED:
        wanted.extend(office)
    seen: set[int] = set()
    out: list[User] = []
    for user in wanted:
        if user is None or not user.is_active or user.pk in seen:
            continue
        seen.add(user.pk)
        out.append(user)
    return out


def kind_label(kind: str) -> str:
    """How a clock kind reads in a notice, e.g. "promised time limit (承诺办结时限)"."""
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def notice_text(*, level: str, records: Sequence[WarningRecord]) -> tuple[str, str]:
    """Subject and body of the notice for one item's records at one level (active language).

    Names the item (the clock's label), its department, each clock's kind and due date, and
    where to open the item when its page is known.
    """
    from xiaoneng.supervision.selectors.warnings import item_url

    first = records[0].clock
    label = first.label or str(first)
    department = records[0].department.name
    due = min(record.clock.due_on for record in records)
    if level == WarningLevelChoice.RED:
        subject = _("Overdue (red): %(label)s was due on %(due)s") % {
            "label": label,
            "due": due.isoformat(),
        }
        lead = _("%(label)s of %(department)s is past its time limit and not concluded (超时).") % {
            "label": label,
            "department": department,
        }
    else:
        subject = _("Warning (yellow): %(label)s is due on %(due)s") % {
            "label": label,
            "due": due.isoformat(),
        }
        lead = _("%(label)s of %(department)s is nearing its time limit (预警).") % {
            "label": label,
            "department": department,
        }
    lines = [lead, ""]
    for record in records:
        lines.append(
            _("- %(kind)s: due on %(due)s")
            % {"kind": kind_label(record.kind), "due": record.clock.due_on.isoformat()}
        )
    url = item_url(first.content_type, first.object_id)
    lines.append("")
    lines.append(
        _("Recorded in the warnings ledger on %(day)s.")
        % {"day": records[0].changed_on.isoformat()}
    )
    if url:
        lines.append(_("Open it: %(url)s") % {"url": url})
    return subject[:200], "\n".join(lines)


def _pending() -> models.QuerySet[WarningRecord]:
    # Open and not told yet: records closed before the fan-out ran (the case concluded, the
    # warning lifted) are no longer news and are not announced.
    return WarningRecord.objects.filter(notified_at__isnull=True, closed_on__isnull=True)


def warnings_notify_pending(*, limit: int | None = None) -> int:
    """Tell the people of every open warning record not notified yet; each record once.

    Batches of :data:`NOTICE_BATCH` records, each in its own transaction: the records are
    locked with ``select_for_update(skip_locked=True)``, the messages stored through
    :func:`xiaoneng.notifications.services.notify` (sent after commit), and ``notified_at``
    set before the commit. A second run, or a second worker, finds the records locked or
    marked and tells nobody twice. Messages are written in the platform's language
    (``LANGUAGE_CODE``): they are read later, by other people than whoever ran the scan.

    Args:
        limit: stop after about this many records (all pending ones by default).

    Returns:
        How many records were notified.
    """
    done = 0
    while limit is None or done < limit:
        size = NOTICE_BATCH if limit is None else max(1, min(NOTICE_BATCH, limit - done))
        count = _notify_batch(size)
        if count == 0:
            break
        done += count
    return done


def _notify_batch(size: int) -> int:
    from xiaoneng.notifications.services import notify

    with transaction.atomic():
        records = list(
            _pending()
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("clock", "clock__officer", "clock__content_type", "department")
            .order_by("id")[:size]
        )
        if not records:
            return 0
        clocks = [record.clock for record in records]
        models.prefetch_related_objects(clocks, "item")
        heads = _heads_by_department({record.department_id for record in records})
        office = (
            list(User.objects.filter(role=Role.OFFICE, is_active=True).order_by("pk"))
            if any(record.level == WarningLevelChoice.RED for record in records)
            else []
        )
        groups: dict[tuple[int, str, str], list[WarningRecord]] = defaultdict(list)
        for record in records:
            groups[(record.clock.content_type_id, record.clock.object_id, record.level)].append(
                record
            )
        sent = 0
        with translation.override(settings.LANGUAGE_CODE):
            for (_type, _id, level), group in groups.items():
                people = notice_recipients(
                    level=level,
                    officers=[record.clock.officer for record in group],
                    heads=[h for d in {r.department_id for r in group} for h in heads.get(d, [])],
                    office=office,
                )
                if not people:
                    continue
                subject, body = notice_text(level=level, records=group)
                item = group[0].clock.item
                related = item if isinstance(item, models.Model) else group[0].clock
                for person in people:
                    notify(recipient=person, subject=subject, body=body, related=related)
                    sent += 1
        WarningRecord.objects.filter(pk__in=[record.pk for record in records]).update(
            notified_at=timezone.now()
        )
        audit_record(
            actor=None,
            action="supervision.warnings_notify",
            summary=_("%(records)s warnings notified: %(people)s notices")
            % {"records": len(records), "people": sent},
            data={"records": [record.pk for record in records], "notices": sent},
        )
    return len(records)


def _heads_by_department(department_ids: set[int]) -> dict[int, list[User]]:
    heads: dict[int, list[User]] = defaultdict(list)
    for user in User.objects.filter(
        role=Role.HEAD, is_active=True, department_id__in=department_ids
    ).order_by("pk"):
        assert user.department_id is not None  # filtered on it
        heads[user.department_id].append(user)
    return heads
