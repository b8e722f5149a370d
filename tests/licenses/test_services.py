"""Issuing, revoking and sealing e-licenses (issue 3 §4; DOMAIN_RULES.md §9)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation
from gmssl import sm2 as gmssl_sm2

from tests.catalog.factories import DepartmentFactory
from tests.licenses.factories import CREDIT_CODE, issue_license, make_user
from xiaoneng.core.errors import Conflict, InvalidInput
from xiaoneng.core.models import AuditEvent
from xiaoneng.licenses import crypto, rules, selectors, services
from xiaoneng.licenses.models import License, LicenseStatus, LicenseType, SealKey

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    """Messages are checked in English here; test_pages checks the Chinese ones."""
    with translation.override("en"):
        yield


def test_issue_builds_an_identifier_of_the_domain_shape_with_the_credit_code():
    """The identifier is 1.2.156.3005.2.<credit code + 001>.<credit code>.<year+seq>.001.<check>."""
    department = DepartmentFactory(credit_code=CREDIT_CODE)
    license = issue_license(department=department)
    parts = rules.identifier_parse(license.identifier)
    assert parts is not None
    assert parts.type_code == CREDIT_CODE + "001"
    assert parts.issuer_code == CREDIT_CODE
    assert parts.serial == "202500000001"
    assert parts.version == 1
    assert license.status == LicenseStatus.VALID
    assert license.department_name == department.name


def test_issue_without_a_credit_code_uses_a_z_stand_in_that_no_real_code_can_equal():
    """A department with no credit code issues under a provisional Z… issuer code."""
    department = DepartmentFactory(credit_code="")
    license = issue_license(department=department)
    assert license.issuer_code == rules.provisional_issuer_code(department.code)
    assert license.issuer_code.startswith("Z") and len(license.issuer_code) == 18


def test_issue_refuses_a_department_whose_credit_code_fails_its_check_digit():
    """A wrong credit code is data to correct, not something to seal."""
    department = DepartmentFactory(credit_code="11330100002489110E")
    with pytest.raises(InvalidInput, match="not a valid one"):
        issue_license(department=department)


def test_serials_count_up_per_issuer_and_year():
    """Each issue of a department takes the next sequence number of its year."""
    department = DepartmentFactory(credit_code=CREDIT_CODE)
    serials = [issue_license(department=department).serial for _ in range(3)]
    later = issue_license(department=department, issued_on=dt.date(2026, 1, 2)).serial
    assert serials == ["202500000001", "202500000002", "202500000003"]
    assert later == "202600000001"


def test_license_types_get_numbers_in_order_and_keep_them():
    """The type code's 3 digits are given per license type name, first come first numbered."""
    department = DepartmentFactory(credit_code=CREDIT_CODE)
    a = issue_license(department=department, license_type_name="食品经营许可证")
    b = issue_license(department=department, license_type_name="药品经营许可证")
    c = issue_license(department=department, license_type_name="食品经营许可证")
    assert [a.type_code[-3:], b.type_code[-3:], c.type_code[-3:]] == ["001", "002", "001"]
    assert LicenseType.objects.filter(department=department).count() == 2


def test_a_given_national_type_code_is_used_as_is():
    """A caller that knows the national type code passes it and it lands in the identifier."""
    license = issue_license(license_type_code="11100000000013127D123")
    assert license.type_code == "11100000000013127D123"
    assert ".11100000000013127D123." in license.identifier


def test_the_seal_is_sm3_over_the_canonical_content_and_sm2_checks_out_in_gmssl():
    """Digest = SM3(canonical content); gmssl (a second implementation) accepts the signature."""
    license = issue_license()
    content = license.sealed_content().to_bytes()
    assert license.content_digest == crypto.sm3_hex(content)
    public = license.seal_key.public_key
    checker = gmssl_sm2.CryptSM2(private_key="", public_key=public[2:])
    checker.public_key = public[2:]  # gmssl's lstrip("04") would eat leading 0/4 digits of X
    assert checker.verify_with_sm3(license.signature, content)


def test_one_seal_key_per_department_is_made_on_first_issue_and_reused():
    """The first issue of a department makes its key; later issues use the same key."""
    department = DepartmentFactory()
    first = issue_license(department=department)
    second = issue_license(department=department)
    assert first.seal_key_id == second.seal_key_id
    assert SealKey.objects.filter(department=department).count() == 1
    other = issue_license()
    assert other.seal_key_id != first.seal_key_id


def test_the_private_key_is_stored_encrypted_and_opens_with_the_secret_key(settings):
    """The stored private key is SM4-GCM ciphertext; it opens to the key of the public point."""
    license = issue_license()
    key = license.seal_key
    assert key.private_key_sealed.startswith("sm4gcm1:")
    private = crypto.unwrap_private_key(
        key.private_key_sealed, secret=settings.SECRET_KEY, binding=key.fingerprint
    )
    assert private not in key.private_key_sealed
    assert crypto.public_key_of(private) == key.public_key


def test_a_changed_secret_key_stops_issuing_until_the_key_is_rotated(settings):
    """After SECRET_KEY changed, issuing says to rotate; after rotation old and new verify."""
    department = DepartmentFactory()
    old = issue_license(department=department)
    settings.SECRET_KEY = "another-secret-key-of-enough-length-0123456789"
    with pytest.raises(services.SealKeyUnavailable, match="rotate-key"):
        issue_license(department=department)
    services.seal_key_rotate(actor=None, department=department)
    new = issue_license(department=department)
    assert new.seal_key_id != old.seal_key_id
    assert selectors.license_verify(identifier=old.identifier).valid
    assert selectors.license_verify(identifier=new.identifier).valid


