"""Tests of the Open311 GeoReport v2 facade of the hotline (docs/hotline.md, "Open311")."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.test import Client

from tests.hotline.conftest import Hotline
from tests.hotline.factories import register
from xiaoneng.cli import ALIASES
from xiaoneng.clocks.selectors import clock_of_item
from xiaoneng.hotline.models import Open311Key, Ticket, TicketCategory
from xiaoneng.hotline.services.tickets import open311_key_create, ticket_dispatch

BASE = "/open311/v2/"


@pytest.fixture
def categories(db: Any) -> dict[str, TicketCategory]:
    """城市管理 › 占道经营 and 城市管理 › 噪音; only the two leaves are services."""
    top = TicketCategory.objects.create(code="CG", name="城市管理")
    return {
        "top": top,
        "street": TicketCategory.objects.create(code="CG01", name="占道经营", parent=top),
        "noise": TicketCategory.objects.create(code="CG02", name="噪音", parent=top),
    }


@pytest.fixture
def api_key(hotline: Hotline) -> str:
    """A live Open311 key created by the hotline operator."""
    _, raw = open311_key_create(actor=hotline.operator, name="FixMyStreet")
    return raw


def _json(response: Any) -> Any:
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content.decode("utf-8"))


def _xml(response: Any) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml")
    # Our own server's answer in a test, not untrusted input; defusedxml is not installed.
    return ET.fromstring(response.content)  # noqa: S314


def _post(fmt: str = "json", **data: str) -> Any:
    # CSRF checks on, as for a real client: the endpoint must not need a CSRF token. English
    # messages asked for, since the assertions read the wording.
    return Client(enforce_csrf_checks=True, headers={"Accept-Language": "en"}).post(
        f"{BASE}requests.{fmt}", data
    )


def test_services_json_lists_leaf_categories(categories: dict[str, TicketCategory]) -> None:
    """services.json is a top-level array with one service per leaf category, grouped."""
    body = _json(Client().get(f"{BASE}services.json"))
    assert [s["service_code"] for s in body] == ["CG01", "CG02"]
    assert body[0] == {
        "service_code": "CG01",
        "service_name": "占道经营",
        "description": "占道经营",
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": "城市管理",
    }


def test_services_xml_shape(categories: dict[str, TicketCategory]) -> None:
    """services.xml is <services><service> with the same fields, metadata as false."""
    root = _xml(Client().get(f"{BASE}services.xml"))
    assert root.tag == "services"
    items = root.findall("service")
    assert [s.findtext("service_code") for s in items] == ["CG01", "CG02"]
    assert items[1].findtext("group") == "城市管理"
    assert items[1].findtext("metadata") == "false"


def test_service_definition_and_unknown_code(categories: dict[str, TicketCategory]) -> None:
    """A known service has a definition without attributes; an unknown code is a 404 error."""
    assert _json(Client().get(f"{BASE}services/CG02.json")) == [
        {"service_code": "CG02", "attributes": []}
    ]
    root = _xml(Client().get(f"{BASE}services/CG02.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "CG02"
    response = Client().get(f"{BASE}services/NOPE.json")
    assert response.status_code == 404
    assert _json(response)[0]["code"] == 404
    # A non-leaf category is not a service either.
    assert Client().get(f"{BASE}services/CG.xml").status_code == 404


def test_post_without_key_is_403(categories: dict[str, TicketCategory], hotline: Hotline) -> None:
    """A POST without api_key, or with a wrong one, is refused with a 403 error list."""
    response = _post(service_code="CG01", address_string="人民路1号")
    assert response.status_code == 403
    assert _json(response)[0]["code"] == 403
    response = _post("xml", api_key="wrong", service_code="CG01", lat="1", long="2")
    assert response.status_code == 403
    root = _xml(response)
    assert root.tag == "errors" and root.find("error/code").text == "403"  # type: ignore[union-attr]
    assert not Ticket.objects.exists()


def test_revoked_key_is_refused(categories: dict[str, TicketCategory], hotline: Hotline) -> None:
    """A revoked key no longer files requests."""
    key, raw = open311_key_create(actor=hotline.operator, name="old app")
    Open311Key.objects.filter(pk=key.pk).update(revoked_at=dt.datetime.now(dt.UTC))
    response = _post(api_key=raw, service_code="CG01", address_string="人民路1号")
    assert response.status_code == 403


def test_unknown_service_code_and_missing_location_are_400(
    categories: dict[str, TicketCategory], api_key: str
) -> None:
    """An unknown service_code and a missing location are both reported, as 400 errors."""
    response = _post(api_key=api_key, service_code="NOPE")
    assert response.status_code == 400
    body = _json(response)
    assert {e["code"] for e in body} == {400}
    assert any("NOPE" in e["description"] for e in body)
    assert any("location" in e["description"] for e in body)
    response = _post(api_key=api_key, service_code="CG01", description="x" * 4001)
    assert len(_json(response)) == 2  # no location, description too long
    assert not Ticket.objects.exists()


def test_bad_coordinates_are_400(categories: dict[str, TicketCategory], api_key: str) -> None:
    """A latitude out of range is refused."""
    response = _post(api_key=api_key, service_code="CG01", lat="91", long="120")
    assert response.status_code == 400
    assert "lat" in _json(response)[0]["description"]


def test_post_creates_ticket_visible_through_get(
    categories: dict[str, TicketCategory], api_key: str, hotline: Hotline
) -> None:
    """A POST registers a help ticket on channel open311, listed by GET without the reporter."""
    response = _post(
        api_key=api_key,
        service_code="CG02",
        lat="31.230416",
        long="121.473701",
        description="广场舞音响太吵，联系我13812345678",
        first_name="三",
        last_name="张",
        phone="13812345678",
    )
    assert response.status_code == 200
    posted = _json(response)
    ticket = Ticket.objects.get()
    assert posted == [
        {"service_request_id": ticket.number, "service_notice": "", "account_id": None}
    ]
    assert (ticket.channel, ticket.ticket_type, ticket.category) == (
        "open311",
        "help",
        categories["noise"],
    )
    assert ticket.reporter_name == "张三" and ticket.reporter_phone == "13812345678"
    assert ticket.events.get().actor == hotline.operator

    listed = Client().get(f"{BASE}requests.json")
    assert "13812345678" not in listed.content.decode() and "张三" not in listed.content.decode()
    [item] = _json(listed)
    assert item["service_request_id"] == ticket.number
    assert item["status"] == "open" and item["service_code"] == "CG02"
    assert item["description"] == "广场舞音响太吵，联系我138****5678"
    assert (item["lat"], item["long"]) == (31.230416, 121.473701)
    assert item["expected_datetime"] is None  # not dispatched: no clock yet
    assert item["requested_datetime"].endswith("+08:00")

    [one] = _json(Client().get(f"{BASE}requests/{ticket.number}.json"))
    assert one == item
    root = _xml(Client().get(f"{BASE}requests/{ticket.number}.xml"))
    assert root.tag == "service_requests"
    assert root.find("request/service_request_id").text == ticket.number  # type: ignore[union-attr]
    assert Client().get(f"{BASE}requests/GD0.json").status_code == 404


def test_expected_datetime_is_end_of_clock_due_day(
    categories: dict[str, TicketCategory], api_key: str, hotline: Hotline
) -> None:
    """Once dispatched, expected_datetime is the end of the clock's due day, Shanghai time."""
    _post(api_key=api_key, service_code="CG01", address_string="人民路1号")
    ticket = Ticket.objects.get()
    ticket_dispatch(actor=hotline.operator, ticket=ticket, department=hotline.department)
    [item] = _json(Client().get(f"{BASE}requests/{ticket.number}.json"))
    clock = clock_of_item(item=ticket, kind="hotline.ticket")
    assert clock is not None
    assert item["expected_datetime"] == f"{clock.due_on.isoformat()}T23:59:59+08:00"
    assert item["agency_responsible"] == hotline.department.name


