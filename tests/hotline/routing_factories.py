"""Helpers of the routing tests: departments with staff, and closed tickets made by the services."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from tests.clocks.factories import DepartmentFactory, UserFactory
from tests.hotline.factories import register
from xiaoneng.accounts.models import Department, Role, User
from xiaoneng.hotline.models import Ticket, TicketCategory
from xiaoneng.hotline.services import tickets as services

# What people say to each of three departments; a few words are shared on purpose.
TOPICS: dict[str, list[str]] = {
    "城管": ["占道经营", "乱摆摊点", "违章搭建", "渣土车撒漏", "户外广告牌", "共享单车乱停"],
    "住建": ["物业服务", "维修基金", "电梯故障", "房屋漏水", "开发商延期交房", "业委会选举"],
    "人社": ["拖欠工资", "社保缴费", "劳动合同", "工伤认定", "失业金领取", "加班费"],
}
FILLER = ["市民反映", "来电人称", "希望尽快处理", "已经多次反映", "小区门口", "最近一周", "人民路"]


def description(rng: random.Random, topic: str) -> str:
    """A made-up request about ``topic``: one or two of its phrases among filler words."""
    words = rng.sample(TOPICS[topic], k=rng.randint(1, 2)) + rng.sample(FILLER, k=3)
    rng.shuffle(words)
    return "，".join(words) + "。"


@dataclass
class Handler:
    """A handling department and the window officer who accepts and replies."""

    department: Department
    officer: User


def handler(name: str, **kwargs: Any) -> Handler:
    """A department called ``name`` with one window officer."""
    department = DepartmentFactory(name=name, **kwargs)
    return Handler(department, UserFactory(role=Role.WINDOW, department=department))


def closed_ticket(
    *, operator: User, handler: Handler, text: str, category: TicketCategory | None = None
) -> Ticket:
    """A ticket taken through the whole loop by the services: dispatched, replied, visited."""
    ticket = register(operator=operator, description=text, category=category)
    services.ticket_dispatch(actor=operator, ticket=ticket, department=handler.department)
    services.ticket_accept(actor=handler.officer, ticket=ticket)
    services.ticket_reply(actor=handler.officer, ticket=ticket, reply="已处理")
    return services.ticket_return_visit(actor=operator, ticket=ticket, level=5)


def history(*, operator: User, per_topic: int, seed: int = 5) -> dict[str, Handler]:
    """``per_topic`` closed tickets for each topic's department; the handlers by topic."""
    rng = random.Random(seed)
    handlers = {topic: handler(f"{topic}局") for topic in TOPICS}
    for _ in range(per_topic):
        for topic, who in handlers.items():
            closed_ticket(operator=operator, handler=who, text=description(rng, topic))
    return handlers
