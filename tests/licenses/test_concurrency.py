"""Concurrent issues on PostgreSQL: distinct consecutive serials, one seal key, one license per
source. (SQLite in tests is one in-memory connection, so these run on PostgreSQL only.)"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests.catalog.factories import DepartmentFactory
from tests.licenses.factories import issue_license
from xiaoneng.core.errors import Conflict
from xiaoneng.licenses.models import License, SealKey

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs a database shared between threads"
    ),
]

THREADS = 4


def _race(target, n: int = THREADS) -> list[object]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(n)
    results: list[object] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results.append(target(i))
        except Exception as exc:  # collected, asserted on by the caller
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_first_issues_racing_for_one_department_share_one_key_and_distinct_serials():
    """Four first issues at once: one seal key, serials 1–4 without gaps or repeats."""
    department = DepartmentFactory()
    sources = [DepartmentFactory() for _ in range(THREADS)]
    results = _race(lambda i: issue_license(department=department, source=sources[i]))
    assert all(isinstance(r, License) for r in results), results
    assert SealKey.objects.filter(department=department).count() == 1
    serials = sorted(License.objects.filter(department=department).values_list("serial", flat=True))
    assert serials == [f"2025{n:08d}" for n in range(1, THREADS + 1)]


def test_issues_racing_for_one_source_give_exactly_one_license():
    """Four issues of the same result at once: one wins, the others get Conflict."""
    department, source = DepartmentFactory(), DepartmentFactory()
    results = _race(lambda i: issue_license(department=department, source=source))
    assert sum(isinstance(r, License) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == THREADS - 1, results
