"""The clock services: every write locks, validates, audits and recomputes (issue 2 §3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import F
from django.utils import translation

from xiaoneng.clocks import services
from xiaoneng.clocks.models import Clock, ClockExtension, ClockPause, ClockPolicy
from xiaoneng.core.errors import Conflict, InvalidInput
from xiaoneng.core.models import AuditEvent

from .conftest import travel_to
from .factories import DepartmentFactory, UserFactory, start_test_clock, tracked_item

pytestmark = pytest.mark.django_db

d = dt.date


def _events(clock: Clock) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            target_type=ContentType.objects.get_for_model(Clock), target_id=str(clock.pk)
        ).order_by("at", "id")
    )


def test_start_stores_due_date_yellow_day_and_audit() -> None:
    """Starting on 2025-03-03 with 20 days stores due 03-31, yellow 03-25 and an audit event."""
    officer = UserFactory.create()
    item = tracked_item()
    with travel_to(d(2025, 3, 3)):
        clock = services.clock_start(
            actor=officer,
            item=item,
            department=officer.department,
            kind="application.promised",
            limit_days=20,
            started_on=d(2025, 3, 3),
            extension_allowance_days=10,
            label="SQ-2025-0001",
        )
    clock.refresh_from_db()
    assert (clock.state, clock.due_on, clock.yellow_on, clock.warning) == (
        "running",
        d(2025, 3, 31),
        d(2025, 3, 25),
        "none",
    )
    assert not clock.due_provisional
    assert clock.item == item
    assert clock.object_id == str(item.pk)
    [event] = _events(clock)
    assert event.action == "clocks.clock_start"
    assert event.actor_id == officer.pk
    assert (event.data["from"], event.data["to"]) == ("", "running")


def test_worked_example_through_the_services() -> None:
    """Paused 2025-03-05 for expert review and resumed 03-12: due moves to 2025-04-08."""
    officer = UserFactory.create()
    with travel_to(d(2025, 3, 20)):
        clock = start_test_clock(started_on=d(2025, 3, 3), actor=officer)
        services.clock_pause(
            actor=officer,
            clock=clock,
            on=d(2025, 3, 5),
            kind="expert_review",
            reason="专家评审 5 个工作日",
        )
        assert (clock.state, clock.due_on) == ("paused", d(2025, 3, 31))
        services.clock_resume(actor=officer, clock=clock, on=d(2025, 3, 12))
    clock.refresh_from_db()
    assert (clock.state, clock.due_on, clock.yellow_on) == ("running", d(2025, 4, 8), d(2025, 4, 1))
    pause = ClockPause.objects.get(clock=clock)
    assert (pause.began_on, pause.ended_on, pause.actor, pause.ended_by) == (
        d(2025, 3, 5),
        d(2025, 3, 12),
        officer,
        officer,
    )
    actions = [(e.action, e.data["from"], e.data["to"]) for e in _events(clock)]
    assert actions == [
        ("clocks.clock_start", "", "running"),
        ("clocks.clock_pause", "running", "paused"),
        ("clocks.clock_resume", "paused", "running"),
    ]
    assert _events(clock)[2].data["after"]["due_on"] == "2025-04-08"


def test_pause_while_paused_is_a_conflict_naming_the_state() -> None:
    """A second pause while paused is refused with 409 and says the clock is paused."""
    with travel_to(d(2025, 3, 20)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
        services.clock_pause(
            actor=None, clock=clock, on=d(2025, 3, 5), kind="hearing", reason="听证"
        )
        with pytest.raises(Conflict) as caught:
            services.clock_pause(
                actor=None, clock=clock, on=d(2025, 3, 6), kind="testing", reason="检测"
            )
    assert "paused" in caught.value.message
    assert "pause" in caught.value.message
    assert caught.value.http_status == 409
    assert ClockPause.objects.filter(clock=clock).count() == 1


def test_resume_while_running_is_a_conflict() -> None:
    """Resuming a running clock is not allowed now."""
    with travel_to(d(2025, 3, 20)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
        with pytest.raises(Conflict, match="running"):
            services.clock_resume(actor=None, clock=clock, on=d(2025, 3, 5))


def test_resume_before_the_pause_began_is_refused() -> None:
    """A resume day before the pause day is invalid input, naming both dates."""
    with travel_to(d(2025, 3, 20)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
        services.clock_pause(
            actor=None, clock=clock, on=d(2025, 3, 10), kind="supplement", reason="补正"
        )
        with pytest.raises(InvalidInput, match=r"2025-03-05.*2025-03-10"):
            services.clock_resume(actor=None, clock=clock, on=d(2025, 3, 5))
    clock.refresh_from_db()
    assert clock.state == "paused"


def test_pause_before_the_start_is_refused() -> None:
    """A pause day before the clock started is invalid input."""
    with travel_to(d(2025, 3, 20)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
        with pytest.raises(InvalidInput, match="before the clock started"):
            services.clock_pause(
                actor=None, clock=clock, on=d(2025, 3, 1), kind="hearing", reason="听证"
            )


def test_pause_overlapping_the_previous_one_is_refused() -> None:
    """A new pause cannot begin before the previous one ended."""
    with travel_to(d(2025, 3, 20)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
        services.clock_pause(actor=None, clock=clock, on=d(2025, 3, 5), kind="hearing", reason="x")
        services.clock_resume(actor=None, clock=clock, on=d(2025, 3, 12))
        with pytest.raises(InvalidInput, match="may not overlap"):
            services.clock_pause(
                actor=None, clock=clock, on=d(2025, 3, 10), kind="hearing", reason="x"
            )


def test_dates_in_the_future_are_refused() -> None:
    """A clock records what happened: tomorrow is refused for start, pause and stop."""
    with travel_to(d(2025, 3, 20)):
        with pytest.raises(InvalidInput, match="future"):
            start_test_clock(started_on=d(2025, 3, 21))
        clock = start_test_clock(started_on=d(2025, 3, 3))
        with pytest.raises(InvalidInput, match="future"):
            services.clock_pause(
                actor=None, clock=clock, on=d(2025, 3, 21), kind="hearing", reason="x"
            )
        with pytest.raises(InvalidInput, match="future"):
            services.clock_stop(actor=None, clock=clock, on=d(2025, 3, 21))


def test_pause_needs_a_known_kind_and_a_reason() -> None:
    """An unknown pause kind or an empty reason is refused."""
    with travel_to(d(2025, 3, 20)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
        with pytest.raises(InvalidInput, match="kind"):
            services.clock_pause(actor=None, clock=clock, on=d(2025, 3, 5), kind="nap", reason="x")
        with pytest.raises(InvalidInput, match="reason"):
            services.clock_pause(
                actor=None, clock=clock, on=d(2025, 3, 5), kind="hearing", reason="  "
            )


def test_extension_adds_days_up_to_the_allowance() -> None:
    """Two extensions of 6 and 4 days use the whole 10-day allowance; one more is a conflict."""
    head = UserFactory.create()
    with travel_to(d(2025, 3, 20)):
        clock = start_test_clock(started_on=d(2025, 3, 3), extension_allowance_days=10)
        services.clock_extend(actor=head, clock=clock, days=6, reason="情况复杂")
        services.clock_extend(actor=head, clock=clock, days=4, reason="仍需核查")
        with pytest.raises(Conflict, match="already been extended by 10"):
            services.clock_extend(actor=head, clock=clock, days=1, reason="再延")
    clock.refresh_from_db()
    assert clock.extension_days == 10
    assert clock.due_on == d(2025, 4, 15)
    assert list(ClockExtension.objects.filter(clock=clock).values_list("days", flat=True)) == [
        6,
        4,
    ]
    assert ClockExtension.objects.filter(clock=clock, approver=head).count() == 2


def test_extension_larger_than_the_allowance_is_invalid_input() -> None:
    """15 days of a 10-day allowance can never be granted: 400, not 409."""
    with travel_to(d(2025, 3, 20)):
        clock = start_test_clock(started_on=d(2025, 3, 3), extension_allowance_days=10)
        with pytest.raises(InvalidInput, match="allowance of 10"):
            services.clock_extend(actor=None, clock=clock, days=15, reason="x")


def test_extension_after_the_due_date_is_refused() -> None:
    """Art. 42: an extension approved after the limit ran out would hide lateness."""
    with travel_to(d(2025, 4, 1)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
        with pytest.raises(Conflict, match="ran out on 2025-03-31"):
            services.clock_extend(actor=None, clock=clock, days=5, reason="x")
        # Approved on the due date itself (recorded a day late) is in time.
        services.clock_extend(actor=None, clock=clock, days=5, reason="x", on=d(2025, 3, 31))
    assert clock.due_on == d(2025, 4, 8)


def test_a_paused_clock_may_be_extended() -> None:
    """An extension during an expert review is allowed and keeps the clock paused."""
    with travel_to(d(2025, 5, 20)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
        services.clock_pause(
            actor=None, clock=clock, on=d(2025, 3, 20), kind="expert_review", reason="x"
        )
        services.clock_extend(actor=None, clock=clock, days=3, reason="x")
    assert clock.state == "paused"
    assert clock.extension_days == 3


def test_stop_freezes_the_clock_and_keeps_the_verdict() -> None:
    """Stopped late → red; nothing further is allowed, and a later recompute changes nothing."""
    with travel_to(d(2025, 4, 2)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
        services.clock_stop(actor=None, clock=clock, on=d(2025, 4, 2))
        with pytest.raises(Conflict, match="stopped"):
            services.clock_stop(actor=None, clock=clock, on=d(2025, 4, 2))
        with pytest.raises(Conflict, match="stopped"):
            services.clock_pause(
                actor=None, clock=clock, on=d(2025, 4, 2), kind="other", reason="x"
            )
        with pytest.raises(Conflict, match="stopped"):
            services.clock_extend(actor=None, clock=clock, days=1, reason="x")
    assert (clock.state, clock.stopped_on, clock.warning) == ("stopped", d(2025, 4, 2), "red")
    events_before = len(_events(clock))
    with travel_to(d(2026, 6, 1)):
        services.clock_recompute(clock=clock)
    clock.refresh_from_db()
    assert (clock.due_on, clock.warning) == (d(2025, 3, 31), "red")
    assert len(_events(clock)) == events_before  # nothing changed, nothing recorded


def test_stop_on_time_closes_a_yellow_warning() -> None:
    """办结销号: a yellow clock stopped on its due date ends with warning none."""
    with travel_to(d(2025, 3, 31)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
        assert clock.warning == "yellow"
        services.clock_stop(actor=None, clock=clock, on=d(2025, 3, 31))
    assert clock.warning == "none"


def test_stopping_a_paused_clock_closes_its_pause() -> None:
    """An item that ends while paused: the open pause ends on the stop day."""
    with travel_to(d(2025, 3, 20)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
        services.clock_pause(
            actor=None, clock=clock, on=d(2025, 3, 5), kind="supplement", reason="补正"
        )
        services.clock_stop(actor=None, clock=clock, on=d(2025, 3, 19))
    pause = ClockPause.objects.get(clock=clock)
    assert pause.ended_on == d(2025, 3, 19)
    assert clock.state == "stopped"
    assert _events(clock)[-1].data["from"] == "paused"


def test_one_open_clock_per_item_and_kind() -> None:
    """A second start of the same kind is a conflict; after a stop a new one may start."""
    item = tracked_item()
    department = DepartmentFactory.create()
    with travel_to(d(2025, 3, 20)):
        first = start_test_clock(started_on=d(2025, 3, 3), item=item, department=department)
        with pytest.raises(Conflict, match="already has an open clock"):
            start_test_clock(started_on=d(2025, 3, 4), item=item, department=department)
        other_kind = start_test_clock(
            started_on=d(2025, 3, 3), item=item, department=department, kind="test.legal"
        )
        services.clock_stop(actor=None, clock=first, on=d(2025, 3, 10))
        again = start_test_clock(started_on=d(2025, 3, 11), item=item, department=department)
    assert {first.pk, other_kind.pk, again.pk} == set(
        Clock.objects.filter(object_id=str(item.pk)).values_list("pk", flat=True)
    )


def test_unsaved_item_and_bad_numbers_are_refused() -> None:
    """An unsaved item, a negative limit or allowance are invalid input."""
    department = DepartmentFactory.create()
    with travel_to(d(2025, 3, 20)):
        with pytest.raises(InvalidInput, match="Save the tracked item"):
            services.clock_start(
                actor=None,
                item=type(department)(code="X", name="x"),
                department=department,
                kind="test.item",
                limit_days=5,
                started_on=d(2025, 3, 3),
            )
        with pytest.raises(InvalidInput, match="-1"):
            start_test_clock(started_on=d(2025, 3, 3), limit_days=-1)
        with pytest.raises(InvalidInput, match="allowance"):
            start_test_clock(started_on=d(2025, 3, 3), extension_allowance_days=-2)
        with pytest.raises(InvalidInput, match="lower-case"):
            start_test_clock(started_on=d(2025, 3, 3), kind="Not A Kind")


def test_the_callers_instance_follows_the_change() -> None:
    """The clock object passed in is updated in place, without a new query."""
    with travel_to(d(2025, 3, 20)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
        same_row = Clock.objects.get(pk=clock.pk)
        returned = services.clock_pause(
            actor=None, clock=same_row, on=d(2025, 3, 5), kind="hearing", reason="x"
        )
    assert returned is not same_row
    assert same_row.state == "paused" == returned.state


def test_policy_per_kind_overrides_the_defaults() -> None:
    """A ClockPolicy row moves the yellow day of its kind, recomputing open clocks."""
    with travel_to(d(2025, 3, 20)):
        clock = start_test_clock(started_on=d(2025, 3, 3), kind="hotline.ticket")
        other = start_test_clock(started_on=d(2025, 3, 3), kind="application.legal")
        assert clock.yellow_on == d(2025, 3, 25)
        services.clock_policy_set(
            actor=None, kind="hotline.ticket", yellow_fraction="0.5", yellow_min_days_before=1
        )
        # Tests run tasks inline; the recompute was queued on commit.
        changed = services.clocks_recompute_for_kind(kind="hotline.ticket")
    clock.refresh_from_db()
    other.refresh_from_db()
    assert changed in (0, 1)
    assert clock.yellow_on == d(2025, 3, 17)  # day 10 of 20
    assert clock.warning == "yellow"
    assert other.yellow_on == d(2025, 3, 25)
    assert ClockPolicy.objects.get(kind="hotline.ticket").yellow_fraction == Decimal("0.500")


def test_policy_change_is_recomputed_by_the_queued_task(
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    """clock_policy_set queues the kind's recompute after commit."""
    with travel_to(d(2025, 3, 20)):
        clock = start_test_clock(started_on=d(2025, 3, 3), kind="hotline.ticket")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.clock_policy_set(
                actor=None, kind="hotline.ticket", yellow_fraction="0.5", yellow_min_days_before=1
            )
    assert len(callbacks) == 1
    clock.refresh_from_db()
    assert clock.yellow_on == d(2025, 3, 17)


