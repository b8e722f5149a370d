"""Fixtures of the hotline tests: English messages, the hotline centre, a department, a day."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.utils import translation

from tests.clocks.conftest import travel_to
from tests.clocks.factories import DepartmentFactory, UserFactory
from xiaoneng.accounts.models import Department, Role, User


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English, so assertions on their wording do not depend on compiled .mo."""
    with translation.override("en"):
        yield


@dataclass
class Hotline:
    """The hotline centre with an operator, a handling department with staff, others."""

    centre: Department
    department: Department
    other: Department
    operator: User
    head: User
    window: User
    other_head: User
    citizen: User
    office: User


@pytest.fixture
def hotline(db) -> Hotline:  # type: ignore[no-untyped-def]
    """Centre 12345 with one operator; 住建局 with a head and a window officer; 城管局 head."""
    centre = DepartmentFactory(code="12345", name="12345热线中心")
    department = DepartmentFactory(name="住房和城乡建设局")
    other = DepartmentFactory(name="城市管理局")
    return Hotline(
        centre=centre,
        department=department,
        other=other,
        operator=UserFactory(role=Role.WINDOW, department=centre),
        head=UserFactory(role=Role.HEAD, department=department),
        window=UserFactory(role=Role.WINDOW, department=department),
        other_head=UserFactory(role=Role.HEAD, department=other),
        citizen=UserFactory(role=Role.CITIZEN, department=None),
        office=UserFactory(role=Role.OFFICE, department=None),
    )


__all__ = ["Hotline", "travel_to"]
