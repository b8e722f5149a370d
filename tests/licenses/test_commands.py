"""``xiaoneng license``: verify (exit 0 only when valid), revoke, rotate-key."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from tests.catalog.factories import DepartmentFactory
from tests.licenses.factories import issue_license, make_user
from xiaoneng.licenses import services
from xiaoneng.licenses.models import LicenseStatus, SealKey

pytestmark = pytest.mark.django_db


def test_verify_prints_valid_and_exits_zero(capsys):
    """A valid license prints its status and reason; the command ends normally."""
    license = issue_license()
    call_command("license", "verify", license.identifier)
    assert capsys.readouterr().out.startswith("valid sealed:")


@pytest.mark.parametrize("make", ["revoked", "unknown"])
def test_verify_exits_one_for_anything_but_valid(capsys, make):
    """Revoked or unknown → the status is printed and the exit code is 1."""
    license = issue_license()
    identifier = license.identifier
    if make == "revoked":
        services.license_revoke(actor=None, license=license, reason="注销")
    else:
        identifier = "1.2.156.3005.2.nonsense"
    with pytest.raises(SystemExit) as exited:
        call_command("license", "verify", identifier)
    assert exited.value.code == 1
    assert capsys.readouterr().out.startswith(make)


def test_verify_checks_a_file_copy_too(tmp_path, capsys):
    """--file compares a PDF copy with the issued document."""
    license = issue_license()
    copy = tmp_path / "copy.pdf"
    copy.write_bytes(services.license_pdf(license))
    call_command("license", "verify", license.identifier, "--file", str(copy))
    assert capsys.readouterr().out.startswith("valid")


def test_revoke_revokes_with_the_reason_and_the_named_actor():
    """revoke --reason --by records both."""
    head = make_user("head")
    license = issue_license()
    call_command("license", "revoke", license.identifier, "--reason", "依申请注销", "--by", "head")
    license.refresh_from_db()
    assert license.status == LicenseStatus.REVOKED and license.revoked_by == head


def test_revoke_of_an_unknown_license_is_a_command_error():
    """An identifier not issued here is refused."""
    with pytest.raises(CommandError):
        call_command("license", "revoke", "1.2.3", "--reason", "x")


def test_rotate_key_retires_the_old_key_and_makes_a_new_one():
    """rotate-key leaves one active key, different from the old one."""
    department = DepartmentFactory()
    old = issue_license(department=department).seal_key
    call_command("license", "rotate-key", department.code)
    active = SealKey.objects.get(department=department, retired_at__isnull=True)
    assert active != old
