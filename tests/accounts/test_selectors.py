"""Personal data on screens: masked for roles that do not need it, full access logged
(DOMAIN_RULES.md §10)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from xiaoneng.accounts.models import Role
from xiaoneng.accounts.selectors import (
    login_lockout,
    user_display_identity,
    user_display_phone,
)
from xiaoneng.core.models import AuditEvent

from .factories import citizen, enterprise, staff, user_of_role

pytestmark = pytest.mark.django_db

ID = "130102199001011237"


def views() -> int:
    return AuditEvent.objects.filter(action="accounts.identity_view").count()


def test_the_holder_sees_their_own_number_unlogged():
    """A citizen sees their full number; looking at your own data is not logged."""
    user = citizen(id_number=ID, phone="13900001234")
    assert user_display_identity(user, viewer=user) == ID
    assert user_display_phone(user, viewer=user) == "13900001234"
    assert views() == 0


@pytest.mark.parametrize("role", [Role.WINDOW, Role.ADMIN])
def test_window_officers_and_admins_see_it_in_full_and_it_is_logged(role: str):
    """Roles that check identities see the whole number; each time is an audit event."""
    user = citizen(id_number=ID)
    viewer = user_of_role(role)
    assert user_display_identity(user, viewer=viewer) == ID
    event = AuditEvent.objects.get(action="accounts.identity_view")
    assert event.actor == viewer
    assert event.target_id == str(user.pk)
    assert event.data == {"fields": ["id_number"]}
    assert ID not in event.summary


@pytest.mark.parametrize(
    "role", [Role.REVIEWER, Role.HEAD, Role.OFFICE, Role.PARTNER, Role.CITIZEN, Role.ENTERPRISE]
)
def test_other_roles_see_it_masked_and_nothing_is_logged(role: str):
    """Reviewers, heads, the office, partners and other applicants see 130102********1237."""
    user = citizen(id_number=ID, phone="13900001234")
    viewer = staff(role) if role in {Role.REVIEWER, Role.HEAD} else user_of_role(role)
    assert user_display_identity(user, viewer=viewer) == "130102********1237"
    assert user_display_phone(user, viewer=viewer) == "139****1234"
    assert views() == 0


def test_anonymous_visitors_see_it_masked():
    """No viewer, or an anonymous one, gets the masked form."""
    user = enterprise(credit_code="91130100MA0XN00017")
    assert user_display_identity(user, viewer=None) == "911301********0017"
    assert user_display_identity(user, viewer=AnonymousUser()) == "911301********0017"


def test_superusers_see_it_in_full():
    """A Django superuser counts as an administrator."""
    user = citizen(id_number=ID)
    root = user_of_role(Role.OFFICE, "root")
    root.is_superuser = True
    assert user_display_identity(user, viewer=root) == ID


def test_an_enterprise_shows_its_credit_code():
    """For an enterprise the identity is the credit code; the event names that field."""
    user = enterprise(credit_code="91130100MA0XN00017")
    assert user_display_identity(user, viewer=staff(Role.WINDOW)) == "91130100MA0XN00017"
    assert AuditEvent.objects.get(action="accounts.identity_view").data == {
        "fields": ["credit_code"]
    }


def test_accounts_without_numbers_show_nothing_and_log_nothing():
    """Staff have no identity number: empty, not logged."""
    viewer = user_of_role(Role.ADMIN)
    assert user_display_identity(staff(), viewer=viewer) == ""
    assert user_display_phone(staff(), viewer=viewer) == ""
    assert views() == 0


def test_no_lockout_without_failures():
    """A user name and address with no failures are not locked."""
    from django.utils import timezone

    assert login_lockout(username="anyone", ip="10.0.0.1", now=timezone.now()) is None
