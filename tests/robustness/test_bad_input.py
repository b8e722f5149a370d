"""Bad input on every main write path (issue 6 §2): a clear 4xx, nothing stored half-way.

Malformed ID numbers, credit codes and dates; oversized and disguised uploads; too-long and
non-UTF-8 strings; invalid JSON; SQL metacharacters in text and filters; and XSS payloads
stored in every free-text field that a page shows later, which must come back escaped on
every such page (and as plain data in JSON). Each refusal is checked for three things: a 4xx
(never a 5xx), a message that names what was expected, and unchanged row counts in every
table of the platform (nothing half-stored).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, encode_multipart

from tests.applications.factories import (
    DepartmentFactory,
    UserFactory,
    pdf_bytes,
    png_bytes,
    promised_matter,
)
from tests.applications.factories import credit_code as valid_credit_code
from tests.applications.factories import resident_id as valid_resident_id
from xiaoneng.accounts.models import Department, Role, User
from xiaoneng.catalog.models import Matter
from xiaoneng.hotline.models import Open311Key, TicketCategory

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[2] / "src" / "xiaoneng"

# -- the bad values ---------------------------------------------------------------------------

GOOD_ID = valid_resident_id(7)
BAD_ID_NUMBERS = {
    "bad check digit": GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1"),
    "bad birth date": "130102" + "19900230" + "123" + "X",
    "too short": "13010219900101",
    "letters": "13010219900101ABCD",
}
GOOD_CREDIT_CODE = valid_credit_code(7)
BAD_CREDIT_CODES = {
    "bad check character": GOOD_CREDIT_CODE[:17] + ("0" if GOOD_CREDIT_CODE[17] != "0" else "1"),
    "forbidden letter": "91130100MA0000000I",
    "too short": "91130100MA",
}
BAD_DATES = ["2026-02-30", "2026-13-01", "yesterday", "2026/11/26", "0000-00-00"]
SQL_METACHARACTERS = ["'; DROP TABLE x;--", "%", "_", "\\", "' OR '1'='1", '"; --']
XSS = {
    "script": "<script>alert(1)</script>",
    "img": '"><img src=x onerror=alert(1)>',
    "javascript": "javascript:alert(1)",
}
XSS_TEXT = "XSS " + XSS["script"] + " " + XSS["img"] + " " + XSS["javascript"]
NOT_UTF8 = b"\xff\xfe\xc3\x28 \x80abc"


# -- row counts: nothing half-stored ----------------------------------------------------------


def _row_counts() -> dict[str, int]:
    """Rows in every table of the platform's own rooms (not sessions, caches or throttles)."""
    counts = {}
    for model in apps.get_models():
        if not model.__module__.startswith("xiaoneng."):
            continue
        if model._meta.label in {"accounts.LoginFailure"}:
            continue  # a failed sign-in is meant to be counted
        counts[model._meta.label] = model.objects.count()
    return counts


@pytest.fixture
def unchanged() -> Callable[[], None]:
    """Call it after the bad requests: fails when any table gained or lost a row."""
    before = _row_counts()

    def check() -> None:
        after = _row_counts()
        changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        assert not changed, f"rows stored or lost by refused input: {changed}"

    return check


# -- the city ---------------------------------------------------------------------------------


@dataclass
class City:
    department: Department
    centre: Department
    citizen: User
    window: User
    reviewer: User
    head: User
    partner: User
    office: User
    operator: User
    matter: Matter
    category: TicketCategory


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Uploads to a fresh folder; throttles and caches empty."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.HOTLINE_ARTICLE_SEARCH_RATE = None
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def city(db) -> City:  # type: ignore[no-untyped-def]
    department = DepartmentFactory(name="测试审批局")
    centre = DepartmentFactory(code="12345", name="12345热线中心")
    top = TicketCategory.objects.create(code="CG", name="城市管理")
    return City(
        department=department,
        centre=centre,
        citizen=UserFactory(role=Role.CITIZEN, display_name="张三"),
        window=UserFactory(role=Role.WINDOW, department=department),
        reviewer=UserFactory(role=Role.REVIEWER, department=department),
        head=UserFactory(role=Role.HEAD, department=department),
        partner=UserFactory(role=Role.PARTNER),
        office=UserFactory(role=Role.OFFICE, department=None),
        operator=UserFactory(role=Role.WINDOW, department=centre),
        matter=promised_matter(department),
        category=TicketCategory.objects.create(code="CG01", name="噪音扰民", parent=top),
    )


def as_user(user: User | None, language: str = "en") -> Client:
    client = Client(headers={"accept-language": language}, raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def json_post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def raw_post(client: Client, url: str, data: bytes, content_type: str) -> Any:
    return client.generic("POST", url, data, content_type=content_type)


def api_error(response: Any) -> tuple[str, str]:
    """The message and the details (as text) of an API error, after checking it is a 4xx."""
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]["message"], json.dumps(body["error"]["details"], ensure_ascii=False)


