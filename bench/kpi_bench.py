"""The dashboard's KPIs over 1,000,000 applications and 10,000,000 events (issue 4).

For each database (PostgreSQL, then SQLite) the script builds a dedicated database, migrates
it, lays out a synthetic year with set-based SQL, and times
:func:`xiaoneng.dashboard.selectors.kpis` for the whole city and for one department, over one
month and over the full year. Targets: < 1 s on PostgreSQL, < 3 s on SQLite.

The data (seeded by arithmetic on the row number, so two runs build the same rows):

* 40 departments, each with one promised matter; 1,000,000 applications received evenly over
  2025 (about 2,740 a day), 95 % accepted, a tenth of them instant matters (promised limit 0);
* their clocks: a promised clock for every accepted application and a legal clock for 90 % of
  them (about 1.8 million), concluded unless still within their time when the year ends
  (about 85 % concluded, 4 % of those late), 2 % left open well past their due date;
* 10 application events per application (10,000,000 rows: the history table, which the KPIs
  never scan but which makes the database its real size);
* a rating for a third of the concluded applications, 1 % of them bad reviews, each bad one
  with its rectification; 5,000 supervision-task clocks, those of the last two weeks
  and 2 % of the others still open.

Dates: working days are approximated by calendar days × 7/5 (due dates, used days); the
KPIs only compare stored dates and numbers, so this changes no query.

Baseline, in the same run on the same database: ``SELECT count(*)`` over the applications
table. The ratio says how many such table counts one call of ``kpis()`` costs (it runs about
ten aggregate queries over applications, clocks, ratings and the catalog).

PostgreSQL: the database ``xiaoneng_bench_kpi`` on ``BENCH_PG`` (default
``postgres://postgres@127.0.0.1:5432``) is dropped, created, migrated and dropped again at
the end. SQLite: a temporary file, deleted at the end. Every step runs under a time limit,
so the script stops by itself.

Usage: ``.venv/bin/python bench/kpi_bench.py [--applications N] [--backends postgresql,sqlite]
[--keep]`` (``--keep`` leaves the databases for inspection).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
DB_NAME = os.environ.get("BENCH_DB_PREFIX", "xiaoneng_bench_") + "kpi"
TARGETS_S = {"postgresql": 1.0, "sqlite": 3.0}
DEPARTMENTS = 40
EVENTS_PER_APPLICATION = 10
SUPERVISION_TASKS = 5_000
TODAY = "2025-12-31"
MONTH = ("2025-11-01", "2025-11-30")
YEAR = ("2025-01-01", "2025-12-31")
STEP_TIMEOUT_S = 1_200  # no single step may take longer than this
REPEATS = 3

SETUP = r"""
import json, datetime as dt
import django
django.setup()
from django.contrib.contenttypes.models import ContentType
from xiaoneng.accounts.models import Department, Role, User
from xiaoneng.applications.models import Application
from xiaoneng.catalog.services import matter_create
from xiaoneng.ratings.models import Rating
city = Department.objects.create(code="BENCH", name="基准测试市")
departments, matters = [], []
for n in range(1, %(departments)d + 1):
    dept = Department.objects.create(code=f"BENCH{n:02d}", name=f"基准测试局{n:02d}", parent=city)
    matter = matter_create(
        actor=None, code=f"BENCH-{n:04d}", catalog_code=f"0109900{n:05d}",
        effective_from=dt.date(2019, 1, 1),
        data={
            "name": f"基准测试事项{n:02d}", "matter_type": "01", "department": dept.code,
            "kind": "promised", "legal_limit_days": 20, "promised_limit_days": 10, "visits": 0,
            "online": True, "handling_forms": ["online"], "online_depth": [1, 2, 3, 4, 5, 6, 7],
            "service_objects": ["natural_person"], "materials": [], "steps": [{"name": "受理"}],
        },
    )
    departments.append(dept.pk)
    matters.append([matter.pk, matter.current_version_id])
