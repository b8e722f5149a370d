"""Background work of the clocks room, queued on the Django tasks API.

* :func:`recompute_clocks_for_years` — after the holiday table changed (``calendar_changed``),
  recompute the clocks whose stored dates depended on the changed years, provisional ones
  included (DOMAIN_RULES.md §1: a provisional date is recomputed once its year is imported).
* :func:`recompute_clocks_of_kind` — after a kind's warning policy changed.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from xiaoneng.clocks import services


@task()
def recompute_clocks_for_years(years: list[int]) -> int:
    """Recompute the clocks that depended on ``years``; returns how many changed."""
    return services.clocks_recompute_for_years(years=years)


@task()
def recompute_clocks_of_kind(kind: str) -> int:
    """Recompute the open clocks of ``kind``; returns how many changed."""
    return services.clocks_recompute_for_kind(kind=kind)


def on_calendar_changed(sender: Any, *, years: list[int] | None = None, **kwargs: Any) -> None:
    """Receiver of ``calendars.signals.calendar_changed``: queue the recompute.

    The signal is sent after the calendar's transaction committed, so the task (which may
    run in another process) sees the new days.
    """
    changed = sorted({int(y) for y in years or []})
    if changed:
        recompute_clocks_for_years.enqueue(years=changed)
