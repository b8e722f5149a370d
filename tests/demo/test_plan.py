"""The demo city's plan adds up to the report's figures (claims S1, S2, S4, S5, S8, S10)."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xiaoneng.demo import figures as F
from xiaoneng.demo.departments import XINLE_CODE
from xiaoneng.demo.plan import S10_NAMES, CityPlan, build_plan


@pytest.fixture(scope="module")
def plan() -> CityPlan:
    return build_plan()


def _city_government(plan: CityPlan):
    units = {d.code for d in plan.departments if d.service_unit}
    return [m for m in plan.matters if m.level == "city" and m.department_code not in units]


def test_city_level_catalog_has_504_matters_456_online(plan):
    """S1: 456 of 504 city-level matters are online (90.48 %)."""
    city = _city_government(plan)
    assert len(city) == F.CITY_MATTERS
    assert sum(m.online for m in city) == F.CITY_MATTERS_ONLINE
    assert round(F.CITY_MATTERS_ONLINE / F.CITY_MATTERS * 100, 2) == 90.48


def test_81_percent_of_city_matters_are_in_the_hall(plan):
    """S2: 408 / 504 = 80.95 %, which the report rounds to 81 %."""
    assert sum(m.in_hall for m in _city_government(plan)) == F.CITY_MATTERS_IN_HALL


def test_one_visit_list_has_543_matters_from_21_providers(plan):
    """S4: city departments and public-service units together list 543 matters."""
    listed = [m for m in plan.matters if m.level == "city" and m.visits <= 1]
    assert len(listed) == F.ONE_VISIT_LIST
    assert len({m.department_code for m in listed}) == F.ONE_VISIT_PROVIDERS


def test_108_certificates_cancelled_at_city_level_and_41_in_xinle(plan):
    """S5: 108 city-level certificates have a replacement; Xinle's 41 are the most."""
    city = sum(
        1
        for m in plan.matters
        if m.level == "city"
        for x in m.current.materials
        if x.is_certificate and x.replacement
    )
    assert city == F.CITY_CERTIFICATES_CANCELLED
    per_county = Counter(
        m.department_code[:6]
        for m in plan.matters
        if m.level == "county"
        for x in m.current.materials
        if x.replacement
    )
    assert per_county[XINLE_CODE] == F.XINLE_CERTIFICATES_CANCELLED
    assert per_county.most_common(1)[0][0] == XINLE_CODE


def test_provident_fund_loans_dropped_7_and_6_certificates(plan):
    """S8: 7 certificates for personal loans, 6 for cooperative projects."""
    by_name = {m.name: m for m in plan.matters if m.level == "city"}
    personal = by_name["住房公积金个人住房贷款"].current.materials
    cooperative = by_name["住房公积金贷款合作项目准入"].current.materials
    assert sum(x.replacement != "" for x in personal) == 7
    assert sum(x.replacement != "" for x in cooperative) == 6


def test_s10_revision_cuts_materials_steps_and_time(plan):
    """S10: materials −12 %, steps −10 %, promised time −15 % over the 15 revised matters."""
    revised = [m for m in plan.matters if m.level == "city" and m.name in S10_NAMES]
    assert len(revised) == F.S10_REVISED_MATTERS
    before = [m.versions[0] for m in revised]
    after = [m.versions[-1] for m in revised]
    assert (sum(len(v.materials) for v in before), sum(len(v.materials) for v in after)) == (
        F.S10_MATERIALS
    )
    assert (sum(len(v.steps) for v in before), sum(len(v.steps) for v in after)) == F.S10_STEPS
    assert (
        sum(v.promised_limit_days for v in before),
        sum(v.promised_limit_days for v in after),
    ) == F.S10_PROMISED_DAYS


def test_codes_are_unique(plan):
    """Every matter has its own implementation code and every department its own code."""
    assert len({m.code for m in plan.matters}) == len(plan.matters)
    assert len({d.code for d in plan.departments}) == len(plan.departments)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000), scale=st.integers(1, 3))
def test_figures_hold_for_any_seed_and_scale(seed, scale):
    """The city-level figures do not depend on the seed or the scale; the plan is repeatable."""
    plan = build_plan(seed=seed, scale=scale)
    city = _city_government(plan)
    assert len(city) == F.CITY_MATTERS
    assert sum(m.online for m in city) == F.CITY_MATTERS_ONLINE
    assert sum(1 for m in plan.matters if m.level == "city" and m.visits <= 1) == 543
    for m in plan.matters:
        v = m.current
        assert v.promised_limit_days <= v.legal_limit_days
        assert (v.promised_limit_days == 0) == (m.kind == "instant")
    again = build_plan(seed=seed, scale=scale)
    assert [m.code for m in again.matters] == [m.code for m in plan.matters]
    assert len([m for m in plan.matters if m.level == "county"]) == 21 * 10 * scale
