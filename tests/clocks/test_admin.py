"""Clock admin: read-only lists and pages, recompute through the service, policies audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from xiaoneng.clocks import services
from xiaoneng.clocks.models import Clock, ClockPolicy
from xiaoneng.core.models import AuditEvent

from .conftest import travel_to
from .factories import UserFactory, start_test_clock

pytestmark = pytest.mark.django_db

d = dt.date


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True, role="admin"))
    return client


def test_changelist_filters_and_change_page(admin_client: Client) -> None:
    """The list filters by warning; a clock's page shows its pauses and extensions read-only."""
    with travel_to(d(2025, 4, 2)):
        clock = start_test_clock(started_on=d(2025, 3, 3), label="SQ-0001")
        services.clock_pause(
            actor=None, clock=clock, on=d(2025, 3, 5), kind="expert_review", reason="专家评审"
        )
        services.clock_resume(actor=None, clock=clock, on=d(2025, 3, 12))
        services.clock_extend(actor=None, clock=clock, days=2, reason="复杂", on=d(2025, 3, 20))
        response = admin_client.get(reverse("admin:clocks_clock_changelist"), {"warning": "none"})
        assert response.status_code == 200
        assert "SQ-0001" in response.content.decode()
        page = admin_client.get(reverse("admin:clocks_clock_change", args=[clock.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "专家评审" in html
    assert "复杂" in html
    assert 'name="due_on"' not in html  # derived values are not editable


def test_no_add_or_delete_in_the_admin(admin_client: Client) -> None:
    """Clocks start with their item; the admin neither adds nor deletes them."""
    assert admin_client.get(reverse("admin:clocks_clock_add")).status_code == 403
    with travel_to(d(2025, 3, 20)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
    response = admin_client.get(reverse("admin:clocks_clock_delete", args=[clock.pk]))
    assert response.status_code == 403


def test_recompute_action_goes_through_the_service(admin_client: Client) -> None:
    """The admin action recomputes stale stored values and audits the change."""
    with travel_to(d(2025, 3, 20)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
        Clock.objects.filter(pk=clock.pk).update(yellow_on=d(2025, 3, 3))
        response = admin_client.post(
            reverse("admin:clocks_clock_changelist"),
            {"action": "recompute", "_selected_action": [clock.pk]},
            follow=True,
        )
    assert response.status_code == 200
    clock.refresh_from_db()
    assert clock.yellow_on == d(2025, 3, 25)
    assert AuditEvent.objects.filter(action="clocks.clock_recompute").count() == 1


def test_policy_saved_in_the_admin_is_audited(admin_client: Client) -> None:
    """Adding a warning policy in the admin goes through clock_policy_set."""
    response = admin_client.post(
        reverse("admin:clocks_clockpolicy_add"),
        {"kind": "hotline.ticket", "yellow_fraction": "0.6", "yellow_min_days_before": "2"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = ClockPolicy.objects.get(kind="hotline.ticket")
    assert (str(policy.yellow_fraction), policy.yellow_min_days_before) == ("0.600", 2)
    assert AuditEvent.objects.filter(action="clocks.policy_set").count() == 1
