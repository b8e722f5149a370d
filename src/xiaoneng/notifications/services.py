"""Every write to the outbox: notify, send, retry, mark read.

:func:`notify` is what the other rooms call. It stores the messages in the caller's
transaction and queues the sending of SMS and email with ``transaction.on_commit``, so a
message about a change that rolls back is never sent, and the task (which may run in another
process) always finds its row. :func:`message_send` is the body of that task: it locks the row
(``select_for_update(skip_locked=True)``) and hands a *queued* message to its sender, so a
message is marked sent exactly once even when the task runs twice or two workers race.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.core.errors import InvalidInput, NotFound
from xiaoneng.core.masking import mask_text
from xiaoneng.core.services import audit_record
from xiaoneng.notifications import rules
from xiaoneng.notifications.models import Message, StateChoice
from xiaoneng.notifications.rules import MessageChannel, SendAction
from xiaoneng.notifications.senders import sender_for

logger = logging.getLogger("xiaoneng.notifications")

# Default for NOTIFICATION_MAX_ATTEMPTS: how often a failed message is tried in all before the
# retry sweep leaves it for a person to look at.
DEFAULT_MAX_ATTEMPTS = 5
# A message queued this long ago and still not sent has lost its task: the worker sends a
# queued message within seconds.
QUEUED_STALE_AFTER = dt.timedelta(minutes=10)

_ERROR_CHARS = 2000


def _full_clean(message: Message) -> None:
    try:
        # The recipient and related type are saved rows the caller handed us; checking that
        # they exist would cost a query per message and prove nothing. The check constraints
        # hold values this module sets itself, and the database enforces them on insert.
        message.full_clean(exclude=["recipient", "content_type"], validate_constraints=False)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        text = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
        raise InvalidInput(
            _("The message is not valid: %(errors)s") % {"errors": text},
            details={"errors": errors},
        ) from exc


def _enqueue_send(message_id: int) -> None:
    # Imported here: the task module imports this one.
    from xiaoneng.notifications.tasks import message_send as message_send_task

    message_send_task.enqueue(message_id=message_id)


def _queue_after_commit(message_id: int) -> None:
    # robust: a failure to queue (the task table unreachable) must not turn a committed
    # change into an error page; the row stays queued and messages_retry picks it up.
    transaction.on_commit(partial(_enqueue_send, message_id), robust=True)


def notify(
    *,
    recipient: Any,
    subject: str,
    body: str,
    related: models.Model | None = None,
    channels: Sequence[str] = rules.DEFAULT_CHANNELS,
    actor: Any | None = None,
) -> list[Message]:
    """Tell ``recipient`` something: one message per channel, sent after commit.

    Call it inside the transaction of the change the message is about. The rows are written
    in that transaction; SMS and email are queued for sending with ``transaction.on_commit``
    (the ``message_send`` task), so nothing is sent if the change rolls back. An in-site
    message is delivered by being stored (state ``sent`` at once).

    Args:
        recipient: the ``accounts.User`` to tell.
        subject: one line, at most 200 characters.
        body: the full text.
        related: the item the message is about (any saved model row), or ``None``.
        channels: any of ``"in_site"``, ``"sms"``, ``"email"``; each once.
        actor: who caused the message (``None`` for the system), for the audit trail.

    Returns:
        The stored messages, in the order of ``channels``.

    Raises:
        InvalidInput: a channel is unknown, the subject is empty or too long, or the
            recipient or related item is not saved.
    """
    wanted = rules.parse_channels(channels)
    if recipient is None or getattr(recipient, "pk", None) is None:
        raise InvalidInput(_("A message needs a saved recipient."))
    if related is not None and related.pk is None:
        raise InvalidInput(_("Save the related item before sending a message about it."))
    subject = (subject or "").strip()
    if not subject:
        raise InvalidInput(_("A message needs a subject."), details={"field": "subject"})
    content_type = ContentType.objects.get_for_model(related) if related is not None else None
    object_id = str(related.pk) if related is not None else ""
    now = timezone.now()
    messages: list[Message] = []
    with transaction.atomic():
        for channel in wanted:
            stored_is_delivered = rules.delivered_when_stored(channel)
            message = Message(
                recipient=recipient,
                channel=channel.value,
                subject=subject,
                body=body or "",
                content_type=content_type,
                object_id=object_id,
                created_at=now,
                state=StateChoice.SENT if stored_is_delivered else StateChoice.QUEUED,
                sent_at=now if stored_is_delivered else None,
            )
            _full_clean(message)
            message.save()
            messages.append(message)
        audit_record(
            actor=actor,
            action="notifications.notify",
            target=related if related is not None else messages[0],
            summary=_("Message to user %(user)s: %(subject)s")
            % {"user": recipient.pk, "subject": subject},
            data={
                "recipient": recipient.pk,
                "messages": [m.pk for m in messages],
                "channels": [c.value for c in wanted],
            },
        )
        for message in messages:
            if message.state == StateChoice.QUEUED:
                _queue_after_commit(message.pk)
    return messages


def message_send(*, message_id: int) -> str:
    """Hand one queued message to its channel's sender, at most once.

    The row is locked with ``select_for_update(skip_locked=True)`` and must still be
    ``queued``: a second run of the task, or a second worker holding the same id, finds it
    locked or no longer queued and does nothing. The sender is called inside that lock, so it
    is called at most once per delivery; if it raises, the message is marked ``failed`` with
    the error (masked) and can be retried.

    Returns:
        ``"sent"``, ``"failed"``, or ``"skipped"`` when there was nothing to send.
    """
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, state=StateChoice.QUEUED)
            .first()
        )
        if message is None:
            return "skipped"
        before = message.state
        now = timezone.now()
        try:
            # A savepoint, so a sender that writes to the database and fails leaves our
            # transaction usable for recording the failure.
            with transaction.atomic():
                sender_for(message.channel).send(message)
        except Exception as exc:
            message.state = rules.next_state(before, SendAction.FAIL).value
            message.last_error = mask_text(f"{type(exc).__name__}: {exc}")[:_ERROR_CHARS]
            logger.warning(
                "sending message %s (%s) failed: %s",
                message.pk,
                message.channel,
                message.last_error,
            )
        else:
            message.state = rules.next_state(before, SendAction.DELIVER).value
            message.sent_at = now
            message.last_error = ""
        message.attempts += 1
        message.save(update_fields=["state", "sent_at", "last_error", "attempts"])
        audit_record(
            actor=None,
            action="notifications.message_send",
            target=message,
            summary=_("Message %(id)s via %(channel)s: %(state)s")
            % {"id": message.pk, "channel": message.channel, "state": message.state},
            data={
                "from": before,
                "to": message.state,
                "attempts": message.attempts,
                "error": message.last_error,
            },
        )
    return str(message.state)


def _requeue(message: Message, *, actor: Any | None) -> None:
    before = message.state
    if before == StateChoice.FAILED:
        message.state = rules.next_state(before, SendAction.RETRY).value
        message.save(update_fields=["state"])
    audit_record(
        actor=actor,
        action="notifications.message_retry",
        target=message,
        summary=_("Message %(id)s queued again") % {"id": message.pk},
        data={"from": before, "to": message.state, "attempts": message.attempts},
    )
    _queue_after_commit(message.pk)


def message_retry(*, actor: Any | None, message: Message) -> Message:
    """Queue a failed message again, whatever its attempts (a person decided to retry).

    Raises:
        Conflict: the message is not failed (a queued one is on its way, a sent one is done).
    """
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        rules.next_state(locked.state, SendAction.RETRY)  # raises Conflict when not failed
        _requeue(locked, actor=actor)
    message.state = locked.state
    return locked


def messages_retry(
    *,
    actor: Any | None = None,
    max_attempts: int | None = None,
    queued_before: dt.datetime | None = None,
) -> int:
    """Queue again the messages that failed, and those whose sending was never queued.

    A failed message with fewer than ``max_attempts`` attempts (setting
    ``NOTIFICATION_MAX_ATTEMPTS``, default 5) goes back to ``queued``. A message still
    ``queued`` since before ``queued_before`` (its task was lost, e.g. the task table was
    unreachable at commit) is queued again as it is. Sending stays exactly-once: the task only
    sends a queued row, under a lock.

    Returns:
        How many messages were queued again.
    """
    limit = (
        max_attempts
        if max_attempts is not None
        else int(getattr(settings, "NOTIFICATION_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))
    )
    where = Q(state=StateChoice.FAILED, attempts__lt=limit)
    if queued_before is not None:
        where |= Q(state=StateChoice.QUEUED, created_at__lt=queued_before)
    count = 0
    with transaction.atomic():
        for message in Message.objects.select_for_update(skip_locked=True).filter(where):
            _requeue(message, actor=actor)
            count += 1
    return count


def messages_retry_due() -> int:
    """The scheduler's sweep: failed messages, and queued ones whose task was lost.

    A message still ``queued`` after ``QUEUED_STALE_AFTER`` has lost its task: e.g. the worker
    was killed while running it, and its task row stays "running" and is never run again.

    Returns:
        How many messages were queued again.
    """
    return messages_retry(queued_before=timezone.now() - QUEUED_STALE_AFTER)


def message_mark_read(*, actor: Any, message: Message) -> Message:
    """Mark an in-site message read by its recipient; reading it again changes nothing.

    Raises:
        NotFound: the actor is not the recipient, or the message is not an in-site message
            (the same answer as for a message that does not exist).
    """
    if (
        actor is None
        or message.recipient_id != getattr(actor, "pk", None)
        or message.channel != MessageChannel.IN_SITE
    ):
        raise NotFound(_("This message does not exist."))
    now = timezone.now()
    with transaction.atomic():
        # Conditional update: two tabs marking at once set read_at once, to the first time.
        changed = Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now)
        if changed:
            audit_record(
                actor=actor,
                action="notifications.message_mark_read",
                target=message,
                summary=_("Message %(id)s read") % {"id": message.pk},
            )
    message.refresh_from_db(fields=["read_at"])
    return message
