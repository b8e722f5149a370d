"""The shape checks of the hotline forms: mainland mobile numbers, as people type them."""

from __future__ import annotations

import pytest
from django import forms
from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.hotline.forms import normalise_mobile

mobiles = st.builds(
    lambda second, rest: f"1{second}{rest}",
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)
noise = st.sampled_from(["", " ", "-", "  "])


@given(mobiles, noise, noise, st.sampled_from(["", "+86", "86", "+86 "]))
def test_a_valid_mobile_with_spaces_dashes_or_prefix_normalises_to_its_digits(
    number: str, sep1: str, sep2: str, prefix: str
) -> None:
    """Separators and a +86 prefix are dropped; the 11 digits remain."""
    typed = f"{prefix}{number[:3]}{sep1}{number[3:7]}{sep2}{number[7:]}"
    assert normalise_mobile(typed) == number


@given(st.text(alphabet="0123456789", min_size=1, max_size=15))
def test_only_eleven_digits_starting_13_to_19_pass(digits: str) -> None:
    """Any digit string passes exactly when it is (86 +) 1[3-9] and 9 more digits."""
    core = digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
    valid = len(core) == 11 and core[0] == "1" and core[1] in "3456789"
    if valid:
        assert normalise_mobile(digits) == core
    else:
        with pytest.raises(forms.ValidationError):
            normalise_mobile(digits)


def test_an_empty_number_is_allowed_and_the_error_names_what_arrived() -> None:
    """The phone is optional; a wrong one is quoted back in the message."""
    assert normalise_mobile("   ") == ""
    with pytest.raises(forms.ValidationError) as caught:
        normalise_mobile("12345")
    assert "got 12345" in caught.value.messages[0]
