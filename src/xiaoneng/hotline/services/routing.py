"""Writes of dispatch suggestions (issue 5 §3): routing rules and the dispatch classifier.

Routing rules (派单规则) are kept by the hotline operators and the efficiency office
(``services.tickets.is_operator``). Each service is keyword-only with ``actor``, owns its
transaction and records an audit event. A rule must set at least one condition and point to
an active department; a rule whose department becomes inactive is switched off by
:func:`routing_rules_switch_off_inactive` (``xiaoneng hotline check-rules``) and reported.

The classifier is trained by :func:`dispatch_model_train` (``xiaoneng hotline train``) on the
platform's own closed tickets; see :mod:`xiaoneng.hotline.classifier`.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.accounts.models import Department
from xiaoneng.core.errors import InvalidInput, PermissionDenied
from xiaoneng.core.services import audit_record
from xiaoneng.hotline import classifier, rules
from xiaoneng.hotline.models import (
    DispatchModel,
    RoutingRule,
    Ticket,
    TicketCategory,
    TicketEvent,
)
from xiaoneng.hotline.routing_rules import has_conditions, split_keywords
from xiaoneng.hotline.services.tickets import is_operator

# Positions of new rules step by 10, so a rule can later be slipped in between two others.
POSITION_STEP = 10
DEFAULT_MIN_TICKETS = 50
# A department with fewer closed tickets than this is left out of training: a stratified
# split needs at least two of each, and two tickets teach the model nothing reliable.
MIN_TICKETS_PER_DEPARTMENT = 5


class _Unset:
    """Marks an argument of :func:`routing_rule_update` that was not given."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def _require_keeper(actor: Any) -> None:
    if not is_operator(actor):
        raise PermissionDenied(
            _("Only hotline operators and the efficiency office may change routing rules.")
        )


def _check_department(department: Department) -> None:
    if not department.active:
        raise InvalidInput(
            _("A routing rule must point to an active department; %(name)s (%(code)s) is inactive.")
            % {"name": department.name, "code": department.code},
            details={"field": "department", "value": department.code},
        )


def _clean(rule: RoutingRule) -> None:
    """Check a rule's conditions and normalise its text fields before saving."""
    rule.name = (rule.name or "").strip()
    if not rule.name:
        raise InvalidInput(
            _("The rule's name is required, got an empty text."), details={"field": "name"}
        )
    rule.keywords = " ".join(split_keywords(rule.keywords))
    rule.district = (rule.district or "").strip()
    if not has_conditions(
        category=rule.category.code if rule.category is not None else "",
        keywords=split_keywords(rule.keywords),
        district=rule.district,
    ):
        raise InvalidInput(
            _(
                "A routing rule needs at least one condition (category, keywords or "
                "district); got none, which would match every ticket."
            ),
            details={"field": "keywords"},
        )
    rule.full_clean()


def _as_data(rule: RoutingRule) -> dict[str, Any]:
    return {
        "position": rule.position,
        "name": rule.name,
        "category": rule.category.code if rule.category is not None else "",
        "keywords": rule.keywords,
        "district": rule.district,
        "department": rule.department.code,
        "active": rule.active,
        "disabled_reason": rule.disabled_reason,
    }


def routing_rule_create(
    *,
    actor: Any,
    name: str,
    department: Department,
    category: TicketCategory | None = None,
    keywords: str = "",
    district: str = "",
    position: int | None = None,
) -> RoutingRule:
    """Add a routing rule; without ``position`` it goes last (issue 5 §3: first match wins).

    Raises:
        PermissionDenied: the actor is not a hotline operator or the office.
        InvalidInput: no condition at all, an empty name, or an inactive department.
    """
    _require_keeper(actor)
    _check_department(department)
    with transaction.atomic():
        if position is None:
            last = RoutingRule.objects.aggregate(last=Max("position"))["last"]
            position = (last or 0) + POSITION_STEP
        rule = RoutingRule(
            position=position,
            name=name,
            category=category,
            keywords=keywords,
            district=district,
            department=department,
            updated_at=timezone.now(),
        )
        _clean(rule)
        rule.save()
        audit_record(
            actor=actor,
            action="hotline.routing_rule_create",
            target=rule,
            summary=_("Routing rule %(name)s → %(department)s")
            % {"name": rule.name, "department": department.name},
            data=_as_data(rule),
        )
    return rule


