"""A real gunicorn server for the HTTP benchmarks, started as ``xiaoneng serve`` starts it.

Shared by ``hotline_open311_bench.py`` and ``kpi_bench.py`` so both measure the same server:
the same argument list, production settings, a free loopback port, and the same reading of a
worker's memory from ``/proc``. Every wait here has a time limit, so a benchmark that uses it
stops by itself.
"""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def production_env(database_url: str, var: Path | str) -> dict[str, str]:
    """The environment of a production server on ``database_url``.

    Production settings (no DEBUG, a fresh secret key, the manifest static storage) are what a
    city runs, so the figures include what production adds; ``var`` is the server's own
    directory (static files, logs, the SQLite file).
    """
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "XIAONENG_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "XIAONENG_VAR": str(var),
        "DJANGO_SETTINGS_MODULE": "xiaoneng.settings",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.getenv("PYTHONPATH")])),
    }


def free_port(ports: range) -> int:
    """The first loopback port of ``ports`` nobody listens on (several benchmarks may run)."""
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def gunicorn_argv(port: int, workers: int, access_log: Path, extra: list[str]) -> list[str]:
    """gunicorn's command line as xiaoneng.core.management.commands.serve builds it.

    The access log goes to a file instead of the terminal.
    """
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "xiaoneng.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        str(access_log),
        "--graceful-timeout",
        "10",
        *extra,
    ]


def start(argv: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start the server with its errors in ``log`` (read it when it does not answer)."""
    with open(log, "w") as errors:
        return subprocess.Popen(argv, env=dict(env), stdout=subprocess.DEVNULL, stderr=errors)


def wait_until_answering(
    server: subprocess.Popen[bytes],
    port: int,
    path: str,
    *,
    log: Path,
    headers: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> None:
    """Poll ``GET path`` until it answers 200; raise if the server dies or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            probe.request("GET", path, headers=dict(headers or {}))
            status = probe.getresponse().status
            probe.close()
            if status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            raise RuntimeError(f"the server did not answer; see {log}")
        time.sleep(0.3)


def stop(server: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Stop the server (gunicorn stops its workers on SIGTERM); kill it if it hangs."""
    server.terminate()
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=timeout)


# -- /proc -----------------------------------------------------------------------------------


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, 0 when /proc does not show it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """The process and its descendants (gunicorn master and its workers)."""
    found = [pid]
    for tid in (p.name for p in Path(f"/proc/{pid}/task").glob("*")):
        try:
            children = Path(f"/proc/{pid}/task/{tid}/children").read_text().split()
        except OSError:
            continue
        for child in children:
            found.extend(tree(int(child)))
    return found


def status_kb(pid: int, key: str) -> int:
    """A field of /proc/<pid>/status in kB (VmRSS, VmHWM); 0 if the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def worker_kb(server_pid: int, key: str) -> int:
    """The largest ``key`` among the gunicorn workers (the master's descendants)."""
    return max((status_kb(p, key) for p in tree(server_pid)[1:]), default=0)


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q`` quantile by nearest rank; NaN when there is nothing to rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]
