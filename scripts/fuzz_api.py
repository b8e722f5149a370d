"""Fuzz the REST API from its OpenAPI schema: no request may get a 5xx answer.

Schemathesis reads ``/api/schema/`` (drf-spectacular) through the WSGI application, in
process, and generates requests for every operation: valid ones and malformed ones, with
path parameters that are sometimes the ids of real rows of a small demo city (so the
requests reach the code behind the lookups), as several callers: anonymous, the efficiency
office, a department's window officer and a 12345 hotline operator, each with a bearer
token from ``POST /api/v1/auth/token/``. The checks are schemathesis's ``not_a_server_error``
and ``response_schema_conformance`` (an answer with a documented status matches its schema).

Two users of this module:

* ``tests/robustness/test_api_fuzz.py`` (``make test``): derandomized, a few examples per
  operation, about a minute;
* this file as a script (``make soak``): a fresh database, the same checks, more examples,
  new seeds round after round until ``--seconds`` have passed; prints the requests sent and
  the failures found (each with a curl line to reproduce it) and exits 1 on any failure.

    .venv/bin/python scripts/fuzz_api.py --seconds 180          # a temporary SQLite file
    .venv/bin/python scripts/fuzz_api.py --seconds 600 --examples 25 \\
        --database-url postgres://postgres@127.0.0.1:5432/xn_fuzz  # an EMPTY database
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import logging
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Operations a caller with a token must not fuzz: revoking the token would turn the rest of
# the run into anonymous requests. The anonymous caller fuzzes them.
SKIP_WITH_TOKEN = {("DELETE", "/api/v1/auth/token/")}

# Callers: (label, username or None for anonymous). Demo accounts, password "demo".
CALLERS: tuple[tuple[str, str | None], ...] = (
    ("anonymous", None),
    ("office", "office"),
    ("window", "window"),
    ("operator", "operator"),
)
# The callers of the quick run in `make test`; the soak run adds the hotline operator.
QUICK_CALLERS = CALLERS[:3]

TODAY = dt.date(2025, 6, 18)  # a Wednesday; the season's clocks are computed up to it


@dataclass
class Failure:
    """One operation that answered 5xx, with the smallest request hypothesis found."""

    caller: str
    operation: str
    status: int
    curl: str
    error: str

    def __str__(self) -> str:
        return f"[{self.caller}] {self.operation} -> {self.status}\n  {self.curl}\n{self.error}"


@dataclass
class Tally:
    """What a run did: requests sent, operations fuzzed, failures found."""

    requests: int = 0
    operations: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)

    def count(self, status: int) -> None:
        self.requests += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1


class CheckFailed(AssertionError):
    """Raised inside a hypothesis example when a check fails (a 5xx, by default)."""


def build_city() -> dict[str, Any]:
    """The demo city (departments, users, catalog, hotline tables), a small season of
    applications (with ratings, rectifications, licences, messages) and of hotline tickets,
    and one supervision task with its accountability case.

    Runs in the caller's transaction; returns the builders' figures.
    """
    from xiaoneng.accounts.models import Department, User
    from xiaoneng.demo.activity import demo_build_activity
    from xiaoneng.demo.hotline import demo_build_hotline_season
    from xiaoneng.demo.services import demo_build
    from xiaoneng.supervision.services import accountability, tasks

    shanghai = dt.timezone(dt.timedelta(hours=8))
    now = dt.datetime.combine(TODAY, dt.time(15, 30), tzinfo=shanghai)
    demo_build(activity=False)
    activity = demo_build_activity(seed=5, today=TODAY, applications=30, days=20)
    hotline = demo_build_hotline_season(seed=11, now=now, tickets=60, days=20)
    office = User.objects.get(username="office")
    task = tasks.supervision_task_create(
        actor=office,
        title="窗口整改滞后",
        description="媒体报道窗口排队三个月未改。",
        source="media_exposure",
        source_reference="日报 2025-06-01",
        limit_days=10,
        lead_unit=Department.objects.get(code="130100001"),
    )
    task = tasks.supervision_task_assign(actor=office, task=task)
    accountability.accountability_case_open(
        actor=office, task=task, reason="整改不力，需查明责任。"
    )
    return {"activity": activity, "hotline": hotline, "supervision_task": task.pk}


def real_values() -> dict[str, dict[str, list[Any]]]:
    """Path parameter values that exist in the database, by path prefix and parameter name."""
    from xiaoneng.applications.api import ACTIONS
    from xiaoneng.applications.models import Application, ApplicationMaterial
    from xiaoneng.catalog.models import Matter
    from xiaoneng.hotline.models import Article, RoutingRule, Ticket
    from xiaoneng.licenses.models import License
    from xiaoneng.notifications.models import Message
    from xiaoneng.ratings.models import Rectification
    from xiaoneng.supervision.models.accountability import AccountabilityCase
    from xiaoneng.supervision.models.tasks import SupervisionTask

    def ids(model: Any, column: str = "pk", limit: int = 40) -> list[Any]:
        values = model.objects.order_by("pk").values_list(column, flat=True)[:limit]
        return [str(v) if column != "pk" else v for v in values]

    return {
        "/api/v1/accountability/cases/": {"id": ids(AccountabilityCase)},
        "/api/v1/applications/": {
            "application_id": ids(Application, "id"),
            "material_id": ids(ApplicationMaterial),
            "name": list(ACTIONS),
        },
        "/api/v1/hotline/articles/": {"id": ids(Article)},
        "/api/v1/hotline/routing-rules/": {"id": ids(RoutingRule)},
        "/api/v1/hotline/tickets/": {"id": ids(Ticket)},
        "/api/v1/licenses/": {"identifier": ids(License, "identifier")},
        "/api/v1/matters/": {"code": ids(Matter, "code")},
        "/api/v1/messages/": {"id": ids(Message)},
        "/api/v1/rectifications/": {"id": ids(Rectification)},
        "/api/v1/supervision/tasks/": {"id": ids(SupervisionTask)},
    }


def _values_for(path: str, values: dict[str, dict[str, list[Any]]]) -> dict[str, list[Any]]:
    for prefix, params in values.items():
        if path.startswith(prefix):
            return {name: v for name, v in params.items() if v}
    return {}


def load_schema(app: Any = None) -> Any:
    """The OpenAPI schema read from ``/api/schema/`` through the WSGI app, for schemathesis.

    Django must be set up already (``django.setup()``, or pytest-django).
    """
    import schemathesis
    from django.core.handlers.wsgi import WSGIHandler

    # drf-spectacular prints its naming warnings on stderr while it builds the schema.
    with contextlib.redirect_stderr(io.StringIO()):
        return schemathesis.openapi.from_wsgi(
            "/api/schema/?format=json", app if app is not None else WSGIHandler()
        )


def token_for(app: Any, username: str, password: str = "demo") -> str:  # noqa: S107 - demo
    """A bearer token from ``POST /api/v1/auth/token/``, as a client would get it."""
    from werkzeug.test import Client

    response = Client(app).post(
        "/api/v1/auth/token/",
        json={"username": username, "password": password, "name": "fuzz"},
        headers={"Host": "localhost"},
    )
    if response.status_code != 201 and response.status_code != 200:
        raise RuntimeError(
            f"expected a token for {username!r}, got {response.status_code}: "
            f"{response.get_data(as_text=True)[:300]}"
        )
    return str(response.get_json()["token"])


def operations(schema: Any) -> list[Any]:
    """Every operation of the schema, in the schema's order."""
    return [result.ok() for result in schema.get_all_operations()]


