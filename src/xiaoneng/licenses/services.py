"""Writes of the licenses room: issue, revoke, seal keys, and the result PDF.

Called by any room that produces results (applications on approval; construction permits and
others later) through :func:`license_issue`, with the producing row as ``source`` — this room
imports none of them.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import uscc

from xiaoneng.accounts.models import Department
from xiaoneng.core.errors import Conflict, InvalidInput, XiaonengError
from xiaoneng.core.masking import mask_id_number
from xiaoneng.core.services import audit_record
from xiaoneng.core.validation import full_clean_held
from xiaoneng.licenses import crypto, pdf, rules, selectors
from xiaoneng.licenses.models import License, LicenseStatus, LicenseType, SealKey, SerialCounter

logger = logging.getLogger(__name__)

REASON_MAX_LENGTH = 1000


class SealKeyUnavailable(XiaonengError):
    """The department's seal key cannot be opened (SECRET_KEY changed); rotate the key."""

    code = "seal_key_unavailable"
    http_status = 503


# --- seal keys -------------------------------------------------------------------------------


def _seal_key_create(*, actor: Any | None, department: Department) -> SealKey:
    pair = crypto.generate_key_pair()
    fingerprint = crypto.key_fingerprint(pair.public_hex)
    key = SealKey(
        department=department,
        public_key=pair.public_hex,
        private_key_sealed=crypto.wrap_private_key(
            pair.private_hex, secret=settings.SECRET_KEY, binding=fingerprint
        ),
        fingerprint=fingerprint,
    )
    key.full_clean()
    key.save()
    audit_record(
        actor=actor,
        action="licenses.seal_key_create",
        target=key,
        summary=f"{department.code} SM2 {fingerprint}",
        data={"department": department.code, "fingerprint": fingerprint},
    )
    return key


def seal_key_for(*, actor: Any | None, department: Department) -> SealKey:
    """The department's active seal key, made on first use.

    Two first issues racing for one department both end with the same key: the second insert
    hits the one-active-key constraint and reads the winner's row.
    """
    key = SealKey.objects.filter(department=department, retired_at__isnull=True).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return _seal_key_create(actor=actor, department=department)
    except IntegrityError:
        return SealKey.objects.get(department=department, retired_at__isnull=True)


@transaction.atomic
def seal_key_rotate(*, actor: Any | None, department: Department) -> SealKey:
    """Retire the department's active seal key and make a new one.

    Licenses sealed with the old key keep verifying (its public key stays); new ones are sealed
    with the new key. Needed after SECRET_KEY changed, or when a key may have leaked.
    """
    now = timezone.now()
    old = list(
        SealKey.objects.select_for_update().filter(department=department, retired_at__isnull=True)
    )
    for key in old:
        key.retired_at = now
        key.save(update_fields=["retired_at"])
        audit_record(
            actor=actor,
            action="licenses.seal_key_retire",
            target=key,
            summary=f"{department.code} SM2 {key.fingerprint}",
            data={"department": department.code, "fingerprint": key.fingerprint},
        )
    return _seal_key_create(actor=actor, department=department)


def _private_key(key: SealKey) -> str:
    try:
        return crypto.unwrap_private_key(
            key.private_key_sealed, secret=settings.SECRET_KEY, binding=key.fingerprint
        )
    except crypto.KeyUnwrapError:
        raise SealKeyUnavailable(
            _(
                "The seal key %(fingerprint)s of department %(department)s cannot be opened "
                "with this SECRET_KEY. Rotate it: xiaoneng license rotate-key %(department)s"
            )
            % {"fingerprint": key.fingerprint, "department": key.department.code}
        ) from None


# --- issue -----------------------------------------------------------------------------------


def _text(name: str, value: str, max_length: int) -> str:
    if not isinstance(value, str):
        raise InvalidInput(
            _("Expected %(field)s as text, got %(type)s.")
            % {"field": name, "type": type(value).__name__}
        )
    value = value.strip()
    if not value:
        raise InvalidInput(_("Expected %(field)s, got nothing.") % {"field": name})
    if len(value) > max_length:
        raise InvalidInput(
            _("Expected %(field)s of at most %(max)d characters, got %(length)d.")
            % {"field": name, "max": max_length, "length": len(value)}
        )
    return value