def refused(response: Any, *names: str) -> str:
    """Assert an API 4xx whose message or details name one of ``names``; return them."""
    message, details = api_error(response)
    text = message + " " + details
    assert any(name.lower() in text.lower() for name in names), (names, text)
    return text


def page_refused(response: Any, *words: str) -> str:
    """Assert a page answered without a 5xx and shows one of ``words`` (its error message)."""
    assert response.status_code < 500, response.status_code
    html = response.content.decode()
    assert any(word in html for word in words), (words, html[-3000:])
    return html


APPS = "/api/v1/applications/"
TICKETS = "/api/v1/hotline/tickets/"
ARTICLES = "/api/v1/hotline/articles/"
TASKS = "/api/v1/supervision/tasks/"
CASES = "/api/v1/accountability/cases/"
OPEN311 = "/open311/v2/requests.json"


def _ticket_body(**overrides: Any) -> dict[str, Any]:
    body = {"channel": "phone", "ticket_type": "complaint", "description": "小区门口夜间施工噪音"}
    body.update(overrides)
    return body


def _task_body(city: City, **overrides: Any) -> dict[str, Any]:
    body = {
        "title": "窗口排长队",
        "source": "media_exposure",
        "limit_days": 5,
        "lead_unit": city.department.pk,
    }
    body.update(overrides)
    return body


# -- identity numbers and credit codes ---------------------------------------------------------


@pytest.mark.parametrize("label", list(BAD_ID_NUMBERS))
def test_malformed_id_numbers_are_refused_on_every_way_in(city, unchanged, label):
    """A bad resident ID number is a 400 naming the ID number, wherever it is typed."""
    value = BAD_ID_NUMBERS[label]
    applicant = {"name": "王五", "id_number": value}
    partner = as_user(city.partner)
    refused(json_post(partner, APPS, {"matter": city.matter.code, "applicant": applicant}), "id")
    window = as_user(city.window)
    refused(
        json_post(window, f"{APPS}walk-ins/", {"matter": city.matter.code, "applicant": applicant}),
        "id",
    )
    operator = as_user(city.operator)
    refused(
        json_post(operator, TICKETS, _ticket_body(reporter_id_number=value)),
        "reporter_id_number",
    )
    console = operator.post(
        "/hotline/console/",
        {
            "line": "phone",
            "ticket_type": "help",
            "urgency": "ordinary",
            "description": "需要帮助",
            "reporter_id_number": value,
        },
    )
    assert console.status_code == 400
    page_refused(console, "resident ID number")
    unchanged()


@pytest.mark.parametrize("label", list(BAD_CREDIT_CODES))
def test_malformed_credit_codes_are_refused(city, unchanged, label):
    """A bad unified social credit code is a 400 naming the credit code."""
    applicant = {"name": "某某有限公司", "credit_code": BAD_CREDIT_CODES[label]}
    for who, url in ((city.partner, APPS), (city.window, f"{APPS}walk-ins/")):
        response = json_post(
            as_user(who), url, {"matter": city.matter.code, "applicant": applicant}
        )
        refused(response, "credit_code", "credit code")
    unchanged()


def test_the_message_is_in_the_users_language(city, unchanged):
    """The same bad check character is explained in Chinese or in English, as asked."""
    applicant = {"name": "王五", "id_number": BAD_ID_NUMBERS["bad check digit"]}
    body = {"matter": city.matter.code, "applicant": applicant}
    english = refused(json_post(as_user(city.partner, "en"), APPS, body), "id_number")
    chinese = refused(json_post(as_user(city.partner, "zh-hans"), APPS, body), "id_number")
    assert "check character" in english
    assert "校验码" in chinese
    # A refused date on the supervision API, too: the field is named in both languages.
    response = json_post(as_user(city.office, "zh-hans"), TASKS, _task_body(city, on="2026-02-30"))
    assert "on" in json.loads(response.content)["error"]["details"]
    assert re.search("[\u4e00-\u9fff]", refused(response, "on"))
    unchanged()


# -- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", BAD_DATES)
def test_impossible_dates_are_refused(city, unchanged, day):
    """30 February, month 13 and non-dates are a 400 naming the date field, never a 5xx."""
    office = as_user(city.office)
    refused(json_post(office, TASKS, _task_body(city, on=day)), "on")
    body = {"reason": "整改不力", "responsible_unit": city.department.pk, "on": day}
    refused(json_post(office, CASES, body), "on")
    refused(office.get("/api/v1/kpis/", {"from": day}), "from")
    refused(office.get("/api/v1/hotline/kpis/", {"from": day}), "from")
    refused(office.get("/api/v1/warnings/", {"date_from": day}), "date_from")
    refused(office.get("/api/v1/calendar/workdays/", {"start": day, "days": 3}), "start")
    answer = as_user(None).get("/open311/v2/requests.json", {"start_date": day})
    assert answer.status_code == 400
    assert "start_date" in answer.json()[0]["description"]
    page = office.post(
        "/office/supervision/tasks/new/",
        {"title": "窗口排长队", "source": "media_exposure", "limit_days": "5", "on": day},
    )
    page_refused(page, "Expected a date like 2025-03-03 for on")
    unchanged()


