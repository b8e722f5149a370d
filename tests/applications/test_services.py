"""The application services: every transition, clocks per DOMAIN_RULES.md §2, materials per §4.

Issue 3, sections 2, 3 and 5. Dates are fixed with time_machine: the clock services refuse
future dates, so each action happens on its own day.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.applications.conftest import travel_to
from tests.applications.factories import (
    DepartmentFactory,
    MaterialDataFactory,
    UserFactory,
    instant_matter,
    pdf_bytes,
    people,
    promised_matter,
    submit,
)
from tests.catalog.factories import CertificateDataFactory
from xiaoneng.accounts.models import Role
from xiaoneng.applications import rules, selectors, services
from xiaoneng.applications.models import Application, ApplicationEvent
from xiaoneng.calendars.selectors import workday_calendar
from xiaoneng.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from xiaoneng.core.models import AuditEvent
from xiaoneng.notifications.models import Message

pytestmark = pytest.mark.django_db

MON = dt.date(2025, 3, 3)


@pytest.fixture
def dept():
    return DepartmentFactory()


@pytest.fixture
def cast(dept):
    """citizen, window, reviewer, head of one department."""
    return people(dept)


@pytest.fixture
def matter(dept):
    return promised_matter(dept)


def _actions(application: Application) -> list[str]:
    return list(application.events.order_by("at", "id").values_list("action", flat=True))


def _accepted(cast, matter, day=MON):
    citizen, window, *_ = cast
    with travel_to(day):
        application = submit(citizen, matter)
        services.application_accept(actor=window, application=application)
    return application


# -- submission ------------------------------------------------------------------------------


def test_submit_records_snapshot_number_and_receipt(cast, matter):
    """A submission keeps the version in force, a day-serial number and the day of receipt."""
    citizen = cast[0]
    with travel_to(MON):
        application = submit(citizen, matter, complete=False)
    assert application.status == "submitted"
    assert application.number == "SQ2025030300001"
    assert application.matter_version_id == matter.current_version_id
    assert application.department_id == matter.current_version.department_id
    assert application.received_on == MON
    assert application.applicant_code == citizen.id_number
    assert _actions(application) == ["submit"]
    with travel_to(MON):
        second = submit(citizen, matter, complete=False)
    assert second.number == "SQ2025030300002"


def test_receipt_on_a_rest_day_stores_the_calendar_day(cast, matter):
    """A Saturday submission stores Saturday; the 5-day window counts from Monday."""
    with travel_to(dt.date(2025, 3, 1)):
        application = submit(cast[0], matter, complete=False)
    assert application.received_on == dt.date(2025, 3, 1)
    assert selectors.supplement_deadline_of(application) == dt.date(2025, 3, 10)


def test_retried_submission_with_the_same_key_returns_the_first(cast, matter):
    """The same Idempotency-Key and body by the same applicant gives back the first one."""
    citizen = cast[0]
    first = services.application_submit(
        actor=citizen, matter=matter, form={"a": 1}, idempotency_key="k-1"
    )
    again = services.application_submit(
        actor=citizen, matter=matter.code, form={"a": 1}, idempotency_key="k-1"
    )
    assert again.pk == first.pk
    assert again.idempotent_replay is True
    assert first.idempotent_replay is False
    assert Application.objects.count() == 1


def test_same_key_with_a_different_body_is_a_conflict(cast, matter):
    """A reused key with another form is refused with a message naming the first number."""
    citizen = cast[0]
    first = services.application_submit(
        actor=citizen, matter=matter, form={"a": 1}, idempotency_key="k-2"
    )
    with pytest.raises(Conflict, match=first.number):
        services.application_submit(
            actor=citizen, matter=matter, form={"a": 2}, idempotency_key="k-2"
        )


def test_keys_are_per_applicant(cast, matter):
    """Two applicants may use the same key: each gets their own application."""
    other = UserFactory(role=Role.CITIZEN)
    a = services.application_submit(actor=cast[0], matter=matter, idempotency_key="same")
    b = services.application_submit(actor=other, matter=matter, idempotency_key="same")
    assert a.pk != b.pk


def test_staff_cannot_submit_as_applicants(cast, matter):
    """Window officers register walk-ins instead; a plain submit by staff is 403."""
    with pytest.raises(PermissionDenied):
        services.application_submit(actor=cast[1], matter=matter)


def test_offline_matter_cannot_be_applied_for_online(cast, dept):
    """A matter that is not online is refused online with a message saying so."""
    offline = promised_matter(
        dept, online=False, handling_forms=["window"], online_depth=[], visits=1
    )
    with pytest.raises(InvalidInput, match="online"):
        services.application_submit(actor=cast[0], matter=offline)


def test_unknown_matter_is_not_found(cast):
    """A code that names no matter in use answers 404."""
    with pytest.raises(NotFound):
        services.application_submit(actor=cast[0], matter="NO-SUCH-MATTER")


def test_applicant_without_identity_number_cannot_apply(matter):
    """Applications are real-name: an account without an ID number or credit code is refused."""
    anonymous = UserFactory(role=Role.CITIZEN, id_number="")
    with pytest.raises(InvalidInput, match="ID number"):
        services.application_submit(actor=anonymous, matter=matter)


def test_form_must_be_an_object(cast, matter):
    """A form that is not a JSON object is a 400 naming the type received."""
    with pytest.raises(InvalidInput, match="list"):
        services.application_submit(actor=cast[0], matter=matter, form=[1, 2])  # type: ignore[arg-type]


# -- acceptance and clocks -------------------------------------------------------------------


def test_accept_starts_both_clocks_due_per_section_2(cast, matter):
    """Accepted 2025-03-03 with 20 working days: both clocks due 2025-03-31."""
    application = _accepted(cast, matter)
    assert application.status == "accepted"
    assert application.accepted_on == MON
    assert application.promised_clock.due_on == dt.date(2025, 3, 31)
    assert application.legal_clock.due_on == dt.date(2025, 3, 31)
    assert application.promised_clock.kind == "application.promised"
    assert application.legal_clock.kind == "application.legal"
    assert application.promised_clock.department_id == application.department_id


def test_pause_and_resume_move_the_due_date(cast, matter):
    """Paused 2025-03-05 for expert review, resumed 2025-03-12: due 2025-04-08 (§2)."""
    reviewer = cast[2]
    application = _accepted(cast, matter)
    with travel_to(dt.date(2025, 3, 5)):
        services.application_pause(
            actor=reviewer, application=application, kind="expert_review", reason="专家评审"
        )
    assert application.status == "paused"
    assert application.promised_clock.state == "paused"
    assert application.legal_clock.state == "paused"
    with travel_to(dt.date(2025, 3, 12)):
        services.application_resume(actor=reviewer, application=application)
    assert application.status == "accepted"
    assert application.promised_clock.due_on == dt.date(2025, 4, 8)
    assert application.legal_clock.due_on == dt.date(2025, 4, 8)


def test_extension_by_the_head_adds_working_days_and_tells_the_applicant(cast, matter):
    """The head extends by 10 with a reason: both due dates +10 working days; notice sent."""
    citizen, _w, reviewer, head = cast
    application = _accepted(cast, matter)
    with travel_to(dt.date(2025, 3, 5)):
        services.application_pause(
            actor=reviewer, application=application, kind="expert_review", reason="专家评审"
        )
    with travel_to(dt.date(2025, 3, 12)):
        services.application_resume(actor=reviewer, application=application)
    with travel_to(dt.date(2025, 3, 13)):
        services.application_extend(
            actor=head, application=application, days=10, reason="需要现场核查"
        )
    expected = workday_calendar().add_workdays(dt.date(2025, 4, 8), 10)
    assert expected == dt.date(2025, 4, 22)
    assert application.promised_clock.due_on == expected
    assert application.legal_clock.due_on == expected
    assert application.promised_clock.extension_days == 10
    notice = Message.objects.filter(recipient=citizen, body__contains="需要现场核查")
    assert notice.exists()
    event = application.events.get(action="extend")
    assert event.reason == "需要现场核查"
    assert event.actor_id == head.pk


def test_extension_is_for_the_head_only(cast, matter):
    """A reviewer of the department asking to extend gets 403, the state being right."""
    application = _accepted(cast, matter)
    with travel_to(MON), pytest.raises(PermissionDenied, match="head"):
        services.application_extend(actor=cast[2], application=application, days=5, reason="x")


def test_extension_needs_a_reason_and_stays_within_the_allowance(cast, matter):
    """No reason → 400; more than the version's allowance (10) → 400."""
    head = cast[3]
    application = _accepted(cast, matter)
    with travel_to(MON):
        with pytest.raises(InvalidInput, match="reason"):
            services.application_extend(actor=head, application=application, days=5, reason="")
        with pytest.raises(InvalidInput, match="1 to 10"):
            services.application_extend(actor=head, application=application, days=11, reason="x")
        services.application_extend(actor=head, application=application, days=10, reason="x")
        with pytest.raises(Conflict):
            services.application_extend(actor=head, application=application, days=1, reason="y")


