"""Staff API of the ticket operations: merge, split, escalate, attachments, linked tickets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from tests.hotline.conftest import Hotline, travel_to
from tests.hotline.factories import register
from tests.hotline.test_ops_attachments import PDF, png_bytes
from xiaoneng.hotline.models import Ticket, TicketAttachment
from xiaoneng.hotline.services import tickets as services

pytestmark = pytest.mark.django_db

URL = "/api/v1/hotline/tickets/"
DAY = dt.date(2025, 9, 29)  # a Monday


@pytest.fixture
def client() -> Client:
    """A client that asks for English."""
    return Client(headers={"accept-language": "en"})


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Files go to a fresh MEDIA_ROOT per test."""
    settings.MEDIA_ROOT = tmp_path / "media"


def _post(client: Client, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data or {}, content_type="application/json")


def _dispatched(hotline: Hotline, **kwargs: Any) -> Ticket:
    ticket = register(operator=hotline.operator, **kwargs)
    return services.ticket_dispatch(
        actor=hotline.operator, ticket=ticket, department=hotline.department
    )


def test_operator_merges_by_number_and_by_id(client, hotline):
    """`into` takes a ticket number or id; the answer is the closed duplicate with its parent."""
    with travel_to(DAY):
        parent = _dispatched(hotline)
        by_number = register(operator=hotline.operator)
        by_id = register(operator=hotline.operator)
        client.force_login(hotline.operator)
        first = _post(client, f"{URL}{by_number.pk}/merge/", {"into": parent.number.lower()})
        second = _post(client, f"{URL}{by_id.pk}/merge/", {"into": str(parent.pk)})
        shown = client.get(f"{URL}{parent.pk}/").json()
    assert first.status_code == 200, first.json()
    assert second.status_code == 200, second.json()
    body = first.json()
    assert body["status"] == "closed"
    assert body["parent"]["number"] == parent.number
    assert body["events"][-1]["action"] == "merge"
    assert [d["number"] for d in shown["duplicates"]] == [by_number.number, by_id.number]


def test_merge_errors_use_the_error_shape(client, hotline):
    """Unknown parent 400 naming `into`; a dispatched duplicate 409; department staff 404."""
    with travel_to(DAY):
        ticket = register(operator=hotline.operator)
        dispatched = _dispatched(hotline)
        client.force_login(hotline.operator)
        unknown = _post(client, f"{URL}{ticket.pk}/merge/", {"into": "GD1999010100001"})
        conflict = _post(client, f"{URL}{dispatched.pk}/merge/", {"into": ticket.number})
        missing = _post(client, f"{URL}{ticket.pk}/merge/", {})
        client.force_login(hotline.window)
        hidden = _post(client, f"{URL}{ticket.pk}/merge/", {"into": dispatched.number})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["details"]["field"] == "into"
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "conflict"
    assert missing.status_code == 400 and "into" in str(missing.json())
    # Department staff never see a registered ticket, the only kind that may be merged.
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"


def test_operator_splits_by_department_code_and_id(client, hotline):
    """Parts name departments by code or id; the original answers with its dispatched parts."""
    with travel_to(DAY):
        ticket = register(operator=hotline.operator)
        client.force_login(hotline.operator)
        answer = _post(
            client,
            f"{URL}{ticket.pk}/split/",
            {
                "parts": [
                    {"department": hotline.department.code, "description": "施工噪音"},
                    {"department": hotline.other.pk, "description": "渣土车"},
                ]
            },
        )
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["status"] == "closed"
    assert [(p["department"], p["status"]) for p in body["parts"]] == [
        (hotline.department.name, "dispatched"),
        (hotline.other.name, "dispatched"),
    ]
    part = Ticket.objects.get(number=body["parts"][0]["number"])
    client.force_login(hotline.head)
    seen = client.get(f"{URL}{part.pk}/").json()
    assert seen["split_from"]["number"] == ticket.number
    assert seen["clock"] is not None


