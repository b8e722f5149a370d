"""Identity numbers, mobile numbers, tokens and lockouts: the pure rules (DOMAIN_RULES.md §10)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.accounts import rules
from xiaoneng.accounts.rules import (
    credit_code_check_char,
    lockout_until,
    resident_id_check_char,
    validate_credit_code,
    validate_mobile,
    validate_resident_id,
)
from xiaoneng.core.errors import InvalidInput

from .factories import credit_code, resident_id

TODAY = dt.date(2025, 6, 1)


def refusal(validate, value: str, **kwargs) -> InvalidInput:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as exc:
        validate(value, **kwargs)
    return exc.value


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


# --- Resident ID: examples ---------------------------------------------------------------------


def test_a_valid_resident_id_is_returned_as_is():
    """A checksum-valid number with a real region and birth date validates unchanged."""
    assert validate_resident_id("130102199001011237", today=TODAY) == "130102199001011237"


def test_the_library_example_with_x_validates():
    """python-stdnum's documented example with an X check character validates."""
    assert validate_resident_id("11010519491231002X", today=TODAY) == "11010519491231002X"


def test_input_is_normalised():
    """Blanks around, a lower-case x and full-width digits are read as the plain number."""
    assert validate_resident_id(" 11010519491231002x ", today=TODAY) == "11010519491231002X"
    assert validate_resident_id("１３０１０２１９９００１０１１２３７", today=TODAY) == (
        "130102199001011237"
    )


def test_wrong_length_says_expected_and_got():
    """Seventeen characters are refused with the count."""
    exc = refusal(validate_resident_id, "13010219900101123", today=TODAY)
    assert exc.message == "A resident ID number must have 18 characters; got 17."
    assert exc.details == {"field": "id_number", "reason": "length", "expected": 18, "got": 17}


def test_bad_character_names_its_position():
    """A letter among the digits is named with its position."""
    exc = refusal(validate_resident_id, "1301021990A1011237", today=TODAY)
    assert exc.message == (
        "A resident ID number is 17 digits followed by a digit or X; character 11 is “A”."
    )
    assert exc.details["position"] == 11


def test_x_is_allowed_only_last():
    """An X anywhere but the last place is a bad character."""
    exc = refusal(validate_resident_id, "13010219900101123X"[::-1], today=TODAY)
    assert exc.details["reason"] == "characters"
    assert exc.details["position"] == 1


def test_an_impossible_birth_date_is_refused():
    """30 February does not exist, whatever the check character."""
    exc = refusal(
        validate_resident_id, resident_id(born=dt.date(1990, 2, 1))[:10] + "0230" + "1237"
    )
    assert exc.message == "The birth date in the resident ID number, 1990-02-30, does not exist."


def test_a_birth_date_in_the_future_is_refused():
    """The library accepts 2099 (DOMAIN_RULES.md §10); we do not."""
    number = resident_id(born=dt.date(2099, 1, 1))
    exc = refusal(validate_resident_id, number, today=TODAY)
    assert exc.message == "The birth date in the resident ID number, 2099-01-01, is in the future."


def test_a_birth_date_tomorrow_is_refused_and_today_is_accepted():
    """The future starts tomorrow: a baby registered today has a valid number."""
    assert validate_resident_id(resident_id(born=TODAY), today=TODAY)
    exc = refusal(validate_resident_id, resident_id(born=TODAY + dt.timedelta(days=1)), today=TODAY)
    assert exc.details["reason"] == "birth_date"


def test_a_birth_date_before_1900_is_refused():
    """No living resident was born in the 1800s."""
    exc = refusal(validate_resident_id, resident_id(born=dt.date(1899, 12, 31)), today=TODAY)
    assert exc.message == "The birth date in the resident ID number, 1899-12-31, is before 1900."


def test_an_unknown_region_is_refused():
    """000000 is no administrative division."""
    exc = refusal(validate_resident_id, resident_id(region="000000"), today=TODAY)
    assert exc.message == (
        "The resident ID number starts with 000000, which is not a known region code."
    )


