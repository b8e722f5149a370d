"""Exactly-once sending against real commits and rollbacks (no captured callbacks)."""

from __future__ import annotations

import threading
import time
from typing import ClassVar

import pytest
from django.db import connection, transaction

from tests.clocks.factories import UserFactory
from xiaoneng.notifications import services
from xiaoneng.notifications.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


def test_committed_messages_are_sent_once_and_rolled_back_ones_never(sent):
    """A real commit runs the inline task once per SMS/email; a real rollback sends nothing."""
    user = UserFactory()
    with transaction.atomic():
        kept = services.notify(recipient=user, subject="Kept", body="")
        assert sent == []
    assert sorted(sent) == sorted((m.pk, m.channel) for m in kept[1:])

    with pytest.raises(RuntimeError), transaction.atomic():
        services.notify(recipient=user, subject="Dropped", body="")
        raise RuntimeError("rolled back")
    assert len(sent) == 2
    assert not Message.objects.filter(subject="Dropped").exists()


class SlowSender:
    """Takes a moment, so that a second worker arrives while the first holds the row."""

    calls: ClassVar[list[int]] = []

    def send(self, message: Message) -> None:
        SlowSender.calls.append(message.pk)
        time.sleep(0.3)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite locks the file)"
)
def test_two_workers_racing_for_one_message_send_it_once(settings):
    """Two workers run the task for one message at once: one sends, the other skips."""
    settings.NOTIFICATION_SENDERS = {"sms": "tests.notifications.test_transactions.SlowSender"}
    SlowSender.calls.clear()
    user = UserFactory()
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    (sms,) = services.notify(recipient=user, subject="Race", body="", channels=("sms",))
    results: list[str] = []

    def worker() -> None:
        try:
            results.append(services.message_send(message_id=sms.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["sent", "skipped"]
    assert SlowSender.calls == [sms.pk]
