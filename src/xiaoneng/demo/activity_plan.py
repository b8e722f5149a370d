"""The demo city's recent season of applications, as a plan: plain data from a seed.

The plan says, for the working days before a given day, which applications arrive, for which
matter and applicant, through which channel, and what happens to each of them on which day:
acceptance or refusal (行政许可法 Art. 32), a supplement notice and the supplement (补正,
Art. 32(1)(4)), a special procedure that pauses the clock (Art. 45), an extension (Art. 42),
the decision, conclusion and delivery (Arts. 38, 44), a rating (好差评, DOMAIN_RULES.md §8)
and, after a bad review, the return visit and the rectification. The builder
(:mod:`xiaoneng.demo.activity`) replays it day by day through the rooms' services with the
process clock moved to each day, so every row it leaves obeys the same rules as real data;
figures are computed back from those rows, never from this plan.

Pure: no database. Days are counted in *working days of the season* (an index into the list
of working days the caller passes), so the time limits are simple arithmetic here and the
calendar of holidays stays the platform's (DOMAIN_RULES.md §1): a limit of L working days
counted from acceptance on working day ``a`` is due on working day ``a + L``, a pause from
working day ``p`` to ``r`` moves it by ``r − p`` (docs/clock.md §2), an extension by its days.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from xiaoneng.accounts.rules import credit_code_check_char, resident_id_check_char
from xiaoneng.clocks.rules import yellow_day_index
from xiaoneng.demo.plan import DEMO_INSTANT_MATTER, DEMO_PROMISED_MATTER

SEASON_DAYS = 90  # calendar days before "today" that the season covers
# Applications per unit of scale. Measured: an application costs about 60 ms of service calls
# on SQLite on average, so 320 keep `xiaoneng demo` at about 30 s on two cores, well under a
# minute (docs/demo-city.md, "The time it adds").
APPLICATIONS_PER_SCALE = 320

# The departments whose windows the season passes through: the Administrative Approval
# Bureau (the comprehensive hall) and seven departments with matters of their own.
ACTIVITY_DEPARTMENTS: tuple[str, ...] = (
    "130100001",  # 市行政审批局
    "130100002",  # 市公安局
    "130100003",  # 市自然资源和规划局
    "130100004",  # 市住房公积金管理中心
    "130100006",  # 市人社局
    "130100007",  # 市市场监管局
    "130100008",  # 市住建局
    "130100009",  # 市交通运输局
)
APPROVAL_BUREAU = ACTIVITY_DEPARTMENTS[0]
# How many promised matters each department brings (besides one instant matter, where it has
# any); the bureau brings the two walkthrough matters of the README as well.
PROMISED_PER_DEPARTMENT = 2
PROMISED_AT_BUREAU = 3

# Of the matters that can be applied for both ways, the share handled at the window.
WINDOW_SHARE = 0.68

# Registered applicants who apply online, besides the demo accounts `citizen` and `enterprise`.
ONLINE_PERSONS = 6
ONLINE_ENTERPRISES = 4


class Outcome(StrEnum):
    """What the plan intends for one application (the replay may cut it short at today)."""

    ON_TIME = "on_time"  # concluded within the promised limit
    SUPPLEMENTED = "supplemented"  # a supplement notice first, then as on time
    PAUSED = "paused"  # a special procedure (Art. 45) in the middle, on time
    EXTENDED = "extended"  # extended by the head (Art. 42), on time with the extension
    LATE = "late"  # concluded after the promised due date
    DEEMED = "deemed"  # left unanswered: accepted by the Art. 32(4) scan, decided late
    DENIED = "denied"  # 不予许可, concluded
    NOT_ACCEPTED = "not_accepted"  # 不予受理
    INSTANT = "instant"  # 即办件, concluded on the day of acceptance
    OPEN_YELLOW = "open_yellow"  # undecided today, past its yellow day
    OPEN_RED = "open_red"  # undecided today, past its due date
    OPEN_PAUSED = "open_paused"  # in a special procedure today


# Share of each outcome among the season's applications; ON_TIME takes the rest. About 6 % of
# the concluded ones are late (LATE and most DEEMED), as the brief of the dashboard asks.
SHARES: dict[Outcome, float] = {
    Outcome.INSTANT: 0.15,
    Outcome.NOT_ACCEPTED: 0.025,
    Outcome.SUPPLEMENTED: 0.08,
    Outcome.PAUSED: 0.045,
    Outcome.EXTENDED: 0.035,
    Outcome.LATE: 0.045,
    Outcome.DEEMED: 0.01,
    Outcome.DENIED: 0.025,
    Outcome.OPEN_RED: 0.03,
    Outcome.OPEN_YELLOW: 0.035,
    Outcome.OPEN_PAUSED: 0.01,
}
# At least this many of each, so a small season still shows every kind of case.
MINIMUM: dict[Outcome, int] = {
    Outcome.INSTANT: 1,
    Outcome.NOT_ACCEPTED: 1,
    Outcome.SUPPLEMENTED: 1,
    Outcome.PAUSED: 1,
    Outcome.EXTENDED: 1,
    Outcome.LATE: 2,
    Outcome.DEEMED: 1,
    Outcome.DENIED: 1,
    Outcome.OPEN_RED: 2,
    Outcome.OPEN_YELLOW: 2,
    Outcome.OPEN_PAUSED: 1,
}
BAD_REVIEW_SHARE = 0.03  # of the ratings (levels 1–2, DOMAIN_RULES.md §8)
RATED_SHARE = 0.8  # of the concluded applications
RECTIFICATION_DAYS = 5  # the ratings room's default limit (RATING_RECTIFICATION_DAYS)


class Op(StrEnum):
    """One thing that happens to an application; the builder maps each to a service."""

    SUBMIT = "submit"  # the applicant applies online, uploads and signs what is asked
    WALK_IN = "walk_in"  # a window officer registers a walk-in and accepts on the spot
    ACCEPT = "accept"  # 受理 (window)
    REQUEST_SUPPLEMENT = "request_supplement"  # 一次性告知 (window)
    SUPPLEMENT = "supplement"  # 补正: the applicant uploads what was asked and declares it
    REJECT = "reject"  # 不予受理 (window)
    DEEMED = "deemed"  # the Art. 32(4) scan has accepted it overnight (nobody acts)
    PAUSE = "pause"  # special procedure (reviewer)
    RESUME = "resume"  # (reviewer)
    EXTEND = "extend"  # (head)
    APPROVE = "approve"  # (reviewer)
    DENY = "deny"  # (reviewer)
    CONCLUDE = "conclude"  # (reviewer)
    DELIVER = "deliver"  # (window)
    RATE = "rate"  # the applicant
    VISIT = "visit"  # return visit after a bad review (head)
    COMPLETE = "complete"  # rectification completed (head)


# Who takes each step: a role of the application's department, or the applicant.
ACTOR_OF: dict[Op, str] = {
    Op.SUBMIT: "applicant",
    Op.SUPPLEMENT: "applicant",
    Op.RATE: "applicant",
    Op.WALK_IN: "window",
    Op.ACCEPT: "window",
    Op.REQUEST_SUPPLEMENT: "window",
    Op.REJECT: "window",
    Op.DELIVER: "window",
    Op.PAUSE: "reviewer",
    Op.RESUME: "reviewer",
    Op.APPROVE: "reviewer",
    Op.DENY: "reviewer",
    Op.CONCLUDE: "reviewer",
    Op.EXTEND: "head",
    Op.VISIT: "head",
    Op.COMPLETE: "head",
    Op.DEEMED: "system",
}


@dataclass(frozen=True)
class MatterFacts:
    """What the plan needs to know of a matter (read from its version in force).

    Attributes:
        uploads: required materials the applicant supplies (a file online, a paper original
            checked at the window); certificates replaced outright are not counted.
        commitments: required materials replaced by a signed informed commitment (告知承诺).
    """

    code: str
    name: str
    department_code: str
    kind: str  # "instant" | "promised"
    promised_limit_days: int
    legal_limit_days: int | None
    extension_days: int
    online: bool
    window: bool
    for_persons: bool
    for_enterprises: bool
    uploads: int
    commitments: int = 0


@dataclass(frozen=True)
class PlannedApplicant:
    """An applicant: a registered online account, or a walk-in known by number only.

    ``username`` is set for accounts that apply online (they are registered with the demo
    password); a walk-in gets an account from the window officer on the first visit.
    """

    key: str
    person: bool
    name: str
    number: str  # resident ID number (person) or unified social credit code (enterprise)
    username: str = ""


@dataclass(frozen=True)
class PlannedStaff:
    """A demo officer of a department (window officer, reviewer or head)."""

    department_code: str
    role: str  # "window" | "reviewer" | "head"
    username: str


@dataclass
class Step:
    """One thing that happens on one day; ``params`` are the service's arguments."""

    day: dt.date
    op: Op
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class PlannedCase:
    """One application of the season and what happens to it, in order."""

    number: int
    matter_code: str
    department_code: str
    kind: str
    applicant: str  # PlannedApplicant.key
    channel: str  # "window" | "online"
    outcome: Outcome
    steps: list[Step] = field(default_factory=list)

    @property
    def ops(self) -> list[Op]:
        return [s.op for s in self.steps]