def _issuer_code(department: Department) -> str:
    """The department's credit code, or a ``Z…`` stand-in when it has none (rules)."""
    code = (department.credit_code or "").strip().upper()
    if not code:
        return rules.provisional_issuer_code(department.code)
    if not uscc.is_valid(code):
        raise InvalidInput(
            _(
                "Department %(department)s has %(code)r as its unified social credit code, "
                "which is not a valid one (GB 32100); correct it before issuing e-licenses."
            )
            % {"department": department.code, "code": code}
        )
    return code


def _license_type_number(department: Department, name: str) -> int:
    """The department's number for a kind of license, given out in order on first use."""
    for _attempt in range(3):
        found = LicenseType.objects.filter(department=department, name=name).first()
        if found is not None:
            return found.number
        highest = LicenseType.objects.filter(department=department).aggregate(n=Max("number"))
        number = (highest["n"] or 0) + 1
        if number > 999:
            raise InvalidInput(
                _("Department %(department)s already has 999 license types; no number is left.")
                % {"department": department.code}
            )
        try:
            with transaction.atomic():
                return LicenseType.objects.create(
                    department=department, name=name, number=number
                ).number
        except IntegrityError:
            continue  # another issue took the name or the number first: look again
    raise Conflict(_("Could not number the license type %(name)r; try again.") % {"name": name})


def _next_serial(issuer_code: str, year: int) -> str:
    """The next serial of an issuer in a year; the UPDATE locks the counter row until commit,
    so concurrent issues get consecutive, distinct numbers."""
    counter, _created = SerialCounter.objects.get_or_create(issuer_code=issuer_code, year=year)
    SerialCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    last = SerialCounter.objects.values_list("last", flat=True).get(pk=counter.pk)
    return rules.serial_format(year, last)


