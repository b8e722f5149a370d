"""Fixtures of the rating tests: English messages, a department with its staff, a fixed day."""

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


@pytest.fixture(autouse=True)
def _quiet_senders(settings) -> None:  # type: ignore[no-untyped-def]
    """SMS and email are accepted into the outbox without log lines."""
    settings.NOTIFICATION_SENDERS = {
        "sms": "xiaoneng.notifications.senders.OutboxOnlySender",
        "email": "xiaoneng.notifications.senders.OutboxOnlySender",
    }


@dataclass
class City:
    """Two departments with their staff, a citizen and the efficiency office."""

    department: Department
    other: Department
    head: User
    second_head: User
    reviewer: User
    window: User
    other_head: User
    citizen: User
    office: User


@pytest.fixture
def city(db) -> City:  # type: ignore[no-untyped-def]
    """A department with two heads, a reviewer and a window officer; another with a head."""
    department = DepartmentFactory(name="市场监督管理局")
    other = DepartmentFactory(name="自然资源和规划局")
    return City(
        department=department,
        other=other,
        head=UserFactory(role=Role.HEAD, department=department),
        second_head=UserFactory(role=Role.HEAD, department=department),
        reviewer=UserFactory(role=Role.REVIEWER, department=department),
        window=UserFactory(role=Role.WINDOW, department=department),
        other_head=UserFactory(role=Role.HEAD, department=other),
        citizen=UserFactory(role=Role.CITIZEN, department=None),
        office=UserFactory(role=Role.OFFICE, department=None),
    )


__all__ = ["City", "travel_to"]
