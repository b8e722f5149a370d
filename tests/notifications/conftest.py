"""Fixtures of the notification tests: English messages, recording senders, a recipient."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from tests.notifications.fakes import RECORDING, FailingSender, RecordingSender


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English, so assertions on their wording do not depend on compiled .mo."""
    with translation.override("en"):
        yield


@pytest.fixture
def sent(settings) -> Iterator[list[tuple[int, str]]]:  # type: ignore[no-untyped-def]
    """SMS and email go to a recording sender; yields the list of (message id, channel) sent."""
    settings.NOTIFICATION_SENDERS = {"sms": RECORDING, "email": RECORDING}
    RecordingSender.calls.clear()
    FailingSender.calls = 0
    yield RecordingSender.calls
    RecordingSender.calls.clear()
