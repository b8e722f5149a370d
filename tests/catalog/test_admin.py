"""Admin screens: the matter list with filters; edits append versions through the service."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from tests.catalog.factories import (
    CertificateDataFactory,
    DepartmentFactory,
    MaterialDataFactory,
    MatterFactory,
)
from xiaoneng.accounts.models import Department
from xiaoneng.catalog.models import Matter, MatterVersion
from xiaoneng.catalog.selectors import (
    FEE_FIELDS,
    MATERIAL_FIELDS,
    STEP_FIELDS,
    VERSION_FIELDS,
    version_content,
)
from xiaoneng.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_user):
    client = Client(headers={"accept-language": "en"})
    client.force_login(admin_user)
    return client


def _value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _post_data(version: MatterVersion | None, content: dict[str, Any], **head: Any) -> dict:
    """The admin form as a browser would post it."""
    data: dict[str, Any] = {"effective_from": "2020-01-01", "change_note": "", **head}
    for key in VERSION_FIELDS:
        value = content.get(key)
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif key == "department":
            data[key] = value.pk if hasattr(value, "pk") else Department.objects.get(code=value).pk
        elif isinstance(value, list):
            data[key] = [str(v) for v in value]
        else:
            data[key] = _value(value)
    rows = {
        "materials": (MATERIAL_FIELDS, list(version.materials.all()) if version else []),
        "fees": (FEE_FIELDS, list(version.fees.all()) if version else []),
        "steps": (STEP_FIELDS, list(version.steps.all()) if version else []),
    }
    for prefix, (fields, existing) in rows.items():
        wanted = content.get(prefix, [])
        data[f"{prefix}-TOTAL_FORMS"] = str(len(wanted))
        data[f"{prefix}-INITIAL_FORMS"] = str(len(existing))
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for index, row in enumerate(wanted):
            if index < len(existing):
                data[f"{prefix}-{index}-id"] = existing[index].pk
                data[f"{prefix}-{index}-version"] = version.pk  # type: ignore[union-attr]
            for key in fields:
                value = row.get(key)
                if isinstance(value, bool):
                    if value:
                        data[f"{prefix}-{index}-{key}"] = "on"
                else:
                    data[f"{prefix}-{index}-{key}"] = _value(value)
    return data


def test_changelist_with_filters_and_search(staff):
    """The matter list loads with its filters and finds matters by name."""
    MatterFactory(name="特种设备使用登记")
    MatterFactory(name="其他事项")
    response = staff.get(
        "/admin/catalog/matter/",
        {"q": "特种设备", "current_version__online__exact": "1"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "特种设备使用登记" in html and "其他事项" not in html
    for title in ("implementing department", "matter type", "online", "on-site visits"):
        assert f"By {title}" in html


def test_change_form_shows_the_latest_version(staff):
    """The change form is filled from the latest version, materials inline."""
    matter = MatterFactory(name="旧名称", materials=[MaterialDataFactory(name="身份证")])
    html = staff.get(f"/admin/catalog/matter/{matter.pk}/change/").content.decode()
    assert 'value="旧名称"' in html and 'value="身份证"' in html


def test_saving_appends_a_version_and_leaves_history(staff):
    """Saving the form records version 2 through the service; version 1 is untouched."""
    matter = MatterFactory(
        name="旧名称", materials=[MaterialDataFactory(name="身份证"), CertificateDataFactory()]
    )
    v1 = matter.latest_version
    content = version_content(v1)  # type: ignore[arg-type]
    content["name"] = "新名称"
    content["materials"] = content["materials"][:1]  # the certificate is dropped
    data = _post_data(v1, content, status="active", change_note="取消证明")
    response = staff.post(f"/admin/catalog/matter/{matter.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    matter.refresh_from_db()
    v2 = matter.latest_version
    assert v2.number == 2 and v2.name == "新名称"  # type: ignore[union-attr]
    assert [m.name for m in v2.materials.all()] == ["身份证"]  # type: ignore[union-attr]
    assert v2.change_note == "取消证明" and v2.effective_from == dt.date(2020, 1, 1)  # type: ignore[union-attr]
    v1.refresh_from_db()  # type: ignore[union-attr]
    assert v1.name == "旧名称" and v1.materials.count() == 2  # type: ignore[union-attr]
    event = AuditEvent.objects.get(action="catalog.matter_revise")
    assert event.actor_id is not None


def test_form_errors_are_shown_and_nothing_saved(staff):
    """A promised limit above the legal one is shown on the form; no version is written."""
    matter = MatterFactory(legal_limit_days=20)
    content = version_content(matter.latest_version)  # type: ignore[arg-type]
    content["promised_limit_days"] = 30
    response = staff.post(
        f"/admin/catalog/matter/{matter.pk}/change/",
        _post_data(matter.latest_version, content, status="active"),
    )
    assert response.status_code == 200
    assert "may not exceed the legal limit" in response.content.decode()
    assert MatterVersion.objects.filter(matter=matter).count() == 1


def test_commitment_row_without_permission_is_refused_inline(staff):
    """A material replaced by commitment on a matter that does not allow it is an inline error."""
    matter = MatterFactory()
    content = version_content(matter.latest_version)  # type: ignore[arg-type]
    content["materials"][0].update(
        replacement="commitment", cancelled_on=dt.date(2020, 1, 1), replacement_basis="承诺制"
    )
    response = staff.post(
        f"/admin/catalog/matter/{matter.pk}/change/",
        _post_data(matter.latest_version, content, status="active"),
    )
    assert response.status_code == 200
    assert "needs a matter that allows informed commitment" in response.content.decode()
    assert MatterVersion.objects.filter(matter=matter).count() == 1


def test_adding_a_matter_goes_through_the_service(staff):
    """The add form creates the matter with version 1 and its rows."""
    department = DepartmentFactory()
    content = {
        "name": "新增事项",
        "matter_type": "01",
        "level": "city",
        "power_source": "statutory",
        "department": department,
        "body_type": "statutory",
        "service_objects": ["natural_person"],
        "promised_limit_days": 3,
        "legal_limit_days": 20,
        "extension_days": 10,
        "kind": "promised",
        "handling_forms": ["window"],
        "visits": 1,
        "service_scope": "none",
        "result_type": "other",
        "in_hall": True,
        "materials": [MaterialDataFactory(name="申请表")],
        "steps": [{"name": "受理"}],
    }
    data = _post_data(None, content, code="NEW-1", catalog_code="000101009000", status="active")
    response = staff.post("/admin/catalog/matter/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    matter = Matter.objects.get(code="NEW-1")
    assert matter.latest_version.number == 1  # type: ignore[union-attr]
    assert [m.name for m in matter.latest_version.materials.all()] == ["申请表"]  # type: ignore[union-attr]
    assert AuditEvent.objects.filter(action="catalog.matter_create").exists()


def test_versions_are_view_only(staff):
    """Versions can be viewed in the admin but not changed or deleted."""
    matter = MatterFactory()
    version = matter.latest_version
    response = staff.get(f"/admin/catalog/matterversion/{version.pk}/change/")  # type: ignore[union-attr]
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert staff.get(f"/admin/catalog/matter/{matter.pk}/delete/").status_code == 403
