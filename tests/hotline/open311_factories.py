"""Helpers of the Open311 tests: the service tree, a POST as a client sends it, parsed answers."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from django.test import Client

from xiaoneng.hotline.models import TicketCategory

BASE = "/open311/v2/"


def service_categories() -> dict[str, TicketCategory]:
    """城市管理 › 占道经营 and 城市管理 › 噪音; only the two leaves are services."""
    top = TicketCategory.objects.create(code="CG", name="城市管理")
    return {
        "top": top,
        "street": TicketCategory.objects.create(code="CG01", name="占道经营", parent=top),
        "noise": TicketCategory.objects.create(code="CG02", name="噪音", parent=top),
    }


def client() -> Client:
    """A client as an Open311 app is one: CSRF checks on, asking for English messages (the
    server's default language is Chinese; the tests read the English wording)."""
    return Client(enforce_csrf_checks=True, headers={"Accept-Language": "en"})


def post_request(fmt: str = "json", **data: str) -> Any:
    """POST requests.{fmt}, form-encoded, as a real client sends it."""
    return client().post(f"{BASE}requests.{fmt}", data)


def as_json(response: Any) -> Any:
    """The JSON body, after checking the content type."""
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content.decode("utf-8"))


def as_xml(response: Any) -> ET.Element:
    """The XML root, after checking the content type."""
    assert response["Content-Type"].startswith("text/xml")
    # Our own server's answer in a test, not untrusted input; defusedxml is not installed.
    return ET.fromstring(response.content)  # noqa: S314