applicant = User.objects.create(username="bench-applicant", role=Role.CITIZEN)
print(json.dumps({
    "departments": departments, "matters": matters, "applicant": applicant.pk,
    "application_type": ContentType.objects.get_for_model(Application).pk,
    "department_type": ContentType.objects.get_for_model(Department).pk,
}))
"""

MEASURE = r"""
import datetime as dt, json, time
import django
django.setup()
from django.db import connection
from xiaoneng.dashboard import selectors
from xiaoneng.accounts.models import Department

repeats = %(repeats)d
today = dt.date.fromisoformat(%(today)r)
month = tuple(dt.date.fromisoformat(x) for x in %(month)r)
year = tuple(dt.date.fromisoformat(x) for x in %(year)r)
dept = Department.objects.get(code="BENCH07").pk


def best(fn):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), times[0], result


def count():
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM applications_application")
        return cur.fetchone()[0]


out = {"vendor": connection.vendor}
out["baseline"] = best(count)[:2]
cases = {
    "all departments, one month": dict(date_from=month[0], date_to=month[1]),
    "one department, one month": dict(department_id=dept, date_from=month[0], date_to=month[1]),
    "all departments, full year": dict(date_from=year[0], date_to=year[1]),
    "one department, full year": dict(department_id=dept, date_from=year[0], date_to=year[1]),
}
out["kpis"] = {}
for name, kwargs in cases.items():
    seconds, first, figures = best(lambda: selectors.kpis(today=today, **kwargs))
    out["kpis"][name] = {"best": seconds, "first": first, "figures": {
        k: figures[k] for k in ("applications_received", "applications_accepted",
                                "applications_concluded", "on_time_rate", "median_days_used",
                                "clocks_red", "bad_reviews", "supervision_overdue")}}
seconds, first, rows = best(lambda: selectors.kpis_by_department(
    date_from=year[0], date_to=year[1], today=today))
out["by_department"] = {"best": seconds, "first": first, "rows": len(rows)}
seconds, first, rows = best(lambda: selectors.department_ranking(
    date_from=year[0], date_to=year[1], today=today))
out["ranking"] = {"best": seconds, "first": first, "rows": len(rows)}
out["rows"] = {}
with connection.cursor() as cur:
    for table in ("applications_application", "applications_applicationevent", "clocks_clock",
                  "ratings_rating", "ratings_rectification"):
        cur.execute(f"SELECT count(*) FROM {table}")
        out["rows"][table] = cur.fetchone()[0]
print(json.dumps(out))
"""


# -- the data, as SQL that both databases understand -------------------------------------------


class Dialect:
    """The few expressions PostgreSQL and SQLite write differently."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.pg = vendor == "postgresql"

    def day(self, offset: str) -> str:
        """The date ``offset`` days after 2025-01-01."""
        if self.pg:
            return f"(DATE '2025-01-01' + ({offset})::int)"
        return f"date(2460676.5 + ({offset}))"  # the Julian day of 2025-01-01

    def moment(self, hours: str) -> str:
        """The UTC timestamp ``hours`` hours after 2025-01-01 00:00 UTC."""
        if self.pg:
            return f"(TIMESTAMPTZ '2025-01-01 00:00+00' + ({hours}) * INTERVAL '1 hour')"
        return f"datetime(2460676.5 + ({hours}) / 24.0)"

    def uuid(self, n: str) -> str:
        if self.pg:
            return f"lpad(to_hex({n}), 32, '0')::uuid"
        return f"printf('%032x', {n})"

    def text(self, n: str) -> str:
        return f"({n})::text" if self.pg else f"CAST({n} AS TEXT)"

    def padded(self, n: str, width: int) -> str:
        if self.pg:
            return f"lpad(({n})::text, {width}, '0')"
        return f"printf('%0{width}d', {n})"

    def json(self) -> str:
        return "'{}'::jsonb" if self.pg else "'{}'"

    def series(self, n: int) -> str:
        """A FROM item of rows ``i`` = 1 … n."""
        if self.pg:
            return f"generate_series(1::bigint, {n}) AS s(i)"
        return (
            f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) "
            "SELECT i FROM s) AS s"
        )


