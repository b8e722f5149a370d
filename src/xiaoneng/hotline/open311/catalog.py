"""The Open311 services — the leaf ticket categories — as each worker process keeps them.

Every POST names a service, and the category tree changes rarely (an administrator edits
it), so a worker reads the whole leaf map once and keeps it for :data:`TTL` seconds instead of
reading the category on every request (Open311 intake speed, issue 5).

How stale it may be, and why that is safe:

* A change made in this process (save or delete of a category) clears the map at once.
* In the other workers a new leaf becomes a service, and a category that got children stops
  being one, within :data:`TTL` seconds.
* A category deleted meanwhile cannot be written into a ticket: the foreign-key constraint
  refuses the insert. :func:`forget` then clears the map and the view answers as for an
  unknown code (see ``views._post_request``).
* Inside a transaction (tests, or any caller that wraps the request in one) the map is not
  used: rows that transaction wrote or cannot see would disagree with a map shared by all.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.db import connection
from django.db.models.signals import post_delete, post_save

from xiaoneng.hotline.models import TicketCategory

TTL = 60.0

_lock = threading.Lock()
_state: dict[str, Any] = {"codes": None, "until": 0.0}


def _read(code: str) -> TicketCategory | None:
    try:
        return TicketCategory.objects.get(code=code, children__isnull=True)
    except TicketCategory.DoesNotExist:
        return None


def service_category(code: str) -> TicketCategory | None:
    """The leaf category whose code is ``code`` (an Open311 service), or ``None``."""
    if not code:
        return None
    if connection.in_atomic_block:
        return _read(code)
    now = time.monotonic()
    codes = _state["codes"]
    if codes is None or now >= _state["until"]:
        codes = {c.code: c for c in TicketCategory.objects.filter(children__isnull=True)}
        with _lock:
            _state["codes"], _state["until"] = codes, now + TTL
    found: TicketCategory | None = codes.get(code)
    return found


def forget(**_: Any) -> None:
    """Drop this process's map: the next request reads the leaves again."""
    with _lock:
        _state["codes"], _state["until"] = None, 0.0


post_save.connect(forget, sender=TicketCategory, dispatch_uid="open311-catalog-save")
post_delete.connect(forget, sender=TicketCategory, dispatch_uid="open311-catalog-delete")
