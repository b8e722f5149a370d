"""Rating services: each level, one per rater, bad review → rectification on its clock, appeals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType

from tests.clocks.factories import UserFactory
from tests.ratings.conftest import travel_to
from tests.ratings.factories import rate, rated_item
from xiaoneng.accounts.models import Role
from xiaoneng.calendars.selectors import workday_calendar
from xiaoneng.clocks.selectors import clock_as_dict, clock_of_item
from xiaoneng.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from xiaoneng.core.models import AuditEvent
from xiaoneng.notifications.models import Message
from xiaoneng.notifications.selectors import messages_of_item
from xiaoneng.ratings import selectors, services
from xiaoneng.ratings.models import Rating, Rectification

pytestmark = pytest.mark.django_db

d = dt.date

# Rated on Monday 2025-09-29: 09-30 is day 1, the National Day holidays (10-01…10-08) do not
# count, 10-09 and 10-10 are days 2 and 3, Saturday 10-11 is an adjusted working day (4), and
# Monday 10-13 is day 5. Checked by hand and against the calendar in the test below.
RATED_ON = d(2025, 9, 29)
DUE_ON = d(2025, 10, 13)


def _actions(target) -> list[str]:  # type: ignore[no-untyped-def]
    """The audit actions recorded against ``target`` (clock events are on the clock)."""
    return list(
        AuditEvent.objects.filter(
            target_type=ContentType.objects.get_for_model(target), target_id=str(target.pk)
        )
        .order_by("at", "id")
        .values_list("action", flat=True)
    )


@pytest.mark.parametrize(
    ("level", "stored", "bad"),
    [(5, 5, False), (4, 4, False), ("basically_satisfied", 3, False), ("2", 2, True), (1, 1, True)],
)
def test_each_level_is_stored_and_only_the_last_two_are_bad(city, level, stored, bad):
    """A rating keeps its level; is_bad is set for 2 and 1, and only they open a rectification."""
    rating = rate(department=city.department, level=level, text="窗口服务")
    rating.refresh_from_db()
    assert rating.level == stored and rating.is_bad is bad
    assert Rectification.objects.filter(rating=rating).exists() is bad
    assert "ratings.rating_submit" in _actions(rating)


def test_the_rating_links_to_the_rated_item_and_department(city):
    """The item is a generic link; the department and channel are kept as given."""
    item = rated_item()
    rating = rate(department=city.department, item=item, rater=city.citizen, channel="on_site")
    assert rating.item == item
    assert rating.department == city.department and rating.channel == "on_site"
    assert selectors.rating_of_item(item=item, rater=city.citizen) == rating
    assert list(selectors.ratings_of_item(item=item)) == [rating]


def test_a_second_rating_of_the_same_item_by_the_same_rater_is_a_conflict(city):
    """One rating per item per rater (一事一评): the second answers 409 and changes nothing."""
    item = rated_item()
    with travel_to(RATED_ON):
        first = rate(department=city.department, item=item, rater=city.citizen, level=4)
    with pytest.raises(Conflict, match="You already rated this on 2025-09-29 \\(satisfied\\)"):
        rate(department=city.department, item=item, rater=city.citizen, level=1)
    assert list(Rating.objects.all()) == [first]
    # Another person may rate the same item.
    rate(department=city.department, item=item, level=3)
    assert Rating.objects.count() == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"level": 0}, "A rating level is 1 to 5"),
        ({"level": "excellent"}, "A rating level is 1 to 5"),
        ({"channel": "phone"}, "A rating channel is one of"),
        ({"text": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_bad_input_is_refused(city, kwargs, message):
    """A bad level, channel or text is InvalidInput and stores nothing."""
    with pytest.raises(InvalidInput, match=message):
        rate(department=city.department, **kwargs)
    assert not Rating.objects.exists()


def test_an_anonymous_rating_is_refused(city):
    """Ratings are real-name: no signed-in rater, no rating."""
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.rating_submit(
            actor=AnonymousUser(), item=rated_item(), department=city.department, level=5
        )


def test_a_bad_review_opens_a_rectification_due_in_five_working_days(city):
    """Rated 2025-09-29: the rectification's clock is due 2025-10-13 (National Day skipped)."""
    with travel_to(RATED_ON):
        rating = rate(department=city.department, level=1, text="态度差", rater=city.citizen)
        rectification = rating.rectification
        clock = clock_of_item(item=rectification, kind="rating.rectification")
        assert clock is not None and rectification.clock == clock
        assert clock.started_on == RATED_ON and clock.limit_days == 5
        assert clock.department == city.department
        assert clock.due_on == DUE_ON == workday_calendar().add_workdays(RATED_ON, 5)
        figures = clock_as_dict(clock)
        assert figures["warning"] == "none" and figures["remaining_days"] == 5
    assert rectification.state == "open" and rectification.department == city.department
    # Opened, then one notice to each of the department's two heads.
    assert _actions(rectification) == [
        "ratings.rectification_open",
        "notifications.notify",
        "notifications.notify",
    ]
    assert _actions(clock) == ["clocks.clock_start"]
    event = AuditEvent.objects.get(action="ratings.rectification_open")
    assert event.data["due_on"] == "2025-10-13" and event.data["limit_days"] == 5