def test_a_source_with_a_valid_license_gets_no_second_one():
    """Issuing twice for one result is refused and names the license it already has."""
    source = DepartmentFactory()
    first = issue_license(source=source)
    with pytest.raises(Conflict) as caught:
        issue_license(source=source)
    assert caught.value.details == {"identifier": first.identifier}


def test_re_issue_after_revocation_keeps_the_serial_and_counts_up_the_version():
    """A revoked result issued again gets version 002 of the same serial."""
    source, department = DepartmentFactory(), DepartmentFactory()
    first = issue_license(source=source, department=department)
    services.license_revoke(actor=None, license=first, reason="信息有误，重新核发")
    second = issue_license(source=source, department=department)
    assert second.serial == first.serial
    assert second.version == 2
    assert second.identifier.endswith(f".{second.serial}.002.{second.identifier[-1]}")
    assert selectors.license_for_source(source=source) == second


def test_issue_is_audited_with_the_masked_holder_code():
    """An issue appends licenses.license_issue naming the identifier, without the full ID."""
    officer = make_user("officer")
    license = issue_license(actor=officer)
    event = AuditEvent.objects.get(action="licenses.license_issue", target_id=str(license.pk))
    assert event.actor == officer
    assert event.data["identifier"] == license.identifier
    assert "110101199003071234" not in str(event.data) + event.summary


def test_revoke_records_who_when_why_and_is_audited():
    """Revocation sets the status, time, user and reason, and appends an audit event."""
    head = make_user("head")
    license = issue_license()
    revoked = services.license_revoke(actor=head, license=license, reason="申请人以欺骗手段取得")
    assert revoked.status == LicenseStatus.REVOKED
    assert revoked.revoked_by == head and revoked.revoked_at is not None
    assert revoked.revocation_reason == "申请人以欺骗手段取得"
    event = AuditEvent.objects.get(action="licenses.license_revoke")
    assert event.actor == head and event.data["reason"] == "申请人以欺骗手段取得"


def test_revoke_needs_a_reason_and_happens_once():
    """No reason → InvalidInput; a second revocation → Conflict."""
    license = issue_license()
    with pytest.raises(InvalidInput):
        services.license_revoke(actor=None, license=license, reason="  ")
    services.license_revoke(actor=None, license=license, reason="注销")
    with pytest.raises(Conflict, match="already revoked"):
        services.license_revoke(actor=None, license=license, reason="again")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"holder_name": ""}, "holder_name"),
        ({"result_name": "x" * 301}, "at most 300"),
        ({"valid_until": dt.date(2020, 1, 1)}, "on or after"),
        ({"extra": {"area": 12.5}}, "floating-point"),
        ({"license_type_code": "123"}, "credit code and 3 digits"),
    ],
)
def test_issue_refuses_bad_input_with_a_message_saying_what_was_expected(overrides, message):
    """Each bad field is refused with a message naming what was expected."""
    with pytest.raises(InvalidInput, match=message):
        issue_license(**overrides)
    assert not License.objects.exists()


def test_issue_refuses_an_unsaved_source():
    """The source must be a saved row, as the link stores its primary key."""
    from xiaoneng.accounts.models import Department

    with pytest.raises(InvalidInput, match="saved source"):
        issue_license(source=Department(code="unsaved", name="x"))


def test_extra_fields_are_sealed():
    """Extra fields are part of the sealed content: changing one in the database is forgery."""
    license = issue_license(extra={"经营场所": "测试市1号", "items": ["预包装食品销售"]})
    assert selectors.license_verify(identifier=license.identifier).valid
    License.objects.filter(pk=license.pk).update(extra={"经营场所": "测试市2号"})
    result = selectors.license_verify(identifier=license.identifier)
    assert result.status == "forged"


def test_making_a_seal_key_is_audited():
    """The first issue of a department records licenses.seal_key_create with the fingerprint."""
    license = issue_license()
    event = AuditEvent.objects.get(action="licenses.seal_key_create")
    assert event.data["fingerprint"] == license.seal_key.fingerprint


def test_a_source_without_a_license_has_none():
    """license_for_source answers None for a row that produced no license."""
    assert selectors.license_for_source(source=DepartmentFactory()) is None


def test_who_may_revoke():
    """Reviewers and heads of the issuing department and the office may; others may not."""
    from xiaoneng.accounts.models import Role

    department = DepartmentFactory()
    license = issue_license(department=department)
    allowed = [
        make_user("rv", Role.REVIEWER, department),
        make_user("hd", Role.HEAD, department),
        make_user("of", Role.OFFICE),
    ]
    refused = [
        make_user("wn", Role.WINDOW, department),
        make_user("rv2", Role.REVIEWER, DepartmentFactory()),
        make_user("ct"),
    ]
    assert all(selectors.can_revoke(u, license) for u in allowed)
    assert not any(selectors.can_revoke(u, license) for u in refused)


def test_errors_read_in_chinese_by_default():
    """Outside English the refusal is in zh-Hans (the platform's default language)."""
    license = issue_license()
    services.license_revoke(actor=None, license=license, reason="注销")
    with translation.override("zh-hans"), pytest.raises(Conflict, match="已于"):
        services.license_revoke(actor=None, license=license, reason="再次")