def plan_sql(x: Dialect, n: int, ids: dict[str, Any]) -> list[str]:
    """The statements that build the data from row numbers (see the module docstring)."""
    depts = ids["departments"]
    matters = ids["matters"]
    d = len(depts)
    dept_case = " ".join(f"WHEN {k} THEN {pk}" for k, pk in enumerate(depts))
    matter_case = " ".join(f"WHEN {k} THEN {m}" for k, (m, _v) in enumerate(matters))
    version_case = " ".join(f"WHEN {k} THEN {v}" for k, (_m, v) in enumerate(matters))
    temp = "CREATE TEMP TABLE" if x.pg else "CREATE TABLE"
    # Day offsets within 2025: received evenly over the year; accepted 0–2 days later.
    base = f"""
        SELECT i,
               CASE (i % {d}) {dept_case} END AS dept,
               CASE (i % {d}) {matter_case} END AS matter,
               CASE (i % {d}) {version_case} END AS version,
               ((i - 1) * 365) / {n} AS received,
               ((i - 1) * 365) / {n} + (i % 3) AS accepted,
               (i % 20) <> 0 AS is_accepted,
               (i % 10) = 0 AS instant,
               CASE WHEN (i % 10) = 0 THEN 0 ELSE 5 * (1 + i % 4) END AS plimit,
               CASE WHEN (i % 10) = 5 THEN NULL ELSE 20 + 10 * ((i / 7) % 2) END AS llimit,
               (i % 50) = 1 AS stuck
        FROM {x.series(n)}"""
    # Working days used: 4 % late (1–5 days past the limit), the rest within the limit.
    used = """CASE WHEN (i % 25) = 0 THEN plimit + 1 + (i % 5)
                   ELSE (i * 7919) % (plimit + 1) END"""
    return [
        "CREATE TABLE bench_ten (k integer)",
        "INSERT INTO bench_ten (k) VALUES (1),(2),(3),(4),(5),(6),(7),(8),(9),(10)",
        f"""{temp} bench_plan AS
        SELECT b.*, {used} AS used,
               accepted + ({used}) * 7 / 5 AS stop,
               accepted + plimit * 7 / 5 AS pdue,
               accepted + ((8 * plimit + 9) / 10) * 7 / 5 AS pyellow,
               accepted + COALESCE(llimit, 0) * 7 / 5 AS ldue,
               accepted + ((8 * COALESCE(llimit, 0) + 9) / 10) * 7 / 5 AS lyellow
        FROM ({base}) AS b""",
        # Concluded: accepted, not stuck, and stopped by the end of the year (offset 364).
        f"""{temp} bench_state AS
        SELECT p.*, (is_accepted AND NOT stuck AND stop <= 364) AS concluded FROM bench_plan p""",
        # Clocks: promised = 2i − 1, legal = 2i (ids given so the applications can point at
        # them without a second pass).
        f"""INSERT INTO clocks_clock (id, content_type_id, object_id, department_id, kind, label,
            limit_days, extension_allowance_days, extension_days, started_on, stopped_on, state,
            due_on, due_provisional, used_days, yellow_on, warning, created_at, updated_at)
        SELECT 2 * i - 1, {ids["application_type"]}, {x.text(x.uuid("i"))}, dept,
               'application.promised', '', plimit, 10, 0, {x.day("accepted")},
               CASE WHEN concluded THEN {x.day("stop")} END,
               CASE WHEN concluded THEN 'stopped' ELSE 'running' END,
               {x.day("pdue")}, FALSE, CASE WHEN concluded THEN used END,
               {x.day("CASE WHEN pyellow > pdue THEN pdue ELSE pyellow END")},
               CASE WHEN concluded THEN CASE WHEN stop > pdue THEN 'red' ELSE 'none' END
                    WHEN pdue < 364 THEN 'red' WHEN pyellow <= 364 THEN 'yellow'
                    ELSE 'none' END,
               {x.moment("accepted * 24 + 9")}, {x.moment("accepted * 24 + 9")}
        FROM bench_state WHERE is_accepted""",
        f"""INSERT INTO clocks_clock (id, content_type_id, object_id, department_id, kind, label,
            limit_days, extension_allowance_days, extension_days, started_on, stopped_on, state,
            due_on, due_provisional, used_days, yellow_on, warning, created_at, updated_at)
        SELECT 2 * i, {ids["application_type"]}, {x.text(x.uuid("i"))}, dept,
               'application.legal', '', llimit, 10, 0, {x.day("accepted")},
               CASE WHEN concluded THEN {x.day("stop")} END,
               CASE WHEN concluded THEN 'stopped' ELSE 'running' END,
               {x.day("ldue")}, FALSE, CASE WHEN concluded THEN used END,
               {x.day("CASE WHEN lyellow > ldue THEN ldue ELSE lyellow END")},
               CASE WHEN concluded THEN CASE WHEN stop > ldue THEN 'red' ELSE 'none' END
                    WHEN ldue < 364 THEN 'red' WHEN lyellow <= 364 THEN 'yellow'
                    ELSE 'none' END,
               {x.moment("accepted * 24 + 9")}, {x.moment("accepted * 24 + 9")}
        FROM bench_state WHERE is_accepted AND llimit IS NOT NULL""",
        *(
            [
                "SELECT setval(pg_get_serial_sequence('clocks_clock', 'id'), "
                "(SELECT max(id) FROM clocks_clock))"
            ]
            if x.pg
            else []
        ),
        f"""INSERT INTO applications_application (id, number, matter_id, matter_version_id, kind,
            department_id, applicant_id, applicant_name, applicant_code, channel, form, status,
            received_on, supplement_notice, accepted_on, decided_on, decision, decision_reason,
            concluded_on, delivered_on, delivery_method, delivery_detail, idempotency_key,
            request_fingerprint, promised_clock_id, legal_clock_id, lock_version, created_at,
            updated_at)
        SELECT {x.uuid("i")}, 'SQB' || {x.padded("i", 9)}, matter, version,
               CASE WHEN instant THEN 'instant' ELSE 'promised' END, dept, {ids["applicant"]},
               '基准测试企业', '', 'online', {x.json()},
               CASE WHEN NOT is_accepted THEN 'submitted' WHEN concluded THEN 'concluded'
                    ELSE 'accepted' END,
               {x.day("received")}, {x.json()},
               CASE WHEN is_accepted THEN {x.day("accepted")} END,
               CASE WHEN concluded THEN {x.day("stop")} END,
               CASE WHEN concluded THEN 'approved' ELSE '' END, '',
               CASE WHEN concluded THEN {x.day("stop")} END, NULL, '', '', '', '',
               CASE WHEN is_accepted THEN 2 * i - 1 END,
               CASE WHEN is_accepted AND llimit IS NOT NULL THEN 2 * i END, 3,
               {x.moment("received * 24 + 8")}, {x.moment("received * 24 + 8")}
        FROM bench_state""",
        f"""INSERT INTO applications_applicationevent (application_id, at, actor_id, action,
            from_status, to_status, reason, data)
        SELECT {x.uuid("i")}, {x.moment("received * 24 + 8 + k")}, NULL,
               CASE k WHEN 1 THEN 'submit' WHEN 2 THEN 'upload-material'
                      WHEN 3 THEN 'upload-material' WHEN 4 THEN 'take-responsibility'
                      WHEN 5 THEN 'accept' WHEN 6 THEN 'pause' WHEN 7 THEN 'resume'
                      WHEN 8 THEN 'approve' WHEN 9 THEN 'conclude' ELSE 'deliver' END,
               '', '', '', {x.json()}
        FROM bench_state, bench_ten""",
        # Ratings: a third of the concluded applications, the day after; 1 % bad.
        f"""INSERT INTO ratings_rating (content_type_id, object_id, department_id, rater_id,
            level, text, channel, created_at, is_bad, appeal_state)
        SELECT {ids["application_type"]}, {x.text(x.uuid("i"))}, dept, {ids["applicant"]},
               CASE WHEN (i % 97) = 0 THEN 1 + (i % 2) ELSE 4 + (i % 2) END, '', 'online',
               {x.moment("(stop + 1) * 24 + 2")}, (i % 97) = 0, 'none'
        FROM bench_state WHERE concluded AND (i % 3) = 0""",
        # Each bad review's rectification: completed, except those of the last fortnight.
        f"""INSERT INTO ratings_rectification (rating_id, department_id, state, visited_on,
            visit_outcome, rater_satisfied, measures, completed_at, created_at)
        SELECT id, department_id,
               CASE WHEN created_at >= {x.moment("350 * 24")} THEN 'open' ELSE 'completed' END,
               CASE WHEN created_at >= {x.moment("350 * 24")} THEN NULL
                    ELSE {x.day("350")} END,
               '', NULL,
               CASE WHEN created_at >= {x.moment("350 * 24")} THEN '' ELSE '整改' END,
               CASE WHEN created_at >= {x.moment("350 * 24")} THEN NULL ELSE created_at END,
               created_at
        FROM ratings_rating WHERE is_bad""",
        # Supervision tasks: 10 working days each, spread over the year; closed 8–16 calendar
        # days after they start (2 in 9 late), except those of the last two weeks and one
        # in fifty, left open.
        f"""{temp} bench_tasks AS
        SELECT i, (i * 364) / {SUPERVISION_TASKS} AS start, 8 + i % 9 AS took,
               ((i * 364) / {SUPERVISION_TASKS} < 350 AND (i % 50) <> 0) AS closed
        FROM {x.series(SUPERVISION_TASKS)}""",
        f"""INSERT INTO clocks_clock (content_type_id, object_id, department_id, kind, label,
            limit_days, extension_allowance_days, extension_days, started_on, stopped_on, state,
            due_on, due_provisional, used_days, yellow_on, warning, created_at, updated_at)
        SELECT {ids["department_type"]}, 'bench-task-' || {x.text("i")},
               CASE (i % {d}) {dept_case} END, 'supervision.task', '', 10, 0, 0,
               {x.day("start")}, CASE WHEN closed THEN {x.day("start + took")} END,
               CASE WHEN closed THEN 'stopped' ELSE 'running' END,
               {x.day("start + 14")}, FALSE, CASE WHEN closed THEN took * 5 / 7 END,
               {x.day("start + 11")},
               CASE WHEN closed THEN CASE WHEN took > 14 THEN 'red' ELSE 'none' END
                    WHEN start + 14 < 364 THEN 'red' WHEN start + 11 <= 364 THEN 'yellow'
                    ELSE 'none' END,
               {x.moment("start * 24")}, {x.moment("start * 24")}
        FROM bench_tasks""",
        "DROP TABLE bench_tasks",
        "DROP TABLE bench_state",
        "DROP TABLE bench_plan",
        "DROP TABLE bench_ten",
    ]


