"""Verification: valid, revoked, expired, forged (record or copy tampered), unknown."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from tests.licenses.factories import issue_license
from xiaoneng.licenses import rules, services
from xiaoneng.licenses.models import License
from xiaoneng.licenses.selectors import license_by_identifier, license_verify

pytestmark = pytest.mark.django_db


def test_a_freshly_issued_license_is_valid():
    """The record matches its seal and is in force."""
    license = issue_license()
    result = license_verify(identifier=license.identifier)
    assert result.valid and result.status == "valid" and result.reason == "sealed"
    assert result.license == license


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("holder_name", "李四"),
        ("holder_code", "110101199003079999"),
        ("result_name", "药品经营许可证"),
        ("issued_on", dt.date(2025, 1, 1)),
        ("valid_until", dt.date(2099, 12, 31)),
        ("department_name", "别的局"),
        ("matter_code", "OTHER"),
    ],
)
def test_a_field_changed_in_the_database_makes_the_license_forged(field, value):
    """Changing any sealed field behind the services' back → forged, content_mismatch."""
    license = issue_license()
    License.objects.filter(pk=license.pk).update(**{field: value})
    result = license_verify(identifier=license.identifier)
    assert result.status == "forged" and not result.valid
    assert result.reason == "content_mismatch"


def test_a_changed_signature_makes_the_license_forged():
    """A signature that is not the seal's → forged, bad_signature."""
    license = issue_license()
    other = issue_license()
    License.objects.filter(pk=license.pk).update(signature=other.signature)
    result = license_verify(identifier=license.identifier)
    assert (result.status, result.reason) == ("forged", "bad_signature")


def test_a_field_and_its_digest_changed_together_still_fail_on_the_signature():
    """Recomputing the digest after a change does not help: the SM2 signature fails."""
    license = issue_license()
    license.holder_name = "李四"
    from xiaoneng.licenses import crypto

    digest = crypto.sm3_hex(license.sealed_content().to_bytes())
    License.objects.filter(pk=license.pk).update(holder_name="李四", content_digest=digest)
    result = license_verify(identifier=license.identifier)
    assert (result.status, result.reason) == ("forged", "bad_signature")


def test_a_license_moved_to_another_seal_key_is_forged():
    """Pointing a license at another department's key breaks the seal."""
    license = issue_license()
    other = issue_license()
    License.objects.filter(pk=license.pk).update(seal_key=other.seal_key)
    assert license_verify(identifier=license.identifier).status == "forged"


def test_a_revoked_license_verifies_as_revoked_with_its_reason():
    """Genuine but revoked: status revoked, the record still attached for when and why."""
    license = issue_license()
    services.license_revoke(actor=None, license=license, reason="依申请注销")
    result = license_verify(identifier=license.identifier)
    assert (result.status, result.reason, result.valid) == ("revoked", "revoked", False)
    assert result.license is not None and result.license.revocation_reason == "依申请注销"


def test_a_license_past_its_validity_is_expired():
    """After valid_until the genuine license answers expired, not valid."""
    license = issue_license(issued_on=dt.date(2025, 3, 5), valid_until=dt.date(2025, 12, 31))
    with time_machine.travel(dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)):
        result = license_verify(identifier=license.identifier)
    assert (result.status, result.valid) == ("expired", False)


def test_an_identifier_never_issued_is_unknown():
    """A well-formed identifier with a good check char but no record → unknown, not_found."""
    license = issue_license()
    parts = rules.identifier_parse(license.identifier)
    assert parts is not None
    other = rules.identifier_build(
        type_code=parts.type_code,
        issuer_code=parts.issuer_code,
        serial="209900000001",
        version=1,
    )
    result = license_verify(identifier=other)
    assert (result.status, result.reason) == ("unknown", "not_found")


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda i: "not-an-identifier", "malformed"),
        (lambda i: i[:-1] + ("A" if i[-1] != "A" else "B"), "check_char"),
        (lambda i: "", "malformed"),
    ],
)
def test_malformed_or_mistyped_identifiers_are_unknown_with_the_reason(make, reason):
    """Wrong shape → malformed; wrong check char → check_char; both unknown."""
    license = issue_license()
    result = license_verify(identifier=make(license.identifier))
    assert (result.status, result.reason) == ("unknown", reason)


def test_a_copy_of_the_sealed_content_as_json_is_valid():
    """The canonical content as JSON, in any key order, matches the record's digest."""
    license = issue_license()
    content = license.sealed_content().as_dict()
    shuffled = json.dumps(dict(reversed(list(content.items()))), ensure_ascii=False).encode()
    result = license_verify(identifier="", content=shuffled)
    assert result.valid and result.copy_checked and result.identifier == license.identifier


def test_a_json_copy_with_a_changed_field_is_forged():
    """Changing the holder in a JSON copy → forged, copy_mismatch."""
    license = issue_license()
    content = license.sealed_content().as_dict() | {"holder_name": "李四"}
    result = license_verify(identifier=license.identifier, content=json.dumps(content).encode())
    assert (result.status, result.reason) == ("forged", "copy_mismatch")


def test_the_issued_pdf_verifies_as_a_copy():
    """The PDF as downloaded verifies: it names the license and is byte for byte the issued one."""
    license = issue_license()
    content = services.license_pdf(license)
    result = license_verify(content=content)
    assert result.valid and result.copy_checked
    assert result.identifier == license.identifier


def test_an_altered_pdf_is_forged():
    """A PDF with one byte changed (same identifier in it) → forged, copy_altered."""
    license = issue_license()
    content = bytearray(services.license_pdf(license))
    position = content.index(b"stream") + 20
    content[position] ^= 0x01
    result = license_verify(content=bytes(content))
    assert (result.status, result.reason) == ("forged", "copy_altered")


def test_a_pdf_naming_another_digest_is_forged():
    """A PDF whose embedded digest is not the record's → forged, copy_mismatch."""
    license = issue_license()
    content = services.license_pdf(license)
    forged = content.replace(license.content_digest.encode(), b"0" * 64)
    result = license_verify(content=forged)
    assert (result.status, result.reason) == ("forged", "copy_mismatch")


def test_a_pdf_of_another_license_is_forged_for_this_identifier():
    """Verifying identifier A with the PDF of license B → forged, identifier_mismatch."""
    a, b = issue_license(), issue_license()
    result = license_verify(identifier=a.identifier, content=services.license_pdf(b))
    assert (result.status, result.reason) == ("forged", "identifier_mismatch")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"%PDF-1.4 garbage", "no_identifier"),
        (b"\x89PNG\r\n", "unreadable"),
        (b"[1, 2]", "unreadable"),
        (b'{"holder_name": "x"}', "no_identifier"),
    ],
)
def test_copies_that_name_no_license_are_unknown(content, reason):
    """A broken PDF, an image, or JSON without identifier cannot be checked → unknown."""
    result = license_verify(identifier="", content=content)
    assert (result.status, result.reason) == ("unknown", reason)


def test_the_lookup_selector_answers_none_for_absent_or_silly_identifiers():
    """license_by_identifier returns None rather than raising."""
    assert license_by_identifier("") is None
    assert license_by_identifier("x" * 1000) is None
    license = issue_license()
    assert license_by_identifier(license.identifier) == license
