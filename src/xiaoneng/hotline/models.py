"""Tickets of the 12345 hotline (工单, DOMAIN_RULES.md §7) and their configuration tables."""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.core.masking import mask_phone
from xiaoneng.hotline import rules


def _choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    return [(member.value, member.value) for member in enum]


class TicketCategory(models.Model):
    """A node of the category tree (分类), e.g. 城市管理 › 占道经营."""

    code = models.CharField(
        _("code"), max_length=32, unique=True, help_text=_("Category code (分类编码).")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("Category name (分类名称)."))
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("The category one level up; empty for a top-level category."),
    )

    class Meta:
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class HotlineNumber(models.Model):
    """An old department hotline merged into 12345 (e.g. 12315 → market regulation)."""

    number = models.CharField(
        _("number"), max_length=16, unique=True, help_text=_("The old hotline number.")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("The hotline's name."))
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="hotline_numbers",
        help_text=_("The department that answered this number before the merger."),
    )
    default_category = models.ForeignKey(
        TicketCategory,
        verbose_name=_("default category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The category a ticket from this number starts with."),
    )

    class Meta:
        verbose_name = _("old hotline number")
        verbose_name_plural = _("old hotline numbers")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class TicketClockRule(models.Model):
    """A local handling limit in working days for (type, urgency); overrides the default."""

    ticket_type = models.CharField(
        _("type"), max_length=16, choices=_choices(rules.TicketType), help_text=_("Request type.")
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=_choices(rules.Urgency), help_text=_("Urgency.")
    )
    limit_days = models.PositiveSmallIntegerField(
        _("limit (working days)"),
        help_text=_("Working days the department has from dispatch to reply."),
    )

    class Meta:
        verbose_name = _("ticket clock rule")
        verbose_name_plural = _("ticket clock rules")
        constraints = [
            models.UniqueConstraint(fields=["ticket_type", "urgency"], name="hotline_rule_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_type}/{self.urgency}: {self.limit_days}"


class Ticket(models.Model):
    """A request to the hotline (工单): registered by an operator, handled by a department."""

    number = models.CharField(
        _("number"),
        max_length=20,
        unique=True,
        editable=False,
        help_text=_("Ticket number GD + date + sequence of the day, e.g. GD2026112600001."),
    )
    channel = models.CharField(
        _("channel"), max_length=12, choices=_choices(rules.Channel), help_text=_("Way in.")
    )
    hotline_number = models.ForeignKey(
        HotlineNumber,
        verbose_name=_("old hotline number"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        help_text=_("The old number dialled, when the channel is an old department hotline."),
    )
    ticket_type = models.CharField(
        _("type"), max_length=16, choices=_choices(rules.TicketType), help_text=_("咨询…表扬.")
    )
    category = models.ForeignKey(
        TicketCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        help_text=_("Where the matter sits in the category tree."),
    )
    urgency = models.CharField(
        _("urgency"),
        max_length=10,
        choices=_choices(rules.Urgency),
        default=rules.Urgency.ORDINARY.value,
    )
    address = models.CharField(_("address"), max_length=300, blank=True, default="")
    district = models.CharField(_("district"), max_length=60, blank=True, default="")
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    reporter_name = models.CharField(
        _("reporter name"),
        max_length=100,
        blank=True,
        default="",
        help_text=_("Empty = anonymous."),
    )
    reporter_phone = models.CharField(
        _("reporter phone"),
        max_length=20,
        blank=True,
        default="",
        help_text=_("Shown masked except to the hotline operators and the office."),
    )
    reporter_id_number = models.CharField(
        _("reporter ID number"),
        max_length=18,
        blank=True,
        default="",
        help_text=_("Optional; shown masked except to the hotline operators and the office."),
    )
    query_code = models.CharField(
        _("query code"),
        max_length=8,
        blank=True,
        default="",
        editable=False,
        help_text=_(
            "Six random digits given to the reporter at registration; with the ticket number "
            "they let anyone holding them look the ticket up (查询码)."
        ),
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hotline_tickets",
        help_text=_("The reporter's account, if they have one (told of the reply)."),
    )
    description = models.TextField(_("description"), help_text=_("What the reporter said."))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=_choices(rules.TicketStatus),
        default=rules.TicketStatus.REGISTERED.value,
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("handling department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hotline_tickets",
        help_text=_("The department the ticket is dispatched to (承办单位)."),
    )
    dispatcher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dispatcher"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The operator who dispatched it last; a sent-back ticket returns to them."),
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The department officer who accepted it (责任人)."),
    )
    reopen_count = models.PositiveSmallIntegerField(
        _("times reopened"), default=0, help_text=_("Reopens after a dissatisfied return visit.")
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), null=True, blank=True, help_text=_("Last return visit, 1–5.")
    )
    not_accepted_reason = models.CharField(
        _("not-accepted reason"),
        max_length=20,
        blank=True,
        default="",
        choices=_choices(rules.NotAccepted),
    )
    reply = models.TextField(_("reply"), blank=True, default="", help_text=_("答复内容."))
    parent = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        help_text=_("For a duplicate: the ticket it was merged under (并单); it closes with it."),
    )
    split_from = models.ForeignKey(
        "self",
        verbose_name=_("split from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parts",
        help_text=_("For a part of a split ticket (拆单): the ticket it was split from."),
    )
    supervision_task = models.ForeignKey(
        "supervision.SupervisionTask",
        verbose_name=_("supervision task"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hotline_tickets",
        help_text=_("The supervision task the ticket was escalated into (升级督办), if any."),
    )
    created_at = models.DateTimeField(_("registered at"), default=timezone.now, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "department"], name="hotline_status_dept"),
        ]

    def __str__(self) -> str:
        who = self.reporter_name or _("anonymous")
        phone = f" {mask_phone(self.reporter_phone)}" if self.reporter_phone else ""
        return f"{self.number} {who}{phone}"


