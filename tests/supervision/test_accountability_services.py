"""The services of accountability cases (问责, issue 4 part 3): opened from a task or an
overdue item, investigated, findings, proposal, decision; the unit reads and may make a
statement; every entry in the history; the decision told once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.utils import translation

from tests.clocks.conftest import travel_to
from tests.clocks.factories import start_test_clock
from tests.supervision.factories import case_in_state, make_city, new_task, open_case, task_in_state
from xiaoneng.clocks.services import clock_stop
from xiaoneng.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from xiaoneng.core.models import AuditEvent
from xiaoneng.notifications.models import Message
from xiaoneng.supervision.models import AccountabilityCase, AccountabilityEntry
from xiaoneng.supervision.services import accountability as services

pytestmark = pytest.mark.django_db

d = dt.date
MONDAY = d(2025, 3, 3)


@pytest.fixture(autouse=True)
def _english(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Messages, and the notices written in the site's language, in English, so assertions on
    wording do not depend on compiled catalogues."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def city(db):  # type: ignore[no-untyped-def]
    """A parent government, a lead unit, a co-unit, another unit, the office, a citizen."""
    return make_city()


def _case_messages(case: AccountabilityCase, part: str) -> list[Message]:
    return [
        m
        for m in Message.objects.filter(
            object_id=str(case.pk), content_type__model="accountabilitycase"
        )
        if part in m.subject
    ]


# -- opening ---------------------------------------------------------------------------------


def test_the_office_opens_a_case_from_a_task_against_its_lead_unit(city):
    """From a task: numbered WZ…, the lead unit answers, its heads are told once."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
        case = open_case(city, task=task)
    assert case.number == "WZ20250001"
    assert case.state == "opened" and case.task == task and case.clock is None
    assert case.responsible_unit == city.unit and case.title == task.title
    entry = case.entries.get()
    assert (entry.kind, entry.to_state, entry.actor) == ("open", "opened", city.office)
    assert [m.recipient_id for m in _case_messages(case, "opened")] == [city.head.pk]


def test_a_case_from_an_overdue_item_answers_to_the_clocks_department(city):
    """From a red clock (an overdue application, ticket…): its department is responsible."""
    with travel_to(MONDAY):
        clock = start_test_clock(started_on=MONDAY, limit_days=3, department=city.other)
    with travel_to(d(2025, 3, 7)):
        case = services.accountability_case_open(
            actor=city.office, clock=clock, reason="超时未办结"
        )
    assert case.clock == clock and case.task is None
    assert case.responsible_unit == city.other


def test_an_item_that_is_not_overdue_does_not_open_a_case(city):
    """A clock still on time is refused, naming its due date."""
    with travel_to(MONDAY):
        clock = start_test_clock(started_on=MONDAY, limit_days=3, department=city.other)
        with pytest.raises(InvalidInput, match="is not overdue"):
            services.accountability_case_open(actor=city.office, clock=clock, reason="x")


def test_a_clock_concluded_late_opens_a_case(city):
    """A stopped clock with a red verdict (concluded late) is an overdue item."""
    with travel_to(MONDAY):
        clock = start_test_clock(started_on=MONDAY, limit_days=1, department=city.unit)
    with travel_to(d(2025, 3, 10)):
        clock = clock_stop(actor=None, clock=clock, on=d(2025, 3, 10))
        case = services.accountability_case_open(actor=city.office, clock=clock, reason="迟办")
    assert case.responsible_unit == city.unit


def test_opening_needs_an_origin_a_reason_and_the_office(city):
    """No task and no clock, no reason, a task not handed over, or a unit: refused."""
    with travel_to(MONDAY):
        task = task_in_state(city, "in_progress")
        with pytest.raises(InvalidInput, match="neither was given"):
            services.accountability_case_open(actor=city.office, reason="x")
        with pytest.raises(InvalidInput, match="reason is required"):
            services.accountability_case_open(actor=city.office, task=task, reason=" ")
        with pytest.raises(InvalidInput, match="not handed over"):
            services.accountability_case_open(actor=city.office, task=new_task(city), reason="x")
        for who in (city.head, city.parent_head, city.citizen):
            with pytest.raises(PermissionDenied):
                services.accountability_case_open(actor=who, task=task, reason="x")
    assert not AccountabilityCase.objects.exists()


