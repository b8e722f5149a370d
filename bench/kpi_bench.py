"""The dashboard's KPIs over 1,000,000 applications and 10,000,000 events (issues 4 and 6).

For each database (PostgreSQL, then SQLite) the script builds a dedicated database, migrates
it, lays out a synthetic year with set-based SQL, and times
:func:`xiaoneng.dashboard.selectors.kpis` in-process for the whole city and for one department,
over one month and over the full year. Then it serves that same database with a real server
and times the same four cases over HTTP (issue 6: "a real server process … and a real
database"). Targets: < 1 s on PostgreSQL, < 3 s on SQLite, in-process and over HTTP.

Why a synthetic year and not the demo city: ``xiaoneng demo --scale N`` makes its items
through the services (validation, clocks, events, audit, notifications), far fewer than
1,000,000; building a million applications that way would take hours. The KPIs only read the
stored rows, so this script builds its own volume set-based, in minutes.

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
  and 2 % of the others still open;
* an efficiency-office user (role ``office``: the whole city's KPIs) with a password and an
  API token (``api_token_issue``), made through the accounts services for the HTTP phase.

Dates: working days are approximated by calendar days × 7/5 (due dates, used days); the
KPIs only compare stored dates and numbers, so this changes no query.

The HTTP phase, after the in-process timings on each database: gunicorn started as
``xiaoneng serve`` starts it (``bench/_server.py``, shared with the Open311 benchmark:
``--workers 2``, production settings, static files collected once per run) on a free loopback
port of ``BENCH_PORTS`` (default 8470-8479). Two concurrent clients send, per case, 2 warm-up
and 4 timed ``GET /api/v1/kpis/?department=…&from=…&to=…`` with the office's bearer token; the
p50 and the worst are reported. ``GET /office/?from=2025-01-01&to=2025-12-31`` (the dashboard
page: ``kpis()``, ``kpis_by_department()``, the ranking, the hotline's figures) is timed with
a session signed in through the sign-in form, 2 requests (one per client, at once: the p50 is
the faster) and no warm-up of its own (the API cases warmed both workers on the same rows; a
page costs seconds on SQLite, and the phase must stay under 30 s). Every answer is checked:
the API's JSON must equal, key by key, ``kpis()`` called in-process for the same case, and the
page's KPI cards the texts of the same figures; a difference or an answer other than 200
fails the benchmark (the results are written, then it raises). The API takes no ``today``:
its "now" figures (red and yellow clocks, supervision overdue) are as of the real date, so the
in-process reference for the check uses that same default, not 2025-12-31 (the page takes its
"now" as of the period's last day); that reference call is timed too, to tell what the real
date changes from what HTTP adds. Also reported: the peak RSS (VmHWM) of a gunicorn worker
after the phase, against the largest worker's RSS right after it started.

Baseline, in the same run on the same database: ``SELECT count(*)`` over the applications
table. The ratio says how many such table counts one call of ``kpis()`` (or one HTTP request)
costs (it runs about ten aggregate queries over applications, clocks, ratings and the
catalog).

PostgreSQL: the database ``<BENCH_DB_PREFIX>kpi`` (default ``xiaoneng_bench_kpi``) on
``BENCH_PG`` (default ``postgres://postgres@127.0.0.1:5432``) is dropped, created, migrated
and dropped again at the end. SQLite: a temporary file, deleted at the end. Every step,
request and wait runs under a time limit, and the server is stopped in a ``finally``, so the
script stops by itself.

Usage: ``.venv/bin/python bench/kpi_bench.py [--applications N] [--backends postgresql,sqlite]
[--keep]`` (``--keep`` leaves the databases for inspection).
"""

from __future__ import annotations

import argparse
import html
import http.client
import http.cookies
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

# bench/ is the script's directory, so its helper module imports as a top-level one.
import _server

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
DEPARTMENT = "BENCH07"  # the one department of the "one department" cases
STEP_TIMEOUT_S = 1_200  # no single step may take longer than this
REPEATS = 3

