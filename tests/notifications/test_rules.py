"""Pure notification rules: channel lists and the sending state machine."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.core.errors import Conflict, InvalidInput
from xiaoneng.notifications import rules
from xiaoneng.notifications.rules import MessageChannel, MessageState, SendAction


def test_channels_are_kept_in_order_each_once():
    """Duplicates are dropped, the order given is kept, a bare string is one channel."""
    assert rules.parse_channels(["sms", "in_site", "sms"]) == (
        MessageChannel.SMS,
        MessageChannel.IN_SITE,
    )
    assert rules.parse_channels("email") == (MessageChannel.EMAIL,)
    assert rules.parse_channels(rules.DEFAULT_CHANNELS) == tuple(MessageChannel)


@pytest.mark.parametrize("channels", [[], ["fax"], ["sms", "wechat"]])
def test_unknown_or_no_channels_are_refused(channels):
    """An unknown channel or an empty list is InvalidInput."""
    with pytest.raises(InvalidInput):
        rules.parse_channels(channels)


def test_only_in_site_is_delivered_by_being_stored():
    """In-site messages need no sender; SMS and email do."""
    assert rules.delivered_when_stored("in_site")
    assert not rules.delivered_when_stored("sms")
    assert not rules.delivered_when_stored("email")


def test_a_queued_message_is_delivered_or_fails_and_a_failed_one_is_retried():
    """queued → sent | failed; failed → queued."""
    assert rules.next_state("queued", "deliver") == MessageState.SENT
    assert rules.next_state("queued", "fail") == MessageState.FAILED
    assert rules.next_state("failed", "retry") == MessageState.QUEUED


@given(st.sampled_from(list(SendAction)))
def test_a_sent_message_never_moves_again(action):
    """Whatever is asked of a sent message is a conflict: that is what makes sending once."""
    with pytest.raises(Conflict):
        rules.next_state(MessageState.SENT, action)


@given(st.lists(st.sampled_from(list(SendAction)), max_size=12))
def test_every_path_delivers_at_most_once(actions):
    """Along any sequence of allowed actions, deliver happens at most once."""
    state = MessageState.QUEUED
    delivered = 0
    for action in actions:
        if action not in rules.TRANSITIONS[state]:
            continue
        state = rules.next_state(state, action)
        delivered += action == SendAction.DELIVER
    assert delivered <= 1
