"""``xiaoneng scheduler``: run the periodic jobs of ``settings.SCHEDULED_JOBS``.

Daily rules of law need a daily run: a scheduled catalog version takes effect on its day, an
application not told to supplement within 5 working days counts as accepted (Art. 32(4)),
clocks turn yellow and red as days pass, and messages whose sending failed are retried. Each
job is a service that is safe to run again; a failure is logged and the others go on.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import import_string

logger = logging.getLogger("xiaoneng.scheduler")


def run_due_jobs(
    last_run: dict[str, float], *, now: float, jobs: list[tuple[str, str, int]] | None = None
) -> list[str]:
    """Run every job whose period has passed since it last ran; return the names run."""
    ran = []
    for name, path, period in jobs if jobs is not None else settings.SCHEDULED_JOBS:
        if now - last_run.get(name, float("-inf")) < period:
            continue
        last_run[name] = now
        func: Callable[..., Any] = import_string(path)
        try:
            result = func()
        except Exception:  # one job's failure must not stop the others
            logger.exception("scheduled job %s failed", name)
            continue
        count = len(result) if isinstance(result, list | tuple) else result
        logger.info("scheduled job %s done: %s", name, count)
        ran.append(name)
    return ran


class Command(BaseCommand):
    help = "Run the platform's periodic jobs (SCHEDULED_JOBS) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument("--tick", type=float, default=30.0, help="seconds between checks")

    def handle(self, *args: Any, **options: Any) -> None:
        last_run: dict[str, float] = {}
        if options["once"]:
            for name in run_due_jobs(last_run, now=time.monotonic()):
                self.stdout.write(f"ran {name}")
            return
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping:
            run_due_jobs(last_run, now=time.monotonic())
            deadline = time.monotonic() + options["tick"]
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.5)
