"""Catalog services: creating matters, appending versions, effective dates, rules, audit events."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.catalog.factories import (
    CertificateDataFactory,
    DepartmentFactory,
    FeeDataFactory,
    MaterialDataFactory,
    MatterFactory,
)
from xiaoneng.catalog import selectors
from xiaoneng.catalog.models import Matter, MatterVersion
from xiaoneng.catalog.services import (
    matter_create,
    matter_revise,
    matter_set_status,
    matter_versions_activate,
)
from xiaoneng.core.errors import InvalidInput
from xiaoneng.core.models import AuditEvent
from xiaoneng.core.selectors import audit_events_for

pytestmark = pytest.mark.django_db

D2019 = dt.date(2019, 1, 1)
D2020 = dt.date(2020, 1, 1)


def _data(**overrides):
    data = {
        "name": "建筑工程施工许可证核发",
        "matter_type": "01",
        "department": DepartmentFactory(),
        "kind": "promised",
        "legal_limit_days": 20,
        "promised_limit_days": 5,
        "visits": 1,
        "service_objects": ["enterprise"],
        "handling_forms": ["window"],
    }
    data.update(overrides)
    return data


def test_create_records_version_one_and_its_audit_event():
    """A new matter gets version 1 in force, both pointers set, and a matter_create event."""
    matter = matter_create(
        actor=None, code="M1", catalog_code="000101001000", data=_data(), effective_from=D2019
    )
    assert matter.current_version == matter.latest_version
    assert matter.current_version is not None and matter.current_version.number == 1
    assert [e.action for e in audit_events_for(matter)] == ["catalog.matter_create"]


def test_create_accepts_a_department_code():
    """The implementing department may be given by its code."""
    department = DepartmentFactory(code="130100-ZJ")
    matter = matter_create(
        actor=None,
        code="M1",
        catalog_code="000101001000",
        data=_data(department="130100-ZJ"),
        effective_from=D2019,
    )
    assert matter.current_version.department == department  # type: ignore[union-attr]


def test_create_reports_every_missing_field_and_saves_nothing():
    """Missing required fields are each named, and no matter is left behind."""
    with pytest.raises(InvalidInput) as caught:
        matter_create(actor=None, code="M1", catalog_code="BAD", data={}, effective_from=D2019)
    errors = caught.value.details["errors"]
    for key in ("name", "matter_type", "department", "kind", "promised_limit_days", "visits"):
        assert key in errors
    assert "catalog_code" in errors
    assert not Matter.objects.exists()


def test_create_refuses_a_duplicate_code():
    """An implementation code is unique; a second matter with it is refused with a clear message."""
    MatterFactory(code="M1")
    with pytest.raises(InvalidInput, match="M1 already exists"):
        MatterFactory(code="M1")


def test_create_refuses_an_unknown_field():
    """A misspelt field name is refused rather than silently dropped."""
    with pytest.raises(InvalidInput) as caught:
        matter_create(
            actor=None,
            code="M1",
            catalog_code="000101001000",
            data=_data(visit=0),
            effective_from=D2019,
        )
    assert "visit" in caught.value.details["errors"]


def test_revise_appends_a_version_and_keeps_history():
    """A revision is version 2 from its date; version 1 is unchanged and still in force before."""
    matter = MatterFactory(effective_from=D2019, promised_limit_days=10)
    v1 = matter.current_version
    v2 = matter_revise(
        actor=None,
        matter=matter,
        changes={"promised_limit_days": 5},
        effective_from=D2020,
        note="压缩时限",
    )
    assert v2.number == 2 and v2.change_note == "压缩时限"
    v1.refresh_from_db()  # type: ignore[union-attr]
    assert v1.promised_limit_days == 10  # type: ignore[union-attr]
    assert selectors.matter_version_in_force(matter, dt.date(2019, 12, 31)) == v1
    assert selectors.matter_version_in_force(matter, D2020) == v2
    event = AuditEvent.objects.get(action="catalog.matter_revise")
    assert event.data["changed"] == ["promised_limit_days"]
    assert event.data["version"] == 2


def test_revise_keeps_rows_not_mentioned():
    """Materials, fees and steps carry over to the new version unless the changes replace them."""
    matter = MatterFactory(materials=[MaterialDataFactory(name="身份证")])
    v2 = matter_revise(actor=None, matter=matter, changes={"name": "新名称"}, effective_from=D2020)
    assert [m.name for m in v2.materials.all()] == ["身份证"]
    assert v2.steps.count() == 4


def test_revise_that_changes_nothing_writes_nothing():
    """Changes equal to the latest version return it, with no new version and no audit event."""
    matter = MatterFactory(promised_limit_days=5)
    same = matter_revise(
        actor=None, matter=matter, changes={"promised_limit_days": 5}, effective_from=D2020
    )
    assert same == matter.latest_version
    assert MatterVersion.objects.filter(matter=matter).count() == 1
    assert not AuditEvent.objects.filter(action="catalog.matter_revise").exists()


def test_revise_cannot_rewrite_history():
    """A revision dated before the latest version's effective date is refused."""
    matter = MatterFactory(effective_from=D2020)
    with pytest.raises(InvalidInput) as caught:
        matter_revise(
            actor=None,
            matter=matter,
            changes={"promised_limit_days": 3},
            effective_from=D2019,
        )
    assert "effective_from" in caught.value.details["errors"]


