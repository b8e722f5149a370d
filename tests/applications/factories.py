"""Factories for application tests: people in their roles, matters, files, applications.

Matters come from ``tests.catalog.factories.MatterFactory`` (through the catalog services);
applications only through the application services, so every factory-made application has
its events, audit events and clocks like a real one::

    dept = DepartmentFactory()
    citizen, window, reviewer, head = people(dept)
    matter = promised_matter(dept)                        # 20-day legal, 20-day promised
    application = submit(citizen, matter)                 # status submitted, files uploaded
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import factory
from stdnum.cn import ric, uscc

from tests.catalog.factories import DepartmentFactory, MaterialDataFactory, MatterFactory
from xiaoneng.accounts.models import Department, Role, User
from xiaoneng.applications import services
from xiaoneng.applications.models import Application
from xiaoneng.applications.selectors import application_missing
from xiaoneng.catalog.models import Matter

__all__ = [
    "DepartmentFactory",
    "MaterialDataFactory",
    "MatterFactory",
    "UserFactory",
    "instant_matter",
    "jpeg_bytes",
    "ofd_bytes",
    "pdf_bytes",
    "people",
    "png_bytes",
    "promised_matter",
    "submit",
    "upload_all",
]


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A user; pass ``role`` and, for staff, ``department``."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.CITIZEN
    display_name = factory.Sequence(lambda n: f"测试用户{n}")
    id_number = factory.LazyAttributeSequence(
        lambda o, n: resident_id(n) if o.role == Role.CITIZEN else ""
    )
    credit_code = factory.LazyAttributeSequence(
        lambda o, n: credit_code(n) if o.role in {Role.ENTERPRISE, Role.PARTNER} else ""
    )


def resident_id(n: int) -> str:
    """A valid resident ID number (GB 11643), different for each ``n`` below 1000 × 28."""
    first17 = f"130102{1980 + n // 1000 % 30}0101{n % 1000:03d}"
    return first17 + ric.calc_check_digit(first17)


def credit_code(n: int) -> str:
    """A valid unified social credit code (GB 32100), different for each ``n``."""
    first17 = f"91130100MA{n:07d}"
    return first17 + uscc.calc_check_digit(first17)


def people(department: Department) -> tuple[User, User, User, User]:
    """A citizen, and a window officer, a reviewer and a head of ``department``."""
    return (
        UserFactory(role=Role.CITIZEN, display_name="张三"),
        UserFactory(role=Role.WINDOW, department=department),
        UserFactory(role=Role.REVIEWER, department=department),
        UserFactory(role=Role.HEAD, department=department),
    )


def promised_matter(department: Department, **kwargs: Any) -> Matter:
    """A promised matter (承诺件) of ``department``: legal 20, promised 20, allowance 10."""
    defaults: dict[str, Any] = {
        "department": department,
        "legal_limit_days": 20,
        "promised_limit_days": 20,
        "materials": [MaterialDataFactory(name="申请表"), MaterialDataFactory(name="身份证明")],
        "result_name": "测试许可证",
    }
    defaults.update(kwargs)
    return MatterFactory(**defaults)


def instant_matter(department: Department, **kwargs: Any) -> Matter:
    """An instant matter (即办件) of ``department``, concluded on the day of acceptance."""
    defaults: dict[str, Any] = {
        "department": department,
        "kind": "instant",
        "legal_limit_days": 20,
        "promised_limit_days": 0,
        "materials": [MaterialDataFactory(name="申请表")],
        "result_name": "即办证明",
    }
    defaults.update(kwargs)
    return MatterFactory(**defaults)


def pdf_bytes(extra: bytes = b"") -> bytes:
    """A minimal PDF document."""
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n" + extra + b"%%EOF\n"


def png_bytes() -> bytes:
    """A PNG signature and an IHDR chunk: enough for a type check."""
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17


def jpeg_bytes() -> bytes:
    """A JPEG start-of-image and APP0 marker."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"


def ofd_bytes() -> bytes:
    """An OFD container (GB/T 33190): a ZIP with OFD.xml at its root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("OFD.xml", "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
        archive.writestr("Doc_0/Document.xml", "<ofd:Document/>")
    return buffer.getvalue()


def upload_all(actor: User, application: Application) -> None:
    """Upload a PDF for every material of the version the applicant must still supply."""
    for requirement in application_missing(application):
        services.application_upload_material(
            actor=actor,
            application=application,
            file=io.BytesIO(pdf_bytes()),
            name=f"{requirement.name}.pdf",
            material=requirement.material_id,
        )


def submit(applicant: User, matter: Matter, *, complete: bool = True, **kwargs: Any) -> Application:
    """Submit through the service; with ``complete`` upload every needed material too."""
    application = services.application_submit(
        actor=applicant, matter=matter, form=kwargs.pop("form", {"事由": "测试"}), **kwargs
    )
    if complete:
        upload_all(applicant, application)
        application.refresh_from_db()
    return application