@dataclass
class SeasonPlan:
    """The whole season: who is there, and every application's steps."""

    seed: int
    start: dt.date
    today: dt.date
    workdays: list[dt.date]  # the working days of the season, before today
    matters: list[MatterFacts]
    weights: dict[str, int]
    staff: list[PlannedStaff]
    applicants: list[PlannedApplicant]
    cases: list[PlannedCase]

    def steps_by_day(self) -> dict[dt.date, list[tuple[PlannedCase, Step]]]:
        """Every step, grouped by day, in the order the plan lays them out."""
        out: dict[dt.date, list[tuple[PlannedCase, Step]]] = {}
        for case in self.cases:
            for step in case.steps:
                out.setdefault(step.day, []).append((case, step))
        return out


# -- texts (synthetic, in the language of the applicants) -------------------------------------

# The submission of a case laid out by its dates only (nothing withheld, a plain form).
PLAIN_SUBMISSION: dict[str, Any] = {"form": {"事由": "新办"}, "withhold": 0}
PURPOSES = ("新办", "新开门店", "经营范围调整", "到期延续", "首次申请", "扩大经营规模", "迁址")
REJECT_REASONS = (
    "申请事项依法不需要取得行政许可。",
    "申请事项不属于本部门职权范围，请向属地区县行政审批局申请。",
    "申请人不具备申请资格（经营场所不在本市行政区域内）。",
)
NO_SUPPLEMENT_REASON = "申请人未在规定期限内补正全部材料。"
SUPPLEMENT_REASONS = (
    "申请材料不齐全，请一次性补正所列材料。",
    "所附材料与申请表信息不一致，请补正。",
    "材料复印件不清晰，请重新上传。",
)
PAUSES = (
    ("expert_review", "组织专家评审，预计需要7个工作日。"),
    ("inspection", "现场检验，预计需要5个工作日。"),
    ("testing", "委托第三方检测机构检测，预计需要10个工作日。"),
    ("appraisal", "委托鉴定，预计需要5个工作日。"),
)
EXTEND_REASONS = (
    "现场核查发现情况复杂，需进一步审查，经本部门负责人批准延长期限。",
    "需征求相关部门意见，经本部门负责人批准延长期限。",
)
DENY_REASONS = (
    "经现场核查，经营场所不符合卫生规范要求。",
    "申请人提交的技术人员资格不符合法定条件。",
    "项目选址不符合国土空间规划。",
)
GOOD_TEXTS = ("办理很快，窗口服务热情。", "网上办理很方便，不用跑腿。", "一次就办好了。", "")
BAD_TEXTS = (
    "等了很久才办结，超过了承诺时限。",
    "窗口人员解释不清楚，来回跑了好几趟。",
    "网上系统上传材料总是失败。",
    "办理进度查询不到，电话也打不通。",
)
VISIT_OUTCOMES = (
    "电话回访申请人，说明延误原因并致歉，申请人表示理解。",
    "上门回访，听取申请人意见，约定整改措施。",
    "电话回访，申请人仍不满意，已记录意见。",
)
MEASURES = (
    "对窗口人员开展服务规范培训，完善一次性告知清单。",
    "优化审批流程，将现场核查与材料审查并行开展。",
    "增设网上办理咨询专线，明确办理进度短信提醒。",
)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华兰英梅燕东"
# Two characters each.
FIRMS = "恒达冀兴华北正定滹沱太行燕赵长安裕华新华鹿泉瑞丰博远金石宏图"
TRADES = ("商贸", "餐饮管理", "科技", "建筑工程", "物流", "医药", "文化传媒", "物业服务", "运输")
# Districts of Shijiazhuang for synthetic resident ID numbers (the demo `citizen` uses 130102,
# so walk-ins never collide with it).
REGIONS = ("130104", "130105", "130108")


