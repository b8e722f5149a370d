"""Open311 POST intake per second over HTTP, against a real server on PostgreSQL (issue 5).

What it measures: citizen-reporting apps file requests with ``POST /open311/v2/requests.json``
(form-encoded, ``api_key``); each accepted POST is a registered ticket (validated, numbered,
with its register event and audit event). The server is gunicorn started as ``xiaoneng serve``
starts it (the same argument list, ``--workers 2`` by default, production settings, access
log on), without the background task worker, on 127.0.0.1:8160-8169. A bounded load
generator — ``--clients`` threads, each with one keep-alive ``http.client`` connection — first
warms up, then posts ``--requests`` prepared requests (seeded: a leaf ``service_code``, lat/long
or an address, a Chinese description, names and a phone) and stops by itself: it gives up
after ``--time-limit`` seconds per phase.

Baseline, in the same run at the same concurrency: the same server answering
``GET /open311/v2/services.json`` (one read of the category tree, rendered as JSON). The
ratio POST/GET says what registering a ticket costs over the cheapest Open311 request, and
does not depend much on how busy the shared machine was. Phases alternate (GET, POST,
GET, POST …, ``--repeats`` times) and the best of each is reported, as bench/README.md asks.

CPU seconds: the machine has 2 cores shared by the server, PostgreSQL and the load generator
(and whatever else runs). The CPU each used during the measured phases (``/proc``: gunicorn
master and workers, the database's backends, this process) is reported per request, so
the figures can be read on another machine.

Checked afterwards: the database holds exactly as many Open311 tickets as POSTs were
answered 200, with unique numbers equal to the answered ``service_request_id``s, each with one
register event and one audit event.

Databases: PostgreSQL from ``DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/xn_bench_open311``; the default database is dropped and
created afresh, a database named in ``DATABASE_URL`` is created if missing and only added to),
and with ``--backends postgresql,sqlite`` also SQLite (a temporary file; SQLite serialises
writers, so its figure says how far one writer at a time goes, and has no target).

Usage: ``.venv/bin/python bench/hotline_open311_bench.py [--requests 3000] [--clients 8]
[--workers 2] [--backends postgresql,sqlite]``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

# bench/ is the script's directory, so its helper module imports as a top-level one.
import _server

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DSN = (
    os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    + "/"
    + os.environ.get("BENCH_DB_PREFIX", "xiaoneng_bench_")
    + "open311"
)
# Loopback ports the server may take: BENCH_PORTS="FIRST-LAST" (default 8160-8169).
_first, _last = os.environ.get("BENCH_PORTS", "8160-8169").split("-")
PORTS = range(int(_first), int(_last) + 1)
TARGET_TICKETS_PER_S = 300.0
SEED = 20261126

# The category tree (城市管理 › 占道经营 …): only leaves are Open311 services.
CATEGORIES = {
    "CG": ("城市管理", ["占道经营", "违章搭建", "渣土撒漏", "户外广告", "井盖缺失"]),
    "HB": ("生态环境", ["噪音扰民", "油烟污染", "垃圾清运", "河道污染"]),
    "JT": ("交通出行", ["公交线路", "信号灯故障", "道路破损", "共享单车乱停"]),
    "SZ": ("市政设施", ["路灯不亮", "供水故障", "燃气异味", "排水不畅"]),
}
SETUP = r"""
import json
import django
django.setup()
from xiaoneng.hotline.models import TicketCategory
tree = json.loads(%(tree)r)
for code, (name, leaves) in tree.items():
    top, _ = TicketCategory.objects.get_or_create(code=code, defaults={"name": name})
    for n, leaf in enumerate(leaves, start=1):
        TicketCategory.objects.get_or_create(
            code=f"{code}{n:02d}", defaults={"name": leaf, "parent": top}
        )
