"""Pluggable senders: how an SMS or an email leaves the platform.

Which class sends which channel is read from the setting ``NOTIFICATION_SENDERS``, a dict of
channel → dotted path; by default both SMS and email go to :class:`ConsoleSender` ("an
outbox table and the console"). A deployment plugs in its SMS gateway or mail relay by
naming a class that follows :class:`Sender`::

    NOTIFICATION_SENDERS = {
        "sms": "myprovince.sms.GatewaySender",
        "email": "xiaoneng.notifications.senders.OutboxOnlySender",
    }

A sender raises any exception to report a failure; the message is then marked ``failed`` with
the exception's text in ``last_error``. Senders are called with the message row locked, at
most once per message (see :func:`xiaoneng.notifications.services.message_send`); a gateway
that takes an idempotency key should be given ``message.pk``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

from xiaoneng.core.masking import mask_text

if TYPE_CHECKING:
    from xiaoneng.notifications.models import Message

logger = logging.getLogger("xiaoneng.notifications")

DEFAULT_SENDERS: dict[str, str] = {
    "sms": "xiaoneng.notifications.senders.ConsoleSender",
    "email": "xiaoneng.notifications.senders.ConsoleSender",
}

# Log lines carry the start of the body only: enough to recognise a message, not a letter.
_LOG_BODY_CHARS = 80


@runtime_checkable
class Sender(Protocol):
    """Sends one message on its channel; raises to report a failure."""

    def send(self, message: Message) -> None: ...


class ConsoleSender:
    """Writes one masked line per message to the log (the development default).

    Identity and mobile numbers in the subject and body are masked
    (:func:`xiaoneng.core.masking.mask_text`) before the line is written, not only by the
    logging filter, so a handler configured without the filter still gets masked text.
    """

    def send(self, message: Message) -> None:
        body = " ".join(message.body.split())[:_LOG_BODY_CHARS]
        logger.info(
            "%s to user %s (message %s): %s — %s",
            message.channel,
            message.recipient_id,
            message.pk,
            mask_text(message.subject),
            mask_text(body),
        )


class OutboxOnlySender:
    """Accepts every message and sends nothing: the outbox row is the delivery.

    For deployments where another system reads the outbox table, or where a channel is
    switched off but the record should still say what would have been sent.
    """

    def send(self, message: Message) -> None:
        return None


def sender_for(channel: str) -> Sender:
    """The sender configured for ``channel``: ``NOTIFICATION_SENDERS`` over the defaults.

    Raises:
        LookupError: no sender is configured for the channel.
        ImportError: the configured path does not name a class.
    """
    # A deployment that names only some channels keeps the defaults for the others.
    configured = {**DEFAULT_SENDERS, **(getattr(settings, "NOTIFICATION_SENDERS", None) or {})}
    path = configured.get(channel)
    if not path:
        raise LookupError(f"No sender is configured for the channel {channel!r}")
    sender_class = import_string(path)
    sender: Sender = sender_class()
    return sender
