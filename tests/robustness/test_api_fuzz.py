"""Fuzzing the REST API from its OpenAPI schema: no operation answers 5xx (issue 6 §2).

Schemathesis reads ``/api/schema/`` through the WSGI application, in process, and sends every
operation generated requests (valid and malformed bodies, queries and path parameters; path
parameters are also drawn from real rows of a small demo city, so requests reach the code
behind the lookups) as four callers: anonymous, the efficiency office, a department's window
officer and a 12345 hotline operator, each with a bearer token from ``POST
/api/v1/auth/token/``. The checks are schemathesis's ``not_a_server_error`` and
``response_schema_conformance`` (an answer with a documented status matches its schema).

Derandomized and bounded (``EXAMPLES`` per operation and caller), so every run sends the same
requests. The driver lives in ``scripts/fuzz_api.py``, whose command line (``make soak``) runs
the same checks with more examples and fresh seeds for a time budget.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from django.test.utils import override_settings

pytestmark = pytest.mark.django_db

schemathesis = pytest.importorskip("schemathesis")

EXAMPLES = 4  # generated requests per operation and caller


def _load_driver() -> ModuleType:
    """``scripts/fuzz_api.py`` as a module (scripts/ is not a package)."""
    path = Path(__file__).resolve().parents[2] / "scripts" / "fuzz_api.py"
    spec = importlib.util.spec_from_file_location("xiaoneng_fuzz_api", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


fuzz = _load_driver()

QUIET = {
    "TASKS": {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    },
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
}


@pytest.fixture(scope="module")
def fuzz_city(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """The demo city with a small season of applications and tickets, rolled back after the
    module; the WSGI app and the schema read from it."""
    media = tmp_path_factory.mktemp("fuzz-media")
    request_logger = logging.getLogger("django.request")
    level = request_logger.level
    # Thousands of 4xx are each logged as a warning; the driver reports the 5xx.
    request_logger.setLevel(logging.CRITICAL)
    # As Django's test client does: the end of each WSGI request would otherwise close the
    # database connection (in an atomic block autocommit differs from the settings), which on
    # PostgreSQL ends the module's transaction and every later query.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, **QUIET):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            figures = fuzz.build_city()
            # The handler get_wsgi_application() returns, without setting Django (and its
            # logging) up a second time: pytest-django has done that.
            app = WSGIHandler()
            yield {"figures": figures, "app": app, "schema": fuzz.load_schema(app)}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            request_logger.setLevel(level)
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)


def test_the_schema_lists_every_api_operation(fuzz_city):
    """The schema the fuzzer reads has the operations of every room's API."""
    operations = fuzz.operations(fuzz_city["schema"])
    paths = {op.path for op in operations}
    assert len(operations) >= 80
    for prefix in (
        "/api/v1/auth/",
        "/api/v1/applications/",
        "/api/v1/matters/",
        "/api/v1/calendar/",
        "/api/v1/licenses/",
        "/api/v1/messages/",
        "/api/v1/rectifications/",
        "/api/v1/supervision/",
        "/api/v1/accountability/",
        "/api/v1/kpis/",
        "/api/v1/hotline/",
    ):
        assert any(path.startswith(prefix) for path in paths), prefix


@pytest.mark.parametrize("caller", [label for label, _ in fuzz.QUICK_CALLERS])
def test_no_operation_answers_a_server_error(fuzz_city, caller):
    """Every operation, fuzzed as this caller, answers below 500 and as its schema documents,
    for every generated request; authenticated callers get through to real data (2xx answers),
    so the run is not all 401."""
    username = dict(fuzz.CALLERS)[caller]
    tally = fuzz.fuzz_all(
        fuzz_city["schema"],
        app=fuzz_city["app"],
        callers=[(caller, username)],
        max_examples=EXAMPLES,
        conformance=True,
    )
    print(f"{caller}: {tally.operations} operations, {tally.requests} requests {tally.statuses}")
    report = "\n\n".join(str(f) for f in tally.failures)
    assert not tally.failures, f"{len(tally.failures)} operations failed:\n\n{report}"
    expected_operations = len(fuzz.operations(fuzz_city["schema"])) - (
        len(fuzz.SKIP_WITH_TOKEN) if username else 0
    )
    assert tally.operations == expected_operations
    assert tally.requests >= tally.operations
    successes = sum(n for status, n in tally.statuses.items() if 200 <= status < 300)
    if username is None:
        assert tally.statuses.get(401, 0) > 0  # the protected operations turned it away
    else:
        assert successes >= 20, tally.statuses


def test_a_token_from_the_token_endpoint_authenticates(fuzz_city):
    """The callers' tokens are real: ``/api/v1/auth/me/`` names the user who asked for one."""
    from werkzeug.test import Client

    token = fuzz.token_for(fuzz_city["app"], "office")
    response = Client(fuzz_city["app"]).get(
        "/api/v1/auth/me/", headers={"Authorization": f"Bearer {token}", "Host": "localhost"}
    )
    assert response.status_code == 200
    assert response.get_json()["username"] == "office"


def test_the_fuzzer_reports_a_server_error(fuzz_city, monkeypatch):
    """The check can fail: an operation whose view raises is reported as a 500, with the
    request to reproduce it and the view's traceback."""
    from xiaoneng.calendars.api import CalendarCoverageApi

    def broken(self: Any, request: Any) -> Any:
        raise RuntimeError("planted by the fuzz test")

    monkeypatch.setattr(CalendarCoverageApi, "get", broken)
    operation = next(
        op
        for op in fuzz.operations(fuzz_city["schema"])
        if (op.method.upper(), op.path) == ("GET", "/api/v1/calendar/")
    )
    tally = fuzz.Tally()
    failure = fuzz.fuzz_operation(
        operation, caller="anonymous", headers={}, values={}, tally=tally, max_examples=2
    )
    assert failure is not None and tally.failures == [failure]
    assert failure.status == 500
    assert failure.operation == "GET /api/v1/calendar/"
    assert "curl" in failure.curl and "/api/v1/calendar/" in failure.curl
    assert "planted by the fuzz test" in failure.error
