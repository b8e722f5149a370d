"""Pure rules of the accounts room: identity numbers, mobile numbers, tokens, login throttling.

No database here. Identity numbers follow DOMAIN_RULES.md §10: the resident ID number
(公民身份号码, GB 11643) and the unified social credit code (统一社会信用代码, GB 32100) are
checked with python-stdnum's tables and check-character algorithms, plus the sanity checks
the library leaves out (a birth date that is real, not in the future and not before 1900).

Every refusal is an :class:`~xiaoneng.core.errors.InvalidInput` whose message, in the user's
language, says exactly what was expected and what arrived; ``details`` carries the same facts
for programs (``field``, ``reason`` and, where they apply, ``expected`` / ``got``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Callable, Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import numdb
from stdnum.cn import ric, uscc

from xiaoneng.core.errors import InvalidInput

IDENTITY_LENGTH = 18
EARLIEST_BIRTH_YEAR = 1900
# GB 32100 check-character alphabet: digits and capitals without I, O, S, V, Z.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Region codes of the residence permits for Hong Kong, Macao and Taiwan residents
# (港澳台居民居住证, 2018): 810000 / 820000 / 830000. stdnum's table lacks 830000.
PERMIT_REGION_CODES = frozenset({"810000", "820000", "830000"})

# A check that returns the normalised value or raises InvalidInput.
Validator = Callable[[str], str]


def _normalise(value: str) -> str:
    """Full-width characters to ASCII (NFKC), surrounding blanks removed, letters upper-case.

    People type identity numbers with Chinese input methods, which often produce full-width
    digits (``１３０１``) and a lower-case or full-width ``ｘ``; those are the same number.
    """
    return unicodedata.normalize("NFKC", value).strip().upper()


def _show(char: str) -> str:
    """A character as it can be shown in a message: itself, or its code point if invisible."""
    if char.isprintable() and not char.isspace():
        return char
    return f"U+{ord(char):04X}"


def _invalid(message: str, field: str, reason: str, **facts: object) -> InvalidInput:
    return InvalidInput(message, details={"field": field, "reason": reason, **facts})


# --- Resident ID number (GB 11643) -------------------------------------------------------


def resident_id_check_char(first17: str) -> str:
    """The check character (ISO 7064 MOD 11-2) that completes 17 digits to a resident ID."""
    return str(ric.calc_check_digit(first17 + "0"))


def _region_is_known(region: str) -> bool:
    """Whether a six-digit administrative division code ever existed, in any period.

    python-stdnum also requires the code to have existed in the birth year; we do not, because
    the code is the one of the place of first registration (from 1984), not of birth: a person
    born in 1960 in Shijiazhuang's Chang'an district (a code from 1983) rightly holds 130102….
    """
    if region in PERMIT_REGION_CODES:
        return True
    info: dict[str, str] = {}
    for _part, props in numdb.get("cn/loc").info(region):
        info.update(props)
    return bool(info.get("province")) and bool(info.get("county"))


def validate_resident_id(value: str, *, today: dt.date | None = None) -> str:
    """Check a resident ID number and return it normalised (DOMAIN_RULES.md §10, GB 11643).

    The number has 18 characters: a six-digit region code, the birth date ``YYYYMMDD``, a
    three-digit sequence and a check character (a digit or ``X``, ISO 7064 MOD 11-2). The birth
    date must be a real date, not after ``today`` and not before 1900; the region code must be
    one that has existed.

    Args:
        value: the number as typed; blanks around it are ignored, full-width characters are
            read as their ASCII forms, a lower-case ``x`` as ``X``.
        today: the day to compare the birth date with; defaults to today in the platform's
            time zone.

    Returns:
        The normalised 18-character number.

    Raises:
        InvalidInput: with a message saying what is wrong — the length, a character that
            does not belong, the birth date, the region code or the check character.
    """
    number = _normalise(value)
    field = "id_number"
    if len(number) != IDENTITY_LENGTH:
        raise _invalid(
            _("A resident ID number must have 18 characters; got %(count)d.")
            % {"count": len(number)},
            field,
            "length",
            expected=IDENTITY_LENGTH,
            got=len(number),
        )
    for position, char in enumerate(number, start=1):
        allowed = "0123456789X" if position == IDENTITY_LENGTH else "0123456789"
        if char not in allowed:
            raise _invalid(
                _(
                    "A resident ID number is 17 digits followed by a digit or X; "
                    "character %(position)d is “%(char)s”."
                )
                % {"position": position, "char": _show(char)},
                field,
                "characters",
                position=position,
                got=_show(char),
            )
    shown = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise _invalid(
            _("The birth date in the resident ID number, %(date)s, does not exist.")
            % {"date": shown},
            field,
            "birth_date",
            got=shown,
        ) from None
    if birth.year < EARLIEST_BIRTH_YEAR:
        raise _invalid(
            _("The birth date in the resident ID number, %(date)s, is before 1900.")
            % {"date": shown},
            field,
            "birth_date",
            got=shown,
        )
    if birth > (today or timezone.localdate()):
        raise _invalid(
            _("The birth date in the resident ID number, %(date)s, is in the future.")
            % {"date": shown},
            field,
            "birth_date",
            got=shown,
        )
    region = number[:6]
    if not _region_is_known(region):
        raise _invalid(
            _("The resident ID number starts with %(region)s, which is not a known region code.")
            % {"region": region},
            field,
            "region",
            got=region,
        )
    expected = resident_id_check_char(number[:17])
    if number[17] != expected:
        raise _invalid(
            _(
                "The check character of the resident ID number is wrong: "
                "expected %(expected)s, got %(got)s."
            )
            % {"expected": expected, "got": number[17]},
            field,
            "check_character",
            expected=expected,
            got=number[17],
        )
    return number


# --- Unified social credit code (GB 32100) ------------------------------------------------


def credit_code_check_char(first17: str) -> str:
    """The check character (MOD 31) that completes 17 characters to a credit code."""
    return str(uscc.calc_check_digit(first17))


def validate_credit_code(value: str) -> str:
    """Check a unified social credit code and return it normalised (DOMAIN_RULES.md §10).

    GB 32100: 18 characters — the registering authority and the kind of organisation (one digit
    each, as python-stdnum reads them), a six-digit region code, a nine-character organisation
    code and a check character (MOD 31); characters 9 to 18 are digits or capital letters
    other than I, O, S, V and Z.

    Args:
        value: the code as typed; blanks around it are ignored, full-width characters are read
            as their ASCII forms, letters as capitals.

    Returns:
        The normalised 18-character code.

    Raises:
        InvalidInput: with a message saying what is wrong — the length, a character that does
            not belong, or the check character.
    """
    code = _normalise(value)
    field = "credit_code"
    if len(code) != IDENTITY_LENGTH:
        raise _invalid(
            _("A unified social credit code must have 18 characters; got %(count)d.")
            % {"count": len(code)},
            field,
            "length",
            expected=IDENTITY_LENGTH,
            got=len(code),
        )
    for position, char in enumerate(code, start=1):
        allowed = "0123456789" if position <= 8 else CREDIT_CODE_ALPHABET
        if char not in allowed:
            raise _invalid(
                _(
                    "A unified social credit code has 8 digits, then 10 digits or capital "
                    "letters other than I, O, S, V and Z; character %(position)d is “%(char)s”."
                )
                % {"position": position, "char": _show(char)},
                field,
                "characters",
                position=position,
                got=_show(char),
            )
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise _invalid(
            _(
                "The check character of the unified social credit code is wrong: "
                "expected %(expected)s, got %(got)s."
            )
            % {"expected": expected, "got": code[17]},
            field,
            "check_character",
            expected=expected,
            got=code[17],
        )
    return code


# --- Mainland mobile numbers ---------------------------------------------------------------


def validate_mobile(value: str) -> str:
    """Check a mainland China mobile number and return its 11 digits.

    Spaces and hyphens inside are ignored, as is a country prefix ``+86`` / ``0086``. The
    number has 11 digits and starts with 13 to 19 (the mobile number segments).

    Raises:
        InvalidInput: with a message saying what is wrong — a character that is not a digit,
            the length, or the first two digits.
    """
    number = unicodedata.normalize("NFKC", value).strip().replace(" ", "").replace("-", "")
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix) :]
            break
    field = "phone"
    for position, char in enumerate(number, start=1):
        if char not in "0123456789":
            raise _invalid(
                _("A mobile number has only digits; character %(position)d is “%(char)s”.")
                % {"position": position, "char": _show(char)},
                field,
                "characters",
                position=position,
                got=_show(char),
            )
    if len(number) != 11:
        raise _invalid(
            _("A mainland mobile number must have 11 digits; got %(count)d.")
            % {"count": len(number)},
            field,
            "length",
            expected=11,
            got=len(number),
        )
    if number[0] != "1" or number[1] not in "3456789":
        raise _invalid(
            _("A mainland mobile number starts with 13 to 19; got %(prefix)s.")
            % {"prefix": number[:2]},
            field,
            "prefix",
            got=number[:2],
        )
    return number


# --- API tokens -----------------------------------------------------------------------------

TOKEN_PREFIX = "xn_"  # noqa: S105 - marks a string as a Xiaoneng token, not a secret


def token_hash(raw: str) -> str:
    """The SHA-256 hex digest under which a token is stored; the raw token never is."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def token_state(
    *, expires_at: dt.datetime, revoked_at: dt.datetime | None, now: dt.datetime
) -> str:
    """``"revoked"``, ``"expired"`` (at or after ``expires_at``) or ``"active"``."""
    if revoked_at is not None:
        return "revoked"
    if now >= expires_at:
        return "expired"
    return "active"


