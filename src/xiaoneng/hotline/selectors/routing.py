"""Reads of dispatch suggestions (issue 5 §3): which departments an operator is offered.

:func:`dispatch_suggestions` puts the department of the first matching active routing rule
first, then the classifier's most likely departments, active ones only and each once. With
no model trained yet it answers from the rules alone (possibly nothing). The model is
unpickled once per process (:func:`xiaoneng.hotline.classifier.load`); a call costs a few
small queries: the rules, the category path, the newest model's id, the departments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.db.models import QuerySet

from xiaoneng.accounts.models import Department
from xiaoneng.hotline import classifier
from xiaoneng.hotline.models import DispatchModel, RoutingRule, TicketCategory
from xiaoneng.hotline.routing_rules import Rule, first_match, split_keywords
from xiaoneng.hotline.services.routing import training_text

SOURCE_RULE = "rule"
SOURCE_MODEL = "model"


@dataclass(frozen=True)
class Suggestion:
    """One department offered to the operator for a ticket.

    Attributes:
        department: the suggested handling department (active).
        probability: the classifier's probability in [0, 1]; ``None`` for a rule.
        source: ``"rule"`` or ``"model"``.
        rule: the name of the routing rule that matched, for a rule; ``""`` otherwise.
    """

    department: Department
    probability: float | None
    source: str
    rule: str = ""


def routing_rules() -> QuerySet[RoutingRule]:
    """Every routing rule in the order they are tried (position, then id)."""
    return RoutingRule.objects.select_related("category", "department").order_by("position", "id")


def category_path(category: TicketCategory | None) -> list[str]:
    """Codes of ``category`` and its ancestors, top-level first; one query for the tree."""
    if category is None:
        return []
    tree = {
        pk: (code, parent)
        for pk, code, parent in TicketCategory.objects.values_list("id", "code", "parent_id")
    }
    path: list[str] = []
    node: int | None = category.pk
    # The tree has no cycles (parents are PROTECTed rows set by hand); the bound guards anyway.
    while node is not None and node in tree and len(path) <= len(tree):
        code, node = tree[node]
        path.append(code)
    return list(reversed(path))


def latest_dispatch_model() -> DispatchModel | None:
    """The newest trained model (without its payload), or ``None`` before the first training."""
    return DispatchModel.objects.defer("payload").order_by("-trained_at", "-id").first()


def _matching_rule(
    *, category: TicketCategory | None, description: str, district: str
) -> tuple[int, str] | None:
    """(department id, rule name) of the first active rule that matches, or ``None``."""
    # Plain values, not rows: a call reads every rule and needs only these columns. A rule
    # whose department went inactive since the last check-rules run is skipped too.
    rows = list(
        RoutingRule.objects.filter(active=True, department__active=True)
        .order_by("position", "id")
        .values_list("name", "category__code", "keywords", "district", "department_id")
    )
    if not rows:
        return None
    # The category path costs a query: only built when some rule has a category condition.
    needs_path = any(code for _name, code, *_rest in rows)
    match = first_match(
        (
            Rule(
                key=name,
                department=department,
                category=code or "",
                keywords=split_keywords(keywords),
                district=district,
            )
            for name, code, keywords, district, department in rows
        ),
        category_path=category_path(category) if needs_path else [],
        text=description,
        district=district,
    )
    if match is None:
        return None
    return cast(int, match.department), str(match.key)


def _model_ranking(text: str) -> list[tuple[int, float]]:
    newest = DispatchModel.objects.order_by("-trained_at", "-id").values_list("pk", flat=True)
    model_id = newest.first()
    if model_id is None or not classifier.segment(text):
        return []
    scorer = classifier.load(
        model_id,
        lambda: DispatchModel.objects.values_list("payload", flat=True).get(pk=model_id),
    )
    return [(int(label), probability) for label, probability in scorer.ranked(text)]


def dispatch_suggestions(
    *,
    description: str,
    category: TicketCategory | None = None,
    district: str = "",
    limit: int = 3,
) -> list[Suggestion]:
    """The departments to offer for a ticket, best first, at most ``limit`` (issue 5 §3).

    First the department of the first active routing rule that matches (``source="rule"``,
    no probability); then the classifier's departments by falling probability
    (``source="model"``), active departments only and none twice. Without a trained model,
    only the rule (or nothing).
    """
    if limit <= 0:
        return []
    rule = _matching_rule(category=category, description=description, district=district)
    ranking = _model_ranking(training_text(description, category.name if category else None))
    # One query for the departments: the rule's and the model's most likely ones. Usually a
    # few more than needed cover inactive departments; the rest only if they do not.
    wanted: list[int] = [rule[0]] if rule is not None else []
    wanted += [pk for pk, _p in ranking if pk not in wanted]
    head = limit + 3
    departments = Department.objects.filter(pk__in=wanted[:head], active=True).in_bulk()
    if len([pk for pk in wanted[:head] if pk in departments]) < limit and len(wanted) > head:
        departments.update(Department.objects.filter(pk__in=wanted[head:], active=True).in_bulk())
    suggestions: list[Suggestion] = []
    taken: set[int] = set()
    if rule is not None and rule[0] in departments:
        taken.add(rule[0])
        suggestions.append(
            Suggestion(
                department=departments[rule[0]],
                probability=None,
                source=SOURCE_RULE,
                rule=rule[1],
            )
        )
    for pk, probability in ranking:
        if len(suggestions) >= limit:
            break
        if pk in taken or pk not in departments:
            continue
        taken.add(pk)
        suggestions.append(
            Suggestion(
                department=departments[pk], probability=round(probability, 4), source=SOURCE_MODEL
            )
        )
    return suggestions