SETUP = r"""
import json, datetime as dt
import django
django.setup()
from django.contrib.contenttypes.models import ContentType
from xiaoneng.accounts.models import Department, Role, User
from xiaoneng.accounts.services import api_token_issue, user_register
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
# The efficiency office sees the whole city: the HTTP phase signs in as this user, with the
# bearer token for the API and through the sign-in form for the dashboard page.
office = user_register(
    actor=None, username="bench-office", password=%(password)r, role=Role.OFFICE,
    display_name="基准测试效能办", enforce_password_policy=False,
)
token = api_token_issue(actor=None, user=office, name="kpi bench", hours=4).raw
print(json.dumps({
    "office": office.username, "token": token,
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
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from xiaoneng.dashboard import reports, selectors
from xiaoneng.accounts.models import Department

repeats = %(repeats)d
today = dt.date.fromisoformat(%(today)r)
month = tuple(dt.date.fromisoformat(x) for x in %(month)r)
year = tuple(dt.date.fromisoformat(x) for x in %(year)r)
dept = Department.objects.get(code=%(department)r).pk


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
# What the HTTP phase must get back. GET /api/v1/kpis/ takes no `today`: the server's "now"
# figures are as of the real date, so the same call is made here with the same default and
# rendered by the API's JSON renderer. The dashboard page takes its "now" as of the period's
# last day (reports.as_of_day); its cards show reports.kpi_lines' texts.
now = timezone.localdate()
out["server_today"] = now.isoformat()
out["http_expected"], out["kpis_real_today"] = {}, {}
for name, kwargs in cases.items():
    # Timed too (one call, warm): what the real date alone changes, before HTTP adds its part.
    started = time.perf_counter()
    figures = selectors.kpis(**kwargs)
    out["kpis_real_today"][name] = time.perf_counter() - started
    out["http_expected"][name] = json.loads(JSONRenderer().render(figures))
page = selectors.kpis(date_from=year[0], date_to=year[1],
                      today=reports.as_of_day(year[1], today=now))
out["page_expected"] = {line.key: line.text for line in reports.kpi_lines(page)}
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


# -- the HTTP phase --------------------------------------------------------------------------

# Loopback ports the server may take: BENCH_PORTS="FIRST-LAST" (default 8470-8479, clear of
# the development servers' 8000-8300).
_first, _last = os.environ.get("BENCH_PORTS", "8470-8479").split("-")
PORTS = range(int(_first), int(_last) + 1)
HTTP_WORKERS = 2  # as `xiaoneng serve` starts it
HTTP_CLIENTS = 2  # concurrent clients, one connection per request (sync workers close them)
HTTP_WARMUP = 2  # per API case, one per client, untimed: imports, connections, caches
HTTP_TIMED = 4  # per API case (2 per client)
# The page costs kpis() + kpis_by_department() (about 7 s a request on SQLite at 1,000,000
# with two at once): no warm-up of its own, since the API cases just warmed both workers and
# read the same rows, and one request per client, so the phase stays under 30 s per database.
# With two answers, the p50 is the faster and the worst the slower.
PAGE_WARMUP = 0
PAGE_TIMED = 2
HTTP_TIMEOUT_S = 120  # one request
PAGE_QUERY = {"from": YEAR[0], "to": YEAR[1]}
HTTP_CASES: dict[str, dict[str, str]] = {
    "all departments, one month": {"from": MONTH[0], "to": MONTH[1]},
    "one department, one month": {"department": DEPARTMENT, "from": MONTH[0], "to": MONTH[1]},
    "all departments, full year": {"from": YEAR[0], "to": YEAR[1]},
    "one department, full year": {"department": DEPARTMENT, "from": YEAR[0], "to": YEAR[1]},
}


class Answer(NamedTuple):
    """One HTTP answer: status, the cookies it set, its body and how long it took."""

    status: int
    cookies: dict[str, str]
    body: bytes
    ms: float


def _request(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None = None,
) -> Answer:
    """One request on a fresh loopback connection; the time includes connecting."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT_S)
    try:
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        ms = (time.perf_counter() - started) * 1000
        cookies: dict[str, str] = {}
        for header in response.msg.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            jar.load(header)
            cookies.update({name: morsel.value for name, morsel in jar.items()})
        return Answer(response.status, cookies, data, ms)
    finally:
        conn.close()


def _burst(port: int, path: str, headers: dict[str, str], count: int) -> list[Answer]:
    """``count`` GETs of ``path`` from :data:`HTTP_CLIENTS` concurrent clients."""
    with ThreadPoolExecutor(HTTP_CLIENTS) as pool:
        return list(pool.map(lambda _: _request(port, "GET", path, headers), range(count)))


