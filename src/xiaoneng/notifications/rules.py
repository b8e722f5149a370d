"""Pure rules of notifications: channels, the sending state machine, channel lists.

No database here, so the rules are tested directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.core.errors import Conflict, InvalidInput


class MessageChannel(StrEnum):
    """How a message reaches a person: stored on the site, by SMS, or by email."""

    IN_SITE = "in_site"
    SMS = "sms"
    EMAIL = "email"


class MessageState(StrEnum):
    """Where a message is on its way out."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class SendAction(StrEnum):
    """What may happen to a message after it is queued."""

    DELIVER = "deliver"  # a sender accepted it
    FAIL = "fail"  # the sender raised
    RETRY = "retry"  # queued again after a failure


DEFAULT_CHANNELS: tuple[str, ...] = (
    MessageChannel.IN_SITE,
    MessageChannel.SMS,
    MessageChannel.EMAIL,
)

STATE_LABELS: Mapping[MessageState, Promise] = {
    MessageState.QUEUED: gettext_lazy("queued"),
    MessageState.SENT: gettext_lazy("sent"),
    MessageState.FAILED: gettext_lazy("failed"),
}

ACTION_LABELS: Mapping[SendAction, Promise] = {
    SendAction.DELIVER: gettext_lazy("deliver"),
    SendAction.FAIL: gettext_lazy("record a failure"),
    SendAction.RETRY: gettext_lazy("retry"),
}

# The sending state machine as data (STYLE.md habit 4). A sent message has no way out: that
# is what makes sending exactly-once — only a queued row can be delivered, and the task
# moves it out of queued under a row lock.
TRANSITIONS: Mapping[MessageState, Mapping[SendAction, MessageState]] = {
    MessageState.QUEUED: {
        SendAction.DELIVER: MessageState.SENT,
        SendAction.FAIL: MessageState.FAILED,
    },
    MessageState.FAILED: {SendAction.RETRY: MessageState.QUEUED},
    MessageState.SENT: {},
}


def next_state(state: MessageState | str, action: SendAction | str) -> MessageState:
    """The state ``action`` leads to from ``state``.

    Raises:
        Conflict: the action is not allowed in that state; the message names both.
    """
    current = MessageState(state)
    wanted = SendAction(action)
    to = TRANSITIONS[current].get(wanted)
    if to is None:
        allowed = ", ".join(str(ACTION_LABELS[a]) for a in TRANSITIONS[current]) or _("nothing")
        raise Conflict(
            _("The message is %(state)s, so it cannot %(action)s. Allowed now: %(allowed)s.")
            % {"state": STATE_LABELS[current], "action": ACTION_LABELS[wanted], "allowed": allowed},
            details={"state": current.value, "action": wanted.value},
        )
    return to


def parse_channels(channels: Iterable[str]) -> tuple[MessageChannel, ...]:
    """The channels asked for, known ones only, each once, in the order given.

    Raises:
        InvalidInput: a channel is unknown, or none is given.
    """
    if isinstance(channels, str):
        # A bare string is a common slip ("sms" iterates as "s", "m", "s"): take it as one.
        channels = (channels,)
    result: list[MessageChannel] = []
    known = ", ".join(c.value for c in MessageChannel)
    for raw in channels:
        try:
            channel = MessageChannel(raw)
        except ValueError:
            raise InvalidInput(
                _("A channel is one of %(known)s, got %(value)r.") % {"known": known, "value": raw},
                details={"channel": str(raw)},
            ) from None
        if channel not in result:
            result.append(channel)
    if not result:
        raise InvalidInput(
            _("Name at least one channel (%(known)s).") % {"known": known},
            details={"channels": []},
        )
    return tuple(result)


def delivered_when_stored(channel: MessageChannel | str) -> bool:
    """An in-site message is delivered by being stored; the others need a sender."""
    return MessageChannel(channel) == MessageChannel.IN_SITE