def test_late_promised_clock_is_not_extended_but_the_legal_one_is(cast, dept):
    """Past the promised limit the head may still extend the legal limit (Art. 42)."""
    matter = promised_matter(dept, legal_limit_days=20, promised_limit_days=5)
    application = _accepted(cast, matter)
    with travel_to(dt.date(2025, 3, 20)):
        services.application_extend(actor=cast[3], application=application, days=10, reason="x")
    assert application.legal_clock.extension_days == 10
    assert application.promised_clock.extension_days == 0
    data = application.events.get(action="extend").data
    assert data["extended"] == ["application.legal"]
    assert "application.promised" in data["refused"]


def test_pause_needs_an_art_45_kind_and_a_reason(cast, matter):
    """An unknown special procedure or an empty reason is refused with 400."""
    application = _accepted(cast, matter)
    with travel_to(MON):
        with pytest.raises(InvalidInput, match="expert_review"):
            services.application_pause(
                actor=cast[2], application=application, kind="lunch", reason="x"
            )
        with pytest.raises(InvalidInput):
            services.application_pause(
                actor=cast[2], application=application, kind="testing", reason=" "
            )


def test_decide_conclude_deliver(cast, matter):
    """Approve issues the e-license; conclude stops both clocks; deliver records the method."""
    citizen, window, reviewer, _head = cast
    application = _accepted(cast, matter)
    with travel_to(dt.date(2025, 3, 10)):
        services.application_approve(actor=reviewer, application=application)
        services.application_conclude(actor=reviewer, application=application)
        services.application_deliver(actor=window, application=application, method="e_license")
    assert application.status == "delivered"
    assert application.decision == "approved"
    assert application.decided_on == dt.date(2025, 3, 10)
    assert application.concluded_on == dt.date(2025, 3, 10)
    assert application.delivery_method == "e_license"
    application.promised_clock.refresh_from_db()
    assert application.promised_clock.state == "stopped"
    assert application.promised_clock.stopped_on == dt.date(2025, 3, 10)
    license = selectors.application_license(application)
    assert license is not None
    assert license["verify_url"].endswith(f"/licenses/verify/{license['identifier']}/")
    from xiaoneng.licenses.selectors import license_for_source

    issued = license_for_source(source=application)
    assert issued.holder_user_id == citizen.pk
    assert issued.holder_code == citizen.id_number
    assert issued.license_type_name == "测试许可证"
    assert issued.department_id == application.department_id
    assert _actions(application)[-4:] == ["accept", "approve", "conclude", "deliver"]