# -- running ---------------------------------------------------------------------------------


def _env(database_url: str, var: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "XIAONENG_VAR": var,
        "DJANGO_SETTINGS_MODULE": "xiaoneng.settings",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT / "src"),
    }


def _django(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT_S,
        cwd=ROOT,
    )
    return done.stdout


def _build(vendor: str, database_url: str, target: Any, n: int, env: dict[str, str]) -> float:
    """Migrate, set up departments and matters, lay out the data; the seconds it took."""
    started = time.perf_counter()
    _django(env, "-m", "xiaoneng", "migrate", "-v", "0")
    ids = json.loads(_django(env, "-c", SETUP % {"departments": DEPARTMENTS}).splitlines()[-1])
    x = Dialect(vendor)
    statements = plan_sql(x, n, ids)
    if vendor == "postgresql":
        import psycopg

        with psycopg.connect(target, autocommit=False) as conn, conn.cursor() as cur:
            cur.execute(f"SET statement_timeout = '{STEP_TIMEOUT_S}s'")
            # The rows are consistent by construction: skip the per-row foreign-key triggers
            # (the applications point at clocks inserted in the same transaction).
            cur.execute("SET session_replication_role = replica")
            cur.execute("SET synchronous_commit = off")
            cur.execute("SET maintenance_work_mem = '256MB'")
            for sql in statements:
                cur.execute(sql)  # type: ignore[arg-type]
            conn.commit()
        with psycopg.connect(target, autocommit=True) as conn:
            # What autovacuum would have done by then: statistics, and the visibility map
            # that lets index-only scans skip the table.
            conn.execute(
                "VACUUM (ANALYZE) applications_application, clocks_clock, ratings_rating, "
                "ratings_rectification, catalog_matter, catalog_matterversion"
            )
            conn.execute("ANALYZE applications_applicationevent")
    else:
        conn = sqlite3.connect(target, timeout=60)
        try:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("PRAGMA cache_size = -262144")
            conn.execute("PRAGMA temp_store = MEMORY")
            conn.execute("BEGIN")
            for sql in statements:
                conn.execute(sql)
            conn.commit()
            conn.execute("ANALYZE")
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()
    return time.perf_counter() - started