def test_a_region_newer_than_the_birth_year_is_accepted():
    """Codes are those of first registration (1984 on), not of birth: 130102 dates from 1983,
    yet someone born there in 1960 holds 130102…; python-stdnum alone would refuse it."""
    number = resident_id(region="130102", born=dt.date(1960, 1, 1))
    assert validate_resident_id(number, today=TODAY) == number


def test_residence_permit_regions_are_known():
    """Hong Kong, Macao and Taiwan residents' permits (830000 too) validate."""
    for region in ("810000", "820000", "830000"):
        assert validate_resident_id(resident_id(region=region), today=TODAY)


def test_wrong_check_character_says_expected_and_got():
    """The message gives the check character the first 17 digits call for."""
    exc = refusal(validate_resident_id, "130102199001011238", today=TODAY)
    assert exc.message == (
        "The check character of the resident ID number is wrong: expected 7, got 8."
    )
    assert exc.details == {
        "field": "id_number",
        "reason": "check_character",
        "expected": "7",
        "got": "8",
    }


def test_messages_are_in_the_users_language():
    """In Simplified Chinese the refusal reads in Chinese, with the same facts."""
    with translation.override("zh-hans"):
        exc = refusal(validate_resident_id, "130102199001011238", today=TODAY)
    assert exc.message == "公民身份号码的校验码不正确：应为 7，实为 8。"


# --- Resident ID: properties -------------------------------------------------------------------

REGIONS = ["110101", "110105", "130102", "130104", "310104", "440106", "510104", "830000"]
ID_CHARS = "0123456789XABZ -"


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(REGIONS))
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
    sequence = draw(st.integers(min_value=0, max_value=999))
    return resident_id(region=region, born=born, sequence=sequence)


@given(resident_ids())
def test_every_number_with_the_right_check_character_validates(number: str):
    """Any real region, any birth date from 1900 to today, any sequence: valid."""
    assert validate_resident_id(number, today=TODAY) == number


@given(resident_ids(), st.integers(min_value=0, max_value=17), st.sampled_from(ID_CHARS))
def test_any_single_character_change_is_refused(number: str, position: int, char: str):
    """MOD 11-2 catches every single substitution; the other checks catch the rest."""
    changed = number[:position] + char + number[position + 1 :]
    if changed == number:
        return
    with pytest.raises(InvalidInput):
        validate_resident_id(changed, today=TODAY)


def test_check_char_agrees_with_the_library():
    """Our helper gives the library's check character (including X)."""
    assert resident_id_check_char("11010519491231002") == "X"


# --- Credit code -----------------------------------------------------------------------------


def test_a_valid_credit_code_validates():
    """python-stdnum's documented example validates; input is normalised to capitals."""
    assert validate_credit_code("91110000600037341L") == "91110000600037341L"
    assert validate_credit_code(" 91110000600037341l ") == "91110000600037341L"


def test_credit_code_wrong_length():
    """A short code is refused with its length."""
    exc = refusal(validate_credit_code, "9111000060003734")
    assert exc.message == "A unified social credit code must have 18 characters; got 16."


def test_credit_code_letters_that_are_never_used():
    """I, O, S, V and Z are not in GB 32100's alphabet."""
    exc = refusal(validate_credit_code, "91110000600O37341L")
    assert exc.message == (
        "A unified social credit code has 8 digits, then 10 digits or capital letters other "
        "than I, O, S, V and Z; character 12 is “O”."
    )


def test_credit_code_region_part_is_digits():
    """Characters 3 to 8 are a region code, digits only."""
    exc = refusal(validate_credit_code, "9111A000600037341L")
    assert exc.details == {
        "field": "credit_code",
        "reason": "characters",
        "position": 5,
        "got": "A",
    }


def test_credit_code_wrong_check_character():
    """The message gives the check character the first 17 call for."""
    exc = refusal(validate_credit_code, "91110000600037341M")
    assert exc.message == (
        "The check character of the unified social credit code is wrong: expected L, got M."
    )


CODE_CHARS = rules.CREDIT_CODE_ALPHABET + "IOSVZ -"


@st.composite
def credit_codes(draw: st.DrawFn) -> str:
    head = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    organisation = draw(st.text(alphabet=rules.CREDIT_CODE_ALPHABET, min_size=9, max_size=9))
    return credit_code(organisation=organisation, region=head)