def test_bad_policy_is_refused() -> None:
    """A fraction above 1 is refused before anything is written."""
    with pytest.raises(InvalidInput):
        services.clock_policy_set(
            actor=None, kind="hotline.ticket", yellow_fraction="1.5", yellow_min_days_before=1
        )
    assert not ClockPolicy.objects.exists()


def test_refresh_warnings_moves_running_clocks_forward_only() -> None:
    """As days pass: yellow at the yellow day, red after the due date; paused ones stay."""
    with travel_to(d(2025, 3, 20)):
        running = start_test_clock(started_on=d(2025, 3, 3))
        paused = start_test_clock(started_on=d(2025, 3, 3))
        services.clock_pause(
            actor=None, clock=paused, on=d(2025, 3, 20), kind="testing", reason="x"
        )
    assert services.clocks_refresh_warnings(today=d(2025, 3, 24)) == []
    changes = services.clocks_refresh_warnings(today=d(2025, 3, 25))
    assert changes == [services.WarningChange(running.pk, "none", "yellow")]
    assert services.clocks_refresh_warnings(today=d(2025, 3, 31)) == []
    changes = services.clocks_refresh_warnings(today=d(2025, 4, 1))
    assert changes == [services.WarningChange(running.pk, "yellow", "red")]
    running.refresh_from_db()
    paused.refresh_from_db()
    assert (running.warning, paused.warning) == ("red", "none")
    assert AuditEvent.objects.filter(action="clocks.warnings_refresh").count() == 2


