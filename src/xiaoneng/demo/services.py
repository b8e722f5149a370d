"""Building the demo city: the plan (:mod:`xiaoneng.demo.plan`) written through each room's
own services, so the demo data obey the same rules and leave the same audit trail as real
data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from xiaoneng.accounts.models import Department, Role, User
from xiaoneng.accounts.services import department_upsert
from xiaoneng.core.errors import Conflict
from xiaoneng.core.services import audit_record
from xiaoneng.demo.models import DemoBuild
from xiaoneng.demo.plan import CityPlan, build_plan

DEMO_PASSWORD = "demo"  # noqa: S105 - demo city only, printed in the README

# (username, role, display name, department code or None)
DEMO_USERS: tuple[tuple[str, Role, str, str | None], ...] = (
    ("citizen", Role.CITIZEN, "张三（演示）", None),
    ("enterprise", Role.ENTERPRISE, "石家庄示例科技有限公司（演示）", None),
    ("window", Role.WINDOW, "李窗口（演示）", "130100001"),
    ("reviewer", Role.REVIEWER, "王审批（演示）", "130100001"),
    ("head", Role.HEAD, "赵负责人（演示）", "130100001"),
    ("office", Role.OFFICE, "市效能办（演示）", None),
    ("admin", Role.ADMIN, "系统管理员（演示）", None),
    ("bank", Role.PARTNER, "示例银行石家庄分行（演示）", None),
)

Progress = Callable[[str, int, int], None]


@dataclass
class DemoSummary:
    departments: int = 0
    users: int = 0
    matters: int = 0
    versions: int = 0
    materials: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _no_progress(step: str, done: int, total: int) -> None:
    return None


def demo_build(
    *, seed: int = 2019, scale: int = 1, progress: Progress = _no_progress
) -> DemoSummary:
    """Build the synthetic demo city into an empty database.

    Raises:
        Conflict: if the database already holds a demo city or any catalog data, so that a
            real catalog is never mixed with synthetic data.
    """
    from xiaoneng.catalog.models import Matter

    if DemoBuild.objects.exists():
        raise Conflict("This database already holds the demo city.")
    if Matter.objects.exists():
        raise Conflict(
            "This database already holds a service catalog; the demo city is built only into "
            "an empty database, so real and synthetic data never mix."
        )
    plan = build_plan(seed=seed, scale=scale)
    summary = DemoSummary()
    with transaction.atomic():
        _build_departments(plan, summary, progress)
        _build_users(summary, progress)
        _build_catalog(plan, summary, progress)
        build = DemoBuild.objects.create(
            seed=seed,
            scale=scale,
            summary={
                "departments": summary.departments,
                "users": summary.users,
                "matters": summary.matters,
                "versions": summary.versions,
                "materials": summary.materials,
            },
        )
        audit_record(
            actor=None,
            action="demo.city_build",
            target=build,
            summary=f"demo city built: seed {seed}, scale {scale}",
            data=build.summary,
        )
    return summary


def _build_departments(plan: CityPlan, summary: DemoSummary, progress: Progress) -> None:
    by_code: dict[str, Department] = {}
    total = len(plan.departments)
    for i, d in enumerate(plan.departments, start=1):
        by_code[d.code] = department_upsert(
            actor=None,
            code=d.code,
            name=d.name,
            level=d.level,
            parent=by_code[d.parent_code] if d.parent_code else None,
            short_name=d.short_name,
            is_service_unit=d.service_unit,
        )
        progress("departments", i, total)
    summary.departments = total


def _build_users(summary: DemoSummary, progress: Progress) -> None:
    total = len(DEMO_USERS)
    for i, (username, role, display, dept_code) in enumerate(DEMO_USERS, start=1):
        user = User(
            username=username,
            role=role,
            display_name=display,
            department=Department.objects.get(code=dept_code) if dept_code else None,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        user.set_password(DEMO_PASSWORD)
        user.full_clean()
        user.save()
        audit_record(actor=None, action="accounts.user_create", target=user, summary=username)
        progress("accounts", i, total)
    summary.users = total


def _build_catalog(plan: CityPlan, summary: DemoSummary, progress: Progress) -> None:
    raise NotImplementedError("catalog builder pending the catalog services")
