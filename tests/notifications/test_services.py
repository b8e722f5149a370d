"""notify() and the sending task: rows in the caller's transaction, sent after commit, once."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction

from tests.clocks.factories import DepartmentFactory, UserFactory
from tests.notifications.fakes import FAILING, FailingSender
from xiaoneng.core.errors import Conflict, InvalidInput, NotFound
from xiaoneng.core.models import AuditEvent
from xiaoneng.notifications import selectors, services, tasks
from xiaoneng.notifications.models import Message

pytestmark = pytest.mark.django_db


def test_notify_stores_one_row_per_channel_linked_to_the_item(
    sent, django_capture_on_commit_callbacks
):
    """Three channels give three rows about the item; in-site is delivered by being stored."""
    user = UserFactory()
    item = DepartmentFactory()
    with django_capture_on_commit_callbacks(execute=True):
        messages = services.notify(
            recipient=user, subject="Accepted", body="Your case", related=item
        )
    assert [m.channel for m in messages] == ["in_site", "sms", "email"]
    assert all(m.related == item for m in messages)
    in_site = Message.objects.get(channel="in_site")
    assert in_site.state == "sent" and in_site.sent_at is not None and in_site.attempts == 0
    assert list(selectors.messages_of_item(item=item)) == messages
    assert AuditEvent.objects.filter(action="notifications.notify").count() == 1


def test_sms_and_email_are_sent_only_after_commit(sent, django_capture_on_commit_callbacks):
    """Nothing is sent while the caller's transaction is open; each is sent once at commit."""
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        messages = services.notify(recipient=user, subject="Accepted", body="")
        assert sent == []
        assert Message.objects.filter(state="queued").count() == 2
    assert len(callbacks) == 2
    assert sorted(sent) == sorted((m.pk, m.channel) for m in messages[1:])
    assert set(Message.objects.values_list("state", flat=True)) == {"sent"}
    assert set(Message.objects.values_list("attempts", flat=True)) == {0, 1}


def test_running_the_send_task_twice_sends_once(sent, django_capture_on_commit_callbacks):
    """A second run of the task for the same message finds it sent and calls no sender."""
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        (sms,) = services.notify(recipient=user, subject="Hello", body="", channels=["sms"])
    assert len(sent) == 1
    result = tasks.message_send.enqueue(message_id=sms.pk)
    assert result.return_value == "skipped"
    assert services.message_send(message_id=sms.pk) == "skipped"
    assert sent == [(sms.pk, "sms")]
    sms.refresh_from_db()
    assert sms.state == "sent" and sms.attempts == 1
    assert AuditEvent.objects.filter(action="notifications.message_send").count() == 1


def test_a_message_queued_in_a_rolled_back_transaction_is_never_sent(
    sent, django_capture_on_commit_callbacks
):
    """The change rolls back: its messages vanish and their sending is never queued."""
    user = UserFactory()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.notify(recipient=user, subject="Approved", body="")
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert sent == []
    assert not Message.objects.exists()


