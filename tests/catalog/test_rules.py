"""Pure catalog rules: compression ratio, version comparison, cross-row checks (no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.catalog import rules


def test_compression_ratio_of_the_report():
    """A 20-day legal limit promised in 6 days is compressed by 70 % (DOMAIN_RULES.md §2)."""
    assert rules.compression_ratio(20, 6) == pytest.approx(0.7)


def test_instant_matter_compresses_fully():
    """A matter concluded on the spot (promised 0) saves the whole legal limit."""
    assert rules.compression_ratio(20, 0) == 1


@pytest.mark.parametrize("legal", [None, 0])
def test_no_legal_limit_has_no_ratio(legal):
    """Without a positive legal limit there is nothing to compress: the ratio is None."""
    assert rules.compression_ratio(legal, 5) is None


@given(legal=st.integers(1, 400), data=st.data())
def test_compression_ratio_stays_between_zero_and_one(legal, data):
    """Any promise within the legal limit compresses by a ratio in [0, 1], shorter is higher."""
    promised = data.draw(st.integers(0, legal))
    ratio = rules.compression_ratio(legal, promised)
    assert ratio is not None and 0 <= ratio <= 1
    if promised > 0:
        assert rules.compression_ratio(legal, promised - 1) > ratio  # type: ignore[operator]


def test_claim_s10_percentages():
    """Claim S10's 15 matters: 100→88 materials, 60→54 steps, 200→170 days is −12/−10/−15 %."""
    before = rules.VersionFigures(
        materials=100, steps=60, legal_limit_days=300, promised_limit_days=200
    )
    after = rules.VersionFigures(
        materials=88, steps=54, legal_limit_days=300, promised_limit_days=170
    )
    comparison = rules.compare_figures(before, after).as_dict()
    assert comparison["materials"]["percent"] == -12.0
    assert comparison["steps"]["percent"] == -10.0
    assert comparison["promised_limit_days"]["percent"] == -15.0
    assert comparison["legal_limit_days"] == {
        "before": 300,
        "after": 300,
        "difference": 0,
        "percent": 0.0,
    }


def test_percent_change_from_zero_is_none():
    """A figure that grows from 0 has no percentage (no base), only a difference."""
    change = rules.Change(before=0, after=3)
    assert change.percent is None
    assert change.difference == 3


@given(before=st.integers(1, 10_000), after=st.integers(0, 10_000))
def test_percent_change_round_trips(before, after):
    """Applying the percentage to the base gives back the new figure."""
    percent = rules.percent_change(before, after)
    assert percent is not None
    assert before * (1 + percent / 100) == pytest.approx(after)


figures = st.builds(
    rules.VersionFigures,
    materials=st.integers(0, 50),
    steps=st.integers(0, 20),
    legal_limit_days=st.integers(0, 60),
    promised_limit_days=st.integers(0, 60),
)


@given(st.lists(figures, max_size=20))
def test_sum_of_figures_adds_each_figure(items):
    """Summing versions adds every figure and counts the matters."""
    total = rules.sum_figures(items)
    assert total.materials == sum(i.materials for i in items)
    assert total.steps == sum(i.steps for i in items)
    assert total.promised_limit_days == sum(i.promised_limit_days for i in items)
    assert total.matters == len(items)


def test_in_force_takes_latest_date_not_after_the_day():
    """In force: the latest effective date on or before the day; ties go to the higher number."""
    versions = [(dt.date(2019, 1, 1), 1), (dt.date(2020, 1, 1), 2), (dt.date(2020, 1, 1), 3)]
    assert rules.pick_in_force(versions, dt.date(2018, 12, 31)) is None
    assert rules.pick_in_force(versions, dt.date(2019, 6, 1)) == (dt.date(2019, 1, 1), 1)
    assert rules.pick_in_force(versions, dt.date(2020, 1, 1)) == (dt.date(2020, 1, 1), 3)


def test_commitment_needs_a_matter_that_allows_it():
    """A material replaced by informed commitment is refused when the matter does not allow it."""
    problems = rules.content_problems(
        {"allows_commitment": False}, [{"name": "证明", "replacement": "commitment"}], []
    )
    assert [p.field for p in problems] == ["materials[0].replacement"]
    assert not rules.content_problems(
        {"allows_commitment": True}, [{"name": "证明", "replacement": "commitment"}], []
    )


def test_fees_need_the_fee_flag():
    """Fee items on a matter that says it charges nothing are refused."""
    problems = rules.content_problems({"charges_fee": False}, [], [{"item": "工本费"}])
    assert [p.field for p in problems] == ["charges_fee"]


def test_material_names_are_distinct():
    """Two materials with the same name are refused on the second one."""
    problems = rules.content_problems({}, [{"name": "身份证"}, {"name": "身份证"}], [])
    assert [p.field for p in problems] == ["materials[1].name"]
