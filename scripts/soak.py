"""Soak: concurrency and crash robustness against the real server (issue 6 §2).

What it does, bounded in time (``--time-limit``, default 480 s; every wait has a timeout and
every process it starts is stopped at the end, even on error):

1. A scratch PostgreSQL database (``DATABASE_URL``, default
   ``postgres://postgres@127.0.0.1:5432/xn_soak``; dropped and created afresh), ``migrate``,
   ``createcachetable``, ``xiaoneng demo --no-activity``, one test matter without required
   materials, API tokens and an Open311 key.
2. The server as ``xiaoneng serve`` starts it (gunicorn ``xiaoneng.wsgi:application``, 2 sync
   workers, production settings) plus the task worker (``xiaoneng db_worker --queue-name
   default --no-reload``), each in its own process group, on 127.0.0.1:8220-8229. The settings
   are the platform's with one change (scripts/soak_settings.py): SMS and email go to a sender
   that logs every call, so a message sent twice is seen.
3. Concurrency: 50 client threads, each on its own connection, released together by a
   barrier, on the SAME item: accept one application (one 200, 49 × 409), approve or deny it
   (one winner), submit with one ``Idempotency-Key`` (one 201, 49 × 200 with the same id),
   dispatch one hotline ticket to one of two departments (one winner), accept it (one
   winner), and 50 Open311 POSTs (50 tickets, 50 distinct numbers). After each race the
   database is read: the winner's state, one event per transition, the clocks, no duplicate.
4. Crash: clients submit and accept applications (retrying a lost answer with the same
   ``Idempotency-Key``) and post Open311 requests, recording every acknowledged id, while
   the gunicorn master and workers and the task worker are killed with SIGKILL (their whole
   process groups) and restarted, several times. Afterwards every acknowledged submission is
   in the database and consistent (an application's submit event, its accept event and two
   clocks when the accept was acknowledged; a ticket's register event), and every SMS and
   email message queued in the run ends ``sent`` with one attempt, one "sent" audit event and
   one call of the sender — or, recorded once, a second call that came right after a SIGKILL
   of the worker hit the gap between the gateway's acceptance and the commit (at least once;
   once with a gateway keyed on ``message.pk``). Each writer pauses ``--think-ms`` (250 ms on
   average) between cases, so the backlog of messages stays what the one task worker sends
   within the time limit. A message whose task the killed worker had claimed is left
   ``queued`` with its task row "running" for ever; the scheduler's ``notifications.retry``
   job is what sends it, so when such messages remain the soak runs that job as the scheduler
   would 11 minutes later (the cut-off is 10) and checks they are then sent, once.

It prints requests sent, faults injected, failures found (each listed) and the elapsed time;
the exit code is 1 when anything failed.

Usage: ``.venv/bin/python scripts/soak.py [--clients 50] [--crash-seconds 90] [--kills 6]``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DSN = "postgres://postgres@127.0.0.1:5432/xn_soak"
PORTS = range(8220, 8230)
SEED = 20261126
HOTLINE_DEPARTMENTS = ("130100008", "130100001")  # window008's and window's departments

SETUP = r"""
import json, datetime as dt
import django
django.setup()
from xiaoneng.accounts.models import User
from xiaoneng.accounts.services import api_token_issue
from xiaoneng.catalog.services import matter_create
from xiaoneng.hotline.models import TicketCategory
matter = matter_create(
    actor=None, code="SOAK-0001", catalog_code="010990000100", effective_from=dt.date(2019, 1, 1),
    data={
        "name": "稳定性测试事项（演示）", "matter_type": "01", "department": "130100001",
        "kind": "promised", "legal_limit_days": 20, "promised_limit_days": 5, "visits": 0,
        "online": True, "handling_forms": ["online"], "online_depth": [1, 2, 3, 4, 5, 6, 7],
        "service_objects": ["natural_person"], "materials": [], "steps": [{"name": "受理"}],
    },
)
tokens = {u: api_token_issue(actor=None, user=User.objects.get(username=u), hours=4).raw
          for u in ("citizen", "window", "reviewer", "operator", "window008")}
leaves = sorted(c.code for c in TicketCategory.objects.filter(children__isnull=True))
print(json.dumps({"matter": matter.code, "tokens": tokens, "categories": leaves[:20]}))
"""

# The scheduler's job "notifications.retry" (settings.SCHEDULED_JOBS), run as the scheduler
# runs it, but 11 minutes later: a queued message counts as lost after 10 minutes.
SWEEP = r"""
import datetime as dt
import django
django.setup()
import time_machine
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
(path,) = [path for name, path, _ in settings.SCHEDULED_JOBS if name == "notifications.retry"]
with time_machine.travel(timezone.now() + dt.timedelta(minutes=11), tick=True):
    print(import_string(path)())
