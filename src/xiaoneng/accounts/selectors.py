"""Reads of departments and users."""

from __future__ import annotations

from django.db.models import QuerySet

from xiaoneng.accounts.models import Department


def department_list() -> QuerySet[Department]:
    """All departments, parents joined, in code order."""
    return Department.objects.select_related("parent").order_by("code")


def department_descendant_ids(root: Department) -> set[int]:
    """Ids of a department and every department below it (one query per level)."""
    ids = {root.pk}
    frontier = [root.pk]
    while frontier:
        frontier = list(
            Department.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
        )
        ids.update(frontier)
    return ids