"""

DISTRICTS = ["黄浦区", "徐汇区", "长宁区", "静安区", "普陀区", "虹口区", "杨浦区", "浦东新区"]
ROADS = ["人民路", "中山路", "解放路", "建设路", "南京路", "淮海路", "长江路", "和平路"]
PLACES = ["小区门口", "菜市场旁", "学校附近", "地铁站出口", "公园东门", "十字路口", "商场后面"]
PROBLEMS = [
    "有人长期占道摆摊，行人只能走机动车道，存在安全隐患。",
    "夜间施工噪音很大，已经连续一周影响休息，希望尽快处理。",
    "路灯已经坏了好几天，晚上一片漆黑，老人孩子出行不便。",
    "垃圾桶满了没人清运，气味很大，招来很多苍蝇。",
    "路面有一个大坑，下雨后积水，电动车经过很危险。",
    "餐馆油烟直排，楼上住户无法开窗。",
    "共享单车堆满人行道，盲道被完全占用。",
    "井盖缺失，用锥桶临时围着，晚上看不清。",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明"]


# -- the requests ----------------------------------------------------------------------------


def bodies(count: int, key: str, codes: list[str], seed: int) -> list[bytes]:
    """``count`` form-encoded POST bodies, seeded so two runs post the same requests."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        form: dict[str, str] = {
            "api_key": key,
            "service_code": rng.choice(codes),
            "description": f"{rng.choice(PLACES)}{rng.choice(PROBLEMS)}",
            "first_name": rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else ""),
            "last_name": rng.choice(SURNAMES),
            "phone": f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
        }
        if rng.random() < 0.6:
            # Around the city centre, six decimal places as apps send them.
            form["lat"] = f"{31.23 + rng.uniform(-0.15, 0.15):.6f}"
            form["long"] = f"{121.47 + rng.uniform(-0.2, 0.2):.6f}"
        else:
            form["address_string"] = (
                f"{rng.choice(DISTRICTS)}{rng.choice(ROADS)}{rng.randrange(1, 999)}号"
            )
        if rng.random() < 0.3:
            form["email"] = f"user{rng.randrange(10**6)}@example.cn"
        out.append(urllib.parse.urlencode(form).encode("ascii"))
    return out


def drive(
    port: int,
    method: str,
    path: str,
    payloads: list[bytes | None],
    *,
    clients: int,
    time_limit: float,
) -> dict[str, Any]:
    """Send every payload from ``clients`` threads, each on one keep-alive connection.

    Stops by itself: a thread takes no new request after ``time_limit`` seconds. Returns the
    rate of answered requests, their latencies, the failures and the answered bodies.
    """
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    latencies: list[float] = []
    answers: list[bytes] = []
    failures: list[str] = []
    lock = threading.Lock()
    queue = iter(range(len(payloads)))
    started = time.perf_counter()
    deadline = started + time_limit

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        got: list[bytes] = []
        bad: list[str] = []
        try:
            while time.perf_counter() < deadline:
                with lock:
                    i = next(queue, None)
                if i is None:
                    break
                body = payloads[i]
                t0 = time.perf_counter()
                try:
                    conn.request(method, path, body=body, headers=headers if body else {})
                    response = conn.getresponse()
                    data = response.read()
                except (OSError, http.client.HTTPException) as exc:
                    # A connection the server closed (sync workers close after each answer)
                    # is opened again by the next request; this one counts as failed.
                    bad.append(f"{type(exc).__name__}: {exc}")
                    conn.close()
                    continue
                mine.append((time.perf_counter() - t0) * 1000)
                if response.status == 200:
                    got.append(data)
                else:
                    bad.append(f"{response.status} {data[:200]!r}")
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)
                answers.extend(got)
                failures.extend(bad)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(time_limit + 60)
    elapsed = time.perf_counter() - started
    return {
        "sent": len(latencies) + len(failures),
        "ok": len(answers),
        "failed": len(failures),
        "failures": failures[:5],
        "elapsed_s": elapsed,
        "per_s": len(answers) / elapsed if elapsed else 0.0,
        "p50_ms": _server.percentile(latencies, 0.5),
        "p99_ms": _server.percentile(latencies, 0.99),
        "answers": answers,
    }


# -- CPU accounting (/proc) ------------------------------------------------------------------