def test_the_rectification_limit_is_configurable(city, settings):
    """RATING_RECTIFICATION_DAYS = 10 moves the due date to the 10th working day."""
    settings.RATING_RECTIFICATION_DAYS = 10
    with travel_to(d(2025, 3, 3)):
        rating = rate(department=city.department, level=2)
    assert rating.rectification.clock.due_on == d(2025, 3, 17)


def test_the_department_heads_are_told_of_a_bad_review(city):
    """Both heads of the department get in-site, SMS and email notices; nobody else does."""
    with travel_to(RATED_ON):
        rating = rate(department=city.department, level=2, text="等了很久")
    rectification = rating.rectification
    messages = list(messages_of_item(item=rectification))
    assert {m.recipient for m in messages} == {city.head, city.second_head}
    assert sorted(m.channel for m in messages if m.recipient == city.head) == [
        "email",
        "in_site",
        "sms",
    ]
    assert "2025-10-13" in messages[0].subject
    assert "等了很久" in messages[0].body
    assert not Message.objects.filter(recipient__in=[city.reviewer, city.other_head]).exists()


def test_a_good_rating_tells_nobody(city):
    """Levels 3–5 open nothing and notify nobody."""
    rate(department=city.department, level=3)
    assert not Message.objects.exists()


def test_return_visit_then_complete_stops_the_clock_on_time(city):
    """Visit on 10-09, complete on 10-10: state completed, clock stopped, warning none."""
    with travel_to(RATED_ON):
        rectification = rate(department=city.department, level=1, rater=city.citizen).rectification
    with travel_to(d(2025, 10, 9)):
        services.rectification_record_return_visit(
            actor=city.reviewer,
            rectification=rectification,
            outcome="电话回访，申请人反映排队时间长",
            satisfied=False,
        )
    assert rectification.state == "visited" and rectification.visited_on == d(2025, 10, 9)
    assert rectification.visited_by == city.reviewer and rectification.rater_satisfied is False
    with travel_to(d(2025, 10, 10)):
        services.rectification_complete(
            actor=city.head, rectification=rectification, measures="增开窗口，错峰预约"
        )
        clock = clock_of_item(item=rectification, kind="rating.rectification")
        assert clock is not None
        assert clock.state == "stopped" and clock.stopped_on == d(2025, 10, 10)
        assert clock_as_dict(clock)["warning"] == "none"
    rectification.refresh_from_db()
    assert rectification.state == "completed" and rectification.measures == "增开窗口，错峰预约"
    assert rectification.completed_by == city.head
    assert _actions(rectification)[-3:] == [
        "ratings.rectification_return_visit",
        "ratings.rectification_complete",
        "notifications.notify",
    ]
    assert _actions(clock) == ["clocks.clock_start", "clocks.clock_stop"]
    # The rater hears of the measures.
    told = Message.objects.get(recipient=city.citizen)
    assert told.channel == "in_site" and "增开窗口" in told.body
    figures = selectors.rating_figures(department=city.department)
    assert figures.rectifications_completed == 1 and figures.rectification_on_time_rate == 1.0


