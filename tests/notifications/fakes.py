"""Senders for tests: one that records every call, one that always fails."""

from __future__ import annotations

from typing import ClassVar

from xiaoneng.notifications.models import Message


class RecordingSender:
    """Remembers the id and channel of every message it was asked to send."""

    calls: ClassVar[list[tuple[int, str]]] = []

    def send(self, message: Message) -> None:
        RecordingSender.calls.append((message.pk, message.channel))


class FailingSender:
    """Always fails, with a mobile number in the error to check that it is masked."""

    calls: ClassVar[int] = 0

    def send(self, message: Message) -> None:
        FailingSender.calls += 1
        raise ConnectionError("gateway refused 13812345678")


RECORDING = "tests.notifications.fakes.RecordingSender"
FAILING = "tests.notifications.fakes.FailingSender"