def test_same_day_revision_is_a_correction():
    """Two versions on one date: the later one is in force from that date."""
    matter = MatterFactory(effective_from=D2019)
    v2 = matter_revise(
        actor=None, matter=matter, changes={"promised_limit_days": 3}, effective_from=D2019
    )
    assert selectors.matter_version_in_force(matter, D2019) == v2


@time_machine.travel(dt.datetime(2024, 6, 1, 9, tzinfo=dt.UTC), tick=False)
def test_scheduled_version_waits_for_its_day():
    """A version dated in the future is the latest but not current until activation on its day."""
    matter = MatterFactory(effective_from=D2019, promised_limit_days=10)
    v1 = matter.current_version
    v2 = matter_revise(
        actor=None,
        matter=matter,
        changes={"promised_limit_days": 4},
        effective_from=dt.date(2024, 7, 1),
    )
    matter.refresh_from_db()
    assert matter.current_version == v1 and matter.latest_version == v2
    assert matter_versions_activate(on=dt.date(2024, 6, 30)) == 0
    assert matter_versions_activate(on=dt.date(2024, 7, 1)) == 1
    matter.refresh_from_db()
    assert matter.current_version == v2
    assert AuditEvent.objects.filter(action="catalog.matter_activate").count() == 1
    assert matter_versions_activate(on=dt.date(2024, 7, 1)) == 0  # idempotent


@time_machine.travel(dt.datetime(2024, 6, 1, 9, tzinfo=dt.UTC), tick=False)
def test_matter_published_ahead_is_not_offered_yet():
    """A new matter effective next month has no current version, so the public list omits it."""
    matter = MatterFactory(effective_from=dt.date(2024, 7, 1))
    assert matter.current_version is None
    assert not selectors.matter_public_queryset().exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"legal_limit_days": 5, "promised_limit_days": 8}, "promised_limit_days"),
        ({"kind": "instant", "promised_limit_days": 3}, "promised_limit_days"),
        ({"kind": "promised", "promised_limit_days": 0}, "promised_limit_days"),
        ({"visits": 0, "online": False, "handling_forms": ["window"]}, "visits"),
        ({"online": True, "handling_forms": ["window"], "online_depth": [1]}, "handling_forms"),
        ({"online": True, "handling_forms": ["online"], "online_depth": []}, "online_depth"),
        ({"online_depth": [8]}, "online_depth"),
        ({"service_objects": []}, "service_objects"),
        ({"handling_forms": ["fax"]}, "handling_forms"),
        ({"matter_type": "11"}, "matter_type"),
        ({"extension_days": 99}, "extension_days"),
    ],
)
def test_version_rules(overrides, field):
    """Each single-version rule of DOMAIN_RULES.md §2–§3 names the field it breaks."""
    with pytest.raises(InvalidInput) as caught:
        matter_create(
            actor=None,
            code="M1",
            catalog_code="000101001000",
            data=_data(**overrides),
            effective_from=D2019,
        )
    assert field in caught.value.details["errors"]