class TicketEvent(models.Model):
    """One status change of a ticket; append-only (never edited or deleted)."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now, editable=False)
    action = models.CharField(_("action"), max_length=30, choices=_choices(rules.TicketAction))
    from_status = models.CharField(_("from"), max_length=12, blank=True, default="")
    to_status = models.CharField(_("to"), max_length=12)
    reason = models.TextField(_("reason"), blank=True, default="")
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        """Insert only: an event, once written, is history."""
        if self.pk is not None:
            raise RuntimeError("TicketEvent rows are append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        """Never: an event, once written, is history."""
        raise RuntimeError("TicketEvent rows are append-only")


class Open311Key(models.Model):
    """An API key of an Open311 GeoReport v2 client (docs/hotline.md, "Open311").

    Only the SHA-256 digest of the key is stored, as for ``accounts.ApiToken``; the key itself
    is shown once, when it is created. Requests posted with the key are registered by the
    operator who created it.
    """

    name = models.CharField(
        _("name"), max_length=100, help_text=_("The client the key is for, e.g. an app.")
    )
    key_hash = models.CharField(
        _("key digest"),
        max_length=64,
        unique=True,
        help_text=_("SHA-256 of the key; the key itself is never stored."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The operator who created the key and registers its requests."),
    )

    class Meta:
        verbose_name = _("Open311 key")
        verbose_name_plural = _("Open311 keys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class TicketDaySequence(models.Model):
    """The last ticket number given out on a day (GD<day><sequence>).

    One row per day, bumped with an ``UPDATE … SET last = last + 1`` under the row lock, so
    concurrent registrations never take the same number and never retry.
    """

    day = models.DateField(_("day"), primary_key=True)
    last = models.PositiveIntegerField(_("last sequence"), default=0)

    class Meta:
        verbose_name = _("ticket number sequence")
        verbose_name_plural = _("ticket number sequences")

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class TicketAttachment(models.Model):
    """A file sent with a ticket (photo of the problem, a document); type sniffed on upload."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(_("file"), max_length=255, upload_to="hotline/%Y/%m/")
    original_name = models.CharField(_("original name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who uploaded it; empty for a citizen on the web form."),
    )
    created_at = models.DateTimeField(_("added at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("ticket attachment")
        verbose_name_plural = _("ticket attachments")
        ordering = ["ticket", "id"]

    def __str__(self) -> str:
        return self.original_name


class Article(models.Model):
    """A knowledge-base article (知识库): the answer operators give and citizens read.

    ``search_text`` holds the title, keywords and body segmented by jieba and joined by
    spaces; it is rebuilt by the services on every save, so search never segments articles.
    """

    category = models.ForeignKey(
        TicketCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="articles",
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("answer"))
    keywords = models.CharField(
        _("keywords"),
        max_length=300,
        blank=True,
        default="",
        help_text=_("Extra words people use for this matter, separated by spaces or commas."),
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hotline_articles",
        help_text=_("The department whose answer this is, if any."),
    )
    search_text = models.TextField(_("search text"), blank=True, default="", editable=False)
    active = models.BooleanField(_("published"), default=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("knowledge-base article")
        verbose_name_plural = _("knowledge-base articles")
        ordering = ["category__code", "title", "id"]

    def __str__(self) -> str:
        return self.title


class RoutingRule(models.Model):
    """An ordered dispatch rule (派单规则): the first active rule that matches names the department.

    A rule matches when every condition it sets holds: the ticket's category is the rule's
    category or below it, one of its keywords occurs in the description, the district is its
    district. A rule whose department is inactive is switched off (``active`` false, with the
    reason) and reported.
    """

    position = models.PositiveIntegerField(_("order"), help_text=_("Smaller first."))
    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(
        TicketCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="routing_rules",
    )
    keywords = models.CharField(
        _("keywords"),
        max_length=300,
        blank=True,
        default="",
        help_text=_("Any one of these words in the description (spaces or commas between)."),
    )
    district = models.CharField(_("district"), max_length=60, blank=True, default="")
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="hotline_routing_rules",
    )
    active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(
        _("why switched off"), max_length=200, blank=True, default=""
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class DispatchModel(models.Model):
    """A trained dispatch classifier (jieba + scikit-learn), written by ``xiaoneng hotline train``.

    ``payload`` is the pickled scikit-learn pipeline. Only the train command writes it, from
    the platform's own closed tickets, so unpickling it loads nothing from outside. The newest
    row is the model in use.
    """

    trained_at = models.DateTimeField(_("trained at"), default=timezone.now)
    payload = models.BinaryField(_("model"))
    train_size = models.PositiveIntegerField(_("tickets trained on"))
    test_size = models.PositiveIntegerField(_("tickets held out"))
    accuracy = models.FloatField(_("held-out accuracy"))
    top3_accuracy = models.FloatField(_("held-out top-3 accuracy"), default=0.0)
    labels = models.JSONField(_("departments"), default=list)

    class Meta:
        verbose_name = _("dispatch model")
        verbose_name_plural = _("dispatch models")
        ordering = ["-trained_at", "-id"]
        get_latest_by = "trained_at"

    def __str__(self) -> str:
        return f"{self.trained_at:%Y-%m-%d %H:%M} ({self.accuracy:.1%})"