def test_a_rectification_completed_after_its_due_date_is_late(city):
    """Completed on 10-14, the day after the due date: the clock's verdict is red."""
    with travel_to(RATED_ON):
        rectification = rate(department=city.department, level=2).rectification
    with travel_to(d(2025, 10, 14)):
        assert [r.pk for r in selectors.bad_reviews_open(department=city.department)] == [
            rectification.pk
        ]
        services.rectification_record_return_visit(
            actor=city.head, rectification=rectification, outcome="已回访", satisfied=None
        )
        services.rectification_complete(
            actor=city.head, rectification=rectification, measures="整改"
        )
    assert rectification.clock.warning == "red"
    assert AuditEvent.objects.get(action="ratings.rectification_complete").data["late"] is True
    figures = selectors.rating_figures()
    assert figures.rectifications_on_time == 0 and figures.rectification_on_time_rate == 0.0
    assert list(selectors.bad_reviews_open()) == []


def test_completing_before_the_return_visit_is_a_conflict(city):
    """§8 asks for a return visit first: complete on an open rectification is 409."""
    rectification = rate(department=city.department, level=1).rectification
    with pytest.raises(Conflict, match="awaiting return visit, so you cannot complete"):
        services.rectification_complete(
            actor=city.head, rectification=rectification, measures="整改"
        )
    rectification.refresh_from_db()
    assert rectification.state == "open" and rectification.measures == ""


def test_a_completed_rectification_takes_no_more_actions(city):
    """After completion, another visit or completion is 409."""
    rectification = rate(department=city.department, level=1).rectification
    services.rectification_record_return_visit(
        actor=city.head, rectification=rectification, outcome="回访", satisfied=True
    )
    services.rectification_complete(actor=city.head, rectification=rectification, measures="m")
    with pytest.raises(Conflict):
        services.rectification_record_return_visit(
            actor=city.head, rectification=rectification, outcome="again", satisfied=True
        )
    with pytest.raises(Conflict):
        services.rectification_complete(actor=city.head, rectification=rectification, measures="m")


def test_a_second_return_visit_replaces_the_first_on_the_row(city):
    """Visiting again keeps the latest visit on the row and both in the audit trail."""
    with travel_to(RATED_ON):
        rectification = rate(department=city.department, level=1).rectification
    with travel_to(d(2025, 10, 9)):
        services.rectification_record_return_visit(
            actor=city.head, rectification=rectification, outcome="未接通", satisfied=None
        )
        services.rectification_record_return_visit(
            actor=city.head, rectification=rectification, outcome="已沟通", satisfied=True
        )
    assert rectification.visit_outcome == "已沟通" and rectification.rater_satisfied is True
    assert _actions(rectification).count("ratings.rectification_return_visit") == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"outcome": " "}, "The outcome of the return visit is required."),
        ({"visited_on": d(2025, 10, 10)}, "cannot be in the future"),
        ({"visited_on": d(2025, 9, 28)}, "cannot be before the review, 2025-09-29"),
    ],
)
def test_a_return_visit_needs_an_outcome_and_a_sensible_day(city, kwargs, message):
    """No outcome, a day in the future or before the review: InvalidInput."""
    with travel_to(RATED_ON):
        rectification = rate(department=city.department, level=1).rectification
    arguments = {"outcome": "回访", "satisfied": True, **kwargs}
    with travel_to(d(2025, 10, 9)), pytest.raises(InvalidInput, match=message):
        services.rectification_record_return_visit(
            actor=city.head, rectification=rectification, **arguments
        )


def test_completion_needs_measures(city):
    """Completing without measures is InvalidInput."""
    rectification = rate(department=city.department, level=1).rectification
    services.rectification_record_return_visit(
        actor=city.head, rectification=rectification, outcome="回访", satisfied=True
    )
    with pytest.raises(InvalidInput, match="A description of the measures taken is required"):
        services.rectification_complete(actor=city.head, rectification=rectification, measures="")


