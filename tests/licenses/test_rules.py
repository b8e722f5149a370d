"""Pure rules of e-licenses: identifiers, check characters, sealed content, masking."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.licenses import rules

CODE = "11330100002489110X"
codes = st.text(alphabet=rules.ALPHABET, min_size=18, max_size=18)
identifiers = st.builds(
    lambda owner, number, issuer, year, seq, version: rules.identifier_build(
        type_code=rules.type_code_build(owner, number),
        issuer_code=issuer,
        serial=rules.serial_format(year, seq),
        version=version,
    ),
    codes,
    st.integers(1, 999),
    codes,
    st.integers(2000, 2099),
    st.integers(1, 99_999_999),
    st.integers(1, 999),
)


def test_an_identifier_has_the_shape_of_domain_rules_section_9():
    """Prefix, type code (credit code + 3 digits), issuer, serial, version, one check char."""
    identifier = rules.identifier_build(
        type_code=CODE + "001", issuer_code=CODE, serial="202500000001", version=1
    )
    assert identifier.startswith(f"1.2.156.3005.2.{CODE}001.{CODE}.202500000001.001.")
    assert len(identifier.rsplit(".", 1)[1]) == 1
    parts = rules.identifier_parse(identifier)
    assert parts is not None and str(parts) == identifier


def test_the_check_char_is_iso_7064_mod_37_36_over_the_characters_without_dots():
    """The check char is MOD 37,36 of the body with the dots removed (stdnum's example)."""
    assert rules.check_char("A12425GABC1234002") == "M"
    assert rules.check_char("A1.2425.GABC.1234002") == "M"


@given(identifiers, st.data())
def test_any_single_character_change_is_detected(identifier, data):
    """Changing any one character of an identifier to any other makes it invalid."""
    assert rules.identifier_parse(identifier) is not None
    position = data.draw(st.integers(0, len(identifier) - 1))
    replacement = data.draw(
        st.sampled_from(rules.ALPHABET + ".-").filter(lambda c: c != identifier[position])
    )
    changed = identifier[:position] + replacement + identifier[position + 1 :]
    assert rules.identifier_parse(changed) is None
    assert rules.identifier_problem(changed) in {"shape", "check"}


def test_most_swaps_of_neighbouring_characters_are_detected():
    """MOD 37,36 catches a swap of two neighbours almost always, though not always."""
    identifier = rules.identifier_build(
        type_code=CODE + "001", issuer_code=CODE, serial="202500000001", version=1
    )
    swaps = [
        identifier[:i] + identifier[i + 1] + identifier[i] + identifier[i + 2 :]
        for i in range(len(identifier) - 1)
        if identifier[i] != identifier[i + 1]
    ]
    caught = sum(rules.identifier_parse(s) is None for s in swaps)
    assert caught / len(swaps) > 0.95


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1.2.156.3005.2",
        "1.2.156.3005.2.11330100002489110X001.11330100002489110X.202500000001.001",
        "1.2.156.3005.2.11330100002489110x001.11330100002489110X.202500000001.001.0",
        "2.2.156.3005.2.11330100002489110X001.11330100002489110X.202500000001.001.0",
        "1.2.156.3005.2.11330100002489110X01.11330100002489110X.202500000001.001.0",
        "1.2.156.3005.2.11330100002489110X001.11330100002489110X.202500000001.1.0",
        "x" * 500,
    ],
)
def test_malformed_identifiers_are_recognised_as_the_wrong_shape(text):
    """Missing parts, lowercase, a wrong prefix or wrong lengths are shape problems."""
    assert rules.identifier_parse(text) is None
    assert rules.identifier_problem(text) == "shape"


def test_building_refuses_parts_of_the_wrong_shape():
    """A short issuer code or an out-of-range version is refused with what was expected."""
    with pytest.raises(ValueError, match="issuer code"):
        rules.identifier_build(
            type_code=CODE + "001", issuer_code="123", serial="202500000001", version=1
        )
    with pytest.raises(ValueError, match="version"):
        rules.identifier_build(
            type_code=CODE + "001", issuer_code=CODE, serial="202500000001", version=1000
        )


def test_serials_are_the_year_and_an_eight_digit_sequence():
    """Serial = YYYY + zero-padded 8-digit sequence."""
    assert rules.serial_format(2025, 1) == "202500000001"
    with pytest.raises(ValueError):
        rules.serial_format(2025, 100_000_000)


