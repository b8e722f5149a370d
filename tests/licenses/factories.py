"""Factories for e-licenses: issued through ``licenses.services.license_issue``, never saved
directly, so every factory-made license carries a real identifier, digest and SM2 seal.

The generic source of a test license is an ordinary row of another room (a Department), as any
room's row may produce a license.

Examples::

    license = issue_license()                               # a fresh department as source
    license = issue_license(department=dept, holder_name="李四")
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.catalog.factories import DepartmentFactory
from xiaoneng.accounts.models import Department, Role, User
from xiaoneng.licenses.models import License
from xiaoneng.licenses.services import license_issue

# A valid unified social credit code (GB 32100 check digit) for an issuing department.
CREDIT_CODE = "11330100002489110X"
HOLDER_ID = "110101199003071234"


def make_user(
    username: str, role: str = Role.CITIZEN, department: Department | None = None
) -> User:
    """A user of one role (staff roles need a department)."""
    return User.objects.create_user(
        username=username, password="pw", role=role, department=department
    )


def issue_license(
    *,
    department: Department | None = None,
    source: Any | None = None,
    actor: Any | None = None,
    **overrides: Any,
) -> License:
    """Issue a license with believable defaults; any keyword of license_issue may be given."""
    department = department or DepartmentFactory(name="测试市市场监督管理局")
    fields: dict[str, Any] = {
        "holder_name": "张三丰",
        "holder_code": HOLDER_ID,
        "license_type_name": "食品经营许可证",
        "matter_code": "330100-SC-001",
        "matter_name": "食品经营许可（新办）",
        "result_name": "食品经营许可证",
        "issued_on": dt.date(2025, 3, 5),
        "valid_until": dt.date(2030, 3, 4),
    }
    fields.update(overrides)
    return license_issue(
        actor=actor,
        source=source if source is not None else DepartmentFactory(),
        department=department,
        **fields,
    )
