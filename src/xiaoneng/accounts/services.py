"""Writes of departments and users, each in one transaction with its audit event."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from xiaoneng.accounts.models import Department, DepartmentLevel
from xiaoneng.core.services import audit_record


@transaction.atomic
def department_upsert(
    *,
    actor: Any | None,
    code: str,
    name: str,
    level: str = DepartmentLevel.CITY,
    parent: Department | None = None,
    short_name: str = "",
    credit_code: str = "",
    is_service_unit: bool = False,
) -> Department:
    """Create a department or update the one with this code."""
    department, created = Department.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "level": level,
            "parent": parent,
            "short_name": short_name,
            "credit_code": credit_code,
            "is_service_unit": is_service_unit,
        },
    )
    if not created:
        department.name = name
        department.level = level
        department.parent = parent
        department.short_name = short_name
        department.credit_code = credit_code
        department.is_service_unit = is_service_unit
    department.full_clean()
    department.save()
    audit_record(
        actor=actor,
        action="accounts.department_create" if created else "accounts.department_update",
        target=department,
        summary=f"{code} {name}",
    )
    return department
