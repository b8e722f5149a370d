"""Ticket operations racing on PostgreSQL: row locks keep merges acyclic and files at five.

Two threads, two connections, ``SELECT … FOR UPDATE``; SQLite serialises writers itself, so
these run on PostgreSQL only (``DATABASE_URL=postgres://…``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from tests.hotline.factories import register
from tests.hotline.test_ops_attachments import PDF
from xiaoneng.core.errors import Conflict
from xiaoneng.hotline.models import Ticket, TicketAttachment
from xiaoneng.hotline.services import tickets as services

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a real race needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def _race(*jobs: Callable[[], Any]) -> list[Any]:
    """Run the jobs in threads started together; each result or the error it raised."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = job()
        except Exception as error:  # the result under test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_merging_a_pair_each_way_at_once_leaves_one_merge(hotline):
    """A into B and B into A together: one wins, the other is a Conflict; no cycle, no deadlock."""
    first = register(operator=hotline.operator)
    second = register(operator=hotline.operator)

    def merge(ticket: Ticket, into: Ticket) -> Callable[[], Ticket]:
        return lambda: services.ticket_merge(
            actor=hotline.operator,
            ticket=Ticket.objects.get(pk=ticket.pk),
            into=Ticket.objects.get(pk=into.pk),
        )

    results = _race(merge(first, second), merge(second, first))
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Ticket"]
    merged = Ticket.objects.filter(parent__isnull=False)
    assert merged.count() == 1
    assert merged.get().parent.parent_id is None  # type: ignore[union-attr]


def test_two_files_racing_for_the_last_place_only_one_is_kept(hotline, settings, tmp_path):
    """With four files, two uploads at once: one is kept, the other is a Conflict."""
    settings.MEDIA_ROOT = tmp_path / "media"
    ticket = register(operator=hotline.operator)
    for n in range(4):
        services.ticket_attach(
            actor=hotline.operator, ticket=ticket, upload=SimpleUploadedFile(f"{n}.pdf", PDF)
        )

    def attach() -> Any:
        return services.ticket_attach(
            actor=hotline.operator,
            ticket=Ticket.objects.get(pk=ticket.pk),
            upload=SimpleUploadedFile("late.pdf", PDF),
        )

    results = _race(attach, attach)
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert sum(isinstance(r, TicketAttachment) for r in results) == 1
    assert TicketAttachment.objects.filter(ticket=ticket).count() == 5
    stored = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert len(stored) == 5  # the refused upload's file was removed
