"""E-licenses (电子证照), the seal keys that sign them, and the counters behind identifiers.

Writes go through :mod:`xiaoneng.licenses.services`; the rules live in
:mod:`xiaoneng.licenses.rules`; docs/licenses.md explains the choices.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.accounts.models import Department
from xiaoneng.licenses import rules


class SealKey(models.Model):
    """An issuing department's SM2 seal key (电子印章密钥).

    Each department seals with its own key, as each has its own seal. The private key is kept
    encrypted (SM4-GCM under a key derived from SECRET_KEY); production should keep it in an
    HSM or the city's e-seal platform instead (docs/licenses.md). A retired key signs nothing
    new but still verifies what it signed.
    """

    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The issuing department whose seal this key is."),
    )
    algorithm = models.CharField(_("algorithm"), max_length=16, default="SM2", editable=False)
    public_key = models.CharField(
        _("public key"),
        max_length=130,
        help_text=_("SM2 public point 04‖x‖y, hex."),
    )
    private_key_sealed = models.TextField(
        _("sealed private key"),
        help_text=_("The private key encrypted with SM4-GCM under a key derived from SECRET_KEY."),
    )
    fingerprint = models.CharField(
        _("fingerprint"),
        max_length=32,
        unique=True,
        help_text=_("First 32 hex digits of SM3 over the public key; named in every seal."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    retired_at = models.DateTimeField(
        _("retired at"),
        null=True,
        blank=True,
        help_text=_("Set when the key was replaced; it then only verifies old licenses."),
    )

    class Meta:
        verbose_name = _("seal key")
        verbose_name_plural = _("seal keys")
        ordering = ["department_id", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["department"],
                condition=Q(retired_at__isnull=True),
                name="licenses_sealkey_one_active_per_department",
            )
        ]

    def __str__(self) -> str:
        return f"SM2 {self.fingerprint[:16]}"


class LicenseType(models.Model):
    """The 3-digit number of a kind of license within an issuing department's type codes.

    Numbers are given out in order the first time a department issues a kind of license, so
    the type code (credit code + number) of DOMAIN_RULES.md §9 stays the same for that kind.
    """

    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200, help_text=_("License type name (证照类型)."))
    number = models.PositiveSmallIntegerField(_("number"), help_text=_("1 to 999."))

    class Meta:
        verbose_name = _("license type")
        verbose_name_plural = _("license types")
        ordering = ["department_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "name"], name="licenses_licensetype_name_unique"
            ),
            models.UniqueConstraint(
                fields=["department", "number"], name="licenses_licensetype_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number:03d} {self.name}"


class SerialCounter(models.Model):
    """The last sequence number given to an issuer in a year (流水号计数器)."""

    issuer_code = models.CharField(_("issuer code"), max_length=18)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last sequence"), default=0)

    class Meta:
        verbose_name = _("serial counter")
        verbose_name_plural = _("serial counters")
        constraints = [
            models.UniqueConstraint(
                fields=["issuer_code", "year"], name="licenses_serialcounter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.issuer_code} {self.year}: {self.last}"


class LicenseStatus(models.TextChoices):
    VALID = "valid", _("Valid")  # 有效
    REVOKED = "revoked", _("Revoked")  # 已注销 / 已撤销


def _pdf_upload_to(instance: License, filename: str) -> str:
    # Generated names: the identifier and holder never appear in a path on disk.
    return f"licenses/{uuid.uuid4().hex}.pdf"


class License(models.Model):
    """An e-license (电子证照): the sealed record of a result, e.g. an approval.

    The fields covered by the seal (see :class:`~xiaoneng.licenses.rules.LicenseContent`) never
    change after issue; verification recomputes the content from them, so a field changed in
    the database makes the license verify as forged.
    """

    identifier = models.CharField(
        _("identifier"),
        max_length=rules.IDENTIFIER_MAX_LENGTH,
        unique=True,
        help_text=_("证照标识: 1.2.156.3005.2.<type>.<issuer>.<serial>.<version>.<check>."),
    )
    type_code = models.CharField(
        _("type code"), max_length=21, help_text=_("Credit code + 3-digit type number.")
    )
    issuer_code = models.CharField(
        _("issuer code"),
        max_length=18,
        db_index=True,
        help_text=_("Credit code of the issuing department (a Z… stand-in when it has none)."),
    )
    serial = models.CharField(_("serial"), max_length=32, help_text=_("流水号: year + sequence."))
    version = models.PositiveSmallIntegerField(
        _("version"), default=1, help_text=_("1 for a first issue; one more for each re-issue.")
    )

    # What produced the license (an application, a construction permit, …): a generic link, so
    # this room depends on none of them.
    source_type = models.ForeignKey(
        ContentType, verbose_name=_("source type"), on_delete=models.PROTECT, related_name="+"
    )
    source_id = models.CharField(_("source id"), max_length=64)
    source = GenericForeignKey("source_type", "source_id")

    department = models.ForeignKey(
        Department,
        verbose_name=_("issuing department"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    department_name = models.CharField(
        _("department name"),
        max_length=200,
        help_text=_("The department's name at issue, as sealed."),
    )
    holder_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("holder account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The account that may download the PDF, if the holder has one."),
    )
    holder_name = models.CharField(
        _("holder name"), max_length=200, help_text=_("持证主体: person or enterprise name.")
    )
    holder_code = models.CharField(
        _("holder code"),
        max_length=64,
        help_text=_("Resident ID number or credit code of the holder; shown masked in public."),
    )
    license_type_name = models.CharField(_("license type"), max_length=200)
    matter_code = models.CharField(_("matter code"), max_length=64)
    matter_name = models.CharField(_("matter name"), max_length=300)
    result_name = models.CharField(
        _("result name"), max_length=300, help_text=_("办理结果名称, e.g. the permit's name.")
    )
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(
        _("valid until"), null=True, blank=True, help_text=_("Empty for no end date (长期).")
    )
    extra = models.JSONField(
        _("extra fields"), default=dict, blank=True, help_text=_("Further sealed fields.")
    )

    content_digest = models.CharField(
        _("content digest"),
        max_length=64,
        help_text=_("SM3 of the canonical sealed content, hex."),
    )
    signature = models.CharField(
        _("signature"), max_length=128, help_text=_("SM2 signature r‖s over the content, hex.")
    )
    seal_key = models.ForeignKey(
        SealKey, verbose_name=_("seal key"), on_delete=models.PROTECT, related_name="licenses"
    )

    status = models.CharField(
        _("status"),
        max_length=10,
        choices=LicenseStatus.choices,
        default=LicenseStatus.VALID,
        db_index=True,
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revocation_reason = models.TextField(_("revocation reason"), blank=True, default="")

    pdf = models.FileField(
        _("result document"),
        upload_to=_pdf_upload_to,
        blank=True,
        max_length=200,
        help_text=_("The result PDF under MEDIA_ROOT/licenses/ (made after issue)."),
    )
    pdf_digest = models.CharField(
        _("PDF digest"), max_length=64, blank=True, default="", help_text=_("SM3 of the PDF.")
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("e-license")
        verbose_name_plural = _("e-licenses")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["source_type", "source_id", "version"])]
        constraints = [
            # One valid license per source: a re-issue needs the old one revoked first.
            models.UniqueConstraint(
                fields=["source_type", "source_id"],
                condition=Q(status="valid"),
                name="licenses_license_one_valid_per_source",
            ),
            models.UniqueConstraint(
                fields=["source_type", "source_id", "version"],
                name="licenses_license_source_version_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.identifier

    def sealed_content(self) -> rules.LicenseContent:
        """The content the seal covers, rebuilt from the stored fields."""
        return rules.LicenseContent(
            identifier=self.identifier,
            type_code=self.type_code,
            issuer_code=self.issuer_code,
            serial=self.serial,
            version=self.version,
            department_name=self.department_name,
            holder_name=self.holder_name,
            holder_code=self.holder_code,
            license_type_name=self.license_type_name,
            matter_code=self.matter_code,
            matter_name=self.matter_name,
            result_name=self.result_name,
            issued_on=self.issued_on,
            valid_until=self.valid_until,
            seal=self.seal_key.fingerprint,
            extra=self.extra or {},
        )
