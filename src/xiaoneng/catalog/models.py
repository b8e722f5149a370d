"""The service-matter catalog (政务服务事项实施清单), DOMAIN_RULES.md §3 and §4.

A :class:`Matter` is the stable identity of one entry of the implementation list (its
implementation code never changes). Everything else about it lives in a
:class:`MatterVersion`: a change never edits a version in place, it appends a new one with an
effective date (``services.matter_revise``), so a report can compare today's materials, steps
and limits with any earlier version (claim S10). Materials, fees and process steps belong to a
version.

Only single-row rules live here (``clean()``); rules that span rows (a commitment material needs
a matter that allows informed commitment, fees need the fee flag) are in ``rules.py`` and are
checked by the services.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# --- Code lists of DOMAIN_RULES.md §3 -------------------------------------------------------


class MatterType(models.TextChoices):
    """事项类型: the national code of the kind of administrative power or service."""

    LICENSING = "01", pgettext_lazy("matter type", "Licensing")  # 行政许可
    PENALTY = "02", pgettext_lazy("matter type", "Penalty")  # 行政处罚
    COERCION = "03", pgettext_lazy("matter type", "Coercion")  # 行政强制
    LEVY = "04", pgettext_lazy("matter type", "Levy")  # 行政征收
    PAYMENT = "05", pgettext_lazy("matter type", "Payment")  # 行政给付
    INSPECTION = "06", pgettext_lazy("matter type", "Inspection")  # 行政检查
    CONFIRMATION = "07", pgettext_lazy("matter type", "Confirmation")  # 行政确认
    REWARD = "08", pgettext_lazy("matter type", "Reward")  # 行政奖励
    ADJUDICATION = "09", pgettext_lazy("matter type", "Adjudication")  # 行政裁决
    OTHER_POWER = "10", pgettext_lazy("matter type", "Other administrative power")  # 其他行政权力
    PUBLIC_SERVICE = "20", pgettext_lazy("matter type", "Public service")  # 公共服务


class MatterKind(models.TextChoices):
    """办件类型: concluded on the spot (即办件, code 1) or within a promised limit (承诺件, 2).

    The national codes 1 and 2 are accepted on import.
    """

    INSTANT = "instant", _("Instant matter")  # 即办件
    PROMISED = "promised", _("Promised matter")  # 承诺件


class MatterStatus(models.TextChoices):
    """事项状态: whether the matter is still offered."""

    ACTIVE = "active", _("In use")  # 在用
    WITHDRAWN = "withdrawn", _("Withdrawn")  # 已取消 / 暂停


class ExerciseLevel(models.TextChoices):
    """行使层级: the level of government that exercises the power."""

    NATIONAL = "national", pgettext_lazy("exercise level", "National")  # 国家级
    PROVINCIAL = "provincial", pgettext_lazy("exercise level", "Provincial")  # 省级
    CITY = "city", pgettext_lazy("exercise level", "City")  # 市级
    COUNTY = "county", pgettext_lazy("exercise level", "County")  # 县级
    TOWNSHIP = "township", pgettext_lazy("exercise level", "Township")  # 镇（乡、街道）级
    GRADED = "graded", pgettext_lazy("exercise level", "Graded management")  # 分级管理


class PowerSource(models.TextChoices):
    """权力来源: where the implementing body's power comes from."""

    STATUTORY = "statutory", _("Statutory, own level")  # 法定本级行使
    DELEGATED = "delegated", _("Delegated by a higher level")  # 上级下放
    AUTHORIZED_BY_HIGHER = "authorized_by_higher", _("Authorized by a higher level")  # 上级授权
    AUTHORIZED_BY_PEER = "authorized_by_peer", _("Authorized at the same level")  # 同级授权
    ENTRUSTED_BY_HIGHER = "entrusted_by_higher", _("Entrusted by a higher level")  # 上级委托
    ENTRUSTED_BY_PEER = "entrusted_by_peer", _("Entrusted at the same level")  # 同级委托


