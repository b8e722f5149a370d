"""Reads of the licenses room: look-ups, verification, who may download, public fields."""

from __future__ import annotations

import enum
import io
import json
import os
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.accounts.models import STAFF_ROLES
from xiaoneng.core.masking import mask_id_number, mask_text
from xiaoneng.licenses import crypto, pdf, rules
from xiaoneng.licenses.models import License, LicenseStatus

# Copies larger than this are refused unread: our PDFs are tens of kilobytes.
MAX_COPY_BYTES = 5 * 1024 * 1024
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


def license_by_identifier(identifier: str) -> License | None:
    """The license with this identifier, its seal key and department joined; else ``None``."""
    if not identifier or len(identifier) > rules.IDENTIFIER_MAX_LENGTH:
        return None
    return (
        License.objects.select_related("seal_key", "department")
        .filter(identifier=identifier)
        .first()
    )


def license_for_source(*, source: models.Model) -> License | None:
    """The newest license issued for ``source`` (valid or revoked); ``None`` if it has none."""
    if source.pk is None:
        return None
    return (
        License.objects.select_related("seal_key", "department")
        .filter(source_type=ContentType.objects.get_for_model(source), source_id=str(source.pk))
        .order_by("-version")
        .first()
    )


def public_base_url() -> str:
    """Where the public reaches this platform, for URLs printed on documents.

    ``settings.XIAONENG_PUBLIC_URL`` or the ``XIAONENG_PUBLIC_URL`` environment variable
    (e.g. ``https://zwfw.example.gov.cn``); the development server's address otherwise.
    """
    configured = getattr(settings, "XIAONENG_PUBLIC_URL", "") or os.environ.get(
        "XIAONENG_PUBLIC_URL", ""
    )
    return (configured or DEFAULT_PUBLIC_URL).rstrip("/")


def license_verify_url(identifier: str) -> str:
    """The absolute public verification URL of an identifier (printed on the PDF's QR code)."""
    return public_base_url() + reverse("licenses:verify", args=[identifier])


def can_download(user: Any, license: License) -> bool:
    """Whether ``user`` may download the result PDF (which shows the holder's name).

    The holder's own account; staff (window, reviewer, head) of the issuing department; the
    efficiency office and administrators.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if license.holder_user_id is not None and license.holder_user_id == user.pk:
        return True
    if getattr(user, "is_office", False):
        return True
    return bool(
        getattr(user, "role", None) in STAFF_ROLES
        and user.department_id is not None
        and user.department_id == license.department_id
    )


def can_revoke(user: Any, license: License) -> bool:
    """Whether ``user`` may revoke: the issuing department's reviewers and heads, the office."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_office", False):
        return True
    return bool(
        getattr(user, "role", None) in {"reviewer", "head"}
        and user.department_id == license.department_id
    )


# --- verification ----------------------------------------------------------------------------