"""


class Soak:
    """What the run counted: requests, faults, failures."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.faults: list[str] = []
        self.failures: list[str] = []
        self.notes: list[str] = []
        self.worker_kills: list[float] = []  # wall-clock times of SIGKILLs of the task worker
        self.started = time.monotonic()

    def count(self) -> None:
        with self.lock:
            self.requests += 1

    def fail(self, what: str) -> None:
        with self.lock:
            self.failures.append(what)
        print(f"  FAILURE: {what}", flush=True)

    def check(self, ok: bool, what: str) -> bool:
        if not ok:
            self.fail(what)
        return ok

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {text}", flush=True)


class Client:
    """One keep-alive HTTP connection to the server (reopened after the server closes it)."""

    def __init__(self, soak: Soak, port: int, token: str | None = None) -> None:
        self.soak = soak
        self.port = port
        self.token = token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def connect(self) -> None:
        self.conn.connect()

    def close(self) -> None:
        self.conn.close()

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """Send one request; returns (status, parsed JSON or raw text).

        Raises:
            OSError, http.client.HTTPException: the connection failed (no answer).
        """
        sent = {"Accept": "application/json", **(headers or {})}
        data: bytes | None = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None or method == "POST":
            data = json.dumps(body or {}).encode()
            sent["Content-Type"] = "application/json"
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        self.soak.count()
        try:
            self.conn.request(method, path, body=data, headers=sent)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        try:
            parsed: Any = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw[:300].decode("utf-8", "replace")
        if response.status >= 500:
            self.soak.fail(f"{method} {path} answered {response.status}: {str(parsed)[:200]}")
        return response.status, parsed


# -- processes -------------------------------------------------------------------------------


class Platform:
    """The gunicorn server and the task worker, each in its own process group."""

    def __init__(self, env: dict[str, str], port: int, var: Path, workers: int) -> None:
        self.env = env
        self.port = port
        self.var = var
        self.workers = workers
        self.web: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None

    def _spawn(self, argv: list[str], log: str) -> subprocess.Popen[bytes]:
        with open(self.var / log, "ab") as out:
            return subprocess.Popen(  # noqa: S603 - fixed argument list, our own program
                argv,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killpg reaches the workers
            )

    def start_web(self) -> None:
        # As xiaoneng.core.management.commands.serve starts it; the log goes to a file.
        self.web = self._spawn(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "xiaoneng.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--access-logfile",
                str(self.var / "access.log"),
                "--graceful-timeout",
                "10",
            ],
            "server.log",
        )

    def start_worker(self) -> None:
        self.worker = self._spawn(
            [
                sys.executable,
                "-m",
                "xiaoneng",
                "db_worker",
                "--queue-name",
                "default",
                "--no-reload",
            ],
            "worker.log",
        )

    @staticmethod
    def _kill9(proc: subprocess.Popen[bytes] | None) -> None:
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def kill_web(self) -> None:
        self._kill9(self.web)

    def kill_worker(self) -> None:
        self._kill9(self.worker)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                probe.request("GET", "/open311/v2/services.json")
                status = probe.getresponse().status
                probe.close()
                if status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            if self.web is None or self.web.poll() is not None:
                raise RuntimeError(f"the server stopped; see {self.var / 'server.log'}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer in {timeout:g} s")
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop both groups: SIGTERM, then SIGKILL after 15 s."""
        for proc in (self.web, self.worker):
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in (self.web, self.worker):
            if proc is None:
                continue
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._kill9(proc)
            # Workers left behind by a master that died first.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)


# -- the database ----------------------------------------------------------------------------


def _prepare_pg(dsn: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(dsn)
    name = parts.path.lstrip("/")
    admin_dsn = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_dsn, autocommit=True) as admin, admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')


class Db:
    """Read-only queries for the checks (autocommit, one connection)."""

    def __init__(self, dsn: str) -> None:
        import psycopg

        self.conn = psycopg.connect(dsn, autocommit=True)

    def rows(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())

    def one(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> Any:
        return self.rows(sql, params)[0][0]

    def close(self) -> None:
        self.conn.close()


# -- concurrency -----------------------------------------------------------------------------


def race(
    soak: Soak,
    port: int,
    tokens: list[str | None],
    act: Callable[[int, Client], tuple[int, Any]],
    timeout: float = 120.0,
) -> list[tuple[int, Any]]:
    """Run ``act(i, client)`` once per token, all released at once by a barrier.

    Each thread opens its connection before the barrier, so the requests arrive together.
    A connection error counts as status 0.
    """
    results: list[tuple[int, Any]] = [(0, "not run")] * len(tokens)
    barrier = threading.Barrier(len(tokens))

    def run(i: int) -> None:
        client = Client(soak, port, tokens[i])
        try:
            client.connect()
            barrier.wait(timeout=30)
            results[i] = act(i, client)
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError) as exc:
            results[i] = (0, f"{type(exc).__name__}: {exc}")
        finally:
            client.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.1, deadline - time.monotonic()))
    if any(thread.is_alive() for thread in threads):
        soak.fail(f"a race did not finish in {timeout:g} s")
    return results


def _one_winner(soak: Soak, what: str, results: list[tuple[int, Any]], ok: set[int]) -> int | None:
    """Exactly one answer in ``ok``, every other one 409; returns the winner's index."""
    statuses = Counter(status for status, _ in results)
    winners = [i for i, (status, _) in enumerate(results) if status in ok]
    others = {s: n for s, n in statuses.items() if s not in ok and s != 409}
    soak.check(
        len(winners) == 1 and not others,
        f"{what}: expected one {sorted(ok)} and {len(results) - 1} × 409, got {dict(statuses)} "
        f"(first odd answer: {next((b for s, b in results if s not in ok | {409}), None)!r})",
    )
    return winners[0] if len(winners) == 1 else None


