"""The services of supervision tasks (issue 4, part 2): every step allowed and refused, who may
take it, its clock, its notices (each sent once), escalation once per red period, past days
and the ledger entries behind the yearly counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.utils import translation

from tests.clocks.conftest import travel_to
from tests.clocks.factories import start_test_clock
from tests.supervision.factories import make_city, new_task, task_in_state
from xiaoneng.clocks.models import Clock
from xiaoneng.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from xiaoneng.core.models import AuditEvent
from xiaoneng.notifications.models import Message
from xiaoneng.supervision.models import SupervisionTask, SupervisionTaskEvent, WarningRecord
from xiaoneng.supervision.services import tasks as services
from xiaoneng.supervision.services.warnings import warnings_scan

pytestmark = pytest.mark.django_db

d = dt.date
MONDAY = d(2025, 3, 3)  # 10 working days → due 2025-03-17
DUE = d(2025, 3, 17)
RED = d(2025, 3, 18)


@pytest.fixture(autouse=True)
def _english(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Messages, and the notices written in the site's language, in English, so assertions on
    wording do not depend on compiled catalogues."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _quiet_senders(settings) -> None:  # type: ignore[no-untyped-def]
    """SMS and email are accepted into the outbox without log lines."""
    settings.NOTIFICATION_SENDERS = {
        "sms": "xiaoneng.notifications.senders.OutboxOnlySender",
        "email": "xiaoneng.notifications.senders.OutboxOnlySender",
    }


@pytest.fixture
def city(db):  # type: ignore[no-untyped-def]
    """A parent government, a lead unit, a co-unit, another unit, the office, a citizen."""
    return make_city()


def _messages(task: SupervisionTask, subject_part: str = "") -> list[Message]:
    return [
        m
        for m in Message.objects.filter(
            object_id=str(task.pk), content_type__model="supervisiontask"
        )
        if subject_part in m.subject
    ]


def _recipients(task: SupervisionTask, subject_part: str, channel: str = "in_site") -> list[int]:
    return sorted(m.recipient_id for m in _messages(task, subject_part) if m.channel == channel)


# -- create ----------------------------------------------------------------------------------


def test_the_office_creates_a_numbered_task_with_its_first_event(city):
    """Creation gives DB<year><serial>, state created, an event and an audit event."""
    with travel_to(MONDAY):
        first = new_task(city)
        second = new_task(city, category="assessment")
    assert first.number == "DB20250001" and second.number == "DB20250002"
    assert first.state == "created" and first.created_on == MONDAY
    assert first.lead_unit == city.unit
    assert list(first.co_units.all()) == [city.co_unit]
    assert first.clock is None
    event = first.events.get()
    assert (event.action, event.from_state, event.to_state, event.on) == (
        "create",
        "",
        "created",
        MONDAY,
    )
    assert AuditEvent.objects.filter(action="supervision.task_create", target_id=str(first.pk))


@pytest.mark.parametrize("who", ["head", "reviewer", "citizen", "co_head"])
def test_only_the_office_creates_tasks(city, who):
    """Heads, unit staff and citizens may not create a task."""
    with travel_to(MONDAY), pytest.raises(PermissionDenied):
        new_task(city, actor=getattr(city, who))
    assert not SupervisionTask.objects.exists()


def test_creation_refuses_bad_input_with_a_message_naming_it(city):
    """Unknown source or category, no title, a bad limit, a future day are refused."""
    with travel_to(MONDAY):
        for overrides, expected in [
            ({"source": "newspaper"}, "A task source is one of"),
            ({"category": "audit"}, "A task category is one of"),
            ({"title": "  "}, "A title is required"),
            ({"limit_days": 0}, "from 1 to 250"),
            ({"on": d(2025, 3, 4)}, "cannot be in the future"),
        ]:
            with pytest.raises(InvalidInput, match=expected):
                new_task(city, **overrides)
    assert not SupervisionTask.objects.exists()


def test_the_office_may_create_a_task_on_a_past_day_counted_in_that_year(city):
    """A paper instruction entered later counts for its own day and year."""
    with travel_to(d(2025, 1, 6)):
        task = new_task(city, on=d(2024, 12, 30))
    assert task.created_on == d(2024, 12, 30)
    assert task.number == "DB20240001"
    assert task.events.get().on == d(2024, 12, 30)


def test_a_task_from_a_red_warning_links_to_its_warnings_ledger_record(city):
    """A red_warning task links to a red record; another source or a yellow record is refused."""
    with travel_to(MONDAY):
        clock = start_test_clock(started_on=MONDAY, limit_days=10, department=city.unit)
    for day in (d(2025, 3, 13), RED):  # its yellow day, then the day after it was due
        with travel_to(day):
            warnings_scan()
    red = WarningRecord.objects.get(clock=clock, level="red")
    with travel_to(RED):
        task = new_task(city, source="red_warning", source_warning=red)
        assert task.source_warning == red
        with pytest.raises(InvalidInput, match="Only a task from a red warning"):
            new_task(city, source="media_exposure", source_warning=red)
    yellow = WarningRecord.objects.get(clock=clock, level="yellow")
    with travel_to(RED), pytest.raises(InvalidInput, match="comes from a red warning"):
        new_task(city, source="red_warning", source_warning=yellow)


# -- hand-over -------------------------------------------------------------------------------


def test_hand_over_starts_the_supervision_clock_in_the_lead_units_name(city):
    """交办 starts a clock of kind supervision.task, officer the head, due in 10 working days."""
    with travel_to(MONDAY):
        task = services.supervision_task_assign(actor=city.office, task=new_task(city))
    assert task.state == "assigned"
    clock = Clock.objects.get(pk=task.clock_id)
    assert clock.kind == "supervision.task"
    assert clock.department == city.unit
    assert clock.officer == city.head
    assert (clock.started_on, clock.due_on, clock.limit_days) == (MONDAY, DUE, 10)
    assert clock.label.startswith(task.number)
    assert task.officer == city.head
    event = task.events.last()
    assert event.action == "assign" and event.data["due_on"] == "2025-03-17"


def test_hand_over_tells_the_lead_head_and_the_co_units_heads_once(city):
    """The head (also the officer) and the co-unit's head get one in-site message each."""
    with travel_to(MONDAY):
        task = services.supervision_task_assign(actor=city.office, task=new_task(city))
    assert _recipients(task, "handed over to you") == sorted([city.head.pk, city.co_head.pk])
    assert len(_messages(task, "handed over to you")) == 2


