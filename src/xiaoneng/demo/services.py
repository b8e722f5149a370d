"""Building the demo city: the plan (:mod:`xiaoneng.demo.plan`) written through each room's
own services, so the demo data obey the same rules and leave the same audit trail as real
data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from xiaoneng.accounts.models import Department, Role
from xiaoneng.accounts.services import department_upsert, user_register
from xiaoneng.core.errors import Conflict
from xiaoneng.core.services import audit_record
from xiaoneng.demo.models import DemoBuild
from xiaoneng.demo.plan import (
    DEMO_INSTANT_MATTER,
    DEMO_PROMISED_MATTER,
    CityPlan,
    PlannedMaterial,
    PlannedMatter,
    PlannedVersion,
    build_plan,
)

DEMO_PASSWORD = "demo"  # noqa: S105 - demo city only, printed in the README

# (username, role, display name, department code or None, identity number, mobile number).
# The identity numbers are synthetic but checksum-valid (DOMAIN_RULES.md §10): a resident ID
# for the citizen (region 130102, born 1990-01-01) and unified social credit codes for the
# enterprise and the bank; they belong to nobody.
DEMO_USERS: tuple[tuple[str, Role, str, str | None, str, str], ...] = (
    ("citizen", Role.CITIZEN, "张三（演示）", None, "130102199001011237", "13900001234"),
    (
        "enterprise",
        Role.ENTERPRISE,
        "石家庄示例科技有限公司（演示）",
        None,
        "91130100MA0XN00017",
        "13900005678",
    ),
    ("window", Role.WINDOW, "李窗口（演示）", "130100001", "", ""),
    ("reviewer", Role.REVIEWER, "王审批（演示）", "130100001", "", ""),
    ("head", Role.HEAD, "赵负责人（演示）", "130100001", "", ""),
    ("office", Role.OFFICE, "市效能办（演示）", None, "", ""),
    ("admin", Role.ADMIN, "系统管理员（演示）", None, "", ""),
    ("bank", Role.PARTNER, "示例银行石家庄分行（演示）", None, "91130100MA0XN0002A", ""),
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
    *,
    seed: int = 2019,
    scale: int = 1,
    progress: Progress = _no_progress,
    activity: bool = True,
) -> DemoSummary:
    """Build the synthetic demo city into an empty database.

    With ``activity``, the city also gets a recent season of applications, ratings and
    rectifications, replayed day by day through the services
    (:func:`xiaoneng.demo.activity.demo_build_activity`). The efficiency office's supervision
    tasks and accountability cases follow (:mod:`xiaoneng.demo.supervision`), then the 12345
    hotline (:mod:`xiaoneng.demo.hotline`: its tables always, its tickets with ``activity``).
    Everything is one transaction, so
    the :class:`DemoBuild` mark exists only when the whole build succeeded.

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
        if activity:
            from xiaoneng.demo.activity import demo_build_activity

            summary.extra["activity"] = demo_build_activity(
                seed=seed, scale=scale, progress=progress
            )
            # The season registers its officers and online applicants too.
            summary.users += int(summary.extra["activity"].get("accounts_registered", 0))
            # The efficiency office's ledger: 2018–2019 items (S18), today's tasks and cases.
            from xiaoneng.demo.supervision import demo_build_supervision

            supervision = demo_build_supervision(progress=progress)
            summary.extra["supervision"] = {
                "historical": {str(year): n for year, n in supervision["historical"].items()},
                "current": supervision["current"],
                "cases": supervision["cases"],
            }
        # The 12345 hotline: its tables always (the browser tests and a quick build use
        # them), its season of tickets with the activity, after the supervision ledger.
        from xiaoneng.demo.hotline import demo_build_hotline

        hotline = demo_build_hotline(seed=seed, scale=scale, progress=progress, activity=activity)
        summary.departments += int(hotline["departments_added"])
        summary.users += int(hotline["accounts_registered"])
        summary.extra["hotline"] = hotline
        build = DemoBuild.objects.create(
            seed=seed,
            scale=scale,
            summary={
                "departments": summary.departments,
                "users": summary.users,
                "matters": summary.matters,
                "versions": summary.versions,
                "materials": summary.materials,
                **summary.extra,
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
    for i, (username, role, display, dept_code, identity, phone) in enumerate(DEMO_USERS, start=1):
        user_register(
            actor=None,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            display_name=display,
            id_number=identity if role == Role.CITIZEN else "",
            credit_code=identity if role != Role.CITIZEN else "",
            phone=phone,
            department=Department.objects.get(code=dept_code) if dept_code else None,
            # The demo's password is published in the README; real accounts get the policy.
            enforce_password_policy=False,
        )
        progress("accounts", i, total)
    summary.users = total


# Plan replacement names → catalog code list (DOMAIN_RULES.md §4).
_REPLACEMENT_CODES = {
    "": "none",
    "cancelled": "cancelled",
    "data_sharing": "data_sharing",
    "e_license": "e_license",
    "department_verification": "verification",
    "informed_commitment": "commitment",
}


def _material_content(m: PlannedMaterial) -> dict[str, Any]:
    replacement = _REPLACEMENT_CODES[m.replacement]
    return {
        "name": m.name,
        "necessity": "required" if m.required else "optional",
        "form": "electronic" if m.trust_level in {"A", "D"} else "both",
        "source": "government" if m.is_certificate else "applicant",
        "trust_level": m.trust_level,
        "is_certificate": m.is_certificate,
        "replacement": replacement,
        "cancelled_on": m.cancelled_on if replacement != "none" else None,
        "replacement_basis": m.basis if replacement != "none" else "",
        "license_type": m.name.replace("证明", "电子证照") if replacement == "e_license" else "",
    }


def _version_content(matter: PlannedMatter, version: PlannedVersion) -> dict[str, Any]:
    online_depth = [1, 2, 3, 4, 5, 6] + ([7] if matter.visits == 0 else []) if matter.online else []
    forms = ["window", "online"] if matter.online else ["window"]
    if matter.visits == 0:
        forms.append("post")
    commitment = any(m.replacement == "informed_commitment" for m in version.materials)
    content: dict[str, Any] = {
        "name": matter.name,
        "matter_type": matter.matter_type,
        "level": matter.level,
        "department": matter.department_code,
        "service_objects": ["natural_person", "enterprise"]
        if matter.matter_type == "20" or matter.name in (DEMO_PROMISED_MATTER, DEMO_INSTANT_MATTER)
        else (["enterprise"] if "许可" in matter.name else ["natural_person"]),
        "legal_basis": "《中华人民共和国行政许可法》及相关法律法规（演示数据）",
        "acceptance_conditions": "申请材料齐全、符合法定形式。",
        "legal_limit_days": version.legal_limit_days,
        "promised_limit_days": version.promised_limit_days,
        "kind": matter.kind,
        "handling_forms": forms,
        "visits": matter.visits,
        "in_hall": matter.in_hall,
        "allows_commitment": commitment,
        "online": matter.online,
        "online_depth": online_depth,
        "express_delivery": matter.visits == 0,
        "online_payment": matter.fee and matter.online,
        "charges_fee": matter.fee,
        "fee_basis": "《行政事业性收费项目目录》（演示数据）" if matter.fee else "",
        "handling_location": "石家庄市民服务中心" if matter.in_hall else "部门办公地点",
        "materials": [_material_content(m) for m in version.materials],
        "steps": [{"name": step} for step in version.steps],
        "fees": [
            {
                "item": "证照工本费",
                "standard": "10元/件",
                "basis": "《行政事业性收费项目目录》（演示数据）",
                "reducible": True,
            }
        ]
        if matter.fee
        else [],
    }
    return content


def _build_catalog(plan: CityPlan, summary: DemoSummary, progress: Progress) -> None:
    from xiaoneng.catalog.services import matter_create, matter_revise

    total = len(plan.matters)
    for i, planned in enumerate(plan.matters, start=1):
        first, *later = planned.versions
        matter = matter_create(
            actor=None,
            code=planned.code,
            catalog_code=planned.catalog_code,
            data=_version_content(planned, first),
            effective_from=first.effective_from,
            note=first.note or "演示城市初始版本",
        )
        for version in later:
            matter_revise(
                actor=None,
                matter=matter,
                changes=_version_content(planned, version),
                effective_from=version.effective_from,
                note=version.note,
            )
        summary.versions += len(planned.versions)
        summary.materials += sum(len(v.materials) for v in planned.versions)
        progress("matters", i, total)
    summary.matters = total
