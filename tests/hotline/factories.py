"""Hotline helpers for tests: register a ticket through the service."""

from __future__ import annotations

from typing import Any

from xiaoneng.hotline.models import Ticket
from xiaoneng.hotline.services.tickets import ticket_register


def register(*, operator: Any, **kwargs: Any) -> Ticket:
    """A ticket registered by ``operator``: a phone complaint unless told otherwise."""
    values: dict[str, Any] = {
        "channel": "phone",
        "ticket_type": "complaint",
        "description": "小区门口夜间施工噪音扰民",
        "reporter_name": "张三",
        "reporter_phone": "13812345678",
    }
    values.update(kwargs)
    return ticket_register(actor=operator, **values)