def test_deny_needs_a_reason_and_concludes(cast, matter):
    """A denial without a reason is 400; with one it is recorded and told, then concluded."""
    citizen, _w, reviewer, _h = cast
    application = _accepted(cast, matter)
    with travel_to(dt.date(2025, 3, 4)):
        with pytest.raises(InvalidInput):
            services.application_deny(actor=reviewer, application=application, reason="")
        services.application_deny(actor=reviewer, application=application, reason="不符合条件")
        services.application_conclude(actor=reviewer, application=application)
    assert application.decision == "denied"
    assert application.decision_reason == "不符合条件"
    assert application.status == "concluded"
    assert selectors.application_license(application) is None
    assert Message.objects.filter(recipient=citizen, body__contains="不符合条件").exists()
    with travel_to(dt.date(2025, 3, 4)), pytest.raises(InvalidInput, match="e-license"):
        services.application_deliver(actor=cast[1], application=application, method="e_license")


def test_deliver_needs_a_known_method(cast, matter):
    """An unknown delivery method is 400 listing the methods."""
    application = _accepted(cast, matter)
    with travel_to(MON):
        services.application_approve(actor=cast[2], application=application)
        services.application_conclude(actor=cast[2], application=application)
        with pytest.raises(InvalidInput, match="pickup"):
            services.application_deliver(actor=cast[1], application=application, method="pigeon")


@pytest.mark.parametrize(
    ("status_path", "action"),
    [
        ([], "approve"),
        ([], "conclude"),
        ([], "pause"),
        ([], "supplement"),
        (["accept"], "accept"),
        (["accept"], "request-supplement"),
        (["accept"], "deliver"),
        (["accept", "approve"], "deny"),
        (["accept", "approve", "conclude"], "approve"),
    ],
)
def test_actions_not_allowed_now_are_409_naming_status_and_action(
    cast, matter, status_path, action
):
    """Anything not in the table answers Conflict with the current status and the action."""
    citizen, window, reviewer, _head = cast
    with travel_to(MON):
        application = submit(citizen, matter)
        doers = {"accept": window, "approve": reviewer, "conclude": reviewer}
        for step in status_path:
            services.__dict__[f"application_{step}"](actor=doers[step], application=application)
        call = {
            "approve": lambda: services.application_approve(
                actor=reviewer, application=application
            ),
            "conclude": lambda: services.application_conclude(
                actor=reviewer, application=application
            ),
            "pause": lambda: services.application_pause(
                actor=reviewer, application=application, kind="testing", reason="x"
            ),
            "supplement": lambda: services.application_supplement(
                actor=citizen, application=application
            ),
            "accept": lambda: services.application_accept(actor=window, application=application),
            "request-supplement": lambda: services.application_request_supplement(
                actor=window, application=application, reason="x"
            ),
            "deliver": lambda: services.application_deliver(
                actor=window, application=application, method="pickup"
            ),
            "deny": lambda: services.application_deny(
                actor=reviewer, application=application, reason="x"
            ),
        }[action]
        with pytest.raises(Conflict) as caught:
            call()
    assert caught.value.details["status"] == application.status
    assert caught.value.details["action"] == action
    assert "cannot" in caught.value.message


