"""Dispatch suggestions (issue 5 §3): rule first, then the model's top departments."""

from __future__ import annotations

import random
from collections.abc import Iterator
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.hotline.routing_factories import TOPICS, description, handler
from xiaoneng.accounts.models import Department
from xiaoneng.hotline import classifier
from xiaoneng.hotline.models import DispatchModel, TicketCategory
from xiaoneng.hotline.selectors.routing import category_path, dispatch_suggestions
from xiaoneng.hotline.services import routing as services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with no model held in the process."""
    classifier.forget()
    yield
    classifier.forget()


def _model(departments: dict[str, Department], per_topic: int = 15) -> DispatchModel:
    """A model trained straight on made-up texts (the service's own path is tested apart)."""
    rng = random.Random(3)
    texts, labels = [], []
    for _ in range(per_topic):
        for topic, department in departments.items():
            texts.append(description(rng, topic))
            labels.append(department.pk)
    result = classifier.train(texts, labels, test_fraction=0.2, seed=1)
    return DispatchModel.objects.create(
        payload=result.payload,
        train_size=result.train_size,
        test_size=result.test_size,
        accuracy=result.accuracy,
        top3_accuracy=result.top3_accuracy,
        labels=result.labels,
    )


@pytest.fixture
def departments(db) -> dict[str, Department]:  # type: ignore[no-untyped-def]
    """One department per topic of the made-up history."""
    return {topic: handler(f"{topic}局").department for topic in TOPICS}


def test_no_model_and_no_rule_gives_nothing(hotline):
    """Before any training and with no rule, there is nothing to suggest."""
    assert dispatch_suggestions(description="小区电梯故障") == []


def test_rules_only_without_a_model(hotline):
    """With no model the first matching rule is the only suggestion, named, no probability."""
    services.routing_rule_create(
        actor=hotline.operator, name="电梯", department=hotline.department, keywords="电梯"
    )
    (only,) = dispatch_suggestions(description="小区电梯故障")
    assert (only.department, only.probability, only.source, only.rule) == (
        hotline.department,
        None,
        "rule",
        "电梯",
    )


def test_the_first_matching_rule_wins(hotline):
    """Of two matching rules the one with the smaller position is suggested."""
    services.routing_rule_create(
        actor=hotline.operator, name="later", department=hotline.other, keywords="电梯", position=20
    )
    services.routing_rule_create(
        actor=hotline.operator,
        name="first",
        department=hotline.department,
        keywords="故障",
        position=10,
    )
    (only,) = dispatch_suggestions(description="小区电梯故障")
    assert only.rule == "first"


def test_a_category_rule_matches_descendant_categories(hotline):
    """A rule on a category matches a ticket filed under one of its subcategories."""
    city = TicketCategory.objects.create(code="city", name="城市管理")
    road = TicketCategory.objects.create(code="city.road", name="道路", parent=city)
    lamp = TicketCategory.objects.create(code="city.road.lamp", name="路灯", parent=road)
    services.routing_rule_create(
        actor=hotline.operator, name="城管", department=hotline.other, category=city
    )
    assert category_path(lamp) == ["city", "city.road", "city.road.lamp"]
    assert [s.rule for s in dispatch_suggestions(description="不亮", category=lamp)] == ["城管"]
    assert dispatch_suggestions(description="不亮") == []


def test_district_rule_needs_the_same_district(hotline):
    """A district rule is offered for its district only."""
    services.routing_rule_create(
        actor=hotline.operator, name="东城", department=hotline.other, district="东城区"
    )
    assert len(dispatch_suggestions(description="噪音", district="东城区")) == 1
    assert dispatch_suggestions(description="噪音", district="西城区") == []


def test_switched_off_rules_and_rules_of_inactive_departments_are_skipped(hotline):
    """An inactive rule, or one whose department went inactive, suggests nothing."""
    off = services.routing_rule_create(
        actor=hotline.operator, name="off", department=hotline.department, keywords="电梯"
    )
    services.routing_rule_update(actor=hotline.operator, rule=off, active=False)
    services.routing_rule_create(
        actor=hotline.operator, name="gone", department=hotline.other, keywords="电梯"
    )
    Department.objects.filter(pk=hotline.other.pk).update(active=False)
    assert dispatch_suggestions(description="电梯故障") == []


def test_model_gives_the_top_three_by_probability(hotline, departments):
    """With a model and no rule: three departments, most likely first, probabilities falling."""
    _model(departments)
    suggestions = dispatch_suggestions(description="公司拖欠工资三个月，也不签劳动合同")
    assert [s.source for s in suggestions] == ["model"] * 3
    assert suggestions[0].department == departments["人社"]
    probabilities = [s.probability for s in suggestions]
    assert probabilities == sorted(probabilities, reverse=True)  # type: ignore[type-var]
    assert probabilities[0] is not None and probabilities[0] > 0.5
    assert len({s.department.pk for s in suggestions}) == 3


def test_rule_comes_first_and_its_department_is_not_repeated(hotline, departments):
    """The rule's department leads; the model's list skips it, so no department twice."""
    _model(departments)
    services.routing_rule_create(
        actor=hotline.operator, name="欠薪", department=departments["人社"], keywords="工资"
    )
    suggestions = dispatch_suggestions(description="公司拖欠工资三个月")
    assert [s.source for s in suggestions] == ["rule", "model", "model"]
    assert suggestions[0].department == departments["人社"]
    assert len({s.department.pk for s in suggestions}) == 3
    assert dispatch_suggestions(description="公司拖欠工资", limit=1)[0].source == "rule"
    assert dispatch_suggestions(description="公司拖欠工资", limit=0) == []


def test_inactive_departments_are_never_suggested_by_the_model(hotline, departments):
    """A department made inactive after training drops out; the next one moves up."""
    _model(departments)
    Department.objects.filter(pk=departments["人社"].pk).update(active=False)
    suggestions = dispatch_suggestions(description="公司拖欠工资三个月，也不签劳动合同")
    assert departments["人社"].pk not in {s.department.pk for s in suggestions}
    assert len(suggestions) == 2


def test_text_without_words_gets_no_model_suggestion(hotline, departments):
    """Punctuation alone carries nothing to classify: no model suggestions."""
    _model(departments)
    assert dispatch_suggestions(description="。。！") == []


def test_newest_model_is_used_and_unpickled_once(hotline, departments):
    """Repeated calls unpickle the newest model once; a newer model replaces it in the cache."""
    first = _model(departments)
    with mock.patch(
        "xiaoneng.hotline.classifier.pickle.loads", wraps=classifier.pickle.loads
    ) as loads:
        for _ in range(3):
            dispatch_suggestions(description="电梯故障")
        assert loads.call_count == 1
        assert classifier.cached_ids() == [first.pk]
        second = _model(departments)
        dispatch_suggestions(description="电梯故障")
        assert loads.call_count == 2
        assert classifier.cached_ids() == [second.pk]


def test_suggestions_cost_a_fixed_number_of_queries(hotline, departments):
    """Rules, category tree, newest model id, departments: four queries once the model is loaded."""
    _model(departments)
    category = TicketCategory.objects.create(code="labour", name="劳动保障")
    services.routing_rule_create(
        actor=hotline.operator, name="cat", department=hotline.other, category=category
    )
    dispatch_suggestions(description="拖欠工资")  # loads the model
    with CaptureQueriesContext(connection) as queries:
        suggestions = dispatch_suggestions(description="拖欠工资", category=category)
    assert len(queries) == 4
    assert suggestions[0].source == "rule"


def test_inactive_departments_beyond_the_first_batch_are_looked_past(hotline):
    """When the likeliest six departments are inactive, the next active ones are offered."""
    words = ["占道", "物业", "工资", "停水", "路灯", "学位", "医保", "户口"]
    departments = [handler(f"部门{i}").department for i in range(len(words))]
    texts = [f"{word}问题{n}" for word in words for n in range(5)]
    labels = [d.pk for d in departments for _ in range(5)]
    result = classifier.train(texts, labels, test_fraction=0.2, seed=1)
    DispatchModel.objects.create(
        payload=result.payload,
        train_size=result.train_size,
        test_size=result.test_size,
        accuracy=result.accuracy,
        top3_accuracy=result.top3_accuracy,
        labels=result.labels,
    )
    ranking = [
        pk
        for pk, _p in classifier.load(DispatchModel.objects.get().pk, result.payload).ranked(
            "占道问题"
        )
    ]
    Department.objects.filter(pk__in=ranking[:6]).update(active=False)
    suggestions = dispatch_suggestions(description="占道问题")
    assert [s.department.pk for s in suggestions] == ranking[6:]
