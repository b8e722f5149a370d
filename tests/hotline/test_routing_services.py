"""Routing services (issue 5 §3): rules kept by operators, switch-off, training the model."""

from __future__ import annotations

import pytest

from tests.hotline.conftest import Hotline
from tests.hotline.factories import register
from tests.hotline.routing_factories import TOPICS, closed_ticket, handler, history
from xiaoneng.core.errors import InvalidInput, PermissionDenied
from xiaoneng.core.models import AuditEvent
from xiaoneng.hotline import classifier
from xiaoneng.hotline.models import DispatchModel, RoutingRule, TicketCategory
from xiaoneng.hotline.services import routing as services
from xiaoneng.hotline.services import tickets as ticket_services

pytestmark = pytest.mark.django_db


def _rule(hotline: Hotline, **kwargs):  # type: ignore[no-untyped-def]
    values = {"name": "噪音", "department": hotline.department, "keywords": "噪音"}
    values.update(kwargs)
    return services.routing_rule_create(actor=hotline.operator, **values)


def test_operator_creates_rules_in_order_with_an_audit_event(hotline):
    """New rules go last (position steps of 10), keywords are normalised, each is audited."""
    first = _rule(hotline, keywords="噪音，施工、 扰民")
    second = services.routing_rule_create(
        actor=hotline.office, name="东城", department=hotline.other, district=" 东城区 "
    )
    assert (first.position, second.position) == (10, 20)
    assert first.keywords == "噪音 施工 扰民"
    assert second.district == "东城区"
    assert AuditEvent.objects.filter(action="hotline.routing_rule_create").count() == 2


def test_only_operators_and_the_office_keep_rules(hotline):
    """Department staff and citizens may not create, change or delete rules."""
    rule = _rule(hotline)
    for person in (hotline.head, hotline.citizen, None):
        with pytest.raises(PermissionDenied):
            services.routing_rule_create(
                actor=person, name="x", department=hotline.department, keywords="x"
            )
        with pytest.raises(PermissionDenied):
            services.routing_rule_update(actor=person, rule=rule, name="y")
        with pytest.raises(PermissionDenied):
            services.routing_rule_delete(actor=person, rule=rule)


def test_a_rule_without_conditions_is_refused(hotline):
    """A rule with no category, keyword or district would match everything: refused."""
    with pytest.raises(InvalidInput, match="at least one condition"):
        _rule(hotline, keywords=" ，、 ", district=" ")
    rule = _rule(hotline)
    with pytest.raises(InvalidInput, match="at least one condition"):
        services.routing_rule_update(actor=hotline.operator, rule=rule, keywords="")
    assert RoutingRule.objects.get(pk=rule.pk).keywords == "噪音"


def test_a_rule_must_point_to_an_active_department(hotline):
    """Creating a rule for an inactive department is refused, naming the department."""
    gone = handler("撤销局", active=False).department
    with pytest.raises(InvalidInput, match="撤销局"):
        _rule(hotline, department=gone)


def test_update_changes_only_given_fields_and_switching_on_clears_the_reason(hotline):
    """PATCH-like update keeps the other fields; active=True clears the switch-off reason."""
    noise = TicketCategory.objects.create(code="noise", name="噪音")
    rule = _rule(hotline, category=noise)
    off = services.routing_rule_update(actor=hotline.operator, rule=rule, active=False)
    assert (off.active, off.category, off.keywords) == (False, noise, "噪音")
    RoutingRule.objects.filter(pk=rule.pk).update(disabled_reason="old reason")
    on = services.routing_rule_update(actor=hotline.operator, rule=rule, active=True, position=5)
    assert (on.active, on.disabled_reason, on.position) == (True, "", 5)
    audit = AuditEvent.objects.filter(action="hotline.routing_rule_update").order_by("pk").last()
    assert audit is not None and audit.data["after"]["position"] == 5


def test_delete_removes_the_rule_and_keeps_an_audit_event(hotline):
    """A deleted rule is gone; its audit event keeps what it was."""
    rule = _rule(hotline)
    services.routing_rule_delete(actor=hotline.operator, rule=rule)
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()
    audit = AuditEvent.objects.get(action="hotline.routing_rule_delete")
    assert audit.data["keywords"] == "噪音"