def fuzz_operation(
    operation: Any,
    *,
    caller: str,
    headers: dict[str, str],
    values: dict[str, dict[str, list[Any]]],
    tally: Tally,
    max_examples: int,
    seed: int | None = None,
    conformance: bool = False,
) -> Failure | None:
    """Send up to ``max_examples`` generated requests to one operation; the first 5xx
    (shrunk by hypothesis to a small request) is returned, also appended to the tally.

    Derandomized when ``seed`` is None, so the same requests go out on every run.
    """
    import hypothesis
    import hypothesis.strategies as st
    from django.core.signals import got_request_exception
    from hypothesis import HealthCheck, Phase
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation.modes import GenerationMode
    from schemathesis.specs.openapi.checks import response_schema_conformance

    checks = (
        [not_a_server_error, response_schema_conformance] if conformance else [not_a_server_error]
    )

    real = _values_for(operation.path, values)
    last_error: list[str] = []

    def remember(sender: Any, request: Any = None, **kwargs: Any) -> None:
        last_error[:] = [traceback.format_exc(limit=-6)]

    found: list[Failure] = []

    @hypothesis.settings(
        max_examples=max_examples,
        derandomize=seed is None,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        print_blob=False,
        report_multiple_bugs=False,
        verbosity=hypothesis.Verbosity.quiet,
    )
    @hypothesis.given(
        case=st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        ),
        use_real=st.booleans(),
        pick=st.integers(min_value=0, max_value=10_000),
    )
    def run(case: Any, use_real: bool, pick: int) -> None:
        if use_real and real:
            for name, choices in real.items():
                if name in case.path_parameters:
                    case.path_parameters[name] = choices[pick % len(choices)]
        last_error.clear()
        response = case.call(headers=headers)
        tally.count(response.status_code)
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis's FailureGroup
            error = last_error[0] if last_error else str(exc)
            found[:] = [
                Failure(
                    caller=caller,
                    operation=f"{operation.method.upper()} {operation.path}",
                    status=response.status_code,
                    curl=case.as_curl_command(headers=headers),
                    error=error,
                )
            ]
            raise CheckFailed(str(exc)) from exc

    if seed is not None:
        run = hypothesis.seed(seed)(run)
    got_request_exception.connect(remember)
    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # a failed check, or no request could be built
        failure = (
            found[0]
            if found
            else Failure(
                caller=caller,
                operation=f"{operation.method.upper()} {operation.path}",
                status=0,
                curl="",
                error=f"{type(exc).__name__}: {exc}",
            )
        )
        tally.failures.append(failure)
        return failure
    finally:
        got_request_exception.disconnect(remember)
        tally.operations += 1
    return None


