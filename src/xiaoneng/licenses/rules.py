"""Pure rules of e-licenses: identifiers and their check character, the canonical sealed
content, masking of holders on public pages. No database, no cryptography keys.

Identifier shape (DOMAIN_RULES.md §9, as seen in public implementations; **not** checked
against the text of GB/T 36904)::

    1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check char>

* type code: the 18-character unified social credit code of the department that defines the
  license type, followed by a 3-digit type number (21 characters);
* issuer code: the 18-character unified social credit code of the issuing department;
* serial: ``YYYY`` + an 8-digit sequence per issuer and year (12 digits);
* version: 3 digits, ``001`` for a first issue, one more for each re-issue of the same result;
* check char: ISO 7064 MOD 37,36 (hybrid system) over every character before it, the dots left
  out. It detects every single-character substitution; swaps of two neighbouring characters
  almost always (about 99.8 % in our measurement — hybrid systems are not perfect there).
  See docs/licenses.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stdnum.iso7064 import mod_37_36

IDENTIFIER_PREFIX = "1.2.156.3005.2"
# The alphabet of MOD 37,36: what may appear in the coded parts of an identifier.
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
IDENTIFIER_MAX_LENGTH = 100
SERIAL_SEQUENCE_DIGITS = 8
CONTENT_SCHEMA = "xiaoneng.license.v1"
# Extra fields of the sealed content: small, and only values that survive a round trip through
# SQLite's and PostgreSQL's JSON columns unchanged (no floats, no NUL characters).
EXTRA_MAX_BYTES = 4096
EXTRA_MAX_DEPTH = 4

_CODE = r"[0-9A-Z]"
IDENTIFIER_RE = re.compile(
    rf"^{re.escape(IDENTIFIER_PREFIX)}"
    rf"\.(?P<type_code>{_CODE}{{18}}[0-9]{{3}})"
    rf"\.(?P<issuer_code>{_CODE}{{18}})"
    rf"\.(?P<serial>{_CODE}{{1,32}})"
    rf"\.(?P<version>[0-9]{{3}})"
    rf"\.(?P<check>{_CODE})$"
)
# Unified social credit code characters (GB 32100): no I, O, S, V or Z.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True)
class Identifier:
    """The parts of an e-license identifier."""

    type_code: str
    issuer_code: str
    serial: str
    version: int
    check: str

    @property
    def body(self) -> str:
        return ".".join(
            [
                IDENTIFIER_PREFIX,
                self.type_code,
                self.issuer_code,
                self.serial,
                f"{self.version:03d}",
            ]
        )

    def __str__(self) -> str:
        return f"{self.body}.{self.check}"


def check_char(body: str) -> str:
    """The ISO 7064 MOD 37,36 check character of an identifier body (dots left out).

    Raises:
        ValueError: the body holds a character outside 0-9, A-Z and ``.``.
    """
    data = body.replace(".", "")
    if not data or any(c not in ALPHABET for c in data):
        raise ValueError(f"Expected only 0-9, A-Z and dots in an identifier body, got {body!r}")
    return str(mod_37_36.calc_check_digit(data))


def identifier_build(*, type_code: str, issuer_code: str, serial: str, version: int) -> str:
    """Assemble an identifier and append its check character.

    Raises:
        ValueError: a part does not have the shape of DOMAIN_RULES.md §9.
    """
    if not 1 <= version <= 999:
        raise ValueError(f"Expected a version from 1 to 999, got {version}")
    body = ".".join([IDENTIFIER_PREFIX, type_code, issuer_code, serial, f"{version:03d}"])
    # Check the shape with a placeholder check character, then compute the real one.
    if IDENTIFIER_RE.match(f"{body}.0") is None:
        raise ValueError(
            "Expected type code (18-char credit code + 3 digits), issuer code (18 chars) and "
            f"serial (1–32 chars of 0-9/A-Z), got {type_code!r}, {issuer_code!r}, {serial!r}"
        )
    return f"{body}.{check_char(body)}"


def identifier_parse(text: str) -> Identifier | None:
    """The parts of a well-formed identifier whose check character matches, else ``None``."""
    if len(text) > IDENTIFIER_MAX_LENGTH:
        return None
    match = IDENTIFIER_RE.match(text)
    if match is None:
        return None
    parts = Identifier(
        type_code=match["type_code"],
        issuer_code=match["issuer_code"],
        serial=match["serial"],
        version=int(match["version"]),
        check=match["check"],
    )
    if check_char(parts.body) != parts.check:
        return None
    return parts


def identifier_problem(text: str) -> str:
    """Why ``text`` is not an identifier: ``""`` (it is one), ``"shape"`` or ``"check"``."""
    if len(text) > IDENTIFIER_MAX_LENGTH or IDENTIFIER_RE.match(text) is None:
        return "shape"
    return "" if identifier_parse(text) is not None else "check"


def serial_format(year: int, sequence: int) -> str:
    """The serial of the ``sequence``-th license of an issuer in ``year``: ``YYYY`` + 8 digits."""
    if not 1 <= sequence < 10**SERIAL_SEQUENCE_DIGITS:
        raise ValueError(f"Expected a sequence from 1 to 99999999, got {sequence}")
    return f"{year:04d}{sequence:0{SERIAL_SEQUENCE_DIGITS}d}"


def provisional_issuer_code(department_code: str) -> str:
    """An 18-character stand-in for a department without a unified social credit code.

    It starts with ``Z``, a letter GB 32100 never uses, so it can neither be mistaken for nor
    collide with a real credit code; the rest is derived from the department code so the same
    department always gets the same stand-in. Meant for demo and not-yet-registered
    departments; production departments should have their credit code set (docs/licenses.md).
    """
    digest = hashlib.sha256(department_code.encode("utf-8")).digest()
    # Base32 uses A-Z and 2-7: all inside the identifier alphabet.
    return "Z" + base64.b32encode(digest).decode("ascii")[:17]


def type_code_build(owner_code: str, number: int) -> str:
    """The type code: the owner's 18-character code and a 3-digit type number."""
    if not 1 <= number <= 999:
        raise ValueError(f"Expected a license type number from 1 to 999, got {number}")
    return f"{owner_code}{number:03d}"