class BodyType(models.TextChoices):
    """实施主体性质: the legal nature of the implementing body."""

    STATUTORY = "statutory", _("Statutory authority")  # 法定机关
    AUTHORIZED = "authorized", _("Organization authorized by law")  # 法律法规授权组织
    ENTRUSTED = "entrusted", _("Entrusted organization")  # 受委托组织


class ServiceObject(models.TextChoices):
    """服务对象: who may apply (a matter may serve several)."""

    NATURAL_PERSON = "natural_person", _("Natural person")  # 自然人
    ENTERPRISE = "enterprise", _("Enterprise legal person")  # 企业法人
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")  # 事业法人
    SOCIAL_ORGANIZATION = "social_organization", _("Social organization")  # 社会组织法人
    UNINCORPORATED = "unincorporated", _("Unincorporated enterprise")  # 非法人企业
    GOVERNMENT_AGENCY = "government_agency", _("Government agency")  # 行政机关
    OTHER = "other", _("Other organization")  # 其他组织


class HandlingForm(models.TextChoices):
    """办理形式 (national codes 1 窗口, 2 网上, 3 快递); a matter may offer several."""

    WINDOW = "window", pgettext_lazy("handling form", "At the window")  # 窗口办理
    ONLINE = "online", pgettext_lazy("handling form", "Online")  # 网上办理
    POST = "post", pgettext_lazy("handling form", "By post")  # 快递申请


class OnlineDepth(models.IntegerChoices):
    """网上办理深度: how far a matter can be handled online (multi-select, 1 to 7)."""

    CONSULTATION = 1, pgettext_lazy("online depth", "Online consultation")  # 在线咨询
    RECEIPT = 2, pgettext_lazy("online depth", "Online submission")  # 网上收件
    PRE_REVIEW = 3, pgettext_lazy("online depth", "Online pre-review")  # 网上预审
    ACCEPTANCE = 4, pgettext_lazy("online depth", "Online acceptance")  # 网上受理
    HANDLING = 5, pgettext_lazy("online depth", "Online handling")  # 网上办理
    RESULT_FEEDBACK = 6, pgettext_lazy("online depth", "Result notification")  # 办理结果信息反馈
    LICENSE_FEEDBACK = 7, pgettext_lazy("online depth", "E-license delivery")  # 电子证照反馈


class ServiceScope(models.TextChoices):
    """通办范围: where else the matter can be applied for."""

    NONE = "none", _("Only at the implementing body")  # 不通办
    COUNTY = "county", _("Anywhere in the county")  # 全县（区）通办
    CITY = "city", _("Anywhere in the city")  # 全市通办
    PROVINCE = "province", _("Anywhere in the province")  # 全省通办
    CROSS_PROVINCE = "cross_province", _("Across provinces")  # 跨省通办
    NATIONAL = "national", _("Anywhere in the country")  # 全国通办


class ResultType(models.TextChoices):
    """审批结果类型: what the applicant receives."""

    LICENSE = "license", _("Licence or certificate")  # 证照
    DOCUMENT = "document", _("Approval document")  # 批文
    OTHER = "other", _("Other result")  # 其他


class Necessity(models.TextChoices):
    """材料必要性: whether every applicant, or only some, must supply a material."""

    REQUIRED = "required", pgettext_lazy("material necessity", "Required")  # 必要
    OPTIONAL = "optional", pgettext_lazy("material necessity", "Optional")  # 非必要
    CONDITIONAL = (
        "conditional",
        pgettext_lazy("material necessity", "Required in some cases"),
    )  # 容缺 / 特定情形下必要


class MaterialForm(models.TextChoices):
    """材料形式: paper, electronic, or both."""

    PAPER = "paper", pgettext_lazy("material form", "Paper")  # 纸质
    ELECTRONIC = "electronic", pgettext_lazy("material form", "Electronic")  # 电子
    BOTH = "both", pgettext_lazy("material form", "Paper and electronic")  # 纸质 + 电子