# -- too-long strings --------------------------------------------------------------------------


def _long_api_cases(city: City) -> list[tuple[User, str, dict[str, Any], str]]:
    """(who, url, body, field named): each text ten times its limit."""
    applicant = {"name": "王" * 2000, "id_number": GOOD_ID}
    case = {"reason": "整改不力", "responsible_unit": city.department.pk}
    return [
        (city.partner, APPS, {"matter": city.matter.code, "applicant": applicant}, "name"),
        (city.citizen, APPS, {"matter": city.matter.code, "form": {"事由": "长" * 70_000}}, "form"),
        (city.operator, TICKETS, _ticket_body(description="长" * 40_000), "description"),
        (city.operator, TICKETS, _ticket_body(address="长" * 3_000), "address"),
        (city.operator, TICKETS, _ticket_body(district="长" * 600), "district"),
        (city.operator, TICKETS, _ticket_body(reporter_name="长" * 1_000), "reporter_name"),
        (city.operator, TICKETS, _ticket_body(reporter_phone="1" * 200), "reporter_phone"),
        (city.operator, TICKETS, _ticket_body(reporter_id_number="1" * 180), "reporter_id"),
        (city.operator, ARTICLES, {"title": "长" * 2_000, "body": "答"}, "title"),
        (
            city.operator,
            ARTICLES,
            {"title": "问", "body": "答", "keywords": "词" * 3_000},
            "keywords",
        ),
        (city.office, TASKS, _task_body(city, title="长" * 2_000), "title"),
        (city.office, TASKS, _task_body(city, description="长" * 100_000), "description"),
        (city.office, TASKS, _task_body(city, source_reference="长" * 3_000), "source_reference"),
        (city.office, CASES, {**case, "title": "长" * 2_000}, "title"),
        (None, "/api/v1/auth/token/", {"username": "u" * 1_500, "password": "x"}, "username"),
    ]


def test_too_long_strings_are_refused_by_the_api(city, unchanged):
    """Ten times a field's limit is a 400 naming the field (not a truncation, not a 5xx)."""
    for who, url, body, field in _long_api_cases(city):
        response = json_post(as_user(who), url, body)
        assert response.status_code == 400, (url, field, response.content[:300])
        refused(response, field)
    unchanged()


def test_a_too_long_rating_text_is_refused(city, concluded, unchanged):
    """A rating comment over 2000 characters: 400 from the API, a message on the page."""
    application = concluded
    client = as_user(city.citizen)
    url = f"{APPS}{application.pk}/rating/"
    refused(json_post(client, url, {"level": 1, "text": "差" * 20_000}), "2000")
    page = client.post(
        f"/applications/{application.pk}/rate/", {"level": "1", "text": "差" * 20_000}, follow=True
    )
    page_refused(page, "at most 2000 characters")
    unchanged()


def test_too_long_strings_on_the_pages_store_nothing(city, unchanged):
    """The forms refuse ten times a limit with a message, and store nothing, cut or whole."""
    anonymous = as_user(None)
    web = {"ticket_type": "complaint", "category": "CG01", "district": "长安区"}
    response = anonymous.post("/hotline/", {**web, "description": "长" * 40_000})
    assert response.status_code == 400
    page_refused(response, "at most 4000 characters")
    response = anonymous.post("/hotline/", {**web, "description": "噪音", "address": "长" * 3000})
    assert response.status_code == 400
    page_refused(response, "at most 300 characters")
    office = as_user(city.office)
    task = {"source": "media_exposure", "limit_days": "5", "lead_unit": str(city.department.pk)}
    page_refused(
        office.post("/office/supervision/tasks/new/", {**task, "title": "长" * 2000}),
        "at most 200 characters; got 2000",
    )
    page_refused(
        as_user(city.operator).post(
            "/hotline/knowledge/new/", {"title": "长" * 2000, "body": "答"}
        ),
        "at most 200 characters",
    )
    page_refused(
        as_user(city.citizen).post(
            f"/apply/{city.matter.code}/", {"purpose": "长" * 70_000}, follow=True
        ),
        "at most 65536 are accepted",
    )
    unchanged()


def test_a_too_long_case_title_on_the_page_is_refused(city):
    """The case form refuses a title ten times too long instead of cutting it (the API does)."""
    office = as_user(city.office)
    from xiaoneng.supervision.services import tasks as supervision

    source = supervision.supervision_task_create(
        actor=city.office,
        title="窗口排长队",
        source="media_exposure",
        limit_days=5,
        lead_unit=city.department,
    )
    supervision.supervision_task_assign(actor=city.office, task=source)
    before = _row_counts()
    case = {"task": source.pk, "reason": "整改不力", "title": "长" * 2000}
    page_refused(
        office.post("/office/accountability/cases/new/", case), "at most 200 characters; got 2000"
    )
    assert _row_counts() == before


