"""The KPI selectors on small hand-made data, every expected figure worked out by hand.

Clocks are started and stopped through the clock services on past days of 2025 (the calendar
covers it), so their due dates, verdicts and working days used are the platform's own. Each
test builds only the rows it needs, since a bad review or an accepted application also starts
clocks of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.utils import translation

from tests.applications.conftest import travel_to
from tests.applications.factories import instant_matter, people, promised_matter, submit
from tests.catalog.factories import CertificateDataFactory, MatterFactory
from tests.clocks.factories import DepartmentFactory, UserFactory, start_test_clock
from tests.ratings.factories import rate
from xiaoneng.accounts.models import Department, Role
from xiaoneng.applications import services as application_services
from xiaoneng.clocks import selectors as clock_selectors
from xiaoneng.clocks.models import Clock
from xiaoneng.clocks.services import clock_pause, clock_stop
from xiaoneng.core.errors import InvalidInput, NotFound
from xiaoneng.dashboard import rules, selectors
from xiaoneng.ratings import services as rating_services

pytestmark = pytest.mark.django_db

d = dt.date
MON = d(2025, 3, 3)
MARCH = {"date_from": d(2025, 3, 1), "date_to": d(2025, 3, 31)}
PROMISED, LEGAL, SUPERVISION = "application.promised", "application.legal", "supervision.task"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages in English, so assertions on their wording do not depend on compiled .mo."""
    with translation.override("en"):
        yield


def _concluded(
    department: Department, *, limit: int, stop: dt.date, kind: str = PROMISED, start=MON
) -> Clock:
    clock = start_test_clock(kind=kind, limit_days=limit, started_on=start, department=department)
    return clock_stop(actor=None, clock=clock, on=stop)


@pytest.fixture
def two_departments() -> tuple[Department, Department]:
    return DepartmentFactory(code="A01", name="甲局"), DepartmentFactory(code="B02", name="乙局")


@pytest.fixture
def concluded_in_march(two_departments) -> tuple[Department, Department]:
    """Department A's applications and supervision tasks, worked out by hand.

    All clocks start Monday 2025-03-03 (not counted):

    ==========  =====  =======  ========  ====  =======
    kind        limit  due      stopped   used  verdict
    ==========  =====  =======  ========  ====  =======
    promised    20     03-31    03-20     13    on time
    legal       20     03-31    03-20     13    on time
    promised    5      03-10    03-12     7     late
    legal       20     03-31    03-12     7     on time
    promised    10     03-17    03-17     10    on time (the due date itself)
    promised    20     03-31    04-02     22    late (stopped in April)
    supervision 5      03-10    03-07     4     on time
    ==========  =====  =======  ========  ====  =======

    Department B: one supervision task of 2 days (due 03-05) closed 03-06, late.
    """
    a, b = two_departments
    _concluded(a, limit=20, stop=d(2025, 3, 20))
    _concluded(a, limit=20, stop=d(2025, 3, 20), kind=LEGAL)
    _concluded(a, limit=5, stop=d(2025, 3, 12))
    _concluded(a, limit=20, stop=d(2025, 3, 12), kind=LEGAL)
    _concluded(a, limit=10, stop=d(2025, 3, 17))
    _concluded(a, limit=20, stop=d(2025, 4, 2))
    _concluded(a, limit=5, stop=d(2025, 3, 7), kind=SUPERVISION)
    _concluded(b, limit=2, stop=d(2025, 3, 6), kind=SUPERVISION)
    return a, b


def test_the_hand_worked_clocks_are_what_the_table_says(concluded_in_march):
    """The fixture's table is right: used days and verdicts as stored by the clock services."""
    rows = Clock.objects.order_by("pk").values_list("kind", "due_on", "used_days", "warning")
    assert list(rows) == [
        (PROMISED, d(2025, 3, 31), 13, "none"),
        (LEGAL, d(2025, 3, 31), 13, "none"),
        (PROMISED, d(2025, 3, 10), 7, "red"),
        (LEGAL, d(2025, 3, 31), 7, "none"),
        (PROMISED, d(2025, 3, 17), 10, "none"),
        (PROMISED, d(2025, 3, 31), 22, "red"),
        (SUPERVISION, d(2025, 3, 10), 4, "none"),
        (SUPERVISION, d(2025, 3, 5), 3, "red"),
    ]


