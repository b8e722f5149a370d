"""Personal data is masked in text shown to people and in logs (DOMAIN_RULES.md §10)."""

import logging

from xiaoneng.core.masking import MaskPersonalDataFilter, mask_id_number, mask_phone, mask_text


def test_id_number_keeps_first_six_and_last_four():
    """A resident ID shows its region code and last four characters only."""
    assert mask_id_number("130102199003071234") == "130102********1234"


def test_phone_keeps_first_three_and_last_four():
    """A mobile number shows 3 + 4 digits."""
    assert mask_phone("13812345678") == "138****5678"


def test_free_text_masks_every_number():
    """Both kinds of number are masked wherever they appear in a sentence."""
    text = "申请人 13010219900307123X 电话13812345678 已受理"
    assert mask_text(text) == "申请人 130102********123X 电话138****5678 已受理"


def test_log_filter_masks_formatted_message():
    """A log line built with %-arguments is masked after formatting."""
    record = logging.LogRecord("x", logging.INFO, "f", 1, "call %s", ("13812345678",), None)
    MaskPersonalDataFilter().filter(record)
    assert record.getMessage() == "call 138****5678"
