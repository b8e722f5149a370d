"""The warning scan over 1,000,000 open clocks on PostgreSQL (issue 4: target < 2 s).

A fresh database (``xiaoneng_bench_scan``, dropped and created here, migrated) is filled
set-based (``generate_series``) with 1,000,000 open clocks and 1,000,000 stopped ones, the
ledger rows of the clocks already warned, and closed ledger rows of the past. The open clocks
are shaped as on a working day after yesterday's scan: about 2 % reach their yellow day
today, 1 % passed their due date yesterday (yellow → red), 5 % are already yellow, 3 % already
red, 5 % paused; the rest are running and on schedule.

Figures, each timed in the same run on the same data:

* ``warnings_scan`` — the stored warnings moved forward and the ledger rows written (one
  transaction). Timed three times inside a transaction that is rolled back (so each repeat
  starts from the same data), then once for real (committed); the fastest is reported.
* baseline: the naive way the issue forbids — load every running clock into Python, decide
  its warning there (``clocks.rules.warning_level``), save the changed ones and create their
  ledger rows one by one (rolled back too). Timed on every k-th running clock by id (about
  100,000, the table's mix of shapes) and scaled to all of them, like calendar_bench scales
  its day-by-day baseline; the sample's share of changes is checked against the scan's.
  Ratio = baseline / scan.
* worst case: a large share of the open clocks changes at once (running, past due, none
  warned yet: the first scan after a long outage): ``--worst`` clocks, 100,000 by default so
  the run stays within a few minutes (``--worst 1000000`` for all of them); the scan is timed
  once, rolled back, and the time per change extrapolated to every open clock.
* the notice fan-out, separate from the scan: ``warnings_notify_pending`` over the first
  1,000 recorded changes (committed), reported per 1,000 records and extrapolated.

Usage: ``.venv/bin/python bench/scan_bench.py [--clocks N] [--stopped N]`` (PostgreSQL from
``BENCH_PG``, default ``postgres://postgres@127.0.0.1:5432``). The Django part runs in a
child process (``--inner``) so that its settings point at the bench database.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.get("BENCH_DB_PREFIX", "xiaoneng_bench_") + "scan"
CLOCKS = 1_000_000
STOPPED = 1_000_000
DEPARTMENTS = 60
TARGET_SECONDS = 2.0
REPEATS = 3
NOTICE_SAMPLE = 1_000
# The naive baseline decides about this many running clocks in Python (every k-th by id) and is
# scaled to all of them: the whole loop takes minutes.
BASELINE_SAMPLE = 100_000
# The worst case reshapes this many open clocks to change at once (all of them with
# --worst equal to --clocks; bounded by default so the run stays within a few minutes).
WORST = 100_000


class _Rollback(Exception):
    """Raised to undo a timed run, so the next repeat starts from the same data."""


# -- data, set-based -------------------------------------------------------------------------

# The open clocks, oldest first (ids grow with the start day, as in a real table). Each clock
# falls in a bucket b of 0..999 that fixes its shape: with the "age" layout b follows the id, so
# the clocks that change today sit together, as the intake of the same few days does; with the
# "scattered" layout b = (i * 7919) % 1000 spreads them evenly over the table (a pessimistic
# layout: nearly every page of the open clocks holds one that changes).
_OPEN_CLOCKS_SQL = """
INSERT INTO clocks_clock (content_type_id, object_id, department_id, officer_id, kind, label,
    limit_days, extension_allowance_days, extension_days, started_on, stopped_on, state,
    due_on, due_provisional, used_days, yellow_on, warning, created_at, updated_at)
SELECT %(ct)s, (%(offset)s + i)::text, %(dept0)s + i %% %(ndept)s,
       CASE WHEN i %% 3 = 0 THEN %(officer0)s + i %% %(ndept)s END,
       'bench.item', 'BENCH-' || i, 20, 10, 0, s.due - 28, NULL, s.state,
       s.due, false, NULL, s.yellow, s.warning, now(), now()
