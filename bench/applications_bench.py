"""Complete application cases per second over HTTP, against a real server, on PostgreSQL and
on SQLite (the embedded database `make run` uses).

One case is four requests, as people make them: the citizen submits
(``POST /api/v1/applications/``), the window officer accepts, the reviewer approves (which
issues the sealed e-license) and concludes (``POST …/actions/{name}/``). Requests go to a
gunicorn server started here (several workers, production settings) over loopback, from
concurrent client threads, each request on its own connection.

Baseline, in the same run: raw SQL writing the same rows. After the HTTP run, the rows the
cases left in every table are copied, one transaction per case, into empty tables of the
same shape and indexes (no foreign keys, no reads, no checks, no updates), from the same
number of client threads. The ratio says how many times slower the platform is than that
floor; it includes everything the platform does besides writing the final rows (parsing,
authentication, access checks, locking, validation, the state machine, clocks, the SM2 seal,
intermediate updates, audit and notification rows).

After the concurrent run, a few cases go through one client alone: their latency is the
request's own cost, without the queueing that the concurrent run adds on 2 cores.

On SQLite the database is a file in a temporary directory (WAL, as ``make run`` sets it up);
the snapshot is a copy of the file, the new rows come from ``EXCEPT`` against it, and the
baseline inserts them into a fresh file with the same tables, one transaction per case.

Usage: ``.venv/bin/python bench/applications_bench.py [--cases N] [--clients N] [--workers N]
[--backends postgresql,sqlite]`` (PostgreSQL from ``BENCH_PG``, default
``postgres://postgres@127.0.0.1:5432``).
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
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

# bench/ is the script's directory, so its helper module imports as a top-level one.
import _server

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.get("BENCH_DB_PREFIX", "xiaoneng_bench_") + "applications"
RESULTS = ROOT / "bench" / "results"
# Loopback ports the server may take: BENCH_PORTS="FIRST-LAST" (default 8160-8169).
_first, _last = os.environ.get("BENCH_PORTS", "8160-8169").split("-")
PORTS = range(int(_first), int(_last) + 1)
TARGET_CASES_PER_S = 200.0
TARGET_P99_MS = 100.0

SETUP = r"""
import json, datetime as dt
import django
django.setup()
from xiaoneng.accounts.models import User
from xiaoneng.accounts.services import api_token_issue
from xiaoneng.catalog.services import matter_create
matter = matter_create(
    actor=None, code="BENCH-0001", catalog_code="010990000100", effective_from=dt.date(2019, 1, 1),
    data={
        "name": "基准测试事项（演示）", "matter_type": "01", "department": "130100001",
        "kind": "promised", "legal_limit_days": 20, "promised_limit_days": 5, "visits": 0,
        "online": True, "handling_forms": ["online"], "online_depth": [1, 2, 3, 4, 5, 6, 7],
        "service_objects": ["natural_person"], "materials": [], "steps": [{"name": "受理"}],
    },
)
tokens = {u: api_token_issue(actor=None, user=User.objects.get(username=u), hours=4).raw
          for u in ("citizen", "window", "reviewer")}
print(json.dumps({"matter": matter.code, "tokens": tokens}))
"""


def _cpu_sample(conn: Any, server_pid: int) -> dict[str, dict[int, float]]:
    """CPU seconds so far of the gunicorn processes, the database's backends, this process."""
    with conn.cursor() as cur:
        cur.execute(
            # Client backends only: autovacuum working through the demo city's fresh rows is
            # not what a case costs.
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'",
            [DB_NAME],
        )
        backends = [int(row[0]) for row in cur.fetchall()]
    return {
        "server": {p: _server.proc_cpu(p) for p in _server.tree(server_pid)},
        "database": {p: _server.proc_cpu(p) for p in backends},
        "client": {0: time.process_time()},
    }


def _pg(dsn: str, db: str = "postgres") -> Any:
    import psycopg

    return psycopg.connect(f"{dsn}/{db}", autocommit=True)


def _request(
    port: int,
    method: str,
    path: str,
    token: str,
    body: dict[str, Any] | None,
    extra: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any], float]:
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=data,
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            **(extra or {}),
        },
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.loads(response.read() or b"{}")
            status = response.status
    except urllib.error.HTTPError as exc:
        payload = json.loads(exc.read() or b"{}")
        status = exc.code
    return status, payload, (time.perf_counter() - started) * 1000