@pytest.mark.parametrize(
    ("material", "field"),
    [
        ({"replacement": "cancelled", "replacement_basis": "决定"}, "materials[0].cancelled_on"),
        ({"replacement": "cancelled", "cancelled_on": D2019}, "materials[0].replacement_basis"),
        (
            {"replacement": "e_license", "cancelled_on": D2019, "replacement_basis": "决定"},
            "materials[0].license_type",
        ),
        ({"cancelled_on": D2019}, "materials[0].cancelled_on"),
        ({"necessity": "conditional"}, "materials[0].condition"),
        ({"trust_level": "E"}, "materials[0].trust_level"),
        (
            {"replacement": "commitment", "cancelled_on": D2019, "replacement_basis": "决定"},
            "materials[0].replacement",
        ),
    ],
)
def test_material_rules(material, field):
    """Each material rule (§4 replacements, conditions, code lists) names the row and field."""
    row = {"name": "证明", "is_certificate": True, **material}
    with pytest.raises(InvalidInput) as caught:
        matter_create(
            actor=None,
            code="M1",
            catalog_code="000101001000",
            data=_data(materials=[row]),
            effective_from=D2019,
        )
    assert field in caught.value.details["errors"]


def test_fee_rows_need_the_fee_flag():
    """Fees on a matter that says it is free are refused."""
    with pytest.raises(InvalidInput) as caught:
        MatterFactory(fees=[FeeDataFactory()], charges_fee=False)
    assert "charges_fee" in caught.value.details["errors"]


def test_multi_selects_are_stored_in_code_list_order():
    """Multi-select choices are stored in code-list order, so equal choices compare equal."""
    matter = MatterFactory(handling_forms=["post", "online", "window"], online_depth=[4, "2", 1])
    version = matter.current_version
    assert version.handling_forms == ["window", "online", "post"]  # type: ignore[union-attr]
    assert version.online_depth == [1, 2, 4]  # type: ignore[union-attr]


def test_text_is_stored_without_surrounding_blanks():
    """Leading and trailing blanks are dropped, so re-imported text compares equal."""
    matter = MatterFactory(name="  居住证签注 \n")
    assert matter.current_version.name == "居住证签注"  # type: ignore[union-attr]


def test_set_status_withdraws_and_records():
    """Withdrawing a matter keeps its versions, hides it from the public list, and is audited."""
    matter = MatterFactory()
    matter_set_status(actor=None, matter=matter, status="withdrawn", reason="事项取消")
    assert not selectors.matter_public_queryset().exists()
    assert MatterVersion.objects.filter(matter=matter).exists()
    assert AuditEvent.objects.get(action="catalog.matter_set_status").data["reason"] == "事项取消"
    with pytest.raises(InvalidInput):
        matter_set_status(actor=None, matter=matter, status="gone")


def test_version_comparison_counts_materials_still_supplied():
    """Comparing versions counts materials the applicant still supplies, steps and limits."""
    matter = MatterFactory(
        materials=[MaterialDataFactory(), MaterialDataFactory(), MaterialDataFactory()],
        promised_limit_days=10,
    )
    v1 = matter.current_version
    rows = selectors.version_content(v1)["materials"]  # type: ignore[arg-type]
    rows[2] = {**CertificateDataFactory(), "name": rows[2]["name"]}
    v2 = matter_revise(
        actor=None,
        matter=matter,
        changes={"materials": rows, "promised_limit_days": 8, "steps": [{"name": "受理"}]},
        effective_from=D2020,
    )
    comparison = selectors.version_compare(v1, v2)  # type: ignore[arg-type]
    assert (comparison.materials.before, comparison.materials.after) == (3, 2)
    assert (comparison.steps.before, comparison.steps.after) == (4, 1)
    assert comparison.promised_limit_days.percent == pytest.approx(-20.0)


def test_catalog_comparison_sums_matters_in_force_on_both_dates():
    """The catalog comparison adds up every matter in force on both dates (claim S10's report)."""
    first = MatterFactory(promised_limit_days=10, effective_from=D2019)
    MatterFactory(promised_limit_days=10, effective_from=D2019)
    MatterFactory(promised_limit_days=10, effective_from=D2020)  # not in force before
    matter_revise(
        actor=None, matter=first, changes={"promised_limit_days": 7}, effective_from=D2020
    )
    comparison = selectors.catalog_compare(before=dt.date(2019, 6, 1), after=dt.date(2020, 6, 1))
    assert (comparison.promised_limit_days.before, comparison.promised_limit_days.after) == (20, 17)
    assert comparison.promised_limit_days.percent == pytest.approx(-15.0)
