"""The knowledge-base API: a public search for the citizen form, writes for the editors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tests.hotline.conftest import Hotline
from tests.hotline.knowledge_factories import Library, make_library
from xiaoneng.hotline.models import Article
from xiaoneng.hotline.services.knowledge import article_withdraw

pytestmark = pytest.mark.django_db

URL = "/api/v1/hotline/articles/"


@pytest.fixture(autouse=True)
def _fresh_throttle() -> Iterator[None]:
    """The search throttle counts in the cache: every test starts and ends with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client() -> Client:
    """A client that asks for English."""
    return Client(headers={"accept-language": "en"})


@pytest.fixture
def library(hotline: Hotline) -> Library:
    return make_library(hotline.operator)


def _json(client: Client, method: str, url: str, data: dict[str, Any] | None = None) -> Any:
    return getattr(client, method)(url, data or {}, content_type="application/json")


def test_anyone_searches_the_published_articles(client, library):
    """Anonymous: the hits in the documented shape, best first."""
    answer = client.get(URL, {"q": "营业执照怎么办"})
    assert answer.status_code == 200
    hits = answer.json()
    assert hits[0]["id"] == library.licence.pk
    assert set(hits[0]) == {"id", "title", "snippet", "body", "category", "score"}
    assert hits[0]["category"] == {"code": "gov-biz", "name": "市场主体"}
    assert hits[0]["body"] == library.licence.body
    assert "营业执照" in hits[0]["snippet"]
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_a_withdrawn_article_is_not_in_the_public_search(client, hotline, library):
    """Withdrawn answers are not shown to citizens."""
    article_withdraw(actor=hotline.operator, article=library.licence)
    ids = [h["id"] for h in client.get(URL, {"q": "营业执照"}).json()]
    assert library.licence.pk not in ids


def test_an_empty_query_answers_an_empty_list(client, library):
    """No query, no hits (not every article)."""
    assert client.get(URL).json() == []
    assert client.get(URL, {"q": "   "}).json() == []


def test_the_category_filter_and_limit(client, library):
    """``category`` narrows to a subtree; ``limit`` caps the hits; an unknown code is a 400."""
    hits = client.get(URL, {"q": "身份证 办理", "category": "social"}).json()
    assert hits and {h["category"]["code"] for h in hits} == {"social"}
    assert len(client.get(URL, {"q": "身份证 办理 查询", "limit": 1}).json()) == 1
    bad = client.get(URL, {"q": "社保", "category": "nope"})
    assert bad.status_code == 400
    assert bad.json()["error"]["details"] == {"field": "category", "value": "nope"}
    assert client.get(URL, {"q": "社保", "limit": 500}).status_code == 400


def test_a_long_query_is_cut_at_200_characters(client, library):
    """Words after the 200th character are ignored, not an error."""
    query = "无关" * 100 + "营业执照"
    answer = client.get(URL, {"q": query})
    assert answer.status_code == 200
    assert answer.json() == []
    assert client.get(URL, {"q": "营业执照" + "无关" * 100}).json()[0]["id"] == library.licence.pk


def test_anonymous_searches_are_throttled(client, library, settings):
    """Past the rate an anonymous caller gets 429 in the error shape; staff do not."""
    settings.HOTLINE_ARTICLE_SEARCH_RATE = "2/min"
    assert client.get(URL, {"q": "社保"}).status_code == 200
    assert client.get(URL, {"q": "社保"}).status_code == 200
    refused = client.get(URL, {"q": "社保"})
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert "Retry-After" in refused.headers
    staff = Client(headers={"accept-language": "en"})
    staff.force_login(library.licence.updated_by)
    assert all(staff.get(URL, {"q": "社保"}).status_code == 200 for _ in range(3))


