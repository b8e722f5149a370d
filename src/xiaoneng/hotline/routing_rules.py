"""Ordered dispatch rules (派单规则) as plain data: which rule names the department (issue 5 §3).

Pure: no database. The selector turns :class:`~xiaoneng.hotline.models.RoutingRule` rows into
:class:`Rule` values and asks :func:`first_match`; the services use :func:`split_keywords`
and :func:`has_conditions` to check a rule before saving it.

A rule matches a ticket when **every condition it sets** holds (DOMAIN_RULES.md §7 leaves
dispatch to local practice; issue 5 §3 fixes the three conditions):

* category — the ticket's category is the rule's category or lies below it in the tree
  (the caller passes the ticket category's path of codes, top-level first);
* keywords — at least one of the rule's keywords occurs in the text (case-insensitive for
  Latin letters; Chinese has no case);
* district — the ticket's district equals the rule's (surrounding spaces ignored); a rule
  without a district matches any district.

Rules are tried in order (position, then id) and the **first match wins**. A rule with no
condition at all matches every ticket; :func:`first_match` honours that, but the services
refuse to save such a rule (it would put one department first on every ticket and hide the
classifier's suggestions), so none exists in the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Spaces (ASCII and the ideographic space), ASCII and full-width commas and semicolons, and
# the enumeration comma 、 people use between Chinese words.
_SEPARATORS = re.compile(r"[\s,，、;；]+")


def split_keywords(text: str) -> tuple[str, ...]:
    """The keywords of a rule's keyword text, in order, without blanks or repeats.

    Separators: spaces, commas (``,`` and ``，``), ``、`` and semicolons.
    """
    seen: dict[str, None] = {}
    for word in _SEPARATORS.split(text or ""):
        if word:
            seen.setdefault(word, None)
    return tuple(seen)


@dataclass(frozen=True)
class Rule:
    """One routing rule, as the matcher sees it.

    Attributes:
        key: what identifies the rule to the caller (the row's id).
        department: what the rule points to (the department's id).
        category: the code of the rule's category, or ``""`` for any category.
        keywords: the rule's keywords (see :func:`split_keywords`), empty for any text.
        district: the district, or ``""`` for any district.
    """

    key: object
    department: object
    category: str = ""
    keywords: tuple[str, ...] = field(default=())
    district: str = ""


def has_conditions(*, category: str, keywords: Sequence[str], district: str) -> bool:
    """Whether a rule sets at least one condition (a rule with none would match everything)."""
    return bool(category or keywords or district.strip())


def rule_matches(rule: Rule, *, category_path: Sequence[str], text: str, district: str) -> bool:
    """Whether every condition ``rule`` sets holds for the ticket.

    Args:
        rule: the rule.
        category_path: codes of the ticket's category and its ancestors (any order; the
            selector passes top-level first); empty when the ticket has no category.
        text: what to look for keywords in (the description).
        district: the ticket's district.
    """
    if rule.category and rule.category not in category_path:
        return False
    if rule.district.strip() and rule.district.strip() != district.strip():
        return False
    if rule.keywords:
        folded = text.casefold()
        if not any(word.casefold() in folded for word in rule.keywords):
            return False
    return True


def first_match(
    rules: Iterable[Rule], *, category_path: Sequence[str], text: str, district: str
) -> Rule | None:
    """The first rule of ``rules`` (already in order) that matches the ticket, or ``None``."""
    for rule in rules:
        if rule_matches(rule, category_path=category_path, text=text, district=district):
            return rule
    return None