def test_get_filters(categories: dict[str, TicketCategory], api_key: str, hotline: Hotline) -> None:
    """service_code, status and id filters select; a phone ticket is never public."""
    register(operator=hotline.operator, category=categories["noise"])
    for code in ("CG01", "CG02"):
        _post(api_key=api_key, service_code=code, address_string="人民路1号")
    numbers = dict(Ticket.objects.filter(channel="open311").values_list("category__code", "number"))
    client = Client()
    body = _json(client.get(f"{BASE}requests.json", {"service_code": "CG02"}))
    assert [i["service_request_id"] for i in body] == [numbers["CG02"]]
    assert len(_json(client.get(f"{BASE}requests.json", {"service_code": "CG01,CG02"}))) == 2
    assert _json(client.get(f"{BASE}requests.json", {"status": "closed"})) == []
    body = _json(
        client.get(
            f"{BASE}requests.json",
            {"service_request_id": numbers["CG01"], "status": "closed"},
        )
    )
    assert [i["service_request_id"] for i in body] == [numbers["CG01"]]
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    assert _json(client.get(f"{BASE}requests.json", {"start_date": future})) == []


def test_bad_dates_and_status_are_400(db: Any) -> None:
    """A date without a time zone, or an unknown status, is a 400 error list."""
    response = Client().get(f"{BASE}requests.json", {"start_date": "2026-11-01T00:00:00"})
    assert response.status_code == 400
    response = Client().get(f"{BASE}requests.xml", {"end_date": "yesterday", "status": "x"})
    assert response.status_code == 400
    assert [e.findtext("code") for e in _xml(response).findall("error")] == ["400", "400"]