def test_an_operator_adds_an_article(client, hotline):
    """POST by an operator: 201 with the article; it is searchable at once."""
    client.force_login(hotline.operator)
    answer = _json(
        client,
        "post",
        URL,
        {
            "title": "居住证办理",
            "body": "在本市居住半年以上，可持身份证到居住地派出所申领居住证。",
            "keywords": "暂住证",
            "department": hotline.department.code,
        },
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["published"] is True
    assert body["department"] == {"code": hotline.department.code, "name": hotline.department.name}
    assert body["category"] is None
    found = client.get(URL, {"q": "暂住证怎么办"}).json()
    assert found[0]["id"] == body["id"]


@pytest.mark.parametrize("who", ["head", "window", "citizen"])
def test_others_may_not_write(client, hotline, library, who):
    """Department staff and citizens: 403 on every write; nothing changes."""
    client.force_login(getattr(hotline, who))
    article = library.fund
    assert _json(client, "post", URL, {"title": "x", "body": "y"}).status_code == 403
    assert _json(client, "patch", f"{URL}{article.pk}/", {"title": "x"}).status_code == 403
    assert client.post(f"{URL}{article.pk}/withdraw/").status_code == 403
    article.refresh_from_db()
    assert article.title == "住房公积金提取" and article.active
    assert Article.objects.count() == 5


def test_anonymous_may_not_write(client, library):
    """Without a login a write answers 401 or 403."""
    assert _json(client, "post", URL, {"title": "x", "body": "y"}).status_code in {401, 403}
    answer = _json(client, "patch", f"{URL}{library.fund.pk}/", {"title": "x"})
    assert answer.status_code in {401, 403}


def test_bad_input_answers_400_naming_the_field(client, hotline):
    """An empty body, an unknown category: 400 in the one error shape."""
    client.force_login(hotline.operator)
    empty = _json(client, "post", URL, {"title": "标题", "body": ""})
    assert empty.status_code == 400
    assert "body" in empty.json()["error"]["details"]
    unknown = _json(client, "post", URL, {"title": "标题", "body": "答案", "category": "nope"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"] == "category: no category with code nope."


def test_patch_changes_what_is_sent(client, hotline, library):
    """PATCH title only keeps the rest; ``category: null`` clears the category."""
    client.force_login(hotline.office)
    url = f"{URL}{library.fund.pk}/"
    answer = _json(client, "patch", url, {"title": "公积金怎么提取"})
    assert answer.status_code == 200
    assert answer.json()["title"] == "公积金怎么提取"
    assert answer.json()["category"] == {"code": "social", "name": "社会保障"}
    cleared = _json(client, "patch", url, {"category": None}).json()
    assert cleared["category"] is None
    assert _json(client, "patch", f"{URL}999999/", {"title": "x"}).status_code == 404


def test_withdraw_and_publish(client, hotline, library):
    """Withdraw hides the article from the public; doing it twice is a 409; publish restores."""
    client.force_login(hotline.operator)
    url = f"{URL}{library.noise.pk}/"
    assert client.post(f"{url}withdraw/").json()["published"] is False
    again = client.post(f"{url}withdraw/")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    anonymous = Client(headers={"accept-language": "en"})
    assert anonymous.get(url).status_code == 404  # withdrawn: not shown to the public
    assert client.get(url).json()["published"] is False  # the editors still read it
    assert client.post(f"{url}publish/").json()["published"] is True
    assert anonymous.get(url).json()["title"] == library.noise.title


def test_the_schema_documents_the_endpoints(client):
    """The OpenAPI schema lists the search and the writes under the hotline tag."""
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "get" in paths["/api/v1/hotline/articles/"]
    assert "post" in paths["/api/v1/hotline/articles/"]
    assert "patch" in paths["/api/v1/hotline/articles/{id}/"]
    assert "post" in paths["/api/v1/hotline/articles/{id}/withdraw/"]
    names = [p["name"] for p in paths["/api/v1/hotline/articles/"]["get"]["parameters"]]
    assert {"q", "category", "limit"} <= set(names)