def test_a_failing_sender_marks_the_message_failed_with_a_masked_error(
    settings, django_capture_on_commit_callbacks, caplog
):
    """The sender raises: failed, one attempt, the error kept with the phone number masked."""
    settings.NOTIFICATION_SENDERS = {"sms": FAILING}
    FailingSender.calls = 0
    user = UserFactory()
    with (
        caplog.at_level(logging.WARNING, "xiaoneng.notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        (sms,) = services.notify(recipient=user, subject="Hi", body="", channels=("sms",))
    sms.refresh_from_db()
    assert sms.state == "failed" and sms.attempts == 1 and sms.sent_at is None
    assert "138****5678" in sms.last_error and "13812345678" not in sms.last_error
    assert "13812345678" not in caplog.text


def test_failed_messages_are_retried_until_the_attempt_limit(
    settings, sent, django_capture_on_commit_callbacks
):
    """The sweep queues a failed message again below the limit and leaves it at the limit."""
    settings.NOTIFICATION_SENDERS = {"sms": FAILING}
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        (sms,) = services.notify(recipient=user, subject="Hi", body="", channels=("sms",))
    assert services.messages_retry(max_attempts=1) == 0

    settings.NOTIFICATION_SENDERS = {"sms": "tests.notifications.fakes.RecordingSender"}
    with django_capture_on_commit_callbacks(execute=True):
        assert services.messages_retry(max_attempts=2) == 1
    sms.refresh_from_db()
    assert sms.state == "sent" and sms.attempts == 2 and sms.last_error == ""
    assert sent == [(sms.pk, "sms")]


def test_a_person_may_retry_only_a_failed_message(
    settings, sent, django_capture_on_commit_callbacks
):
    """message_retry on a failed message queues it; on a sent one it is a conflict."""
    settings.NOTIFICATION_SENDERS = {"email": FAILING}
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        (mail,) = services.notify(recipient=user, subject="Hi", body="", channels=("email",))
    settings.NOTIFICATION_SENDERS = {"email": "tests.notifications.fakes.RecordingSender"}
    with django_capture_on_commit_callbacks(execute=True):
        services.message_retry(actor=None, message=mail)
    mail.refresh_from_db()
    assert mail.state == "sent"
    with pytest.raises(Conflict, match="The message is sent, so it cannot retry"):
        services.message_retry(actor=None, message=mail)


def test_the_console_sender_logs_one_masked_line(
    settings, django_capture_on_commit_callbacks, caplog
):
    """The default sender writes one line per message with identity and phone numbers masked."""
    settings.NOTIFICATION_SENDERS = {}
    user = UserFactory()
    with (
        caplog.at_level(logging.INFO, "xiaoneng.notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.notify(
            recipient=user,
            subject="申请人 110101199003074514",
            body="电话 13912345678",
            channels=("sms",),
        )
    lines = [r.getMessage() for r in caplog.records if r.name == "xiaoneng.notifications"]
    assert len(lines) == 1
    assert "110101********4514" in lines[0] and "139****5678" in lines[0]
    assert "199003074514" not in lines[0] and "13912345678" not in lines[0]


def test_the_outbox_only_sender_marks_sent_without_sending(
    settings, django_capture_on_commit_callbacks
):
    """OutboxOnlySender accepts the message: the row is the delivery."""
    settings.NOTIFICATION_SENDERS = {"email": "xiaoneng.notifications.senders.OutboxOnlySender"}
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        (mail,) = services.notify(recipient=user, subject="Hi", body="", channels=("email",))
    mail.refresh_from_db()
    assert mail.state == "sent"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"channels": ("fax",)}, "A channel is one of in_site, sms, email, got 'fax'."),
        ({"channels": ()}, "Name at least one channel"),
        ({"subject": "  "}, "A message needs a subject."),
        ({"subject": "x" * 201}, "subject"),
    ],
)
def test_notify_refuses_bad_input(kwargs, message):
    """Unknown or no channels, an empty or too long subject: InvalidInput saying which."""
    user = UserFactory()
    arguments = {"recipient": user, "subject": "Hello", "body": "", **kwargs}
    with pytest.raises(InvalidInput, match=message):
        services.notify(**arguments)
    assert not Message.objects.exists()


def test_only_the_recipient_marks_a_message_read_and_only_once(sent):
    """The recipient marks it read (the first time stays); anyone else gets NotFound."""
    user, other = UserFactory(), UserFactory()
    (message,) = services.notify(recipient=user, subject="Hi", body="", channels=("in_site",))
    assert selectors.message_unread_count(user=user) == 1
    with pytest.raises(NotFound):
        services.message_mark_read(actor=other, message=message)
    services.message_mark_read(actor=user, message=message)
    first = message.read_at
    assert first is not None
    services.message_mark_read(actor=user, message=message)
    assert message.read_at == first
    assert selectors.message_unread_count(user=user) == 0
    assert AuditEvent.objects.filter(action="notifications.message_mark_read").count() == 1


def test_an_sms_cannot_be_marked_read(sent, django_capture_on_commit_callbacks):
    """Read receipts are for in-site messages; an SMS answers as if it did not exist."""
    user = UserFactory()
    (sms,) = services.notify(recipient=user, subject="Hi", body="", channels=("sms",))
    with pytest.raises(NotFound):
        services.message_mark_read(actor=user, message=sms)


def test_channels_left_out_of_the_setting_keep_the_default_sender(
    settings, django_capture_on_commit_callbacks, caplog
):
    """Naming only SMS keeps email on the console sender."""
    settings.NOTIFICATION_SENDERS = {"sms": "xiaoneng.notifications.senders.OutboxOnlySender"}
    user = UserFactory()
    with (
        caplog.at_level(logging.INFO, "xiaoneng.notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.notify(recipient=user, subject="Both", body="", channels=("sms", "email"))
    lines = [r.getMessage() for r in caplog.records if r.name == "xiaoneng.notifications"]
    assert len(lines) == 1 and lines[0].startswith("email to user")
    assert set(Message.objects.values_list("state", flat=True)) == {"sent"}


def test_a_stale_queued_message_whose_task_was_lost_is_queued_again(
    sent, django_capture_on_commit_callbacks
):
    """A message still queued past the cut-off (its task lost) is sent by the retry sweep."""
    import datetime as dt

    from django.utils import timezone

    user = UserFactory()
    # Without the captured callbacks the task is never queued: as if the queue was lost.
    (sms,) = services.notify(recipient=user, subject="Lost", body="", channels=("sms",))
    assert sent == []
    with django_capture_on_commit_callbacks(execute=True):
        assert services.messages_retry(queued_before=timezone.now() - dt.timedelta(minutes=10)) == 0
        assert services.messages_retry(queued_before=timezone.now() + dt.timedelta(seconds=1)) == 1
    assert sent == [(sms.pk, "sms")]
