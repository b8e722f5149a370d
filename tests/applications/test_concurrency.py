"""Two reviewers deciding the same application at once: exactly one wins, the other gets 409.

The race runs for real on PostgreSQL (two threads, two connections, ``SELECT … FOR UPDATE``);
SQLite serialises writers itself, so there only the sequential case is checked.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection

from tests.applications.factories import (
    DepartmentFactory,
    UserFactory,
    people,
    promised_matter,
    submit,
)
from xiaoneng.accounts.models import Role
from xiaoneng.applications import services
from xiaoneng.applications.models import Application
from xiaoneng.core.errors import Conflict


def _seed_calendar() -> None:
    """Transactional tests flush the holiday table that migrations seeded; put it back."""
    from xiaoneng.calendars.models import CalendarYear
    from xiaoneng.calendars.services import calendar_package_seed

    if not CalendarYear.objects.exists():
        calendar_package_seed(actor=None)


def _accepted_application() -> tuple[Application, Any, Any]:
    dept = DepartmentFactory()
    citizen, window, reviewer, _head = people(dept)
    second = UserFactory(role=Role.REVIEWER, department=dept)
    application = submit(citizen, promised_matter(dept))
    services.application_accept(actor=window, application=application)
    return application, reviewer, second


@pytest.mark.django_db
def test_second_decision_in_a_row_is_a_conflict():
    """After one reviewer approves, another's denial is 409 saying the application is approved."""
    application, first, second = _accepted_application()
    services.application_approve(actor=first, application=application)
    with pytest.raises(Conflict, match="approved"):
        services.application_deny(
            actor=second, application=Application.objects.get(pk=application.pk), reason="x"
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second_action", ["approve", "deny"])
def test_two_reviewers_racing_exactly_one_wins(monkeypatch, second_action):
    """Both start together; the one that locks first wins, the other waits and gets 409."""
    _seed_calendar()
    application, first, second = _accepted_application()
    original = services.HANDLERS[services.Action.APPROVE]

    def slow_approve(*args: Any) -> Any:
        # Hold the row lock long enough for the other thread to queue behind it.
        time.sleep(0.3)
        return original(*args)

    monkeypatch.setitem(services.HANDLERS, services.Action.APPROVE, slow_approve)  # type: ignore[arg-type]
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def decide(name: str, actor: Any, action: str) -> None:
        try:
            barrier.wait()
            target = Application.objects.get(pk=application.pk)
            if action == "approve":
                services.application_approve(actor=actor, application=target)
            else:
                services.application_deny(actor=actor, application=target, reason="不符合")
            results[name] = "won"
        except Conflict as exc:
            results[name] = exc
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            results[name] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=("a", first, "approve")),
        threading.Thread(target=decide, args=("b", second, second_action)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    outcomes = sorted(results.values(), key=lambda r: r != "won")
    assert outcomes[0] == "won", results
    assert isinstance(outcomes[1], Conflict), results
    # Threads run in the default language (zh-hans), so check the facts, not the wording.
    assert outcomes[1].details["status"] in {"approved", "denied"}
    final = Application.objects.get(pk=application.pk)
    assert final.status in {"approved", "denied"}
    decisions = final.events.filter(action__in=["approve", "deny"])
    assert decisions.count() == 1
