"""Open311 responses in JSON (always a top-level array) or XML, UTF-8 (GeoReport v2)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from django.http import HttpRequest, HttpResponse

FORMATS = ("json", "xml")

# XML element names of each kind of list: (root, item), as the GeoReport v2 spec spells them.
XML_NAMES = {
    "services": ("services", "service"),
    "service_definition": ("service_definition", ""),
    "requests": ("service_requests", "request"),
    "posted": ("service_requests", "request"),
    "updates": ("service_request_updates", "request_update"),
    "errors": ("errors", "error"),
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, data: dict[str, Any]) -> None:
    for name, value in data.items():
        child = ET.SubElement(element, name)
        if isinstance(value, list):
            # Lists nest with the singular name: attributes → attribute, values → value.
            for item in value:
                grandchild = ET.SubElement(child, name.removesuffix("s"))
                _fill(grandchild, item)
        else:
            child.text = _text(value)


def render(kind: str, items: list[dict[str, Any]], fmt: str, status: int = 200) -> HttpResponse:
    """Render ``items`` of ``kind`` (a key of :data:`XML_NAMES`) as ``fmt``.

    JSON is always a top-level array (docs/design OPEN311.md), so a service definition is a
    list of one in JSON; in XML the ``<service_definition>`` root holds its fields.
    """
    if fmt == "xml":
        root_name, item_name = XML_NAMES[kind]
        root = ET.Element(root_name)
        if item_name:
            for item in items:
                _fill(ET.SubElement(root, item_name), item)
        else:
            _fill(root, items[0])
        body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    return HttpResponse(
        json.dumps(items, ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def render_errors(errors: list[tuple[int, str]], fmt: str) -> HttpResponse:
    """Open311 errors: a list of ``{code, description}``; the HTTP status is the first code."""
    items = [{"code": code, "description": description} for code, description in errors]
    return render("errors", items, fmt if fmt in FORMATS else "json", status=errors[0][0])


def render_encoding_error(request: HttpRequest, message: str) -> HttpResponse:
    """The 400 for a form body that is not text, in the format the path's extension names
    (used by :class:`xiaoneng.core.middleware.FormBodyEncodingMiddleware`)."""
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return render_errors([(400, message)], fmt)