# -- the plan -------------------------------------------------------------------------------


def plan_season(
    *,
    seed: int,
    today: dt.date,
    workdays: Sequence[dt.date],
    matters: Sequence[MatterFacts],
    applications: int,
    days: int = SEASON_DAYS,
) -> SeasonPlan:
    """Lay out a season of ``applications`` over the ``days`` calendar days before ``today``.

    Nothing happens on or after ``today``: a case whose steps would reach it stops where it
    is, and is open today (submitted, awaiting a supplement, under review or paused). On top
    of those, a few cases are laid out to be open today past their yellow day or their due
    date, so the warning queues have something in them.

    Args:
        seed: the same seed, day and inputs always give the same plan.
        today: the day after the season; the builder's "today".
        workdays: the working days of the calendar from ``today − days`` to ``today`` (today
            included when it is one), in any order.
        matters: the candidate matters (the plan picks about 25 of them across
            :data:`ACTIVITY_DEPARTMENTS`).
        applications: how many applications arrive in the season.
        days: the length of the season in calendar days.

    Raises:
        ValueError: too few working days, applications or matters for a season.
    """
    start = today - dt.timedelta(days=days)
    wd = sorted({d for d in workdays if start <= d < today})
    if len(wd) < 10:
        raise ValueError(f"a season needs at least 10 working days before {today}, got {len(wd)}")
    today_works = today in set(workdays)
    rng = random.Random(f"xiaoneng-demo-season:{seed}")  # noqa: S311 - synthetic data
    chosen, weights = _choose_matters(rng, matters)
    if not any(m.kind == "promised" for m in chosen):
        raise ValueError("a season needs at least one promised matter (承诺件)")
    counts = _counts(applications, has_instant=any(m.kind == "instant" for m in chosen))
    staff = _staff(sorted({m.department_code for m in chosen}))
    applicants = _applicants(rng, applications)
    layout = _Layout(rng, wd, today_works, chosen, weights, applicants)
    outcomes = [o for o, n in counts.items() for _ in range(n)]
    rng.shuffle(outcomes)
    cases = [layout.case(number, outcome) for number, outcome in enumerate(outcomes, start=1)]
    _rate(rng, cases, wd)
    for case in cases:
        # In the order they happen (a rating may come before a later delivery); whatever
        # would happen today or later has not happened yet.
        case.steps.sort(key=lambda s: s.day)
        case.steps = [s for s in case.steps if s.day < today]
    return SeasonPlan(
        seed=seed,
        start=start,
        today=today,
        workdays=wd,
        matters=chosen,
        weights=weights,
        staff=staff,
        applicants=applicants,
        cases=cases,
    )