def test_tokens_are_not_issued(db: Any) -> None:
    """tokens/{token} is always 404: the POST returns the service_request_id itself."""
    response = Client().get(f"{BASE}tokens/abc.json")
    assert response.status_code == 404 and _json(response)[0]["code"] == 404


def test_updates_feed(
    categories: dict[str, TicketCategory], api_key: str, hotline: Hotline
) -> None:
    """servicerequestupdates needs a key and lists the events of Open311 tickets."""
    assert Client().get(f"{BASE}servicerequestupdates.json").status_code == 403
    _post(api_key=api_key, service_code="CG01", address_string="人民路1号")
    ticket = Ticket.objects.get()
    body = _json(Client().get(f"{BASE}servicerequestupdates.json", {"api_key": api_key}))
    assert [(u["service_request_id"], u["external_status_code"]) for u in body] == [
        (ticket.number, "registered")
    ]


def test_key_command_prints_key_once_and_stores_hash(hotline: Hotline) -> None:
    """The command prints the key once; only its SHA-256 is stored."""
    out, err = io.StringIO(), io.StringIO()
    call_command("open311_key", "FixMyStreet", by=hotline.operator.username, stdout=out, stderr=err)
    raw = out.getvalue().strip()
    key = Open311Key.objects.get()
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in err.getvalue()
    assert key.created_by == hotline.operator and key.name == "FixMyStreet"
    assert raw not in {str(v) for v in Open311Key.objects.values_list().get()}


def test_key_needs_an_operator(hotline: Hotline) -> None:
    """A citizen cannot create an Open311 key."""
    with pytest.raises(CommandError):
        call_command("open311_key", "app", by=hotline.citizen.username, stdout=io.StringIO())
    assert not Open311Key.objects.exists()


def test_console_alias_names_the_command() -> None:
    """``xiaoneng open311-key`` maps to the open311_key management command."""
    assert get_commands()[ALIASES["open311-key"]] == "xiaoneng.hotline"