class VerificationStatus(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"
    FORGED = "forged"
    UNKNOWN = "unknown"


# Why a verification came out as it did: a machine code and a sentence for people.
REASONS: dict[str, Any] = {
    "sealed": _("The record matches its SM2 seal and the license is in force."),
    "revoked": _("The license is genuine but was revoked."),
    "expired": _("The license is genuine but its validity has ended."),
    "malformed": _("This is not an e-license identifier of the expected shape."),
    "check_char": _("The identifier's check character does not match: it was mistyped or made up."),
    "not_found": _("No e-license with this identifier was issued here."),
    "content_mismatch": _("The record no longer matches the content its seal covers."),
    "bad_signature": _("The SM2 signature does not match the record's content."),
    "copy_mismatch": _("The copy's content differs from the sealed content of the record."),
    "copy_altered": _("The file differs from the document issued for this license."),
    "identifier_mismatch": _("The copy names a different e-license."),
    "no_identifier": _("The copy names no e-license identifier."),
    "unreadable": _("The copy could not be read as a PDF or as JSON content."),
    "too_large": _("The copy is larger than 5 MB."),
}


@dataclass(frozen=True)
class VerificationResult:
    """The answer of :func:`license_verify`."""

    identifier: str
    status: VerificationStatus
    reason: str
    license: License | None = None
    copy_checked: bool = False

    @property
    def valid(self) -> bool:
        return self.status == VerificationStatus.VALID

    @property
    def message(self) -> str:
        return str(REASONS[self.reason])


def _verify_record(license: License) -> tuple[VerificationStatus, str]:
    content = license.sealed_content().to_bytes()
    if crypto.sm3_hex(content) != license.content_digest:
        return VerificationStatus.FORGED, "content_mismatch"
    if not crypto.verify(license.seal_key.public_key, content, license.signature):
        return VerificationStatus.FORGED, "bad_signature"
    if license.status == LicenseStatus.REVOKED:
        return VerificationStatus.REVOKED, "revoked"
    if license.valid_until is not None and license.valid_until < timezone.localdate():
        return VerificationStatus.EXPIRED, "expired"
    return VerificationStatus.VALID, "sealed"


def license_verify(*, identifier: str = "", content: bytes | None = None) -> VerificationResult:
    """Verify an e-license by identifier, and optionally a copy of it (DOMAIN_RULES.md §9).

    The record is checked first: its content is rebuilt from the stored fields, its SM3
    digest compared and its SM2 signature verified with the seal key; then revocation and
    validity. With ``content`` (a PDF, or the canonical content as JSON), the copy must also be
    the one issued: a PDF byte for byte (SM3 of the file), JSON by its content digest. An empty
    ``identifier`` takes the one the copy names.

    Returns:
        ``valid``; ``revoked`` or ``expired`` (genuine, not in force); ``forged`` (the record
        or the copy does not match its seal); ``unknown`` (no such license, or not an
        identifier). ``reason`` says why, as a code of :data:`REASONS`.
    """
    claimed: dict[str, str] = {}
    kind = ""
    if content is not None:
        if len(content) > MAX_COPY_BYTES:
            return VerificationResult(identifier, VerificationStatus.UNKNOWN, "too_large")
        kind, claimed = _read_copy(content)
        if not kind:
            return VerificationResult(identifier, VerificationStatus.UNKNOWN, "unreadable")
        named = claimed.get("identifier", "")
        if not named:
            return VerificationResult(identifier, VerificationStatus.UNKNOWN, "no_identifier")
        if identifier and named != identifier:
            return VerificationResult(identifier, VerificationStatus.FORGED, "identifier_mismatch")
        identifier = named

    problem = rules.identifier_problem(identifier)
    if problem:
        reason = "malformed" if problem == "shape" else "check_char"
        return VerificationResult(identifier, VerificationStatus.UNKNOWN, reason)
    license = license_by_identifier(identifier)
    if license is None:
        return VerificationResult(identifier, VerificationStatus.UNKNOWN, "not_found")
    status, reason = _verify_record(license)
    if content is None or status == VerificationStatus.FORGED:
        return VerificationResult(identifier, status, reason, license)

    assert content is not None
    if kind == "json":
        if claimed.get("digest") != license.content_digest:
            return VerificationResult(
                identifier, VerificationStatus.FORGED, "copy_mismatch", license, True
            )
    else:
        if claimed.get("sm3") and claimed["sm3"] != license.content_digest:
            return VerificationResult(
                identifier, VerificationStatus.FORGED, "copy_mismatch", license, True
            )
        from xiaoneng.licenses.services import license_pdf  # makes the PDF if still missing

        issued = license_pdf(license)
        if crypto.sm3_hex(content) != crypto.sm3_hex(issued):
            return VerificationResult(
                identifier, VerificationStatus.FORGED, "copy_altered", license, True
            )
    return VerificationResult(identifier, status, reason, license, True)


def _read_copy(content: bytes) -> tuple[str, dict[str, str]]:
    """``("pdf" | "json" | "", what the copy claims)``: its identifier, and its digest."""
    if content.lstrip()[:5] == b"%PDF-":
        return "pdf", _read_pdf_claims(content)
    try:
        value = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return "", {}
    if not isinstance(value, dict):
        return "", {}
    try:
        digest = crypto.sm3_hex(rules.canonical_json(value))
    except (TypeError, ValueError):
        return "", {}
    named = value.get("identifier")
    return "json", {"identifier": named if isinstance(named, str) else "", "digest": digest}


def _read_pdf_claims(content: bytes) -> dict[str, str]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        metadata = reader.metadata
        keywords = str(metadata.get("/Keywords", "") or "") if metadata is not None else ""
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError):
        return {"identifier": ""}
    return pdf.parse_keywords(keywords) or {"identifier": ""}


# --- what the public sees ---------------------------------------------------------------------


def license_public_data(result: VerificationResult) -> dict[str, Any]:
    """The public answer of a verification: status and reason, and for a genuine license its
    fields with the holder masked. A forged or unknown license shows nothing of the record."""
    data: dict[str, Any] = {
        "identifier": result.identifier,
        "valid": result.valid,
        "status": str(result.status),
        "reason": result.reason,
        "message": result.message,
        "copy_checked": result.copy_checked,
        "holder": None,
        "holder_code": None,
        "department": None,
        "license_type": None,
        "matter_code": None,
        "matter_name": None,
        "result_name": None,
        "issued_on": None,
        "valid_until": None,
        "revoked_at": None,
        "revocation_reason": None,
        "content_digest": None,
        "signature_fingerprint": None,
        "seal_key": None,
        "verify_url": None,
    }
    license = result.license
    if license is None or result.status in {VerificationStatus.FORGED, VerificationStatus.UNKNOWN}:
        return data
    data.update(
        {
            "holder": rules.mask_holder_name(license.holder_name),
            "holder_code": mask_id_number(license.holder_code),
            "department": license.department_name,
            "license_type": license.license_type_name,
            "matter_code": license.matter_code,
            "matter_name": license.matter_name,
            "result_name": license.result_name,
            "issued_on": license.issued_on.isoformat(),
            "valid_until": license.valid_until.isoformat() if license.valid_until else None,
            "revoked_at": license.revoked_at.isoformat() if license.revoked_at else None,
            "revocation_reason": mask_text(license.revocation_reason)
            if license.status == LicenseStatus.REVOKED
            else None,
            "content_digest": license.content_digest,
            "signature_fingerprint": rules.fingerprint(crypto.sm3_hex(license.signature.encode())),
            "seal_key": license.seal_key.fingerprint,
            "verify_url": license_verify_url(license.identifier),
        }
    )
    return data