def test_conclusion_figures_of_march(concluded_in_march):
    """March: 3 concluded, 2 on time (2/3), days 13, 7, 10 (mean and median 10)."""
    a, _b = concluded_in_march
    k = selectors.kpis(department_id=a.pk, **MARCH)
    assert k["applications_concluded"] == 3
    assert k["concluded_on_time"] == 2
    assert k["concluded_late"] == 1
    assert k["on_time_rate"] == pytest.approx(2 / 3)
    assert k["avg_days_used"] == 10
    assert k["median_days_used"] == 10
    assert k["avg_promised_days"] == pytest.approx((20 + 5 + 10) / 3)
    assert k["avg_legal_days"] == 20
    assert k["concluded_with_legal_limit"] == 2
    assert k["legal_on_time_rate"] == 1
    assert k["actual_compression_ratio"] == pytest.approx(1 - (13 + 7) / (20 + 20))
    assert k["supervision_closed"] == 1
    assert k["supervision_on_time_rate"] == 1
    assert k["period_from"] == "2025-03-01" and k["period_to"] == "2025-03-31"
    assert k["department"] == "A01"


def test_without_a_period_every_conclusion_counts(concluded_in_march):
    """All time: 4 concluded (2 late), days 7, 10, 13, 22: mean 13, median (10 + 13) / 2."""
    a, _b = concluded_in_march
    k = selectors.kpis(department_id=a.pk)
    assert (k["applications_concluded"], k["concluded_late"]) == (4, 2)
    assert k["on_time_rate"] == 0.5
    assert k["avg_days_used"] == 13
    assert k["median_days_used"] == 11.5
    assert k["period_from"] is None and k["period_to"] is None


def test_the_period_includes_both_ends(concluded_in_march):
    """A period of the single day 03-12 holds the one promised clock stopped that day."""
    a, _b = concluded_in_march
    k = selectors.kpis(department_id=a.pk, date_from=d(2025, 3, 12), date_to=d(2025, 3, 12))
    assert k["applications_concluded"] == 1
    assert k["median_days_used"] == 7
    k = selectors.kpis(department_id=a.pk, date_from=d(2025, 3, 21))
    assert k["applications_concluded"] == 1  # only the one stopped on 04-02
    assert k["avg_days_used"] == 22


def test_the_city_adds_up_the_departments(concluded_in_march):
    """The city's supervision figure holds A's on-time task and B's late one: 1/2."""
    k = selectors.kpis(**MARCH)
    assert k["supervision_closed"] == 2
    assert k["supervision_on_time_rate"] == 0.5
    assert k["applications_concluded"] == 3
    assert k["department"] is None


def test_an_empty_period_gives_unknown_rates_not_zero(concluded_in_march):
    """February: nothing concluded, so the rates and averages are None, the counts 0."""
    k = selectors.kpis(date_from=d(2025, 2, 1), date_to=d(2025, 2, 28))
    assert k["applications_concluded"] == 0
    assert k["on_time_rate"] is None
    assert k["avg_days_used"] is None and k["median_days_used"] is None
    assert k["supervision_on_time_rate"] is None


@pytest.fixture
def open_clocks(two_departments) -> tuple[Department, Department]:
    """Open clocks, looked at on 2025-03-26 (all started 2025-03-03 unless said):

    * B: promised 20 days (due 03-31, yellow from day 16 = 03-25): yellow;
    * B: promised 5 days (due 03-10): red;
    * B: 2 days (due 03-05), paused 03-10 while red: red, frozen;
    * B: supervision task of 10 days (due 03-17): red, overdue;
    * B: supervision task of 20 days started 03-20: on schedule;
    * A: 20 days started 03-24: on schedule.
    """
    a, b = two_departments
    start_test_clock(kind=PROMISED, limit_days=20, started_on=MON, department=b)
    start_test_clock(kind=PROMISED, limit_days=5, started_on=MON, department=b)
    paused = start_test_clock(kind=PROMISED, limit_days=2, started_on=MON, department=b)
    clock_pause(
        actor=None, clock=paused, on=d(2025, 3, 10), kind="expert_review", reason="专家评审"
    )
    start_test_clock(kind=SUPERVISION, limit_days=10, started_on=MON, department=b)
    start_test_clock(kind=SUPERVISION, limit_days=20, started_on=d(2025, 3, 20), department=b)
    start_test_clock(kind="hotline.ticket", limit_days=20, started_on=d(2025, 3, 24), department=a)
    return a, b


