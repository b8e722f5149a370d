"""People who use the platform and the departments they work in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.accounts import rules
from xiaoneng.core.errors import InvalidInput


class DepartmentLevel(models.TextChoices):
    """Administrative level of a department (行政层级)."""

    CITY = "city", _("City")  # 市级
    COUNTY = "county", _("County / district")  # 县（市、区）级
    TOWNSHIP = "township", _("Township / street")  # 乡镇（街道）级


class Department(models.Model):
    """A government department or public-service unit (部门), placed in the hierarchy."""

    code = models.CharField(
        _("code"), max_length=32, unique=True, help_text=_("Department code (部门编码).")
    )
    name = models.CharField(_("name"), max_length=200, help_text=_("Full name (部门名称)."))
    short_name = models.CharField(_("short name"), max_length=60, blank=True, default="")
    level = models.CharField(
        _("level"), max_length=10, choices=DepartmentLevel.choices, default=DepartmentLevel.CITY
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("The department or government one level up; empty for the city itself."),
    )
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        default="",
        help_text=_("统一社会信用代码 of the department, used as issuer code on e-licenses."),
    )
    is_service_unit = models.BooleanField(
        _("public-service unit"),
        default=False,
        help_text=_("A public-service unit (公共服务单位) rather than a government department."),
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_(
            "False once the department is merged away or dissolved: nothing new is routed to "
            "it (hotline routing rules pointing at it are switched off)."
        ),
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """What a user does on the platform; a user has exactly one role."""

    CITIZEN = "citizen", _("Applicant (person)")
    ENTERPRISE = "enterprise", _("Applicant (enterprise)")
    WINDOW = "window", _("Window officer")  # 窗口人员
    REVIEWER = "reviewer", _("Department reviewer")  # 审批人员
    HEAD = "head", _("Department head")  # 负责人
    OFFICE = "office", _("Efficiency office")  # 效能办
    ADMIN = "admin", _("Administrator")
    PARTNER = "partner", _("Partner institution")  # e.g. a bank, via the API


STAFF_ROLES = frozenset({Role.WINDOW, Role.REVIEWER, Role.HEAD})


# Roles whose accounts carry an identity number of their own kind (DOMAIN_RULES.md §10).
CREDIT_CODE_ROLES = frozenset({Role.ENTERPRISE, Role.PARTNER})


class UserManager(DjangoUserManager["User"]):
    """Django's user manager; ``createsuperuser`` makes an account with the admin role."""

    use_in_migrations = True

    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        # Without this a superuser would get the default role (citizen), which needs a resident
        # ID number, and could not be saved again from the admin.
        extra.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    """A person or institution that signs in; one role, and a department for staff.

    Applicants who are natural persons carry a resident ID number, enterprises a unified social
    credit code (partner institutions may); staff carry a department. :meth:`clean` enforces
    this and normalises the numbers (DOMAIN_RULES.md §10).
    """

    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.CITIZEN)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        help_text=_("Required for window officers, reviewers and heads."),
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True, default="")
    id_number = models.CharField(
        _("resident ID number"),
        max_length=18,
        blank=True,
        default="",
        help_text=_(
            "公民身份号码 (GB 11643) of an applicant who is a natural person; empty for other "
            "roles. Shown masked to roles that do not need it."
        ),
    )
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        default="",
        db_index=True,
        help_text=_(
            "统一社会信用代码 (GB 32100) of an enterprise or partner institution; empty for "
            "other roles. Several accounts may act for one enterprise."
        ),
    )
    phone = models.CharField(
        _("mobile number"),
        max_length=11,
        blank=True,
        default="",
        help_text=_("Mainland mobile number (11 digits) for notices by SMS."),
    )

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                condition=~Q(id_number=""),
                name="accounts_user_id_number_unique",
                violation_error_message=_("Another account already has this resident ID number."),
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_office(self) -> bool:
        return self.role in {Role.OFFICE, Role.ADMIN} or self.is_superuser

    @property
    def is_platform_admin(self) -> bool:
        """An administrator: the admin role or a Django superuser."""
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def identity_number(self) -> str:
        """The resident ID number or the credit code, whichever this account carries."""
        return self.id_number or self.credit_code

    def clean(self) -> None:
        """Normalise the numbers and check that the role has what it needs (DOMAIN_RULES §10).

        A citizen needs a valid resident ID number, an enterprise a valid credit code; only
        those roles (and partner institutions, for the credit code) may carry one. Window
        officers, reviewers and heads need a department.
        """
        super().clean()
        errors: dict[str, list[str]] = {}

        def check(field: str, validate: rules.Validator) -> None:
            value = getattr(self, field)
            if not value:
                return
            try:
                setattr(self, field, validate(value))
            except InvalidInput as exc:
                errors.setdefault(field, []).append(exc.message)

        check("id_number", rules.validate_resident_id)
        check("credit_code", rules.validate_credit_code)
        check("phone", rules.validate_mobile)
        if self.role == Role.CITIZEN and not self.id_number:
            errors.setdefault("id_number", []).append(
                str(_("An applicant who is a natural person needs a resident ID number."))
            )
        if self.role != Role.CITIZEN and self.id_number:
            errors.setdefault("id_number", []).append(
                str(_("A resident ID number is kept only for applicants who are natural persons."))
            )
        if self.role == Role.ENTERPRISE and not self.credit_code:
            errors.setdefault("credit_code", []).append(
                str(_("An enterprise applicant needs a unified social credit code."))
            )
        if self.role not in CREDIT_CODE_ROLES and self.credit_code:
            errors.setdefault("credit_code", []).append(
                str(
                    _(
                        "A unified social credit code is kept only for enterprises and "
                        "partner institutions."
                    )
                )
            )
        if self.role in STAFF_ROLES and self.department_id is None:
            errors.setdefault("department", []).append(
                str(_("Window officers, reviewers and department heads need a department."))
            )
        if errors:
            raise ValidationError(errors)


