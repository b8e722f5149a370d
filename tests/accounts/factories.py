"""Accounts for tests, with synthetic but checksum-valid identity numbers.

    from tests.accounts.factories import citizen, enterprise, staff, user_of_role

Every account is opened through :func:`xiaoneng.accounts.services.user_register`, so it obeys
the same rules as a real one; the password is :data:`PASSWORD` unless given.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from xiaoneng.accounts.models import Department, Role, User
from xiaoneng.accounts.rules import credit_code_check_char, resident_id_check_char
from xiaoneng.accounts.services import department_upsert, user_register

PASSWORD = "correct horse 42"  # passes the password policy

_serial = itertools.count(1)


def resident_id(
    region: str = "130102", born: dt.date = dt.date(1990, 1, 1), sequence: int = 123
) -> str:
    """A checksum-valid resident ID number for a fictitious person."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


def credit_code(organisation: str = "MA0XN0001", region: str = "130100") -> str:
    """A checksum-valid unified social credit code for a fictitious enterprise (9 = SAMR)."""
    first17 = f"91{region}{organisation}"
    return first17 + credit_code_check_char(first17)


def department(code: str = "130100001", name: str = "测试审批局") -> Department:
    return department_upsert(actor=None, code=code, name=name)


def citizen(username: str | None = None, **kwargs: Any) -> User:
    """A natural-person applicant with a fresh resident ID number."""
    n = next(_serial)
    kwargs.setdefault("id_number", resident_id(born=dt.date(1980, 1, 1) + dt.timedelta(days=n)))
    return user_of_role(Role.CITIZEN, username or f"citizen{n}", **kwargs)


def enterprise(username: str | None = None, **kwargs: Any) -> User:
    """An enterprise applicant with a fresh credit code."""
    n = next(_serial)
    kwargs.setdefault("credit_code", credit_code(f"MA0T{n:05d}"))
    return user_of_role(Role.ENTERPRISE, username or f"enterprise{n}", **kwargs)


def staff(role: str = Role.REVIEWER, username: str | None = None, **kwargs: Any) -> User:
    """A window officer, reviewer or head, in department 130100001 unless told otherwise."""
    kwargs.setdefault("department", department())
    return user_of_role(role, username or f"{role}{next(_serial)}", **kwargs)


def user_of_role(role: str, username: str | None = None, **kwargs: Any) -> User:
    """An account of any role, with what the role needs filled in."""
    if role == Role.CITIZEN and "id_number" not in kwargs:
        return citizen(username, **kwargs)
    if role == Role.ENTERPRISE and "credit_code" not in kwargs:
        return enterprise(username, **kwargs)
    if role in {Role.WINDOW, Role.REVIEWER, Role.HEAD}:
        kwargs.setdefault("department", department())
    kwargs.setdefault("password", PASSWORD)
    kwargs.setdefault("display_name", f"测试 {role}")
    return user_register(
        actor=None, username=username or f"{role}{next(_serial)}", role=role, **kwargs
    )
