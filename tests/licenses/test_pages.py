"""Public verification page (HTML and JSON), PDF download access, and the API."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.catalog.factories import DepartmentFactory
from tests.licenses.factories import HOLDER_ID, issue_license, make_user
from xiaoneng.accounts.models import Role
from xiaoneng.core.models import AuditEvent
from xiaoneng.licenses import services
from xiaoneng.licenses.models import License

pytestmark = pytest.mark.django_db


def _verify_url(license: License) -> str:
    return reverse("licenses:verify", args=[license.identifier])


def test_the_verify_page_shows_a_valid_license_in_chinese_with_the_holder_masked(client):
    """No login needed; zh-Hans by default; name and ID masked, never in full."""
    license = issue_license(holder_name="张三丰")
    response = client.get(_verify_url(license))
    assert response.status_code == 200
    page = response.content.decode()
    assert "有效" in page and license.identifier in page
    assert "张*丰" in page and "110101********1234" in page
    assert "张三丰" not in page and HOLDER_ID not in page


def test_the_verify_page_is_available_in_english(client):
    """With English chosen the verdict reads in English."""
    license = issue_license()
    client.cookies["django_language"] = "en"
    page = client.get(_verify_url(license), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This e-license is genuine and in force." in page


def test_the_verify_page_shows_when_and_why_a_license_was_revoked(client):
    """A revoked license says so, with the date and the (masked) reason."""
    license = issue_license()
    services.license_revoke(actor=None, license=license, reason="持证人 13812345678 申请注销")
    page = client.get(_verify_url(license)).content.decode()
    assert "已撤销" in page or "已注销" in page
    assert "138****5678" in page and "13812345678" not in page


def test_the_verify_page_of_a_forged_license_shows_no_record_data(client):
    """Forged: the verdict and reason, none of the (untrustworthy) record."""
    license = issue_license(holder_name="张三丰")
    License.objects.filter(pk=license.pk).update(holder_name="李四光")
    page = client.get(_verify_url(license)).content.decode()
    assert "伪造" in page or "不符" in page
    assert "李*光" not in page and license.department_name not in page


def test_the_verify_page_of_an_unknown_identifier_says_unknown(client):
    """A made-up identifier is answered, not an error page."""
    response = client.get("/licenses/verify/1.2.156.3005.2.nonsense/")
    assert response.status_code == 200
    assert "未知" in response.content.decode() or "没有" in response.content.decode()


@pytest.mark.parametrize(
    "how", [{"HTTP_ACCEPT": "application/json"}, {"QUERY_STRING": "format=json"}]
)
def test_the_verify_url_answers_json_when_asked(client, how):
    """Accept: application/json or ?format=json → the JSON answer with valid and status."""
    license = issue_license(holder_name="张三丰")
    response = client.get(_verify_url(license), **how)
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert data["identifier"] == license.identifier
    assert (data["valid"], data["status"], data["reason"]) == (True, "valid", "sealed")
    assert data["holder"] == "张*丰" and data["holder_code"] == "110101********1234"
    assert data["content_digest"] == license.content_digest
    assert data["verify_url"].endswith(_verify_url(license))
    assert HOLDER_ID not in response.content.decode()


def test_the_json_answer_of_a_revoked_license_has_when_and_why(client):
    """revoked: valid false, revoked_at and the reason."""
    license = issue_license()
    services.license_revoke(actor=None, license=license, reason="注销")
    data = client.get(_verify_url(license), HTTP_ACCEPT="application/json").json()
    assert (data["valid"], data["status"], data["revocation_reason"]) == (False, "revoked", "注销")
    assert data["revoked_at"]


def test_the_holder_downloads_the_pdf_and_the_download_is_audited(client):
    """The holder's account gets the PDF as an attachment; the download is recorded."""
    holder = make_user("holder")
    license = issue_license(holder_user=holder)
    client.force_login(holder)
    response = client.get(reverse("licenses:pdf", args=[license.identifier]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert license.identifier in response["Content-Disposition"]
    assert AuditEvent.objects.filter(action="licenses.license_download", actor=holder).exists()


def test_staff_of_the_issuing_department_and_the_office_may_download(client):
    """Window/reviewer/head of the department and the efficiency office get the PDF."""
    department = DepartmentFactory()
    license = issue_license(department=department)
    url = reverse("licenses:pdf", args=[license.identifier])
    for user in [
        make_user("w", Role.WINDOW, department),
        make_user("r", Role.REVIEWER, department),
        make_user("office", Role.OFFICE),
    ]:
        client.force_login(user)
        assert client.get(url).status_code == 200, user.username


def test_anyone_else_gets_the_same_404_as_for_a_license_that_does_not_exist(client):
    """Another citizen or another department's staff: 404, like a missing license."""
    license = issue_license(holder_user=make_user("holder"))
    url = reverse("licenses:pdf", args=[license.identifier])
    for user in [make_user("other"), make_user("staff", Role.REVIEWER, DepartmentFactory())]:
        client.force_login(user)
        assert client.get(url).status_code == 404, user.username
    assert client.get("/licenses/1.2.156.3005.2.none/pdf").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in_for_the_pdf(client):
    """The download needs a login."""
    license = issue_license()
    response = client.get(reverse("licenses:pdf", args=[license.identifier]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_api_detail_gives_public_safe_fields(client):
    """GET /api/v1/licenses/{identifier}/ → masked holder and the status."""
    license = issue_license(holder_name="张三丰")
    response = client.get(f"/api/v1/licenses/{license.identifier}/")
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["holder"], data["valid"]) == ("valid", "张*丰", True)
    assert HOLDER_ID not in response.content.decode()


def test_api_detail_of_an_unknown_identifier_is_a_404_in_the_error_shape(client):
    """Unknown → 404 with {"error": {"code": "not_found", ...}}."""
    response = client.get("/api/v1/licenses/1.2.156.3005.2.nonsense/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_verify_accepts_an_uploaded_pdf(client):
    """POST a PDF (multipart) → valid for the issued file."""
    license = issue_license()
    content = services.license_pdf(license)
    upload = SimpleUploadedFile("copy.pdf", content, content_type="application/pdf")
    response = client.post("/api/v1/licenses/verify/", {"file": upload})
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["identifier"], data["copy_checked"]) == (
        "valid",
        license.identifier,
        True,
    )


def test_api_verify_calls_a_tampered_pdf_forged(client):
    """A PDF with its digest swapped for another → forged."""
    license = issue_license()
    content = services.license_pdf(license).replace(license.content_digest.encode(), b"1" * 64)
    upload = SimpleUploadedFile("copy.pdf", content, content_type="application/pdf")
    data = client.post("/api/v1/licenses/verify/", {"file": upload}).json()
    assert (data["status"], data["valid"]) == ("forged", False)
    assert data["holder"] is None


def test_api_verify_accepts_json_content(client):
    """POST JSON {"content": {...}} → valid when it is the sealed content; forged if changed."""
    license = issue_license()
    content = license.sealed_content().as_dict()
    ok = client.post(
        "/api/v1/licenses/verify/", {"content": content}, content_type="application/json"
    ).json()
    assert ok["status"] == "valid"
    content["holder_name"] = "李四"
    bad = client.post(
        "/api/v1/licenses/verify/",
        json.dumps({"identifier": license.identifier, "content": content}),
        content_type="application/json",
    ).json()
    assert (bad["status"], bad["reason"]) == ("forged", "copy_mismatch")


def test_api_verify_by_identifier_alone(client):
    """POST {"identifier"} verifies the record."""
    license = issue_license()
    data = client.post(
        "/api/v1/licenses/verify/",
        {"identifier": license.identifier},
        content_type="application/json",
    ).json()
    assert data["status"] == "valid"


def test_api_verify_with_nothing_to_verify_is_a_400(client):
    """An empty request is refused in the error shape."""
    response = client.post("/api/v1/licenses/verify/", {}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_the_api_schema_documents_both_endpoints(client):
    """The OpenAPI schema lists the detail and the verify operations."""
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "licenses_verify" in schema and "licenses_retrieve" in schema


def test_a_head_of_the_issuing_department_revokes_from_the_page(client):
    """The head gives a reason; the license then verifies as revoked."""
    license = issue_license()
    head = make_user("head-1", Role.HEAD, department=license.department)
    client.force_login(head)
    response = client.post(
        f"/licenses/{license.identifier}/revoke/", {"reason": "申请人以欺骗手段取得许可"}
    )
    assert response.status_code == 302
    license.refresh_from_db()
    assert license.status == "revoked"
    assert license.revocation_reason == "申请人以欺骗手段取得许可"


def test_the_holder_may_not_revoke_and_is_told_why(client):
    """The holder sees the refusal as a message; the license stays valid."""
    holder = make_user("holder-1")
    license = issue_license(holder_user=holder)
    client.force_login(holder)
    response = client.post(f"/licenses/{license.identifier}/revoke/", {"reason": "x"}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    license.refresh_from_db()
    assert license.status == "valid"


def test_a_stranger_revoking_gets_the_same_404(client):
    """Someone unrelated cannot tell whether the license exists."""
    license = issue_license()
    client.force_login(make_user("stranger-1"))
    assert (
        client.post(f"/licenses/{license.identifier}/revoke/", {"reason": "x"}).status_code == 404
    )