FROM generate_series(1, %(n)s) AS i
CROSS JOIN LATERAL (
    SELECT CASE WHEN %(scattered)s THEN (i::bigint * 7919) %% 1000
                ELSE (1000 * (i::bigint - 1)) / %(n)s END AS b,
           (i::bigint * 104729) %% 100 AS h
) AS bucket
CROSS JOIN LATERAL (
    SELECT
        CASE WHEN b >= 110 AND h < 5 THEN 'paused' ELSE 'running' END AS state,
        CASE WHEN b < 30 THEN %(today)s::date - 10                -- already red (3 %%)
             WHEN b < 40 THEN %(today)s::date - 1                 -- turning red today (1 %%)
             WHEN b < 90 THEN %(today)s::date + 2                 -- already yellow (5 %%)
             WHEN b < 110 THEN %(today)s::date + 4                -- turning yellow today (2 %%)
             ELSE %(today)s::date + 6 + ((b - 110) * 20 / 890)::int   -- on schedule (or paused)
        END AS due,
        CASE WHEN b < 30 THEN %(today)s::date - 15
             WHEN b < 40 THEN %(today)s::date - 6
             WHEN b < 90 THEN %(today)s::date - 2
             WHEN b < 110 THEN %(today)s::date
             ELSE %(today)s::date + 1 + ((b - 110) * 20 / 890)::int
        END AS yellow,
        CASE WHEN b < 30 THEN 'red' WHEN b < 90 THEN 'yellow' ELSE 'none' END AS warning
) AS s
"""

# Stopped clocks, older than the open ones (lower ids); one in ten concluded late (red).
_STOPPED_CLOCKS_SQL = """
INSERT INTO clocks_clock (content_type_id, object_id, department_id, officer_id, kind, label,
    limit_days, extension_allowance_days, extension_days, started_on, stopped_on, state,
    due_on, due_provisional, used_days, yellow_on, warning, created_at, updated_at)
SELECT %(ct)s, i::text, %(dept0)s + i %% %(ndept)s, NULL, 'bench.item',
       'BENCH-S' || i, 20, 10, 0, d - 28, d - (i %% 7) + (CASE WHEN i %% 10 = 0 THEN 9 ELSE 0 END),
       'stopped', d, false, 20, d - 5, CASE WHEN i %% 10 = 0 THEN 'red' ELSE 'none' END,
       now(), now()
FROM generate_series(1, %(n)s) AS i
CROSS JOIN LATERAL (
    SELECT %(today)s::date - 30 - ((%(n)s - i::bigint) * 700 / %(n)s)::int AS d
) AS s
"""

# Ledger rows of the clocks already warned (yesterday's scans), already notified; and closed
# rows of the past (one in five stopped clocks was warned once and concluded).
_OPEN_RECORDS_SQL = """
INSERT INTO supervision_warningrecord (clock_id, department_id, kind, level, previous_level,
    changed_on, created_at, closed_on, closed_reason, notified_at)
SELECT id, department_id, kind, warning, CASE WHEN warning = 'red' THEN 'yellow' ELSE 'none' END,
       %(today)s::date - 1, now(), NULL, '', now()
FROM clocks_clock WHERE state <> 'stopped' AND warning IN ('yellow', 'red')
"""

_CLOSED_RECORDS_SQL = """
INSERT INTO supervision_warningrecord (clock_id, department_id, kind, level, previous_level,
    changed_on, created_at, closed_on, closed_reason, notified_at)
