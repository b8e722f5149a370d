"""Shared fixtures of the robustness suite: one small city built once per test module.

``robust_city`` builds, through the rooms' services, one item of every kind that has a page or
an endpoint of its own, twice: in department D and in another department E, so tests can check
that staff of one department never reach the other's items. The data is written inside one
transaction opened for the whole module and rolled back at its end; each test runs in a
savepoint of it (pytest-django's ``db``), so what a test writes never leaks into the next.
Time is frozen on a working Monday, so clocks and due dates do not depend on the day the suite
runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test.utils import override_settings

from tests.applications.factories import UserFactory, promised_matter, submit
from tests.clocks.factories import DepartmentFactory
from tests.licenses.factories import issue_license
from xiaoneng.accounts.models import Department, Role, User
from xiaoneng.applications.models import Application, ApplicationMaterial
from xiaoneng.catalog.models import Matter
from xiaoneng.hotline.models import Article, RoutingRule, Ticket, TicketAttachment, TicketCategory
from xiaoneng.hotline.services import knowledge, routing
from xiaoneng.hotline.services import tickets as hotline
from xiaoneng.licenses.models import License
from xiaoneng.notifications.models import Message
from xiaoneng.notifications.services import notify
from xiaoneng.ratings.models import Rectification
from xiaoneng.ratings.services import rating_submit
from xiaoneng.supervision.models import AccountabilityCase, SupervisionTask
from xiaoneng.supervision.services import accountability, tasks

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A working Monday inside the seeded calendar; the month before it has a bulletin.
FROZEN_AT = dt.datetime(2025, 6, 16, 10, 0, tzinfo=SHANGHAI)

# The roles of the matrix, in the order the tests are named. "dept" roles belong to D.
ROLES = (
    "anonymous",
    "citizen",
    "enterprise",
    "window",
    "reviewer",
    "head",
    "other_head",
    "office",
    "admin",
    "partner",
    "operator",
)


@dataclass
class Side:
    """One department's items: D's are reachable by D's staff, E's must not be."""

    department: Department
    matter: Matter
    application: Application
    material: ApplicationMaterial
    license: License
    rectification: Rectification
    ticket: Ticket
    attachment: TicketAttachment
    task: SupervisionTask
    case: AccountabilityCase
    message: Message


@dataclass
class RobustCity:
    """The users of every role, the hotline's shared rows, and departments D and E."""

    users: dict[str, User | None]
    d: Side
    e: Side
    category: TicketCategory
    article: Article
    routing_rule: RoutingRule
    open311_key: str


def _png(name: str) -> SimpleUploadedFile:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
    return SimpleUploadedFile(name, png, content_type="image/png")


def _side(
    department: Department,
    *,
    applicant: User,
    operator: User,
    office: User,
    category: TicketCategory,
) -> Side:
    """One item of every kind for ``department``, made through the services."""
    matter = promised_matter(department)
    application = submit(applicant, matter)
    material = application.materials.order_by("pk").first()
    assert material is not None
    license = issue_license(
        department=department, source=application, holder_name=applicant.display_name
    )
    rating = rating_submit(
        actor=applicant, item=application, department=department, level=1, text="态度差"
    )
    rectification = Rectification.objects.get(rating=rating)
    ticket = hotline.ticket_register(
        actor=operator,
        channel="phone",
        ticket_type="complaint",
        description=f"{department.name}门口夜间施工噪音扰民",
        reporter_name="张三",
        reporter_phone="13812345678",
        category=category,
    )
    ticket = hotline.ticket_dispatch(actor=operator, ticket=ticket, department=department)
    attachment = hotline.ticket_attach(actor=operator, ticket=ticket, upload=_png("photo.png"))
    task = tasks.supervision_task_create(
        actor=office,
        title=f"{department.name}整改滞后",
        description="媒体报道停工三个月。",
        source="media_exposure",
        source_reference="日报 2025-06-01",
        limit_days=10,
        lead_unit=department,
    )
    task = tasks.supervision_task_assign(actor=office, task=task)
    case = accountability.accountability_case_open(
        actor=office, task=task, reason="整改不力，需查明责任。"
    )
    message = notify(
        recipient=applicant,
        subject=f"{department.name}办件提醒",
        body="请补正材料。",
        channels=["in_site"],
    )[0]
    return Side(
        department=department,
        matter=matter,
        application=application,
        material=material,
        license=license,
        rectification=rectification,
        ticket=ticket,
        attachment=attachment,
        task=task,
        case=case,
        message=message,
    )


def _build() -> RobustCity:
    centre = DepartmentFactory.create(code="12345", name="12345热线中心")
    d = DepartmentFactory.create(code="130100901", name="甲局")
    e = DepartmentFactory.create(code="130100902", name="乙局")
    users: dict[str, User | None] = {
        "anonymous": None,
        "citizen": UserFactory.create(role=Role.CITIZEN, department=None, display_name="张三"),
        "enterprise": UserFactory.create(role=Role.ENTERPRISE, department=None),
        "window": UserFactory.create(role=Role.WINDOW, department=d),
        "reviewer": UserFactory.create(role=Role.REVIEWER, department=d),
        "head": UserFactory.create(role=Role.HEAD, department=d),
        "other_head": UserFactory.create(role=Role.HEAD, department=e),
        "office": UserFactory.create(role=Role.OFFICE, department=None),
        "admin": UserFactory.create(
            role=Role.ADMIN, department=None, is_staff=True, is_superuser=True
        ),
        "partner": UserFactory.create(role=Role.PARTNER, department=None),
        "operator": UserFactory.create(role=Role.WINDOW, department=centre),
    }
    other_citizen = UserFactory.create(role=Role.CITIZEN, department=None, display_name="李四")
    operator, office, citizen = users["operator"], users["office"], users["citizen"]
    assert operator is not None and office is not None and citizen is not None
    category = TicketCategory.objects.create(code="CG02", name="噪音")
    side_d = _side(d, applicant=citizen, operator=operator, office=office, category=category)
    side_e = _side(e, applicant=other_citizen, operator=operator, office=office, category=category)
    article = knowledge.article_create(
        actor=operator,
        title="夜间施工噪音投诉",
        body="夜间施工噪音可向城管部门投诉。",
        department=d,
    )
    rule = routing.routing_rule_create(actor=operator, name="噪音", department=d, category=category)
    _, key = hotline.open311_key_create(actor=None, name="测试客户端")
    return RobustCity(
        users=users,
        d=side_d,
        e=side_e,
        category=category,
        article=article,
        routing_rule=rule,
        open311_key=key,
    )


@pytest.fixture(scope="module")
def robust_city(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RobustCity]:
    """The city of this module, rolled back when the module ends (see the module docstring)."""
    immediate = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default"],
        }
    }
    with (
        django_db_blocker.unblock(),
        time_machine.travel(FROZEN_AT, tick=False),
        override_settings(
            TASKS=immediate,
            MEDIA_ROOT=tmp_path_factory.mktemp("robust-media"),
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            NOTIFICATION_SENDERS={
                "sms": "xiaoneng.notifications.senders.OutboxOnlySender",
                "email": "xiaoneng.notifications.senders.OutboxOnlySender",
            },
        ),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
