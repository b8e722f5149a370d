"""Background work of the notifications room, queued on the Django tasks API.

* :func:`message_send` — send one queued SMS or email (queued by ``notify`` after commit).
* :func:`messages_retry_task` — queue again failed messages and ones whose task was lost;
  run it from a scheduler (e.g. every few minutes).
"""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from xiaoneng.notifications import services

STALE_AFTER = services.QUEUED_STALE_AFTER


@task()
def message_send(message_id: int) -> str:
    """Send one message at most once; returns ``sent``, ``failed`` or ``skipped``."""
    return services.message_send(message_id=message_id)


@task()
def messages_retry_task() -> int:
    """Queue again failed messages and stale queued ones; returns how many."""
    return services.messages_retry(queued_before=timezone.now() - STALE_AFTER)
