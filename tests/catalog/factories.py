"""Factories for departments and catalog matters, reusable by every room's tests.

Matters are made through ``catalog.services.matter_create`` (never by saving models), so a
factory-made matter obeys every catalog rule and has its version pointers and audit event.

Examples::

    matter = MatterFactory()                                   # a promised, online matter
    matter = MatterFactory(kind="instant", promised_limit_days=0, visits=0)
    matter = MatterFactory(materials=[MaterialDataFactory(), CertificateDataFactory()])
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from xiaoneng.accounts.models import Department, DepartmentLevel
from xiaoneng.catalog.models import Matter
from xiaoneng.catalog.services import matter_create


class DepartmentFactory(factory.django.DjangoModelFactory):
    """A city-level department with a unique code."""

    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"测试市第{n}局")
    level = DepartmentLevel.CITY


class MaterialDataFactory(factory.DictFactory):
    """The content of one ordinary material the applicant still supplies."""

    name = factory.Sequence(lambda n: f"申请材料{n}")
    necessity = "required"
    form = "both"
    source = "applicant"
    paper_copies = 1
    trust_level = "C"
    is_certificate = False
    replacement = "none"


class CertificateDataFactory(MaterialDataFactory):
    """A certificate (证明) cancelled outright by the no-certificate city (DOMAIN_RULES.md §4)."""

    name = factory.Sequence(lambda n: f"无犯罪记录证明{n}")
    source = "government"
    trust_level = "A"
    is_certificate = True
    replacement = "cancelled"
    cancelled_on = dt.date(2019, 6, 1)
    replacement_basis = "市政府关于取消证明事项的决定（第一批）"


class FeeDataFactory(factory.DictFactory):
    """The content of one fee item."""

    item = factory.Sequence(lambda n: f"工本费{n}")
    standard = "每证 10 元"
    basis = "价格主管部门批复"
    reducible = False


class StepDataFactory(factory.DictFactory):
    """The content of one process step."""

    name = factory.Iterator(["受理", "审查", "决定", "送达"])
    description = ""
    limit_days = None


def default_steps() -> list[dict[str, Any]]:
    return [
        {"name": "受理", "description": "窗口受理", "limit_days": 1},
        {"name": "审查", "description": "", "limit_days": 2},
        {"name": "决定", "description": "", "limit_days": 1},
        {"name": "送达", "description": "", "limit_days": 1},
    ]


class MatterFactory(factory.Factory):
    """A valid matter with one version: promised, online, at most one visit, two materials."""

    class Meta:
        model = Matter

    code = factory.Sequence(lambda n: f"13010000TEST{n:06d}")
    catalog_code = factory.Sequence(lambda n: f"{n:012d}")
    effective_from = dt.date(2019, 1, 1)
    note = ""
    actor = None
    status = "active"

    name = factory.Sequence(lambda n: f"测试事项{n}")
    matter_type = "01"
    department = factory.SubFactory(DepartmentFactory)
    service_objects = factory.LazyFunction(lambda: ["natural_person", "enterprise"])
    legal_basis = "《中华人民共和国行政许可法》"
    legal_limit_days = 20
    promised_limit_days = 5
    kind = "promised"
    handling_forms = factory.LazyFunction(lambda: ["window", "online"])
    visits = 1
    online = True
    online_depth = factory.LazyFunction(lambda: [1, 2, 3, 4])
    materials = factory.List([factory.SubFactory(MaterialDataFactory) for _ in range(2)])
    fees = factory.LazyFunction(list)
    steps = factory.LazyFunction(default_steps)

    @classmethod
    def _create(cls, model_class: type[Matter], *args: Any, **kwargs: Any) -> Matter:
        identity = {k: kwargs.pop(k) for k in ("code", "catalog_code", "effective_from", "note")}
        return matter_create(
            actor=kwargs.pop("actor"), status=kwargs.pop("status"), data=kwargs, **identity
        )

    @classmethod
    def _build(cls, model_class: type[Matter], *args: Any, **kwargs: Any) -> Matter:
        raise NotImplementedError("Matters exist only through matter_create; use create().")
