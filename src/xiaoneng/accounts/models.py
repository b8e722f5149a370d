"""People who use the platform and the departments they work in."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


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


class User(AbstractUser):
    """A person or institution that signs in; one role, and a department for staff."""

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

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_office(self) -> bool:
        return self.role in {Role.OFFICE, Role.ADMIN} or self.is_superuser
