"""The catalog read API: list, filters, pages, detail, versions, comparison, errors, schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import translation

from tests.catalog.factories import (
    CertificateDataFactory,
    DepartmentFactory,
    FeeDataFactory,
    MaterialDataFactory,
    MatterFactory,
)
from xiaoneng.catalog.services import matter_revise

pytestmark = pytest.mark.django_db

URL = "/api/v1/matters/"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    """A client that asks for English, so messages can be compared as written."""
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def city():
    """A city with a county and a township under it, and matters at each level."""
    root = DepartmentFactory(code="130100", name="市政府")
    county = DepartmentFactory(code="130123", name="正定县", level="county", parent=root)
    township = DepartmentFactory(code="130123-01", name="正定镇", level="township", parent=county)
    other = DepartmentFactory(code="130200", name="其他市")
    MatterFactory(code="A1", department=root, name="城市道路占用挖掘许可", visits=1, online=True)
    MatterFactory(
        code="A2",
        department=county,
        name="个体工商户登记",
        kind="instant",
        promised_limit_days=0,
        visits=0,
        matter_type="07",
    )
    MatterFactory(
        code="A3",
        department=township,
        name="老年人优待证办理",
        visits=2,
        online=False,
        handling_forms=["window"],
        online_depth=[],
        matter_type="20",
    )
    MatterFactory(code="B1", department=other, name="道路运输经营许可")
    return root


def _codes(response):
    assert response.status_code == 200, response.content
    return [m["code"] for m in response.json()["results"]]


def test_list_is_paginated(client, city):
    """The list answers count, next, previous and one page of results."""
    body = client.get(URL, {"page_size": 2}).json()
    assert body["count"] == 4
    assert len(body["results"]) == 2
    assert body["next"].endswith("page=2&page_size=2")
    assert _codes(client.get(URL, {"page_size": 2, "page": 2})) == ["A3", "B1"]


def test_department_filter_includes_sub_departments(client, city):
    """department=<code> returns that department's matters and those of everything below it."""
    assert _codes(client.get(URL, {"department": "130100"})) == ["A1", "A2", "A3"]
    assert _codes(client.get(URL, {"department": "130123"})) == ["A2", "A3"]
    assert _codes(client.get(URL, {"department": "999"})) == []


@pytest.mark.parametrize(
    ("params", "codes"),
    [
        ({"type": "07"}, ["A2"]),
        ({"online": "true"}, ["A1", "A2", "B1"]),
        ({"online": "false"}, ["A3"]),
        ({"visits": "0"}, ["A2"]),
        ({"visits_max": "1"}, ["A1", "A2", "B1"]),
        ({"kind": "instant"}, ["A2"]),
        ({"q": "许可"}, ["A1", "B1"]),
        ({"q": "a3"}, ["A3"]),
        ({"q": "许可", "department": "130100"}, ["A1"]),
    ],
)
def test_filters(client, city, params, codes):
    """Each filter, and filters combined, narrow the list as documented."""
    assert _codes(client.get(URL, params)) == codes


def test_bad_filter_value_is_a_400_in_the_error_shape(client, city):
    """An unknown type code is refused in the one error shape, naming the parameter."""
    response = client.get(URL, {"type": "99"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "type" in error["details"]


def test_detail_has_the_documented_fields(client):
    """A matter's JSON has identity, limits, visits, online, materials with replacements, fees."""
    MatterFactory(
        code="M1",
        catalog_code="000101001000",
        materials=[MaterialDataFactory(name="身份证"), CertificateDataFactory(name="户籍证明")],
        fees=[FeeDataFactory(item="工本费")],
        charges_fee=True,
        legal_limit_days=20,
        promised_limit_days=6,
    )
    body = client.get(f"{URL}M1/").json()
    for key in (
        "code",
        "catalog_code",
        "name",
        "department",
        "type",
        "kind",
        "legal_limit_days",
        "promised_limit_days",
        "visits",
        "online",
        "materials",
        "version",
        "effective_from",
        "fees",
        "handling_forms",
        "online_depth",
    ):
        assert key in body
    assert body["kind"] in ("instant", "promised")
    assert body["online"] is True
    assert body["compression_ratio"] == 0.7
    assert set(body["department"]) == {"code", "name"}
    plain, certificate = body["materials"]
    assert plain["replacement"] is None and plain["required"] is True
    assert certificate["is_certificate"] is True
    assert certificate["replacement"]["method"] == "cancelled"
    assert certificate["replacement"]["since"] == "2019-06-01"
    assert body["fees"][0]["item"] == "工本费"


def test_unknown_code_is_404_in_the_error_shape(client):
    """An unknown code answers 404 with the one error shape."""
    response = client.get(f"{URL}NOPE/")
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "No service matter has the code 'NOPE'.",
            "details": {"code": "NOPE"},
        }
    }


def test_versions_and_comparison(client):
    """The versions endpoint lists history; the comparison gives percentage changes."""
    matter = MatterFactory(code="M1", promised_limit_days=10, effective_from=dt.date(2019, 1, 1))
    matter_revise(
        actor=None,
        matter=matter,
        changes={"promised_limit_days": 8},
        effective_from=dt.date(2020, 1, 1),
    )
    versions = client.get(f"{URL}M1/versions/").json()
    assert [(v["version"], v["effective_from"]) for v in versions] == [
        (1, "2019-01-01"),
        (2, "2020-01-01"),
    ]
    comparison = client.get(f"{URL}M1/versions/compare/").json()
    assert comparison["promised_limit_days"] == {
        "before": 10,
        "after": 8,
        "difference": -2,
        "percent": -20.0,
    }
    assert comparison["before"]["version"] == 1 and comparison["after"]["version"] == 2
    bad = client.get(f"{URL}M1/versions/compare/", {"to": "7"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"


def test_list_query_count_does_not_grow_with_the_page(client, django_assert_max_num_queries):
    """Twenty matters with materials, fees and steps take a fixed handful of queries (no N+1)."""
    MatterFactory.create_batch(
        20, fees=[FeeDataFactory()], charges_fee=True, materials=[CertificateDataFactory()]
    )
    # count, page of matters with version and department, materials, fees, steps
    with django_assert_max_num_queries(5):
        response = client.get(URL, {"page_size": 20})
    assert len(response.json()["results"]) == 20


def test_detail_query_count(client, django_assert_max_num_queries):
    """One matter takes the matter query plus one per kind of row."""
    MatterFactory(code="M1")
    with django_assert_max_num_queries(4):
        assert client.get(f"{URL}M1/").status_code == 200


def test_schema_documents_the_catalog_endpoints(client):
    """The OpenAPI schema lists the catalog endpoints and their filters."""
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path in (
        "/api/v1/matters/",
        "/api/v1/matters/{code}/",
        "/api/v1/matters/{code}/versions/",
        "/api/v1/matters/{code}/versions/compare/",
    ):
        assert path in schema["paths"]
    names = {p["name"] for p in schema["paths"]["/api/v1/matters/"]["get"]["parameters"]}
    assert {"department", "type", "online", "visits", "q", "kind", "page"} <= names
