"""The demo city as a plan: plain data, computed deterministically from a seed.

The plan is pure (no database) so that its promises are tested directly: the counts it lays
out add up to the report's figures (:mod:`xiaoneng.demo.figures`). The builder
(:mod:`xiaoneng.demo.services`) turns the plan into rows through the rooms' own services, and
the dashboard computes the figures back from those rows.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from xiaoneng.demo import figures as F
from xiaoneng.demo.departments import (
    CERTIFICATE_SUBJECTS,
    CITY_CODE,
    CITY_DEPARTMENTS,
    COUNTIES,
    VARIANTS,
    XINLE_CODE,
    DemoDepartment,
)

FIRST_LIST_PUBLISHED = dt.date(2019, 1, 1)  # every matter's first version takes effect here
S10_BEFORE = dt.date(2018, 7, 1)
S10_AFTER = dt.date(2019, 6, 1)

# The two matters the README and the application journeys use.
DEMO_PROMISED_MATTER = "公共场所卫生许可"
DEMO_INSTANT_MATTER = "企业设立登记"

REPLACEMENTS = (  # (method, how many of the 108 city-level cancelled certificates)
    ("cancelled", 38),
    ("data_sharing", 30),
    ("e_license", 16),
    ("department_verification", 12),
    ("informed_commitment", 12),
)

COMMON_MATERIALS = (
    "申请表",
    "申请人身份证明",
    "法定代表人身份证明",
    "营业执照",
    "授权委托书",
    "场所平面图",
    "经营场所使用证明文件",
    "从业人员名单",
    "管理制度文本",
    "设备设施清单",
    "技术人员资格证明",
    "项目可行性研究报告",
    "现场照片",
    "承诺书",
)
STEPS = ("申请", "受理", "审查", "决定", "制证", "送达")
HOUSEHOLD = (
    "户口迁入",
    "户口迁出",
    "出生登记",
    "死亡注销户口",
    "户籍证明开具",
    "姓名变更登记",
    "投靠落户",
    "人才引进落户",
    "居民身份证申领",
    "居民身份证换领",
    "居民身份证补领",
    "临时居民身份证申领",
)
# S10: eight household-registration and seven traffic matters revised in 2019.
S10_NAMES = (
    *HOUSEHOLD[:8],
    "机动车注册登记",
    "机动车转移登记",
    "机动车变更登记",
    "机动车抵押登记",
    "机动车驾驶证换证",
    "机动车驾驶证补证",
    "机动车检验合格标志核发",
)
INSTANT_BASES = (
    "不动产变更登记",
    "不动产注销登记",
    "不动产更正登记",
    "不动产异议登记",
    "不动产查封登记",
    "住房公积金汇缴",
    "住房公积金提取",
    "户籍证明开具",
    "社保缴费证明开具",
    DEMO_INSTANT_MATTER,
)


@dataclass
class PlannedMaterial:
    name: str
    required: bool = True
    is_certificate: bool = False
    replacement: str = ""  # "" = still required; else a §4 replacement method
    cancelled_on: dt.date | None = None
    basis: str = ""
    trust_level: str = "C"


@dataclass
class PlannedVersion:
    effective_from: dt.date
    legal_limit_days: int
    promised_limit_days: int
    steps: list[str]
    materials: list[PlannedMaterial]
    note: str = ""


@dataclass
class PlannedMatter:
    code: str
    catalog_code: str
    name: str
    department_code: str
    matter_type: str
    kind: str  # "instant" | "promised"
    visits: int
    online: bool
    in_hall: bool
    level: str  # "city" | "county"
    versions: list[PlannedVersion] = field(default_factory=list)
    fee: bool = False

    @property
    def current(self) -> PlannedVersion:
        return self.versions[-1]


@dataclass
class PlannedDepartment:
    code: str
    name: str
    short_name: str
    level: str
    parent_code: str | None
    service_unit: bool = False


@dataclass
class CityPlan:
    departments: list[PlannedDepartment]
    matters: list[PlannedMatter]
    seed: int
    scale: int


def _matter_type(name: str, service_unit: bool) -> str:
    """Type code (DOMAIN_RULES.md §3) guessed from the matter's name, for plausible data."""
    if service_unit:
        return "20"
    if any(w in name for w in ("许可", "审批", "核准", "资质", "准入")):
        return "01"
    if any(w in name for w in ("补贴", "待遇", "报销", "提取", "支取", "奖励扶助", "贷款")):
        return "05"
    if any(w in name for w in ("登记", "认定", "注册", "备案", "鉴定")):
        return "07"
    return "20"


def _names(dept: DemoDepartment, count: int) -> list[str]:
    names = [base + variant for variant in VARIANTS for base in dept.base_names]
    if count > len(names):
        raise ValueError(f"{dept.name}: {count} matters asked, only {len(names)} names")
    return names[:count]


def _base(name: str) -> str:
    return name.split("（", 1)[0]


