"""The applications REST API: shapes, status codes, idempotency, uploads, access (issue 3 §7)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.applications.conftest import travel_to
from tests.applications.factories import (
    DepartmentFactory,
    UserFactory,
    instant_matter,
    jpeg_bytes,
    ofd_bytes,
    pdf_bytes,
    people,
    png_bytes,
    promised_matter,
    submit,
)
from xiaoneng.accounts.models import Role
from xiaoneng.applications import services
from xiaoneng.applications.models import Application

pytestmark = pytest.mark.django_db

URL = "/api/v1/applications/"
MON = dt.date(2025, 3, 3)
CLOCK_KEYS = {
    "limit_days",
    "started_on",
    "due_on",
    "used_days",
    "remaining_days",
    "extension_days",
    "warning",
    "provisional",
}


@pytest.fixture
def dept():
    return DepartmentFactory()


@pytest.fixture
def cast(dept):
    return people(dept)


@pytest.fixture
def matter(dept):
    return promised_matter(dept)


def client_for(user) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def _act(client, application_id, name, **body):
    return client.post(
        f"{URL}{application_id}/actions/{name}/", body, content_type="application/json"
    )


def _upload(client, application_id, name, content, material=None):
    data = {"file": SimpleUploadedFile(name, content)}
    if material is not None:
        data["material"] = material
    return client.post(f"{URL}{application_id}/materials/", data)


def _submit_complete(client, matter) -> str:
    response = client.post(
        URL, {"matter": matter.code, "form": {"事由": "开店"}}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    for requirement in body["requirements"]:
        if requirement["missing"]:
            assert (
                _upload(
                    client, body["id"], "x.pdf", pdf_bytes(), requirement["material"]
                ).status_code
                == 201
            )
    return body["id"]


# -- submission and idempotency --------------------------------------------------------------


def test_submit_answers_201_with_the_application(cast, matter):
    """POST /applications/ creates one and answers its detail."""
    with travel_to(MON):
        response = client_for(cast[0]).post(
            URL, {"matter": matter.code, "form": {"a": "b"}}, content_type="application/json"
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted"
    assert body["number"] == "SQ2025030300001"
    assert body["form"] == {"a": "b"}
    assert body["clock"] is None
    assert body["legal_clock"] is None
    assert body["license"] is None
    assert body["supplement_deadline"] == "2025-03-10"
    assert body["applicant_code"].startswith(cast[0].id_number[:6])
    assert "*" in body["applicant_code"]


def test_retry_with_the_same_idempotency_key_returns_the_first(cast, matter):
    """The same key and body again: 200 with the same application; never a second one."""
    client = client_for(cast[0])
    payload = {"matter": matter.code, "form": {"a": "b"}}
    first = client.post(URL, payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="r-1")
    again = client.post(URL, payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Application.objects.count() == 1
    other = client.post(
        URL,
        {"matter": matter.code, "form": {"a": "c"}},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="r-1",
    )
    error = _error(other, 409, "conflict")
    assert first.json()["number"] in error["message"]


def test_submit_bad_input_is_400(cast, matter):
    """No matter code is 400 in the one error shape; an unknown code is 404."""
    client = client_for(cast[0])
    _error(client.post(URL, {"form": {}}, content_type="application/json"), 400, "invalid")
    _error(client.post(URL, {"matter": "NOPE"}, content_type="application/json"), 404, "not_found")


def test_signed_out_callers_are_refused(matter):
    """Without a session or token the API answers 401/403."""
    response = Client().get(URL)
    assert response.status_code in {401, 403}


def test_partner_files_for_an_applicant(dept, matter):
    """A bank files with the applicant's name and ID number; the applicant is found or made."""
    bank = UserFactory(role=Role.PARTNER)
    response = client_for(bank).post(
        URL,
        {
            "matter": matter.code,
            "form": {},
            "applicant": {"name": "王五", "id_number": "11010519491231002X"},
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == "partner"
    assert body["registered_by"] == str(bank)
    application = Application.objects.get(pk=body["id"])
    assert application.applicant.id_number == "11010519491231002X"
    assert client_for(bank).get(f"{URL}{body['id']}/").status_code == 200


def test_partner_bad_id_number_is_400_saying_what_is_wrong(matter):
    """A wrong ID number from a partner is refused with a message about the number."""
    bank = UserFactory(role=Role.PARTNER)
    response = client_for(bank).post(
        URL,
        {"matter": matter.code, "applicant": {"name": "王五", "id_number": "123"}},
        content_type="application/json",
    )
    error = _error(response, 400, "invalid")
    assert "18" in error["message"] or "ID" in error["message"]


def test_walk_in_endpoint(cast, dept):
    """A window officer registers and accepts an instant matter on the spot: concluded."""
    matter = instant_matter(dept)
    material_ids = list(matter.current_version.materials.values_list("pk", flat=True))
    with travel_to(MON):
        response = client_for(cast[1]).post(
            f"{URL}walk-ins/",
            {
                "matter": matter.code,
                "applicant": {"name": "赵六", "id_number": "11010519491231002X"},
                "paper_materials": material_ids,
            },
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "concluded"
    assert body["channel"] == "window"
    assert body["first_responsible"] == str(cast[1])
    assert body["license"]["identifier"]


# -- detail shape ----------------------------------------------------------------------------


def test_detail_shape_through_the_journey(cast, matter):
    """status, events, clock, legal_clock, materials and, once approved, license."""
    citizen, window, reviewer, head = cast
    applicant = client_for(citizen)
    with travel_to(MON):
        application_id = _submit_complete(applicant, matter)
        assert _act(client_for(window), application_id, "accept").status_code == 200
    with travel_to(dt.date(2025, 3, 5)):
        response = _act(
            client_for(reviewer), application_id, "pause", kind="expert_review", reason="专家评审"
        )
        assert response.status_code == 200, response.content
        assert response.json()["clock"]["paused"] is True
    with travel_to(dt.date(2025, 3, 12)):
        assert _act(client_for(reviewer), application_id, "resume").status_code == 200
    with travel_to(dt.date(2025, 3, 13)):
        response = _act(client_for(head), application_id, "extend", days=10, reason="现场核查")
        assert response.status_code == 200, response.content
        response = _act(client_for(reviewer), application_id, "approve")
        assert response.status_code == 200, response.content
        body = applicant.get(f"{URL}{application_id}/").json()
    assert body["status"] == "approved"
    for name in ("clock", "legal_clock"):
        assert set(body[name]) >= CLOCK_KEYS
        assert body[name]["warning"] in {"none", "yellow", "red"}
        assert isinstance(body[name]["provisional"], bool)
    assert body["clock"]["started_on"] == "2025-03-03"
    assert body["clock"]["due_on"] == "2025-04-22"
    assert body["clock"]["extension_days"] == 10
    assert body["clock"]["limit_days"] == 20
    assert body["legal_clock"]["kind"] == "application.legal"
    actions = [e["action"] for e in body["events"]]
    assert actions[0] == "submit"
    assert actions[-5:] == ["accept", "pause", "resume", "extend", "approve"]
    assert {"at", "actor", "action", "from_status", "to_status", "reason", "data"} <= set(
        body["events"][-1]
    )
    assert body["materials"][0]["file_url"].endswith("/file")
    assert body["license"]["identifier"]
    assert body["license"]["verify_url"] == f"/licenses/verify/{body['license']['identifier']}/"
    assert body["allowed_actions"] == []  # the applicant can do nothing now


def test_each_action_answers_what_a_fresh_read_shows(cast, matter):
    """The answer to an action is built from the application the service just saved (not read
    again): for every step of a journey, and for the actor, it equals a GET right after."""
    citizen, window, reviewer, head = cast
    applicant = client_for(citizen)
    steps = [
        (MON, window, "accept", {}),
        (dt.date(2025, 3, 5), reviewer, "pause", {"kind": "expert_review", "reason": "专家评审"}),
        (dt.date(2025, 3, 12), reviewer, "resume", {}),
        (dt.date(2025, 3, 13), head, "extend", {"days": 10, "reason": "现场核查"}),
        (dt.date(2025, 3, 13), window, "take-responsibility", {}),
        (dt.date(2025, 3, 13), reviewer, "approve", {}),
        (dt.date(2025, 3, 14), reviewer, "conclude", {}),
    ]
    with travel_to(MON):
        application_id = _submit_complete(applicant, matter)
    for day, who, name, body in steps:
        client = client_for(who)
        with travel_to(day):
            answered = _act(client, application_id, name, **body)
            assert answered.status_code == 200, (name, answered.content)
            assert answered.json() == client.get(f"{URL}{application_id}/").json(), name
    final = applicant.get(f"{URL}{application_id}/").json()
    assert final["status"] == "concluded" and final["license"]["identifier"]
    assert final["clock"]["state"] == "stopped" and final["legal_clock"]["state"] == "stopped"


def test_allowed_actions_follow_the_role(cast, matter):
    """Window sees accept/reject/request-supplement; the applicant none; a head none."""
    citizen, window, _reviewer, head = cast
    with travel_to(MON):
        application_id = _submit_complete(client_for(citizen), matter)
        window_actions = client_for(window).get(f"{URL}{application_id}/").json()
        head_actions = client_for(head).get(f"{URL}{application_id}/").json()
    assert window_actions["allowed_actions"] == [
        "accept",
        "reject",
        "request-supplement",
        "take-responsibility",
    ]
    assert head_actions["allowed_actions"] == ["take-responsibility"]


# -- actions ---------------------------------------------------------------------------------


def test_action_status_codes(cast, matter):
    """Not allowed now 409; wrong role 403; other department 404; bad input 400; unknown 404."""
    citizen, window, reviewer, head = cast
    stranger = UserFactory(role=Role.REVIEWER, department=DepartmentFactory())
    with travel_to(MON):
        application_id = _submit_complete(client_for(citizen), matter)
        conflict = _error(_act(client_for(reviewer), application_id, "approve"), 409, "conflict")
        assert "submitted" in conflict["message"] and "approve" in conflict["message"]
        _error(_act(client_for(citizen), application_id, "accept"), 403, "forbidden")
        _error(_act(client_for(stranger), application_id, "accept"), 404, "not_found")
        _error(_act(client_for(window), application_id, "reject"), 400, "invalid")
        _error(_act(client_for(window), application_id, "fly"), 404, "not_found")
        assert _act(client_for(window), application_id, "accept").status_code == 200
        _error(_act(client_for(head), application_id, "extend", reason="x"), 400, "invalid")
        _error(
            _act(client_for(reviewer), application_id, "pause", kind="nap", reason="x"),
            400,
            "invalid",
        )
        _error(
            _act(client_for(reviewer), application_id, "extend", days=3, reason="x"),
            403,
            "forbidden",
        )


def test_not_found_is_the_same_for_missing_and_forbidden(cast, matter):
    """Another applicant, a malformed id and a random id all answer the same 404."""
    with travel_to(MON):
        application_id = _submit_complete(client_for(cast[0]), matter)
    other = client_for(UserFactory(role=Role.CITIZEN))
    for path in (f"{URL}{application_id}/", f"{URL}not-a-uuid/", f"{URL}{'0' * 32}/"):
        _error(other.get(path), 404, "not_found")


def test_request_supplement_and_supplement_over_the_api(cast, matter):
    """Window asks once for everything; the applicant uploads and supplements."""
    citizen, window, *_ = cast
    applicant = client_for(citizen)
    with travel_to(MON):
        response = applicant.post(URL, {"matter": matter.code}, content_type="application/json")
        application_id = response.json()["id"]
        response = _act(client_for(window), application_id, "request-supplement", reason="缺")
        assert response.status_code == 200, response.content
        notice = response.json()["supplement_notice"]
        assert len(notice["materials"]) == 2
        for item in notice["materials"]:
            assert (
                _upload(applicant, application_id, "a.pdf", pdf_bytes(), item["id"]).status_code
                == 201
            )
        response = _act(applicant, application_id, "supplement")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"


def test_deliver_and_rate_over_the_api(cast, matter):
    """After conclusion the window delivers and the applicant rates (201); early rating 409."""
    citizen, window, reviewer, _ = cast
    applicant = client_for(citizen)
    with travel_to(MON):
        application_id = _submit_complete(applicant, matter)
        _act(client_for(window), application_id, "accept")
        _error(applicant.post(f"{URL}{application_id}/rating/", {"level": 5}), 409, "conflict")
        _act(client_for(reviewer), application_id, "approve")
        _act(client_for(reviewer), application_id, "conclude")
        response = _act(
            client_for(window), application_id, "deliver", method="post", detail="SF123"
        )
        assert response.json()["delivery_method"] == "post"
        _error(
            client_for(reviewer).post(f"{URL}{application_id}/rating/", {"level": 5}),
            403,
            "forbidden",
        )
        _error(applicant.post(f"{URL}{application_id}/rating/", {"level": 9}), 400, "invalid")
        response = applicant.post(f"{URL}{application_id}/rating/", {"level": 4, "text": "好"})
    assert response.status_code == 201, response.content
    assert response.json()["level"] == 4
    assert response.json()["is_bad"] is False


# -- uploads and downloads -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("申请表.pdf", pdf_bytes(), "application/pdf"),
        ("photo.PNG", png_bytes(), "image/png"),
        ("photo.jpeg", jpeg_bytes(), "image/jpeg"),
        ("photo.jpg", jpeg_bytes(), "image/jpeg"),
        ("license.ofd", ofd_bytes(), "application/ofd"),
    ],
)
def test_good_uploads_are_accepted(cast, matter, name, content, content_type):
    """PDF, PNG, JPEG and OFD with a matching extension are stored, type from the content."""
    client = client_for(cast[0])
    with travel_to(MON):
        application_id = client.post(
            URL, {"matter": matter.code}, content_type="application/json"
        ).json()["id"]
        response = _upload(client, application_id, name, content)
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == content_type
    assert response.json()["original_name"] == name


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("evil.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100, "not a PDF, JPEG, PNG, OFD"),
        ("page.pdf", b"<!DOCTYPE html><script>alert(1)</script>", "not a PDF, JPEG, PNG, OFD"),
        ("archive.ofd", b"PK\x03\x04not really a zip", "not a PDF, JPEG, PNG, OFD"),
        ("scan.png", pdf_bytes(), "holds a PDF document"),
        ("scan", pdf_bytes(), "holds a PDF document"),
        ("photo.pdf", jpeg_bytes(), "holds a JPEG document"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_disguised_and_mislabelled_uploads_are_refused(cast, matter, name, content, says):
    """A program or page renamed .pdf, or a real file with the wrong extension, is a clear 400."""
    client = client_for(cast[0])
    with travel_to(MON):
        application_id = client.post(
            URL, {"matter": matter.code}, content_type="application/json"
        ).json()["id"]
        response = _upload(client, application_id, name, content)
    error = _error(response, 400, "invalid")
    assert says in error["message"]
    assert not Application.objects.get(pk=application_id).materials.filter(kind="uploaded")


def test_oversize_upload_is_refused(cast, matter, settings):
    """A file over UPLOAD_MAX_BYTES is refused with both sizes in the message."""
    settings.UPLOAD_MAX_BYTES = 100
    client = client_for(cast[0])
    with travel_to(MON):
        application_id = client.post(
            URL, {"matter": matter.code}, content_type="application/json"
        ).json()["id"]
        response = _upload(client, application_id, "big.pdf", pdf_bytes(b"x" * 200))
    error = _error(response, 400, "invalid")
    assert "at most 100 bytes" in error["message"]


def test_upload_without_a_file_is_400(cast, matter):
    """A multipart request without 'file' is 400."""
    client = client_for(cast[0])
    application_id = client.post(
        URL, {"matter": matter.code}, content_type="application/json"
    ).json()["id"]
    _error(client.post(f"{URL}{application_id}/materials/", {}), 400, "invalid")


def test_download_checks_access(cast, matter):
    """The applicant and the department download the file; another applicant gets 404."""
    citizen, window, *_ = cast
    client = client_for(citizen)
    with travel_to(MON):
        application_id = client.post(
            URL, {"matter": matter.code}, content_type="application/json"
        ).json()["id"]
        row = _upload(client, application_id, "申请表.pdf", pdf_bytes()).json()
    url = f"{URL}{application_id}/materials/{row['id']}/file"
    assert row["file_url"] == url
    for who in (client, client_for(window)):
        response = who.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == pdf_bytes()
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]
    _error(client_for(UserFactory(role=Role.CITIZEN)).get(url), 404, "not_found")
    _error(client.get(f"{URL}{application_id}/materials/999999/file"), 404, "not_found")


def test_remove_an_upload(cast, matter):
    """DELETE removes an upload before acceptance (204)."""
    client = client_for(cast[0])
    with travel_to(MON):
        application_id = client.post(
            URL, {"matter": matter.code}, content_type="application/json"
        ).json()["id"]
        row = _upload(client, application_id, "a.pdf", pdf_bytes()).json()
        response = client.delete(f"{URL}{application_id}/materials/{row['id']}/")
    assert response.status_code == 204


def test_commitment_endpoint(cast, dept):
    """POST /commitments/ records the applicant's promise (201) and satisfies the material."""
    from tests.applications.test_services import _commitment_matter

    matter = _commitment_matter(dept)
    client = client_for(cast[0])
    with travel_to(MON):
        body = client.post(URL, {"matter": matter.code}, content_type="application/json").json()
        material = next(r for r in body["requirements"] if r["name"] == "场地证明")
        response = client.post(
            f"{URL}{body['id']}/commitments/",
            {"material": material["material"]},
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["signer"] == str(cast[0])
        detail = client.get(f"{URL}{body['id']}/").json()
    satisfied = next(r for r in detail["requirements"] if r["name"] == "场地证明")
    assert satisfied["satisfied_by"] == ["commitment"]


# -- lists -----------------------------------------------------------------------------------


def test_applicants_list_only_their_own(cast, matter):
    """Each applicant's list holds only their applications."""
    other = UserFactory(role=Role.CITIZEN)
    with travel_to(MON):
        mine = services.application_submit(actor=cast[0], matter=matter)
        services.application_submit(actor=other, matter=matter)
    body = client_for(cast[0]).get(URL).json()
    assert body["count"] == 1
    assert body["results"][0]["id"] == str(mine.pk)


def test_staff_queue_sorted_by_due_date_with_filters(cast, dept):
    """The department queue: most urgent promised due date first; filters narrow it."""
    citizen, window, reviewer, _ = cast
    slow = promised_matter(dept, promised_limit_days=20)
    fast = promised_matter(dept, promised_limit_days=3)
    elsewhere = promised_matter(DepartmentFactory())
    with travel_to(MON):
        a = submit(citizen, slow)
        b = submit(citizen, fast)
        waiting = submit(citizen, slow)
        submit(citizen, elsewhere)
        services.application_accept(actor=window, application=a)
        services.application_accept(actor=window, application=b)
    with travel_to(dt.date(2025, 3, 6)):
        client = client_for(reviewer)
        body = client.get(URL).json()
        assert [r["number"] for r in body["results"]] == [b.number, a.number, waiting.number]
        assert body["results"][0]["clock"]["warning"] == "yellow"
        yellow = client.get(URL, {"warning": "yellow"}).json()
        assert [r["number"] for r in yellow["results"]] == [b.number]
        submitted = client.get(URL, {"status": "submitted"}).json()
        assert [r["number"] for r in submitted["results"]] == [waiting.number]
        assert client.get(URL, {"matter": fast.code}).json()["count"] == 1
        assert client.get(URL, {"q": a.number}).json()["count"] == 1
    with travel_to(dt.date(2025, 3, 10)):
        red = client_for(reviewer).get(URL, {"warning": "red"}).json()
        assert [r["number"] for r in red["results"]] == [b.number]


def test_list_query_count_is_constant(cast, dept, django_assert_max_num_queries):
    """The list costs the same handful of queries for 3 rows as for 12."""
    citizen, window, reviewer, _ = cast
    matter = promised_matter(dept)
    client = client_for(reviewer)

    def make(n):
        with travel_to(MON):
            for _ in range(n):
                services.application_accept(actor=window, application=submit(citizen, matter))

    make(3)
    with travel_to(MON):
        client.get(URL)  # warm the calendar cache
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as few:
            assert client.get(URL).status_code == 200
    make(9)
    with travel_to(MON), CaptureQueriesContext(connection) as many:
        body = client.get(URL).json()
    assert body["count"] == 12
    assert len(many.captured_queries) == len(few.captured_queries)
    # session, user, count, page, applicants, pauses, calendar fingerprint
    assert len(many.captured_queries) <= 7


def test_schema_documents_the_operations(client):
    """The OpenAPI schema lists the application paths."""
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/applications/" in paths
    assert "/api/v1/applications/{application_id}/actions/{name}/" in paths
    assert "post" in paths["/api/v1/applications/"]