class MaterialSource(models.TextChoices):
    """来源渠道: who produces the material."""

    APPLICANT = "applicant", pgettext_lazy("material source", "Applicant")  # 申请人自备
    GOVERNMENT = (
        "government",
        pgettext_lazy("material source", "Issued by a government department"),
    )  # 政府部门核发
    INTERMEDIARY = (
        "intermediary",
        pgettext_lazy("material source", "Intermediary or statutory body"),
    )  # 中介机构或法定机构产生
    OTHER = "other", pgettext_lazy("material source", "Other")  # 其他


class TrustLevel(models.TextChoices):
    """Trust level of a material (国办函〔2016〕108号), DOMAIN_RULES.md §3."""

    A = "A", _("A: issued by a government body, usable directly")
    B = "B", _("B: checked by a window officer, reusable")
    C = "C", _("C: uploaded by the applicant, original to be checked")
    D = "D", _("D: made by the applicant under a written promise")


class Replacement(models.TextChoices):
    """How a certificate (证明) is replaced in the no-certificate city, DOMAIN_RULES.md §4.

    ``none`` means the material is still supplied by the applicant.
    """

    NONE = "none", _("Still supplied by the applicant")  # 仍需提交
    CANCELLED = "cancelled", _("Cancelled outright")  # 直接取消
    DATA_SHARING = "data_sharing", _("Checked through data sharing")  # 数据共享核验
    E_LICENSE = "e_license", _("Replaced by an e-license")  # 电子证照替代
    VERIFICATION = "verification", _("Verified by the department")  # 部门核验
    COMMITMENT = "commitment", _("Replaced by informed commitment")  # 告知承诺


# Article 42 of the Administrative Licensing Law: a decision may be extended by 10 working days.
DEFAULT_EXTENSION_DAYS = 10

CATALOG_CODE_RE = r"^[0-9A-Za-z]{12}$"


# --- The matter and its versions ------------------------------------------------------------


class Matter(models.Model):
    """One service matter (政务服务事项): the stable identity its versions hang from.

    ``current_version`` is the version in force today; ``latest_version`` is the newest one,
    which may be scheduled for a later date. Both pointers are moved only by the services.
    """

    code = models.CharField(
        _("implementation code"),
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(
                r"^[0-9A-Za-z][0-9A-Za-z_.-]*$",
                _("Expected letters, digits, '.', '_' or '-' (no spaces)."),
            )
        ],
        help_text=_(
            "Implementation code (实施编码): identifies this matter at this implementing body; "
            "never changes."
        ),
    )
    catalog_code = models.CharField(
        _("catalog code"),
        max_length=12,
        db_index=True,
        validators=[RegexValidator(CATALOG_CODE_RE, _("Expected 12 letters or digits."))],
        help_text=_(
            "Basic code (基本编码) of the national catalog entry, 12 characters; the same basic "
            "code is implemented by many bodies."
        ),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MatterStatus.choices,
        default=MatterStatus.ACTIVE,
        db_index=True,
        help_text=_(
            "Matter status (事项状态): withdrawn matters keep their history but are not offered."
        ),
    )
    current_version = models.ForeignKey(
        "MatterVersion",
        verbose_name=_("current version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "The version in force today (现行版本); empty until the first version takes effect."
        ),
    )
    latest_version = models.ForeignKey(
        "MatterVersion",
        verbose_name=_("latest version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The newest version (最新版本), possibly scheduled to take effect later."),
    )
    created_at = models.DateTimeField(
        _("created at"), auto_now_add=True, help_text=_("When the matter entered the catalog.")
    )

    class Meta:
        verbose_name = _("service matter")
        verbose_name_plural = _("service matters")
        ordering = ["code"]

    def __str__(self) -> str:
        version = self.current_version or self.latest_version
        return f"{self.code} {version.name}" if version else self.code