def _snapshot(conn: Any) -> list[str]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        tables = [r[0] for r in cur.fetchall()]
        cur.execute("DROP SCHEMA IF EXISTS snap CASCADE; CREATE SCHEMA snap")
        for t in tables:
            cur.execute(f'CREATE TABLE snap."{t}" AS SELECT * FROM public."{t}"')
    return tables


def _new_rows(conn: Any, tables: list[str]) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    out: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
    with conn.cursor() as cur:
        for t in tables:
            cur.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
                (t,),
            )
            columns = [r[0] for r in cur.fetchall()]
            # Rows as text, so the copy goes back through PostgreSQL's own input functions.
            select = ", ".join(f'"{c}"::text' for c in columns)
            cur.execute(
                f'SELECT {select} FROM (SELECT * FROM public."{t}" EXCEPT '
                f'SELECT * FROM snap."{t}") AS added'
            )
            rows = cur.fetchall()
            if rows:
                out[t] = (columns, rows)
    return out


def _baseline(
    dsn: str, rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]], cases: int, clients: int
) -> float:
    """Cases per second of raw SQL inserting the same rows, one transaction per case."""
    import psycopg

    conn = _pg(dsn, DB_NAME)
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS base CASCADE; CREATE SCHEMA base")
        for t in rows:
            cur.execute(f'CREATE TABLE base."{t}" (LIKE public."{t}" INCLUDING ALL)')
    conn.close()
    return _drive_baseline(
        lambda: psycopg.connect(f"{dsn}/{DB_NAME}", autocommit=True),
        rows,
        cases,
        clients,
        mark="%s",
        schema="base.",
    )