def test_acceptance_refused_while_needed_materials_are_missing(cast, matter):
    """Accepting with a required material missing is 409 naming the material."""
    citizen, window, *_ = cast
    with travel_to(MON):
        application = submit(citizen, matter, complete=False)
        with pytest.raises(Conflict, match="身份证明"):
            services.application_accept(actor=window, application=application)


# -- roles -----------------------------------------------------------------------------------


def test_applicant_cannot_act_as_staff(cast, matter):
    """The applicant sees their application but accepting it is 403."""
    citizen = cast[0]
    with travel_to(MON):
        application = submit(citizen, matter)
        with pytest.raises(PermissionDenied):
            services.application_accept(actor=citizen, application=application)


def test_window_officer_cannot_decide(cast, matter):
    """A window officer approving is 403: deciding is for reviewers and heads."""
    application = _accepted(cast, matter)
    with travel_to(MON), pytest.raises(PermissionDenied, match="reviewer"):
        services.application_approve(actor=cast[1], application=application)


def test_staff_of_another_department_get_not_found(cast, matter):
    """A reviewer of another department acting on the application gets 404, as if absent."""
    stranger = UserFactory(role=Role.REVIEWER, department=DepartmentFactory())
    application = _accepted(cast, matter)
    with travel_to(MON), pytest.raises(NotFound):
        services.application_approve(actor=stranger, application=application)


def test_another_applicant_gets_not_found(cast, matter, dept):
    """Another citizen supplementing someone else's application gets 404."""
    with travel_to(MON):
        application = submit(cast[0], matter, complete=False)
        services.application_request_supplement(
            actor=cast[1], application=application, reason="缺材料"
        )
        with pytest.raises(NotFound):
            services.application_supplement(
                actor=UserFactory(role=Role.CITIZEN), application=application
            )


def test_office_sees_but_cannot_act(cast, matter):
    """The efficiency office reads every application but any action is 403."""
    office = UserFactory(role=Role.OFFICE)
    application = _accepted(cast, matter)
    assert selectors.application_for_user(office, application.pk) == application
    with travel_to(MON), pytest.raises(PermissionDenied):
        services.application_approve(actor=office, application=application)


# -- supplement and Art. 32(4) ---------------------------------------------------------------


def test_supplement_request_lists_everything_once(cast, matter):
    """One notice lists every missing material; the applicant is told; a second is refused."""
    citizen, window, *_ = cast
    with travel_to(MON):
        application = submit(citizen, matter, complete=False)
        services.application_request_supplement(
            actor=window, application=application, reason="材料不全", items=["申请表缺签字"]
        )
    assert application.status == "supplement_requested"
    names = [m["name"] for m in application.supplement_notice["materials"]]
    assert names == ["申请表", "身份证明"]
    assert application.supplement_notice["items"] == ["申请表缺签字"]
    body = Message.objects.filter(recipient=citizen, channel="in_site").latest("id").body
    assert "申请表" in body
    assert "身份证明" in body
    assert "申请表缺签字" in body
    with travel_to(dt.date(2025, 3, 4)):
        services.application_upload_material(
            actor=citizen,
            application=application,
            file=io.BytesIO(pdf_bytes()),
            name="a.pdf",
            material=application.supplement_notice["materials"][0]["id"],
        )
        with pytest.raises(InvalidInput, match="身份证明"):
            services.application_supplement(actor=citizen, application=application)
        services.application_upload_material(
            actor=citizen,
            application=application,
            file=io.BytesIO(pdf_bytes()),
            name="b.pdf",
            material=application.supplement_notice["materials"][1]["id"],
        )
        services.application_supplement(actor=citizen, application=application)
    assert application.status == "submitted"
    assert application.received_on == dt.date(2025, 3, 4)
    with travel_to(dt.date(2025, 3, 4)), pytest.raises(Conflict, match="already told once"):
        services.application_request_supplement(actor=window, application=application, reason="x")


def test_supplement_request_on_the_fifth_working_day_is_allowed(cast, matter):
    """Received Monday 2025-03-03: a notice on Monday 2025-03-10 is still in time."""
    with travel_to(MON):
        application = submit(cast[0], matter, complete=False)
    with travel_to(dt.date(2025, 3, 10)):
        services.application_request_supplement(
            actor=cast[1], application=application, reason="材料不全"
        )
    assert application.status == "supplement_requested"


def test_supplement_request_after_five_working_days_is_refused(cast, matter):
    """On 2025-03-11 it is too late: 409 saying the application counts as accepted (Art. 32(4))."""
    with travel_to(MON):
        application = submit(cast[0], matter, complete=False)
    with travel_to(dt.date(2025, 3, 11)), pytest.raises(Conflict, match="32\\(4\\)"):
        services.application_request_supplement(
            actor=cast[1], application=application, reason="材料不全"
        )


def test_supplement_request_needs_a_reason(cast, matter):
    """A notice without a reason is 400."""
    with travel_to(MON):
        application = submit(cast[0], matter, complete=False)
        with pytest.raises(InvalidInput):
            services.application_request_supplement(
                actor=cast[1], application=application, reason=""
            )