def _measure(env: dict[str, str]) -> dict[str, Any]:
    script = MEASURE % {"repeats": REPEATS, "today": TODAY, "month": MONTH, "year": YEAR}
    return dict(json.loads(_django(env, "-c", script).splitlines()[-1]))


def run_backend(vendor: str, *, applications: int, keep: bool = False) -> dict[str, Any]:
    """Build, measure and drop one database; its raw measurements."""
    var = tempfile.mkdtemp(prefix="xiaoneng-kpi-bench-")
    try:
        if vendor == "postgresql":
            import psycopg

            dsn = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
            with psycopg.connect(f"{dsn}/postgres", autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")  # type: ignore[arg-type]
                admin.execute(f"CREATE DATABASE {DB_NAME}")  # type: ignore[arg-type]
            url = target = f"{dsn}/{DB_NAME}"
        else:
            path = Path(var) / "kpi-bench.sqlite3"
            url, target = f"sqlite:///{path}", str(path)
        env = _env(url, var)
        built = _build(vendor, url, target, applications, env)
        measured = _measure(env)
        measured["build_seconds"] = built
        if vendor == "sqlite":
            measured["database_bytes"] = Path(target).stat().st_size
        return measured
    finally:
        if not keep:
            if vendor == "postgresql":
                import psycopg

                dsn = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
                with psycopg.connect(f"{dsn}/postgres", autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")  # type: ignore[arg-type]
            shutil.rmtree(var, ignore_errors=True)
        else:
            print(f"kept: {vendor} database ({var})", file=sys.stderr)


def run(
    *,
    applications: int = 1_000_000,
    backends: tuple[str, ...] = ("postgresql", "sqlite"),
    keep: bool = False,
    scale: int = 1,
) -> dict[str, Any]:
    """Every backend's figures in bench/run.py's shape; ``scale`` multiplies the applications."""
    applications *= scale
    figures: list[dict[str, Any]] = []
    raw: dict[str, Any] = {}
    label = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
    for vendor in backends:
        m = run_backend(vendor, applications=applications, keep=keep)
        raw[vendor] = m
        target = TARGETS_S[vendor]
        runs = [(label[vendor], m)]
        for where, measured in runs:
            baseline_ms = measured["baseline"][0] * 1000
            for case, t in measured["kpis"].items():
                ms = t["best"] * 1000
                figures.append(
                    {
                        "name": f"kpis(), {case} ({where})",
                        "value": round(ms, 1),
                        "unit": "ms",
                        "baseline": round(baseline_ms, 1),
                        "ratio": round(ms / baseline_ms, 2) if baseline_ms else None,
                        "target": f"< {target * 1000:,.0f} ms",
                        "meets_target": t["best"] < target,
                    }
                )
            for key, name in (
                ("by_department", "kpis_by_department(), full year"),
                ("ranking", "department_ranking(), full year"),
            ):
                ms = measured[key]["best"] * 1000
                figures.append(
                    {
                        "name": f"{name} ({where})",
                        "value": round(ms, 1),
                        "unit": "ms",
                        "baseline": round(baseline_ms, 1),
                        "ratio": round(ms / baseline_ms, 2) if baseline_ms else None,
                        "target": None,
                        "meets_target": None,
                    }
                )
        figures.append(
            {
                "name": f"data build: migrate + {applications:,} applications, "
                f"{m['rows']['applications_applicationevent']:,} events, "
                f"{m['rows']['clocks_clock']:,} clocks ({label[vendor]})",
                "value": round(m["build_seconds"], 1),
                "unit": "s",
                "baseline": None,
                "ratio": None,
                "target": "< 300 s",
                "meets_target": m["build_seconds"] < 300,
            }
        )
    return {
        "name": "kpi",
        "baseline": "SELECT count(*) FROM applications_application, same database, same run",
        "notes": (
            f"Best of {REPEATS} calls each, today = {TODAY}; month = {MONTH[0]}…{MONTH[1]}, "
            f"year = {YEAR[0]}…{YEAR[1]}. The ratio is how many full counts of the "
            "applications table one call costs."
        ),
        "figures": figures,
        "raw": raw,
    }


def _cell(value: Any, suffix: str) -> str:
    return "—" if value is None else f"{value:,}{suffix}"


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# KPI benchmark",
        "",
        result["notes"],
        "",
        "| figure | value | baseline | ratio | target | met |",
        "|---|---:|---:|---:|---|---|",
    ]
    for f in result["figures"]:
        met = f["meets_target"]
        lines.append(
            f"| {f['name']} | {_cell(f['value'], ' ' + f['unit'])} | "
            f"{_cell(f['baseline'], ' ms')} | {_cell(f['ratio'], '×')} | "
            f"{f['target'] or '—'} | {'' if met is None else ('yes' if met else 'NO')} |"
        )
    lines.append("")
    for vendor, m in result["raw"].items():
        firsts = ", ".join(f"{case} {t['first'] * 1000:,.0f} ms" for case, t in m["kpis"].items())
        year = m["kpis"]["all departments, full year"]["figures"]
        lines.append(f"- {vendor}: rows {m['rows']}; first calls: {firsts}.")
        lines.append(f"  Figures of the full year, all departments: {year}.")
    lines.append("")
    return "\n".join(lines)


def write_results(result: dict[str, Any]) -> None:
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "kpi.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (RESULTS_DIR / "kpi.md").write_text(markdown(result), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--keep", action="store_true", help="leave the databases in place")
    args = parser.parse_args(argv)
    backends = tuple(b.strip() for b in args.backends.split(",") if b.strip())
    unknown = set(backends) - set(TARGETS_S)
    if unknown:
        parser.error(f"unknown backend(s) {', '.join(sorted(unknown))}; use postgresql, sqlite")
    result = run(
        applications=args.applications,
        backends=backends,
        keep=args.keep,
    )
    write_results(result)
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