def _submit(client: Client, matter: str, key: str, purpose: str) -> tuple[int, Any]:
    return client.call(
        "POST",
        "/api/v1/applications/",
        {"matter": matter, "form": {"purpose": purpose}},
        headers={"Idempotency-Key": key},
    )


def concurrency(soak: Soak, port: int, db: Db, info: dict[str, Any], clients: int) -> None:
    """Conflicting transitions, retried submissions and simultaneous intake, then the rows."""
    tokens = info["tokens"]
    matter = info["matter"]
    citizen = Client(soak, port, tokens["citizen"])
    operator = Client(soak, port, tokens["operator"])
    try:
        for round_ in range(3):
            # 1. Everyone accepts the same application: one 200, the rest 409.
            status, body = _submit(citizen, matter, f"soak-race-{round_}", f"race {round_}")
            if not soak.check(status == 201, f"submit for the accept race: {status} {body}"):
                continue
            app = body["id"]
            path = f"/api/v1/applications/{app}/actions/"
            results = race(
                soak,
                port,
                [tokens["window"]] * clients,
                lambda i, c, path=path: c.call("POST", path + "accept/", {}),
            )
            _one_winner(soak, f"accept race {round_}", results, {200})
            # 2. Half approve, half deny: one decision, the other 49 refused.
            results = race(
                soak,
                port,
                [tokens["reviewer"]] * clients,
                lambda i, c, path=path: c.call(
                    "POST",
                    path + ("approve/" if i % 2 == 0 else "deny/"),
                    {} if i % 2 == 0 else {"reason": "稳定性测试：并发决定"},
                ),
            )
            winner = _one_winner(soak, f"approve/deny race {round_}", results, {200})
            expected = None if winner is None else ("approved" if winner % 2 == 0 else "denied")
            (status_now,) = db.rows(
                "SELECT status FROM applications_application WHERE id = %s", [app]
            )[0]
            events = Counter(
                dict(
                    db.rows(
                        "SELECT action, count(*) FROM applications_applicationevent "
                        "WHERE application_id = %s GROUP BY action",
                        [app],
                    )
                )
            )
            clocks = db.one(
                "SELECT count(*) FROM clocks_clock c JOIN django_content_type t "
                "ON t.id = c.content_type_id WHERE t.app_label = 'applications' "
                "AND c.object_id = %s",
                [str(app)],
            )
            soak.check(
                expected is None or status_now == expected,
                f"race {round_}: the winner {expected} but the row says {status_now}",
            )
            soak.check(
                events.get("accept") == 1
                and events.get("approve", 0) + events.get("deny", 0) == 1
                and sum(events.values()) == 3,
                f"race {round_}: events {dict(events)}, expected submit, accept and one decision",
            )
            soak.check(clocks == 2, f"race {round_}: {clocks} clocks, expected 2 (promised, legal)")

        # 3. Fifty retries of one submission with one key: one 201, 49 × 200, one row.
        for round_ in range(3):
            key = f"soak-idem-{round_}-{secrets.token_hex(4)}"
            results = race(
                soak,
                port,
                [tokens["citizen"]] * clients,
                lambda i, c, key=key, n=round_: _submit(c, matter, key, f"idempotent {n}"),
            )
            statuses = Counter(s for s, _ in results)
            ids = {b.get("id") for s, b in results if s in (200, 201) and isinstance(b, dict)}
            soak.check(
                statuses == Counter({201: 1, 200: clients - 1}) and len(ids) == 1,
                f"idempotent submit {round_}: expected one 201 and {clients - 1} × 200 with one "
                f"id, got {dict(statuses)} and ids {ids}",
            )
            stored = db.rows(
                "SELECT a.id FROM applications_application a WHERE a.idempotency_key = %s", [key]
            )
            soak.check(len(stored) == 1, f"idempotent submit {round_}: {len(stored)} rows")
            if len(stored) == 1:
                app = stored[0][0]
                events = db.one(
                    "SELECT count(*) FROM applications_applicationevent WHERE application_id = %s",
                    [app],
                )
                dupes = db.rows(
                    "SELECT channel, count(*) FROM notifications_message WHERE object_id = %s "
                    "GROUP BY channel HAVING count(*) > 1",
                    [str(app)],
                )
                soak.check(events == 1, f"idempotent submit {round_}: {events} events, not 1")
                soak.check(not dupes, f"idempotent submit {round_}: duplicate notices {dupes}")

        # 4. A hotline ticket: dispatched by 50 operators to two departments, one wins;
        # then accepted by 50 clients of the winning department, one wins.
        staff = {
            HOTLINE_DEPARTMENTS[0]: tokens["window008"],
            HOTLINE_DEPARTMENTS[1]: tokens["window"],
        }
        for round_ in range(3):
            status, body = operator.call(
                "POST",
                "/api/v1/hotline/tickets/",
                {
                    "channel": "phone",
                    "ticket_type": "complaint",
                    "description": f"稳定性测试工单 {round_}：小区门口路灯不亮，晚上出行不便。",
                    "category": info["categories"][round_ % len(info["categories"])],
                    "address": "长安区建设北大街1号",
                    "district": "长安区",
                    "reporter_name": "测试",
                    "reporter_phone": "13800000000",
                },
            )
            if not soak.check(status == 201, f"ticket create: {status} {body}"):
                continue
            ticket = body["id"]
            base = f"/api/v1/hotline/tickets/{ticket}/"
            results = race(
                soak,
                port,
                [tokens["operator"]] * clients,
                lambda i, c, base=base: c.call(
                    "POST", base + "dispatch/", {"department": HOTLINE_DEPARTMENTS[i % 2]}
                ),
            )
            winner = _one_winner(soak, f"dispatch race {round_}", results, {200, 201})
            if winner is None:
                continue
            department = HOTLINE_DEPARTMENTS[winner % 2]
            results = race(
                soak,
                port,
                [staff[department]] * clients,
                lambda i, c, base=base: c.call("POST", base + "accept/", {}),
            )
            _one_winner(soak, f"ticket accept race {round_}", results, {200, 201})
            status_now, dept_now = db.rows(
                "SELECT t.status, d.code FROM hotline_ticket t "
                "LEFT JOIN accounts_department d ON d.id = t.department_id WHERE t.id = %s",
                [ticket],
            )[0]
            events = Counter(
                dict(
                    db.rows(
                        "SELECT action, count(*) FROM hotline_ticketevent WHERE ticket_id = %s "
                        "GROUP BY action",
                        [ticket],
                    )
                )
            )
            soak.check(
                status_now == "accepted" and dept_now == department,
                f"ticket race {round_}: row says {status_now} at {dept_now}, the winners said "
                f"accepted at {department}",
            )
            soak.check(
                events == Counter({"register": 1, "dispatch": 1, "accept": 1}),
                f"ticket race {round_}: events {dict(events)}, expected one of each",
            )

        # 5. Fifty Open311 POSTs at once: 50 tickets with 50 distinct numbers.
        rng = random.Random(SEED)  # noqa: S311 - reproducible test data
        results = race(
            soak,
            port,
            [None] * clients,
            lambda i, c: c.call(
                "POST", "/open311/v2/requests.json", form=_open311_form(info, rng, i)
            ),
        )
        numbers = [
            b[0]["service_request_id"] for s, b in results if s == 200 and isinstance(b, list) and b
        ]
        soak.check(
            len(numbers) == clients and len(set(numbers)) == clients,
            f"Open311 burst: {len(numbers)} answered 200 with {len(set(numbers))} distinct "
            f"numbers, expected {clients}; statuses {dict(Counter(s for s, _ in results))}",
        )
        _check_tickets(soak, db, numbers, "Open311 burst")
    finally:
        citizen.close()
        operator.close()


