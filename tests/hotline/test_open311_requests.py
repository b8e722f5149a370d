"""Open311 reads: every filter of GET requests, tokens, and the servicerequestupdates feed.

GeoReport v2 (/work/shared/design/OPEN311.md) and docs/hotline.md, "Open311".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from tests.hotline.conftest import Hotline, travel_to
from tests.hotline.factories import register
from tests.hotline.open311_factories import (
    BASE,
    as_json,
    as_xml,
    client,
    post_request,
    service_categories,
)
from xiaoneng.hotline.models import Open311Key, Ticket, TicketCategory
from xiaoneng.hotline.services.tickets import (
    open311_key_create,
    ticket_accept,
    ticket_answer_directly,
    ticket_dispatch,
    ticket_reply,
)

MARCH_2 = dt.date(2026, 3, 2)
MARCH_20 = dt.date(2026, 3, 20)
APRIL_1 = dt.date(2026, 4, 1)


@pytest.fixture
def categories(db: Any) -> dict[str, TicketCategory]:
    """The service tree of the Open311 tests."""
    return service_categories()


@pytest.fixture
def api_key(db: Any) -> str:
    """A system key, as ``xiaoneng open311-key NAME`` makes it."""
    return open311_key_create(actor=None, name="FixMyStreet")[1]


@pytest.fixture
def filed(
    categories: dict[str, TicketCategory], api_key: str, hotline: Hotline
) -> dict[str, Ticket]:
    """A noise request on 2 March (closed by a direct answer), a street one on 20 March
    (open), and a phone complaint the same day, which is never public."""
    tickets = {}
    for name, day, code in (("noise", MARCH_2, "CG02"), ("street", MARCH_20, "CG01")):
        with travel_to(day):
            response = post_request(api_key=api_key, service_code=code, address_string="人民路1号")
            [posted] = as_json(response)
            tickets[name] = Ticket.objects.get(number=posted["service_request_id"])
    with travel_to(MARCH_20):
        tickets["phone"] = register(operator=hotline.operator, category=categories["noise"])
    with travel_to(MARCH_2, hour=15):
        ticket_answer_directly(
            actor=hotline.operator,
            ticket=tickets["noise"],
            answer="已告知城管，联系电话13812345678",
        )
    return tickets


def _ids(params: dict[str, str], fmt: str = "json") -> list[str]:
    with travel_to(APRIL_1):
        response = Client().get(f"{BASE}requests.{fmt}", params)
    assert response.status_code == 200
    if fmt == "xml":
        return [r.findtext("service_request_id") or "" for r in as_xml(response).findall("request")]
    return [item["service_request_id"] for item in as_json(response)]


# -- GET requests: each filter ----------------------------------------------------------------


def test_without_filters_lists_open311_requests_newest_first(filed: dict[str, Ticket]) -> None:
    """No filter: the last 90 days of Open311 requests, newest first; the phone one is absent."""
    assert _ids({}) == [filed["street"].number, filed["noise"].number]
    assert _ids({}, "xml") == [filed["street"].number, filed["noise"].number]


def test_default_window_is_ninety_days(filed: dict[str, Ticket]) -> None:
    """Without dates only the 90 days before now count: March is gone by mid-July."""
    with travel_to(dt.date(2026, 7, 15)):
        assert as_json(Client().get(f"{BASE}requests.json")) == []


def test_service_request_id_list_overrides_every_other_filter(filed: dict[str, Ticket]) -> None:
    """A comma list of ids (spaces allowed) wins over status, code and dates; unknown ids and
    tickets from other channels are left out."""
    params = {
        "service_request_id": f"{filed['noise'].number}, {filed['street'].number},GD0,"
        f"{filed['phone'].number}",
        "status": "open",
        "service_code": "CG01",
        "start_date": "2030-01-01T00:00:00+08:00",
    }
    assert sorted(_ids(params)) == sorted([filed["noise"].number, filed["street"].number])


def test_service_code_filter(filed: dict[str, Ticket]) -> None:
    """One code, a comma list, and an unknown code (nothing)."""
    assert _ids({"service_code": "CG02"}) == [filed["noise"].number]
    assert len(_ids({"service_code": "CG01,CG02"})) == 2
    assert _ids({"service_code": "NOPE"}) == []


def test_start_and_end_date_filters(filed: dict[str, Ticket]) -> None:
    """start_date keeps what was requested on or after it, end_date on or before it."""
    assert _ids({"start_date": "2026-03-10T00:00:00+08:00"}) == [filed["street"].number]
    assert _ids({"end_date": "2026-03-10T00:00:00+08:00"}) == [filed["noise"].number]
    window = {"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-03-03T00:00:00Z"}
    assert _ids(window) == [filed["noise"].number]


def test_status_filter_and_notes(filed: dict[str, Ticket]) -> None:
    """open and closed select; a closed request carries the answer, masked, as its notes."""
    assert _ids({"status": "open"}) == [filed["street"].number]
    assert _ids({"status": "closed"}) == [filed["noise"].number]
    with travel_to(APRIL_1):
        [item] = as_json(Client().get(f"{BASE}requests.json", {"status": "closed"}))
    assert item["status"] == "closed"
    assert item["status_notes"] == "已告知城管，联系电话138****5678"


def test_request_xml_has_every_field_of_the_spec(filed: dict[str, Ticket]) -> None:
    """An XML request holds the GeoReport v2 fields, in a <service_requests> root."""
    with travel_to(APRIL_1):
        root = as_xml(Client().get(f"{BASE}requests/{filed['street'].number}.xml"))
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert [child.tag for child in request] == [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ]
    assert request.findtext("service_name") == "占道经营"
    assert request.findtext("address") == "人民路1号"
    assert request.findtext("requested_datetime", "").startswith("2026-03-20T10:00:00")


# -- tokens ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_token_lookup_is_a_404_error_list(db: Any, fmt: str) -> None:
    """tokens/{token} answers the spec's 404 error list: this server issues no tokens."""
    response = Client().get(f"{BASE}tokens/12345.{fmt}")
    assert response.status_code == 404
    if fmt == "json":
        [error] = as_json(response)
        assert error["code"] == 404 and "12345" in error["description"]
    else:
        root = as_xml(response)
        assert root.tag == "errors"
        assert root.findtext("error/code") == "404"