class MatterVersion(models.Model):
    """One version of a matter's implementation-list entry (事项版本), never edited in place.

    Time limits are working days (行政许可法 Art. 82, DOMAIN_RULES.md §1).
    """

    matter = models.ForeignKey(
        Matter,
        verbose_name=_("matter"),
        on_delete=models.CASCADE,
        related_name="versions",
        help_text=_("The matter this is a version of."),
    )
    number = models.PositiveIntegerField(
        _("version number"), help_text=_("Version number (事项版本号), 1 for the first, then 2, 3…")
    )
    effective_from = models.DateField(
        _("effective from"),
        help_text=_(
            "The day this version takes effect (生效日期); it stays in force until the next one."
        ),
    )
    change_note = models.TextField(
        _("change note"), blank=True, default="", help_text=_("What changed and why (变更说明).")
    )
    created_at = models.DateTimeField(
        _("recorded at"), auto_now_add=True, help_text=_("When this version was recorded.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who recorded this version; empty for imports run by the system."),
    )

    # Basic information (基本信息)
    name = models.CharField(
        _("name"), max_length=200, help_text=_("Matter name (事项名称) as published.")
    )
    business_item_code = models.CharField(
        _("business item code"),
        max_length=64,
        blank=True,
        default="",
        help_text=_(
            "Business handling item code (业务办理项编码), if the matter is split into items."
        ),
    )
    matter_type = models.CharField(
        _("matter type"),
        max_length=2,
        choices=MatterType.choices,
        help_text=_("Matter type (事项类型): 01 licensing … 10 other power, 20 public service."),
    )
    level = models.CharField(
        _("exercise level"),
        max_length=12,
        choices=ExerciseLevel.choices,
        default=ExerciseLevel.CITY,
        help_text=_("Exercise level (行使层级)."),
    )
    power_source = models.CharField(
        _("source of power"),
        max_length=24,
        choices=PowerSource.choices,
        default=PowerSource.STATUTORY,
        help_text=_("Source of power (权力来源)."),
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("implementing department"),
        on_delete=models.PROTECT,
        related_name="matter_versions",
        help_text=_("Implementing body (实施主体): the department that handles and decides."),
    )
    body_type = models.CharField(
        _("nature of the implementing body"),
        max_length=12,
        choices=BodyType.choices,
        default=BodyType.STATUTORY,
        help_text=_("Nature of the implementing body (实施主体性质)."),
    )
    entrusted_department = models.CharField(
        _("entrusting department"),
        max_length=200,
        blank=True,
        default="",
        help_text=_(
            "Entrusting department (委托部门), when the power is exercised on entrustment."
        ),
    )
    service_objects = models.JSONField(
        _("service objects"),
        default=list,
        blank=True,  # emptiness is judged by clean(), with a clearer message
        help_text=_(
            "Service objects (服务对象): list of codes such as natural_person, enterprise."
        ),
    )
    legal_basis = models.TextField(
        _("legal basis"), blank=True, default="", help_text=_("Legal basis (设定依据).")
    )
    acceptance_conditions = models.TextField(
        _("acceptance conditions"),
        blank=True,
        default="",
        help_text=_("Acceptance conditions (受理条件)."),
    )

    # Time limits (时限), in working days
    legal_limit_days = models.PositiveSmallIntegerField(
        _("legal limit (working days)"),
        null=True,
        blank=True,
        help_text=_(
            "Statutory time limit (法定办结时限) in working days; empty if the law sets none."
        ),
    )
    legal_limit_note = models.CharField(
        _("legal limit note"),
        max_length=500,
        blank=True,
        default="",
        help_text=_("Note on the statutory limit (法定时限说明)."),
    )
    promised_limit_days = models.PositiveSmallIntegerField(
        _("promised limit (working days)"),
        help_text=_("Promised time limit (承诺办结时限) in working days; 0 for instant matters."),
    )
    promised_limit_note = models.CharField(
        _("promised limit note"),
        max_length=500,
        blank=True,
        default="",
        help_text=_("Note on the promised limit (承诺时限说明)."),
    )
    extension_days = models.PositiveSmallIntegerField(
        _("extension allowance (working days)"),
        default=DEFAULT_EXTENSION_DAYS,
        validators=[MaxValueValidator(60)],
        help_text=_(
            "Most working days a decision may be extended (延期), with the head's approval; "
            "Art. 42 of the Administrative Licensing Law allows 10."
        ),
    )

    # Handling (办理)
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=MatterKind.choices,
        help_text=_("Handling kind (办件类型): instant (即办件) or promised (承诺件)."),
    )
    handling_forms = models.JSONField(
        _("handling forms"),
        default=list,
        blank=True,  # emptiness is judged by clean(), with a clearer message
        help_text=_("Handling forms (办理形式): list of window, online, post."),
    )
    visits = models.PositiveSmallIntegerField(
        _("on-site visits"),
        help_text=_(
            "On-site visits (到办事现场次数): 0 = no visit (不见面), 1 = at most one visit "
            "(最多跑一次), 2 or more."
        ),
    )
    handling_location = models.CharField(
        _("where to apply"), max_length=500, blank=True, default="", help_text=_("办理地点.")
    )
    handling_hours = models.CharField(
        _("opening hours"), max_length=500, blank=True, default="", help_text=_("办理时间.")
    )
    consultation = models.CharField(
        _("enquiries"), max_length=500, blank=True, default="", help_text=_("咨询方式.")
    )
    complaint_channel = models.CharField(
        _("complaints"), max_length=500, blank=True, default="", help_text=_("监督投诉方式.")
    )
    in_hall = models.BooleanField(
        _("in the service hall"),
        default=True,
        help_text=_("Handled at the comprehensive service hall (一门办理, 进驻大厅)."),
    )
    special_procedures = models.TextField(
        _("special procedures"),
        blank=True,
        default="",
        help_text=_(
            "Special procedures (特别程序) such as hearing, inspection or expert review, "
            "whose time is not counted (Art. 45)."
        ),
    )
    allows_commitment = models.BooleanField(
        _("informed commitment allowed"),
        default=False,
        help_text=_(
            "Whether certificates may be replaced by the applicant's written promise (告知承诺制, "
            "国办发〔2020〕42号)."
        ),
    )

    # Online and extensions (拓展信息)
    online = models.BooleanField(
        _("online"), default=False, help_text=_("Can be applied for online (是否网办).")
    )
    online_depth = models.JSONField(
        _("online depth"),
        default=list,
        blank=True,  # emptiness is judged by clean(), with a clearer message
        help_text=_("Online handling depth (网上办理深度): list of 1 to 7."),
    )
    online_url = models.CharField(
        _("online address"), max_length=500, blank=True, default="", help_text=_("网办地址.")
    )
    express_delivery = models.BooleanField(
        _("express delivery"),
        default=False,
        help_text=_("Results can be delivered by express post (是否支持物流快递)."),
    )
    online_payment = models.BooleanField(
        _("online payment"),
        default=False,
        help_text=_("Fees can be paid online (是否支持网上支付)."),
    )
    appointment = models.BooleanField(
        _("appointments"),
        default=False,
        help_text=_("Appointments can be booked (是否支持预约办理)."),
    )
    service_scope = models.CharField(
        _("where else it can be applied for"),
        max_length=16,
        choices=ServiceScope.choices,
        default=ServiceScope.NONE,
        help_text=_("通办范围."),
    )
    intermediary_services = models.TextField(
        _("intermediary services"), blank=True, default="", help_text=_("中介服务.")
    )
    joint_agencies = models.CharField(
        _("joint agencies"), max_length=500, blank=True, default="", help_text=_("联办机构.")
    )

    # Fees (收费)
    charges_fee = models.BooleanField(
        _("charges a fee"), default=False, help_text=_("Whether a fee is charged (是否收费).")
    )
    fee_basis = models.TextField(
        _("fee basis"), blank=True, default="", help_text=_("Legal basis of the fee (收费依据).")
    )

    # Result (审批结果)
    result_name = models.CharField(
        _("result name"), max_length=200, blank=True, default="", help_text=_("审批结果名称.")
    )
    result_type = models.CharField(
        _("result type"),
        max_length=10,
        choices=ResultType.choices,
        default=ResultType.OTHER,
        help_text=_("审批结果类型."),
    )
    result_sample = models.CharField(
        _("result sample"),
        max_length=500,
        blank=True,
        default="",
        help_text=_("审批结果样本: file name or address of a sample."),
    )

    class Meta:
        verbose_name = _("matter version")
        verbose_name_plural = _("matter versions")
        ordering = ["matter_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["matter", "number"], name="catalog_version_unique"),
        ]
        indexes = [
            models.Index(fields=["matter", "effective_from"], name="catalog_ver_matter_eff"),
            # The API and the pages filter on these.
            models.Index(fields=["matter_type"], name="catalog_ver_type"),
            models.Index(fields=["online"], name="catalog_ver_online"),
            models.Index(fields=["visits"], name="catalog_ver_visits"),
            models.Index(fields=["kind"], name="catalog_ver_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"

    def clean(self) -> None:
        """Single-row rules of DOMAIN_RULES.md §2–§3; each message says what was expected."""
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if (
            self.legal_limit_days is not None
            and self.promised_limit_days is not None
            and self.promised_limit_days > self.legal_limit_days
        ):
            add(
                "promised_limit_days",
                str(
                    _(
                        "The promised limit may not exceed the legal limit: expected at most "
                        "%(legal)s working days, got %(promised)s."
                    )
                    % {"legal": self.legal_limit_days, "promised": self.promised_limit_days}
                ),
            )
        # 即办件 are concluded on the day of acceptance (DOMAIN_RULES.md §2).
        if self.kind == MatterKind.INSTANT and self.promised_limit_days not in (None, 0):
            add(
                "promised_limit_days",
                str(
                    _("An instant matter is concluded on the spot: expected 0 days, got %(days)s.")
                    % {"days": self.promised_limit_days}
                ),
            )
        if self.kind == MatterKind.PROMISED and self.promised_limit_days == 0:
            add(
                "promised_limit_days",
                str(
                    _("A promised matter needs a promised limit of at least 1 working day, got 0.")
                ),
            )
        for field, choices in (
            ("service_objects", ServiceObject),
            ("handling_forms", HandlingForm),
        ):
            value = getattr(self, field)
            problem = _list_problem(value, [str(v) for v in choices.values], allow_empty=False)
            if problem:
                add(field, problem)
        depth_problem = _list_problem(
            self.online_depth, [int(v) for v in OnlineDepth.values], allow_empty=True
        )
        if depth_problem:
            add("online_depth", depth_problem)
        if self.online:
            if (
                isinstance(self.handling_forms, list)
                and HandlingForm.ONLINE not in self.handling_forms
            ):
                add(
                    "handling_forms",
                    str(_("An online matter must list 'online' among its handling forms.")),
                )
            if not self.online_depth:
                add(
                    "online_depth",
                    str(_("An online matter needs its online depth (at least one of 1 to 7).")),
                )
        # 不见面: a matter with no visit must be reachable online or by post.
        if (
            self.visits == 0
            and not self.online
            and isinstance(self.handling_forms, list)
            and HandlingForm.POST not in self.handling_forms
        ):
            add(
                "visits",
                str(_("A matter with no visit (0) must be online or offer handling by post.")),
            )
        if errors:
            raise ValidationError(errors)


def _list_problem(value: object, allowed: list, *, allow_empty: bool) -> str | None:
    """Why a multi-select value is not a list of distinct allowed codes, or ``None``."""
    if not isinstance(value, list):
        return str(_("Expected a list, got %(value)r.") % {"value": value})
    if not value and not allow_empty:
        return str(_("Expected at least one value."))
    unknown = [v for v in value if v not in allowed]
    if unknown:
        return str(
            _("Expected values from %(allowed)s, got %(unknown)s.")
            % {
                "allowed": ", ".join(str(a) for a in allowed),
                "unknown": ", ".join(repr(u) for u in unknown),
            }
        )
    if len(set(value)) != len(value):
        return str(_("Expected each value once, got %(value)s.") % {"value": value})
    return None


class Material(models.Model):
    """One application material (申请材料) of a matter version.

    A material may be a certificate (证明, ``is_certificate``) that the no-certificate city
    (DOMAIN_RULES.md §4) replaced: cancelled outright, checked through data sharing, replaced by
    an e-license, verified by the department, or replaced by informed commitment. A replaced
    material stays listed so that the public page can say what is no longer needed and why.
    """

    version = models.ForeignKey(
        MatterVersion,
        verbose_name=_("matter version"),
        on_delete=models.CASCADE,
        related_name="materials",
        help_text=_("The matter version that lists this material."),
    )
    order = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Position in the list of materials, from 0.")
    )
    name = models.CharField(_("name"), max_length=300, help_text=_("Material name (材料名称)."))
    necessity = models.CharField(
        _("necessity"),
        max_length=12,
        choices=Necessity.choices,
        default=Necessity.REQUIRED,
        help_text=_("Material necessity (材料必要性)."),
    )
    condition = models.CharField(
        _("when needed"),
        max_length=500,
        blank=True,
        default="",
        help_text=_("The case in which a conditional material is needed (适用情形)."),
    )
    form = models.CharField(
        _("form"),
        max_length=10,
        choices=MaterialForm.choices,
        default=MaterialForm.BOTH,
        help_text=_("Material form (材料形式)."),
    )
    source = models.CharField(
        _("source"),
        max_length=12,
        choices=MaterialSource.choices,
        default=MaterialSource.APPLICANT,
        help_text=_("Source channel (来源渠道)."),
    )
    paper_copies = models.PositiveSmallIntegerField(
        _("paper copies"), default=1, help_text=_("Number of paper copies (纸质材料份数).")
    )
    paper_spec = models.CharField(
        _("paper specification"),
        max_length=200,
        blank=True,
        default="",
        help_text=_("Paper specification (纸质材料规格), e.g. A4, original or copy."),
    )
    blank_form = models.CharField(
        _("blank form"),
        max_length=500,
        blank=True,
        default="",
        help_text=_("Blank form (空白表格): file name or address."),
    )
    sample = models.CharField(
        _("filled-in sample"),
        max_length=500,
        blank=True,
        default="",
        help_text=_("Filled-in sample (示例样表): file name or address."),
    )
    acceptance_standard = models.TextField(
        _("acceptance standard"), blank=True, default="", help_text=_("受理标准.")
    )
    basis = models.TextField(
        _("basis"), blank=True, default="", help_text=_("Legal basis of the material (依据).")
    )
    trust_level = models.CharField(
        _("trust level"),
        max_length=1,
        choices=TrustLevel.choices,
        default=TrustLevel.C,
        help_text=_("Trust level A to D (可信等级, 国办函〔2016〕108号)."),
    )
    is_certificate = models.BooleanField(
        _("certificate"),
        default=False,
        help_text=_("A certificate (证明材料) proving a fact, as opposed to a form or a licence."),
    )
    replacement = models.CharField(
        _("replacement"),
        max_length=14,
        choices=Replacement.choices,
        default=Replacement.NONE,
        db_index=True,
        help_text=_(
            "How the certificate is replaced (替代方式, 无证明城市); 'none' if still supplied."
        ),
    )
    cancelled_on = models.DateField(
        _("no longer asked since"),
        null=True,
        blank=True,
        help_text=_(
            "Since when applicants no longer supply it (取消日期); required with a replacement."
        ),
    )
    replacement_basis = models.TextField(
        _("basis of the replacement"),
        blank=True,
        default="",
        help_text=_("The decision or reason for the replacement (取消依据), e.g. a list notice."),
    )
    license_type = models.CharField(
        _("e-license type"),
        max_length=200,
        blank=True,
        default="",
        help_text=_(
            "For e-license replacement: the e-license type (电子证照类型名称) attached instead."
        ),
    )

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["version_id", "order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_replaced(self) -> bool:
        """Whether the applicant no longer supplies this material."""
        return self.replacement != Replacement.NONE

    def clean(self) -> None:
        """A replacement needs its date and basis; an e-license replacement needs its type."""
        errors: dict[str, str] = {}
        if self.replacement != Replacement.NONE:
            if self.cancelled_on is None:
                errors["cancelled_on"] = str(
                    _("A replaced material needs the date since which it is no longer asked for.")
                )
            if not self.replacement_basis.strip():
                errors["replacement_basis"] = str(
                    _("A replaced material needs the decision or reason for the replacement.")
                )
        elif self.cancelled_on is not None:
            errors["cancelled_on"] = str(
                _("Expected no date for a material that is still supplied (replacement 'none').")
            )
        if self.replacement == Replacement.E_LICENSE and not self.license_type.strip():
            errors["license_type"] = str(
                _("An e-license replacement needs the type of e-license that is attached.")
            )
        if self.necessity == Necessity.CONDITIONAL and not self.condition.strip():
            errors["condition"] = str(
                _("A conditional material needs the case in which it is needed.")
            )
        if errors:
            raise ValidationError(errors)


class Fee(models.Model):
    """One fee item (收费项目) of a matter version."""

    version = models.ForeignKey(
        MatterVersion,
        verbose_name=_("matter version"),
        on_delete=models.CASCADE,
        related_name="fees",
        help_text=_("The matter version that charges this fee."),
    )
    order = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Position in the list of fees, from 0.")
    )
    item = models.CharField(_("fee item"), max_length=300, help_text=_("收费项目名称."))
    standard = models.CharField(
        _("standard"), max_length=500, help_text=_("收费标准, e.g. 80 yuan per certificate.")
    )
    basis = models.TextField(_("basis"), blank=True, default="", help_text=_("收费依据."))
    reducible = models.BooleanField(
        _("may be reduced or waived"), default=False, help_text=_("是否允许减免.")
    )

    class Meta:
        verbose_name = _("fee")
        verbose_name_plural = _("fees")
        ordering = ["version_id", "order", "id"]

    def __str__(self) -> str:
        return self.item


class ProcessStep(models.Model):
    """One step of the handling process (办理流程) of a matter version, in order.

    Versions are compared by their number of steps (claim S10: steps −10 %).
    """

    version = models.ForeignKey(
        MatterVersion,
        verbose_name=_("matter version"),
        on_delete=models.CASCADE,
        related_name="steps",
        help_text=_("The matter version this step belongs to."),
    )
    order = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Position in the process, from 0.")
    )
    name = models.CharField(
        _("name"), max_length=200, help_text=_("Step name (环节名称), e.g. 受理.")
    )
    description = models.TextField(
        _("description"), blank=True, default="", help_text=_("What happens (办理内容 / 审查标准).")
    )
    limit_days = models.PositiveSmallIntegerField(
        _("limit (working days)"),
        null=True,
        blank=True,
        help_text=_("Working days this step may take (环节时限), if set."),
    )

    class Meta:
        verbose_name = _("process step")
        verbose_name_plural = _("process steps")
        ordering = ["version_id", "order", "id"]

    def __str__(self) -> str:
        return self.name