def _drive_baseline(
    connect: Any,
    rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]],
    cases: int,
    clients: int,
    *,
    mark: str,
    schema: str,
) -> float:
    """Insert each case's rows in one transaction (BEGIN … COMMIT) from ``clients`` threads,
    each on its own connection; cases per second."""
    slices: list[list[tuple[str, list[tuple[Any, ...]]]]] = [[] for _ in range(cases)]
    for t, (columns, table_rows) in rows.items():
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join([mark] * len(columns))
        sql = f'INSERT INTO {schema}"{t}" ({names}) VALUES ({marks})'
        for i in range(cases):
            part = table_rows[i * len(table_rows) // cases : (i + 1) * len(table_rows) // cases]
            if part:
                slices[i].append((sql, part))
    next_case = iter(range(cases))
    lock = threading.Lock()
    errors: list[str] = []

    def worker() -> None:
        conn = connect()
        try:
            cur = conn.cursor()
            while True:
                with lock:
                    i = next(next_case, None)
                if i is None:
                    return
                cur.execute("BEGIN")
                for sql, part in slices[i]:
                    cur.executemany(sql, part)
                cur.execute("COMMIT")
        except Exception as exc:  # reported, and the figure is refused below
            errors.append(repr(exc))
        finally:
            conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        raise RuntimeError(f"the baseline failed: {errors[:3]}")
    return cases / (time.perf_counter() - started)


def _sqlite_snapshot(path: Path) -> tuple[Path, list[str]]:
    """A copy of the SQLite file before the run, and its tables."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    tables = [
        r[0]
        for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    con.close()
    snap = path.with_name("snapshot.sqlite3")
    shutil.copyfile(path, snap)
    return snap, tables


def _sqlite_new_rows(
    path: Path, snap: Path, tables: list[str]
) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    out: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
    con = sqlite3.connect(path)
    con.execute("ATTACH DATABASE ? AS snap", (str(snap),))
    for t in tables:
        columns = [r[1] for r in con.execute(f'PRAGMA main.table_info("{t}")')]
        rows = con.execute(f'SELECT * FROM main."{t}" EXCEPT SELECT * FROM snap."{t}"').fetchall()
        if rows:
            out[t] = (columns, rows)
    con.close()
    return out


def _sqlite_baseline(
    path: Path, rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]], cases: int, clients: int
) -> float:
    """Cases per second of raw SQL inserting the same rows into empty tables of the same
    shape and indexes in a fresh SQLite file (WAL), one transaction per case."""
    base = path.with_name("baseline.sqlite3")
    con = sqlite3.connect(path)
    ddl = [
        sql
        for (sql,) in con.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND type IN ('table', 'index') "
            f"AND tbl_name IN ({', '.join('?' * len(rows))}) ORDER BY type DESC",
            list(rows),
        )
    ]
    con.close()
    target = sqlite3.connect(base)
    target.execute("PRAGMA journal_mode=WAL")
    target.execute("PRAGMA synchronous=NORMAL")
    for sql in ddl:
        # The referenced tables are not copied: SQLite checks foreign keys only when asked
        # (PRAGMA foreign_keys), so, as on PostgreSQL, the baseline writes rows and checks none.
        target.execute(sql)
    target.commit()
    target.close()
    return _drive_baseline(
        lambda: _sqlite_connection(base), rows, cases, clients, mark="?", schema=""
    )


def _sqlite_connection(path: Path) -> Any:
    con = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    con.execute("PRAGMA synchronous=NORMAL")
    return con


LABELS = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
SOLO_CASES = 10  # cases one client drives alone after the concurrent run


def _sqlite_cpu_sample(server_pid: int) -> dict[str, dict[int, float]]:
    # SQLite runs inside the gunicorn workers: its CPU is counted as the server's.
    return {
        "server": {p: _server.proc_cpu(p) for p in _server.tree(server_pid)},
        "database": {},
        "client": {0: time.process_time()},
    }


def _case(
    port: int, tokens: dict[str, str], matter: str, i: int
) -> list[tuple[str, int, Any, float]]:
    """One complete case: submit, accept, approve, conclude; (step, status, body, ms) each."""
    out = []
    status, body, ms = _request(
        port,
        "POST",
        "/api/v1/applications/",
        tokens["citizen"],
        {"matter": matter, "form": {"purpose": f"case {i}"}},
        {"Idempotency-Key": f"bench-{i}"},
    )
    out.append(("submit", status, body, ms))
    if status not in (200, 201):
        return out
    app_id = body["id"]
    for action, who in (("accept", "window"), ("approve", "reviewer"), ("conclude", "reviewer")):
        status, body, ms = _request(
            port, "POST", f"/api/v1/applications/{app_id}/actions/{action}/", tokens[who], {}
        )
        out.append((action, status, body, ms))
        if status != 200:
            break
    return out


def _failed(steps: list[tuple[str, int, Any, float]]) -> str | None:
    step, status, body, _ms = steps[-1]
    ok = status in (200, 201) if step == "submit" else status == 200
    if ok and len(steps) == 4:
        return None
    return f"{step} {status} {str(body)[:300]}"


def measure(backend: str, *, cases: int, clients: int, workers: int, scale: int) -> dict[str, Any]:
    """Set up a fresh database of ``backend``, serve it, drive the cases, measure the baseline."""
    dsn = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    var = tempfile.mkdtemp(prefix="xiaoneng-bench-")
    sqlite_path = Path(var) / "bench.sqlite3"
    if backend == "postgresql":
        admin = _pg(dsn)
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
            cur.execute(f"CREATE DATABASE {DB_NAME}")
        admin.close()
        database_url = f"{dsn}/{DB_NAME}"
    else:
        database_url = f"sqlite:///{sqlite_path}"
    env = _server.production_env(database_url, var)
    py = sys.executable
    conn: Any = None
    try:
        subprocess.run(
            [py, "-m", "xiaoneng", "migrate", "-v", "0"], env=env, check=True, timeout=600
        )
        demo = subprocess.run(
            [py, "-m", "xiaoneng", "demo", "--scale", str(scale)],
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if demo.returncode != 0:
            raise RuntimeError(f"xiaoneng demo --scale {scale} failed:\n{demo.stderr[-3000:]}")
        setup = subprocess.run(
            [py, "-c", SETUP], env=env, check=True, capture_output=True, text=True, timeout=300
        )
        info = json.loads(setup.stdout.strip().splitlines()[-1])
        tokens = info["tokens"]
        if backend == "postgresql":
            conn = _pg(dsn, DB_NAME)
            tables = _snapshot(conn)
        else:
            snap, tables = _sqlite_snapshot(sqlite_path)
        port = _server.free_port(PORTS)
        log = Path(var) / "server.log"
        argv = _server.gunicorn_argv(port, workers, Path(var) / "access.log", [])
        server = _server.start(argv, env, log)

        def cpu_sample() -> dict[str, dict[int, float]]:
            if backend == "postgresql":
                return _cpu_sample(conn, server.pid)
            return _sqlite_cpu_sample(server.pid)

        try:
            _server.wait_until_answering(server, port, "/api/v1/matters/?page_size=1", log=log)
            # The idle figure is each worker's resident memory now, before any case.
            time.sleep(1.0)
            worker_pids = _server.tree(server.pid)[1:]
            idle_rss_kb = max((_server.status_kb(w, "VmRSS") for w in worker_pids), default=0)
            failures: list[str] = []
            # Warm-up, not measured: each worker's first requests load what it has not yet
            # (translations, the seal, templates); a city's workers have long done so.
            warm = [
                threading.Thread(target=_case, args=(port, tokens, info["matter"], 2_000_000 + i))
                for i in range(clients)
            ]
            for th in warm:
                th.start()
            for th in warm:
                th.join()
            cpu_before = cpu_sample()
            latencies: dict[str, list[float]] = {
                "submit": [],
                "accept": [],
                "approve": [],
                "conclude": [],
            }
            counter = iter(range(cases))
            lock = threading.Lock()

            def client() -> None:
                while True:
                    with lock:
                        i = next(counter, None)
                    if i is None:
                        return
                    steps = _case(port, tokens, info["matter"], i)
                    for step, _status, _body, ms in steps:
                        latencies[step].append(ms)
                    if (failure := _failed(steps)) is not None:
                        failures.append(failure)

            started = time.perf_counter()
            threads = [threading.Thread(target=client) for _ in range(clients)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            elapsed = time.perf_counter() - started
            cpu_after = cpu_sample()
            peak_kb = max(
                (_server.status_kb(w, "VmHWM") for w in _server.tree(server.pid)[1:]), default=0
            )
            respawned = sorted(set(_server.tree(server.pid)[1:]) - set(worker_pids))
            # Then one client alone, on warm workers: the requests' own latency, no queue in
            # front of them (with 8 clients on 2 cores most of a request's time is waiting).
            solo_failures: list[str] = []
            solo: list[float] = []
            for i in range(SOLO_CASES):
                steps = _case(port, tokens, info["matter"], 1_000_000 + i)
                solo.extend(ms for *_rest, ms in steps)
                if (failure := _failed(steps)) is not None:
                    solo_failures.append(failure)
        finally:
            _server.stop(server)

        done = cases - len(failures)
        rate = done / elapsed
        failures = solo_failures + failures
        # CPU milliseconds per complete case: what a case costs the machine, whatever else runs.
        cpu_ms = {
            part: round(
                sum(v - cpu_before[part].get(pid, 0.0) for pid, v in cpu_after[part].items())
                / max(cases, 1)
                * 1000,
                1,
            )
            for part in cpu_after
        }
        if backend == "postgresql":
            rows = _new_rows(conn, tables)
            conn.close()
            conn = None
            baseline_rate = _baseline(dsn, rows, cases + SOLO_CASES + clients, clients)
        else:
            rows = _sqlite_new_rows(sqlite_path, snap, tables)
            baseline_rate = _sqlite_baseline(
                sqlite_path, rows, cases + SOLO_CASES + clients, clients
            )
    finally:
        if conn is not None:
            conn.close()
        if not os.environ.get("BENCH_KEEP"):
            if backend == "postgresql":
                admin = _pg(dsn)
                with admin.cursor() as cur:
                    cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
                admin.close()
            shutil.rmtree(var, ignore_errors=True)
    cpu_total = sum(cpu_ms.values())
    capacity = (os.cpu_count() or 1) * 1000 / cpu_total if cpu_total else float("nan")
    everything = [ms for values in latencies.values() for ms in values]
    return {
        "backend": backend,
        "rate": rate,
        "baseline_rate": baseline_rate,
        "elapsed_s": round(elapsed, 2),
        "cases": cases,
        "failures": failures,
        "completed": done,
        "latency_ms": {
            q: round(_server.percentile(everything, v), 1)
            for q, v in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
        },
        "solo_latency_ms": {
            "requests": len(solo),
            "p50": round(_server.percentile(solo, 0.5), 1),
            "p99": round(_server.percentile(solo, 0.99), 1),
        },
        "per_step": {
            step: {
                "p50_ms": round(_server.percentile(v, 0.5), 1),
                "p99_ms": round(_server.percentile(v, 0.99), 1),
            }
            for step, v in latencies.items()
        },
        "rows_per_case": {
            t: round(len(r[1]) / (cases + SOLO_CASES + clients), 2) for t, r in rows.items()
        },
        "cpu_ms_per_case": cpu_ms,
        "cpu_total_ms": round(cpu_total, 1),
        "capacity_cases_per_s": round(capacity, 1),
        "memory": {
            "worker_idle_rss_mb": round(idle_rss_kb / 1024, 1),
            "worker_peak_hwm_mb": round(peak_kb / 1024, 1),
            "workers_respawned": len(respawned),
        },
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def _figures(m: dict[str, Any]) -> list[dict[str, Any]]:
    label = LABELS[m["backend"]]

    def fig(name: str, value: Any, unit: str, **kw: Any) -> dict[str, Any]:
        return {
            "name": f"{name} ({label})",
            "value": value,
            "unit": unit,
            "baseline": kw.get("baseline"),
            "ratio": kw.get("ratio"),
            "target": kw.get("target"),
            "meets_target": kw.get("meets"),
        }

    lat, solo = m["latency_ms"], m["solo_latency_ms"]
    mem = m["memory"]
    return [
        fig(
            "complete cases per second over HTTP",
            round(m["rate"], 1),
            "cases/s",
            baseline=round(m["baseline_rate"], 1),
            ratio=round(m["rate"] / m["baseline_rate"], 4),
            target=f">= {TARGET_CASES_PER_S:g}",
            meets=m["rate"] >= TARGET_CASES_PER_S,
        ),
        fig("request latency p50, concurrent clients", lat["p50"], "ms"),
        fig("request latency p95, concurrent clients", lat["p95"], "ms"),
        fig(
            "request latency p99, concurrent clients",
            lat["p99"],
            "ms",
            target=f"< {TARGET_P99_MS:g}",
            meets=lat["p99"] < TARGET_P99_MS,
        ),
        fig(
            f"request latency p99, one client alone ({solo['requests']} requests)",
            solo["p99"],
            "ms",
            target=f"< {TARGET_P99_MS:g}",
            meets=solo["p99"] < TARGET_P99_MS,
        ),
        *(
            fig(
                f"{step} p50 (p99 in target column)",
                v["p50_ms"],
                "ms",
                target=f"p99 {v['p99_ms']:g} ms",
            )
            for step, v in m["per_step"].items()
        ),
        fig(
            "CPU per complete case: server + database + client",
            m["cpu_total_ms"],
            "ms",
            target=(
                f"all {os.cpu_count()} CPUs would carry ≈ {m['capacity_cases_per_s']:,.0f} cases/s"
            ),
        ),
        fig(
            "peak RSS of one gunicorn worker (VmHWM) after the run",
            mem["worker_peak_hwm_mb"],
            "MB",
            baseline=mem["worker_idle_rss_mb"],
            ratio=(
                round(mem["worker_peak_hwm_mb"] / mem["worker_idle_rss_mb"], 2)
                if mem["worker_idle_rss_mb"]
                else None
            ),
        ),
    ]


def run(
    *,
    cases: int = 150,
    clients: int = 8,
    workers: int = 4,
    scale: int = 1,
    backends: tuple[str, ...] = ("postgresql", "sqlite"),
) -> dict[str, Any]:
    """Every backend in turn; ``scale`` builds the demo city with ``xiaoneng demo --scale N``
    and drives N × ``cases``."""
    cases *= scale
    details = [
        measure(b, cases=cases, clients=clients, workers=workers, scale=scale) for b in backends
    ]
    failures = [f for m in details for f in m["failures"]]
    notes = "; ".join(
        f"{LABELS[m['backend']]}: {m['completed']} of {m['cases']} cases complete in "
        f"{m['elapsed_s']:.1f} s, CPU ms per case {m['cpu_ms_per_case']} (all "
        f"{os.cpu_count()} CPUs busy with nothing else would carry about "
        f"{m['capacity_cases_per_s']:,.0f} cases/s), load average {m['load_average_1m']:.2f}"
        for m in details
    )
    return {
        "name": "applications",
        "figures": [f for m in details for f in _figures(m)],
        "details": details,
        "failures": failures[:10],
        "clients": clients,
        "workers": workers,
        "scale": scale,
        "status": "failed" if failures else "ok",
        "baseline": "raw SQL inserting the same rows into empty tables of the same shape, one "
        "transaction per case, same threads; memory: the largest idle worker's RSS right after "
        "start",
        "notes": f"{clients} clients, {workers} gunicorn workers, demo city at scale {scale}, "
        f"{clients} warm-up cases first (not measured), then the measured cases, then "
        f"{SOLO_CASES} cases by one client alone; {notes}.",
    }


def write_results(result: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "applications.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=150)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--scale", type=int, default=1, help="xiaoneng demo --scale N, N × cases")
    parser.add_argument("--backends", default="postgresql,sqlite")
    args = parser.parse_args()
    result = run(
        cases=args.cases,
        clients=args.clients,
        workers=args.workers,
        scale=args.scale,
        backends=tuple(b for b in args.backends.split(",") if b),
    )
    write_results(result)
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
