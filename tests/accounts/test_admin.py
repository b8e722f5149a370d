"""Admin screens: users with masked identity, tokens that can be revoked, failures read-only."""

from __future__ import annotations

import pytest
from django.test import Client

from xiaoneng.accounts.models import ApiToken, LoginFailure, Role, User
from xiaoneng.accounts.services import api_token_issue
from xiaoneng.core.models import AuditEvent

from .factories import citizen, department, user_of_role

pytestmark = pytest.mark.django_db

ID = "130102199001011237"


@pytest.fixture
def admin_client() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user_of_role(Role.ADMIN, "root"))
    return client


def test_user_list_shows_role_department_and_masked_identity(admin_client):
    """The list shows 130102********1237, never the whole number."""
    citizen("zhang", id_number=ID)
    page = admin_client.get("/admin/accounts/user/").content.decode()
    assert "130102********1237" in page
    assert ID not in page
    assert "Applicant (person)" in page


def test_opening_a_user_is_logged_as_access_to_personal_data(admin_client):
    """The change page shows the number in full to the admin, and that is audited."""
    user = citizen("zhang", id_number=ID, phone="13900001234")
    page = admin_client.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()
    assert ID in page
    event = AuditEvent.objects.get(action="accounts.identity_view")
    assert event.data == {"fields": ["id_number", "phone"]}
    assert event.target_id == str(user.pk)


def test_the_admin_refuses_a_bad_number_with_its_message(admin_client):
    """Editing a citizen's number to a wrong check character shows the rule's message."""
    user = citizen("zhang", id_number=ID)
    response = admin_client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {
            "username": "zhang",
            "role": Role.CITIZEN,
            "id_number": "130102199001011238",
            "is_active": "on",
            "date_joined_0": "2025-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 200
    assert "expected 7, got 8" in response.content.decode()
    user.refresh_from_db()
    assert user.id_number == ID


def test_the_admin_adds_a_staff_user_with_a_department(admin_client):
    """The add form asks for role and department; the new account is audited."""
    dept = department()
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "wang",
            "password1": "a long enough pass 42",
            "password2": "a long enough pass 42",
            "usable_password": "true",
            "role": Role.REVIEWER,
            "department": dept.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    user = User.objects.get(username="wang")
    assert user.department == dept
    assert AuditEvent.objects.filter(action="accounts.user_register", target_id=str(user.pk))


def test_tokens_are_listed_and_revoked_by_an_action(admin_client):
    """The revoke action revokes the selected tokens through the service (audited)."""
    issued = api_token_issue(actor=None, user=citizen(), name="cli")
    page = admin_client.get("/admin/accounts/apitoken/").content.decode()
    assert issued.token.prefix in page
    assert issued.raw not in page and issued.token.key_hash not in page
    response = admin_client.post(
        "/admin/accounts/apitoken/",
        {"action": "revoke", "_selected_action": [issued.token.pk]},
    )
    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_at is not None
    assert AuditEvent.objects.filter(action="accounts.api_token_revoke").count() == 1


def test_tokens_cannot_be_added_in_the_admin(admin_client):
    """Tokens come from the API only."""
    assert admin_client.get("/admin/accounts/apitoken/add/").status_code == 403


def test_failed_sign_ins_are_read_only(admin_client):
    """The failures can be listed but not added, changed or deleted."""
    failure = LoginFailure.objects.create(username="zhang", ip="10.0.0.1")
    assert "zhang" in admin_client.get("/admin/accounts/loginfailure/").content.decode()
    assert admin_client.get("/admin/accounts/loginfailure/add/").status_code == 403
    admin_client.post(f"/admin/accounts/loginfailure/{failure.pk}/change/", {"username": "x"})
    assert LoginFailure.objects.get().username == "zhang"
    assert admin_client.get(f"/admin/accounts/loginfailure/{failure.pk}/delete/").status_code in {
        302,
        403,
    }
    assert LoginFailure.objects.exists()