def _counts(applications: int, *, has_instant: bool) -> dict[Outcome, int]:
    counts: dict[Outcome, int] = {}
    for outcome, share in SHARES.items():
        if outcome is Outcome.INSTANT and not has_instant:
            continue
        counts[outcome] = max(MINIMUM.get(outcome, 0), round(share * applications))
    rest = applications - sum(counts.values())
    if rest < 1:
        raise ValueError(
            f"a season needs more applications to show every kind of case; got {applications}"
        )
    counts[Outcome.ON_TIME] = rest
    return counts


def _eligible(m: MatterFacts) -> bool:
    return (
        (m.online or m.window)
        and (m.for_persons or m.for_enterprises)
        and (m.kind == "instant" or m.promised_limit_days >= 1)
    )


def _choose_matters(
    rng: random.Random, matters: Sequence[MatterFacts]
) -> tuple[list[MatterFacts], dict[str, int]]:
    """About 25 matters: per department one instant matter (where it has any) and two or
    three promised ones; at the bureau also the README's two walkthrough matters. The
    weights make the walkthrough matters and the bureau's hall the busiest."""
    by_department: dict[str, list[MatterFacts]] = {}
    for m in sorted(matters, key=lambda m: m.code):
        if m.department_code in ACTIVITY_DEPARTMENTS and _eligible(m):
            by_department.setdefault(m.department_code, []).append(m)
    chosen: list[MatterFacts] = []
    weights: dict[str, int] = {}
    for code in ACTIVITY_DEPARTMENTS:
        candidates = by_department.get(code, [])
        featured = [m for m in candidates if m.name in (DEMO_PROMISED_MATTER, DEMO_INSTANT_MATTER)]
        others = [m for m in candidates if m not in featured]
        instant = [m for m in others if m.kind == "instant"]
        promised = [m for m in others if m.kind == "promised"]
        per = PROMISED_AT_BUREAU if code == APPROVAL_BUREAU else PROMISED_PER_DEPARTMENT
        if not any(m.kind == "instant" for m in featured) and instant:
            featured_instant = [rng.choice(instant)]
        else:
            featured_instant = []
        picked = featured_instant + rng.sample(promised, min(per, len(promised)))
        for m in featured:
            chosen.append(m)
            weights[m.code] = 8
        for m in picked:
            chosen.append(m)
            weights[m.code] = rng.choice((2, 3, 3, 4)) * (2 if code == APPROVAL_BUREAU else 1)
    return chosen, weights


