"""The outbox: one row per message to one person on one channel.

Rows only: the rules live in :mod:`xiaoneng.notifications.rules`, the writes in
:mod:`xiaoneng.notifications.services`. An in-site message is delivered by being stored; an
SMS or email row waits as ``queued`` until the task hands it to the channel's sender.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.notifications.rules import MessageChannel, MessageState


class ChannelChoice(models.TextChoices):
    """How a message reaches its recipient (values shared with :class:`rules.MessageChannel`)."""

    IN_SITE = MessageChannel.IN_SITE.value, _("in-site message")  # 站内信
    SMS = MessageChannel.SMS.value, _("SMS")  # 短信
    EMAIL = MessageChannel.EMAIL.value, _("email")  # 电子邮件


class StateChoice(models.TextChoices):
    """Where a message is on its way out (values shared with :class:`rules.MessageState`)."""

    QUEUED = MessageState.QUEUED.value, _("queued")  # 待发送
    SENT = MessageState.SENT.value, _("sent")  # 已发送
    FAILED = MessageState.FAILED.value, _("failed")  # 发送失败


class Message(models.Model):
    """One notice (通知) to one person on one channel: the outbox row and the inbox entry.

    Linked to what it concerns (an application, a rectification, a hotline ticket…) through
    ``content_type`` + ``object_id`` (text, so integer and UUID keys both work), so any room
    can notify without this room knowing its models.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="messages",
        # Covered by the (recipient, channel, created_at) index below.
        db_index=False,
        help_text=_("The person the message is for (接收人)."),
    )
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=ChannelChoice.choices,
        help_text=_("In-site message (站内信), SMS (短信) or email (电子邮件)."),
    )
    subject = models.CharField(
        _("subject"), max_length=200, help_text=_("One line saying what happened.")
    )
    body = models.TextField(
        _("body"),
        blank=True,
        default="",
        help_text=_("The full text; personal data in it is masked in every log line."),
    )
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("related item type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        help_text=_("The kind of item the message concerns (办件、整改、工单…), if any."),
    )
    object_id = models.CharField(
        _("related item id"),
        max_length=64,
        blank=True,
        default="",
        help_text=_("Primary key of the related item, as text; empty when there is none."),
    )
    related = GenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=StateChoice.choices,
        default=StateChoice.QUEUED,
        help_text=_(
            "Queued (待发送), sent (已发送) or failed (发送失败). An in-site message is sent "
            "when it is stored."
        ),
    )
    attempts = models.PositiveIntegerField(
        _("attempts"), default=0, help_text=_("How many times a sender was asked to send it.")
    )
    sent_at = models.DateTimeField(
        _("sent at"), null=True, blank=True, help_text=_("When a sender accepted it.")
    )
    read_at = models.DateTimeField(
        _("read at"),
        null=True,
        blank=True,
        help_text=_("When the recipient first opened it; in-site messages only."),
    )
    last_error = models.TextField(
        _("last error"),
        blank=True,
        default="",
        help_text=_("What the sender reported the last time sending failed."),
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The inbox: one person's in-site messages, newest first.
            models.Index(fields=["recipient", "channel", "-created_at"], name="message_inbox"),
            # The unread count: few rows are unread, so a partial index stays small.
            models.Index(
                fields=["recipient"],
                condition=Q(channel="in_site", read_at__isnull=True),
                name="message_unread",
            ),
            # Every notice about one item (an application's history).
            models.Index(fields=["content_type", "object_id"], name="message_related"),
            # Messages still waiting or failed, for a retry sweep.
            models.Index(
                fields=["state", "created_at"],
                condition=~Q(state="sent"),
                name="message_pending",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=[c.value for c in MessageChannel]),
                name="message_channel_known",
            ),
            models.CheckConstraint(
                condition=Q(state="sent", sent_at__isnull=False) | ~Q(state="sent"),
                name="message_sent_has_time",
            ),
            models.CheckConstraint(
                condition=Q(read_at__isnull=True) | Q(channel="in_site"),
                name="message_read_in_site_only",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient_id}: {self.subject}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
