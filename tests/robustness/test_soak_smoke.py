"""The soak run's own machinery (scripts/soak.py): its checks fail when they should.

``make soak`` needs a real server and PostgreSQL and takes minutes; these tests take well under
a second and check the parts that decide pass or fail: the one-winner rule of a race, the
counting of requests and of server errors, the exactly-once check of messages and the
counting sender that feeds it.
"""

from __future__ import annotations

import http.server
import importlib.util
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
SMOKE_PORT = 8229  # the last of the soak run's ports (8220-8229)


def _load(name: str) -> ModuleType:
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


soak = _load("soak")


class FakeDb:
    """Answers ``rows`` with the rows given, whatever the query."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self._rows = rows

    def rows(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        return self._rows


def test_one_winner_passes_one_success_among_conflicts() -> None:
    """One 200 and 49 × 409 is the expected outcome: no failure, the winner's index back."""
    run = soak.Soak()
    results = [(409, {})] * 7 + [(200, {"id": 1})] + [(409, {})] * 42
    assert soak._one_winner(run, "race", results, {200}) == 7
    assert run.failures == []


@pytest.mark.parametrize(
    "results",
    [
        [(200, {})] * 2 + [(409, {})] * 48,  # two winners: a lost update
        [(409, {})] * 50,  # nobody won
        [(200, {})] + [(409, {})] * 48 + [(500, "boom")],  # a server error among them
        [(200, {})] + [(409, {})] * 48 + [(0, "ConnectionResetError")],  # no answer
    ],
    ids=["two-winners", "no-winner", "server-error", "no-answer"],
)
def test_one_winner_fails_on_anything_else(results: list[tuple[int, Any]]) -> None:
    """Two winners, none, or any answer other than 409 for the losers is a failure."""
    run = soak.Soak()
    soak._one_winner(run, "race", results, {200})
    assert len(run.failures) == 1
    assert "race: expected one [200]" in run.failures[0]


@pytest.fixture
def tiny_server() -> Iterator[int]:
    """A local HTTP server on the soak's last port: /boom answers 500, anything else 200."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = 500 if self.path == "/boom" else 200
            body = b'{"ok": true}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", SMOKE_PORT), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SMOKE_PORT
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_client_counts_requests_and_reports_server_errors(tiny_server: int) -> None:
    """Every request is counted; a 5xx answer is a failure naming the path and status."""
    run = soak.Soak()
    client = soak.Client(run, tiny_server, token="t")
    try:
        assert client.call("POST", "/fine", {"a": 1}) == (200, {"ok": True})
        status, _ = client.call("POST", "/boom", {})
    finally:
        client.close()
    assert status == 500
    assert run.requests == 2
    assert run.failures == ["POST /boom answered 500: {'ok': True}"]


def test_check_messages_passes_once_and_fails_twice(tmp_path: Path) -> None:
    """A message sent once passes; one the sender saw twice, or never sent, is a failure."""
    log = tmp_path / "sent.log"
    log.write_text("10 sms 1000.0\n11 email 1000.0\n11 email 1001.0\n")
    run = soak.Soak()
    soak.check_messages(run, FakeDb([(10, "sent", 1, 1)]), log, 1)
    assert run.failures == []
    soak.check_messages(run, FakeDb([(10, "sent", 1, 1), (11, "sent", 1, 1)]), log, 1)
    soak.check_messages(run, FakeDb([(12, "queued", 0, 0)]), log, 1)
    assert len(run.failures) == 2
    assert "(11, 'sent', 1, 1, 2)" in run.failures[0]
    assert "(12, 'queued', 0, 0, 0)" in run.failures[1]


def test_a_repeat_right_after_a_worker_kill_is_accounted_for_and_no_other(tmp_path: Path) -> None:
    """Two calls of the sender for a message recorded once pass only when the worker was
    SIGKILLed within KILL_WINDOW_S after the first (the gateway took it, the commit was lost);
    the same two calls with no kill there are a double send."""
    log = tmp_path / "sent.log"
    log.write_text("20 sms 1000.000\n20 sms 1030.000\n")
    row = [(20, "sent", 1, 1)]
    run = soak.Soak()
    soak.check_messages(run, FakeDb(row), log, 1, [1000.5])
    assert run.failures == []
    assert "handed to the sender twice" in run.notes[0] and "[20]" in run.notes[0]
    for kills in ([], [999.0], [1000.0 + soak.KILL_WINDOW_S + 0.5]):
        run = soak.Soak()
        soak.check_messages(run, FakeDb(row), log, 1, kills)
        assert run.failures and "(20, 'sent', 1, 1, 2)" in run.failures[0], kills
    run = soak.Soak()  # a repeat is never enough when the row says it was not sent
    soak.check_messages(run, FakeDb([(20, "queued", 0, 0)]), log, 1, [1000.5])
    assert run.failures


def test_counting_sender_writes_one_line_per_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The soak's sender appends '<id> <channel> <time>' per call, which check_messages counts."""
    settings_module = _load("soak_settings")
    log = tmp_path / "sent.log"
    monkeypatch.setenv("SOAK_SEND_LOG", str(log))
    sender = settings_module.CountingSender()
    sender.send(SimpleNamespace(pk=5, channel="sms"))
    sender.send(SimpleNamespace(pk=5, channel="sms"))
    lines = [line.split() for line in log.read_text().splitlines()]
    assert [line[:2] for line in lines] == [["5", "sms"], ["5", "sms"]]
    assert all(abs(float(line[2]) - time.time()) < 60 for line in lines)
    assert settings_module.NOTIFICATION_SENDERS["email"] == "soak_settings.CountingSender"


@pytest.mark.django_db
def test_the_scheduled_retry_job_sends_a_message_whose_task_was_lost(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A queued message whose task died with a killed worker is sent once by the scheduler's job.

    Found by the soak run: the job ``notifications.retry`` called ``messages_retry()`` without a
    cut-off, so such a message stayed queued for ever.
    """
    import datetime as dt

    import time_machine
    from django.conf import settings
    from django.utils import timezone
    from django.utils.module_loading import import_string

    from tests.applications.factories import UserFactory
    from xiaoneng.notifications.models import Message
    from xiaoneng.notifications.services import notify

    # Outside captured callbacks the send task is never queued: as if it was lost.
    (sms,) = notify(recipient=UserFactory(), subject="Lost", body="", channels=("sms",))
    (path,) = [p for name, p, _ in settings.SCHEDULED_JOBS if name == "notifications.retry"]
    job = import_string(path)
    with django_capture_on_commit_callbacks(execute=True):
        assert job() == 0  # just queued: not lost yet
    with (
        time_machine.travel(timezone.now() + dt.timedelta(minutes=11)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert job() == 1
    sms = Message.objects.get(pk=sms.pk)
    assert (sms.state, sms.attempts) == ("sent", 1)
