"""`xiaoneng serve` starts the web server and the task worker, and stops both on SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    )
    return [int(x) for x in out.stdout.split()]


def test_serve_answers_then_stops_with_its_worker(tmp_path: Path):
    """The server answers on its port; SIGTERM ends the server and the worker together."""
    env = {
        **os.environ,
        "XIAONENG_VAR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "XIAONENG_ENV": "development",
    }
    env.pop("TASKS_BACKEND", None)
    cli = [sys.executable, "-m", "xiaoneng"]
    subprocess.run([*cli, "migrate", "-v", "0"], env=env, check=True, timeout=120)
    port = _free_port()
    proc = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/matters/", timeout=5) as r:
                    status = r.status
                    break
            except OSError:
                time.sleep(0.5)
        assert status == 200
        children = _children(proc.pid)
        assert len(children) == 3  # gunicorn master, the task worker and the scheduler
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    time.sleep(0.5)
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    output = proc.stdout.read() if proc.stdout else ""
    assert f"serving http://127.0.0.1:{port}/" in output