SELECT id, department_id, kind, 'yellow', 'none', yellow_on, now(), stopped_on, 'stopped', now()
FROM clocks_clock WHERE state = 'stopped' AND id %% 5 = 0
"""


def _fill(*, clocks: int, stopped: int, today: Any, layout: str) -> dict[str, Any]:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from xiaoneng.accounts.models import Department, Role, User

    started = time.perf_counter()
    with transaction.atomic():
        departments = Department.objects.bulk_create(
            Department(code=f"B{n:05d}", name=f"基准部门 {n}") for n in range(DEPARTMENTS)
        )
        officers = User.objects.bulk_create(
            User(username=f"officer{n}", role=Role.REVIEWER, department=dept)
            for n, dept in enumerate(departments)
        )
        User.objects.bulk_create(
            User(username=f"head{n}", role=Role.HEAD, department=dept)
            for n, dept in enumerate(departments)
        )
        User.objects.bulk_create(User(username=f"office{n}", role=Role.OFFICE) for n in range(3))
        ids = sorted(d.pk for d in departments)
        officer_ids = sorted(u.pk for u in officers)
        # Consecutive ids (a fresh database), so "first + i % n" names one of them.
        assert ids == list(range(ids[0], ids[0] + DEPARTMENTS))
        assert officer_ids == list(range(officer_ids[0], officer_ids[0] + DEPARTMENTS))
        params = {
            "ct": ContentType.objects.get_for_model(Department).pk,
            "dept0": ids[0],
            "officer0": officer_ids[0],
            "ndept": DEPARTMENTS,
            "today": today,
        }
        with connection.cursor() as cursor:
            # Loading is faster without the secondary indexes: drop them, load, build them
            # again from their own definitions (as the migrations made them).
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                "('clocks_clock', 'supervision_warningrecord') AND indexname NOT IN "
                "('clocks_clock_pkey', 'supervision_warningrecord_pkey')"
            )
            indexes = cursor.fetchall()
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            # The generated rows refer to the rows made just above, so the per-row foreign-key
            # triggers are skipped while loading (bench only; needs the postgres superuser).
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(_STOPPED_CLOCKS_SQL, {**params, "n": stopped})
            cursor.execute(
                _OPEN_CLOCKS_SQL,
                {**params, "n": clocks, "offset": stopped, "scattered": layout == "scattered"},
            )
            cursor.execute(_OPEN_RECORDS_SQL, params)
            cursor.execute(_CLOSED_RECORDS_SQL, params)
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _name, definition in indexes:
                cursor.execute(definition)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE clocks_clock")
        cursor.execute("VACUUM ANALYZE supervision_warningrecord")
        cursor.execute(
            "SELECT state, warning, count(*) FROM clocks_clock GROUP BY 1, 2 ORDER BY 1, 2"
        )
        shape = {f"{s}/{w}": n for s, w, n in cursor.fetchall()}
        cursor.execute("SELECT count(*) FROM supervision_warningrecord")
        (records,) = cursor.fetchone()
    return {"seconds": round(time.perf_counter() - started, 1), "clocks": shape, "records": records}


# -- what is timed ---------------------------------------------------------------------------


def _cpu_seconds() -> float | None:
    """CPU seconds used so far by this process and by its PostgreSQL backend (when the
    server runs on this machine and /proc shows it): a figure the machine's load barely
    changes, unlike the wall-clock time."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    backend = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return backend + time.process_time()


CPU: list[float] = []