def is_credit_code_shape(value: str) -> bool:
    """18 characters of the GB 32100 alphabet (the check digit is checked elsewhere)."""
    return len(value) == 18 and all(c in _USCC_ALPHABET for c in value)


# --- the sealed content ----------------------------------------------------------------------


@dataclass(frozen=True)
class LicenseContent:
    """Everything the seal covers: the fields of a license that never change after issue.

    Snapshots (department name, issuer code) are part of it, so renaming a department later
    does not break the seals of licenses it already issued. Status and revocation are not: they
    change after issue and are answered from the record.
    """

    identifier: str
    type_code: str
    issuer_code: str
    serial: str
    version: int
    department_name: str
    holder_name: str
    holder_code: str
    license_type_name: str
    matter_code: str
    matter_name: str
    result_name: str
    issued_on: dt.date
    valid_until: dt.date | None
    seal: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": CONTENT_SCHEMA,
            "identifier": self.identifier,
            "type_code": self.type_code,
            "issuer_code": self.issuer_code,
            "serial": self.serial,
            "version": self.version,
            "department_name": self.department_name,
            "holder_name": self.holder_name,
            "holder_code": self.holder_code,
            "license_type_name": self.license_type_name,
            "matter_code": self.matter_code,
            "matter_name": self.matter_name,
            "result_name": self.result_name,
            "issued_on": self.issued_on.isoformat(),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "seal": self.seal,
            "extra": dict(self.extra),
        }

    def to_bytes(self) -> bytes:
        return canonical_json(self.as_dict())


def canonical_json(value: Mapping[str, Any]) -> bytes:
    """Deterministic JSON: keys sorted, no spaces, UTF-8 (not ``\\u`` escapes), no NaN."""
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def extra_problem(value: Any) -> str:
    """Why ``value`` cannot be sealed as extra fields; ``""`` when it can.

    Allowed: a JSON object with string keys whose values are strings, integers, booleans,
    ``null``, lists and objects of those, at most 4 levels deep and 4 KB as canonical JSON.
    """
    if not isinstance(value, Mapping):
        return f"expected a JSON object, got {type(value).__name__}"
    problem = _json_problem(value, depth=0)
    if problem:
        return problem
    if len(canonical_json(value)) > EXTRA_MAX_BYTES:
        return f"expected at most {EXTRA_MAX_BYTES} bytes of canonical JSON"
    return ""


def _json_problem(value: Any, *, depth: int) -> str:
    if depth > EXTRA_MAX_DEPTH:
        return f"expected at most {EXTRA_MAX_DEPTH} levels of nesting"
    if value is None or isinstance(value, bool | int):
        return ""
    if isinstance(value, str):
        return "expected no NUL characters in strings" if "\x00" in value else ""
    if isinstance(value, float):
        # Floats may not come back from a JSON column digit for digit; a seal over them
        # could break on a database round trip.
        return "expected no floating-point numbers (write them as strings)"
    if isinstance(value, list | tuple):
        for item in value:
            problem = _json_problem(item, depth=depth + 1)
            if problem:
                return problem
        return ""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"expected string keys, got {key!r}"
            problem = _json_problem(key, depth=depth + 1) or _json_problem(item, depth=depth + 1)
            if problem:
                return problem
        return ""
    return f"expected JSON values, got {type(value).__name__}"


# --- public display --------------------------------------------------------------------------


def mask_holder_name(name: str) -> str:
    """A holder's name for public pages: a person's given name starred, a long name shortened.

    ``张三`` → ``张*``, ``张三丰`` → ``张*丰``, ``某某科技有限公司`` → ``某某**有限公司``: enough
    to recognise one's own license, not enough to learn a stranger's name.
    """
    name = name.strip()
    n = len(name)
    if n <= 1:
        return "*" * n
    if n == 2:
        return name[0] + "*"
    if n <= 4:
        return name[0] + "*" * (n - 2) + name[-1]
    keep_tail = min(4, max(1, (n - 2) // 2))  # at least half of the middle stays hidden
    return name[:2] + "*" * (n - 2 - keep_tail) + name[-keep_tail:]


def fingerprint(hex_text: str, length: int = 16) -> str:
    """A short, human-comparable prefix of a hex string, in groups of four."""
    head = hex_text[:length].upper()
    return " ".join(head[i : i + 4] for i in range(0, len(head), 4))
