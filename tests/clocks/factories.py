"""Factories and a tracked item for clock tests, reusable by the other rooms' tests.

Any saved model row can carry a clock; tests use a :class:`~xiaoneng.accounts.models.
Department` as the tracked item, so no test-only model is needed in the migrations::

    from tests.clocks.factories import DepartmentFactory, UserFactory, start_test_clock

    clock = start_test_clock(limit_days=20, started_on=date(2025, 3, 3))
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from xiaoneng.accounts.models import Department, Role, User
from xiaoneng.clocks.models import Clock


class DepartmentFactory(factory.django.DjangoModelFactory[Department]):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"TD{n:04d}")
    name = factory.Sequence(lambda n: f"测试部门 {n}")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"officer{n}")
    role = Role.REVIEWER
    department = factory.SubFactory(DepartmentFactory)


def tracked_item(**kwargs: Any) -> Department:
    """A saved row to hang a clock on: any model will do, a department is the cheapest."""
    return DepartmentFactory.create(**kwargs)


def start_test_clock(
    *,
    started_on: dt.date,
    limit_days: int = 20,
    kind: str = "test.item",
    extension_allowance_days: int = 10,
    item: Any = None,
    department: Department | None = None,
    actor: User | None = None,
    label: str = "",
) -> Clock:
    """Start a clock through the service on a fresh tracked item (see the module docstring)."""
    from xiaoneng.clocks.services import clock_start

    department = department or DepartmentFactory.create()
    return clock_start(
        actor=actor,
        item=item if item is not None else tracked_item(),
        department=department,
        kind=kind,
        limit_days=limit_days,
        started_on=started_on,
        extension_allowance_days=extension_allowance_days,
        label=label,
    )