def test_late_acceptance_counts_from_the_day_of_receipt(cast, matter):
    """Accepted on 2025-03-12 by hand after the window: accepted_on is the day of receipt."""
    citizen, window, *_ = cast
    with travel_to(MON):
        application = submit(citizen, matter)
    with travel_to(dt.date(2025, 3, 12)):
        services.application_accept(actor=window, application=application)
    assert application.accepted_on == MON
    assert application.promised_clock.started_on == MON
    assert application.promised_clock.due_on == dt.date(2025, 3, 31)
    assert application.events.get(action="accept").data["deemed"] is True


def test_accept_overdue_accepts_on_the_day_of_receipt(cast, matter):
    """The daily task accepts what waited past 5 working days, as of the day of receipt."""
    citizen = cast[0]
    with travel_to(MON):
        late = submit(citizen, matter, complete=False)
    with travel_to(dt.date(2025, 3, 5)):
        recent = submit(citizen, matter, complete=False)
    with travel_to(dt.date(2025, 3, 11)):
        done = services.applications_accept_overdue()
    assert [a.pk for a in done] == [late.pk]
    late.refresh_from_db()
    recent.refresh_from_db()
    assert late.status == "accepted"
    assert late.accepted_on == MON
    assert late.promised_clock.due_on == dt.date(2025, 3, 31)
    assert recent.status == "submitted"
    event = late.events.get(action="deem-accepted")
    assert event.actor is None
    assert AuditEvent.objects.filter(
        action="applications.application_deem_accepted", target_id=str(late.pk)
    ).exists()


def test_accept_overdue_command(cast, matter):
    """`xiaoneng applications accept-overdue --today` prints each number and a total."""
    with travel_to(MON):
        late = submit(cast[0], matter, complete=False)
    out = io.StringIO()
    with travel_to(dt.date(2025, 3, 11)):
        call_command("applications", "accept-overdue", "--today", "2025-03-11", stdout=out)
    assert late.number in out.getvalue()
    assert "1 applications accepted." in out.getvalue()


def test_reject_from_submitted_and_from_supplement_requested(cast, matter):
    """不予受理 needs a reason, from both waiting statuses; nothing leaves not_accepted."""
    citizen, window, *_ = cast
    with travel_to(MON):
        a = submit(citizen, matter, complete=False)
        b = submit(citizen, matter, complete=False)
        with pytest.raises(InvalidInput):
            services.application_reject(actor=window, application=a, reason="")
        services.application_reject(actor=window, application=a, reason="不属于本部门职权")
        services.application_request_supplement(actor=window, application=b, reason="缺")
        services.application_reject(actor=window, application=b, reason="逾期未补正")
        with pytest.raises(Conflict):
            services.application_accept(actor=window, application=a)
    assert a.status == b.status == "not_accepted"
    assert a.decision_reason == "不属于本部门职权"


# -- instant matters -------------------------------------------------------------------------


def test_instant_matter_is_concluded_on_the_day_of_acceptance(cast, dept):
    """Accepting a 即办件 approves and concludes it the same day, an event for each step."""
    citizen, window, *_ = cast
    matter = instant_matter(dept)
    with travel_to(MON):
        application = submit(citizen, matter)
        services.application_accept(actor=window, application=application)
    assert application.status == "concluded"
    assert application.accepted_on == application.decided_on == application.concluded_on == MON
    assert _actions(application)[-3:] == ["accept", "approve", "conclude"]
    clock = selectors.application_detail(citizen, application.pk, today=MON).clock
    assert clock["limit_days"] == 0
    assert clock["state"] == "stopped"
    assert clock["due_on"] == clock["started_on"] == clock["stopped_on"] == "2025-03-03"
    assert clock["warning"] == "none"
    assert selectors.application_license(application) is not None


def test_instant_matter_has_no_pause_or_extension(cast, dept):
    """The instant table has no special procedure: a deemed-accepted one may only be decided."""
    citizen = cast[0]
    matter = instant_matter(dept)
    with travel_to(MON):
        application = submit(citizen, matter, complete=False)
    with travel_to(dt.date(2025, 3, 11)):
        services.applications_accept_overdue()
        application.refresh_from_db()
        assert application.status == "accepted"
        with pytest.raises(Conflict):
            services.application_pause(
                actor=cast[2], application=application, kind="testing", reason="x"
            )
        services.application_deny(actor=cast[2], application=application, reason="不符合")


# -- walk-ins and first responsibility -------------------------------------------------------