def test_the_office_may_name_another_responsible_unit_and_a_past_day(city):
    """The unit found answerable may differ from the lead unit; the day may be past."""
    with travel_to(d(2025, 3, 10)):
        task = task_in_state(city, "in_progress", assigned_on=MONDAY)
        case = open_case(city, task=task, responsible_unit=city.co_unit, on=d(2025, 3, 5))
        with pytest.raises(InvalidInput, match="before the previous step"):
            open_case(city, task=task, on=d(2025, 2, 1))
    assert case.responsible_unit == city.co_unit and case.opened_on == d(2025, 3, 5)


# -- the steps -------------------------------------------------------------------------------


def test_a_case_goes_from_investigation_to_a_decision_with_its_full_history(city):
    """Two records, findings, a proposal and the decision; each an entry and an audit event."""
    with travel_to(MONDAY):
        case = open_case(city)
        case = services.accountability_case_investigate(
            actor=city.office, case=case, text="询问了项目负责人"
        )
        case = services.accountability_case_investigate(
            actor=city.office, case=case, text="调取了监理日志"
        )
        case = services.accountability_case_record_findings(
            actor=city.office,
            case=case,
            findings="监管科未按期督促复工",
            person=city.reviewer,
            person_position="监管科科长",
        )
        case = services.accountability_case_propose(
            actor=city.office, case=case, handling="admonishment", text="建议诫勉谈话"
        )
        case = services.accountability_case_decide(
            actor=city.office, case=case, decision="circulated_criticism", text="通报批评"
        )
    assert case.state == "decided" and case.decided_on == MONDAY and case.decided_by == city.office
    assert case.findings == "监管科未按期督促复工"
    assert case.responsible_person == city.reviewer
    assert case.responsible_person_name == str(city.reviewer)
    assert (case.proposed_handling, case.decision) == ("admonishment", "circulated_criticism")
    history = [
        (e.kind, e.from_state, e.to_state, e.handling)
        for e in AccountabilityEntry.objects.filter(case=case).order_by("at", "id")
    ]
    assert history == [
        ("open", "", "opened", ""),
        ("investigate", "opened", "investigating", ""),
        ("investigate", "investigating", "investigating", ""),
        ("record_findings", "investigating", "findings_recorded", ""),
        ("propose", "findings_recorded", "handling_proposed", "admonishment"),
        ("decide", "handling_proposed", "decided", "circulated_criticism"),
    ]
    assert case.entries.last().data == {"as_proposed": False}
    audited = AuditEvent.objects.filter(
        target_id=str(case.pk), action__startswith="supervision.case_"
    )
    assert audited.count() == 6


def test_the_decision_is_told_to_the_units_heads_once(city):
    """处理决定: the unit's head gets one message (the person found has no account here)."""
    with travel_to(MONDAY):
        case = case_in_state(city, "handling_proposed")
        case = services.accountability_case_decide(
            actor=city.office, case=case, decision="interview", text="约谈"
        )
    told = sorted(m.recipient_id for m in _case_messages(case, "decided"))
    assert told == [city.head.pk]


def test_the_decision_reaches_a_responsible_person_with_an_account(city):
    """A responsible person found by account is told of the decision."""
    with travel_to(MONDAY):
        case = case_in_state(city, "investigating")
        case = services.accountability_case_record_findings(
            actor=city.office, case=case, findings="事实", person=city.reviewer
        )
        case = services.accountability_case_propose(
            actor=city.office, case=case, handling="interview", text="约谈"
        )
        case = services.accountability_case_decide(
            actor=city.office, case=case, decision="interview", text="约谈"
        )
    told = sorted(m.recipient_id for m in _case_messages(case, "decided"))
    assert told == sorted([city.head.pk, city.reviewer.pk])


def test_steps_out_of_order_and_after_the_decision_are_conflicts(city):
    """Findings before investigation, a decision before a proposal, anything after deciding."""
    with travel_to(MONDAY):
        case = open_case(city)
        with pytest.raises(Conflict):
            services.accountability_case_record_findings(
                actor=city.office, case=case, findings="x", person_name="王某"
            )
        case = services.accountability_case_investigate(actor=city.office, case=case, text="x")
        with pytest.raises(Conflict):
            services.accountability_case_decide(
                actor=city.office, case=case, decision="interview", text="x"
            )
        decided = case_in_state(city, "decided")
        with pytest.raises(Conflict, match="decided"):
            services.accountability_case_propose(
                actor=city.office, case=decided, handling="interview", text="x"
            )