def test_notices_are_written_in_the_sites_language(city, settings):
    """A notice is stored in the site's language (zh-Hans), whoever's browser asked."""
    settings.LANGUAGE_CODE = "zh-hans"
    with travel_to(MONDAY):
        task = services.supervision_task_assign(actor=city.office, task=new_task(city))
    subjects = {m.subject for m in _messages(task)}
    assert subjects == {f"督办任务 {task.number} 已交办给你单位，办理期限 2025-03-17"}


def test_hand_over_may_name_the_unit_the_officer_the_co_units_and_the_limit(city):
    """What was left open at creation is given at hand-over; the officer is told too."""
    with travel_to(MONDAY):
        task = new_task(city, lead_unit=None, co_units=[])
        with pytest.raises(InvalidInput, match="Name the lead unit"):
            services.supervision_task_assign(actor=city.office, task=task)
        task = services.supervision_task_assign(
            actor=city.office,
            task=task,
            lead_unit=city.unit,
            co_units=[city.co_unit, city.other, city.unit],
            officer=city.reviewer,
            limit_days=5,
        )
    assert task.lead_unit == city.unit and task.officer == city.reviewer
    # The lead unit is not its own co-unit.
    assert {u.pk for u in task.co_units.all()} == {city.co_unit.pk, city.other.pk}
    assert task.clock.limit_days == 5 and task.clock.officer == city.reviewer
    assert city.reviewer.pk in _recipients(task, "handed over to you")


def test_the_officer_must_be_staff_of_the_lead_unit(city):
    """Another unit's head is not the lead unit's officer; nothing is handed over."""
    with travel_to(MONDAY):
        task = new_task(city)
        with pytest.raises(InvalidInput, match="must be staff of the lead unit"):
            services.supervision_task_assign(actor=city.office, task=task, officer=city.other_head)
    task.refresh_from_db()
    assert task.state == "created" and task.clock is None


def test_only_the_office_hands_over_and_only_once(city):
    """A unit does not see a task before hand-over (404); a second hand-over is a conflict."""
    with travel_to(MONDAY):
        task = new_task(city)
        with pytest.raises(NotFound):
            services.supervision_task_assign(actor=city.head, task=task)
        task = services.supervision_task_assign(actor=city.office, task=task)
        with pytest.raises(PermissionDenied):
            services.supervision_task_assign(actor=city.head, task=task)
        with pytest.raises(Conflict, match="handed over"):
            services.supervision_task_assign(actor=city.office, task=task)


