"""An independent Open311 client reads our GeoReport v2 answers (issue 5: "Test it with an
independent Open311 client where one exists on PyPI, not only with our own code").

The client is ``georeport`` (PyPI, Apache-2.0; requests + xmltodict): it parses JSON and XML
its own way. It has no POST, so the request is posted with ``requests`` as a plain
form-encoded client would, then read back through the client, against a live server.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.hotline.open311_factories import service_categories
from xiaoneng.hotline.models import Ticket
from xiaoneng.hotline.services.tickets import open311_key_create

georeport = pytest.importorskip("georeport", reason="dev dependency georeport not installed")
requests = pytest.importorskip("requests")


@pytest.fixture
def endpoint(live_server: Any, transactional_db: Any) -> str:
    """The live server's Open311 root, with the service tree in place."""
    service_categories()
    return f"{live_server.url}/open311/v2"


def _post(endpoint: str, key: str) -> str:
    response = requests.post(
        f"{endpoint}/requests.json",
        data={
            "api_key": key,
            "service_code": "CG02",
            "lat": "31.230416",
            "long": "121.473701",
            "description": "广场舞音响太吵，联系我13812345678",
            "first_name": "三",
            "last_name": "张",
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return str(response.json()[0]["service_request_id"])


def test_georeport_reads_json(endpoint: str) -> None:
    """services, a definition, a filtered list and one request, in JSON, as georeport sees them."""
    _, key = open311_key_create(actor=None, name="georeport")
    number = _post(endpoint, key)
    client = georeport.GeoReport(endpoint)
    services = client.get_service_list()
    assert [(s["service_code"], s["group"]) for s in services] == [
        ("CG01", "城市管理"),
        ("CG02", "城市管理"),
    ]
    assert client.get_service_definition("CG02") == [{"service_code": "CG02", "attributes": []}]
    [listed] = client.get_service_requests(service_code="CG02", status="open")
    assert listed["service_request_id"] == number
    one = client.get_service_request(number)
    assert one == listed
    assert one["description"] == "广场舞音响太吵，联系我138****5678"
    assert (one["lat"], one["long"]) == (31.230416, 121.473701)
    assert client.get_service_requests(service_code="CG01") == []
    assert Ticket.objects.get(number=number).reporter_name == "张三"


def test_georeport_reads_xml(endpoint: str) -> None:
    """The same reads in XML: georeport's xmltodict parsing finds every element it expects."""
    _, key = open311_key_create(actor=None, name="georeport")
    number = _post(endpoint, key)
    client = georeport.GeoReport(endpoint, output_format="xml")
    services = client.get_service_list()
    assert [s["service_code"] for s in services] == ["CG01", "CG02"]
    assert services[0]["metadata"] == "false"
    assert client.get_service_definition("CG01")["service_code"] == "CG01"
    # One request: xmltodict gives the element itself, not a list of one.
    listed = client.get_service_requests(service_request_id=number)
    assert listed["service_request_id"] == number and listed["status"] == "open"
    one = client.get_service_request(number)
    assert one["service_code"] == "CG02" and one["service_name"] == "噪音"
    assert one["expected_datetime"] is None  # an empty element: not dispatched yet


def test_georeport_sees_errors_as_http_errors(endpoint: str) -> None:
    """An unknown service is a 404 the client raises on, as the spec's status codes say."""
    client = georeport.GeoReport(endpoint)
    with pytest.raises(requests.HTTPError) as caught:
        client.get_service_definition("NOPE")
    assert caught.value.response.status_code == 404
    assert caught.value.response.json()[0]["code"] == 404
