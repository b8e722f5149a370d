"""API tokens over the real API: obtain, use, expire, revoke (issue 3 §1)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from xiaoneng.accounts.models import ApiToken, Role
from xiaoneng.accounts.rules import token_hash
from xiaoneng.core.models import AuditEvent

from .factories import PASSWORD, citizen, enterprise, staff, user_of_role

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/auth/me/"


@pytest.fixture
def api() -> APIClient:
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def obtain(api: APIClient, username: str, password: str = PASSWORD) -> str:
    response = api.post(TOKEN_URL, {"username": username, "password": password}, format="json")
    assert response.status_code == 201, response.content
    return str(response.json()["token"])


def test_a_token_is_obtained_with_username_and_password(api):
    """201 with the raw token and its expiry, 24 hours ahead; only its digest is stored."""
    user = citizen("zhang")
    now = timezone.now()
    response = api.post(TOKEN_URL, {"username": "zhang", "password": PASSWORD}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    stored = ApiToken.objects.get(user=user)
    assert stored.key_hash == token_hash(body["token"])
    assert body["token"] not in {stored.key_hash, stored.prefix}
    assert body["token"].startswith(stored.prefix)
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert abs(expires - (now + dt.timedelta(hours=24))) < dt.timedelta(minutes=1)
    assert AuditEvent.objects.filter(action="accounts.api_token_issue").count() == 1


def test_the_lifetime_follows_the_setting(api, settings):
    """API_TOKEN_HOURS sets the lifetime of new tokens."""
    settings.API_TOKEN_HOURS = 2
    citizen("zhang")
    obtain(api, "zhang")
    token = ApiToken.objects.get()
    assert token.expires_at - token.created_at == dt.timedelta(hours=2)


def test_the_token_authenticates_api_requests(api):
    """`Authorization: Bearer <token>` makes the request the token holder's."""
    user = enterprise("acme")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {obtain(api, 'acme')}")
    response = api.get(ME_URL)
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "acme"
    assert body["role"] == Role.ENTERPRISE
    assert body["identity"] == user.credit_code  # the holder sees their own code in full
    assert ApiToken.objects.get().last_used_at is not None


def test_staff_see_their_department(api):
    """The token of a reviewer carries the reviewer's department."""
    staff(Role.REVIEWER, "wang")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {obtain(api, 'wang')}")
    assert api.get(ME_URL).json()["department"] == "130100001"


def test_a_bearer_request_takes_one_query(api, django_assert_num_queries):
    """Authenticating a token is one query (token and holder together) once it was used."""
    user_of_role(Role.PARTNER, "bank")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {obtain(api, 'bank')}")
    api.get(ME_URL)  # the first use writes last_used_at
    with django_assert_num_queries(1):
        assert api.get(ME_URL).status_code == 200


@pytest.mark.parametrize("password", ["wrong", ""])
def test_wrong_credentials_answer_400_without_saying_which_part(api, password):
    """A wrong password and an unknown user get the same 400 in the one error shape."""
    citizen("zhang")
    wrong_password = api.post(
        TOKEN_URL, {"username": "zhang", "password": password or "x"}, format="json"
    )
    unknown_user = api.post(TOKEN_URL, {"username": "nobody", "password": "x"}, format="json")
    assert wrong_password.status_code == unknown_user.status_code == 400
    assert (
        wrong_password.json()
        == unknown_user.json()
        == {
            "error": {
                "code": "invalid_credentials",
                "message": "The user name or password is not right. Try again.",
                "details": {},
            }
        }
    )
    assert not ApiToken.objects.exists()


def test_a_missing_field_is_invalid_input(api):
    """A body without a password is refused as invalid input, naming the field."""
    response = api.post(TOKEN_URL, {"username": "zhang"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "password" in response.json()["error"]["details"]


def test_an_inactive_account_gets_no_token(api):
    """A deactivated account is refused like a wrong password."""
    user = citizen("zhang")
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = api.post(TOKEN_URL, {"username": "zhang", "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_an_unknown_token_is_401_with_a_clear_message(api):
    """A made-up token is refused, saying it is not known."""
    api.credentials(HTTP_AUTHORIZATION="Bearer xn_not-a-real-token")
    response = api.get(ME_URL)
    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "token_unknown",
        "message": "The token is not known. Ask for a new one at /api/v1/auth/token/.",
        "details": {},
    }


def test_a_malformed_header_is_401(api):
    """`Bearer` with two words after it is refused as malformed."""
    api.credentials(HTTP_AUTHORIZATION="Bearer a b")
    response = api.get(ME_URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_malformed"


def test_without_credentials_the_api_answers_401(api):
    """No token and no session: 401, not 403, on an endpoint that needs a user."""
    response = api.get(ME_URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_token_expires_after_its_lifetime(api):
    """At 24 hours the token stops working, with a message giving the expiry time."""
    citizen("zhang")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        raw = obtain(api, "zhang")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with time_machine.travel(start + dt.timedelta(hours=23, minutes=59), tick=False):
        assert api.get(ME_URL).status_code == 200
    with time_machine.travel(start + dt.timedelta(hours=24), tick=False):
        response = api.get(ME_URL)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "token_expired"
    assert error["message"].startswith("The token expired at ")
    assert "+08:00" in error["message"]


def test_delete_revokes_the_token_of_the_request(api):
    """DELETE answers 204; afterwards the same token is refused as revoked."""
    citizen("zhang")
    raw = obtain(api, "zhang")
    other = obtain(api, "zhang")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.delete(TOKEN_URL).status_code == 204
    response = api.get(ME_URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_revoked"
    assert AuditEvent.objects.filter(action="accounts.api_token_revoke").count() == 1
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {other}")
    assert api.get(ME_URL).status_code == 200  # only the token of the request


def test_delete_without_a_token_is_401(api):
    """There is nothing to revoke without a bearer token."""
    assert api.delete(TOKEN_URL).status_code == 401


def test_a_new_token_can_be_obtained_while_an_old_one_is_in_the_header(api):
    """Obtaining ignores the Authorization header, so a client with an expired token recovers."""
    citizen("zhang")
    api.credentials(HTTP_AUTHORIZATION="Bearer xn_expired-long-ago")
    assert obtain(api, "zhang")


def test_an_inactive_holder_is_refused(api):
    """A token of an account deactivated after issue stops working."""
    user = citizen("zhang")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {obtain(api, 'zhang')}")
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = api.get(ME_URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "user_inactive"


def test_demo_partner_uses_the_api_with_a_token(api):
    """The bank (a partner institution) gets a token with its user name and password."""
    user_of_role(Role.PARTNER, "bank", password="s3cret-bank-pass")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {obtain(api, 'bank', 's3cret-bank-pass')}")
    assert api.get(ME_URL).json()["role"] == "partner"


def test_the_schema_declares_bearer_auth(api):
    """The OpenAPI schema has an HTTP bearer scheme and documents the token endpoints."""
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    token_path = schema["paths"]["/api/v1/auth/token/"]
    assert set(token_path) >= {"post", "delete"}
    assert set(token_path["post"]["responses"]) == {"201", "400", "429"}
    assert token_path["post"].get("security", [{}]) == [{}]  # no credentials needed
    assert {"bearerAuth": []} in schema["paths"]["/api/v1/auth/me/"]["get"]["security"]
