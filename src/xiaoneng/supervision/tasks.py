"""Background work of the supervision room, queued on the Django tasks API.

Each helper's tasks sit in their own section below.
"""

from __future__ import annotations

from django_tasks import task

# == warnings (预警台账) ======================================================================
#
# * :func:`warnings_notify_task` — tell the people of the warnings the scan recorded; queued
#   after the scan's commit (``warnings_scan``), safe to run twice (each record is announced
#   once, see ``warnings_notify_pending``).


@task()
def warnings_notify_task() -> int:
    """Send the notices of every open warning not notified yet; returns how many records."""
    from xiaoneng.supervision.services.warnings import warnings_notify_pending

    return warnings_notify_pending()


# == end of warnings ==========================================================================