def _latency(answers: list[Answer]) -> dict[str, Any]:
    times = [a.ms for a in answers]
    return {
        "requests": len(times),
        "p50_ms": _server.percentile(times, 0.5),
        "worst_ms": max(times, default=float("nan")),
        "statuses": sorted({a.status for a in answers}),
    }


def _sign_in(port: int, username: str, password: str) -> tuple[dict[str, str], str]:
    """Sign in through the form as a browser does: its cookies, or why it failed.

    Production marks the cookies Secure; the client sends them back over loopback HTTP as a
    TLS-terminating proxy in front of gunicorn would.
    """
    page = _request(port, "GET", "/accounts/login/?next=/office/", {})
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    if page.status != 200 or token is None or "csrftoken" not in page.cookies:
        return {}, f"the sign-in page answered {page.status} without a CSRF token"
    cookies = dict(page.cookies)
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token.group(1).decode(),
            "username": username,
            "password": password,
            "next": "/office/",
        }
    ).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
    }
    done = _request(port, "POST", "/accounts/login/", headers, form)
    cookies.update(done.cookies)
    if done.status != 302 or "sessionid" not in done.cookies:
        return {}, f"signing in answered {done.status} without a session"
    return cookies, ""


_CARD = re.compile(r'data-kpi="([a-z_]+)"[^>]*><div class="value">([^<]*)</div>')


def _collect_static(root: Path) -> Path:
    """``collectstatic`` once per run into ``root``; the production page needs its manifest."""
    if not (root / "static" / "staticfiles.json").is_file():
        env = _server.production_env(f"sqlite:///{root / 'unused.sqlite3'}", root)
        subprocess.run(
            [sys.executable, "-m", "xiaoneng", "collectstatic", "--noinput", "-v", "0"],
            env=env,
            check=True,
            capture_output=True,
            timeout=STEP_TIMEOUT_S,
            cwd=ROOT,
        )
    return root / "static"


def _http_phase(
    url: str, var: Path, static: Path, ids: dict[str, Any], measured: dict[str, Any]
) -> dict[str, Any]:
    """Serve the bench database with gunicorn; time and check the API and the page."""
    started = time.perf_counter()
    # Development settings (the build and measure steps) leave an empty var/static behind;
    # the server gets the run's collected files instead.
    target = var / "static"
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    target.symlink_to(static, target_is_directory=True)
    env = _server.production_env(url, var)
    port = _server.free_port(PORTS)
    log = var / "server.log"
    argv = _server.gunicorn_argv(port, HTTP_WORKERS, var / "access.log", [])
    bearer = {"Authorization": f"Bearer {ids['token']}", "Accept": "application/json"}
    out: dict[str, Any] = {
        "server": " ".join(_server.gunicorn_argv(port, HTTP_WORKERS, Path("<log>"), [])[2:]),
        "api": {},
        "failures": [],
    }
    server = _server.start(argv, env, log)
    try:
        _server.wait_until_answering(
            server, port, "/api/v1/kpis/definitions/", log=log, headers=bearer
        )
        time.sleep(1.0)
        idle_kb = _server.worker_kb(server.pid, "VmRSS")  # the baseline: a worker just started
        for case, query in HTTP_CASES.items():
            path = "/api/v1/kpis/?" + urllib.parse.urlencode(query)
            warm = _burst(port, path, bearer, HTTP_WARMUP)
            timed = _burst(port, path, bearer, HTTP_TIMED)
            expected = measured["http_expected"][case]
            wrong: set[str] = set()
            for answer in warm + timed:
                if answer.status != 200:
                    wrong.add(f"HTTP {answer.status}")
                    continue
                got = json.loads(answer.body)
                wrong.update(
                    k for k in expected.keys() | got.keys() if got.get(k) != expected.get(k)
                )
            out["api"][case] = {**_latency(timed), "equal": not wrong, "differ": sorted(wrong)}
            if wrong:
                out["failures"].append(f"GET {path}: differs from kpis() in {sorted(wrong)}")
        cookies, why = _sign_in(port, "bench-office", ids["password"])
        if why:
            out["page"] = {"skipped": why}
            out["failures"].append(f"/office/: {why}")
        else:
            path = "/office/?" + urllib.parse.urlencode(PAGE_QUERY)
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
            warm = _burst(port, path, headers, PAGE_WARMUP)
            timed = _burst(port, path, headers, PAGE_TIMED)
            expected = measured["page_expected"]
            wrong = set() if expected else {"no KPI card expected"}
            for answer in warm + timed:
                if answer.status != 200:
                    wrong.add(f"HTTP {answer.status}")
                    continue
                shown = {
                    k: html.unescape(v).strip() for k, v in _CARD.findall(answer.body.decode())
                }
                wrong.update(k for k in expected if shown.get(k) != expected[k])
            out["page"] = {**_latency(timed), "equal": not wrong, "differ": sorted(wrong)}
            if wrong:
                out["failures"].append(f"GET {path}: cards differ from kpis() in {sorted(wrong)}")
        peak_kb = _server.worker_kb(server.pid, "VmHWM")
    finally:
        _server.stop(server)
    out["memory_mb"] = {
        "worker_idle_rss": round(idle_kb / 1024, 1),
        "worker_peak": round(peak_kb / 1024, 1),
    }
    out["seconds"] = time.perf_counter() - started
    return out


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