def _open311_form(info: dict[str, Any], rng: random.Random, i: int) -> dict[str, str]:
    return {
        "api_key": info["open311_key"],
        "service_code": rng.choice(info["categories"]),
        "description": f"稳定性测试 {i}：路面有一个大坑，下雨后积水，电动车经过很危险。",
        "lat": f"{38.04 + rng.uniform(-0.05, 0.05):.6f}",
        "long": f"{114.51 + rng.uniform(-0.05, 0.05):.6f}",
        "first_name": "明",
        "last_name": "王",
        "phone": f"139{rng.randrange(10**8):08d}",
    }


def _check_tickets(soak: Soak, db: Db, numbers: list[str], what: str) -> None:
    """Every acknowledged number is one stored ticket with exactly one register event."""
    if not numbers:
        return
    rows = dict(
        db.rows(
            "SELECT t.number, count(e.id) FROM hotline_ticket t LEFT JOIN hotline_ticketevent e "
            "ON e.ticket_id = t.id AND e.action = 'register' WHERE t.number = ANY(%s) "
            "GROUP BY t.number",
            [numbers],
        )
    )
    missing = [n for n in numbers if n not in rows]
    bad = {n: c for n, c in rows.items() if c != 1}
    soak.check(
        not missing, f"{what}: acknowledged tickets missing from the database: {missing[:10]}"
    )
    soak.check(not bad, f"{what}: tickets without exactly one register event: {bad}")