def test_split_with_an_unknown_department_or_one_part_is_400(client, hotline):
    """An unknown department names the part's field; a single part is refused; nothing made."""
    ticket = register(operator=hotline.operator)
    client.force_login(hotline.operator)
    unknown = _post(
        client,
        f"{URL}{ticket.pk}/split/",
        {
            "parts": [
                {"department": "nope", "description": "甲"},
                {"department": 9999, "description": "乙"},
            ]
        },
    )
    single = _post(
        client,
        f"{URL}{ticket.pk}/split/",
        {"parts": [{"department": hotline.other.code, "description": "甲"}]},
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"]["details"]["field"] == "parts[0].department"
    assert single.status_code == 400 and "2 to 10 parts" in single.json()["error"]["message"]
    assert Ticket.objects.count() == 1


def test_only_the_office_escalates(client, hotline):
    """An operator gets 403 with the reason; the office 200 with the task; again 409."""
    with travel_to(DAY):
        ticket = _dispatched(hotline)
        client.force_login(hotline.operator)
        refused = _post(client, f"{URL}{ticket.pk}/escalate/", {"title": "督办"})
        client.force_login(hotline.office)
        done = _post(
            client,
            f"{URL}{ticket.pk}/escalate/",
            {"title": "督办噪音", "limit_days": 7, "lead_unit": hotline.other.code},
        )
        again = _post(client, f"{URL}{ticket.pk}/escalate/", {})
    assert refused.status_code == 403
    assert "efficiency office" in refused.json()["error"]["message"]
    assert done.status_code == 200, done.json()
    task = done.json()["supervision_task"]
    ticket.refresh_from_db()
    assert task["id"] == ticket.supervision_task_id
    assert ticket.supervision_task.lead_unit_id == hotline.other.pk  # type: ignore[union-attr]
    assert ticket.supervision_task.limit_days == 7  # type: ignore[union-attr]
    assert again.status_code == 409 and task["number"] in again.json()["error"]["message"]


def test_attachments_upload_and_show_in_the_detail_masked_for_staff(client, hotline):
    """A multipart upload answers 201; the detail lists it, its name masked for the department."""
    ticket = _dispatched(hotline)
    client.force_login(hotline.operator)
    answer = client.post(
        f"{URL}{ticket.pk}/attachments/",
        {"file": SimpleUploadedFile("张三13812345678.png", png_bytes())},
    )
    assert answer.status_code == 201, answer.json()
    row = TicketAttachment.objects.get()
    assert answer.json() == {
        "id": row.pk,
        "name": "张三13812345678.png",
        "size": len(png_bytes()),
        "type": "image/png",
        "sha256": row.sha256,
        "created_at": answer.json()["created_at"],
        "url": f"/hotline/attachments/{row.pk}/",
    }
    client.force_login(hotline.window)
    [shown] = client.get(f"{URL}{ticket.pk}/").json()["attachments"]
    assert shown["name"] == "张三138****5678.png"


def test_attachment_upload_errors(client, hotline):
    """A disguised file 400; no file 400; the reporter's account may upload; others 404."""
    ticket = register(operator=hotline.operator, reporter=hotline.citizen)
    client.force_login(hotline.operator)
    fake = client.post(
        f"{URL}{ticket.pk}/attachments/",
        {"file": SimpleUploadedFile("a.pdf", b"<html><body>hi</body></html>")},
    )
    empty = client.post(f"{URL}{ticket.pk}/attachments/", {})
    client.force_login(hotline.citizen)
    own = client.post(f"{URL}{ticket.pk}/attachments/", {"file": SimpleUploadedFile("a.pdf", PDF)})
    client.force_login(hotline.other_head)
    other = client.post(
        f"{URL}{ticket.pk}/attachments/", {"file": SimpleUploadedFile("a.pdf", PDF)}
    )
    assert fake.status_code == 400 and "whatever its name says" in fake.json()["error"]["message"]
    assert empty.status_code == 400
    assert own.status_code == 201
    assert other.status_code == 404
    assert TicketAttachment.objects.count() == 1


def test_detail_query_count_is_fixed(client, hotline):
    """The detail costs as many queries with three duplicates and files as with none."""

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{URL}{parent.pk}/").status_code == 200
        return len(queries.captured_queries)

    with travel_to(DAY):
        parent = _dispatched(hotline)
        client.force_login(hotline.operator)
        bare = count()
        for _n in range(3):
            services.ticket_merge(
                actor=hotline.operator, ticket=register(operator=hotline.operator), into=parent
            )
            services.ticket_attach(
                actor=hotline.operator, ticket=parent, upload=SimpleUploadedFile("a.pdf", PDF)
            )
        busy = count()
        body = client.get(f"{URL}{parent.pk}/").json()
    assert len(body["duplicates"]) == 3 and len(body["attachments"]) == 3
    assert busy == bare <= 12


def test_the_schema_documents_the_operations():
    """The OpenAPI schema lists merge, split, escalate and attachments."""
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for slug in ("merge", "split", "escalate", "attachments"):
        assert f"{URL}{{id}}/{slug}/" in paths


def test_the_detail_url_downloads_the_file(client, hotline):
    """The `url` in the detail is the wired download page and serves the file."""
    ticket = register(operator=hotline.operator)
    services.ticket_attach(
        actor=hotline.operator, ticket=ticket, upload=SimpleUploadedFile("图.png", png_bytes())
    )
    client.force_login(hotline.operator)
    [shown] = client.get(f"{URL}{ticket.pk}/").json()["attachments"]
    answer = client.get(shown["url"])
    assert answer.status_code == 200
    assert answer["Content-Type"] == "image/png"
    assert b"".join(answer.streaming_content) == png_bytes()