def license_issue(
    *,
    actor: Any | None,
    source: models.Model,
    department: Department,
    holder_name: str,
    holder_code: str,
    license_type_name: str,
    matter_code: str,
    matter_name: str,
    result_name: str,
    issued_on: dt.date | None = None,
    valid_until: dt.date | None = None,
    extra: dict[str, Any] | None = None,
    holder_user: Any | None = None,
    license_type_code: str | None = None,
) -> License:
    """Issue and seal an e-license for a result (DOMAIN_RULES.md §9).

    Builds the identifier, signs the canonical content with the department's SM2 seal key
    (made on first use), records the audit event, and queues the result PDF after commit.
    Runs in the caller's transaction when there is one, so an approval and its license land
    together or not at all.

    Args:
        actor: who issues (the approving officer), or ``None`` for the system.
        source: the saved row that produced the result (an application, a permit, …).
        department: the issuing department; its credit code is the issuer code.
        holder_name, holder_code: the holder (person or enterprise) and their ID number or
            credit code; the code is shown masked everywhere public.
        license_type_name: the kind of license (证照类型), e.g. 食品经营许可证.
        matter_code, matter_name: the service matter the result belongs to.
        result_name: the result's name (办理结果名称).
        issued_on: the date of issue; today (Asia/Shanghai) when omitted.
        valid_until: last day of validity; ``None`` for no end date.
        extra: further sealed fields (JSON object; no floats).
        holder_user: the holder's account, which may then download the PDF.
        license_type_code: the national type code (credit code + 3 digits) when known;
            otherwise the issuer's credit code and a number given per license type name.

    Returns:
        The new license (status valid, PDF still to come).

    Raises:
        InvalidInput: a field is missing or malformed, or the department's credit code is
            invalid.
        Conflict: the source already has a valid license (revoke it first to re-issue).
        SealKeyUnavailable: the department's seal key does not open with this SECRET_KEY.
    """
    if source.pk is None:
        raise InvalidInput(_("Expected a saved source row, got one without a primary key."))
    holder_name = _text("holder_name", holder_name, 200)
    holder_code = _text("holder_code", holder_code, 64).upper()
    license_type_name = _text("license_type_name", license_type_name, 200)
    matter_code = _text("matter_code", matter_code, 64)
    matter_name = _text("matter_name", matter_name, 300)
    result_name = _text("result_name", result_name, 300)
    issued_on = issued_on or timezone.localdate()
    if valid_until is not None and valid_until < issued_on:
        raise InvalidInput(
            _("Expected valid_until on or after the issue date %(issued)s, got %(until)s.")
            % {"issued": issued_on.isoformat(), "until": valid_until.isoformat()}
        )
    extra = dict(extra or {})
    problem = rules.extra_problem(extra)
    if problem:
        raise InvalidInput(
            _("The extra fields cannot be sealed: %(problem)s.") % {"problem": problem}
        )
    if license_type_code is not None:
        license_type_code = license_type_code.strip().upper()
        if not (
            len(license_type_code) == 21
            and rules.is_credit_code_shape(license_type_code[:18])
            and license_type_code[18:].isdigit()
        ):
            raise InvalidInput(
                _("Expected license_type_code as a credit code and 3 digits, got %(code)r.")
                % {"code": license_type_code}
            )

    source_type = ContentType.objects.get_for_model(source)
    source_id = str(source.pk)
    with transaction.atomic():
        issuer_code = _issuer_code(department)
        previous = (
            License.objects.select_for_update()
            .filter(source_type=source_type, source_id=source_id)
            .order_by("-version")
            .first()
        )
        if previous is not None and previous.status == LicenseStatus.VALID:
            raise Conflict(
                _("This result already has the valid e-license %(identifier)s.")
                % {"identifier": previous.identifier},
                details={"identifier": previous.identifier},
            )
        type_code = license_type_code or rules.type_code_build(
            issuer_code, _license_type_number(department, license_type_name)
        )
        seal_key = seal_key_for(actor=actor, department=department)
        private_hex = _private_key(seal_key)
        # A re-issue of the same result counts up the version, and keeps the serial when the
        # issuer is the same (a result moved to another department needs one of its serials).
        version = previous.version + 1 if previous is not None else 1
        if previous is not None and previous.issuer_code == issuer_code:
            serial = previous.serial
        else:
            serial = _next_serial(issuer_code, issued_on.year)
        license = License(
            identifier=rules.identifier_build(
                type_code=type_code, issuer_code=issuer_code, serial=serial, version=version
            ),
            type_code=type_code,
            issuer_code=issuer_code,
            serial=serial,
            version=version,
            source_type=source_type,
            source_id=source_id,
            department=department,
            department_name=department.name,
            holder_user=holder_user,
            holder_name=holder_name,
            holder_code=holder_code,
            license_type_name=license_type_name,
            matter_code=matter_code,
            matter_name=matter_name,
            result_name=result_name,
            issued_on=issued_on,
            valid_until=valid_until,
            extra=extra,
            seal_key=seal_key,
            issued_by=actor if getattr(actor, "pk", None) else None,
        )
        content = license.sealed_content().to_bytes()
        license.content_digest = crypto.sm3_hex(content)
        license.signature = crypto.sign(private_hex, content)
        try:
            # Uniqueness is left to the database: checking it here would only race. Relations
            # held in memory (department, seal key, holder, officer) need no SELECT to exist.
            full_clean_held(license, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            raise InvalidInput(
                _("The e-license is not valid: %(errors)s") % {"errors": "; ".join(exc.messages)}
            ) from None
        try:
            with transaction.atomic():
                license.save()
        except IntegrityError:
            # Another issue for the same result committed first (there was no row to lock).
            winner = License.objects.filter(
                source_type=source_type, source_id=source_id, status=LicenseStatus.VALID
            ).first()
            if winner is None:
                raise
            raise Conflict(
                _("This result already has the valid e-license %(identifier)s.")
                % {"identifier": winner.identifier},
                details={"identifier": winner.identifier},
            ) from None
        audit_record(
            actor=actor,
            action="licenses.license_issue",
            target=license,
            summary=f"{license.identifier} {result_name}",
            data={
                "identifier": license.identifier,
                "source": f"{source_type.app_label}.{source_type.model}:{source_id}",
                "department": department.code,
                "holder_code": mask_id_number(holder_code),
                "digest": license.content_digest,
                "seal_key": seal_key.fingerprint,
            },
        )
        license_id = license.pk
        transaction.on_commit(lambda: _enqueue_pdf(license_id))
    return license


def _enqueue_pdf(license_id: int) -> None:
    from xiaoneng.licenses.tasks import license_pdf_generate

    license_pdf_generate.enqueue(license_id=license_id)


# --- revoke ----------------------------------------------------------------------------------


def license_revoke(*, actor: Any | None, license: License, reason: str) -> License:
    """Revoke an e-license (注销/撤销); verification answers "revoked" from then on.

    The sealed fields stay as they were, so the seal still checks out: the record says it was
    genuine and is no longer in force.

    Raises:
        InvalidInput: no reason, or one longer than 1000 characters.
        Conflict: the license is already revoked.
    """
    reason = _text("reason", reason, REASON_MAX_LENGTH)
    with transaction.atomic():
        locked = License.objects.select_for_update().get(pk=license.pk)
        if locked.status == LicenseStatus.REVOKED:
            raise Conflict(
                _("The e-license %(identifier)s was already revoked on %(when)s.")
                % {
                    "identifier": locked.identifier,
                    "when": timezone.localtime(locked.revoked_at).strftime("%Y-%m-%d %H:%M")
                    if locked.revoked_at
                    else "?",
                }
            )
        locked.status = LicenseStatus.REVOKED
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor if getattr(actor, "pk", None) else None
        locked.revocation_reason = reason
        locked.full_clean()
        locked.save(update_fields=["status", "revoked_at", "revoked_by", "revocation_reason"])
        audit_record(
            actor=actor,
            action="licenses.license_revoke",
            target=locked,
            summary=f"{locked.identifier}: {reason}"[:500],
            data={"identifier": locked.identifier, "reason": reason},
        )
    return locked


# --- the result PDF --------------------------------------------------------------------------


def _document_data(license: License) -> pdf.DocumentData:
    return pdf.DocumentData(
        identifier=license.identifier,
        department_name=license.department_name,
        license_type_name=license.license_type_name,
        matter_code=license.matter_code,
        matter_name=license.matter_name,
        result_name=license.result_name,
        holder_name=license.holder_name,
        holder_code_masked=mask_id_number(license.holder_code),
        issued_on=license.issued_on,
        valid_until=license.valid_until,
        content_digest=license.content_digest,
        signature_fingerprint=rules.fingerprint(crypto.sm3_hex(license.signature.encode())),
        seal_fingerprint=license.seal_key.fingerprint,
        verify_url=selectors.license_verify_url(license.identifier),
    )


def _stored_pdf(license: License) -> bytes | None:
    """The stored PDF when it is there and still the one recorded, else ``None``."""
    if not license.pdf or not license.pdf_digest:
        return None
    try:
        with license.pdf.open("rb") as handle:
            content = handle.read()
    except (FileNotFoundError, OSError):
        return None
    if crypto.sm3_hex(content) != license.pdf_digest:
        logger.warning("License %s: stored PDF does not match its digest", license.identifier)
        return None
    return content


def license_pdf_store(*, license_id: int) -> License:
    """Render and store the result PDF of a license unless a good one is already stored.

    The row lock makes the background task and an on-demand download that race produce one
    file, not two.
    """
    with transaction.atomic():
        license = License.objects.select_for_update().select_related("seal_key").get(pk=license_id)
        if _stored_pdf(license) is not None:
            return license
        content = pdf.render(_document_data(license))
        old_name = license.pdf.name if license.pdf else ""
        license.pdf.save("result.pdf", ContentFile(content), save=False)
        license.pdf_digest = crypto.sm3_hex(content)
        license.save(update_fields=["pdf", "pdf_digest"])
    if old_name and old_name != license.pdf.name:
        license.pdf.storage.delete(old_name)
    return license


def license_pdf(license: License) -> bytes:
    """The result PDF of a license, made now if the background task has not made it yet."""
    content = _stored_pdf(license)
    if content is not None:
        return content
    license = license_pdf_store(license_id=license.pk)
    stored = _stored_pdf(license)
    if stored is None:  # the storage lost it between write and read: a real fault
        raise RuntimeError(f"License {license.identifier}: the stored PDF cannot be read back")
    return stored
