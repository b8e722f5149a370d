"""Applications (申请/办件): rows only.

The life of an application is the data in :mod:`xiaoneng.applications.rules`; every write is a
service in :mod:`xiaoneng.applications.services`, which locks the row, checks the table,
writes, appends an :class:`ApplicationEvent` and an audit event, and tells the applicant.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.applications.rules import Action, Satisfaction, Status


class StatusChoice(models.TextChoices):
    """Where an application is (values shared with :class:`rules.Status`)."""

    SUBMITTED = Status.SUBMITTED.value, _("submitted")  # 已提交（待受理）
    SUPPLEMENT_REQUESTED = (
        Status.SUPPLEMENT_REQUESTED.value,
        _("supplement requested"),
    )  # 待补正
    NOT_ACCEPTED = Status.NOT_ACCEPTED.value, _("not accepted")  # 不予受理
    ACCEPTED = Status.ACCEPTED.value, _("accepted, under review")  # 已受理（审查中）
    PAUSED = Status.PAUSED.value, _("special procedure")  # 特别程序（暂停计时）
    APPROVED = Status.APPROVED.value, _("approved")  # 准予许可
    DENIED = Status.DENIED.value, _("denied")  # 不予许可
    CONCLUDED = Status.CONCLUDED.value, _("concluded")  # 办结
    DELIVERED = Status.DELIVERED.value, _("delivered")  # 已送达


class Channel(models.TextChoices):
    """How the application came in."""

    ONLINE = "online", _("online")  # 网上申请
    WINDOW = "window", _("at the window")  # 窗口申请（一门办理）
    PARTNER = "partner", _("through a partner institution")  # 合作机构代为申报（如银行）


class DeliveryMethod(models.TextChoices):
    """How the result reaches the applicant (送达方式)."""

    PICKUP = "pickup", _("picked up at the window")  # 窗口领取
    POST = "post", _("by post")  # 邮寄送达
    E_LICENSE = "e_license", _("e-license only")  # 电子证照


class Decision(models.TextChoices):
    """The decision on the application (许可决定)."""

    APPROVED = "approved", _("approved")  # 准予许可
    DENIED = "denied", _("denied")  # 不予许可


class Application(models.Model):
    """One application for one service matter (申请 / 办件), from receipt to delivery.

    ``matter_version`` is the version in force at submission: a snapshot, so later catalog
    changes never alter what the applicant was asked for. Dates are legal days (``date``);
    the clocks (:mod:`xiaoneng.clocks`) hold the time limits.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(
        _("number"),
        max_length=20,
        unique=True,
        help_text=_("Application number (申请编号) like SQ2026112600001: SQ, the day, a serial."),
    )
    matter = models.ForeignKey(
        "catalog.Matter",
        verbose_name=_("matter"),
        on_delete=models.PROTECT,
        related_name="applications",
        help_text=_("The service matter applied for (政务服务事项)."),
    )
    matter_version = models.ForeignKey(
        "catalog.MatterVersion",
        verbose_name=_("matter version"),
        on_delete=models.PROTECT,
        related_name="applications",
        help_text=_("The version in force on the day of submission (事项版本), a snapshot."),
    )
    kind = models.CharField(
        _("kind"),
        max_length=10,
        help_text=_("Instant (即办件) or promised (承诺件), from the matter version."),
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="applications",
        help_text=_("The implementing department (实施主体) that accepts and decides."),
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        related_name="applications",
        help_text=_("The person or enterprise applying (申请人)."),
    )
    applicant_name = models.CharField(
        _("applicant name"),
        max_length=200,
        help_text=_("The applicant's name at submission (申请人名称), as on the result."),
    )
    applicant_code = models.CharField(
        _("applicant ID number or credit code"),
        max_length=18,
        blank=True,
        default="",
        help_text=_(
            "Resident ID number (身份证号) or unified social credit code (统一社会信用代码) at "
            "submission; masked on screens."
        ),
    )
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=Channel.choices,
        default=Channel.ONLINE,
        help_text=_("Online (网上), at the window (窗口) or through a partner (合作机构)."),
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "The window officer who registered a walk-in application, or the partner "
            "institution that filed it; empty when the applicant applied online."
        ),
    )
    form = models.JSONField(
        _("form"), default=dict, blank=True, help_text=_("The application form (申请表) as filled.")
    )
    status = models.CharField(
        _("status"),
        max_length=24,
        choices=StatusChoice.choices,
        default=StatusChoice.SUBMITTED,
        db_index=True,
        help_text=_("Current status; every change appends an event."),
    )
    received_on = models.DateField(
        _("received on"),
        help_text=_(
            "Calendar day the materials arrived (收件日), or the day of the supplement; a rest "
            "day counts as the next working day in the time limits."
        ),
    )
    supplement_notice = models.JSONField(
        _("supplement notice"),
        default=dict,
        blank=True,
        help_text=_("The one notice of everything to supply (一次性告知): reason and materials."),
    )
    accepted_on = models.DateField(
        _("accepted on"),
        null=True,
        blank=True,
        help_text=_("Day of acceptance (受理日); the day of receipt when deemed accepted."),
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, blank=True, default=""
    )
    decision_reason = models.TextField(
        _("reason"),
        blank=True,
        default="",
        help_text=_("Reason of a refusal to accept (不予受理) or a denial (不予许可)."),
    )
    concluded_on = models.DateField(_("concluded on"), null=True, blank=True)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    delivery_method = models.CharField(
        _("delivery method"),
        max_length=10,
        choices=DeliveryMethod.choices,
        blank=True,
        default="",
    )
    delivery_detail = models.CharField(
        _("delivery detail"),
        max_length=200,
        blank=True,
        default="",
        help_text=_("Tracking number or pickup note (快递单号 / 领取说明)."),
    )
    idempotency_key = models.CharField(
        _("idempotency key"),
        max_length=100,
        blank=True,
        default="",
        help_text=_("The client's Idempotency-Key: a retried submission returns this one."),
    )
    request_fingerprint = models.CharField(
        _("request fingerprint"),
        max_length=64,
        blank=True,
        default="",
        help_text=_("SHA-256 of the submitted matter, form and channel, to spot a reused key."),
    )
    first_responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first responsible officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("首问负责: the officer answerable for this application until a hand-over."),
    )
    promised_clock = models.ForeignKey(
        "clocks.Clock",
        verbose_name=_("promised clock"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The clock of the promised limit (承诺办结时限), from acceptance."),
    )
    legal_clock = models.ForeignKey(
        "clocks.Clock",
        verbose_name=_("legal clock"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The clock of the legal limit (法定办结时限); none when the law sets none."),
    )
    lock_version = models.PositiveIntegerField(
        _("version"), default=0, help_text=_("Grows by one with every change.")
    )
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="application_idempotency_key_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status"], name="application_dept_status"),
            models.Index(fields=["applicant", "-created_at"], name="application_applicant"),
            models.Index(fields=["status", "received_on"], name="application_status_received"),
            # KPIs of a period (dashboard): received / accepted between two days, for the city
            # or one department; the department in the index answers without the table.
            models.Index(fields=["received_on", "department"], name="application_received_dept"),
            models.Index(fields=["accepted_on", "department"], name="application_accepted_dept"),
        ]

    def __str__(self) -> str:
        return self.number


