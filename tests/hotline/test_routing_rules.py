"""Pure routing-rule matching (issue 5 §3): first match wins, conditions, keyword splitting."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from xiaoneng.hotline.routing_rules import (
    Rule,
    first_match,
    has_conditions,
    rule_matches,
    split_keywords,
)

WORDS = ["噪音", "施工", "物业", "停水", "占道", "油烟", "欠薪", "路灯"]
CODES = ["city", "city.road", "city.road.lamp", "env", "env.noise", "house"]
DISTRICTS = ["", "东城区", "西城区"]

words = st.sampled_from(WORDS)
rules_st = st.builds(
    Rule,
    key=st.integers(0, 10_000),
    department=st.integers(1, 5),
    category=st.sampled_from(["", *CODES]),
    keywords=st.lists(words, max_size=3, unique=True).map(tuple),
    district=st.sampled_from(DISTRICTS),
)
# A ticket: a category path (top-level first), a text, a district.
paths = st.sampled_from(
    [
        [],
        ["city"],
        ["city", "city.road"],
        ["city", "city.road", "city.road.lamp"],
        ["env", "env.noise"],
        ["house"],
    ]
)
texts = st.lists(words, max_size=4).map("，".join)


def test_split_keywords_takes_every_separator():
    """Spaces, commas of both widths, 、 and semicolons separate; blanks and repeats go."""
    assert split_keywords(" 噪音,施工，物业、停水;油烟；噪音\u3000路灯 ") == (
        "噪音",
        "施工",
        "物业",
        "停水",
        "油烟",
        "路灯",
    )
    assert split_keywords("") == ()


def test_each_condition_must_hold():
    """Category (or below), any one keyword, and the exact district must all hold."""
    rule = Rule(
        key=1, department=7, category="city.road", keywords=("路灯", "井盖"), district="东城区"
    )
    lamp = ["city", "city.road", "city.road.lamp"]
    assert rule_matches(rule, category_path=lamp, text="人民路路灯不亮", district="东城区")
    assert rule_matches(rule, category_path=lamp, text="人民路路灯不亮", district=" 东城区 ")
    assert not rule_matches(rule, category_path=["city"], text="路灯不亮", district="东城区")
    assert not rule_matches(rule, category_path=lamp, text="道路破损", district="东城区")
    assert not rule_matches(rule, category_path=lamp, text="路灯不亮", district="西城区")


def test_keywords_ignore_latin_case():
    """A Latin keyword matches whatever its case in the text."""
    rule = Rule(key=1, department=1, keywords=("WiFi",))
    assert rule_matches(rule, category_path=[], text="公园的wifi连不上", district="")


def test_a_rule_without_conditions_matches_everything_and_is_flagged():
    """No condition matches every ticket; has_conditions tells so the services can refuse it."""
    catch_all = Rule(key=1, department=1)
    assert rule_matches(catch_all, category_path=[], text="任何内容", district="南湖区")
    assert not has_conditions(category="", keywords=(), district="  ")
    assert has_conditions(category="", keywords=(), district="东城区")


@given(
    rules=st.lists(rules_st, max_size=8),
    path=paths,
    text=texts,
    district=st.sampled_from(DISTRICTS),
)
def test_first_match_is_the_first_rule_that_matches(rules, path, text, district):
    """The winner matches, and no rule before it does."""
    winner = first_match(rules, category_path=path, text=text, district=district)
    matching = [
        i
        for i, r in enumerate(rules)
        if rule_matches(r, category_path=path, text=text, district=district)
    ]
    if winner is None:
        assert matching == []
    else:
        assert matching and rules[matching[0]] is winner


@given(
    rules=st.lists(rules_st, max_size=8),
    path=paths,
    text=texts,
    district=st.sampled_from(DISTRICTS),
    seed=st.randoms(use_true_random=False),
)
def test_order_of_non_matching_rules_does_not_matter(rules, path, text, district, seed):
    """Shuffling the non-matching rules, the matching ones kept in order, keeps the winner."""
    winner = first_match(rules, category_path=path, text=text, district=district)
    matching = [
        r for r in rules if rule_matches(r, category_path=path, text=text, district=district)
    ]
    others = [
        r for r in rules if not rule_matches(r, category_path=path, text=text, district=district)
    ]
    seed.shuffle(others)
    # Interleave: the non-matching rules at random places, the matching ones in their order.
    slots = sorted(seed.sample(range(len(rules)), len(matching)))
    mixed: list[Rule] = []
    queue_m, queue_o = iter(matching), iter(others)
    for i in range(len(rules)):
        mixed.append(next(queue_m) if i in slots else next(queue_o))
    assert first_match(mixed, category_path=path, text=text, district=district) is winner


@given(code=st.sampled_from(CODES), path=paths, text=texts)
def test_category_matches_itself_and_every_descendant(code, path, text):
    """A category rule matches exactly the tickets whose category path passes through it."""
    rule = Rule(key=1, department=1, category=code)
    assert rule_matches(rule, category_path=path, text=text, district="") == (code in path)


@given(rule=rules_st, path=paths, text=texts, district=st.sampled_from(DISTRICTS))
def test_adding_a_condition_never_widens_a_rule(rule, path, text, district):
    """A rule with one more keyword condition matches only tickets the looser rule matched."""
    looser = Rule(
        key=rule.key, department=rule.department, category=rule.category, district=rule.district
    )
    if rule_matches(rule, category_path=path, text=text, district=district):
        assert rule_matches(looser, category_path=path, text=text, district=district)