def test_a_past_hand_over_day_is_the_offices_and_not_before_creation(city):
    """The office may record the hand-over a day late, not before the task was created."""
    with travel_to(d(2025, 3, 5)):
        task = new_task(city, on=MONDAY)
        with pytest.raises(InvalidInput, match="before the previous step, on 2025-03-03"):
            services.supervision_task_assign(actor=city.office, task=task, on=d(2025, 2, 28))
        task = services.supervision_task_assign(actor=city.office, task=task, on=d(2025, 3, 4))
    assert task.clock.started_on == d(2025, 3, 4)


def test_a_past_day_from_anyone_but_the_office_is_refused():
    """Units act today: a past day is the office's privilege only."""
    today = d(2025, 3, 5)
    with pytest.raises(PermissionDenied, match="Only the efficiency office"):
        services.check_step_day(
            d(2025, 3, 4), actor=None, today=today, earliest=None, what="The result"
        )
    assert services.check_step_day(None, actor=None, today=today, earliest=None, what="x") == today


# -- the unit's steps ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["reviewer", "window", "head", "co_reviewer", "co_head"])
def test_staff_of_the_lead_unit_and_co_units_report_progress(city, who):
    """Any staff of the lead unit or a co-unit reports progress; the task is in progress."""
    with travel_to(MONDAY):
        task = task_in_state(city, "assigned")
        task = services.supervision_task_report_progress(
            actor=getattr(city, who), task=task, text="已现场核查"
        )
        task = services.supervision_task_report_progress(
            actor=getattr(city, who), task=task, text="施工方已复工"
        )
    assert task.state == "in_progress"
    assert [e.action for e in task.events.all()] == ["create", "assign", "progress", "progress"]
    assert task.events.last().data["department"] == getattr(city, who).department_id


def test_others_do_not_see_the_task_and_the_office_does_not_report(city):
    """Another unit and a citizen get NotFound; the office may see but not report."""
    with travel_to(MONDAY):
        task = task_in_state(city, "assigned")
        for outsider in (city.other_head, city.citizen, city.parent_head):
            with pytest.raises(NotFound):
                services.supervision_task_report_progress(actor=outsider, task=task, text="x")
        with pytest.raises(PermissionDenied, match="staff of the lead unit or a co-unit"):
            services.supervision_task_report_progress(actor=city.office, task=task, text="x")
        with pytest.raises(InvalidInput, match="progress report is required"):
            services.supervision_task_report_progress(actor=city.reviewer, task=task, text=" ")
    assert SupervisionTask.objects.get(pk=task.pk).state == "assigned"


def test_the_lead_head_reports_the_result_and_the_clock_pauses_for_the_review(city):
    """报结 by the lead unit's head: submitted, the clock paused, the office told once."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
    with travel_to(d(2025, 3, 10)):
        task = services.supervision_task_submit(actor=city.head, task=task, result="已整改完毕")
    assert task.state == "submitted" and task.result == "已整改完毕"
    clock = Clock.objects.get(pk=task.clock_id)
    assert clock.state == "paused"
    assert clock.pauses.get().began_on == d(2025, 3, 10)
    assert _recipients(task, "awaiting your review") == [city.office.pk]


@pytest.mark.parametrize("who", ["reviewer", "co_head", "office"])
def test_only_the_lead_units_head_reports_the_result(city, who):
    """A reviewer, a co-unit's head or the office may not report the result."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
        with pytest.raises(PermissionDenied, match="the head of the lead unit"):
            services.supervision_task_submit(actor=getattr(city, who), task=task, result="x")


def test_the_result_comes_after_progress(city):
    """A task just handed over has no result to report yet (409)."""
    with travel_to(MONDAY):
        task = task_in_state(city, "assigned")
        with pytest.raises(Conflict, match="handed over"):
            services.supervision_task_submit(actor=city.head, task=task, result="x")


# -- review ----------------------------------------------------------------------------------


