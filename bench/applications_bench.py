"""Complete application cases per second over HTTP, against a real server on PostgreSQL.

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

Usage: ``.venv/bin/python bench/applications_bench.py [--cases N] [--clients N] [--workers N]``
(PostgreSQL from ``BENCH_PG``, default ``postgres://postgres@127.0.0.1:5432``).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.get("BENCH_DB_PREFIX", "xiaoneng_bench_") + "applications"
RESULTS = ROOT / "bench" / "results"
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


def _children(pid: int) -> list[int]:
    """The worker processes of a gunicorn master."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _status_kb(pid: int, key: str) -> int:
    """A field of /proc/<pid>/status in kB (VmRSS, VmHWM); 0 if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, 0 when /proc does not show it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_sample(conn: Any, server_pid: int) -> dict[str, dict[int, float]]:
    """CPU seconds so far of the gunicorn processes, the database's backends, this process."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [DB_NAME],
        )
        backends = [int(row[0]) for row in cur.fetchall()]
    return {
        "server": {p: _proc_cpu(p) for p in [server_pid, *_children(server_pid)]},
        "database": {p: _proc_cpu(p) for p in backends},
        "client": {0: time.process_time()},
    }


def _free_port() -> int:
    """A free loopback port in BENCH_PORTS="FIRST-LAST" (default 8160-8169)."""
    first, last = os.environ.get("BENCH_PORTS", "8160-8169").split("-")
    for port in range(int(first), int(last) + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {first}-{last}")


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


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


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
    slices: list[list[tuple[str, str, list[tuple[Any, ...]]]]] = [[] for _ in range(cases)]
    for t, (columns, table_rows) in rows.items():
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join(["%s"] * len(columns))
        sql = f'INSERT INTO base."{t}" ({names}) VALUES ({marks})'
        for i in range(cases):
            part = table_rows[i * len(table_rows) // cases : (i + 1) * len(table_rows) // cases]
            if part:
                slices[i].append((t, sql, part))
    next_case = iter(range(cases))
    lock = threading.Lock()

    def worker() -> None:
        with psycopg.connect(f"{dsn}/{DB_NAME}") as c:
            while True:
                with lock:
                    i = next(next_case, None)
                if i is None:
                    return
                with c.transaction(), c.cursor() as cur:
                    for _t, sql, part in slices[i]:
                        cur.executemany(sql, part)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return cases / (time.perf_counter() - started)


def run(*, cases: int = 400, clients: int = 8, workers: int = 4, scale: int = 1) -> dict[str, Any]:
    """Set up a fresh database, serve it, drive the cases, measure the baseline.

    ``scale`` builds the demo city with ``xiaoneng demo --scale N`` and drives N × ``cases``.
    """
    cases *= scale
    dsn = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    admin = _pg(dsn)
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {DB_NAME}")
    admin.close()
    var = tempfile.mkdtemp(prefix="xiaoneng-bench-")
    env = {
        **os.environ,
        "DATABASE_URL": f"{dsn}/{DB_NAME}",
        "XIAONENG_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "XIAONENG_VAR": var,
        "DJANGO_SETTINGS_MODULE": "xiaoneng.settings",
        "LOG_LEVEL": "WARNING",
    }
    py = sys.executable
    subprocess.run([py, "-m", "xiaoneng", "migrate", "-v", "0"], env=env, check=True)
    demo = subprocess.run(
        [py, "-m", "xiaoneng", "demo", "--scale", str(scale)],
        env=env,
        capture_output=True,
        text=True,
    )
    if demo.returncode != 0:
        raise RuntimeError(f"xiaoneng demo --scale {scale} failed:\n{demo.stderr[-3000:]}")
    setup = subprocess.run([py, "-c", SETUP], env=env, check=True, capture_output=True, text=True)
    info = json.loads(setup.stdout.strip().splitlines()[-1])
    tokens = info["tokens"]

    conn = _pg(dsn, DB_NAME)
    tables = _snapshot(conn)
    port = _free_port()
    server = subprocess.Popen(
        [
            py,
            "-m",
            "gunicorn",
            "xiaoneng.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/v1/matters/?page_size=1", timeout=5
                )
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not answer within 60 s") from None
                time.sleep(0.3)
        # Every worker has served at least the readiness probe or will on its first case; the
        # idle figure is each worker's resident memory now, before any case.
        time.sleep(1.0)
        worker_pids = _children(server.pid)
        idle_rss_kb = max((_status_kb(w, "VmRSS") for w in worker_pids), default=0)
        cpu_before = _cpu_sample(conn, server.pid)
        latencies: dict[str, list[float]] = {
            "submit": [],
            "accept": [],
            "approve": [],
            "conclude": [],
        }
        failures: list[str] = []
        counter = iter(range(cases))
        lock = threading.Lock()

        def client() -> None:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                status, body, ms = _request(
                    port,
                    "POST",
                    "/api/v1/applications/",
                    tokens["citizen"],
                    {"matter": info["matter"], "form": {"purpose": f"case {i}"}},
                    {"Idempotency-Key": f"bench-{i}"},
                )
                latencies["submit"].append(ms)
                if status not in (200, 201):
                    failures.append(f"submit {status} {body}")
                    continue
                app_id = body["id"]
                for action, who in (
                    ("accept", "window"),
                    ("approve", "reviewer"),
                    ("conclude", "reviewer"),
                ):
                    status, body, ms = _request(
                        port,
                        "POST",
                        f"/api/v1/applications/{app_id}/actions/{action}/",
                        tokens[who],
                        {},
                    )
                    latencies[action].append(ms)
                    if status != 200:
                        failures.append(f"{action} {status} {body}")
                        break

        started = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - started
        cpu_after = _cpu_sample(conn, server.pid)
        peak_kb = max((_status_kb(w, "VmHWM") for w in _children(server.pid)), default=0)
        respawned = sorted(set(_children(server.pid)) - set(worker_pids))
    finally:
        server.terminate()
        server.wait(timeout=30)

    done = cases - len(failures)
    rate = done / elapsed
    # CPU milliseconds per complete case: what a case costs the machine, whatever else runs.
    cpu_ms = {
        part: round(
            sum(v - cpu_before[part].get(pid, 0.0) for pid, v in cpu_after[part].items())
            / max(done, 1)
            * 1000,
            1,
        )
        for part in cpu_after
    }
    cpu_total = sum(cpu_ms.values())
    capacity = (os.cpu_count() or 1) * 1000 / cpu_total if cpu_total else float("nan")
    everything = [ms for values in latencies.values() for ms in values]
    rows = _new_rows(conn, tables)
    conn.close()
    baseline_rate = _baseline(dsn, rows, max(done, 1), clients)
    if not os.environ.get("BENCH_KEEP"):
        admin = _pg(dsn)
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        admin.close()
    p50, p95, p99 = (_percentile(everything, q) for q in (0.5, 0.95, 0.99))
    per_step = {
        step: {"p50_ms": round(_percentile(v, 0.5), 1), "p99_ms": round(_percentile(v, 0.99), 1)}
        for step, v in latencies.items()
    }
    rows_per_case = {t: round(len(r[1]) / max(done, 1), 2) for t, r in rows.items()}
    return {
        "name": "applications",
        "figures": [
            {
                "name": "complete cases per second over HTTP (PostgreSQL)",
                "value": round(rate, 1),
                "unit": "cases/s",
                "baseline": round(baseline_rate, 1),
                "ratio": round(rate / baseline_rate, 4),
                "target": f">= {TARGET_CASES_PER_S:g}",
                "meets_target": rate >= TARGET_CASES_PER_S,
            },
            {
                "name": "request latency p50",
                "value": round(p50, 1),
                "unit": "ms",
                "baseline": None,
                "ratio": None,
                "target": None,
                "meets_target": None,
            },
            {
                "name": "request latency p95",
                "value": round(p95, 1),
                "unit": "ms",
                "baseline": None,
                "ratio": None,
                "target": None,
                "meets_target": None,
            },
            {
                "name": "request latency p99",
                "value": round(p99, 1),
                "unit": "ms",
                "baseline": None,
                "ratio": None,
                "target": f"< {TARGET_P99_MS:g}",
                "meets_target": p99 < TARGET_P99_MS,
            },
            *(
                {
                    "name": f"{step} p50 / p99 (ms)",
                    "value": values["p50_ms"],
                    "unit": "ms",
                    "baseline": None,
                    "ratio": None,
                    "target": f"p99 {values['p99_ms']:g} ms",
                    "meets_target": None,
                }
                for step, values in per_step.items()
            ),
            {
                "name": "CPU per complete case: server + database + client",
                "value": round(cpu_total, 1),
                "unit": "ms",
                "baseline": None,
                "ratio": None,
                "target": f"all {os.cpu_count()} CPUs would carry ≈ {capacity:,.0f} cases/s",
                "meets_target": None,
            },
            {
                "name": "peak RSS of one gunicorn worker (VmHWM) after the run",
                "value": round(peak_kb / 1024, 1),
                "unit": "MB",
                "baseline": round(idle_rss_kb / 1024, 1),
                "ratio": round(peak_kb / idle_rss_kb, 2) if idle_rss_kb else None,
                "target": None,
                "meets_target": None,
            },
        ],
        "cases": cases,
        "completed": done,
        "failures": failures[:10],
        "clients": clients,
        "workers": workers,
        "elapsed_s": round(elapsed, 2),
        "per_step": per_step,
        "rows_per_case": rows_per_case,
        "statistics_ms": {"mean": round(statistics.fmean(everything), 1) if everything else None},
        "scale": scale,
        "cpu_ms_per_case": cpu_ms,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "memory": {
            "worker_idle_rss_mb": round(idle_rss_kb / 1024, 1),
            "worker_peak_hwm_mb": round(peak_kb / 1024, 1),
            "workers_respawned": len(respawned),
        },
        "baseline": "raw SQL inserting the same rows, one transaction per case, same threads; "
        "memory: the largest idle worker's RSS right after start",
        "notes": f"{done} of {cases} cases complete with {clients} clients and {workers} gunicorn "
        f"workers in {elapsed:.1f} s; demo city at scale {scale}; CPU ms per case {cpu_ms} "
        f"(all {os.cpu_count()} CPUs busy with nothing else would carry about "
        f"{capacity:,.0f} cases/s); load average {os.getloadavg()[0]:.2f}.",
    }


def write_results(result: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "applications.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--scale", type=int, default=1, help="xiaoneng demo --scale N, N × cases")
    args = parser.parse_args()
    result = run(cases=args.cases, clients=args.clients, workers=args.workers, scale=args.scale)
    write_results(result)
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