def test_yellow_and_red_clocks_now(open_clocks):
    """On 03-26 the city has 6 open clocks: 1 yellow, 3 red, 2 supervision tasks, 1 overdue."""
    a, _b = open_clocks
    today = d(2025, 3, 26)
    k = selectors.kpis(today=today)
    assert k["clocks_open"] == 6
    assert k["clocks_yellow"] == 1
    assert k["clocks_red"] == 3
    assert k["supervision_open"] == 2
    assert k["supervision_overdue"] == 1
    assert k["clocks_provisional"] == 0
    only_a = selectors.kpis(department_id=a.pk, today=today)
    assert (only_a["clocks_open"], only_a["clocks_yellow"], only_a["clocks_red"]) == (1, 0, 0)


def test_now_figures_follow_today(open_clocks):
    """On 03-24 the 20-day clock is not yet yellow; on 04-01 it is red (past 03-31)."""
    assert selectors.kpis(today=d(2025, 3, 24))["clocks_yellow"] == 0
    k = selectors.kpis(today=d(2025, 4, 1))
    assert (k["clocks_yellow"], k["clocks_red"]) == (0, 4)


@pytest.mark.parametrize("today", [d(2025, 3, 5), d(2025, 3, 26), d(2025, 4, 1)])
def test_red_and_yellow_agree_with_the_clock_room(open_clocks, today):
    """The dashboard counts what clocks.selectors lists as late and warned, for any day."""
    k = selectors.kpis(today=today)
    assert k["clocks_red"] == clock_selectors.clocks_late(today=today).count()
    assert k["clocks_yellow"] == clock_selectors.clocks_warned(today=today).count()


def test_a_provisional_due_date_is_counted(db):
    """A clock reaching 2027 (not in the calendar) is provisional until the year is imported."""
    with travel_to(d(2026, 12, 21)):
        start_test_clock(limit_days=20, started_on=d(2026, 12, 20))
    assert selectors.kpis(today=d(2026, 12, 21))["clocks_provisional"] == 1


def test_applications_received_and_accepted_in_the_period(db):
    """Received 02-28 accepted 03-03; received 03-03 accepted 03-04 and concluded 03-06;
    an instant one received and concluded 03-05; one received 03-31, not accepted.

    March: received 3, accepted 3, concluded 2 (the 5-day one used 2 days, the instant 0).
    """
    dept = DepartmentFactory(code="C03")
    citizen, window, reviewer, _head = people(dept)
    matter = promised_matter(dept, promised_limit_days=5)
    with travel_to(d(2025, 2, 28)):
        early = submit(citizen, matter)
    with travel_to(d(2025, 3, 3)):
        application_services.application_accept(actor=window, application=early)
        app = submit(citizen, matter)
    with travel_to(d(2025, 3, 4)):
        application_services.application_accept(actor=window, application=app)
        application_services.application_approve(actor=reviewer, application=app)
    with travel_to(d(2025, 3, 5)):
        instant = submit(citizen, instant_matter(dept))
        application_services.application_accept(actor=window, application=instant)
    with travel_to(d(2025, 3, 6)):
        application_services.application_conclude(actor=reviewer, application=app)
    with travel_to(d(2025, 3, 31)):
        submit(citizen, matter)
    k = selectors.kpis(department_id=dept.pk, **MARCH)
    assert k["applications_received"] == 3
    assert k["applications_accepted"] == 3
    assert k["applications_concluded"] == 2
    assert k["concluded_on_time"] == 2
    assert k["avg_days_used"] == 1  # (2 + 0) / 2
    assert k["avg_promised_days"] == 2.5  # (5 + 0) / 2
    assert k["avg_legal_days"] == 20
    february = selectors.kpis(date_from=d(2025, 2, 1), date_to=d(2025, 2, 28))
    assert (february["applications_received"], february["applications_accepted"]) == (1, 0)
    # Still open on 03-31: the early one, accepted 03-03. Its promised clock (5 days, due
    # 03-10) is red; its legal one (20 days) is due that very day, so still yellow.
    k = selectors.kpis(today=d(2025, 3, 31))
    assert (k["clocks_open"], k["clocks_red"], k["clocks_yellow"]) == (2, 1, 1)


