"""The demo city's supervision tasks (督查督办) and accountability cases (问责), built through
the supervision services, so they carry real clocks, histories and audit events.

* **History (S18).** 214 supervision and assessment items in 2018 and 58 in 2019, entered from
  the paper ledger (台账补录, :func:`supervision_task_record_closed`) with their real dates:
  created and closed out in their year, some of them late. The yearly counts computed from
  these rows give 2019's change on 2018: 58 / 214 − 1 = −72.9 %.
* **Now.** A handful of tasks in every state: one handed over long ago, overdue, urged and
  escalated by the daily job; one reported and awaiting review; one sent back; one in
  progress on time; one not handed over yet; one closed out today; one from a media exposure,
  closed out, whose accountability case is decided.
* **Accountability (S24).** Three cases: decided (from the media-exposure task), one under
  investigation with the unit's statement (from the escalated task), and one with its facts
  established from an overdue item (a red clock).

The unit steps are the demo accounts of the Administrative Approval Bureau (``head``,
``reviewer``); the office is ``office``. Call :func:`demo_build_supervision` after the
departments and accounts exist (``demo_build`` does).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.db.models import Q
from django.utils import timezone

from xiaoneng.accounts.models import Department, User
from xiaoneng.calendars.selectors import workday_calendar
from xiaoneng.clocks.models import Clock
from xiaoneng.core.errors import Conflict
from xiaoneng.supervision.models import SupervisionTask
from xiaoneng.supervision.selectors.tasks import CLOCK_KIND, supervision_yearly_counts
from xiaoneng.supervision.services import accountability as cases
from xiaoneng.supervision.services import tasks as services

Progress = Callable[[str, int, int], None]

# S18: supervision and assessment items fell by 72.9 % year on year: 214 → 58
# (1 − 58 / 214 = 0.7290). The split between supervision (督查) and assessment (考核) items is
# the demo's own.
HISTORY: dict[int, tuple[int, int]] = {2018: (150, 64), 2019: (41, 17)}

UNIT_CODE = "130100001"  # 石家庄市行政审批局: the demo accounts head, reviewer, window
CO_UNIT_CODE = "130100007"  # 石家庄市市场监督管理局

_TITLES: dict[str, tuple[str, ...]] = {
    "leader_instruction": (
        "市领导批示：{unit}审批时限压缩落实情况",
        "市领导批示：{unit}“最多跑一次”事项清单梳理",
    ),
    "media_exposure": (
        "媒体曝光：{unit}窗口办事排长队",
        "媒体曝光：{unit}群众办事多次往返",
    ),
    "hotline_escalation": (
        "12345热线升级：{unit}办件久拖不决",
        "12345热线升级：{unit}答复群众不及时",
    ),
    "wenzheng": ("效能问政点名：{unit}推诿扯皮", "效能问政点名：{unit}办事指南与实际不符"),
    "opinion_campaign": (
        "万民千企议效能：{unit}涉企检查过多",
        "万民千企议效能：{unit}证明材料要求过多",
    ),
    "red_warning": ("红色预警：{unit}办件超时未办结",),
}
_ASSESSMENT_TITLES = (
    "{unit}年度营商环境考核指标核查",
    "{unit}政务服务“好差评”考核",
    "{unit}效能建设目标责任考核",
)


def _no_progress(step: str, done: int, total: int) -> None:
    return None


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise Conflict(
            f"The demo account {username!r} does not exist: build the demo city's accounts "
            "before its supervision tasks."
        )
    return user


def _history(
    *, office: User, units: list[Department], rng: random.Random, progress: Progress, total: int
) -> tuple[dict[int, int], Clock | None]:
    """Record the 2018 and 2019 items from the ledger; the clock of one late item."""
    calendar = workday_calendar()
    counts: dict[int, int] = {}
    late_clock: Clock | None = None
    done = 0
    sources = list(_TITLES)
    for year, (supervision, assessment) in HISTORY.items():
        categories = ["supervision"] * supervision + ["assessment"] * assessment
        rng.shuffle(categories)
        for serial, category in enumerate(categories):
            unit = units[serial % len(units)]
            # Spread over January–November, so every item closes within its year.
            created = calendar.add_workdays(dt.date(year, 1, 2), rng.randrange(0, 215))
            limit = rng.choice((5, 10, 10, 15, 20))
            # Most are concluded on time; about one in seven takes a few days more.
            used = max(1, limit - rng.randrange(0, 4)) if rng.random() > 0.14 else limit + 3
            closed = calendar.add_workdays(created, used)
            source = rng.choice(sources)
            pattern = rng.choice(
                _ASSESSMENT_TITLES if category == "assessment" else _TITLES[source]
            )
            task = services.supervision_task_record_closed(
                actor=office,
                title=pattern.format(unit=unit.short_name or unit.name),
                source=source,
                category=category,
                limit_days=limit,
                lead_unit=unit,
                created_on=created,
                closed_on=closed,
                result="已按要求办结，整改到位（台账补录，演示数据）。",
                source_reference=f"{year}年督查台账第{serial + 1}号",
            )
            if late_clock is None and task.clock is not None and task.clock.warning == "red":
                late_clock = task.clock
            done += 1
            progress("supervision", done, total)
        counts[year] = supervision + assessment
    return counts, late_clock


def demo_build_supervision(*, progress: Progress | None = None) -> dict[str, Any]:
    """Build the demo city's supervision tasks and accountability cases (claims S18, S22, S24).

    Needs the demo departments and the accounts ``office``, ``head`` and ``reviewer``.

    Returns:
        What was built: ``historical`` (items per year), ``current`` (task numbers by
        state), ``cases`` (case numbers by state) and ``yearly`` (the yearly counts, computed
        back from the rows; 2019's change is −0.729).

    Raises:
        Conflict: the accounts are missing, or the database already holds supervision tasks.
    """
    report = progress or _no_progress
    if SupervisionTask.objects.exists():
        raise Conflict("This database already holds supervision tasks.")
    office, head, reviewer = _user("office"), _user("head"), _user("reviewer")
    unit = Department.objects.get(code=UNIT_CODE)
    co_unit = Department.objects.filter(code=CO_UNIT_CODE).first()
    city_units = list(
        Department.objects.filter(code__startswith="130100", level="city", is_service_unit=False)
        .exclude(code="130100")
        .order_by("code")
    ) or [unit]
    rng = random.Random(2018)  # noqa: S311 - deterministic synthetic data, not security
    historical_total = sum(a + b for a, b in HISTORY.values())
    total = historical_total + 10
    counts, late_clock = _history(
        office=office, units=city_units, rng=rng, progress=report, total=total
    )

    today = timezone.localdate()
    current: dict[str, str] = {}

    def create(title: str, source: str, limit: int, days_ago: int, **extra: Any) -> Any:
        return services.supervision_task_create(
            actor=office,
            title=title,
            description=extra.pop("description", "请牵头单位查明情况，限期整改并报送结果。"),
            source=source,
            limit_days=limit,
            lead_unit=unit,
            co_units=[co_unit] if co_unit else [],
            on=today - dt.timedelta(days=days_ago),
            **extra,
        )

    def assign(task: Any, days_ago: int) -> Any:
        return services.supervision_task_assign(
            actor=office, task=task, on=today - dt.timedelta(days=days_ago)
        )

    def progress_report(task: Any, text: str) -> Any:
        return services.supervision_task_report_progress(actor=reviewer, task=task, text=text)

    def submit(task: Any, text: str) -> Any:
        return services.supervision_task_submit(actor=head, task=task, result=text)

    # A media exposure, closed out today after it ran late; its case is decided below.
    media = create(
        "媒体曝光：行政审批局窗口办事排长队、叫号系统故障",
        "media_exposure",
        10,
        35,
        source_reference="燕赵都市报 民生调查（演示）",
        description="媒体报道市民服务中心工作日上午排队超过两小时，叫号系统多次故障。",
    )
    media = assign(media, 35)
    media = progress_report(media, "已增设两个综合窗口，叫号系统已更换。")
    media = submit(media, "窗口排队时间降至30分钟以内，建立高峰期弹性窗口制度。")
    media = services.supervision_task_close(actor=office, task=media, note="整改到位，同意销号。")
    current["closed_media"] = media.number
    report("supervision", historical_total + 1, total)

    # Concluded on time and closed out today.
    on_time = create("市领导批示：企业开办全流程压缩至1个工作日", "leader_instruction", 25, 30)
    on_time = assign(on_time, 30)
    on_time = progress_report(on_time, "已实现营业执照、公章刻制、发票申领一窗办理。")
    on_time = submit(on_time, "企业开办全流程1个工作日办结，已在全市推行。")
    on_time = services.supervision_task_close(actor=office, task=on_time, note="同意销号。")
    current["closed"] = on_time.number
    report("supervision", historical_total + 2, total)

    # Handed over long ago and overdue: urged, then escalated by the daily job.
    overdue = create(
        "12345热线升级：不动产登记办件久拖不决",
        "hotline_escalation",
        10,
        40,
        source_reference="12345工单（演示）",
    )
    overdue = assign(overdue, 40)
    overdue = progress_report(overdue, "已联系申请人，正在协调测绘单位补充材料。")
    overdue = services.supervision_task_urge(
        actor=office, task=overdue, text="已超过办理时限，请立即办结并报送结果。"
    )
    escalated = services.supervision_tasks_escalate_overdue(actor=office)
    current["escalated"] = overdue.number
    report("supervision", historical_total + 3, total)

    # Reported, awaiting the office's review.
    submitted = create("效能问政点名：审批事项办事指南与实际不符", "wenzheng", 15, 10)
    submitted = assign(submitted, 10)
    submitted = progress_report(submitted, "已逐项核对办事指南，发现12处不一致。")
    submitted = submit(submitted, "12处办事指南已全部更正并在网上公开。")
    current["submitted"] = submitted.number
    report("supervision", historical_total + 4, total)

    # Sent back: the result did not settle the problem.
    sent_back = create("万民千企议效能：涉企证明材料要求过多", "opinion_campaign", 20, 12)
    sent_back = assign(sent_back, 12)
    sent_back = progress_report(sent_back, "已梳理涉企证明材料清单。")
    sent_back = submit(sent_back, "已取消部分证明材料。")
    sent_back = services.supervision_task_send_back(
        actor=office,
        task=sent_back,
        reason="未列明取消的证明材料清单和替代方式，请补充后重新报结。",
    )
    current["sent_back"] = sent_back.number
    report("supervision", historical_total + 5, total)

    # In progress, on time.
    in_progress = create("市领导批示：“一件事”集成服务上线情况", "leader_instruction", 15, 3)
    in_progress = assign(in_progress, 3)
    in_progress = progress_report(in_progress, "已完成10个“一件事”流程梳理。")
    current["in_progress"] = in_progress.number
    report("supervision", historical_total + 6, total)

    # Created, not handed over yet.
    draft = services.supervision_task_create(
        actor=office,
        title="考核：政务服务“好差评”差评整改率核查",
        source="leader_instruction",
        category="assessment",
        limit_days=10,
        description="核查各部门差评整改台账，拟交办后限期报送。",
    )
    current["created"] = draft.number
    report("supervision", historical_total + 7, total)

    # -- accountability ---------------------------------------------------------------------
    built_cases: dict[str, str] = {}
    decided = cases.accountability_case_open(
        actor=office,
        task=media,
        reason="媒体曝光问题整改超过办理时限，群众反映强烈，需查明责任。",
    )
    decided = cases.accountability_case_investigate(
        actor=office, case=decided, text="调取了叫号系统日志和窗口排班表，约谈了大厅负责人。"
    )
    decided = cases.accountability_case_record_findings(
        actor=office,
        case=decided,
        findings="叫号系统故障报修后一周未修复，高峰期未按规定增开窗口。",
        person_name="赵某（演示）",
        person_position="政务服务大厅管理科科长",
    )
    decided = cases.accountability_case_propose(
        actor=office, case=decided, handling="interview", text="建议对大厅管理科科长进行约谈。"
    )
    decided = cases.accountability_case_decide(
        actor=office,
        case=decided,
        decision="circulated_criticism",
        text="给予通报批评，责令建立窗口弹性调配制度。",
    )
    built_cases["decided"] = decided.number
    report("supervision", historical_total + 8, total)

    investigating = cases.accountability_case_open(
        actor=office,
        task=overdue,
        reason="督办任务超期未办结，经催办仍未报结。",
    )
    investigating = cases.accountability_case_investigate(
        actor=office, case=investigating, text="已调取办件记录，正在核实超期原因。"
    )
    investigating = cases.accountability_case_add_statement(
        actor=head, case=investigating, text="超期系测绘单位未按期提交成果，我局已多次催告。"
    )
    built_cases["investigating"] = investigating.number
    report("supervision", historical_total + 9, total)

    # An overdue item of another room if the demo has one (an application, a ticket…), else a
    # ledger item concluded late.
    red_clock = (
        Clock.objects.exclude(kind=CLOCK_KIND)
        .filter(Q(state="running", due_on__lt=today) | Q(warning="red"))
        .select_related("department")
        .order_by("due_on", "pk")
        .first()
    ) or late_clock
    if red_clock is not None:
        from_clock = cases.accountability_case_open(
            actor=office,
            clock=red_clock,
            reason="事项超时办结，需查明超时原因和责任。",
        )
        from_clock = cases.accountability_case_investigate(
            actor=office, case=from_clock, text="已调取办理记录和审批意见。"
        )
        from_clock = cases.accountability_case_record_findings(
            actor=office,
            case=from_clock,
            findings="承办人员休假期间未交接，办件在系统中停留6个工作日。",
            person_name="钱某（演示）",
            person_position="审批科科员",
        )
        built_cases["findings_recorded"] = from_clock.number
    report("supervision", total, total)

    yearly = supervision_yearly_counts()
    return {
        "historical": counts,
        "current": current,
        "escalated": [t.number for t in escalated],
        "cases": built_cases,
        "yearly": yearly,
    }
