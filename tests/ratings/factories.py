"""Rating helpers for tests: rate a fresh item through the service.

Any saved row can be rated; a :class:`~xiaoneng.accounts.models.Department` serves as the rated
item, so no test-only model is needed (the same trick as ``tests/clocks/factories.py``).
"""

from __future__ import annotations

from typing import Any

from tests.clocks.factories import DepartmentFactory, UserFactory
from xiaoneng.accounts.models import Department, Role
from xiaoneng.ratings.models import Rating
from xiaoneng.ratings.services import rating_submit


def rated_item() -> Department:
    """A saved row to rate."""
    return DepartmentFactory()


def rate(
    *,
    department: Department,
    level: int | str = 5,
    rater: Any = None,
    item: Any = None,
    text: str = "",
    channel: str = "online",
) -> Rating:
    """A rating through ``rating_submit`` by a fresh citizen of a fresh item, unless given."""
    return rating_submit(
        actor=rater if rater is not None else UserFactory(role=Role.CITIZEN, department=None),
        item=item if item is not None else rated_item(),
        department=department,
        level=level,
        text=text,
        channel=channel,
    )