@given(st.text(min_size=1, max_size=32))
def test_provisional_issuer_codes_are_18_identifier_chars_starting_with_z(code):
    """The stand-in is deterministic, 18 chars of the alphabet, and starts with Z (never USCC)."""
    made = rules.provisional_issuer_code(code)
    assert made == rules.provisional_issuer_code(code)
    assert len(made) == 18 and made[0] == "Z"
    assert all(c in rules.ALPHABET for c in made)
    assert not rules.is_credit_code_shape(made)


def _content(**overrides):
    fields = {
        "identifier": "id",
        "type_code": CODE + "001",
        "issuer_code": CODE,
        "serial": "202500000001",
        "version": 1,
        "department_name": "测试市市场监督管理局",
        "holder_name": "张三",
        "holder_code": "110101199003071234",
        "license_type_name": "食品经营许可证",
        "matter_code": "M1",
        "matter_name": "食品经营许可",
        "result_name": "食品经营许可证",
        "issued_on": dt.date(2025, 3, 5),
        "valid_until": None,
        "seal": "abc",
        "extra": {"b": 1, "a": ["x"]},
    }
    fields.update(overrides)
    return rules.LicenseContent(**fields)


def test_canonical_content_is_sorted_compact_utf8_json():
    """Keys sorted, no spaces, Chinese as UTF-8 bytes rather than escapes, dates as ISO."""
    data = _content().to_bytes()
    assert data.startswith(b'{"department_name":"')
    assert "张三".encode() in data and b"\\u" not in data
    assert b'"extra":{"a":["x"],"b":1}' in data
    assert b'"issued_on":"2025-03-05"' in data and b'"valid_until":null' in data
    assert b'"schema":"xiaoneng.license.v1"' in data
    assert b" " not in data.replace("测试市市场监督管理局".encode(), b"")


def test_canonical_content_does_not_depend_on_the_order_of_extra_keys():
    """Two dicts with the same items in another order seal to the same bytes."""
    a = _content(extra={"x": 1, "y": {"q": 2, "p": 3}}).to_bytes()
    b = _content(extra={"y": {"p": 3, "q": 2}, "x": 1}).to_bytes()
    assert a == b


def test_every_sealed_field_changes_the_content():
    """Changing any one field changes the bytes the seal covers."""
    base = _content().to_bytes()
    changes = {
        "holder_name": "张四",
        "holder_code": "110101199003071235",
        "result_name": "x",
        "issued_on": dt.date(2025, 3, 6),
        "valid_until": dt.date(2030, 1, 1),
        "version": 2,
        "seal": "abd",
        "department_name": "y",
        "extra": {},
    }
    for name, value in changes.items():
        assert _content(**{name: value}).to_bytes() != base, name


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"a": 1.5}, "floating-point"),
        ({"a": "x\x00"}, "NUL"),
        ({1: "x"}, "string keys"),
        ([], "JSON object"),
        ({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}, "levels"),
        ({"a": "长" * 2000}, "bytes"),
        ({"a": object()}, "JSON values"),
    ],
)
def test_extra_fields_that_would_not_survive_a_database_round_trip_are_refused(value, problem):
    """Floats, NULs, non-string keys, deep or large values are named as the problem."""
    assert problem in rules.extra_problem(value)


def test_plain_extra_fields_are_accepted():
    """Strings, integers, booleans, null, lists and objects of them are fine."""
    assert rules.extra_problem({"a": [1, True, None, "x", {"b": "c"}]}) == ""


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张", "*"),
        ("张三", "张*"),
        ("张三丰", "张*丰"),
        ("欧阳娜娜", "欧**娜"),
        ("测试市某某科技有限公司", "测试*****有限公司"),
        ("ABCDE", "AB**E"),
    ],
)
def test_holder_names_are_masked_for_the_public(name, masked):
    """Personal names keep the first (and last) character; long names keep head and tail."""
    assert rules.mask_holder_name(name) == masked


def test_fingerprints_are_grouped_uppercase_prefixes():
    """A fingerprint shows the first 16 hex digits in groups of four."""
    assert rules.fingerprint("0123456789abcdef0123") == "0123 4567 89AB CDEF"