class CpuMeter:
    """CPU seconds used by the server, the database backends and this process."""

    def __init__(self, server_pid: int, backend_pids: Any) -> None:
        self.server_pid = server_pid
        self.backend_pids = backend_pids

    def sample(self) -> dict[str, dict[int, float]]:
        return {
            "server": {p: _server.proc_cpu(p) for p in _server.tree(self.server_pid)},
            "database": {p: _server.proc_cpu(p) for p in self.backend_pids()},
            "client": {0: time.process_time()},
        }

    @staticmethod
    def spent(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict:
        return {
            part: sum(value - before[part].get(pid, 0.0) for pid, value in after[part].items())
            for part in after
        }


# -- the databases ---------------------------------------------------------------------------


def _pg_admin(dsn: str) -> Any:
    import psycopg

    parts = urllib.parse.urlsplit(dsn)
    return psycopg.connect(
        urllib.parse.urlunsplit(parts._replace(path="/postgres")), autocommit=True
    )


def _prepare_pg(dsn: str, fresh: bool) -> None:
    name = urllib.parse.urlsplit(dsn).path.lstrip("/")
    admin = _pg_admin(dsn)
    with admin.cursor() as cur:
        if fresh:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def _pg_backends(dsn: str) -> Any:
    import psycopg

    name = urllib.parse.urlsplit(dsn).path.lstrip("/")

    def pids() -> list[int]:
        with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            return [int(row[0]) for row in cur.fetchall()]

    return pids


def _query(url: str, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite:"):
        path = url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as lite:
            return lite.execute(sql.replace("%s", "?"), params).fetchall()
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def verify(url: str, numbers: list[str], since_id: int) -> dict[str, Any]:
    """The tickets the run left: as many as answered, unique numbers, each with its events."""
    rows = _query(
        url,
        "SELECT number FROM hotline_ticket WHERE channel = 'open311' AND id > %s",
        [since_id],
    )
    stored = [row[0] for row in rows]
    (events,) = _query(
        url,
        "SELECT count(*) FROM hotline_ticketevent e JOIN hotline_ticket t ON t.id = e.ticket_id "
        "WHERE t.channel = 'open311' AND t.id > %s AND e.action = 'register'",
        [since_id],
    )[0]
    (audits,) = _query(
        url,
        "SELECT count(*) FROM core_auditevent WHERE action = 'hotline.ticket_register' "
        "AND target_id IN (SELECT CAST(id AS TEXT) FROM hotline_ticket "
        "WHERE channel = 'open311' AND id > %s)",
        [since_id],
    )[0]
    return {
        "answered": len(numbers),
        "stored": len(stored),
        "unique_numbers": len(set(stored)),
        "register_events": int(events),
        "audit_events": int(audits),
        "ok": (
            len(stored) == len(numbers) == len(set(stored)) == int(events) == int(audits)
            and set(stored) == set(numbers)
        ),
    }


# -- one backend -----------------------------------------------------------------------------


def measure(
    *,
    backend: str,
    url: str,
    fresh: bool,
    requests: int,
    warmup: int,
    clients: int,
    workers: int,
    repeats: int,
    time_limit: float,
    gunicorn_extra: list[str],
) -> dict[str, Any]:
    """Prepare the database, start the server, drive GET and POST phases, verify."""
    var = Path(tempfile.mkdtemp(prefix="xn-bench-open311-"))
    if backend == "sqlite":
        url = f"sqlite:///{var / 'bench.sqlite3'}"
    else:
        _prepare_pg(url, fresh)
    env = _server.production_env(url, var)
    py = sys.executable
    run = dict(env=env, check=True, capture_output=True, text=True, timeout=600)
    subprocess.run([py, "-m", "xiaoneng", "migrate", "-v", "0"], **run)  # type: ignore[call-overload]
    subprocess.run([py, "-c", SETUP % {"tree": json.dumps(CATEGORIES)}], **run)  # type: ignore[call-overload]
    # The key as the issue says to make one: `xiaoneng open311-key NAME`, no operator needed.
    made = subprocess.run([py, "-m", "xiaoneng", "open311-key", "benchmark"], **run)  # type: ignore[call-overload]
    key = made.stdout.strip().splitlines()[-1]
    codes = [
        f"{code}{n:02d}"
        for code, (_, leaves) in CATEGORIES.items()
        for n in range(1, len(leaves) + 1)
    ]
    (since_id,) = _query(url, "SELECT COALESCE(MAX(id), 0) FROM hotline_ticket", [])[0]

    port = _server.free_port(PORTS)
    server = _server.start(
        _server.gunicorn_argv(port, workers, var / "access.log", gunicorn_extra),
        env,
        var / "server.log",
    )
    posted: list[str] = []
    phases: dict[str, list[dict[str, Any]]] = {"get": [], "post": []}
    cpu: dict[str, list[dict[str, float]]] = {"get": [], "post": []}
    meter = CpuMeter(server.pid, _pg_backends(url) if backend != "sqlite" else (lambda: []))
    try:
        _server.wait_until_answering(
            server, port, "/open311/v2/services.json", log=var / "server.log"
        )
        time.sleep(1.0)
        idle_kb = _server.worker_kb(server.pid, "VmRSS")  # the baseline: a worker just started
        post_path, get_path = "/open311/v2/requests.json", "/open311/v2/services.json"
        payloads: list[bytes | None] = list(bodies(warmup + repeats * requests, key, codes, SEED))
        reads: list[bytes | None] = [None] * max(warmup, requests)
        # Warm-up: every worker imports, connects and fills its caches before timing.
        for method, path, batch in (
            ("GET", get_path, reads[:warmup]),
            ("POST", post_path, payloads[:warmup]),
        ):
            done = drive(port, method, path, batch, clients=clients, time_limit=time_limit)
            if method == "POST":
                posted.extend(json.loads(a)[0]["service_request_id"] for a in done["answers"])
        for r in range(repeats):
            for kind, method, path, batch in (
                ("get", "GET", get_path, reads[:requests]),
                (
                    "post",
                    "POST",
                    post_path,
                    payloads[warmup + r * requests : warmup + (r + 1) * requests],
                ),
            ):
                before = meter.sample()
                done = drive(port, method, path, batch, clients=clients, time_limit=time_limit)
                spent = CpuMeter.spent(before, meter.sample())
                cpu[kind].append({k: v / max(done["sent"], 1) * 1000 for k, v in spent.items()})
                if kind == "post":
                    posted.extend(json.loads(a)[0]["service_request_id"] for a in done["answers"])
                phases[kind].append({k: v for k, v in done.items() if k != "answers"})
        peak_kb = _server.worker_kb(server.pid, "VmHWM")
    finally:
        _server.stop(server)
    check = verify(url, posted, int(since_id))
    best = {kind: _fastest(runs) for kind, runs in phases.items()}
    post, get = phases["post"][best["post"]], phases["get"][best["get"]]
    if backend == "sqlite":
        shutil.rmtree(var, ignore_errors=True)
    return {
        "backend": backend,
        "post": post,
        "get": get,
        "cpu_ms_per_request": {
            "post": {k: round(v, 2) for k, v in cpu["post"][best["post"]].items()},
            "get": {k: round(v, 2) for k, v in cpu["get"][best["get"]].items()},
        },
        "all_post_per_s": [round(p["per_s"], 1) for p in phases["post"]],
        "all_get_per_s": [round(p["per_s"], 1) for p in phases["get"]],
        "verify": check,
        "memory_mb": {
            "worker_idle_rss": round(idle_kb / 1024, 1),
            "worker_peak": round(peak_kb / 1024, 1),
        },
        "server": " ".join(_server.gunicorn_argv(port, workers, Path("<log>"), gunicorn_extra)[2:]),
    }


def _capacity(m: dict[str, Any]) -> float:
    """Tickets per second every CPU of the machine would carry at the measured CPU cost."""
    cost_ms = sum(m["cpu_ms_per_request"]["post"].values())
    return (os.cpu_count() or 1) * 1000 / cost_ms if cost_ms else float("nan")


def _fastest(runs: list[dict[str, Any]]) -> int:
    """Index of the run with the most answers per second."""
    return max(range(len(runs)), key=lambda i: float(runs[i]["per_s"]))


def _figures(m: dict[str, Any], target: bool) -> list[dict[str, Any]]:
    post, get = m["post"], m["get"]
    label = "PostgreSQL" if m["backend"] == "postgresql" else "SQLite"
    rate, base = post["per_s"], get["per_s"]
    verified = m["verify"]["ok"] and post["failed"] == 0
    return [
        {
            "name": f"Open311 POST intake, tickets per second ({label})",
            "value": round(rate, 1),
            "unit": "per s",
            "baseline": round(base, 1),
            "ratio": round(rate / base, 3) if base else None,
            "target": f">= {TARGET_TICKETS_PER_S:g}" if target else None,
            "meets_target": (rate >= TARGET_TICKETS_PER_S and verified) if target else None,
        },
        {
            # What a ticket costs the machine, whatever else runs on it: the CPU of the
            # server, the database and the load generator per answered request.
            "name": f"CPU per ticket, server + database + client ({label})",
            "value": round(sum(m["cpu_ms_per_request"]["post"].values()), 2),
            "unit": "ms",
            "baseline": round(sum(m["cpu_ms_per_request"]["get"].values()), 2),
            "ratio": round(
                sum(m["cpu_ms_per_request"]["post"].values())
                / max(sum(m["cpu_ms_per_request"]["get"].values()), 1e-9),
                2,
            ),
            "target": None,
            "meets_target": None,
        },
        {
            "name": f"Open311 POST latency p50 ({label})",
            "value": round(post["p50_ms"], 1),
            "unit": "ms",
            "baseline": round(get["p50_ms"], 1),
            "ratio": round(post["p50_ms"] / get["p50_ms"], 2) if get["p50_ms"] else None,
            "target": None,
            "meets_target": None,
        },
        {
            "name": f"Open311 POST latency p99 ({label})",
            "value": round(post["p99_ms"], 1),
            "unit": "ms",
            "baseline": round(get["p99_ms"], 1),
            "ratio": round(post["p99_ms"] / get["p99_ms"], 2) if get["p99_ms"] else None,
            "target": None,
            "meets_target": None,
        },
        {
            # Baseline: the largest worker's resident memory right after the server answered.
            "name": f"peak RSS of one gunicorn worker (VmHWM) after the run ({label})",
            "value": m["memory_mb"]["worker_peak"],
            "unit": "MB",
            "baseline": m["memory_mb"]["worker_idle_rss"],
            "ratio": round(m["memory_mb"]["worker_peak"] / m["memory_mb"]["worker_idle_rss"], 2)
            if m["memory_mb"]["worker_idle_rss"]
            else None,
            "target": None,
            "meets_target": None,
        },
    ]


def run(
    *,
    requests: int = 3000,
    warmup: int = 300,
    clients: int = 8,
    workers: int = 2,
    repeats: int = 2,
    time_limit: float = 120.0,
    backends: tuple[str, ...] = ("postgresql",),
    gunicorn_extra: list[str] | None = None,
    scale: int = 1,
) -> dict[str, Any]:
    """Measure each backend; the PostgreSQL figure carries the issue's target.

    ``scale`` multiplies the POSTs per phase (the tickets the run leaves in the database).
    """
    requests *= scale
    url = os.environ.get("DATABASE_URL", DEFAULT_DSN)
    if not url.startswith(("postgres://", "postgresql://")):
        url = DEFAULT_DSN
    fresh = url == DEFAULT_DSN
    measured = [
        measure(
            backend=backend,
            url=url,
            fresh=fresh,
            requests=requests,
            warmup=warmup,
            clients=clients,
            workers=workers,
            repeats=repeats,
            time_limit=time_limit,
            gunicorn_extra=gunicorn_extra or [],
        )
        for backend in backends
    ]
    figures = [f for m in measured for f in _figures(m, target=m["backend"] == "postgresql")]
    load = os.getloadavg()[0]
    notes = "; ".join(
        f"{m['backend']}: {m['post']['ok']:,} of {m['post']['sent']:,} POSTs answered 200 in the "
        f"best phase, database check {'passed' if m['verify']['ok'] else 'FAILED'} "
        f"({m['verify']['stored']:,} tickets, {m['verify']['unique_numbers']:,} unique numbers), "
        f"CPU ms per POST {m['cpu_ms_per_request']['post']} (all {os.cpu_count()} CPUs "
        f"busy with nothing else would carry about {_capacity(m):,.0f} tickets/s)"
        for m in measured
    )
    return {
        "name": "hotline_open311",
        "baseline": (
            "GET /open311/v2/services.json from the same server at the same concurrency "
            f"({clients} keep-alive clients, {workers} gunicorn workers)"
        ),
        "notes": f"{notes}; load average {load:.2f} on {os.cpu_count()} CPUs shared with the "
        "load generator and PostgreSQL.",
        "figures": figures,
        "details": measured,
    }


def write_results(result: dict[str, Any]) -> None:
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / "hotline_open311.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="POSTs per timed phase")
    parser.add_argument("--warmup", type=int, default=300, help="POSTs and GETs before timing")
    parser.add_argument("--clients", type=int, default=8, help="keep-alive client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (serve: 2)")
    parser.add_argument("--repeats", type=int, default=2, help="GET/POST phase pairs")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per phase")
    parser.add_argument("--backends", default="postgresql", help="postgresql,sqlite")
    parser.add_argument(
        "--gunicorn", default="", help="extra gunicorn arguments, e.g. '--threads 4'"
    )
    args = parser.parse_args(argv)
    result = run(
        requests=args.requests,
        warmup=args.warmup,
        clients=args.clients,
        workers=args.workers,
        repeats=args.repeats,
        time_limit=args.time_limit,
        backends=tuple(b.strip() for b in args.backends.split(",") if b.strip()),
        gunicorn_extra=args.gunicorn.split(),
    )
    write_results(result)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    failed = any(not m["verify"]["ok"] for m in result["details"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