def test_walk_in_creates_the_applicant_and_accepts_on_the_spot(cast, dept):
    """A window officer registers a walk-in by ID number; complete → accepted; first responsible."""
    window = cast[1]
    matter = promised_matter(dept)
    material_ids = list(matter.current_version.materials.values_list("pk", flat=True))
    with travel_to(MON):
        application = services.application_register_walk_in(
            actor=window,
            matter=matter,
            applicant_name="李四",
            id_number="11010519491231002X",
            paper_materials=material_ids,
        )
    assert application.status == "accepted"
    assert application.channel == "window"
    assert application.registered_by_id == window.pk
    assert application.first_responsible_id == window.pk
    assert application.applicant.display_name == "李四"
    assert application.applicant.id_number == "11010519491231002X"
    with travel_to(MON):
        again = services.application_register_walk_in(
            actor=window, matter=matter, applicant_name="李四", id_number="11010519491231002X"
        )
    assert again.applicant_id == application.applicant_id
    assert again.status == "submitted"  # nothing checked on paper this time


def test_walk_in_refuses_a_bad_id_number(cast, matter):
    """A wrong check character is refused with a message saying so."""
    with pytest.raises(InvalidInput):
        services.application_register_walk_in(
            actor=cast[1], matter=matter, applicant_name="李四", id_number="110105194912310021"
        )


def test_walk_in_is_for_window_officers(cast, matter):
    """A reviewer registering a walk-in is 403."""
    with pytest.raises(PermissionDenied):
        services.application_register_walk_in(
            actor=cast[2], matter=matter, applicant_name="李四", id_number="11010519491231002X"
        )


def test_first_responsibility_until_an_explicit_hand_over(cast, matter):
    """The first officer to take it stays responsible; others get 409; hand-over is recorded."""
    citizen, window, reviewer, head = cast
    with travel_to(MON):
        application = submit(citizen, matter)
    services.application_take_responsibility(actor=window, application=application)
    assert application.first_responsible_id == window.pk
    with pytest.raises(Conflict, match="already responsible"):
        services.application_take_responsibility(actor=reviewer, application=application)
    with pytest.raises(PermissionDenied):
        services.application_hand_over(
            actor=reviewer, application=application, to_officer=head, reason="x"
        )
    with pytest.raises(InvalidInput):
        services.application_hand_over(
            actor=window, application=application, to_officer=citizen, reason="x"
        )
    services.application_hand_over(
        actor=window, application=application, to_officer=reviewer, reason="转审查岗"
    )
    assert application.first_responsible_id == reviewer.pk
    event = application.events.get(action="hand-over")
    assert event.data == {"from_officer": window.pk, "to_officer": reviewer.pk}
    assert event.reason == "转审查岗"
    assert "hand-over" in selectors.application_allowed_actions(reviewer, application)


def test_the_first_responsible_officer_answers_for_the_open_clocks(cast, matter):
    """Taking and handing over an accepted case names the officer on its clocks (warning scan)."""
    _citizen, window, reviewer, _head = cast
    application = _accepted(cast, matter)
    services.application_take_responsibility(actor=window, application=application)
    application.promised_clock.refresh_from_db()
    assert application.promised_clock.officer_id == window.pk
    services.application_hand_over(
        actor=window, application=application, to_officer=reviewer, reason="转审查岗"
    )
    for clock in (application.promised_clock, application.legal_clock):
        if clock is not None:
            clock.refresh_from_db()
            assert clock.officer_id == reviewer.pk


# -- materials (DOMAIN_RULES.md §4) ----------------------------------------------------------


def test_cancelled_certificate_is_never_asked_for(cast, dept):
    """A certificate the matter cancelled is recorded as replaced with its basis, not missing."""
    matter = promised_matter(
        dept,
        materials=[MaterialDataFactory(name="申请表"), CertificateDataFactory(name="无犯罪证明")],
    )
    with travel_to(MON):
        application = submit(cast[0], matter, complete=False)
    requirements = {r.name: r for r in selectors.application_requirements(application)}
    assert requirements["无犯罪证明"].satisfied_by == ("replaced",)
    assert [r.name for r in selectors.application_missing(application)] == ["申请表"]
    row = application.materials.get(kind="replaced")
    assert row.replacement == "cancelled"
    assert "取消证明" in row.basis


def _commitment_matter(dept):
    return promised_matter(
        dept,
        allows_commitment=True,
        materials=[
            MaterialDataFactory(name="申请表"),
            CertificateDataFactory(
                name="场地证明", replacement="commitment", replacement_basis="告知承诺制"
            ),
        ],
    )


def test_commitment_replaces_a_material(cast, dept):
    """The applicant's signed promise satisfies the material; acceptance needs no certificate."""
    citizen, window, *_ = cast
    matter = _commitment_matter(dept)
    with travel_to(MON):
        application = submit(citizen, matter, complete=False)
        missing = {r.name: r.material_id for r in selectors.application_missing(application)}
        assert set(missing) == {"申请表", "场地证明"}
        commitment = services.application_sign_commitment(
            actor=citizen, application=application, material=missing["场地证明"]
        )
        assert commitment.signer_id == citizen.pk
        assert "场地证明" in commitment.text
        assert commitment.signed_at is not None
        with pytest.raises(Conflict, match="already signed"):
            services.application_sign_commitment(
                actor=citizen, application=application, material=missing["场地证明"]
            )
        services.application_upload_material(
            actor=citizen,
            application=application,
            file=io.BytesIO(pdf_bytes()),
            name="表.pdf",
            material=missing["申请表"],
        )
        services.application_accept(actor=window, application=application)
    assert application.status == "accepted"


