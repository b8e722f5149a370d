"""The office dashboard: only the efficiency office sees it; its figures come from the data."""

import pytest

from tests.catalog.factories import CertificateDataFactory, DepartmentFactory, MatterFactory
from xiaoneng.accounts.models import Role, User

pytestmark = pytest.mark.django_db


def _user(role: str) -> User:
    return User.objects.create_user(username=f"u-{role}", password="pw-123456", role=role)


def test_anonymous_visitor_is_sent_to_sign_in(client):
    """An anonymous visitor is redirected to the sign-in page."""
    response = client.get("/office/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.ENTERPRISE, Role.WINDOW, Role.PARTNER])
def test_other_roles_are_refused(client, role):
    """Applicants, window officers and partners may not open the office's dashboard."""
    client.force_login(_user(role))
    assert client.get("/office/").status_code == 403


def test_office_sees_figures_computed_from_the_catalog(client):
    """Three city matters, two online, one cancelled certificate: the page says so."""
    dept = DepartmentFactory(name="测试局")
    MatterFactory(department=dept, online=True)
    MatterFactory(department=dept, online=True, materials=[CertificateDataFactory()])
    MatterFactory(
        department=dept, online=False, handling_forms=["window"], online_depth=[], visits=2
    )
    unit = DepartmentFactory(name="供水单位", is_service_unit=True)
    MatterFactory(department=unit, matter_type="20", visits=1)
    client.force_login(_user(Role.OFFICE))
    response = client.get("/office/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures.matters_total == 3  # the public-service unit's matter is not city government
    assert figures.matters_online == 2
    assert figures.online_rate == pytest.approx(2 / 3)
    assert figures.one_visit_matters == 3  # two city matters + the unit's matter
    assert figures.certificates_cancelled == 1
    assert figures.compression_ratio == pytest.approx(1 - 15 / 60)
    body = response.content.decode()
    assert "66.67 %" in body
    assert "calendar-coverage" in body
    assert "2004" in body  # the seeded calendar's first year is shown