# -- servicerequestupdates -------------------------------------------------------------------


def _updates(api_key: str | None, fmt: str = "json", **params: str) -> Any:
    query = dict(params)
    if api_key is not None:
        query["api_key"] = api_key
    with travel_to(APRIL_1):
        return client().get(f"{BASE}servicerequestupdates.{fmt}", query)


def test_updates_need_a_live_key(filed: dict[str, Ticket], api_key: str) -> None:
    """No key, a wrong key and a revoked key are all 403."""
    assert _updates(None).status_code == 403
    assert _updates("wrong").status_code == 403
    Open311Key.objects.update(revoked_at=dt.datetime.now(dt.UTC))
    assert _updates(api_key).status_code == 403


def test_updates_follow_the_loop(filed: dict[str, Ticket], api_key: str, hotline: Hotline) -> None:
    """Each event of an Open311 ticket is an update: the reply carries the reply text,
    masked; a direct answer closes; the phone ticket's events are absent."""
    street = filed["street"]
    with travel_to(dt.date(2026, 3, 23)):
        ticket_dispatch(actor=hotline.operator, ticket=street, department=hotline.department)
        ticket_accept(actor=hotline.window, ticket=street)
        ticket_reply(actor=hotline.window, ticket=street, reply="已清理，回电13912345678")
    body = as_json(_updates(api_key))
    rows = [(u["service_request_id"], u["external_status_code"], u["status"]) for u in body]
    noise = filed["noise"].number
    assert rows == [
        (noise, "registered", "open"),
        (noise, "closed", "closed"),
        (street.number, "registered", "open"),
        (street.number, "dispatched", "open"),
        (street.number, "accepted", "open"),
        (street.number, "replied", "open"),
    ]
    assert [u["description"] for u in body][-1] == "已清理，回电139****5678"
    assert all(u["description"] == "" for u in body[:-1])
    assert all(u["updated_datetime"].endswith("+08:00") for u in body)
    assert len({u["update_id"] for u in body}) == len(body)


def test_updates_window_and_xml_shape(filed: dict[str, Ticket], api_key: str) -> None:
    """start_date/end_date bound the updates; XML is <service_request_updates><request_update>."""
    root = as_xml(
        _updates(
            api_key,
            "xml",
            start_date="2026-03-02T12:00:00+08:00",
            end_date="2026-03-03T00:00:00+08:00",
        )
    )
    assert root.tag == "service_request_updates"
    [update] = root.findall("request_update")
    assert update.findtext("service_request_id") == filed["noise"].number
    assert update.findtext("status") == "closed"
    assert update.findtext("external_status_code") == "closed"


def test_updates_bad_date_is_400(db: Any, api_key: str) -> None:
    """A date without a time zone is a 400 error list, here too."""
    response = _updates(api_key, start_date="2026-03-01")
    assert response.status_code == 400
    assert "start_date" in as_json(response)[0]["description"]