def _status_kb(pid: int, key: str) -> int:
    """A field of /proc/<pid>/status in kB (VmRSS, VmHWM); 0 if it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakMemory:
    """The growth of the peak resident memory (VmHWM) of this process and of its database
    backend over a block: the peak is reset to the current RSS first (``/proc/<pid>/clear_refs``
    "5", Linux 4.0+; the backend's needs the right to write there, e.g. the same user or
    root), so what was used before the block does not hide it. Figures in MB; None when the
    peak could not be reset. The backend's RSS counts the shared buffers it touched."""

    def __init__(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (self.backend,) = cursor.fetchone()
        self.pids = {"process": os.getpid(), "database_backend": int(self.backend)}

    def __enter__(self) -> dict[str, float | None]:
        self.start: dict[str, int | None] = {}
        for name, pid in self.pids.items():
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
                self.start[name] = _status_kb(pid, "VmRSS")
            except OSError:
                self.start[name] = None
        self.result: dict[str, float | None] = {}
        return self.result

    def __exit__(self, *exc: object) -> None:
        for name, pid in self.pids.items():
            begin = self.start[name]
            self.result[name] = (
                None if begin is None else round((_status_kb(pid, "VmHWM") - begin) / 1024, 1)
            )
            self.result[name + "_peak"] = round(_status_kb(pid, "VmHWM") / 1024, 1)


def _timed(func: Any, *, commit: bool) -> tuple[float, Any]:
    """Seconds ``func()`` took inside a transaction, and its result; rolled back unless
    ``commit`` (the commit is then part of the time). The CPU seconds of this process and
    its database backend are appended to :data:`CPU` when they can be read."""
    from django.db import transaction

    box: dict[str, Any] = {}
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    try:
        with transaction.atomic():
            box["result"] = func()
            if not commit:
                box["seconds"] = time.perf_counter() - started
                raise _Rollback
    except _Rollback:
        pass
    else:
        box["seconds"] = time.perf_counter() - started
    cpu_after = _cpu_seconds()
    if cpu_before is not None and cpu_after is not None:
        CPU.append(cpu_after - cpu_before)
    return box["seconds"], box["result"]


ORDER = {"none": 0, "yellow": 1, "red": 2}


def naive_scan(today: Any, *, step: int = 1) -> int:
    """The baseline: every running clock (every ``step``-th by id) loaded and decided in Python,
    each change saved one by one with its ledger rows — the loop the issue forbids. Returns
    the clocks changed."""
    from django.db.models import F
    from django.utils import timezone

    from xiaoneng.clocks.models import Clock
    from xiaoneng.clocks.rules import warning_level
    from xiaoneng.supervision.models import WarningRecord

    changed = 0
    running = Clock.objects.filter(state="running").order_by("pk")
    if step > 1:
        running = running.annotate(m=F("id") % step).filter(m=0)
    for clock in running.iterator(chunk_size=5000):
        level = warning_level(as_of=today, due_on=clock.due_on, yellow_on=clock.yellow_on).value
        if ORDER[level] <= ORDER[clock.warning]:
            continue
        before, clock.warning = clock.warning, level
        clock.save(update_fields=["warning", "updated_at"])
        WarningRecord.objects.filter(clock=clock, closed_on__isnull=True).update(
            closed_on=today, closed_reason="escalated"
        )
        WarningRecord.objects.create(
            clock=clock,
            department_id=clock.department_id,
            kind=clock.kind,
            level=level,
            previous_level=before,
            changed_on=today,
            created_at=timezone.now(),
        )
        changed += 1
    return changed


def _statement_timer(totals: dict[str, float]) -> Any:
    """A connection wrapper adding up the seconds spent per statement (first 60 characters)."""
    import re

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = re.sub(r"\s+", " ", sql).strip()[:60]
            totals[key] = totals.get(key, 0.0) + time.perf_counter() - started

    return wrapper


def _baseline(today: Any, sample: int) -> dict[str, Any]:
    """The naive scan timed on about ``sample`` running clocks — every k-th by id, so the
    sample has the table's mix of shapes — and scaled to all running clocks; rolled back."""
    from django.db.models import F

    from xiaoneng.clocks.models import Clock

    running = Clock.objects.filter(state="running")
    total = running.count()
    step = max(1, total // max(1, sample))
    picked = running.annotate(m=F("id") % step).filter(m=0).count() if step > 1 else total
    seconds, changed = _timed(lambda: naive_scan(today, step=step), commit=False)
    scale = total / max(1, picked)
    return {
        "sample_clocks": picked,
        "sample_seconds": round(seconds, 3),
        "sample_changed": changed,
        "running_clocks": total,
        "seconds": round(seconds * scale, 3),
        "changed_estimate": round(changed * scale),
    }


def _worst_case(today: Any, size: int) -> tuple[float, Any]:
    """``size`` open clocks reshaped to change at once (running, past due, stored as none, no
    open record: the first scan after a long outage), then the scan. Only the scan is timed."""
    import datetime as dt

    from django.db import connection

    from xiaoneng.supervision.services.warnings import warnings_scan

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(id) FROM (SELECT id FROM clocks_clock WHERE state <> 'stopped' "
            "ORDER BY id LIMIT %s) AS first",
            [size],
        )
        (last,) = cursor.fetchone()
        cursor.execute(
            "UPDATE clocks_clock SET state = 'running', warning = 'none', due_on = %s, "
            "yellow_on = %s WHERE state <> 'stopped' AND id <= %s",
            [today - dt.timedelta(days=1), today - dt.timedelta(days=5), last],
        )
        cursor.execute(
            "UPDATE supervision_warningrecord SET closed_on = %s, closed_reason = 'lifted' "
            "WHERE closed_on IS NULL AND clock_id <= %s",
            [today, last],
        )
        cursor.execute("ANALYZE clocks_clock")
        cursor.execute("ANALYZE supervision_warningrecord")
    started = time.perf_counter()
    result = warnings_scan(today=today)
    return time.perf_counter() - started, result


def inner(*, clocks: int, stopped: int, worst: int, layout: str) -> dict[str, Any]:
    """The measurements, in a process whose DATABASE_URL is the bench database."""
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from xiaoneng.notifications.models import Message
    from xiaoneng.supervision.services.warnings import warnings_notify_pending, warnings_scan

    today = timezone.localdate()
    filled = _fill(clocks=clocks, stopped=stopped, today=today, layout=layout)

    def scan() -> Any:
        return warnings_scan(today=today)

    meter = PeakMemory()
    with meter as scan_memory:
        repeats = [_timed(scan, commit=False)[0] for _ in range(REPEATS)]
    scan_cpu = list(CPU)
    with meter as baseline_memory:
        baseline = _baseline(today, BASELINE_SAMPLE)
    statements: dict[str, float] = {}
    with connection.execute_wrapper(_statement_timer(statements)):
        committed, result = _timed(scan, commit=True)
    scan_cpu.append(CPU[-1] if CPU else float("nan"))
    scan_seconds = min([*repeats, committed])

    # The notice fan-out over the first recorded changes, committed as the worker does it.
    started = time.perf_counter()
    notified = warnings_notify_pending(limit=NOTICE_SAMPLE)
    notice_seconds = time.perf_counter() - started
    messages = Message.objects.count()
    per_thousand = notice_seconds / max(notified, 1) * 1000

    (_whole, (worst_seconds, worst_result)) = _timed(
        lambda: _worst_case(today, min(worst, clocks)), commit=False
    )
    return {
        "today": today.isoformat(),
        "layout": layout,
        "fill": filled,
        "scan": {
            "seconds": round(scan_seconds, 3),
            "repeats_rolled_back": [round(s, 3) for s in repeats],
            "committed": round(committed, 3),
            # CPU seconds (this process + its database backend) of the repeats and the
            # committed run: what the scan costs whatever else the machine is doing.
            "cpu_s": [round(c, 3) for c in scan_cpu],
            "load_average_1m": round(os.getloadavg()[0], 2),
            "moved": result.moved,
            "opened": {"yellow": result.yellow, "red": result.red},
            "closed": result.closed,
            # Where the committed run's time went, by statement (the slowest first).
            "statements_s": {
                sql: round(seconds, 3)
                for sql, seconds in sorted(statements.items(), key=lambda kv: -kv[1])[:8]
            },
        },
        # Growth of the peak RSS during the scan's repeats and during the naive scan of the
        # baseline's sample (MB): this process, its database backend.
        "memory_mb": {"scan": scan_memory, "naive_sample": baseline_memory},
        "baseline": {
            **baseline,
            # The sample decides like the scan: its share of changes is the scan's share.
            "agrees": abs(baseline["changed_estimate"] - result.moved) <= 0.02 * result.moved,
        },
        "worst_case": {
            "seconds": round(worst_seconds, 3),
            "moved": worst_result.moved,
            "opened": worst_result.opened,
            "closed": worst_result.closed,
            "per_change_ms": round(worst_seconds / max(worst_result.moved, 1) * 1000, 4),
            "all_open_clocks_estimate_s": round(
                worst_seconds / max(worst_result.moved, 1) * clocks, 1
            ),
        },
        "notices": {
            "records": notified,
            "seconds": round(notice_seconds, 3),
            "messages": messages,
            "per_1000_records_s": round(per_thousand, 3),
            "all_changes_estimate_s": round(per_thousand * result.opened / 1000, 1),
        },
    }


# -- the outer process -----------------------------------------------------------------------


def _pg(dsn: str, db: str = "postgres") -> Any:
    import psycopg

    return psycopg.connect(f"{dsn}/{db}", autocommit=True)


def run(
    *,
    clocks: int = CLOCKS,
    stopped: int = STOPPED,
    worst: int = WORST,
    layout: str = "age",
    scale: int = 1,
) -> dict[str, Any]:
    """Create and migrate the bench database, measure in a child process, drop it again.

    ``scale`` multiplies the open, stopped and worst-case clocks."""
    clocks, stopped, worst = clocks * scale, stopped * scale, worst * scale
    dsn = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    admin = _pg(dsn)
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {DB_NAME}")
    env = {
        **os.environ,
        "DATABASE_URL": f"{dsn}/{DB_NAME}",
        "DJANGO_SETTINGS_MODULE": "xiaoneng.settings",
        "XIAONENG_VAR": tempfile.mkdtemp(prefix="xiaoneng-bench-scan-"),
        # The fan-out task is not run by a worker here; the bench calls the service itself.
        "TASKS_BACKEND": "django_tasks.backends.dummy.DummyBackend",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])
        ),
    }
    try:
        subprocess.run(
            [sys.executable, "-m", "xiaoneng", "migrate", "-v", "0"], env=env, check=True
        )
        done = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--inner",
                "--clocks",
                str(clocks),
                "--stopped",
                str(stopped),
                "--worst",
                str(worst),
                "--layout",
                layout,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the measuring process failed:\n{done.stderr[-3000:]}")
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        admin.close()
    data = json.loads(done.stdout.strip().splitlines()[-1])
    scan = data["scan"]
    base = data["baseline"]
    worst = data["worst_case"]
    notices = data["notices"]
    changed = scan["opened"]["yellow"] + scan["opened"]["red"]
    return {
        "name": "scan",
        "baseline": (
            "the naive scan: every running clock loaded into Python, its warning decided there, "
            "each change saved with its ledger row one by one; for memory, the resident memory "
            "just before the scan"
        ),
        "notes": (
            f"{clocks:,} open + {stopped:,} stopped clocks; {changed:,} warnings opened on the "
            f"scan day; baseline timed on {base['sample_clocks']:,} running clocks and scaled "
            f"to {base['running_clocks']:,}; its share of changes agrees with the scan's: "
            f"{base['agrees']}."
        ),
        "figures": [
            {
                "name": f"warnings_scan, {clocks:,} open clocks, {changed:,} changes (PostgreSQL)",
                "value": scan["seconds"],
                "unit": "s",
                "baseline": base["seconds"],
                "ratio": round(base["seconds"] / scan["seconds"], 1) if scan["seconds"] else None,
                "target": f"< {TARGET_SECONDS:g} s",
                "meets_target": scan["seconds"] < TARGET_SECONDS,
            },
            {
                "name": "warnings_scan CPU seconds (this process + its database backend)",
                "value": min(scan["cpu_s"]) if scan["cpu_s"] else None,
                "unit": "s",
                "baseline": None,
                "ratio": None,
                "target": None,
                "meets_target": None,
            },
            {
                "name": (
                    f"warnings_scan, worst case: {worst['moved']:,} clocks change at once "
                    f"(all {clocks:,} ≈ {worst['all_open_clocks_estimate_s']:,} s)"
                ),
                "value": worst["seconds"],
                "unit": "s",
                "baseline": None,
                "ratio": None,
                "target": None,
                "meets_target": None,
            },
            *(
                {
                    # Baseline: the resident memory just before the scans (the peak is reset
                    # to it), so the ratio is how much the scan raised it.
                    "name": f"peak RSS during warnings_scan, {who} (VmHWM)",
                    "value": data["memory_mb"]["scan"][key + "_peak"],
                    "unit": "MB",
                    "baseline": round(
                        data["memory_mb"]["scan"][key + "_peak"]
                        - (data["memory_mb"]["scan"][key] or 0.0),
                        1,
                    ),
                    "ratio": (
                        round(
                            data["memory_mb"]["scan"][key + "_peak"]
                            / (
                                data["memory_mb"]["scan"][key + "_peak"]
                                - data["memory_mb"]["scan"][key]
                            ),
                            3,
                        )
                        if data["memory_mb"]["scan"][key] is not None
                        and data["memory_mb"]["scan"][key + "_peak"]
                        > data["memory_mb"]["scan"][key]
                        else None
                    ),
                    "target": None,
                    "meets_target": None,
                }
                for key, who in (
                    ("process", "Python process"),
                    ("database_backend", "its PostgreSQL backend (incl. shared buffers touched)"),
                )
            ),
            {
                "name": "notice fan-out per 1,000 warnings (officer, head, office at red)",
                "value": notices["per_1000_records_s"],
                "unit": "s",
                "baseline": None,
                "ratio": None,
                "target": None,
                "meets_target": None,
            },
        ],
        "details": data,
    }


def write_results(result: dict[str, Any]) -> None:
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / "scan.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clocks", type=int, default=CLOCKS, help="open clocks")
    parser.add_argument("--stopped", type=int, default=STOPPED, help="stopped clocks")
    parser.add_argument(
        "--worst", type=int, default=WORST, help="open clocks changing at once in the worst case"
    )
    parser.add_argument(
        "--layout",
        choices=["age", "scattered"],
        default="age",
        help="where the clocks that change sit: together by age (default), or spread evenly",
    )
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        print(
            json.dumps(
                inner(
                    clocks=args.clocks, stopped=args.stopped, worst=args.worst, layout=args.layout
                )
            )
        )
        return 0
    result = run(clocks=args.clocks, stopped=args.stopped, worst=args.worst, layout=args.layout)
    write_results(result)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