@pytest.fixture
def concluded(city: City) -> Any:
    """An application of the city's citizen, concluded (so it may be rated)."""
    from tests.applications.factories import submit
    from xiaoneng.applications import services

    application = submit(city.citizen, city.matter)
    services.application_accept(actor=city.window, application=application)
    services.application_approve(actor=city.reviewer, application=application)
    return services.application_conclude(actor=city.reviewer, application=application)


# -- invalid JSON and bytes that are not UTF-8 ------------------------------------------------

JSON_BODIES = {
    "truncated": b'{"description": ',
    "not json": b"<xml>nope</xml>",
    "not utf-8": b'{"description": "' + NOT_UTF8 + b'", "title": "' + NOT_UTF8 + b'"}',
    "utf-16": json.dumps({"title": "标题"}).encode("utf-16"),
}


@pytest.mark.parametrize("label", list(JSON_BODIES))
def test_invalid_json_is_a_parse_error_on_every_write(city, concluded, unchanged, label):
    """Broken or non-UTF-8 JSON answers 400 parse_error saying it is the JSON, storing nothing."""
    application = concluded
    writes = [
        (city.citizen, APPS),
        (city.window, f"{APPS}walk-ins/"),
        (city.citizen, f"{APPS}{application.pk}/rating/"),
        (city.operator, TICKETS),
        (city.operator, ARTICLES),
        (city.office, TASKS),
        (city.office, CASES),
        (None, "/api/v1/auth/token/"),
    ]
    for who, url in writes:
        response = raw_post(as_user(who), url, JSON_BODIES[label], "application/json")
        assert response.status_code == 400, (url, response.content[:300])
        assert response.json()["error"]["code"] == "parse_error"
        refused(response, "JSON")
    unchanged()