def test_refresh_warnings_turns_a_clock_red_at_once_when_no_scan_ran_at_yellow() -> None:
    """Stored none past the due date: straight to red, reported as none → red."""
    with travel_to(d(2025, 3, 3)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
    changes = services.clocks_refresh_warnings(today=d(2025, 4, 2))
    assert changes == [services.WarningChange(clock.pk, "none", "red")]
    event = AuditEvent.objects.get(action="clocks.warnings_refresh")
    assert (event.data["red"], event.data["yellow"]) == (1, 0)


def test_refresh_warnings_reports_every_change_in_clock_order() -> None:
    """Yellow → red and none → yellow on the same day, listed by clock id, each once."""
    with travel_to(d(2025, 3, 10)):
        older = start_test_clock(started_on=d(2025, 3, 3))  # yellow 03-25, due 03-31
        newer = start_test_clock(started_on=d(2025, 3, 10))  # yellow 04-01, due 04-07
    services.clocks_refresh_warnings(today=d(2025, 3, 25))
    changes = services.clocks_refresh_warnings(today=d(2025, 4, 1))
    assert changes == [
        services.WarningChange(older.pk, "yellow", "red"),
        services.WarningChange(newer.pk, "none", "yellow"),
    ]
    assert services.clocks_refresh_warnings(today=d(2025, 4, 1)) == []


def test_recompute_for_years_touches_only_dependent_clocks() -> None:
    """A 2025 change recomputes clocks spanning 2025 and provisional ones, not 2024 ones."""
    with travel_to(d(2026, 12, 21)):
        old = start_test_clock(started_on=d(2024, 3, 4))
        current = start_test_clock(started_on=d(2025, 3, 3))
        provisional = start_test_clock(started_on=d(2026, 12, 21))
        # Pretend the stored values went stale; only dependent clocks get fixed.
        Clock.objects.update(yellow_on=F("started_on"))
        services.clocks_recompute_for_years(years=[2025])
    old.refresh_from_db()
    current.refresh_from_db()
    provisional.refresh_from_db()
    assert old.yellow_on == old.started_on
    assert current.yellow_on == d(2025, 3, 25)
    assert provisional.due_provisional
    assert provisional.yellow_on > provisional.started_on


def test_conflict_message_in_chinese() -> None:
    """Not-allowed-now messages are in the user's language (zh-hans when compiled)."""
    from pathlib import Path

    import xiaoneng.clocks

    mo = Path(xiaoneng.clocks.__file__).parent / "locale/zh_Hans/LC_MESSAGES/django.mo"
    if not mo.exists():
        pytest.skip("messages not compiled (make messages)")
    with travel_to(d(2025, 3, 20)):
        clock = start_test_clock(started_on=d(2025, 3, 3))
        with translation.override("zh-hans"), pytest.raises(Conflict) as caught:
            services.clock_resume(actor=None, clock=clock, on=d(2025, 3, 5))
    assert "计时中" in caught.value.message
    assert "恢复计时" in caught.value.message