# -- crash -----------------------------------------------------------------------------------


def crash(
    soak: Soak,
    platform: Platform,
    db: Db,
    info: dict[str, Any],
    *,
    seconds: float,
    kills: int,
    writers: int,
    think: float,
    send_log: Path,
    first_message_id: int,
) -> None:
    """A load run with SIGKILLs of the server and the worker, then the checks."""
    tokens = info["tokens"]
    matter = info["matter"]
    acked_apps: dict[str, str] = {}  # id -> key
    accepted: set[str] = set()
    acked_numbers: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    unanswered = Counter[str]()

    def retrying(client: Client, call: Callable[[], tuple[int, Any]]) -> tuple[int, Any] | None:
        """Call until the server answers (it may be down); None when the run ends first."""
        while time.monotonic() < stop_at + 30:
            try:
                return call()
            except (OSError, http.client.HTTPException):
                with lock:
                    unanswered["retried"] += 1
                time.sleep(0.2)
        return None

    def writer(n: int) -> None:
        rng = random.Random(SEED + n)  # noqa: S311 - reproducible test data
        citizen = Client(soak, platform.port, tokens["citizen"])
        window = Client(soak, platform.port, tokens["window"])
        public = Client(soak, platform.port)
        i = 0
        try:
            while time.monotonic() < stop_at:
                i += 1
                time.sleep(think * rng.uniform(0.5, 1.5))
                if rng.random() < 0.5:
                    key = f"soak-crash-{n}-{i}"
                    # A lost answer is retried with the same key: the first row comes back.
                    purpose = f"crash {n} {i}"
                    got = retrying(
                        citizen,
                        lambda key=key, purpose=purpose: _submit(citizen, matter, key, purpose),
                    )
                    if got is None:
                        break
                    status, body = got
                    if not soak.check(status in (200, 201), f"crash submit: {status} {body}"):
                        continue
                    app = str(body["id"])
                    with lock:
                        acked_apps[app] = key
                        # A retry answered 200: the first try was stored, its answer lost.
                        unanswered["replayed"] += status == 200
                    path = f"/api/v1/applications/{app}/actions/accept/"
                    got = retrying(window, lambda path=path: window.call("POST", path, {}))
                    if got is None:
                        break
                    status, body = got
                    # 409 after a lost answer: the first try was committed (checked below).
                    if status in (200, 409):
                        with lock:
                            accepted.add(app)
                    else:
                        soak.fail(f"crash accept {app}: {status} {body}")
                else:
                    try:
                        status, body = public.call(
                            "POST", "/open311/v2/requests.json", form=_open311_form(info, rng, i)
                        )
                    except (OSError, http.client.HTTPException):
                        # Not acknowledged: the ticket may or may not exist; nothing to check.
                        with lock:
                            unanswered["open311"] += 1
                        time.sleep(0.2)
                        continue
                    if soak.check(status == 200, f"crash Open311 POST: {status} {body}"):
                        with lock:
                            acked_numbers.append(body[0]["service_request_id"])
        finally:
            citizen.close()
            window.close()
            public.close()

    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(writers)]
    for thread in threads:
        thread.start()
    # Kills spread over the run: web and worker together, then the worker alone, the web
    # alone, and both again…
    plan = ["both", "worker", "web", "both", "worker", "web"]
    rng = random.Random(SEED)  # noqa: S311 - reproducible test data
    for k in range(kills):
        moment = soak_time = (k + 1) * seconds / (kills + 1) + rng.uniform(-2, 2)
        wait_until = stop_at - seconds + moment
        while time.monotonic() < wait_until:
            time.sleep(0.1)
        what = plan[k % len(plan)]
        if what in ("both", "worker"):
            # Kill the worker while it has a backlog, so it is likely in the middle of a task.
            busy_until = time.monotonic() + 3
            while time.monotonic() < busy_until and not _ready_tasks(db):
                time.sleep(0.05)
        if what in ("both", "web"):
            platform.kill_web()
            soak.faults.append(
                f"SIGKILL gunicorn master + workers {soak_time:.0f} s into the crash run"
            )
        if what in ("both", "worker"):
            soak.worker_kills.append(time.time())
            platform.kill_worker()
            soak.faults.append(f"SIGKILL task worker {soak_time:.0f} s into the crash run")
        soak.say(f"killed {what}; restarting")
        time.sleep(1.0)
        if what in ("both", "web"):
            platform.start_web()
        if what in ("both", "worker"):
            platform.start_worker()
        platform.wait_ready()
    for thread in threads:
        thread.join(max(0.1, stop_at + 45 - time.monotonic()))
    if any(thread.is_alive() for thread in threads):
        soak.fail("crash load: a client thread did not stop in time")
    soak.say(
        f"crash load done: {len(acked_apps)} applications and {len(acked_numbers)} Open311 "
        f"tickets acknowledged, {len(accepted)} accepts acknowledged; connection errors "
        f"retried {unanswered['retried']}, Open311 POSTs unanswered {unanswered['open311']}"
    )

    # -- every acknowledged application is there and consistent
    rows = {
        str(r[0]): r[1:]
        for r in db.rows(
            "SELECT a.id, a.status, a.idempotency_key, "
            "(SELECT count(*) FROM applications_applicationevent e "
            " WHERE e.application_id = a.id AND e.action = 'submit'), "
            "(SELECT count(*) FROM applications_applicationevent e "
            " WHERE e.application_id = a.id AND e.action = 'accept'), "
            "(SELECT count(*) FROM clocks_clock c JOIN django_content_type t "
            " ON t.id = c.content_type_id AND t.app_label = 'applications' "
            " WHERE c.object_id = CAST(a.id AS TEXT)) "
            "FROM applications_application a WHERE a.idempotency_key LIKE 'soak-crash-%%'"
        )
    }
    missing = [a for a in acked_apps if a not in rows]
    soak.check(not missing, f"crash: acknowledged applications missing: {missing[:10]}")
    keys = Counter(r[1] for r in rows.values())
    soak.check(
        all(n == 1 for n in keys.values()),
        f"crash: keys with more than one application: {[k for k, n in keys.items() if n > 1]}",
    )
    for app, (status, key, submits, accepts, clocks) in rows.items():
        if app in acked_apps and acked_apps[app] != key:
            soak.fail(f"crash: application {app} has key {key}, acknowledged as {acked_apps[app]}")
        ok = submits == 1 and (
            (status == "accepted" and accepts == 1 and clocks == 2)
            or (status == "submitted" and accepts == 0 and clocks == 0)
        )
        soak.check(
            ok,
            f"crash: application {app} is {status} with {submits} submit and {accepts} accept "
            f"events and {clocks} clocks",
        )
        if app in accepted:
            soak.check(status == "accepted", f"crash: acknowledged accept of {app} lost")
    soak.say(
        f"crash check: {len(rows)} applications stored, {len(acked_apps)} acknowledged "
        f"({unanswered['replayed']} of them by a retry answered 200 with the first row: "
        "the first answer was lost at a kill)"
    )
    _check_tickets(soak, db, acked_numbers, "crash Open311")
    stray = db.rows(
        "SELECT t.number, count(e.id) FROM hotline_ticket t LEFT JOIN hotline_ticketevent e "
        "ON e.ticket_id = t.id AND e.action = 'register' WHERE t.channel = 'open311' "
        "GROUP BY t.number HAVING count(e.id) <> 1"
    )
    soak.check(not stray, f"crash: Open311 tickets without exactly one register event: {stray}")

    # -- every queued message is sent exactly once
    drain_messages(soak, platform, db, first_message_id)
    check_messages(soak, db, send_log, first_message_id, soak.worker_kills)


