"""Reads of messages: a person's inbox, the unread count, one message, an item's notices."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from xiaoneng.core.errors import NotFound
from xiaoneng.notifications.models import ChannelChoice, Message


def message_inbox(*, user: Any, unread_only: bool = False) -> QuerySet[Message]:
    """The in-site messages of ``user``, newest first (nothing for an anonymous user)."""
    if not getattr(user, "is_authenticated", False):
        return Message.objects.none()
    qs = Message.objects.filter(recipient_id=user.pk, channel=ChannelChoice.IN_SITE)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.select_related("content_type").order_by("-created_at", "-id")


def message_unread_count(*, user: Any) -> int:
    """How many in-site messages ``user`` has not opened yet."""
    return message_inbox(user=user, unread_only=True).count()


def message_for_user(user: Any, message_id: int | str) -> Message:
    """One in-site message of ``user``: the access function every view uses.

    Raises:
        NotFound: no such message, or it is someone else's, or it is not an in-site message
            (the three answer the same, so ids cannot be probed).
    """
    try:
        pk = int(message_id)
    except (TypeError, ValueError):
        raise NotFound(_("This message does not exist.")) from None
    message = message_inbox(user=user).filter(pk=pk).first()
    if message is None:
        raise NotFound(_("This message does not exist."))
    return message


def messages_of_item(*, item: models.Model) -> QuerySet[Message]:
    """Every message about ``item`` on every channel, oldest first (an item's notice history)."""
    return (
        Message.objects.filter(
            content_type=ContentType.objects.get_for_model(item), object_id=str(item.pk)
        )
        .select_related("recipient")
        .order_by("created_at", "id")
    )