def test_close_out_stops_the_clock_on_time_and_tells_the_unit(city):
    """销号: closed, the clock stopped with an on-time verdict, the head told once."""
    with travel_to(MONDAY):
        task = task_in_state(city, "submitted")
    with travel_to(d(2025, 3, 20)):
        task = services.supervision_task_close(actor=city.office, task=task, note="同意")
    assert task.state == "closed" and task.closed_on == d(2025, 3, 20)
    clock = Clock.objects.get(pk=task.clock_id)
    assert clock.state == "stopped" and clock.stopped_on == d(2025, 3, 20)
    # Reported on the day it was handed over: the review days are not the unit's.
    assert clock.warning == "none"
    assert task.events.last().data == {"late": False}
    assert _recipients(task, "closed out") == [city.head.pk]
    with travel_to(d(2025, 3, 20)), pytest.raises(Conflict, match="closed out"):
        services.supervision_task_close(actor=city.office, task=task)


def test_a_result_reported_late_is_closed_out_late(city):
    """A result reported after the due date keeps a red verdict at close-out."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
    with travel_to(RED):
        task = services.supervision_task_submit(actor=city.head, task=task, result="迟报")
        task = services.supervision_task_close(actor=city.office, task=task)
    assert Clock.objects.get(pk=task.clock_id).warning == "red"
    assert task.events.last().data == {"late": True}


def test_only_the_office_reviews(city):
    """The head may not close out or send back their own result."""
    with travel_to(MONDAY):
        task = task_in_state(city, "submitted")
        with pytest.raises(PermissionDenied):
            services.supervision_task_close(actor=city.head, task=task)
        with pytest.raises(PermissionDenied):
            services.supervision_task_send_back(actor=city.head, task=task, reason="x")


def test_a_send_back_resumes_the_clock_and_the_unit_starts_again(city):
    """退回: the reason is required; the clock resumes; progress and result follow again."""
    with travel_to(MONDAY):
        task = task_in_state(city, "submitted")
    with travel_to(d(2025, 3, 5)):
        with pytest.raises(InvalidInput, match="reason is required"):
            services.supervision_task_send_back(actor=city.office, task=task, reason="")
        task = services.supervision_task_send_back(actor=city.office, task=task, reason="缺照片")
    assert task.state == "sent_back"
    clock = Clock.objects.get(pk=task.clock_id)
    assert clock.state == "running"
    # Paused 03-03, resumed 03-05: 03-04 and 03-05 are not the unit's; due two days later.
    assert clock.due_on == d(2025, 3, 19)
    assert _recipients(task, "sent back") == [city.head.pk]
    with travel_to(d(2025, 3, 6)):
        task = services.supervision_task_report_progress(actor=city.reviewer, task=task, text="补")
        task = services.supervision_task_submit(actor=city.head, task=task, result="已补照片")
    assert task.state == "submitted"


# -- urge ------------------------------------------------------------------------------------


def test_urging_counts_and_tells_the_head_and_officer_in_site_and_by_sms(city):
    """催办: the count rises, the head and the named officer are told once on each channel."""
    with travel_to(MONDAY):
        task = new_task(city)
        task = services.supervision_task_assign(actor=city.office, task=task, officer=city.reviewer)
        task = services.supervision_task_urge(actor=city.office, task=task, text="请加快")
        task = services.supervision_task_urge(actor=city.office, task=task)
    assert task.urge_count == 2 and task.last_urged_on == MONDAY
    first = [m for m in _messages(task, "Urge (催办) no. 1")]
    assert sorted((m.recipient_id, m.channel) for m in first) == sorted(
        [
            (city.head.pk, "in_site"),
            (city.head.pk, "sms"),
            (city.reviewer.pk, "in_site"),
            (city.reviewer.pk, "sms"),
        ]
    )
    assert "请加快" in first[0].body
    events = [e for e in task.events.all() if e.action == "urge"]
    assert [e.data["urge_count"] for e in events] == [1, 2]


def test_urging_is_the_offices_and_only_while_the_unit_holds_the_task(city):
    """A head may not urge; a task awaiting review or closed is not urged (409)."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
        with pytest.raises(PermissionDenied):
            services.supervision_task_urge(actor=city.head, task=task)
        submitted = task_in_state(city, "submitted")
        with pytest.raises(Conflict, match="awaiting review"):
            services.supervision_task_urge(actor=city.office, task=submitted)
        draft = new_task(city)
        with pytest.raises(Conflict):
            services.supervision_task_urge(actor=city.office, task=draft)


# -- escalation ------------------------------------------------------------------------------