# --- Login throttling -----------------------------------------------------------------------


def login_throttle_key(username: str) -> str:
    """The user name as failures are counted: trimmed, case-folded, at most 150 characters.

    Case-folded so that ``Citizen`` and ``citizen`` count towards one limit.
    """
    return username.strip().casefold()[:150]


def lockout_until(
    failures: Iterable[dt.datetime],
    *,
    now: dt.datetime,
    limit: int,
    window: dt.timedelta,
    lockout: dt.timedelta,
) -> dt.datetime | None:
    """When a lockout caused by failed sign-ins ends, or ``None`` if there is none now.

    A lockout starts at the failure that makes ``limit`` failures within ``window`` and lasts
    ``lockout``. Counting starts afresh after each lockout, so the first failure after one does
    not lock again by itself. Attempts refused during a lockout are not failures (no password
    was checked), so hammering does not extend it.

    Args:
        failures: times of recorded failures (for one user name, or from one address).
        now: the current time.
        limit: failures that start a lockout.
        window: the span in which they must fall.
        lockout: how long the lockout lasts.
    """
    times = sorted(failures)
    until: dt.datetime | None = None
    start = 0
    for i, at in enumerate(times):
        if i - start + 1 >= limit and at - times[i - limit + 1] <= window:
            until = at + lockout
            start = i + 1
    if until is not None and until > now:
        return until
    return None
