"""Settings for the soak run (scripts/soak.py): the platform's own, plus a counting sender.

The soak checks that every queued SMS or email is handed to its sender exactly once, even
when the task worker is killed with SIGKILL. The message row's ``attempts`` is written in the
same transaction as the send, so it cannot see a send whose transaction was lost; the
:class:`CountingSender` below writes one line per call to ``SOAK_SEND_LOG`` *before* the
transaction commits (``O_APPEND``, one ``write`` per line, which the kernel keeps even if the
process dies right after), so a message handed over twice shows up as two lines.
"""

from __future__ import annotations

import os
import time
from typing import Any

from xiaoneng.settings import *  # noqa: F403 - the platform's settings, unchanged

NOTIFICATION_SENDERS = {
    "sms": "soak_settings.CountingSender",
    "email": "soak_settings.CountingSender",
}


class CountingSender:
    """Accepts every message and appends ``<message id> <channel> <unix time>`` to
    ``SOAK_SEND_LOG`` (the time tells a repeat after a worker kill from a double send).

    ``SOAK_SEND_DELAY_MS`` (default 0) makes each call wait that long first, as a gateway's
    round trip would: the worker then spends most of a task inside it, so a SIGKILL of the
    worker usually lands in the middle of a task.
    """

    def send(self, message: Any) -> None:
        time.sleep(int(os.environ.get("SOAK_SEND_DELAY_MS", "0")) / 1000)
        path = os.environ.get("SOAK_SEND_LOG")
        if not path:
            raise RuntimeError("SOAK_SEND_LOG is not set: the soak run sets it to a file path")
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{message.pk} {message.channel} {time.time():.3f}\n".encode("ascii"))
        finally:
            os.close(fd)