def _staff(department_codes: Sequence[str]) -> list[PlannedStaff]:
    """The bureau has the README's `window`, `reviewer` and `head`; every other department of
    the season gets its own three, e.g. `window002` for department 130100002."""
    out: list[PlannedStaff] = []
    for code in department_codes:
        for role in ("window", "reviewer", "head"):
            username = role if code == APPROVAL_BUREAU else f"{role}{code[-3:]}"
            out.append(PlannedStaff(code, role, username))
    return out


def resident_id(region: str, born: dt.date, sequence: int) -> str:
    """A resident ID number with a valid check character (GB 11643); synthetic."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


def credit_code(serial: int) -> str:
    """A unified social credit code with a valid check character (GB 32100); synthetic.

    The ``MA0XN`` organisation prefix is the demo city's, as for `enterprise` (serial 1) and
    `bank` (serial 2).
    """
    first17 = f"91130100MA0XN{serial:04d}"
    return first17 + credit_code_check_char(first17)


def _person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    return f"{rng.choice(SURNAMES)}{given}（演示）"


def _firm_name(rng: random.Random) -> str:
    i = rng.randrange(len(FIRMS) // 2) * 2
    return f"石家庄{FIRMS[i : i + 2]}{rng.choice(TRADES)}有限公司（演示）"


def _applicants(rng: random.Random, applications: int) -> list[PlannedApplicant]:
    """Online accounts (the demo's two and a few more) and walk-ins known by number."""
    out = [
        PlannedApplicant("citizen", True, "", "", username="citizen"),
        PlannedApplicant("enterprise", False, "", "", username="enterprise"),
    ]
    numbers: set[str] = set()

    def person_number() -> str:
        while True:
            born = dt.date(1955, 1, 1) + dt.timedelta(days=rng.randrange(0, 48 * 365))
            number = resident_id(rng.choice(REGIONS), born, rng.randrange(1, 1000))
            if number not in numbers:
                numbers.add(number)
                return number

    serial = 100
    for i in range(ONLINE_PERSONS):
        out.append(
            PlannedApplicant(
                f"citizen{i + 2}",
                True,
                _person_name(rng),
                person_number(),
                username=f"citizen{i + 2}",
            )
        )
    for i in range(ONLINE_ENTERPRISES):
        out.append(
            PlannedApplicant(
                f"enterprise{i + 2}",
                False,
                _firm_name(rng),
                credit_code(serial),
                username=f"enterprise{i + 2}",
            )
        )
        serial += 1
    for i in range(max(20, applications // 4)):
        out.append(PlannedApplicant(f"p{i}", True, _person_name(rng), person_number()))
    for i in range(max(10, applications // 8)):
        out.append(PlannedApplicant(f"e{i}", False, _firm_name(rng), credit_code(serial)))
        serial += 1
    return out


class _Layout:
    """Lays out one case at a time; days are indexes into the season's working days."""

    def __init__(
        self,
        rng: random.Random,
        workdays: list[dt.date],
        today_works: bool,
        matters: list[MatterFacts],
        weights: dict[str, int],
        applicants: list[PlannedApplicant],
    ) -> None:
        self.rng = rng
        self.wd = workdays
        self.n = len(workdays)
        self.today_works = today_works
        self.matters = matters
        self.weights = weights
        self.online = {
            True: [a for a in applicants if a.username and a.person],
            False: [a for a in applicants if a.username and not a.person],
        }
        self.walk_in = {
            True: [a for a in applicants if not a.username and a.person],
            False: [a for a in applicants if not a.username and not a.person],
        }

    # -- helpers

    def day(self, index: int) -> dt.date:
        """The working day of an index; past the season it is a day on or after today,
        which the plan later drops (the case is still open today)."""
        if index < self.n:
            return self.wd[index]
        return self.wd[-1] + dt.timedelta(days=index - self.n + 1 + 400)

    def pick_matter(self, outcome: Outcome) -> MatterFacts:
        def fits(m: MatterFacts) -> bool:
            if outcome is Outcome.INSTANT:
                return m.kind == "instant"
            if m.kind != "promised":
                return False
            if outcome in (Outcome.NOT_ACCEPTED, Outcome.DEEMED):
                return m.online
            if outcome is Outcome.SUPPLEMENTED:
                return m.online and m.uploads >= 1
            if outcome is Outcome.EXTENDED:
                return m.extension_days >= 1
            return True

        pool = [m for m in self.matters if fits(m)] or [
            m for m in self.matters if m.kind == "promised"
        ]
        return self.rng.choices(pool, weights=[self.weights[m.code] for m in pool])[0]

    def pick_channel(self, matter: MatterFacts, outcome: Outcome) -> str:
        if (
            outcome
            in (
                Outcome.NOT_ACCEPTED,
                Outcome.DEEMED,
                Outcome.SUPPLEMENTED,
            )
            or not matter.window
        ):
            return "online"
        if not matter.online:
            return "window"
        # Most applicants still come to the hall (一门办理); a third apply online.
        return "window" if self.rng.random() < WINDOW_SHARE else "online"

    def pick_applicant(self, matter: MatterFacts, channel: str) -> PlannedApplicant:
        if matter.for_persons and matter.for_enterprises:
            person = self.rng.random() < 0.55
        else:
            person = matter.for_persons
        pool = self.online if channel == "online" else self.walk_in
        return self.rng.choice(pool[person])

    def receipt_day(self, r: int) -> dt.date:
        """Online applications arrive on working days, and now and then on the rest day
        before one (counted from the next working day, DOMAIN_RULES.md §1)."""
        if r >= 1 and self.rng.random() < 0.15:
            gap = (self.wd[r] - self.wd[r - 1]).days
            if gap > 1:
                return self.wd[r - 1] + dt.timedelta(days=self.rng.randrange(1, gap))
        return self.wd[r]

    # -- cases

    def case(self, number: int, outcome: Outcome) -> PlannedCase:
        # The rare endings are laid out to happen before today, so that even a small season
        # shows them; every other case may run into today and stay open.
        finish = outcome in (Outcome.LATE, Outcome.DEEMED, Outcome.DENIED, Outcome.NOT_ACCEPTED)
        for _attempt in range(20):
            matter = self.pick_matter(outcome)
            channel = self.pick_channel(matter, outcome)
            case = PlannedCase(
                number=number,
                matter_code=matter.code,
                department_code=matter.department_code,
                kind=matter.kind,
                applicant=self.pick_applicant(matter, channel).key,
                channel=channel,
                outcome=outcome,
            )
            last = self.lay_out(case, matter)
            if not finish or last < self.n:
                break
        return case

    def arrive(self, case: PlannedCase, matter: MatterFacts, r: int, *, withhold: int = 0) -> int:
        """Receipt, and acceptance unless the case asks otherwise; returns the index accepted."""
        form = {"事由": self.rng.choice(PURPOSES)}
        if case.channel == "window":
            case.steps.append(Step(self.wd[r], Op.WALK_IN, {"form": form}))
            return r
        received = self.receipt_day(r)
        case.steps.append(Step(received, Op.SUBMIT, {"form": form, "withhold": withhold}))
        return r + self.rng.choice((0, 0, 1, 1, 2)) if received == self.wd[r] else r

    def decide(self, case: PlannedCase, d: int, *, deny: bool = False) -> int:
        if deny:
            case.steps.append(Step(self.day(d), Op.DENY, {"reason": self.rng.choice(DENY_REASONS)}))
        else:
            case.steps.append(Step(self.day(d), Op.APPROVE))
        case.steps.append(Step(self.day(d), Op.CONCLUDE))
        if deny:
            method = self.rng.choice(("pickup", "post"))
        else:
            method = self.rng.choices(("e_license", "pickup", "post"), weights=(55, 35, 10))[0]
        delivered = d + self.rng.choice((0, 0, 1, 2))
        case.steps.append(Step(self.day(delivered), Op.DELIVER, {"method": method}))
        return delivered

    def early(self, limit: int) -> int:
        """Working days a decision takes within a limit: mostly well before the due date."""
        if limit <= 1:
            return limit
        used = self.rng.randint(1, limit)
        return min(used, (limit + 1) // 2) if self.rng.random() < 0.5 else used

    def lay_out(self, case: PlannedCase, matter: MatterFacts) -> int:
        """Append the case's steps; returns the index of its last step."""
        rng, n = self.rng, self.n
        limit = matter.promised_limit_days
        outcome = case.outcome
        r = rng.randrange(0, n)

        if outcome is Outcome.INSTANT:
            if case.channel == "window":
                case.steps.append(Step(self.wd[r], Op.WALK_IN, {"form": {"事由": "现场办理"}}))
                a = r
            else:
                a = self.arrive(case, matter, r)
                case.steps.append(Step(self.day(a), Op.ACCEPT))
            method = rng.choice(("e_license", "e_license", "pickup"))
            case.steps.append(Step(self.day(a), Op.DELIVER, {"method": method}))
            return a

        if outcome is Outcome.NOT_ACCEPTED:
            self.arrive(case, matter, r)
            if rng.random() < 0.3 and matter.uploads:
                q = r + rng.choice((1, 2))
                case.steps[-1].params["withhold"] = 1
                case.steps.append(
                    Step(
                        self.day(q),
                        Op.REQUEST_SUPPLEMENT,
                        {"reason": rng.choice(SUPPLEMENT_REASONS)},
                    )
                )
                end = q + rng.randint(5, 10)
                case.steps.append(Step(self.day(end), Op.REJECT, {"reason": NO_SUPPLEMENT_REASON}))
                return end
            end = r + rng.choice((0, 1, 2))
            case.steps.append(
                Step(self.day(end), Op.REJECT, {"reason": rng.choice(REJECT_REASONS)})
            )
            return end

        if outcome is Outcome.DEEMED:
            # Nobody answers within 5 working days (Art. 32(4)): the nightly scan accepts it as
            # of the day of receipt, the day after the 5th working day; a reviewer decides later.
            case.steps.append(Step(self.wd[r], Op.SUBMIT, dict(PLAIN_SUBMISSION)))
            case.steps.append(Step(self.day(r + 5) + dt.timedelta(days=1), Op.DEEMED))
            return self.decide(case, r + 6 + rng.choice((0, 1, 2)))

        if outcome in (Outcome.OPEN_RED, Outcome.OPEN_YELLOW, Outcome.OPEN_PAUSED):
            return self.lay_out_open(case, matter)

        if outcome is Outcome.SUPPLEMENTED:
            withhold = rng.randint(1, min(2, matter.uploads))
            self.arrive(case, matter, r, withhold=withhold)
            q = r + rng.choice((1, 2))
            case.steps.append(
                Step(self.day(q), Op.REQUEST_SUPPLEMENT, {"reason": rng.choice(SUPPLEMENT_REASONS)})
            )
            s = q + rng.randint(1, 4)
            case.steps.append(Step(self.day(s), Op.SUPPLEMENT))
            a = s + rng.choice((0, 1))
            case.steps.append(Step(self.day(a), Op.ACCEPT))
            return self.decide(case, a + self.early(limit))

        a = self.arrive(case, matter, r)
        if case.channel == "online":
            case.steps.append(Step(self.day(a), Op.ACCEPT))
        if outcome is Outcome.PAUSED:
            p = a + rng.randint(1, max(1, limit - 1))
            kind, reason = rng.choice(PAUSES)
            case.steps.append(Step(self.day(p), Op.PAUSE, {"kind": kind, "reason": reason}))
            q = p + rng.randint(3, 10)
            case.steps.append(Step(self.day(q), Op.RESUME, {"reason": "特别程序结束"}))
            left = max(0, limit - (p - a))
            return self.decide(case, q + (rng.randint(1, left) if left else 0))
        if outcome is Outcome.EXTENDED:
            x = a + max(1, limit - rng.choice((0, 1)))
            days = min(matter.extension_days, rng.randint(3, 10))
            case.steps.append(
                Step(self.day(x), Op.EXTEND, {"days": days, "reason": rng.choice(EXTEND_REASONS)})
            )
            return self.decide(case, a + limit + rng.randint(1, days))
        if outcome is Outcome.LATE:
            return self.decide(case, a + limit + rng.choice((1, 1, 1, 2, 2, 3, 4, 6)))
        if outcome is Outcome.DENIED:
            return self.decide(case, a + self.early(limit), deny=True)
        return self.decide(case, a + self.early(limit))

    def lay_out_open(self, case: PlannedCase, matter: MatterFacts) -> int:
        """Cases open today by design: accepted so that today is past their yellow day
        (yellow) or their due date (red), or paused in a special procedure."""
        rng, limit = self.rng, matter.promised_limit_days
        if case.outcome is Outcome.OPEN_RED:
            used = limit + rng.randint(1, 5)
        elif case.outcome is Outcome.OPEN_YELLOW:
            low = max(yellow_day_index(limit), int(self.today_works))
            used = rng.randint(low, max(low, limit))
        else:
            used = rng.randint(2, 12)
        a = max(0, self.n - 1 + int(self.today_works) - used)
        a = min(a, self.n - 1)
        if case.channel == "window":
            case.steps.append(Step(self.wd[a], Op.WALK_IN, {"form": {"事由": "新办"}}))
        else:
            r = max(0, a - rng.choice((0, 1)))
            case.steps.append(Step(self.wd[r], Op.SUBMIT, dict(PLAIN_SUBMISSION)))
            case.steps.append(Step(self.wd[a], Op.ACCEPT))
        if case.outcome is Outcome.OPEN_PAUSED:
            p = min(self.n - 1, a + rng.randint(1, max(1, min(limit - 1, self.n - 1 - a))))
            kind, reason = rng.choice(PAUSES)
            case.steps.append(Step(self.wd[p], Op.PAUSE, {"kind": kind, "reason": reason}))
            return p
        return a


def _rate(rng: random.Random, cases: list[PlannedCase], wd: list[dt.date]) -> None:
    """Ratings on most concluded cases, about 3 % of them bad (levels 1–2); a bad review is
    visited and rectified within the ratings room's limit, late, or not yet."""
    n = len(wd)
    index = {d: i for i, d in enumerate(wd)}
    rated: list[tuple[PlannedCase, int, str]] = []
    for case in cases:
        concluded = [s.day for s in case.steps if s.op is Op.CONCLUDE and s.day in index]
        if not concluded and case.outcome is Outcome.INSTANT and case.steps:
            accepted = [s.day for s in case.steps if s.op in (Op.WALK_IN, Op.ACCEPT)]
            concluded = [d for d in accepted if d in index]
        if not concluded or rng.random() > RATED_SHARE:
            continue
        c = index[concluded[0]]
        if case.channel == "window" and rng.random() < 0.5:
            rated.append((case, c, "on_site"))  # 一次一评, at the window
        else:
            rated.append((case, c + rng.choice((0, 1, 1, 2, 3, 5)), "online"))  # 一事一评
    rated = [(case, g, channel) for case, g, channel in rated if g < n]
    if not rated:
        return
    bad_count = max(2, round(BAD_REVIEW_SHARE * len(rated)))
    # Bad reviews fall more often on late cases; the oldest one is rectified in time and the
    # newest one is still open today, so both show even in a small season.
    by_day = sorted(range(len(rated)), key=lambda i: (rated[i][1], rated[i][0].number))
    late = [i for i in by_day if rated[i][0].outcome in (Outcome.LATE, Outcome.DEEMED)]
    chosen = {by_day[0], by_day[-1]}
    for i in rng.sample(late, min(len(late), bad_count // 2)):
        chosen.add(i)
    rest = [i for i in by_day if i not in chosen]
    for i in rng.sample(rest, max(0, min(len(rest), bad_count - len(chosen)))):
        chosen.add(i)
    for i, (case, g, channel) in enumerate(rated):
        if i in chosen:
            level, text = rng.choice((1, 2, 2)), rng.choice(BAD_TEXTS)
        elif case.outcome in (Outcome.LATE, Outcome.DEEMED):
            level, text = rng.choice((3, 3, 4, 4, 5)), ""
        elif case.outcome is Outcome.DENIED:
            level, text = rng.choice((3, 4, 4, 5)), ""
        else:
            level = rng.choices((5, 4, 3), weights=(70, 24, 6))[0]
            text = rng.choice(GOOD_TEXTS) if rng.random() < 0.3 else ""
        case.steps.append(Step(wd[g], Op.RATE, {"level": level, "text": text, "channel": channel}))
        if i in chosen:
            _rectify(rng, case, g, wd, first=i == by_day[0], last=i == by_day[-1])


def _rectify(
    rng: random.Random, case: PlannedCase, g: int, wd: list[dt.date], *, first: bool, last: bool
) -> None:
    """The return visit and the measures after a bad review on working day ``g``."""
    n = len(wd)
    if last:
        return  # the newest bad review: nobody has visited yet
    fate = (
        "on_time"
        if first
        else rng.choices(("on_time", "late", "visited", "untouched"), weights=(55, 15, 15, 15))[0]
    )
    if fate == "untouched":
        return
    visit = g + (rng.choice((1, 2)) if fate != "late" else rng.choice((2, 3, 4)))
    satisfied = fate == "on_time" or rng.random() < 0.5
    if visit >= n:
        return
    case.steps.append(
        Step(
            wd[visit],
            Op.VISIT,
            {"outcome": rng.choice(VISIT_OUTCOMES), "satisfied": satisfied},
        )
    )
    if fate == "visited":
        return
    if fate == "on_time":
        done = rng.randint(visit, g + RECTIFICATION_DAYS)
    else:
        done = g + rng.randint(RECTIFICATION_DAYS + 1, RECTIFICATION_DAYS + 3)
    if done < n:
        case.steps.append(Step(wd[done], Op.COMPLETE, {"measures": rng.choice(MEASURES)}))