def test_non_utf8_sign_in_is_refused_without_an_error(city):
    """Bytes that are not UTF-8 in a sign-in form: a 400, no session."""
    client = as_user(None)
    body = b"username=" + NOT_UTF8 + b"&password=" + NOT_UTF8
    response = raw_post(client, "/accounts/login/", body, "application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


@pytest.fixture
def open311_key(city: City) -> str:
    return _open311_key(city)[1]


def test_non_utf8_form_bodies_are_refused(city, open311_key, unchanged):
    """A form body that is not UTF-8 is a 400 saying so, raw or percent-encoded, on the public
    web form, Open311 (in its own error format) and the API; nothing is stored."""
    key = open311_key
    form = "application/x-www-form-urlencoded"
    web = b"ticket_type=complaint&category=CG01&description="
    for bad in (NOT_UTF8, b"%FF%FE%C3%28"):
        response = raw_post(as_user(None), "/hotline/", web + bad, form)
        assert response.status_code == 400, response.content[:300]
        assert "UTF-8" in response.content.decode()
    body = f"api_key={key}&service_code=CG01&lat=38.04&long=114.51&description=".encode()
    for suffix in ("json", "xml"):
        url = OPEN311.replace(".json", f".{suffix}")
        response = raw_post(as_user(None), url, body + NOT_UTF8, form)
        assert response.status_code == 400, response.content[:300]
        text = response.content.decode()
        assert "UTF-8" in text
        assert text.lstrip().startswith("<?xml" if suffix == "xml" else "[")
    response = raw_post(as_user(city.operator), TICKETS, b"description=" + NOT_UTF8, form)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_encoding"
    multipart = encode_multipart(BOUNDARY, {"title": "x"}).replace(
        b"\r\nx\r\n", b"\r\n" + NOT_UTF8 + b"\r\n"
    )
    response = raw_post(
        as_user(city.operator), TICKETS, multipart, f"multipart/form-data; boundary={BOUNDARY}"
    )
    assert response.status_code == 400, response.content[:300]
    unchanged()


def test_a_form_that_declares_another_charset_is_told_to_send_utf8(city, unchanged):
    """A form declaring GBK gets a 400 that says to send UTF-8 (not Django's bare page)."""
    body = "username=张三&password=错".encode("gbk")
    response = raw_post(
        as_user(None), "/accounts/login/", body, "application/x-www-form-urlencoded; charset=GBK"
    )
    assert response.status_code == 400
    assert "UTF-8" in response.content.decode()
    unchanged()


def _open311_key(city: City) -> tuple[Open311Key, str]:
    from xiaoneng.hotline.services.tickets import open311_key_create

    return open311_key_create(actor=city.operator, name="测试应用")


# -- SQL metacharacters ------------------------------------------------------------------------


def test_sql_metacharacters_are_stored_as_text_and_found_literally(city):
    """Quotes, comments, % and _ are kept verbatim and match only themselves in searches."""
    operator = as_user(city.operator)
    texts = [f"噪音扰民 {meta} 第{n}次" for n, meta in enumerate(SQL_METACHARACTERS)]
    for text in texts:
        created = json_post(operator, TICKETS, _ticket_body(description=text, reporter_name=text))
        assert created.status_code == 201, created.content
        assert created.json()["description"] == text
    article = json_post(operator, ARTICLES, {"title": "百分之百 100% 办理", "body": "a_b 答"})
    assert article.status_code == 201, article.content
    citizen = as_user(city.citizen)
    json_post(citizen, APPS, {"matter": city.matter.code, "form": {"事由": "开店"}})
    window = as_user(city.window)
    assert window.get(APPS, {"q": "张三"}).json()["count"] == 1  # the search works…
    for meta in ("%", "_", "'; DROP TABLE x;--", "\\", "' OR '1'='1"):
        # …and a wildcard or a quote is a character to look for, not SQL.
        listed = window.get(APPS, {"q": meta})
        assert listed.status_code == 200 and listed.json()["count"] == 0, (meta, listed.content)
    hits = operator.get(ARTICLES, {"q": "100%"}).json()
    titles = [row["title"] for row in (hits["results"] if isinstance(hits, dict) else hits)]
    assert titles == ["百分之百 100% 办理"]
    from xiaoneng.hotline.models import Ticket

    assert sorted(Ticket.objects.values_list("description", flat=True)) == sorted(texts)


@pytest.mark.parametrize("meta", SQL_METACHARACTERS)
def test_search_and_filter_parameters_with_metacharacters_never_fail(city, unchanged, meta):
    """Every search box and filter answers a 2xx or a 4xx to SQL metacharacters, never a 5xx."""
    reads = [
        (city.citizen, APPS, ("q", "status", "warning", "matter")),
        (city.window, "/staff/", ("q", "status", "warning", "page")),
        (city.operator, TICKETS, ("q", "status", "department", "category", "page")),
        (city.operator, ARTICLES, ("q", "category")),
        (city.operator, "/hotline/console/", ("q",)),
        (city.operator, "/hotline/knowledge/", ("q", "category", "state")),
        (city.office, TASKS, ("state", "source", "unit", "category")),
        (city.office, CASES, ("state", "unit")),
        (city.office, "/api/v1/warnings/", ("level", "state")),
        (city.office, "/office/supervision/tasks/", ("state", "source", "unit", "overdue")),
        (city.office, "/office/accountability/cases/", ("state", "page")),
        (city.office, "/office/warnings/", ("state", "page")),
        (city.office, "/office/", ("department",)),
        (city.office, "/api/v1/kpis/", ("department",)),
        (city.office, "/api/v1/ranking/", ("weights",)),
        (None, "/matters/", ("q", "department", "page")),
        (None, "/api/v1/matters/", ("q", "department", "theme")),
        (None, "/open311/v2/requests.json", ("service_code", "status", "service_request_id")),
        (None, "/hotline/lookup/", ("number",)),
        (city.citizen, "/inbox/", ("page",)),
        (city.head, "/staff/rectifications/", ("state", "page")),
    ]
    for who, url, names in reads:
        response = as_user(who).get(url, dict.fromkeys(names, meta))
        assert response.status_code < 500, (url, meta, response.status_code)
        assert response.status_code in {200, 400, 404}, (url, meta, response.status_code)
    lookup = as_user(None).post("/hotline/lookup/", {"number": meta, "code": meta})
    assert lookup.status_code == 404
    unchanged()


# -- numbers that are not ASCII digits ----------------------------------------------------------

# "²" is a digit to str.isdigit() but not to int(); 5000 digits pass isdigit() but int() refuses
# more than 4300; 30 digits overflow a 64-bit column.
NOT_IDS = ["abc", "²", "٣", "9" * 30, "9" * 5000, "-1", "1e3", "' OR 1=1 --"]


@pytest.mark.parametrize(
    "value", NOT_IDS, ids=["abc", "sup2", "arabic3", "30d", "5000d", "neg", "1e3", "sql"]
)
def test_ids_that_are_not_numbers_never_fail(city, value):
    """An id field or parameter holding a non-number is refused or ignored, never a 5xx."""
    from tests.applications.factories import submit

    application = submit(city.citizen, city.matter, complete=False)
    before = _row_counts()
    pdf = SimpleUploadedFile("申请表.pdf", pdf_bytes())
    citizen, window, office = as_user(city.citizen), as_user(city.window), as_user(city.office)
    url = f"/applications/{application.pk}/"
    answers = [
        citizen.post(f"{url}upload/", {"file": pdf, "material": value}),
        citizen.post(f"{url}commit/", {"material": value}),
        citizen.get("/hotline/lookup/", {"mine": value}),
        window.post(f"{url}act/request-supplement/", {"materials": [value], "reason": "缺材料"}),
        window.post(f"{url}act/hand-over/", {"to_officer": value, "reason": "调岗"}),
        window.post(
            "/staff/walk-in/",
            {
                "step": "register",
                "matter": city.matter.code,
                "applicant_name": "赵六",
                "id_number": GOOD_ID,
                "paper_materials": [value],
                "commitments": [value],
            },
        ),
        office.get("/office/supervision/tasks/new/", {"warning": value}),
        office.post(
            "/office/supervision/tasks/new/",
            {"title": "t", "source": "media_exposure", "limit_days": value, "lead_unit": value},
        ),
        office.get("/office/accountability/cases/new/", {"task": value, "clock": value}),
        office.get("/api/v1/warnings/", {"department": value}),
        office.get(TASKS, {"unit": value}),
        office.get("/office/supervision/tasks/", {"unit": value}),
        office.get(CASES, {"unit": value}),
        office.get("/api/v1/kpis/", {"department": value}),
        citizen.get(APPS, {"page": value}),
        citizen.get("/inbox/", {"page": value}),
    ]
    for response in answers:
        assert response.status_code < 500, (response.request["PATH_INFO"], response.status_code)
    # The walk-in above may register the applicant's application; ids are simply ignored.
    after = _row_counts()
    assert after["applications.ApplicationMaterial"] == before["applications.ApplicationMaterial"]
    assert after["supervision.SupervisionTask"] == before["supervision.SupervisionTask"]


# -- uploads -----------------------------------------------------------------------------------

MIB10 = 10 * 1024 * 1024


def _zip_without_ofd_xml() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Doc_0/Document.xml", "<ofd:Document/>")
    return buffer.getvalue()


DISGUISED = {
    "html named .pdf": ("通知.pdf", b"<!DOCTYPE html><script>alert(1)</script>", "not a PDF"),
    "pdf named .png": ("照片.png", pdf_bytes(), "holds a PDF document"),
    "zip named .ofd": ("证照.ofd", _zip_without_ofd_xml(), "not a PDF"),
    "exe named .jpg": ("照片.jpg", b"MZ\x90\x00\x03" + b"\x00" * 64, "not a PDF"),
    "just over 10 MiB": ("扫描件.png", png_bytes() + b"\x00" * (MIB10 + 1), "at most 10485760"),
}


@pytest.fixture
def submitted(city: City) -> Any:
    """A submitted application of the city's citizen, its materials still missing."""
    from tests.applications.factories import submit

    return submit(city.citizen, city.matter, complete=False)


@pytest.fixture
def registered(city: City) -> Any:
    """A ticket registered by the operator."""
    from xiaoneng.hotline.services.tickets import ticket_register

    return ticket_register(
        actor=city.operator, channel="phone", ticket_type="complaint", description="路灯不亮"
    )


@pytest.mark.parametrize("label", list(DISGUISED))
def test_disguised_and_oversized_uploads_are_refused_everywhere(
    city, submitted, registered, unchanged, settings, label
):
    """Content decides, not the name; one byte over the limit is too much; no file is kept."""
    settings.UPLOAD_MAX_BYTES = settings.HOTLINE_UPLOAD_MAX_BYTES = MIB10
    name, content, says = DISGUISED[label]

    def file() -> SimpleUploadedFile:
        return SimpleUploadedFile(name, content, content_type="application/pdf")

    citizen = as_user(city.citizen)
    refused(citizen.post(f"{APPS}{submitted.pk}/materials/", {"file": file()}), says)
    page = citizen.post(f"/applications/{submitted.pk}/upload/", {"file": file()}, follow=True)
    page_refused(page, says)
    operator = as_user(city.operator)
    refused(operator.post(f"{TICKETS}{registered.pk}/attachments/", {"file": file()}), says)
    web = {"ticket_type": "complaint", "category": "CG01", "description": "路灯不亮三天"}
    response = as_user(None).post("/hotline/", {**web, "attachments": [file()]})
    assert response.status_code == 400
    page_refused(response, says)
    unchanged()
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


# -- Open311 -----------------------------------------------------------------------------------


def test_open311_refuses_bad_requests_with_a_reason(city):
    """Bad coordinates, an unknown or SQL-laden service code, a description 10× too long: 400."""
    _, key = _open311_key(city)
    before = _row_counts()
    good = {"api_key": key, "service_code": "CG01", "lat": "38.04", "long": "114.51"}
    cases = [
        ({"lat": "北纬38"}, "lat"),
        ({"lat": "91", "long": "114.51"}, "lat"),
        ({"long": "1e999"}, "long"),
        ({"lat": "nan"}, "lat"),
        ({"service_code": "'; DROP TABLE x;--"}, "service_code"),
        ({"service_code": "%"}, "service_code"),
        ({"description": "长" * 40_000}, "description"),
    ]
    for change, field in cases:
        response = as_user(None).post(OPEN311, {**good, **change})
        assert response.status_code == 400, (change, response.content[:300])
        assert field in response.json()[0]["description"], (change, response.content)
    assert _row_counts() == before
    # The same request, made good, is accepted: the refusals above were for the bad values.
    accepted = as_user(None).post(OPEN311, {**good, "description": "路灯坏了"})
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()[0]["service_request_id"].startswith("GD")


# -- XSS: stored payloads come back escaped -----------------------------------------------------

ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def assert_escaped(html: str, *, shown: bool = True, where: str = "") -> None:
    """No payload is live markup; with ``shown`` the escaped text is on the page."""
    assert XSS["script"] not in html, where
    assert "<img src=x onerror" not in html, where
    live = re.search(r"""(href|src|action|formaction)\s*=\s*["']?\s*javascript:""", html, re.I)
    assert not live, where
    if shown:
        assert ESCAPED_SCRIPT in html, f"the text is not shown on {where}"


def _page(client: Client, url: str, **kwargs: Any) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_hotline_text_is_escaped_on_every_page_and_plain_data_in_json(city):
    """Ticket description, place, name and reply: escaped on the console, ticket page, queue,
    return visits and the citizen's lookup; the API gives them back as the same text."""
    operator, window = as_user(city.operator), as_user(city.window)
    fields = {
        "description": XSS_TEXT,
        "address": XSS_TEXT[:300],
        "district": XSS_TEXT[:60],
        "reporter_name": XSS_TEXT[:100],
    }
    ids = []
    for _ in range(3):  # replied, waiting to be dispatched, waiting to be accepted
        created = json_post(operator, TICKETS, _ticket_body(**fields))
        assert created.status_code == 201, created.content
        ids.append(created.json()["id"])
    replied, _waiting, dispatched = ids
    for pk in (replied, dispatched):
        answer = json_post(
            operator, f"{TICKETS}{pk}/dispatch/", {"department": city.department.code}
        )
        assert answer.status_code == 200, answer.content
    assert json_post(window, f"{TICKETS}{replied}/accept/", {}).status_code == 200
    answer = json_post(window, f"{TICKETS}{replied}/reply/", {"reply": XSS_TEXT})
    assert answer.status_code == 200, answer.content
    for client, url in (
        (operator, "/hotline/console/"),
        (operator, f"/hotline/tickets/{replied}/"),
        (window, f"/hotline/tickets/{replied}/"),
        (operator, "/hotline/visits/"),
        (window, "/hotline/queue/"),
    ):
        assert_escaped(_page(client, url), where=url)
    from xiaoneng.hotline.models import Ticket

    ticket = Ticket.objects.get(pk=replied)
    lookup = as_user(None).post(
        "/hotline/lookup/", {"number": ticket.number, "code": ticket.query_code}
    )
    assert lookup.status_code == 200
    assert_escaped(lookup.content.decode())
    detail = operator.get(f"{TICKETS}{replied}/")
    assert detail["Content-Type"].startswith("application/json")
    assert detail.json()["description"] == XSS_TEXT
    assert detail.json()["reply"] == XSS_TEXT


def test_open311_gives_stored_markup_back_as_data(city):
    """A request filed with markup comes back as JSON text and as escaped XML character data."""
    _, key = _open311_key(city)
    body = {"api_key": key, "service_code": "CG01", "address_string": "中山路 1 号"}
    filed = as_user(None).post(OPEN311, {**body, "description": XSS_TEXT})
    assert filed.status_code == 200, filed.content
    number = filed.json()[0]["service_request_id"]
    as_json = as_user(None).get(f"/open311/v2/requests/{number}.json")
    assert as_json.status_code == 200
    assert as_json.json()[0]["description"] == XSS_TEXT
    as_xml = as_user(None).get(f"/open311/v2/requests/{number}.xml")
    assert as_xml.status_code == 200
    assert_escaped(as_xml.content.decode())
    import xml.etree.ElementTree as ET

    root = ET.fromstring(as_xml.content)  # noqa: S314 - our own answer, in a test
    assert root.findtext("request/description") == XSS_TEXT


def test_knowledge_articles_are_escaped_on_their_pages_and_in_search(city):
    """Article title, body and keywords: escaped on the list and edit pages; JSON search data."""
    operator = as_user(city.operator)
    created = json_post(
        operator, ARTICLES, {"title": XSS_TEXT[:200], "body": XSS_TEXT, "keywords": "XSS 噪音"}
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert_escaped(_page(operator, "/hotline/knowledge/"))
    assert_escaped(_page(operator, "/hotline/knowledge/", data={"q": "XSS"}))
    assert_escaped(_page(operator, f"/hotline/knowledge/{pk}/"))
    found = as_user(None).get(ARTICLES, {"q": "XSS"})
    assert found["Content-Type"].startswith("application/json")
    rows = found.json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert [row["body"] for row in rows] == [XSS_TEXT]


def test_supervision_text_is_escaped_on_task_and_case_pages(city):
    """Task title, description, progress and result; case title, reason, record and findings:
    escaped on the lists and the detail pages of the office and of the unit's head."""
    office, head = as_user(city.office), as_user(city.head)
    created = json_post(
        office,
        TASKS,
        _task_body(city, title=XSS_TEXT[:200], description=XSS_TEXT, source_reference="XSS"),
    )
    assert created.status_code == 201, created.content
    task = created.json()["id"]
    assert json_post(office, f"{TASKS}{task}/assign/", {}).status_code == 200
    progress = json_post(head, f"{TASKS}{task}/progress/", {"text": XSS_TEXT})
    assert progress.status_code == 200, progress.content
    opened = json_post(office, CASES, {"task": task, "title": XSS_TEXT[:200], "reason": XSS_TEXT})
    assert opened.status_code == 201, opened.content
    case = opened.json()["id"]
    assert json_post(office, f"{CASES}{case}/investigate/", {"text": XSS_TEXT}).status_code == 200
    findings = json_post(
        office,
        f"{CASES}{case}/findings/",
        {"text": XSS_TEXT, "person_name": XSS_TEXT[:100], "person_position": "科长"},
    )
    assert findings.status_code == 200, findings.content
    for client, url in (
        (office, "/office/supervision/tasks/"),
        (office, f"/office/supervision/tasks/{task}/"),
        (head, "/office/supervision/tasks/"),
        (head, f"/office/supervision/tasks/{task}/"),
        (office, "/office/accountability/cases/"),
        (office, f"/office/accountability/cases/{case}/"),
        (head, f"/office/accountability/cases/{case}/"),
    ):
        assert_escaped(_page(client, url), where=url)
    assert_escaped(_page(office, "/office/"), shown=False)
    assert office.get(f"{TASKS}{task}/").json()["title"] == XSS_TEXT[:200]
    assert office.get(f"{CASES}{case}/").json()["reason"] == XSS_TEXT


def test_application_text_and_ratings_are_escaped_for_applicant_and_staff(city, concluded):
    """The applicant's name and form, and a bad review's comment: escaped on the applicant's
    and the staff's pages and in the rectification list; the API gives the form back as text."""
    User.objects.filter(pk=city.citizen.pk).update(display_name=XSS_TEXT[:100])
    citizen = as_user(city.citizen)
    applied = citizen.post(
        f"/apply/{city.matter.code}/",
        {"purpose": XSS_TEXT, "address": XSS_TEXT, "contact_phone": "13812345678"},
    )
    assert applied.status_code == 302, applied.content[-2000:]
    from xiaoneng.applications.models import Application

    application = Application.objects.exclude(pk=concluded.pk).get()
    assert application.form["purpose"] == XSS_TEXT
    rated = json_post(citizen, f"{APPS}{concluded.pk}/rating/", {"level": 1, "text": XSS_TEXT})
    assert rated.status_code == 201, rated.content
    window, head = as_user(city.window), as_user(city.head)
    for client, url in (
        (citizen, f"/applications/{concluded.pk}/"),  # the rating's comment
        (window, f"/applications/{application.pk}/"),  # the applicant's name
        (window, "/staff/"),
        (head, "/staff/rectifications/"),
    ):
        assert_escaped(_page(client, url), where=url)
    for client, url in (
        (citizen, "/my/applications/"),
        (citizen, f"/applications/{application.pk}/"),
        (head, "/office/"),
    ):
        assert_escaped(_page(client, url), shown=False, where=url)
    assert citizen.get(f"{APPS}{application.pk}/").json()["form"]["purpose"] == XSS_TEXT


def test_names_in_the_dashboard_chart_data_cannot_close_the_script(city):
    """A department name with markup goes into the dashboard's JSON for the charts escaped:
    ``json_script`` writes < and > as \\u003C and \\u003E, so the name cannot end the script."""
    city.department.name = XSS_TEXT[:100]
    city.department.save(update_fields=["name"])
    from tests.applications.factories import submit

    submit(city.citizen, city.matter)
    html = _page(as_user(city.office), "/office/")
    assert_escaped(html, shown=False, where="/office/")
    assert "\\u003Cscript\\u003Ealert(1)\\u003C/script\\u003E" in html  # in the chart data
    assert ESCAPED_SCRIPT in html  # and in the tables that show the same figures


def test_the_scripts_put_server_text_in_as_text():
    """hotline.js and dashboard.js never parse server text as HTML (no innerHTML & co.)."""
    sinks = re.compile(
        r"\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write|\beval\(|"
        r"new Function|\.html\(|createContextualFragment|DOMParser"
    )
    for script in ("hotline/static/hotline/hotline.js", "dashboard/static/dashboard/dashboard.js"):
        text = (SRC / script).read_text(encoding="utf-8")
        assert not sinks.search(text), (script, sinks.search(text))
    hotline = (SRC / "hotline/static/hotline/hotline.js").read_text(encoding="utf-8")
    assert "node.textContent = text" in hotline  # every server string goes through el()
    dashboard = (SRC / "dashboard/static/dashboard/dashboard.js").read_text(encoding="utf-8")
    assert "JSON.parse(source.textContent)" in dashboard  # the data comes from json_script


def test_no_template_or_view_switches_escaping_off():
    """Nothing under src marks text safe or turns autoescaping off, so Django escapes all."""
    unsafe = re.compile(r"\|\s*safe\b|mark_safe|SafeString|autoescape\s+off|format_html\(")
    found = [
        f"{path.relative_to(SRC)}:{n}"
        for path in SRC.rglob("*")
        if path.suffix in {".html", ".py", ".txt"} and "migrations" not in path.parts
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if unsafe.search(line)
    ]
    assert found == []