class ApiToken(models.Model):
    """A bearer token for the API (``Authorization: Bearer <token>``).

    Only the SHA-256 digest of the token is stored; the token itself is shown once, when it is
    issued. A token works until it expires or is revoked.
    """

    user = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text=_("The account the token acts for."),
    )
    name = models.CharField(
        _("name"),
        max_length=100,
        blank=True,
        default="",
        help_text=_("What the token is for, e.g. the client program."),
    )
    key_hash = models.CharField(
        _("key digest"),
        max_length=64,
        unique=True,
        help_text=_("SHA-256 of the token; the token itself is never stored."),
    )
    prefix = models.CharField(
        _("prefix"),
        max_length=12,
        help_text=_("The first characters of the token, to tell tokens apart."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    def state(self, now: dt.datetime | None = None) -> str:
        """``active``, ``expired`` or ``revoked``."""
        return rules.token_state(
            expires_at=self.expires_at, revoked_at=self.revoked_at, now=now or timezone.now()
        )


class LoginChannel(models.TextChoices):
    """Where a sign-in was attempted."""

    WEB = "web", _("Web sign-in")
    API = "api", _("API token")


class LoginFailure(models.Model):
    """One failed sign-in, kept in the database so every server process sees it.

    Too many failures for one user name, or from one address, lock further attempts for a
    while (see docs/accounts.md). Rows older than a day are pruned.
    """

    username = models.CharField(
        _("user name"),
        max_length=150,
        help_text=_("As typed, in lower case; the account may not exist."),
    )
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    channel = models.CharField(
        _("channel"), max_length=3, choices=LoginChannel.choices, default=LoginChannel.WEB
    )

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["username", "at"], name="accounts_failure_user_at"),
            models.Index(fields=["ip", "at"], name="accounts_failure_ip_at"),
            models.Index(fields=["at"], name="accounts_failure_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.ip or ''} {self.at:%Y-%m-%d %H:%M:%S}"