def routing_rule_update(
    *,
    actor: Any,
    rule: RoutingRule,
    name: Any = UNSET,
    department: Any = UNSET,
    category: Any = UNSET,
    keywords: Any = UNSET,
    district: Any = UNSET,
    position: Any = UNSET,
    active: Any = UNSET,
) -> RoutingRule:
    """Change the given fields of a rule (the others stay); ``active=True`` switches it on again.

    Switching a rule on clears the reason it was switched off; a rule is only on while its
    department is active.

    Raises:
        PermissionDenied: the actor is not a hotline operator or the office.
        InvalidInput: the rule would have no condition, an empty name, or an inactive
            department while on.
    """
    _require_keeper(actor)
    with transaction.atomic():
        locked = RoutingRule.objects.select_for_update().get(pk=rule.pk)
        before = _as_data(locked)
        for field, value in (
            ("name", name),
            ("department", department),
            ("category", category),
            ("keywords", keywords),
            ("district", district),
            ("position", position),
            ("active", active),
        ):
            if value is not UNSET:
                setattr(locked, field, value)
        if locked.active:
            _check_department(locked.department)
            locked.disabled_reason = ""
        locked.updated_at = timezone.now()
        _clean(locked)
        locked.save()
        audit_record(
            actor=actor,
            action="hotline.routing_rule_update",
            target=locked,
            summary=_("Routing rule %(name)s changed") % {"name": locked.name},
            data={"before": before, "after": _as_data(locked)},
        )
    return locked


def routing_rule_delete(*, actor: Any, rule: RoutingRule) -> None:
    """Delete a rule (switching it off with ``active=False`` keeps it for later instead).

    Raises:
        PermissionDenied: the actor is not a hotline operator or the office.
    """
    _require_keeper(actor)
    with transaction.atomic():
        locked = (
            RoutingRule.objects.select_for_update(of=("self",))
            .select_related("category")
            .get(pk=rule.pk)
        )
        data = _as_data(locked)
        audit_record(
            actor=actor,
            action="hotline.routing_rule_delete",
            target=locked,
            summary=_("Routing rule %(name)s deleted") % {"name": locked.name},
            data=data,
        )
        locked.delete()


def routing_rules_switch_off_inactive(*, actor: Any = None) -> list[RoutingRule]:
    """Switch off every active rule whose department is inactive, and return them (§3).

    Each rule gets ``active=False`` and the reason, and an audit event, so the switch-off is
    reported (``xiaoneng hotline check-rules`` prints them). Idempotent: a second run finds
    nothing. ``actor`` is ``None`` when the system runs it (command, scheduled job).

    Raises:
        PermissionDenied: a person who is not a hotline operator or the office.
    """
    if actor is not None:
        _require_keeper(actor)
    with transaction.atomic():
        stale = list(
            RoutingRule.objects.select_for_update(of=("self",))
            .select_related("department", "category")
            .filter(active=True, department__active=False)
            .order_by("position", "id")
        )
        now = timezone.now()
        for rule in stale:
            rule.active = False
            rule.disabled_reason = _(
                "Switched off: department %(name)s (%(code)s) is inactive."
            ) % {"name": rule.department.name, "code": rule.department.code}
            rule.updated_at = now
            rule.save(update_fields=["active", "disabled_reason", "updated_at"])
            audit_record(
                actor=actor,
                action="hotline.routing_rule_switch_off",
                target=rule,
                summary=rule.disabled_reason,
                data={"department": rule.department.code, "name": rule.name},
            )
    return stale


# -- the dispatch classifier ------------------------------------------------------------------


def training_text(description: str, category_name: str | None) -> str:
    """What the classifier reads of a ticket: the description, then the category's name."""
    return f"{description} {category_name}" if category_name else description