def _ready_tasks(db: Db) -> int:
    """Tasks queued and not yet claimed by a worker."""
    return int(
        db.one("SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'READY'")
    )


DRAIN_STALL_S = 60.0  # no message sent for this long while some are queued: a failure
DRAIN_LIMIT_S = 240.0  # the whole drain, however it goes


def drain_messages(soak: Soak, platform: Platform, db: Db, first_id: int) -> None:
    """Wait for the worker to send every queued message; sweep lost tasks once.

    The worker works through its backlog at its own pace (each send takes the gateway's
    round trip), so the wait lasts while messages keep going out, and fails when none has for
    ``DRAIN_STALL_S`` or the drain passes ``DRAIN_LIMIT_S``. Queued messages with no task
    left to run had their task lost with a killed worker: the scheduler's retry job is then
    run once, as it would run 11 minutes later.
    """

    def queued() -> int:
        return int(
            db.one(
                "SELECT count(*) FROM notifications_message WHERE id >= %s AND state = 'queued'",
                [first_id],
            )
        )

    started = time.monotonic()
    swept = False
    left = queued()
    last_progress = time.monotonic()
    while left:
        now = time.monotonic()
        if now - started > DRAIN_LIMIT_S:
            break
        if now - last_progress > DRAIN_STALL_S:
            break
        if not _ready_tasks(db):
            time.sleep(2)  # the last task's transaction
            left = queued()
            if not left:
                break
            if _ready_tasks(db):
                continue
            if swept:
                break
            # Messages whose task was claimed by a worker killed mid-task: that task row
            # stays RUNNING and is never run again. The retry sweep queues them again.
            soak.notes.append(
                f"{left} queued message(s) had lost their task (the worker was killed while "
                "running it, or the web server between the commit and the hand-over); the "
                "scheduler's notifications.retry job, run as 11 minutes later, queued them "
                "again"
            )
            soak.say(f"{left} queued messages have no live task; running the scheduled sweep")
            done = subprocess.run(  # noqa: S603
                [sys.executable, "-c", SWEEP],
                env=platform.env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            soak.check(done.returncode == 0, f"retry sweep failed: {done.stderr[-500:]}")
            swept = True
            last_progress = time.monotonic()
            continue
        time.sleep(1.0)
        now_left = queued()
        if now_left < left:
            last_progress = time.monotonic()
        left = now_left
    soak.say(f"messages drained in {time.monotonic() - started:.0f} s")
    if left:
        soak.fail(
            f"{left} messages still queued after the worker restart"
            + (" and the retry sweep" if swept else "")
        )


# A sender's call and the commit that records it are not one atomic step: a worker killed
# after the gateway took a message and before its transaction committed leaves the message
# queued, and the retry sends it again (at least once; a gateway given message.pk as its
# idempotency key delivers it once). A repeated call is accounted for only when a SIGKILL of
# the worker came within this many seconds after the earlier call.
KILL_WINDOW_S = 2.0


def _send_calls(send_log: Path) -> dict[int, list[float | None]]:
    """``{message id: [time of each call]}`` from the counting sender's log."""
    calls: dict[int, list[float | None]] = {}
    if not send_log.exists():
        return calls
    for line in send_log.read_text().splitlines():
        parts = line.split()
        if parts:
            at = float(parts[2]) if len(parts) > 2 else None
            calls.setdefault(int(parts[0]), []).append(at)
    return calls


def _repeats_explained(times: list[float | None], kills: list[float]) -> bool:
    """Every call after the first follows a worker SIGKILL that came just after the one before."""
    for earlier in times[:-1]:
        if earlier is None or not any(earlier <= k <= earlier + KILL_WINDOW_S for k in kills):
            return False
    return True


def check_messages(
    soak: Soak, db: Db, send_log: Path, first_id: int, kills: list[float] | None = None
) -> None:
    """Each SMS/email of the run: sent, one attempt, one 'sent' audit event, one sender call
    — or more calls, each repeat right after a SIGKILL of the worker (``KILL_WINDOW_S``)."""
    calls = _send_calls(send_log)
    rows = db.rows(
        "SELECT m.id, m.state, m.attempts, "
        "(SELECT count(*) FROM core_auditevent a WHERE a.action = 'notifications.message_send' "
        " AND a.target_id = CAST(m.id AS TEXT) AND a.data->>'to' = 'sent') "
        "FROM notifications_message m WHERE m.id >= %s AND m.channel IN ('sms', 'email')",
        [first_id],
    )
    bad = []
    repeated = []
    for mid, state, attempts, audits in rows:
        times = calls.get(mid, [])
        recorded_once = state == "sent" and attempts == 1 and audits == 1
        if recorded_once and len(times) == 1:
            continue
        if recorded_once and len(times) > 1 and _repeats_explained(times, kills or []):
            repeated.append(mid)
            continue
        bad.append((mid, state, attempts, audits, len(times)))
    soak.check(
        not bad,
        f"messages not sent exactly once (id, state, attempts, sent audits, sender calls): "
        f"{bad[:10]} ({len(bad)} in all)",
    )
    if repeated:
        soak.notes.append(
            f"{len(repeated)} message(s) handed to the sender twice: each time the worker was "
            f"SIGKILLed within {KILL_WINDOW_S:g} s after the gateway took it and before its "
            f"commit (ids {repeated[:10]}); recorded once, sent again by the retry (at least "
            "once; once with a gateway keyed on message.pk)"
        )
    soak.say(
        f"messages: {len(rows)} SMS/email queued in the run, "
        f"{sum(len(t) for t in calls.values())} sender calls, "
        f"{len(rows) - len(bad) - len(repeated)} sent exactly once, {len(repeated)} twice "
        "across a worker kill"
    )


# -- the run ---------------------------------------------------------------------------------


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def run(args: argparse.Namespace, soak: Soak) -> None:
    dsn = os.environ.get("DATABASE_URL", DEFAULT_DSN)
    if not dsn.startswith(("postgres://", "postgresql://")):
        raise SystemExit(f"DATABASE_URL must name a PostgreSQL database, got {dsn!r}")
    var = Path(tempfile.mkdtemp(prefix="xn-soak-"))
    send_log = var / "sent.log"
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "XIAONENG_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "XIAONENG_VAR": str(var),
        "DJANGO_SETTINGS_MODULE": "soak_settings",
        "SOAK_SEND_LOG": str(send_log),
        "SOAK_SEND_DELAY_MS": str(args.send_delay_ms),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT / "scripts"), str(ROOT / "src"), os.getenv("PYTHONPATH")])
        ),
    }
    soak.say(f"scratch database {urllib.parse.urlsplit(dsn).path.lstrip('/')}; logs in {var}")
    _prepare_pg(dsn)
    py = sys.executable
    steps: list[list[str]] = [
        [py, "-m", "xiaoneng", "migrate", "--no-input", "-v", "0"],
        [py, "-m", "xiaoneng", "createcachetable"],
        [py, "-m", "xiaoneng", "demo", "--no-activity"],
    ]
    for argv in steps:
        subprocess.run(argv, env=env, check=True, capture_output=True, timeout=300)  # noqa: S603
    made = subprocess.run(  # noqa: S603
        [py, "-c", SETUP], env=env, check=True, capture_output=True, text=True, timeout=120
    )
    info = json.loads(made.stdout.strip().splitlines()[-1])
    key = subprocess.run(  # noqa: S603
        [py, "-m", "xiaoneng", "open311-key", "soak"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    info["open311_key"] = key.stdout.strip().splitlines()[-1]
    soak.say(f"city built; matter {info['matter']}, {len(info['categories'])} Open311 services")

    db = Db(dsn)
    platform = Platform(env, _free_port(), var, args.workers)
    try:
        platform.start_web()
        platform.start_worker()
        platform.wait_ready()
        soak.say(f"server on 127.0.0.1:{platform.port} ({args.workers} workers) and task worker")
        first_message_id = int(db.one("SELECT COALESCE(MAX(id), 0) + 1 FROM notifications_message"))
        concurrency(soak, platform.port, db, info, args.clients)
        soak.say(f"concurrency done: {soak.requests} requests, {len(soak.failures)} failures")
        crash(
            soak,
            platform,
            db,
            info,
            seconds=args.crash_seconds,
            kills=args.kills,
            writers=args.writers,
            think=args.think_ms / 1000,
            send_log=send_log,
            first_message_id=first_message_id,
        )
    finally:
        platform.stop()
        db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="threads in each race")
    parser.add_argument("--writers", type=int, default=8, help="client threads of the crash run")
    parser.add_argument(
        "--think-ms",
        type=int,
        default=250,
        help="pause of each crash writer between its cases (keeps the message backlog one task "
        "worker can send within the time limit)",
    )
    parser.add_argument("--crash-seconds", type=float, default=90.0, help="crash load length")
    parser.add_argument("--kills", type=int, default=6, help="kill rounds in the crash run")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (serve: 2)")
    parser.add_argument(
        "--send-delay-ms", type=int, default=30, help="how long each SMS/email send takes"
    )
    parser.add_argument("--time-limit", type=float, default=480.0, help="seconds for it all")
    args = parser.parse_args(argv)

    # The whole run is bounded: an alarm ends it (the finally blocks stop the processes).
    def overtime(signum: int, frame: object) -> None:
        raise TimeoutError(f"the soak run went over its {args.time_limit:g} s")

    signal.signal(signal.SIGALRM, overtime)
    signal.alarm(int(args.time_limit))
    started = time.monotonic()
    soak = Soak()
    error = ""
    try:
        run(args, soak)
    except Exception as exc:  # reported as a failure with the figures
        error = f"{type(exc).__name__}: {exc}"
    finally:
        signal.alarm(0)
    failures = [*(soak.failures), *([error] if error else [])]
    print()
    print("Soak summary")
    print(f"  requests sent:   {soak.requests:,}")
    print(f"  faults injected: {len(soak.faults)} (SIGKILL of a process group)")
    for fault in soak.faults:
        print(f"    - {fault}")
    for note in soak.notes:
        print(f"  note: {note}")
    print(f"  failures found:  {len(failures)}")
    for failure in failures:
        print(f"    - {failure}")
    print(f"  elapsed:         {time.monotonic() - started:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
