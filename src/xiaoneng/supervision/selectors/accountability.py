"""Reads of accountability cases (问责): the access function, lists and the case page.

Access (STYLE.md habit 5), one rule used by every page and API view:

* the efficiency office (and administrators) see every case and write every entry;
* staff (window officers, reviewers, heads) of the responsible unit see its cases read-only;
  its heads may add a statement (申辩);
* anyone else gets :class:`~xiaoneng.core.errors.NotFound`, the same answer as for a case
  that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from xiaoneng.accounts.models import STAFF_ROLES, Role
from xiaoneng.core.errors import InvalidInput, NotFound
from xiaoneng.supervision import rules
from xiaoneng.supervision.models import AccountabilityCase, AccountabilityEntry, CaseStateChoice
from xiaoneng.supervision.rules import CaseAction, CaseCapacity
from xiaoneng.supervision.selectors.tasks import is_office


def case_capacities(user: Any, case: AccountabilityCase) -> frozenset[CaseCapacity]:
    """The parts ``user`` plays for ``case``: the office, or a head of the responsible unit."""
    found: set[CaseCapacity] = set()
    if is_office(user):
        found.add(CaseCapacity.OFFICE)
    if (
        getattr(user, "is_authenticated", False)
        and getattr(user, "role", None) == Role.HEAD
        and getattr(user, "department_id", None) == case.responsible_unit_id
    ):
        found.add(CaseCapacity.UNIT_HEAD)
    return frozenset(found)


def user_may_see_case(user: Any, case: AccountabilityCase) -> bool:
    """The office, and staff of the responsible unit."""
    return is_office(user) or bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "role", None) in STAFF_ROLES
        and getattr(user, "department_id", None) == case.responsible_unit_id
    )


def case_actions_for_user(user: Any, case: AccountabilityCase) -> list[CaseAction]:
    """What ``user`` may add to ``case`` now."""
    return rules.case_actions_for(case.state, case_capacities(user, case))


def _base() -> QuerySet[AccountabilityCase]:
    return AccountabilityCase.objects.select_related(
        "responsible_unit",
        "task",
        "clock",
        "clock__department",
        "opened_by",
        "responsible_person",
        "decided_by",
    )


def cases_for_user(
    user: Any, *, state: str | None = None, unit: int | str | None = None
) -> QuerySet[AccountabilityCase]:
    """The cases ``user`` may see, newest first.

    Raises:
        InvalidInput: an unknown state, or a unit that is not a number.
    """
    qs = _base()
    if not is_office(user):
        if not (
            getattr(user, "is_authenticated", False)
            and getattr(user, "role", None) in STAFF_ROLES
            and getattr(user, "department_id", None) is not None
        ):
            return qs.none()
        qs = qs.filter(responsible_unit_id=user.department_id)
    wanted = (state or "").strip()
    if wanted:
        if wanted not in CaseStateChoice.values:
            raise InvalidInput(
                _("'state' is one of %(known)s, got %(value)r.")
                % {"known": ", ".join(CaseStateChoice.values), "value": wanted},
                details={"parameter": "state", "value": wanted},
            )
        qs = qs.filter(state=wanted)
    if unit not in (None, ""):
        try:
            unit_id = int(str(unit))
            if not -(2**63) <= unit_id < 2**63:  # no id column holds it: the database would fail
                raise ValueError(unit)
            qs = qs.filter(responsible_unit_id=unit_id)
        except ValueError:
            raise InvalidInput(
                _("'unit' is a department id, got %(value)r.") % {"value": unit},
                details={"parameter": "unit"},
            ) from None
    return qs.order_by("-opened_on", "-id")


def case_for_user(user: Any, case_id: int | str) -> AccountabilityCase:
    """One case ``user`` may see: the access function every view uses.

    Raises:
        NotFound: no such case, or the caller may not see it (the same answer).
    """
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        raise NotFound(_("This accountability case does not exist.")) from None
    case = _base().filter(pk=pk).first()
    if case is None or not user_may_see_case(user, case):
        raise NotFound(_("This accountability case does not exist."))
    return case


@dataclass
class CaseDetail:
    """What the case page and the API show: the case, its history, what may be added now."""

    case: AccountabilityCase
    entries: list[AccountabilityEntry]
    allowed_actions: list[CaseAction]
    capacities: frozenset[CaseCapacity]


def case_entries(case: AccountabilityCase) -> list[AccountabilityEntry]:
    """The case's history, oldest first."""
    return list(case.entries.select_related("actor").order_by("at", "id"))


def case_detail(user: Any, case_id: int | str) -> CaseDetail:
    """The case page's data, through the access function.

    Raises:
        NotFound: as :func:`case_for_user`.
    """
    case = case_for_user(user, case_id)
    capacities = case_capacities(user, case)
    return CaseDetail(
        case=case,
        entries=case_entries(case),
        allowed_actions=rules.case_actions_for(case.state, capacities),
        capacities=capacities,
    )
