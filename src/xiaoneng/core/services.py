"""Writes of the core room: appending audit events."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from xiaoneng.core.masking import mask_text
from xiaoneng.core.models import AuditEvent


def audit_record(
    *,
    actor: Any | None,
    action: str,
    target: models.Model | None = None,
    summary: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event; call it inside the transaction of the change it records.

    Args:
        actor: the user who made the change, or ``None`` for the system.
        action: ``<room>.<entity>_<verb>``, e.g. ``calendars.year_import``.
        target: the changed row, if there is one.
        summary: one line for people; personal data in it is masked.
        data: JSON-serialisable details (before/after values, reasons).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"audit_record({action!r}) must run inside the change's transaction")
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    return AuditEvent.objects.create(
        actor_id=actor_id,
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        summary=mask_text(summary)[:500],
        data=data or {},
    )
