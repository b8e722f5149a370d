"""The inbox API and page: only the caller's in-site messages, newest first; mark read."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from tests.clocks.factories import DepartmentFactory, UserFactory
from xiaoneng.notifications import services

pytestmark = pytest.mark.django_db

URL = "/api/v1/messages/"


@pytest.fixture
def client() -> Client:
    """A client that asks for English."""
    return Client(headers={"accept-language": "en"})


def _inbox_of(user, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    ids = []
    for i in range(n):
        # One minute apart, so "newest first" has an order to check.
        with time_machine.travel(dt.datetime(2025, 3, 3, 2, i, tzinfo=dt.UTC), tick=False):
            (message,) = services.notify(
                recipient=user, subject=f"Notice {i}", body="text", channels=("in_site",)
            )
        ids.append(message.pk)
    return ids


def test_the_api_lists_only_the_callers_in_site_messages_newest_first(client, sent):
    """Someone else's messages and the caller's SMS/email are not in the list."""
    user, other = UserFactory(), UserFactory()
    ids = _inbox_of(user, 3)
    _inbox_of(other, 2)
    services.notify(recipient=user, subject="By SMS", body="", channels=("sms",))
    client.force_login(user)
    answer = client.get(URL)
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 3
    assert [m["id"] for m in body["results"]] == list(reversed(ids))
    first = body["results"][0]
    assert first["subject"] == "Notice 2" and first["is_read"] is False and first["related"] is None


def test_the_list_is_paginated_and_filters_unread(client, sent):
    """page_size pages the list; unread=true leaves out what was read."""
    user = UserFactory()
    ids = _inbox_of(user, 3)
    client.force_login(user)
    page = client.get(URL, {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert client.post(f"{URL}{ids[0]}/read/").status_code == 200
    unread = client.get(URL, {"unread": "true"}).json()
    assert [m["id"] for m in unread["results"]] == [ids[2], ids[1]]


def test_a_related_item_is_named_by_type_and_id(client, sent):
    """A message about an item shows the item's type and id."""
    user = UserFactory()
    item = DepartmentFactory()
    services.notify(recipient=user, subject="About", body="", related=item, channels=("in_site",))
    client.force_login(user)
    (message,) = client.get(URL).json()["results"]
    assert message["related"] == {"type": "accounts.department", "id": str(item.pk)}


def test_marking_read_answers_the_message_and_others_get_404(client, sent):
    """The recipient marks it read; another user gets 404 in the one error shape."""
    user, other = UserFactory(), UserFactory()
    (message_id,) = _inbox_of(user, 1)
    client.force_login(other)
    answer = client.post(f"{URL}{message_id}/read/")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    client.force_login(user)
    answer = client.post(f"{URL}{message_id}/read/")
    assert answer.status_code == 200
    assert answer.json()["is_read"] is True and answer.json()["read_at"]


def test_the_api_needs_a_signed_in_caller(client):
    """Anonymous callers get an error, not an empty list."""
    answer = client.get(URL)
    assert answer.status_code in {401, 403}
    assert "error" in answer.json()


def test_the_inbox_page_needs_sign_in(client):
    """/inbox/ sends an anonymous visitor to the sign-in page."""
    answer = client.get("/inbox/")
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")


def test_the_inbox_page_lists_the_users_messages_and_marks_one_read(client, sent):
    """The page shows the caller's messages with the unread count; the form marks one read."""
    user, other = UserFactory(), UserFactory()
    ids = _inbox_of(user, 2)
    services.notify(recipient=other, subject="Not yours", body="", channels=("in_site",))
    client.force_login(user)
    page = client.get("/inbox/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Notice 0" in html and "Notice 1" in html and "Not yours" not in html
    assert "2 unread messages" in html
    answer = client.post(f"/inbox/{ids[0]}/read/", {"page": "1"})
    assert answer.status_code == 302 and answer["Location"] == "/inbox/?page=1"
    assert "1 unread message" in client.get("/inbox/").content.decode()
    assert client.post(f"/inbox/{ids[0] + 1000}/read/").status_code == 404


def test_the_schema_documents_the_inbox_endpoints(client):
    """Both operations are in the OpenAPI schema."""
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/messages/" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/messages/{id}/read/"]


def test_the_list_pins_its_query_count(client, sent, django_assert_max_num_queries):
    """A page of 20 messages costs the same few queries as one."""
    user = UserFactory()
    item = DepartmentFactory()
    for i in range(20):
        services.notify(
            recipient=user, subject=f"N{i}", body="", related=item, channels=("in_site",)
        )
    client.force_login(user)
    with django_assert_max_num_queries(4):
        assert len(client.get(URL).json()["results"]) == 20