def _build(
    vendor: str, database_url: str, target: Any, n: int, env: dict[str, str]
) -> tuple[float, dict[str, Any]]:
    """Migrate, set up departments, matters and the office user, lay out the data.

    Returns the seconds it took and the ids SETUP made (with the office's password and token).
    """
    started = time.perf_counter()
    _django(env, "-m", "xiaoneng", "migrate", "-v", "0")
    password = secrets.token_urlsafe(18)
    setup = SETUP % {"departments": DEPARTMENTS, "password": password}
    ids = json.loads(_django(env, "-c", setup).splitlines()[-1])
    ids["password"] = password
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
    return time.perf_counter() - started, ids


def _measure(env: dict[str, str]) -> dict[str, Any]:
    script = MEASURE % {
        "repeats": REPEATS,
        "today": TODAY,
        "month": MONTH,
        "year": YEAR,
        "department": DEPARTMENT,
    }
    return dict(json.loads(_django(env, "-c", script).splitlines()[-1]))


def run_backend(
    vendor: str, *, applications: int, static: Path, keep: bool = False
) -> dict[str, Any]:
    """Build, measure in-process, serve over HTTP and drop one database; its raw measurements."""
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
        built, ids = _build(vendor, url, target, applications, env)
        measured = _measure(env)
        measured["build_seconds"] = built
        measured["http"] = _http_phase(url, Path(var), static, ids, measured)
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
    started = time.perf_counter()
    static = Path(tempfile.mkdtemp(prefix="xiaoneng-kpi-static-"))
    try:
        measured_all = {}
        for vendor in backends:
            if not (static / "static").exists():
                _collect_static(static)
            measured_all[vendor] = run_backend(
                vendor, applications=applications, static=static / "static", keep=keep
            )
    finally:
        shutil.rmtree(static, ignore_errors=True)
    failures: list[str] = []
    for vendor, m in measured_all.items():
        # The expected answers were checked; the result keeps the figures, not the copies.
        m.pop("http_expected")
        m.pop("page_expected")
        raw[vendor] = m
        failures.extend(f"{label[vendor]}: {f}" for f in m["http"]["failures"])
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
            figures.extend(_http_figures(measured["http"], where, baseline_ms, target))
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
    today = next(iter(raw.values()))["server_today"] if raw else "—"
    result = {
        "name": "kpi",
        "baseline": "SELECT count(*) FROM applications_application, same database, same run",
        "notes": (
            f"In-process: best of {REPEATS} calls each, today = {TODAY}; month = "
            f"{MONTH[0]}…{MONTH[1]}, year = {YEAR[0]}…{YEAR[1]}. The ratio is how many full "
            "counts of the applications table one call costs. Over HTTP: gunicorn "
            f"(--workers {HTTP_WORKERS}, production settings) on the same database, "
            f"{HTTP_CLIENTS} concurrent loopback clients, per API case {HTTP_WARMUP} warm-up + "
            f"{HTTP_TIMED} timed requests, for the page {PAGE_WARMUP} + {PAGE_TIMED}; p50 "
            "reported, worst below; the office's bearer token for GET /api/v1/kpis/ "
            "(department, from, to), a session from the sign-in form for "
            "/office/?from=…&to=… (the full year). "
            'The API takes no `today`, so its "now" figures (red and yellow clocks, '
            f"supervision overdue) are as of the real date ({today}), not {TODAY}: every "
            "answer is compared key by key with kpis() called in-process with that same "
            "default; the page's KPI cards (its \"now\" as of the period's last day) with "
            "reports.kpi_lines of the same call. "
            + (
                "Every HTTP answer equalled the in-process figures."
                if not failures
                else "FAILED: " + "; ".join(failures)
            )
            + f" Benchmark run time {time.perf_counter() - started:,.0f} s."
        ),
        "figures": figures,
        "raw": raw,
        "failures": failures,
    }
    if failures:
        # Marks the benchmark failed for bench/run.py; the figures are written first.
        write_results(result)
        raise RuntimeError("HTTP answers differ from kpis(): " + "; ".join(failures))
    return result


