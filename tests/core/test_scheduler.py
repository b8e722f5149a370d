"""The scheduler runs each periodic job when its period has passed, and survives failures."""

import pytest
from django.core.management import call_command

from xiaoneng.core.management.commands.scheduler import run_due_jobs

CALLS: list[str] = []


def job_ok() -> list[int]:
    CALLS.append("ok")
    return [1, 2]


def job_broken() -> None:
    CALLS.append("broken")
    raise RuntimeError("boom")


JOBS = [
    ("ok", "tests.core.test_scheduler.job_ok", 60),
    ("broken", "tests.core.test_scheduler.job_broken", 60),
]


def test_jobs_run_once_per_period():
    """A job runs at the first tick, not again within its period, and again after it."""
    CALLS.clear()
    last: dict[str, float] = {}
    assert run_due_jobs(last, now=1000.0, jobs=JOBS) == ["ok"]
    assert run_due_jobs(last, now=1030.0, jobs=JOBS) == []
    assert run_due_jobs(last, now=1061.0, jobs=JOBS) == ["ok"]
    assert CALLS == ["ok", "broken", "ok", "broken"]


@pytest.mark.django_db
def test_the_configured_jobs_run(capsys):
    """Every job of SCHEDULED_JOBS imports and runs on an empty database."""
    call_command("scheduler", "--once")
    out = capsys.readouterr().out
    for name in (
        "catalog.activate-versions",
        "applications.accept-overdue",
        "supervision.scan-clocks",
        "notifications.retry",
    ):
        assert f"ran {name}" in out