def test_ratings_and_bad_reviews_in_the_period(two_departments):
    """A: 5 and 1 in March, 2 in April; B: 1 in March, removed on appeal.

    March, A: 2 ratings, 1 bad (rate 1/2); B: nothing left. Bad reviews not yet rectified
    now: A's two (March and April); B's was cancelled with the appeal.
    """
    a, b = two_departments
    office = UserFactory(role=Role.OFFICE, department=None)
    head_b = UserFactory(role=Role.HEAD, department=b)
    with travel_to(d(2025, 3, 3)):
        rate(department=a, level=5)
        rate(department=a, level=1)
        appealed = rate(department=b, level=2)
    with travel_to(d(2025, 4, 1)):
        rate(department=a, level=2)
        appeal = rating_services.rating_appeal(actor=head_b, rating=appealed, reason="误评")
        rating_services.rating_appeal_decide(actor=office, appeal=appeal, upheld=True, note="属实")
    k = selectors.kpis(department_id=a.pk, **MARCH)
    assert (k["ratings_total"], k["bad_reviews"], k["bad_review_rate"]) == (2, 1, 0.5)
    assert k["bad_reviews_open"] == 2
    k = selectors.kpis(department_id=b.pk, **MARCH)
    assert (k["ratings_total"], k["bad_reviews"], k["bad_review_rate"]) == (0, 0, None)
    assert k["bad_reviews_open"] == 0
    assert selectors.kpis(date_from=d(2025, 4, 1))["bad_reviews"] == 1


def test_a_rating_late_in_the_evening_belongs_to_its_shanghai_day(two_departments):
    """A rating at 23:30 on 03-31 in Shanghai (15:30 UTC) is in March, not April."""
    a, _b = two_departments
    with travel_to(d(2025, 3, 31), hour=23):
        rate(department=a, level=1)
    assert selectors.kpis(**MARCH)["bad_reviews"] == 1
    assert selectors.kpis(date_from=d(2025, 4, 1))["bad_reviews"] == 0


def test_catalog_figures_for_one_department(db):
    """Department D: two city matters, one online, one certificate cancelled; E has one more."""
    dept, other = DepartmentFactory(code="D04"), DepartmentFactory(code="E05")
    MatterFactory(department=dept, online=True, materials=[CertificateDataFactory()])
    MatterFactory(
        department=dept, online=False, handling_forms=["window"], online_depth=[], visits=2
    )
    MatterFactory(department=other, online=True)
    k = selectors.kpis(department_id=dept.pk)
    assert (k["matters_total"], k["matters_online"], k["online_rate"]) == (2, 1, 0.5)
    assert k["one_visit_matters"] == 1
    assert k["certificates_cancelled"] == 1
    assert sum(k["certificates_by_replacement"].values()) == 1
    city = selectors.kpis()
    assert (city["matters_total"], city["matters_online"]) == (3, 2)
    assert selectors.catalog_figures(department_id=dept.pk).matters_total == 2


def test_every_documented_key_is_there(db):
    """kpis() returns every key of KPI_DEFINITIONS, and the extra keys, even with no data."""
    k = selectors.kpis()
    assert set(k) == set(rules.KPI_DEFINITIONS) | set(selectors.EXTRA_KEYS)
    assert k["online_rate"] is None and k["clocks_red"] == 0


def test_a_bad_period_and_an_unknown_department_are_refused(db):
    """from after to is InvalidInput; an unknown department id is NotFound."""
    with pytest.raises(InvalidInput, match="after it ends"):
        selectors.kpis(date_from=d(2025, 4, 1), date_to=d(2025, 3, 1))
    with pytest.raises(NotFound, match="No department has the id 999999"):
        selectors.kpis(department_id=999_999)


