"""The one access function and the capacities: every role (STYLE.md habit 5, issue 3 §1)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from tests.applications.conftest import travel_to
from tests.applications.factories import DepartmentFactory, UserFactory, people, promised_matter
from xiaoneng.accounts.models import Role
from xiaoneng.applications import selectors, services
from xiaoneng.applications.rules import Capacity
from xiaoneng.core.errors import NotFound

pytestmark = pytest.mark.django_db

MON = dt.date(2025, 3, 3)


@pytest.fixture
def world():
    """Two departments with their staff, an online application and a partner filing."""
    home, away = DepartmentFactory(), DepartmentFactory()
    citizen, window, reviewer, head = people(home)
    matter = promised_matter(home)
    bank = UserFactory(role=Role.PARTNER)
    with travel_to(MON):
        online = services.application_submit(actor=citizen, matter=matter)
        filed = services.application_submit(
            actor=bank,
            matter=matter,
            applicant=services.applicant_resolve(
                actor=bank, name="王五", id_number="11010519491231002X"
            ),
        )
    return {
        "online": online,
        "filed": filed,
        "citizen": citizen,
        "window": window,
        "reviewer": reviewer,
        "head": head,
        "bank": bank,
        "away_window": UserFactory(role=Role.WINDOW, department=away),
        "away_reviewer": UserFactory(role=Role.REVIEWER, department=away),
        "away_head": UserFactory(role=Role.HEAD, department=away),
        "other_citizen": UserFactory(role=Role.CITIZEN),
        "other_bank": UserFactory(role=Role.PARTNER),
        "office": UserFactory(role=Role.OFFICE),
        "admin": UserFactory(role=Role.ADMIN),
        "away": away,
        "matter": matter,
    }


@pytest.mark.parametrize(
    ("who", "sees_online", "sees_filed"),
    [
        ("citizen", True, False),
        ("window", True, True),
        ("reviewer", True, True),
        ("head", True, True),
        ("bank", False, True),
        ("away_window", False, False),
        ("away_reviewer", False, False),
        ("away_head", False, False),
        ("other_citizen", False, False),
        ("other_bank", False, False),
        ("office", True, True),
        ("admin", True, True),
    ],
)
def test_who_sees_what(world, who, sees_online, sees_filed):
    """Each role sees exactly its applications; the rest answer NotFound like a missing id."""
    user = world[who]
    for key, sees in (("online", sees_online), ("filed", sees_filed)):
        application = world[key]
        if sees:
            assert selectors.application_for_user(user, application.pk) == application
        else:
            with pytest.raises(NotFound) as caught:
                selectors.application_for_user(user, application.pk)
            assert caught.value.details == {"id": str(application.pk)}
    listed = set(selectors.applications_visible_to(user).values_list("pk", flat=True))
    expected = {world[k].pk for k, s in (("online", sees_online), ("filed", sees_filed)) if s}
    assert listed == expected


def test_anonymous_and_malformed_ids_are_not_found(world):
    """Signed out, or an id that is not a UUID: NotFound, and the list is empty."""
    with pytest.raises(NotFound):
        selectors.application_for_user(AnonymousUser(), world["online"].pk)
    with pytest.raises(NotFound):
        selectors.application_for_user(world["office"], "nope")
    assert not selectors.applications_visible_to(AnonymousUser()).exists()


@pytest.mark.parametrize(
    ("who", "capacities"),
    [
        ("citizen", {Capacity.APPLICANT}),
        ("window", {Capacity.WINDOW}),
        ("reviewer", {Capacity.REVIEWER}),
        ("head", {Capacity.HEAD}),
        ("office", set()),
        ("away_reviewer", set()),
    ],
)
def test_capacities(world, who, capacities):
    """The part each user plays for the online application."""
    assert selectors.application_capacities(world[who], world["online"]) == capacities


def test_partner_acts_as_the_applicant_of_what_it_filed(world):
    """The bank that filed supplements for its customer; the customer is the applicant too."""
    filed = world["filed"]
    assert selectors.application_capacities(world["bank"], filed) == {Capacity.APPLICANT}
    assert selectors.application_capacities(filed.applicant, filed) == {Capacity.APPLICANT}


def test_one_window_officer_acts_on_a_walk_in_for_another_department(world):
    """一窗受理: the hall's window officer who registered it sees it and may accept it."""
    hall_officer = world["away_window"]
    with travel_to(MON):
        application = services.application_register_walk_in(
            actor=hall_officer,
            matter=world["matter"],
            applicant_name="赵六",
            id_number="11010519491231002X",
            accept=False,
        )
    assert application.department_id != hall_officer.department_id
    assert selectors.application_capacities(hall_officer, application) == {Capacity.WINDOW}
    assert "accept" in selectors.application_allowed_actions(hall_officer, application)
    with pytest.raises(NotFound):
        selectors.application_for_user(world["away_reviewer"], application.pk)
