"""``xiaoneng serve``: the web server (gunicorn), the background task worker and the
scheduler of periodic jobs, together.

Both run as child processes; Ctrl-C or SIGTERM stops both, and if either dies the other is
stopped too, so a half-running platform is never left behind.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the platform: gunicorn web server plus the background task worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1")
        parser.add_argument("--host", default="127.0.0.1", help="address to bind")
        parser.add_argument("--workers", type=int, default=2, help="web worker processes")
        parser.add_argument("--no-worker", action="store_true", help="do not start the task worker")

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"]
        if not 1 <= port <= 65535:
            self.stderr.write(f"--port must be between 1 and 65535, got {port}")
            sys.exit(2)
        host = options["host"]
        web = subprocess.Popen(  # noqa: S603 - fixed argument list, our own program
            [
                sys.executable,
                "-m",
                "gunicorn",
                "xiaoneng.wsgi:application",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(options["workers"]),
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "10",
            ]
        )
        children = [web]
        if not options["no_worker"]:
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "xiaoneng",
                    "db_worker",
                    "--queue-name",
                    "default",
                    "--no-reload",
                ]
            )
            children.append(worker)
            scheduler = subprocess.Popen([sys.executable, "-m", "xiaoneng", "scheduler"])
            children.append(scheduler)

        self.stdout.write(self.style.SUCCESS(f"Xiaoneng is serving http://{host}:{port}/"))
        self._print_accounts()
        self.stdout.write("Press Ctrl-C to stop.")

        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.5)
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            deadline = time.monotonic() + 15
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
        failed = [str(c.args) for c in children if c.returncode]
        if failed and not stopping:
            self.stderr.write(f"A process stopped unexpectedly: {failed}")
            sys.exit(1)

    def _print_accounts(self) -> None:
        from xiaoneng.demo.selectors import demo_accounts

        accounts = demo_accounts()
        if not accounts:
            return
        self.stdout.write("Demo accounts (demo city only, password 'demo'):")
        for username, role in accounts:
            self.stdout.write(f"  {username:<12} {role}")