def test_findings_need_a_responsible_person_of_the_unit(city):
    """No name and no account is refused; an account outside the unit is refused."""
    with travel_to(MONDAY):
        case = case_in_state(city, "investigating")
        with pytest.raises(InvalidInput, match="Name the responsible person"):
            services.accountability_case_record_findings(actor=city.office, case=case, findings="x")
        with pytest.raises(InvalidInput, match="must be staff of"):
            services.accountability_case_record_findings(
                actor=city.office, case=case, findings="x", person=city.other_head
            )


def test_findings_may_move_the_case_to_the_unit_found_responsible(city):
    """The unit found responsible sees the case from then on; the first unit no longer does."""
    with travel_to(MONDAY):
        case = case_in_state(city, "investigating")
        case = services.accountability_case_record_findings(
            actor=city.office,
            case=case,
            findings="实为协办单位未提供测绘成果",
            person_name="李某",
            responsible_unit=city.co_unit,
        )
    assert case.responsible_unit == city.co_unit
    assert case.entries.last().data["previous_unit"] == city.unit.pk
    with travel_to(MONDAY), pytest.raises(NotFound):
        services.accountability_case_add_statement(actor=city.head, case=case, text="x")


def test_unknown_handling_is_refused(city):
    """A handling that is not one of the kinds is refused with the list."""
    with travel_to(MONDAY):
        case = case_in_state(city, "findings_recorded")
        with pytest.raises(InvalidInput, match="A handling is one of"):
            services.accountability_case_propose(
                actor=city.office, case=case, handling="x", text="y"
            )


# -- who may do what -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["head", "reviewer", "window"])
def test_the_unit_reads_but_does_not_write_the_case(city, who):
    """Staff of the responsible unit may not investigate, find, propose or decide (403)."""
    with travel_to(MONDAY):
        case = case_in_state(city, "investigating")
        actor = getattr(city, who)
        for call, kwargs in [
            (services.accountability_case_investigate, {"text": "x"}),
            (services.accountability_case_record_findings, {"findings": "x", "person_name": "y"}),
            (services.accountability_case_propose, {"handling": "interview", "text": "x"}),
            (services.accountability_case_decide, {"decision": "interview", "text": "x"}),
        ]:
            with pytest.raises(PermissionDenied, match="efficiency office"):
                call(actor=actor, case=case, **kwargs)


@pytest.mark.parametrize("who", ["other_head", "co_head", "parent_head", "citizen"])
def test_others_do_not_see_the_case(city, who):
    """Another unit, the co-unit, the parent government and citizens get NotFound."""
    with travel_to(MONDAY):
        case = case_in_state(city, "investigating")
        with pytest.raises(NotFound):
            services.accountability_case_add_statement(
                actor=getattr(city, who), case=case, text="x"
            )
        with pytest.raises(NotFound):
            services.accountability_case_investigate(actor=getattr(city, who), case=case, text="x")


def test_the_units_head_makes_a_statement_before_the_decision(city):
    """申辩: the head's statement joins the history, the state stays, the office is told."""
    with travel_to(MONDAY):
        case = case_in_state(city, "findings_recorded")
        case = services.accountability_case_add_statement(
            actor=city.head, case=case, text="超期系协办单位原因"
        )
        with pytest.raises(PermissionDenied, match="a head of the responsible unit"):
            services.accountability_case_add_statement(actor=city.reviewer, case=case, text="x")
        with pytest.raises(PermissionDenied, match="a head of the responsible unit"):
            services.accountability_case_add_statement(actor=city.office, case=case, text="x")
    assert case.state == "findings_recorded"
    entry = case.entries.last()
    assert (entry.kind, entry.actor, entry.text) == ("statement", city.head, "超期系协办单位原因")
    assert [m.recipient_id for m in _case_messages(case, "Statement")] == [city.office.pk]
    with travel_to(MONDAY):
        decided = case_in_state(city, "decided")
        with pytest.raises(Conflict):
            services.accountability_case_add_statement(actor=city.head, case=decided, text="晚了")