def test_the_office_escalates_with_a_reason_and_everyone_up_the_line_is_told(city):
    """升级督办: level 1; the head, the office and the parent government's head are told."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
        with pytest.raises(InvalidInput, match="reason is required"):
            services.supervision_task_escalate(actor=city.office, task=task, reason="")
        task = services.supervision_task_escalate(actor=city.office, task=task, reason="领导关注")
    assert task.escalation_level == 1 and task.escalated and task.escalated_on == MONDAY
    # Not red yet: the daily job may still escalate it once when it turns red.
    assert task.red_escalated is False
    assert _recipients(task, "Escalated") == sorted(
        [city.head.pk, city.office.pk, city.parent_head.pk]
    )
    with travel_to(MONDAY), pytest.raises(PermissionDenied):
        services.supervision_task_escalate(actor=city.head, task=task, reason="x")


def test_the_daily_job_escalates_a_red_task_once_per_red_period(city):
    """Red on 03-18: escalated once; a second run, and a run the next day, do nothing."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
    with travel_to(DUE):
        assert services.supervision_tasks_escalate_overdue() == []  # due today is on time
    with travel_to(RED):
        escalated = services.supervision_tasks_escalate_overdue()
        assert [t.pk for t in escalated] == [task.pk]
        told = len(_messages(task, "Escalated"))
        assert services.supervision_tasks_escalate_overdue() == []
    with travel_to(d(2025, 3, 19)):
        assert services.supervision_tasks_escalate_overdue() == []
    task.refresh_from_db()
    assert task.escalation_level == 1 and task.red_escalated
    assert len(_messages(task, "Escalated")) == told == 6  # 3 people × in-site and SMS
    event = task.events.get(action="escalate")
    assert event.actor is None and event.data["automatic"] and event.data["red"]
    assert event.data["due_on"] == "2025-03-17"


def test_the_job_takes_today_as_an_argument(city):
    """Called with today=…, the job judges that day without time travel."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
    with travel_to(RED):
        assert services.supervision_tasks_escalate_overdue(today=DUE) == []
        assert [t.pk for t in services.supervision_tasks_escalate_overdue(today=RED)] == [task.pk]


def test_the_office_escalating_a_red_task_counts_for_its_red_period(city):
    """After the office escalated it while red, the job leaves it alone."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
    with travel_to(RED):
        task = services.supervision_task_escalate(actor=city.office, task=task, reason="超期")
        assert task.red_escalated
        assert services.supervision_tasks_escalate_overdue() == []
    assert SupervisionTask.objects.get(pk=task.pk).escalation_level == 1


def test_tasks_awaiting_review_or_closed_are_not_escalated(city):
    """Red while the office reviews, or closed out late: the unit is not escalated."""
    with travel_to(MONDAY):
        in_review = task_in_state(city, "in_progress")
        closed = task_in_state(city, "in_progress")
    with travel_to(RED):
        services.supervision_task_submit(actor=city.head, task=in_review, result="迟报")
        services.supervision_task_submit(actor=city.head, task=closed, result="迟报")
        services.supervision_task_close(actor=city.office, task=closed)
    with travel_to(d(2025, 3, 25)):
        assert services.supervision_tasks_escalate_overdue() == []


def test_a_red_task_sent_back_stays_in_the_same_red_period(city):
    """Escalated while red, reported late, sent back still red: not escalated again."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
    with travel_to(RED):
        services.supervision_tasks_escalate_overdue()
        task = services.supervision_task_submit(actor=city.head, task=task, result="迟报")
        task = services.supervision_task_send_back(actor=city.office, task=task, reason="不全")
        assert task.red_escalated
    with travel_to(d(2025, 3, 20)):
        assert services.supervision_tasks_escalate_overdue() == []


def test_a_mark_left_after_the_red_period_ended_is_cleared_by_the_job(city):
    """When a clock is no longer red (a calendar correction moved its due date), the job clears
    the mark, so the task escalates again if it turns red later."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
    # The state a correction leaves behind: marked, but the clock is not red any more.
    SupervisionTask.objects.filter(pk=task.pk).update(red_escalated=True)
    with travel_to(DUE):
        assert services.supervision_tasks_escalate_overdue() == []
    assert SupervisionTask.objects.get(pk=task.pk).red_escalated is False
    assert AuditEvent.objects.filter(action="supervision.tasks_red_period_over").exists()
    with travel_to(RED):
        assert [t.pk for t in services.supervision_tasks_escalate_overdue()] == [task.pk]


def test_only_the_office_runs_the_job_on_demand(city):
    """The scheduler runs it without an actor; a person asking must be the office."""
    with travel_to(MONDAY), pytest.raises(PermissionDenied):
        services.supervision_tasks_escalate_overdue(actor=city.head)
    with travel_to(MONDAY):
        assert services.supervision_tasks_escalate_overdue(actor=city.office) == []