def test_staff_of_another_department_cannot_act_on_a_rectification(city):
    """Another department's head, a citizen: NotFound, as if it did not exist."""
    rectification = rate(department=city.department, level=1).rectification
    for outsider in (city.other_head, city.citizen):
        with pytest.raises(NotFound):
            services.rectification_record_return_visit(
                actor=outsider, rectification=rectification, outcome="x", satisfied=True
            )
        with pytest.raises(NotFound):
            selectors.rectification_for_user(outsider, rectification.pk)
    # The office may act on any department's rectification.
    services.rectification_record_return_visit(
        actor=city.office, rectification=rectification, outcome="督办回访", satisfied=True
    )


def test_access_to_rectifications_by_role(city):
    """Department staff see their own, the office sees all, others see none."""
    mine = rate(department=city.department, level=1).rectification
    theirs = rate(department=city.other, level=2).rectification
    for user in (city.head, city.reviewer, city.window):
        assert [r.pk for r in selectors.rectifications_for_user(user)] == [mine.pk]
    assert [r.pk for r in selectors.rectifications_for_user(city.other_head)] == [theirs.pk]
    assert {r.pk for r in selectors.rectifications_for_user(city.office)} == {mine.pk, theirs.pk}
    assert list(selectors.rectifications_for_user(city.citizen)) == []
    with pytest.raises(NotFound):
        selectors.rectification_for_user(city.head, "not-a-number")


# -- appeals ---------------------------------------------------------------------------------


def test_an_upheld_appeal_excludes_the_rating_and_cancels_its_rectification(city):
    """Head appeals, office upholds: out of the figures, rectification cancelled, clock stopped."""
    with travel_to(RATED_ON):
        rating = rate(department=city.department, level=1, text="恶意差评")
        rate(department=city.department, level=5)
    assert selectors.rating_figures(department=city.department).total == 2
    with travel_to(d(2025, 9, 30)):
        appeal = services.rating_appeal(actor=city.head, rating=rating, reason="评价人未办理业务")
        assert rating.appeal_state == "pending"
        assert [a.pk for a in selectors.appeals_pending()] == [appeal.pk]
        assert Message.objects.filter(recipient=city.office, channel="in_site").count() == 1
        services.rating_appeal_decide(
            actor=city.office, appeal=appeal, upheld=True, note="核实属实"
        )
    rating.refresh_from_db()
    assert rating.appeal_state == "upheld" and appeal.state == "upheld"
    rectification = Rectification.objects.get(rating=rating)
    assert rectification.state == "cancelled"
    assert rectification.clock.state == "stopped"
    figures = selectors.rating_figures(department=city.department)
    assert figures.total == 1 and figures.bad == 0 and figures.by_level[5] == 1
    assert figures.rectifications_open == 0
    assert selectors.rating_counts(department=city.department) == {
        city.department.pk: {5: 1, 4: 0, 3: 0, 2: 0, 1: 0}
    }
    assert {"ratings.rating_appeal", "ratings.rating_appeal_decide"} <= set(_actions(rating))
    assert "ratings.rectification_cancel" in _actions(rectification)
    # The head who filed it is told (in the site's language, so only the link is checked).
    assert [m.recipient for m in messages_of_item(item=appeal) if m.recipient != city.office] == [
        city.head
    ]


def test_a_rejected_appeal_leaves_the_rating_and_its_rectification(city):
    """Rejected: the rating stays in the figures and the rectification goes on."""
    rating = rate(department=city.department, level=2)
    appeal = services.rating_appeal(actor=city.head, rating=rating, reason="误评")
    services.rating_appeal_decide(actor=city.office, appeal=appeal, upheld=False, note="不成立")
    rating.refresh_from_db()
    assert rating.appeal_state == "rejected"
    assert rating.rectification.state == "open"
    assert selectors.rating_figures().bad == 1
    with pytest.raises(Conflict, match="appeal rejected, so you cannot file an appeal"):
        services.rating_appeal(actor=city.head, rating=rating, reason="again")