def training_tickets() -> list[tuple[str, int]]:
    """(text, department id) of every closed ticket a department replied to (label = it).

    Closed tickets with a handling department and a reply event: the department that
    answered is the one the ticket belonged to. Direct answers, not-accepted requests and
    merged duplicates have no reply of their own and are left out.
    """
    replied = TicketEvent.objects.filter(
        ticket=OuterRef("pk"), action=rules.TicketAction.REPLY.value
    )
    rows = (
        Ticket.objects.filter(status=rules.TicketStatus.CLOSED.value, department__isnull=False)
        .filter(Exists(replied))
        .order_by("pk")
        .values_list("description", "category__name", "department_id")
    )
    return [(training_text(text, category), department) for text, category, department in rows]


def dispatch_model_train(
    *,
    actor: Any = None,
    test_fraction: float = 0.2,
    seed: int = 2019,
    min_tickets: int = DEFAULT_MIN_TICKETS,
) -> DispatchModel:
    """Train the dispatch classifier on the platform's closed tickets and store it (§3).

    Departments with fewer than :data:`MIN_TICKETS_PER_DEPARTMENT` tickets are left out. The
    split is stratified and fixed by ``seed``; the stored model is the one scored on the
    held-out part (see :func:`xiaoneng.hotline.classifier.train`). The newest stored model is
    the one the suggestions use.

    Raises:
        PermissionDenied: a person who is not a hotline operator or the office (``None`` is
            the system: the train command).
        InvalidInput: ``test_fraction`` outside (0, 1), fewer than ``min_tickets`` tickets,
            fewer than two departments, or a held-out part too small to hold each department.
    """
    if actor is not None:
        _require_keeper(actor)
    if not 0 < test_fraction < 1:
        raise InvalidInput(
            _("The held-out fraction is between 0 and 1, got %(value)s.") % {"value": test_fraction}
        )
    rows = training_tickets()
    counts = Counter(label for _text, label in rows)
    kept = [(text, label) for text, label in rows if counts[label] >= MIN_TICKETS_PER_DEPARTMENT]
    departments = len({label for _text, label in kept})
    if len(kept) < max(min_tickets, 2):
        raise InvalidInput(
            _(
                "Training needs at least %(needed)s closed tickets replied to by departments "
                "with %(per)s or more such tickets; found %(found)s."
            )
            % {"needed": max(min_tickets, 2), "per": MIN_TICKETS_PER_DEPARTMENT, "found": len(kept)}
        )
    if departments < 2:
        raise InvalidInput(
            _(
                "Training needs tickets of at least 2 departments (%(per)s or more each); "
                "found %(found)s."
            )
            % {"per": MIN_TICKETS_PER_DEPARTMENT, "found": departments}
        )
    # As scikit-learn rounds a float test size: up.
    held_out = math.ceil(len(kept) * test_fraction)
    if held_out < departments or len(kept) - held_out < departments:
        raise InvalidInput(
            _(
                "A held-out fraction of %(fraction)s of %(tickets)s tickets leaves %(held)s "
                "held out; both parts need at least one ticket of each of %(departments)s "
                "departments."
            )
            % {
                "fraction": test_fraction,
                "tickets": len(kept),
                "held": held_out,
                "departments": departments,
            }
        )
    result = classifier.train(
        [text for text, _label in kept],
        [label for _text, label in kept],
        test_fraction=test_fraction,
        seed=seed,
    )
    with transaction.atomic():
        model = DispatchModel.objects.create(
            trained_at=timezone.now(),
            payload=result.payload,
            train_size=result.train_size,
            test_size=result.test_size,
            accuracy=result.accuracy,
            top3_accuracy=result.top3_accuracy,
            labels=result.labels,
        )
        audit_record(
            actor=actor,
            action="hotline.dispatch_model_train",
            target=model,
            summary=_(
                "Dispatch model trained on %(tickets)s tickets of %(departments)s departments: "
                "held-out accuracy %(accuracy).3f"
            )
            % {
                "tickets": result.train_size + result.test_size,
                "departments": len(result.labels),
                "accuracy": result.accuracy,
            },
            data={
                "train_size": result.train_size,
                "test_size": result.test_size,
                "accuracy": result.accuracy,
                "top3_accuracy": result.top3_accuracy,
                "departments": len(result.labels),
                "left_out_tickets": len(rows) - len(kept),
                "test_fraction": test_fraction,
                "seed": seed,
            },
        )
    return model