class ApplicationEvent(models.Model):
    """One step of an application's history (append-only): who, when, from, to, why."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who acted; empty for the system."),
    )
    action = models.CharField(
        _("action"),
        max_length=40,
        help_text=_("submit, accept, reject, request-supplement, … (see docs/applications.md)."),
    )
    from_status = models.CharField(_("from"), max_length=24, blank=True, default="")
    to_status = models.CharField(_("to"), max_length=24, blank=True, default="")
    reason = models.TextField(_("reason"), blank=True, default="")
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("application event")
        verbose_name_plural = _("application events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["application", "at"], name="application_event_app_at")]

    def __str__(self) -> str:
        return f"{self.action} {self.from_status}→{self.to_status}"


class MaterialKind(models.TextChoices):
    """How a material of the application is satisfied (values of :class:`rules.Satisfaction`)."""

    UPLOADED = Satisfaction.UPLOADED.value, _("uploaded")  # 上传
    PAPER = Satisfaction.PAPER.value, _("original checked at the window")  # 窗口核验原件
    COMMITMENT = Satisfaction.COMMITMENT.value, _("informed commitment")  # 告知承诺
    E_LICENSE = Satisfaction.E_LICENSE.value, _("e-license attached")  # 电子证照
    REPLACED = Satisfaction.REPLACED.value, _("not needed: replaced")  # 免提交


class ApplicationMaterial(models.Model):
    """How one material of an application is satisfied: a file, a promise, an e-license…

    Uploaded files live outside the web root, under ``MEDIA_ROOT/applications/<uuid>/`` with
    a generated name; the original name, the sniffed type, the size and the SHA-256 are kept.
    """

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="materials",
    )
    material = models.ForeignKey(
        "catalog.Material",
        verbose_name=_("catalog material"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The material of the matter version; empty for an extra attachment."),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=MaterialKind.choices)
    replacement = models.CharField(
        _("replacement"),
        max_length=14,
        blank=True,
        default="",
        help_text=_("For a replaced material: cancelled, data_sharing, verification, e_license."),
    )
    basis = models.TextField(
        _("basis"), blank=True, default="", help_text=_("Why it is not asked for (取消依据).")
    )
    license_identifier = models.CharField(
        _("e-license identifier"), max_length=100, blank=True, default=""
    )
    commitment = models.OneToOneField(
        "Commitment",
        verbose_name=_("commitment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="satisfies",
    )
    file = models.FileField(_("file"), max_length=255, blank=True, default="")
    original_name = models.CharField(_("original name"), max_length=255, blank=True, default="")
    content_type = models.CharField(_("type"), max_length=100, blank=True, default="")
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, default="")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who uploaded or recorded it; empty for the system."),
    )
    created_at = models.DateTimeField(_("added at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("application material")
        verbose_name_plural = _("application materials")
        ordering = ["application", "id"]

    def __str__(self) -> str:
        return self.original_name or self.get_kind_display()


class Commitment(models.Model):
    """The applicant's signed promise replacing a certificate (告知承诺, DOMAIN_RULES.md §4).

    The department told the duty, content and liability (the text); the applicant promised
    in writing (signer, time). A false promise stops the case and goes to the credit files.
    """

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="commitments",
    )
    material = models.ForeignKey(
        "catalog.Material",
        verbose_name=_("material replaced"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("text"), help_text=_("What the applicant promised (承诺书全文)."))
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The applicant who promised."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who entered it: the applicant online, or the window officer for paper."),
    )

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["application", "signed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "material"], name="commitment_one_per_material"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application} / {self.material_id}"


class NumberCounter(models.Model):
    """The last serial handed out per day, so application numbers never collide."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("number counter")
        verbose_name_plural = _("number counters")

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


# Events that are not status changes.
EVENT_SUBMIT = "submit"
EVENT_REGISTER = "register-walk-in"
EVENT_UPLOAD = "upload-material"
EVENT_REMOVE = "remove-material"
EVENT_COMMIT = "sign-commitment"
EVENT_ATTACH = "attach-automatically"
EVENT_TAKE = "take-responsibility"
EVENT_HAND_OVER = "hand-over"
EVENT_RATE = "rate"
STATUS_ACTIONS = tuple(a.value for a in Action)
