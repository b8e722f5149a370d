"""``xiaoneng hotline train|check-rules``: what they print and save."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.hotline.routing_factories import history
from xiaoneng.accounts.models import Department
from xiaoneng.hotline.models import DispatchModel, RoutingRule
from xiaoneng.hotline.services import routing as services

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("hotline", *args, stdout=out)
    return out.getvalue()


def test_train_prints_sizes_and_accuracies_and_saves_the_model(hotline):
    """train prints tickets, departments, held-out and top-3 accuracy from the saved model."""
    history(operator=hotline.operator, per_topic=20)
    output = _run("train", "--test-fraction", "0.25", "--seed", "3", "--min-tickets", "30")
    model = DispatchModel.objects.get()
    assert (model.train_size, model.test_size) == (45, 15)
    assert "Tickets: 60 (45 trained on, 15 held out)" in output
    assert "Departments: 3" in output
    accuracy = re.search(r"Held-out accuracy: ([0-9.]+)", output)
    top3 = re.search(r"Held-out top-3 accuracy: ([0-9.]+)", output)
    assert accuracy and float(accuracy.group(1)) == pytest.approx(model.accuracy, abs=0.0005)
    assert top3 and float(top3.group(1)) == pytest.approx(model.top3_accuracy, abs=0.0005)
    assert f"Saved dispatch model {model.pk}" in output


def test_train_with_too_few_tickets_fails_with_the_reason(hotline):
    """No closed tickets: the command fails saying how many it found."""
    with pytest.raises(CommandError, match="found 0"):
        _run("train")


def test_check_rules_prints_each_rule_switched_off(hotline):
    """check-rules names each rule it switched off, and nothing on a second run."""
    services.routing_rule_create(
        actor=hotline.operator, name="城管规则", department=hotline.other, keywords="占道"
    )
    services.routing_rule_create(
        actor=hotline.operator, name="住建规则", department=hotline.department, keywords="物业"
    )
    Department.objects.filter(pk=hotline.other.pk).update(active=False)
    output = _run("check-rules")
    assert output.count("Switched off rule") == 1
    assert "城管规则" in output and hotline.other.code in output
    assert list(RoutingRule.objects.filter(active=True).values_list("name", flat=True)) == [
        "住建规则"
    ]
    assert _run("check-rules") == ""