# -- the ledger ------------------------------------------------------------------------------


def test_an_item_from_the_ledger_is_recorded_closed_with_its_real_dates(city):
    """补录: closed, clock started and stopped on the real days, late or not, one event."""
    with travel_to(MONDAY):
        late = services.supervision_task_record_closed(
            actor=city.office,
            title="2018年督查事项",
            source="wenzheng",
            category="assessment",
            limit_days=5,
            lead_unit=city.unit,
            created_on=d(2018, 3, 1),
            closed_on=d(2018, 3, 20),
            result="已办结",
        )
    assert late.number == "DB20180001" and late.state == "closed"
    assert (late.created_on, late.closed_on) == (d(2018, 3, 1), d(2018, 3, 20))
    clock = Clock.objects.get(pk=late.clock_id)
    assert (clock.started_on, clock.due_on, clock.stopped_on) == (
        d(2018, 3, 1),
        d(2018, 3, 8),
        d(2018, 3, 20),
    )
    assert clock.warning == "red"
    event = late.events.get()
    assert event.action == "record" and event.data["late"] is True
    assert event.data["entered_on"] == "2025-03-03"


def test_the_ledger_is_the_offices_and_its_days_are_checked(city):
    """Only the office records; closed before created, or in the future, is refused."""
    values = {
        "title": "x",
        "source": "wenzheng",
        "limit_days": 5,
        "lead_unit": city.unit,
        "result": "已办结",
    }
    with travel_to(MONDAY):
        with pytest.raises(PermissionDenied):
            services.supervision_task_record_closed(
                actor=city.head, created_on=d(2018, 3, 1), closed_on=d(2018, 3, 2), **values
            )
        with pytest.raises(InvalidInput, match="before the previous step"):
            services.supervision_task_record_closed(
                actor=city.office, created_on=d(2018, 3, 5), closed_on=d(2018, 3, 2), **values
            )
        with pytest.raises(InvalidInput, match="future"):
            services.supervision_task_record_closed(
                actor=city.office, created_on=d(2025, 3, 1), closed_on=d(2025, 3, 4), **values
            )
        with pytest.raises(InvalidInput, match="result is required"):
            services.supervision_task_record_closed(
                actor=city.office,
                created_on=d(2018, 3, 1),
                closed_on=d(2018, 3, 2),
                **{**values, "result": ""},
            )
    assert not SupervisionTask.objects.exists()


# -- the trail -------------------------------------------------------------------------------


def test_every_step_leaves_an_event_and_an_audit_event(city):
    """The whole life, created to closed, is in the history and the audit trail, in order."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
        services.supervision_task_urge(actor=city.office, task=task)
        services.supervision_task_escalate(actor=city.office, task=task, reason="关注")
        task = services.supervision_task_submit(actor=city.head, task=task, result="结果")
        task = services.supervision_task_send_back(actor=city.office, task=task, reason="不全")
        task = services.supervision_task_submit(actor=city.head, task=task, result="结果2")
        task = services.supervision_task_close(actor=city.office, task=task)
    steps = [
        (e.action, e.from_state, e.to_state)
        for e in SupervisionTaskEvent.objects.filter(task=task).order_by("at", "id")
    ]
    assert steps == [
        ("create", "", "created"),
        ("assign", "created", "assigned"),
        ("progress", "assigned", "in_progress"),
        ("urge", "in_progress", "in_progress"),
        ("escalate", "in_progress", "in_progress"),
        ("submit", "in_progress", "submitted"),
        ("send_back", "submitted", "sent_back"),
        ("submit", "sent_back", "submitted"),
        ("close", "submitted", "closed"),
    ]
    audited = list(
        AuditEvent.objects.filter(target_id=str(task.pk), action__startswith="supervision.task_")
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert audited == [f"supervision.task_{a}" for a, _f, _t in steps]


def test_the_callers_instance_shows_the_new_state(city):
    """The object handed to a service is updated in place, co-units included."""
    with travel_to(MONDAY):
        task = new_task(city, co_units=[])
        list(task.co_units.all())
        services.supervision_task_assign(actor=city.office, task=task, co_units=[city.other])
    assert task.state == "assigned" and task.clock_id is not None
    assert [u.pk for u in task.co_units.all()] == [city.other.pk]