def test_switch_off_reports_rules_of_inactive_departments_once(hotline):
    """Rules of a department made inactive are switched off with the reason, once."""
    keep = _rule(hotline, name="keep")
    stale = _rule(hotline, name="stale", department=hotline.other)
    hotline.other.active = False
    hotline.other.save()
    switched = services.routing_rules_switch_off_inactive(actor=None)
    assert [rule.pk for rule in switched] == [stale.pk]
    stale.refresh_from_db()
    keep.refresh_from_db()
    assert not stale.active and hotline.other.name in stale.disabled_reason
    assert keep.active and keep.disabled_reason == ""
    assert AuditEvent.objects.filter(action="hotline.routing_rule_switch_off").count() == 1
    assert services.routing_rules_switch_off_inactive(actor=hotline.office) == []
    with pytest.raises(InvalidInput, match="inactive"):
        services.routing_rule_update(actor=hotline.operator, rule=stale, active=True)


def test_training_data_are_closed_tickets_a_department_replied_to(hotline):
    """Direct answers, open tickets and not-accepted requests are not training data."""
    who = handler("住建局")
    closed_ticket(operator=hotline.operator, handler=who, text="电梯故障")
    direct = register(operator=hotline.operator, description="咨询办事时间")
    ticket_services.ticket_answer_directly(actor=hotline.operator, ticket=direct, answer="九点")
    open_one = register(operator=hotline.operator, description="房屋漏水")
    ticket_services.ticket_dispatch(
        actor=hotline.operator, ticket=open_one, department=who.department
    )
    category = TicketCategory.objects.create(code="lift", name="电梯安全")
    closed_ticket(operator=hotline.operator, handler=who, text="电梯困人", category=category)
    assert services.training_tickets() == [
        ("电梯故障", who.department.pk),
        ("电梯困人 电梯安全", who.department.pk),
    ]


def test_train_learns_departments_well_above_chance(hotline):
    """60 closed tickets of 3 departments: held-out accuracy far above 1/3, stored and audited."""
    handlers = history(operator=hotline.operator, per_topic=20)
    model = services.dispatch_model_train(actor=hotline.office, min_tickets=30)
    assert (model.train_size, model.test_size) == (48, 12)
    assert sorted(model.labels) == sorted(h.department.pk for h in handlers.values())
    assert model.accuracy >= 0.8  # chance is 1/3
    assert model.top3_accuracy == 1.0  # three departments: the top three are all of them
    assert DispatchModel.objects.get() == model
    audit = AuditEvent.objects.get(action="hotline.dispatch_model_train")
    assert audit.data["accuracy"] == model.accuracy
    scorer = classifier.load(model.pk, bytes(model.payload))
    best, _probability = scorer.ranked("小区电梯故障，业委会不管")[0]
    assert best == handlers["住建"].department.pk


def test_train_is_repeatable_with_the_same_seed(hotline):
    """The same tickets and seed give the same figures; the split is fixed by the seed."""
    history(operator=hotline.operator, per_topic=10)
    first = services.dispatch_model_train(min_tickets=30, seed=7)
    second = services.dispatch_model_train(min_tickets=30, seed=7)
    assert (first.accuracy, first.top3_accuracy, first.test_size) == (
        second.accuracy,
        second.top3_accuracy,
        second.test_size,
    )


def test_train_refuses_too_few_tickets_or_departments(hotline):
    """Too few tickets, one department only, or a bad fraction: InvalidInput saying so."""
    with pytest.raises(InvalidInput, match="found 0"):
        services.dispatch_model_train()
    who = handler("人社局")
    for _ in range(6):
        closed_ticket(operator=hotline.operator, handler=who, text=TOPICS["人社"][0])
    with pytest.raises(InvalidInput, match="at least 2 departments"):
        services.dispatch_model_train(min_tickets=2)
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        services.dispatch_model_train(test_fraction=1.0)
    with pytest.raises(PermissionDenied):
        services.dispatch_model_train(actor=hotline.head)


def test_train_refuses_a_held_out_part_too_small_for_the_departments(hotline):
    """With 3 departments a held-out part of 2 tickets cannot hold one of each: refused."""
    history(operator=hotline.operator, per_topic=5)
    with pytest.raises(InvalidInput, match="held out"):
        services.dispatch_model_train(min_tickets=10, test_fraction=0.1)
