"""Builders for the supervision task and accountability tests: a small city, tasks driven to
any state through the services, cases opened from them.

Everything goes through the services, so the rows carry the same clocks, histories and audit
events as real ones::

    city = make_city()
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tests.clocks.factories import DepartmentFactory, UserFactory
from xiaoneng.accounts.models import Department, Role, User
from xiaoneng.supervision.models import AccountabilityCase, SupervisionTask
from xiaoneng.supervision.services import accountability as cases
from xiaoneng.supervision.services import tasks as services


@dataclass
class SupervisionCity:
    """A parent government with a head; a lead unit, a co-unit and an unrelated unit with
    their staff; the efficiency office; a citizen."""

    parent: Department
    parent_head: User
    unit: Department
    head: User
    reviewer: User
    window: User
    co_unit: Department
    co_head: User
    co_reviewer: User
    other: Department
    other_head: User
    office: User
    citizen: User


def make_city() -> SupervisionCity:
    """A fresh city (new departments and users each call)."""
    parent = DepartmentFactory(name="测试市人民政府")
    unit = DepartmentFactory(name="市住房和城乡建设局", parent=parent)
    co_unit = DepartmentFactory(name="市自然资源和规划局", parent=parent)
    other = DepartmentFactory(name="市交通运输局", parent=parent)
    return SupervisionCity(
        parent=parent,
        parent_head=UserFactory(role=Role.HEAD, department=parent, display_name="市政府领导"),
        unit=unit,
        head=UserFactory(role=Role.HEAD, department=unit, display_name="住建局长"),
        reviewer=UserFactory(role=Role.REVIEWER, department=unit, display_name="住建科员"),
        window=UserFactory(role=Role.WINDOW, department=unit),
        co_unit=co_unit,
        co_head=UserFactory(role=Role.HEAD, department=co_unit),
        co_reviewer=UserFactory(role=Role.REVIEWER, department=co_unit),
        other=other,
        other_head=UserFactory(role=Role.HEAD, department=other),
        office=UserFactory(role=Role.OFFICE, department=None, display_name="效能办"),
        citizen=UserFactory(role=Role.CITIZEN, department=None),
    )


def new_task(city: SupervisionCity, **overrides: Any) -> SupervisionTask:
    """A task created by the office (state ``created``), lead unit and co-unit set."""
    values: dict[str, Any] = {
        "actor": city.office,
        "title": "老旧小区改造进度滞后",
        "description": "媒体报道某小区改造停工三个月，请查明原因并限期整改。",
        "source": "media_exposure",
        "source_reference": "石家庄日报 2025-03-01",
        "limit_days": 10,
        "lead_unit": city.unit,
        "co_units": [city.co_unit],
    }
    values.update(overrides)
    return services.supervision_task_create(**values)


# The steps that lead to each state, from ``created``.
_STEPS: dict[str, tuple[str, ...]] = {
    "created": (),
    "assigned": ("assign",),
    "in_progress": ("assign", "progress"),
    "submitted": ("assign", "progress", "submit"),
    "sent_back": ("assign", "progress", "submit", "send_back"),
    "closed": ("assign", "progress", "submit", "close"),
}


def task_in_state(
    city: SupervisionCity, state: str, *, assigned_on: dt.date | None = None, **overrides: Any
) -> SupervisionTask:
    """A task driven through the services to ``state``: created and handed over today, or on
    ``assigned_on``; the unit's steps are today."""
    if assigned_on is not None:
        overrides.setdefault("on", assigned_on)
    task = new_task(city, **overrides)
    for step in _STEPS[state]:
        if step == "assign":
            task = services.supervision_task_assign(actor=city.office, task=task, on=assigned_on)
        elif step == "progress":
            task = services.supervision_task_report_progress(
                actor=city.reviewer, task=task, text="已约谈施工单位，复工方案已报。"
            )
        elif step == "submit":
            task = services.supervision_task_submit(
                actor=city.head, task=task, result="小区已复工，预计两个月完工。"
            )
        elif step == "send_back":
            task = services.supervision_task_send_back(
                actor=city.office, task=task, reason="未附复工照片和工期计划。"
            )
        elif step == "close":
            task = services.supervision_task_close(actor=city.office, task=task, note="同意销号")
    return task


def open_case(
    city: SupervisionCity, *, task: SupervisionTask | None = None, **overrides: Any
) -> AccountabilityCase:
    """A case opened by the office from ``task`` (a fresh in-progress task by default)."""
    values: dict[str, Any] = {
        "actor": city.office,
        "task": task if task is not None else task_in_state(city, "in_progress"),
        "reason": "媒体曝光问题整改不力，需查明责任。",
    }
    values.update(overrides)
    return cases.accountability_case_open(**values)


def case_in_state(city: SupervisionCity, state: str, **overrides: Any) -> AccountabilityCase:
    """A case driven through the services to ``state``."""
    case = open_case(city, **overrides)
    order = ["opened", "investigating", "findings_recorded", "handling_proposed", "decided"]
    for step in order[1 : order.index(state) + 1]:
        if step == "investigating":
            case = cases.accountability_case_investigate(
                actor=city.office, case=case, text="调取了施工日志，约谈了项目负责人。"
            )
        elif step == "findings_recorded":
            case = cases.accountability_case_record_findings(
                actor=city.office,
                case=case,
                findings="监管科未按期督促施工单位复工。",
                person_name="王某",
                person_position="监管科科长",
            )
        elif step == "handling_proposed":
            case = cases.accountability_case_propose(
                actor=city.office, case=case, handling="interview", text="建议对监管科科长约谈。"
            )
        elif step == "decided":
            case = cases.accountability_case_decide(
                actor=city.office,
                case=case,
                decision="circulated_criticism",
                text="给予通报批评。",
            )
    return case