def build_plan(*, seed: int = 2019, scale: int = 1) -> CityPlan:
    """Lay out the demo city so that its data add up to the report's figures.

    Args:
        seed: the random seed; the same seed and scale always give the same city.
        scale: multiplies the county-level catalog (10 matters per county per unit of
            scale); the city-level figures do not change with scale.
    """
    if scale < 1:
        raise ValueError(f"scale must be 1 or more, got {scale}")
    rng = random.Random(seed)  # noqa: S311 - deterministic synthetic data, not security
    departments = [PlannedDepartment(CITY_CODE, "石家庄市人民政府（演示）", "市政府", "city", None)]
    for d in CITY_DEPARTMENTS:
        departments.append(
            PlannedDepartment(d.code, d.name, d.short_name, "city", CITY_CODE, d.service_unit)
        )
    for code, name in COUNTIES:
        departments.append(PlannedDepartment(code, f"{name}人民政府", name, "county", CITY_CODE))
        departments.append(
            PlannedDepartment(f"{code}001", f"{name}行政审批局", f"{name}审批局", "county", code)
        )
    from xiaoneng.demo.departments import TOWNSHIPS

    for code, parent, name in TOWNSHIPS:
        departments.append(PlannedDepartment(code, name, name, "township", parent))

    matters: list[PlannedMatter] = []
    city: list[PlannedMatter] = []
    units: list[PlannedMatter] = []
    for dept_no, dept in enumerate(CITY_DEPARTMENTS, start=1):
        for serial, name in enumerate(_names(dept, dept.matters), start=1):
            mtype = _matter_type(name, dept.service_unit)
            catalog_code = f"{mtype}{dept_no:03d}{serial:05d}00"
            matter = PlannedMatter(
                code=f"{CITY_CODE}{catalog_code}",
                catalog_code=catalog_code,
                name=name,
                department_code=dept.code,
                matter_type=mtype,
                kind="instant" if _base(name) in INSTANT_BASES else "promised",
                visits=1,
                online=True,
                in_hall=True,
                level="city",
                fee=rng.random() < 0.12,
            )
            (units if dept.service_unit else city).append(matter)

    # S1: 48 of the 504 city-level matters are not online. Real-estate registration (S7) and
    # the S10 matters stay online; the rest is drawn at random.
    protected = {m.code for m in city if _base(m.name) in INSTANT_BASES + S10_NAMES + HOUSEHOLD}
    candidates = [m for m in city if m.code not in protected]
    offline = rng.sample(candidates, F.CITY_MATTERS - F.CITY_MATTERS_ONLINE)
    for m in offline:
        m.online = False
    # S4: every online matter needs at most one visit (0 for most: 不见面); of the offline
    # ones, 41 need one visit and 7 need two, so 456 + 41 = 497 city-level matters are on the
    # list; the public-service units add 46 more: 543.
    for m in city:
        if m.online:
            m.visits = 0 if rng.random() < 0.55 else 1
    offline_sorted = sorted(offline, key=lambda m: m.code)
    two_visits = rng.sample(offline_sorted, F.CITY_MATTERS - F.CITY_MATTERS_ONLINE - 41)
    for m in two_visits:
        m.visits = 2
    units_two = rng.sample(units, len(units) - (F.ONE_VISIT_LIST - (F.CITY_MATTERS - 7)))
    for m in units:
        m.online = rng.random() < 0.8
        m.visits = 2 if m in units_two else (0 if m.online else 1)
    # S2: 408 of 504 city-level matters are handled in the comprehensive hall.
    outside = set(id(m) for m in rng.sample(city, F.CITY_MATTERS - F.CITY_MATTERS_IN_HALL))
    for m in city:
        m.in_hall = id(m) not in outside

    for m in [*city, *units]:
        m.versions.append(_first_version(rng, m))

    _lay_out_certificates(rng, city)
    _lay_out_s10(city)
    matters.extend(city)
    matters.extend(units)
    matters.extend(_county_matters(rng, scale))
    return CityPlan(departments=departments, matters=matters, seed=seed, scale=scale)


def _first_version(rng: random.Random, m: PlannedMatter) -> PlannedVersion:
    legal = rng.choice((20, 20, 20, 10, 15, 30, 45, 60))
    if m.kind == "instant":
        promised = 0
    else:
        promised = max(1, round(legal * (1 - rng.choice((0.5, 0.6, 0.7, 0.75, 0.8)))))
    if _base(m.name) == DEMO_PROMISED_MATTER and m.level == "city" and "（" not in m.name:
        legal, promised = 20, 5
    steps = list(STEPS[: rng.randint(3, 6)]) if m.kind == "promised" else ["申请", "受理", "办结"]
    materials = [
        PlannedMaterial(name, required=rng.random() < 0.85, trust_level=rng.choice("ABCC"))
        for name in rng.sample(COMMON_MATERIALS, rng.randint(2, 5))
    ]
    materials[0].required = True
    return PlannedVersion(FIRST_LIST_PUBLISHED, legal, promised, steps, materials)


