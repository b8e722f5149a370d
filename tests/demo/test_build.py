"""Building the demo city into a database: the dashboard's figures come back from the rows."""

import pytest
from django.core.management import call_command

from tests.catalog.factories import MatterFactory
from xiaoneng.accounts.models import Role, User
from xiaoneng.applications.models import Application
from xiaoneng.core.errors import Conflict
from xiaoneng.core.models import AuditEvent
from xiaoneng.dashboard.selectors import catalog_figures
from xiaoneng.demo.models import DemoBuild
from xiaoneng.demo.selectors import demo_accounts
from xiaoneng.demo.services import demo_build

pytestmark = pytest.mark.django_db


def test_demo_city_reproduces_the_report_figures_from_data(capsys):
    """After `xiaoneng demo` the computed figures are the report's: 504, 456, 543, 108."""
    # The season of applications is tested in test_activity.py; the catalog alone here.
    call_command("demo", "--no-activity")
    out = capsys.readouterr().out
    assert "Demo city built" in out
    figures = catalog_figures()
    assert figures.matters_total == 504
    assert figures.matters_online == 456
    assert round(figures.online_rate * 100, 2) == 90.48
    assert figures.one_visit_matters == 543
    assert figures.in_hall_matters == 408
    assert figures.certificates_cancelled == 108
    # The demo accounts exist with the roles their names say.
    roles = dict(User.objects.values_list("username", "role"))
    assert roles["citizen"] == Role.CITIZEN
    assert roles["reviewer"] == Role.REVIEWER
    assert roles["bank"] == Role.PARTNER
    assert User.objects.get(username="head").department.code == "130100001"
    assert User.objects.get(username="window").check_password("demo")
    assert [name for name, _ in demo_accounts()][:3] == ["citizen", "enterprise", "window"]
    assert AuditEvent.objects.filter(action="demo.city_build").count() == 1
    # S10: the 2019 revision of the household and traffic matters, reported from the versions.
    capsys.readouterr()
    call_command("catalog", "compare", "--before", "2018-12-31", "--after", "2019-12-31")
    report = capsys.readouterr().out
    assert "100 →      88  -12.0 %" in report
    assert "60 →      54  -10.0 %" in report
    assert "100 →      85  -15.0 %" in report
    # A second plain run is refused; --if-empty does nothing.
    with pytest.raises(SystemExit) as exc:
        call_command("demo")
    assert exc.value.code == 2
    call_command("demo", "--if-empty")
    assert DemoBuild.objects.count() == 1
    assert not Application.objects.exists()  # --no-activity: the catalog only


def test_demo_is_never_mixed_into_a_real_catalog():
    """A database that already has a catalog refuses the demo city."""
    MatterFactory()
    with pytest.raises(Conflict, match="already holds a service catalog"):
        demo_build()
    assert not User.objects.filter(username="citizen").exists()


def test_no_demo_accounts_outside_the_demo():
    """Without a demo build, no account is advertised as a demo account."""
    User.objects.create_user(username="citizen", password="x-123456")
    assert demo_accounts() == []


def test_compare_refuses_an_unknown_department(capsys):
    """The comparison report names a department code it cannot find, and exits 2."""
    with pytest.raises(SystemExit) as exc:
        call_command(
            "catalog",
            "compare",
            "--before",
            "2019-01-01",
            "--after",
            "2020-01-01",
            "--department",
            "nope",
        )
    assert exc.value.code == 2
    assert "nope" in capsys.readouterr().err