def test_who_may_appeal_and_decide(city):
    """Only the department's head appeals; only the office decides, once."""
    rating = rate(department=city.department, level=1)
    with pytest.raises(PermissionDenied):
        services.rating_appeal(actor=city.reviewer, rating=rating, reason="x")
    with pytest.raises(NotFound):
        services.rating_appeal(actor=city.other_head, rating=rating, reason="x")
    with pytest.raises(InvalidInput):
        services.rating_appeal(actor=city.head, rating=rating, reason=" ")
    appeal = services.rating_appeal(actor=city.head, rating=rating, reason="x")
    with pytest.raises(PermissionDenied):
        services.rating_appeal_decide(actor=city.head, appeal=appeal, upheld=True, note="n")
    with pytest.raises(NotFound):
        services.rating_appeal_decide(actor=city.other_head, appeal=appeal, upheld=True, note="n")
    services.rating_appeal_decide(actor=city.office, appeal=appeal, upheld=False, note="n")
    with pytest.raises(Conflict):
        services.rating_appeal_decide(actor=city.office, appeal=appeal, upheld=True, note="n")


def test_a_good_rating_cannot_be_appealed(city):
    """Appeals are for mistaken or malicious bad reviews: a 满意 is 409."""
    rating = rate(department=city.department, level=4)
    with pytest.raises(Conflict, match="Only a bad review can be appealed"):
        services.rating_appeal(actor=city.head, rating=rating, reason="x")


# -- figures ---------------------------------------------------------------------------------


def test_counts_by_level_and_department_and_the_satisfaction_rate(city):
    """Counts per department and level, zero-filled; satisfaction = levels 3–5 over all."""
    for level in (5, 5, 4, 3, 1):
        rate(department=city.department, level=level)
    rate(department=city.other, level=2)
    counts = selectors.rating_counts()
    assert counts[city.department.pk] == {5: 2, 4: 1, 3: 1, 2: 0, 1: 1}
    assert counts[city.other.pk] == {5: 0, 4: 0, 3: 0, 2: 1, 1: 0}
    figures = selectors.rating_figures(department=city.department)
    assert figures.total == 5 and figures.bad == 1 and figures.satisfaction_rate == 0.8
    assert figures.rectifications_open == 1 and figures.rectification_on_time_rate is None
    assert selectors.rating_figures().rectifications_open == 2


def test_a_department_without_a_head_still_gets_its_rectification(city, caplog):
    """Nobody to notify is logged; the rectification and its clock are still opened."""
    from tests.clocks.factories import DepartmentFactory

    lonely = DepartmentFactory()
    UserFactory(role=Role.REVIEWER, department=lonely)
    rectification = rate(department=lonely, level=1).rectification
    assert rectification.clock is not None
    assert not Message.objects.exists()
    assert "has no head" in caplog.text


@pytest.mark.parametrize("value", [0, -3, "five"])
def test_a_bad_rectification_limit_setting_is_refused(city, settings, value):
    """RATING_RECTIFICATION_DAYS below 1 or not a number stops with ImproperlyConfigured."""
    from django.core.exceptions import ImproperlyConfigured

    settings.RATING_RECTIFICATION_DAYS = value
    with pytest.raises(ImproperlyConfigured, match="RATING_RECTIFICATION_DAYS"):
        rate(department=city.department, level=1)
    assert not Rating.objects.exists()


def test_figures_can_be_limited_to_a_period(city):
    """since/until count only the ratings given in the period."""
    from zoneinfo import ZoneInfo

    shanghai = ZoneInfo("Asia/Shanghai")
    with travel_to(d(2025, 3, 3)):
        rate(department=city.department, level=5)
    with travel_to(d(2025, 4, 1)):
        rate(department=city.department, level=1)
    april = dt.datetime(2025, 4, 1, tzinfo=shanghai)
    assert selectors.rating_figures(since=april).total == 1
    assert selectors.rating_figures(until=april).by_level[5] == 1
    assert selectors.rating_figures(until=april).bad == 0