def fuzz_all(
    schema: Any,
    *,
    app: Any,
    callers: Iterable[tuple[str, str | None]] = CALLERS,
    max_examples: int,
    seed: int | None = None,
    tally: Tally | None = None,
    deadline: float | None = None,
    conformance: bool = False,
) -> Tally:
    """Fuzz every operation as every caller; stop early once ``deadline`` (monotonic) passes."""
    tally = tally if tally is not None else Tally()
    values = real_values()
    ops = operations(schema)
    # Tokens first, then operation by operation, so a deadline cuts every caller alike.
    headers = {
        caller: {} if username is None else {"Authorization": f"Bearer {token_for(app, username)}"}
        for caller, username in callers
    }
    for operation in ops:
        key = (operation.method.upper(), operation.path)
        for caller, caller_headers in headers.items():
            if caller_headers and key in SKIP_WITH_TOKEN:
                continue
            if deadline is not None and time.monotonic() > deadline:
                return tally
            fuzz_operation(
                operation,
                caller=caller,
                headers=caller_headers,
                values=values,
                tally=tally,
                max_examples=max_examples,
                seed=seed,
                conformance=conformance,
            )
    return tally


def _prepare_environment(database_url: str | None, workdir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{workdir / 'fuzz.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ["TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    os.environ.setdefault("LOG_LEVEL", "WARNING")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=180, help="time budget, city build included (default 180)"
    )
    parser.add_argument(
        "--examples", type=int, default=10, help="examples per operation and caller a round"
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="an EMPTY database to build the city in (default: a temporary SQLite file)",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    deadline = started + args.seconds
    with tempfile.TemporaryDirectory(prefix="xn-fuzz-") as tmp:
        _prepare_environment(args.database_url, Path(tmp))
        import django

        django.setup()
        from django.conf import settings
        from django.core.handlers.wsgi import WSGIHandler
        from django.core.management import call_command
        from django.db import transaction

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        # Every 4xx is logged as a warning; the run prints the 5xx it finds itself.
        logging.getLogger("django.request").setLevel(logging.CRITICAL)
        call_command("migrate", verbosity=0, interactive=False)
        call_command("createcachetable", verbosity=0)
        with transaction.atomic():
            build_city()
        app = WSGIHandler()
        schema = load_schema(app)
        ops = operations(schema)
        print(f"city built in {time.monotonic() - started:.0f} s; {len(ops)} operations")
        tally = Tally()
        round_number = 0
        while time.monotonic() < deadline:
            round_number += 1
            before = tally.requests
            fuzz_all(
                schema,
                app=app,
                max_examples=args.examples,
                seed=round_number,
                tally=tally,
                deadline=deadline,
                conformance=True,
            )
            print(
                f"round {round_number}: {tally.requests - before} requests, "
                f"{len(tally.failures)} failures so far"
            )
    elapsed = time.monotonic() - started
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(tally.statuses.items()))
    unique = {(f.operation, f.caller): f for f in tally.failures}
    print(f"\nfuzz_api: {elapsed:.0f} s, {round_number} rounds, {len(ops)} operations")
    print(f"requests sent: {tally.requests} ({statuses})")
    print("faults injected: 0 (generated requests only)")
    print(f"failures found: {len(unique)}")
    for failure in unique.values():
        print(f"\n{failure}")
    if not tally.requests:
        print("no request was sent: the time budget ended while the city was being built")
        return 1
    return 1 if unique else 0


if __name__ == "__main__":
    sys.exit(main())