def test_commitment_refused_for_an_excluded_applicant(cast, dept, settings):
    """An applicant on the exclusion list must supply the certificate (409)."""
    citizen = cast[0]
    settings.COMMITMENT_EXCLUDED_CREDIT_CODES = [citizen.id_number]
    matter = _commitment_matter(dept)
    with travel_to(MON):
        application = submit(citizen, matter, complete=False)
        material = application.matter_version.materials.get(name="场地证明")
        with pytest.raises(Conflict, match="not open to this applicant"):
            services.application_sign_commitment(
                actor=citizen, application=application, material=material.pk
            )


def test_commitment_refused_where_the_matter_does_not_allow_it(cast, matter):
    """A material not replaced by commitment cannot be promised away (409)."""
    with travel_to(MON):
        application = submit(cast[0], matter, complete=False)
        material = application.matter_version.materials.first()
        with pytest.raises(Conflict, match="cannot be replaced by a commitment"):
            services.application_sign_commitment(
                actor=cast[0], application=application, material=material.pk
            )


def test_e_license_is_attached_automatically_on_a_second_application(cast, dept):
    """一次提交、多次复用: a license issued here satisfies the next matter's material by itself."""
    citizen, _window, reviewer, _h = cast
    first_matter = promised_matter(dept, result_name="营业执照")
    needing = promised_matter(
        dept,
        materials=[
            MaterialDataFactory(name="申请表"),
            CertificateDataFactory(
                name="营业执照",
                replacement="e_license",
                license_type="营业执照",
                replacement_basis="电子证照替代",
            ),
        ],
    )
    with travel_to(MON):
        before = submit(citizen, needing, complete=False)
        assert before.materials.get(material__name="营业执照").kind == "replaced"
        first = _accepted(cast, first_matter)
        services.application_approve(actor=reviewer, application=first)
        after = submit(citizen, needing, complete=False)
    row = after.materials.get(material__name="营业执照")
    assert row.kind == "e_license"
    assert row.license_identifier == selectors.application_license(first)["identifier"]
    assert after.events.filter(action="attach-automatically").exists()


def test_uploads_are_stored_outside_the_web_root_under_generated_names(cast, matter, _media):
    """The file lands in MEDIA_ROOT/applications/<uuid>/ with a random name and its digest."""
    citizen = cast[0]
    with travel_to(MON):
        application = submit(citizen, matter, complete=False)
        row = services.application_upload_material(
            actor=citizen,
            application=application,
            file=io.BytesIO(pdf_bytes()),
            name="../../我的申请表.pdf",
        )
    assert row.original_name == "我的申请表.pdf"
    assert row.file.name.startswith(f"applications/{application.pk}/")
    assert "我的申请表" not in row.file.name
    assert row.content_type == "application/pdf"
    assert row.size == len(pdf_bytes())
    import hashlib

    assert row.sha256 == hashlib.sha256(pdf_bytes()).hexdigest()
    assert (_media / row.file.name).read_bytes() == pdf_bytes()


def test_uploads_after_acceptance_are_refused(cast, matter):
    """Materials are frozen once accepted (409)."""
    application = _accepted(cast, matter)
    with travel_to(MON), pytest.raises(Conflict, match="no longer"):
        services.application_upload_material(
            actor=cast[0], application=application, file=io.BytesIO(pdf_bytes()), name="x.pdf"
        )


def test_a_mistaken_upload_can_be_removed_before_acceptance(cast, matter, _media):
    """The applicant removes an upload; the row and, after commit, the file go."""
    citizen = cast[0]
    with travel_to(MON):
        application = submit(citizen, matter, complete=False)
        row = services.application_upload_material(
            actor=citizen, application=application, file=io.BytesIO(pdf_bytes()), name="x.pdf"
        )
    path = _media / row.file.name
    assert path.exists()
    services.application_remove_material(
        actor=citizen, application=application, application_material=row.pk
    )
    assert not application.materials.filter(pk=row.pk).exists()
    assert application.events.filter(action="remove-material").exists()


# -- events, audit, notices ------------------------------------------------------------------