def test_figures_by_department_match_each_departments_own(concluded_in_march, open_clocks):
    """Each row of kpis_by_department equals kpis() for that department alone."""
    rows = selectors.kpis_by_department(today=d(2025, 3, 26), **MARCH)
    assert [r["code"] for r in rows] == ["A01", "B02"]
    for row in rows:
        alone = selectors.kpis(department_id=row["department_id"], today=d(2025, 3, 26), **MARCH)
        assert {k: row[k] for k in alone} == alone
        assert row["name"] in {"甲局", "乙局"}


def test_departments_without_data_are_left_out(concluded_in_march):
    """A department with nothing at all has no row."""
    DepartmentFactory(code="Z99")
    assert "Z99" not in [r["code"] for r in selectors.kpis_by_department()]


def test_ranking_by_hand(concluded_in_march, open_clocks):
    """March, seen on 03-26, default weights 0.4 / 0.2 / 0.2 / 0.2:

    A: on time 2/3, red 0, bad 0, supervision 1/1 → (0.4·2/3 + 0.2 + 0.2 + 0.2) / 1 = 86.67
    B: on time unknown, red 3 (the largest: 0), bad 0 (1), supervision 0/1 (0)
       → (0 + 0.2 + 0) / 0.6 = 33.33
    """
    ranking = selectors.department_ranking(today=d(2025, 3, 26), **MARCH)
    assert [(r["rank"], r["code"]) for r in ranking] == [(1, "A01"), (2, "B02")]
    assert [r["score"] for r in ranking] == [86.67, 33.33]
    b = ranking[1]["indicators"]
    assert b["red"] == {"value": 3, "score": 0.0, "weight": 0.2}
    assert b["on_time"]["value"] is None and b["on_time"]["score"] is None
    assert b["supervision"]["score"] == 0.0


def test_weights_change_the_ranking(concluded_in_march, open_clocks):
    """Weighing bad reviews alone puts A and B level; the argument beats the setting."""
    ranking = selectors.department_ranking(today=d(2025, 3, 26), weights="bad_reviews=1", **MARCH)
    assert [(r["rank"], r["code"], r["score"]) for r in ranking] == [
        (1, "A01", 100.0),
        (1, "B02", 100.0),
    ]


def test_ranking_weights_from_the_setting(concluded_in_march, open_clocks, settings):
    """RANKING_WEIGHTS="red=1": B's 3 red clocks score 0, A's none 1."""
    settings.RANKING_WEIGHTS = "red=1"
    ranking = selectors.department_ranking(today=d(2025, 3, 26), **MARCH)
    assert [(r["code"], r["score"]) for r in ranking] == [("A01", 100.0), ("B02", 0.0)]
    assert ranking[0]["indicators"]["red"]["weight"] == 1.0


def test_bad_ranking_weights_are_refused(db):
    """An unknown indicator in the weights is InvalidInput."""
    with pytest.raises(InvalidInput, match="Unknown ranking indicator 'speed'"):
        selectors.department_ranking(weights={"speed": 1})


def test_departments_with_only_catalog_entries_are_not_ranked(concluded_in_march):
    """Matters alone give nothing to judge, so the department has no place in the ranking."""
    MatterFactory(department=DepartmentFactory(code="M06"))
    codes = [r["code"] for r in selectors.department_ranking(**MARCH)]
    assert "M06" not in codes
    assert "M06" in [r["code"] for r in selectors.kpis_by_department(**MARCH)]


def test_the_ranking_can_reuse_the_rows_of_every_department(
    concluded_in_march, open_clocks, django_assert_num_queries
):
    """Given kpis_by_department()'s rows, the ranking is the same and queries nothing more."""
    args = {"today": d(2025, 3, 26), **MARCH}
    rows = selectors.kpis_by_department(**args)
    with django_assert_num_queries(0):
        reused = selectors.department_ranking(rows=rows, **args)
    assert reused == selectors.department_ranking(**args)