def _http_figures(
    http: dict[str, Any], where: str, baseline_ms: float, target_s: float
) -> list[dict[str, Any]]:
    """The HTTP phase's figures: each API case, the page, a worker's peak memory."""
    rows: list[dict[str, Any]] = []
    for case, t in http["api"].items():
        rows.append(
            {
                "name": f"GET /api/v1/kpis/, {case}, over HTTP ({where})",
                "value": round(t["p50_ms"], 1),
                "unit": "ms",
                "baseline": round(baseline_ms, 1),
                "ratio": round(t["p50_ms"] / baseline_ms, 2) if baseline_ms else None,
                "target": f"< {target_s * 1000:,.0f} ms",
                "meets_target": t["p50_ms"] < target_s * 1000 and t["equal"],
            }
        )
    page = http["page"]
    if "p50_ms" in page:
        rows.append(
            {
                "name": f"GET /office/ (dashboard page), all departments, full year, "
                f"over HTTP ({where})",
                "value": round(page["p50_ms"], 1),
                "unit": "ms",
                "baseline": round(baseline_ms, 1),
                "ratio": round(page["p50_ms"] / baseline_ms, 2) if baseline_ms else None,
                "target": None,
                "meets_target": None if page["equal"] else False,
            }
        )
    memory = http["memory_mb"]
    rows.append(
        {
            # Baseline: the largest worker's resident memory right after the server answered.
            "name": f"peak RSS of one gunicorn worker (VmHWM) after the HTTP phase ({where})",
            "value": memory["worker_peak"],
            "unit": "MB",
            "baseline": memory["worker_idle_rss"],
            "ratio": round(memory["worker_peak"] / memory["worker_idle_rss"], 2)
            if memory["worker_idle_rss"]
            else None,
            "target": None,
            "meets_target": None,
        }
    )
    return rows


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
            f"{_cell(f['baseline'], ' ' + f['unit'])} | {_cell(f['ratio'], '×')} | "
            f"{f['target'] or '—'} | {'' if met is None else ('yes' if met else 'NO')} |"
        )
    lines.append("")
    for vendor, m in result["raw"].items():
        firsts = ", ".join(f"{case} {t['first'] * 1000:,.0f} ms" for case, t in m["kpis"].items())
        year = m["kpis"]["all departments, full year"]["figures"]
        lines.append(f"- {vendor}: rows {m['rows']}; first calls: {firsts}.")
        lines.append(f"  Figures of the full year, all departments: {year}.")
        http = m["http"]
        answers = [("GET /api/v1/kpis/, " + case, t) for case, t in http["api"].items()]
        if "p50_ms" in http["page"]:
            answers.append(("GET /office/, full year", http["page"]))
        else:
            lines.append(f"  /office/ not timed: {http['page']['skipped']}.")
        over = "; ".join(
            f"{name}: p50 {t['p50_ms']:,.0f} ms, worst {t['worst_ms']:,.0f} ms of "
            f"{t['requests']}, HTTP {t['statuses']}, "
            + ("equal to kpis()" if t["equal"] else f"DIFFERS in {t['differ']}")
            for name, t in answers
        )
        lines.append(f"  Over HTTP ({http['server']}; phase {http['seconds']:,.0f} s): {over}.")
        real = ", ".join(f"{case} {s * 1000:,.0f} ms" for case, s in m["kpis_real_today"].items())
        lines.append(
            f"  In-process, one warm call each with the real date as today "
            f"({m['server_today']}, as the API computes): {real}."
        )
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
    try:
        result = run(applications=args.applications, backends=backends, keep=args.keep)
    except RuntimeError as exc:  # the HTTP answers differed; the results are written
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    write_results(result)
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