def test_every_step_appends_an_event_an_audit_event_and_a_notice(cast, matter):
    """Each transition: one ApplicationEvent (actor, from, to), one audit row, one in-site note."""
    citizen, window, reviewer, _h = cast
    with travel_to(MON):
        application = submit(citizen, matter)
        before_notes = Message.objects.filter(recipient=citizen, channel="in_site").count()
        services.application_accept(actor=window, application=application)
        services.application_approve(actor=reviewer, application=application)
        services.application_conclude(actor=reviewer, application=application)
    events = list(
        ApplicationEvent.objects.filter(
            application=application, action__in=["accept", "approve", "conclude"]
        ).order_by("at", "id")
    )
    assert [(e.from_status, e.to_status) for e in events] == [
        ("submitted", "accepted"),
        ("accepted", "approved"),
        ("approved", "concluded"),
    ]
    assert [e.actor_id for e in events] == [window.pk, reviewer.pk, reviewer.pk]
    audits = AuditEvent.objects.filter(target_id=str(application.pk)).values_list(
        "action", flat=True
    )
    for action in ("accept", "approve", "conclude", "submit"):
        assert f"applications.application_{action}" in audits
    after_notes = Message.objects.filter(recipient=citizen, channel="in_site").count()
    assert after_notes - before_notes == 3


def test_a_failed_action_leaves_no_trace(cast, matter):
    """A refused action writes no event, no audit row and no message."""
    citizen, window, *_ = cast
    with travel_to(MON):
        application = submit(citizen, matter, complete=False)
    counts = (ApplicationEvent.objects.count(), AuditEvent.objects.count(), Message.objects.count())
    with travel_to(MON), pytest.raises(Conflict):
        services.application_accept(actor=window, application=application)
    assert counts == (
        ApplicationEvent.objects.count(),
        AuditEvent.objects.count(),
        Message.objects.count(),
    )


def test_rating_after_conclusion_only_by_the_applicant(cast, matter):
    """Rating before conclusion is 409, by staff 403; after conclusion the rating is stored."""
    citizen, _window, reviewer, _h = cast
    application = _accepted(cast, matter)
    with travel_to(MON):
        with pytest.raises(Conflict):
            services.application_rate(actor=citizen, application=application, level=5)
        services.application_approve(actor=reviewer, application=application)
        services.application_conclude(actor=reviewer, application=application)
        with pytest.raises(PermissionDenied):
            services.application_rate(actor=reviewer, application=application, level=5)
        rating = services.application_rate(
            actor=citizen, application=application, level=1, text="慢"
        )
    assert rating.is_bad
    assert application.events.filter(action="rate").exists()


# -- property: events match successful actions ----------------------------------------------

ATTEMPTS = [
    "accept",
    "reject",
    "request-supplement",
    "supplement",
    "pause",
    "resume",
    "extend",
    "approve",
    "deny",
    "conclude",
    "deliver",
]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.sampled_from(ATTEMPTS), max_size=12))
def test_status_events_count_the_successful_actions(cast, matter, steps):
    """Any sequence by the right people: one status event per edge taken, status in the table."""
    citizen, window, reviewer, head = cast
    calls = {
        "accept": lambda a: services.application_accept(actor=window, application=a),
        "reject": lambda a: services.application_reject(actor=window, application=a, reason="r"),
        "request-supplement": lambda a: services.application_request_supplement(
            actor=window, application=a, reason="r", items=["签字"]
        ),
        "supplement": lambda a: services.application_supplement(actor=citizen, application=a),
        "pause": lambda a: services.application_pause(
            actor=reviewer, application=a, kind="testing", reason="r"
        ),
        "resume": lambda a: services.application_resume(actor=reviewer, application=a),
        "extend": lambda a: services.application_extend(
            actor=head, application=a, days=1, reason="r"
        ),
        "approve": lambda a: services.application_approve(actor=reviewer, application=a),
        "deny": lambda a: services.application_deny(actor=reviewer, application=a, reason="r"),
        "conclude": lambda a: services.application_conclude(actor=reviewer, application=a),
        "deliver": lambda a: services.application_deliver(
            actor=window, application=a, method="pickup"
        ),
    }
    with travel_to(MON):
        application = submit(citizen, matter)
        succeeded = 0
        for step in steps:
            try:
                calls[step](application)
            except (Conflict, InvalidInput):
                continue
            succeeded += 1
    status_events = application.events.exclude(from_status="").exclude(
        action__in=["upload-material", "attach-automatically"]
    )
    assert status_events.count() == succeeded
    assert application.status in {s.value for s in rules.Status}
    assert application.lock_version >= succeeded


def test_a_revoked_e_license_is_not_attached(cast, dept):
    """Only valid e-licenses are reused: after revocation the material falls back to replaced."""
    from xiaoneng.licenses.selectors import license_for_source
    from xiaoneng.licenses.services import license_revoke

    reviewer = cast[2]
    first_matter = promised_matter(dept, result_name="营业执照")
    needing = promised_matter(
        dept,
        materials=[
            CertificateDataFactory(
                name="营业执照",
                replacement="e_license",
                license_type="营业执照",
                replacement_basis="电子证照替代",
            )
        ],
    )
    with travel_to(MON):
        first = _accepted(cast, first_matter)
        services.application_approve(actor=reviewer, application=first)
        license_revoke(actor=cast[3], license=license_for_source(source=first), reason="错发")
        after = submit(cast[0], needing, complete=False)
    assert after.materials.get(material__name="营业执照").kind == "replaced"