@given(credit_codes())
def test_every_code_with_the_right_check_character_validates(code: str):
    """Any digits and alphabet letters, completed with their check character: valid."""
    assert validate_credit_code(code) == code


@given(credit_codes(), st.integers(min_value=0, max_value=17), st.sampled_from(CODE_CHARS))
def test_any_single_change_to_a_credit_code_is_refused(code: str, position: int, char: str):
    """MOD 31 with weights prime to 31 catches every substitution within the alphabet."""
    changed = code[:position] + char + code[position + 1 :]
    if changed == code:
        return
    with pytest.raises(InvalidInput):
        validate_credit_code(changed)


def test_credit_check_char_agrees_with_the_library():
    """Our helper gives the library's check character."""
    assert credit_code_check_char("91110000600037341") == "L"


# --- Mobile numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["13812345678", "+86 138 1234 5678", "0086-138-1234-5678", "１３８１２３４５６７８"]
)
def test_mobile_numbers_are_normalised(value: str):
    """Spaces, hyphens, a +86 prefix and full-width digits are accepted."""
    assert validate_mobile(value) == "13812345678"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1381234567", "A mainland mobile number must have 11 digits; got 10."),
        ("12812345678", "A mainland mobile number starts with 13 to 19; got 12."),
        ("1381234567a", "A mobile number has only digits; character 11 is “a”."),
        ("010-12345678", "A mainland mobile number starts with 13 to 19; got 01."),
    ],
)
def test_bad_mobile_numbers_say_what_is_wrong(value: str, message: str):
    """Length, prefix and stray characters each have their own message."""
    assert refusal(validate_mobile, value).message == message


# --- Tokens and lockouts ---------------------------------------------------------------------


def test_token_hash_is_sha256_hex():
    """Tokens are stored as a 64-character SHA-256 digest."""
    digest = rules.token_hash("xn_abc")
    assert len(digest) == 64 and digest != "xn_abc"


def test_token_state():
    """Revoked wins over expired; a token expires at its expiry instant."""
    at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    assert rules.token_state(expires_at=at, revoked_at=None, now=at - dt.timedelta(1)) == "active"
    assert rules.token_state(expires_at=at, revoked_at=None, now=at) == "expired"
    assert rules.token_state(expires_at=at, revoked_at=at, now=at - dt.timedelta(1)) == "revoked"


T0 = dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
POLICY = {"limit": 5, "window": 15 * MIN, "lockout": 15 * MIN}


def test_five_failures_in_fifteen_minutes_lock_for_fifteen_minutes():
    """The fifth failure within the window starts a 15-minute lockout."""
    failures = [T0 + i * MIN for i in range(5)]
    assert lockout_until(failures, now=T0 + 4 * MIN, **POLICY) == T0 + 19 * MIN
    assert lockout_until(failures, now=T0 + 18 * MIN, **POLICY) == T0 + 19 * MIN
    assert lockout_until(failures, now=T0 + 19 * MIN, **POLICY) is None


def test_four_failures_do_not_lock():
    """Below the limit nothing is locked."""
    assert lockout_until([T0 + i * MIN for i in range(4)], now=T0 + 5 * MIN, **POLICY) is None


def test_failures_spread_over_more_than_the_window_do_not_lock():
    """Five failures over 20 minutes never have five in one 15-minute window."""
    failures = [T0 + i * 5 * MIN for i in range(5)]
    assert lockout_until(failures, now=T0 + 20 * MIN, **POLICY) is None


def test_counting_starts_afresh_after_a_lockout():
    """The first failure after a lockout does not lock again by itself."""
    failures = [T0 + i * MIN for i in range(5)] + [T0 + 19 * MIN]
    assert lockout_until(failures, now=T0 + 19 * MIN, **POLICY) is None


@given(st.lists(st.integers(min_value=0, max_value=120), max_size=4))
def test_fewer_failures_than_the_limit_never_lock(minutes: list[int]):
    """However they fall, four failures never start a lockout."""
    failures = [T0 + m * MIN for m in minutes]
    assert lockout_until(failures, now=T0 + 60 * MIN, **POLICY) is None
