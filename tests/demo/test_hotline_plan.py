"""The demo hotline's season as a plan: plain data that always follows the ticket rules."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from xiaoneng.demo import hotline_data as data
from xiaoneng.demo.hotline import (
    STUCK_RED,
    STUCK_YELLOW,
    TO_DISPATCH_TODAY,
    PlannedTicket,
    Step,
    handler_username,
    handling_departments,
    plan_is_valid,
    plan_tickets,
)
from xiaoneng.hotline import rules

SHANGHAI = ZoneInfo("Asia/Shanghai")
LIMITS = {
    (t.value, u.value): rules.default_limit_days(t.value, u.value)
    for t in rules.TicketType
    for u in rules.Urgency
}


def _workdays(today: dt.date, days: int) -> list[dt.date]:
    """Monday to Friday from well before the season to today (no holidays: a plain week)."""
    first = today - dt.timedelta(days=days + 14)
    every = (first + dt.timedelta(days=i) for i in range((today - first).days + 1))
    return [d for d in every if d.weekday() < 5]


def _plan(seed: int, now: dt.datetime, tickets: int, days: int = 60) -> list[PlannedTicket]:
    return plan_tickets(
        seed=seed,
        now=now,
        workdays=_workdays(now.date(), days),
        limits=LIMITS,
        tickets=tickets,
        days=days,
    )


NOW = dt.datetime(2025, 6, 18, 15, 30, tzinfo=SHANGHAI)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    now=st.datetimes(min_value=dt.datetime(2024, 3, 1), max_value=dt.datetime(2026, 10, 1)).map(
        lambda d: d.replace(tzinfo=SHANGHAI)
    ),
    tickets=st.integers(0, 120),
)
def test_every_planned_ticket_follows_the_transition_table(seed, now, tickets):
    """Whatever the seed, day and size, each ticket's steps are allowed by rules.TRANSITIONS
    in order, in time order, and none is at or after the end of the season."""
    plan = _plan(seed, now, tickets)
    for ticket in plan:
        assert plan_is_valid(ticket) == [], ticket
        assert all(step.at < now for step in ticket.steps)
        assert ticket.steps[0].at >= now - dt.timedelta(days=61)
    # The season's tickets plus today's queue and the stuck ones, in registration order.
    assert tickets + TO_DISPATCH_TODAY <= len(plan) <= tickets + TO_DISPATCH_TODAY + 4
    assert [t.steps[0].at for t in plan] == sorted(t.steps[0].at for t in plan)


def test_the_same_seed_gives_the_same_plan():
    """The plan is deterministic: the same arguments lay out the same tickets."""
    assert _plan(7, NOW, 80) == _plan(7, NOW, 80)
    assert _plan(7, NOW, 80) != _plan(8, NOW, 80)


def test_a_season_holds_every_path_of_the_loop():
    """Direct answers, refusals, send-backs, late replies, reopens, closes dissatisfied,
    today's queue and the stuck tickets all occur in a season of normal size."""
    plan = _plan(2019, NOW, 2400, days=90)
    actions = Counter(step.action for t in plan for step in t.steps)
    loop = ("register", "answer_directly", "close_not_accepted", "dispatch", "accept", "return")
    for action in (*loop, "reply", "visit_satisfied", "visit_reopen", "visit_close_dissatisfied"):
        assert actions[action] > 0, action
    # Consultations are mostly answered at first contact (直办), other types mostly dispatched.
    consultations = [t for t in plan if t.ticket_type == "consultation"]
    direct = [t for t in consultations if t.steps[1:2] and t.steps[1].action == "answer_directly"]
    assert 0.6 < len(direct) / len(consultations) < 0.95
    waiting = [t for t in plan if len(t.steps) == 1]
    assert len(waiting) >= TO_DISPATCH_TODAY
    assert all(t.steps[0].at.date() >= NOW.date() - dt.timedelta(days=1) for t in waiting[-10:])
    # Every channel and type occurs; old numbers bring their own default category.
    assert {t.channel for t in plan} == {c.value for c in rules.Channel}
    assert {t.ticket_type for t in plan} == {k.value for k in rules.TicketType}
    defaults = {number: category for number, _n, _d, category in data.OLD_NUMBERS}
    for ticket in plan:
        if ticket.channel == "old_number":
            assert ticket.category == defaults[ticket.hotline_number]
        if ticket.channel == "open311":
            assert ticket.ticket_type == "help" and ticket.latitude is not None
        if ticket.channel == "web":
            assert ticket.steps[0].actor == "" and ticket.urgency == "ordinary"
    # Accepted complaints that were not replied: the stuck ones are among them.
    unreplied = [t for t in plan if t.steps[-1].action == "accept" and t.ticket_type == "complaint"]
    assert len(unreplied) >= STUCK_RED + STUCK_YELLOW


def test_phones_and_names_are_visibly_synthetic():
    """Reporters are anonymous or 王先生-style names with 1380000xxxx phones."""
    plan = _plan(3, NOW, 400)
    for ticket in plan:
        if ticket.reporter_phone:
            assert ticket.reporter_phone.startswith("1380000") and len(ticket.reporter_phone) == 11
            assert ticket.reporter_name[-2:] in ("先生", "女士")
        else:
            assert ticket.reporter_name == ""


def test_the_checker_finds_a_broken_ticket():
    """plan_is_valid reports a step the table refuses and a visit level that does not fit."""
    at = NOW - dt.timedelta(days=3)
    accept_first = PlannedTicket(
        key=1,
        channel="phone",
        ticket_type="help",
        description="x",
        steps=(Step(at, "register", "operator"), Step(at, "accept", "window007")),
    )
    assert plan_is_valid(accept_first)
    wrong_level = PlannedTicket(
        key=2,
        channel="phone",
        ticket_type="help",
        description="x",
        steps=(
            Step(at, "register", "operator"),
            Step(at, "dispatch", "operator", department="130100007"),
            Step(at, "accept", "window007"),
            Step(at, "reply", "window007", text="ok"),
            Step(at, "visit_satisfied", "operator", level=1),
        ),
    )
    assert plan_is_valid(wrong_level) == ["visit_satisfied with level 1"]


def test_the_tables_add_up_to_claim_s19():
    """17 old numbers of 14 departments; every code in the tables is known and handled."""
    assert len(data.OLD_NUMBERS) == 17
    assert len({number for number, *_ in data.OLD_NUMBERS}) == 17
    assert len({code for _n, _name, code, _c in data.OLD_NUMBERS}) == 14
    leaves = {leaf.code for leaf in data.LEAVES}
    tops = {code for code, _name in data.TOP_CATEGORIES}
    assert 10 <= len(tops) <= 14 and 38 <= len(leaves) <= 50
    assert all(code[:2] in tops for code in leaves)
    assert all(category in leaves for *_x, category in data.OLD_NUMBERS)
    assert all(category in leaves for category, *_x in data.ARTICLES)
    assert len(data.ARTICLES) >= 40 and len({a[2] for a in data.ARTICLES}) == len(data.ARTICLES)
    assert 15 <= len(data.ROUTING_RULES) <= 20
    assert all(not rule[1] or rule[1] in leaves | tops for rule in data.ROUTING_RULES)
    # Handlers are named after their department code, and no two departments share one.
    names = [handler_username(code) for code in handling_departments()]
    assert len(set(names)) == len(names)
    assert handler_username("130100001") == "window"
    assert handler_username("130100007") == "window007"