def _certificate(rng: random.Random, subject: str, method: str, n: int) -> PlannedMaterial:
    cancelled_on = dt.date(2019, 3, 1) + dt.timedelta(days=rng.randrange(0, 300))
    return PlannedMaterial(
        name=subject,
        required=True,
        is_certificate=True,
        replacement=method,
        cancelled_on=cancelled_on,
        basis=f"石家庄市取消证明事项清单（演示）第{n}项",
        trust_level="D" if method == "informed_commitment" else "A",
    )


def _lay_out_certificates(rng: random.Random, city: list[PlannedMatter]) -> None:
    """S5/S8: 108 cancelled certificates at city level, 7 + 6 of them in provident-fund loans."""
    methods = [method for method, count in REPLACEMENTS for _ in range(count)]
    rng.shuffle(methods)
    n = 0
    by_name = {m.name: m for m in city}
    for matter_name, count in (
        ("住房公积金个人住房贷款", F.PROVIDENT_PERSONAL_LOAN_CERTIFICATES),
        ("住房公积金贷款合作项目准入", F.PROVIDENT_COOPERATIVE_CERTIFICATES),
    ):
        matter = by_name[matter_name]
        for subject in rng.sample(CERTIFICATE_SUBJECTS, count):
            n += 1
            matter.current.materials.append(_certificate(rng, subject, methods.pop(), n))
    s10 = set(S10_NAMES)
    others = [m for m in city if m.name not in s10 and not m.name.startswith("住房公积金")]
    while methods:
        matter = rng.choice(others)
        taken = {x.name for x in matter.current.materials}
        subject = rng.choice([s for s in CERTIFICATE_SUBJECTS if s not in taken])
        n += 1
        matter.current.materials.append(_certificate(rng, subject, methods.pop(), n))
    # Some certificates are still required: the list is not finished.
    for matter in rng.sample(others, 20):
        taken = {x.name for x in matter.current.materials}
        subject = rng.choice([s for s in CERTIFICATE_SUBJECTS if s not in taken])
        matter.current.materials.append(
            PlannedMaterial(subject, is_certificate=True, trust_level="C")
        )


def _lay_out_s10(city: list[PlannedMatter]) -> None:
    """S10: 15 household and traffic matters, revised in 2019: materials 100 → 88 (−12 %),
    steps 60 → 54 (−10 %), promised days 100 → 85 (−15 %)."""
    by_name = {m.name: m for m in city}
    for i, name in enumerate(S10_NAMES):
        m = by_name[name]
        m.kind = "promised"
        m.online = True
        m.visits = min(m.visits, 1)
        n_materials = 7 if i < 10 else 6
        materials = [PlannedMaterial(x) for x in COMMON_MATERIALS[:n_materials]]
        promised = 7 if i < 10 else 6
        before = PlannedVersion(
            S10_BEFORE, 20, promised, list(STEPS[:4]), materials, note="2018 版办事指南"
        )
        after = PlannedVersion(
            S10_AFTER,
            20,
            promised - 1,
            list(STEPS[:3]) if i < 6 else list(STEPS[:4]),
            materials[:-1] if i < 12 else list(materials),
            note="“八办”改革：精简材料、环节和时限",
        )
        m.versions = [before, after]


def _county_matters(rng: random.Random, scale: int) -> list[PlannedMatter]:
    """County approval bureaus: 10 matters each per unit of scale; Xinle cancels 41
    certificates (S5), more than any other county."""
    approval = CITY_DEPARTMENTS[0]
    out: list[PlannedMatter] = []
    for county_no, (code, _name) in enumerate(COUNTIES, start=1):
        bureau = f"{code}001"
        count = 10 * scale
        county: list[PlannedMatter] = []
        for serial, name in enumerate(_names(approval, count), start=1):
            mtype = _matter_type(name, False)
            catalog_code = f"{mtype}{100 + county_no:03d}{serial:05d}00"
            m = PlannedMatter(
                code=f"{code}{catalog_code}",
                catalog_code=catalog_code,
                name=name,
                department_code=bureau,
                matter_type=mtype,
                kind="promised",
                visits=rng.choice((0, 1, 1)),
                online=rng.random() < 0.85,
                in_hall=True,
                level="county",
            )
            if not m.online:
                m.visits = max(m.visits, 1)
            m.versions.append(_first_version(rng, m))
            county.append(m)
        cancelled = F.XINLE_CERTIFICATES_CANCELLED if code == XINLE_CODE else rng.randint(3, 30)
        for n in range(1, cancelled + 1):
            matter = county[(n - 1) % len(county)]
            taken = {x.name for x in matter.current.materials}
            free = [s for s in CERTIFICATE_SUBJECTS if s not in taken]
            method = rng.choice([method for method, _ in REPLACEMENTS])
            matter.current.materials.append(_certificate(rng, rng.choice(free), method, n))
        out.extend(county)
    return out
