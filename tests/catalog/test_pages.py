"""Public catalog pages: browse, search, filter, page through, and one matter's page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.catalog.factories import (
    CertificateDataFactory,
    DepartmentFactory,
    FeeDataFactory,
    MaterialDataFactory,
    MatterFactory,
)
from xiaoneng.catalog.services import matter_revise

pytestmark = pytest.mark.django_db

LIST = "/matters/"


@pytest.fixture
def en():
    return Client(headers={"accept-language": "en"})


def test_url_names():
    """The base layout links catalog:matter-list; matters live under /matters/<code>/."""
    assert reverse("catalog:matter-list") == "/matters/"
    assert reverse("catalog:matter-detail", kwargs={"code": "M1"}) == "/matters/M1/"


def test_list_shows_matters_with_visits_and_limits(en):
    """The list names each matter, its department, limit, visits and whether it is online."""
    department = DepartmentFactory(name="市场监督管理局")
    MatterFactory(code="M1", name="食品经营许可", department=department, promised_limit_days=7)
    html = en.get(LIST).content.decode()
    assert "食品经营许可" in html and "市场监督管理局" in html
    assert "7 working days" in html and "At most one visit" in html
    assert 'href="/matters/M1/"' in html
    assert "1 matter found" in html


def test_search_and_filters(en):
    """Search by name and each filter narrow the list; the form keeps the chosen values."""
    department = DepartmentFactory(code="D-GA")
    MatterFactory(code="M1", name="居住证签注", department=department, visits=0)
    MatterFactory(
        code="M2",
        name="户口迁移",
        visits=2,
        online=False,
        handling_forms=["window"],
        online_depth=[],
        matter_type="07",
    )
    html = en.get(LIST, {"q": "居住证"}).content.decode()
    assert "居住证签注" in html and "户口迁移" not in html
    assert 'value="居住证"' in html
    html = en.get(LIST, {"department": "D-GA"}).content.decode()
    assert "居住证签注" in html and "户口迁移" not in html
    html = en.get(LIST, {"online": "false"}).content.decode()
    assert "户口迁移" in html and "居住证签注" not in html
    html = en.get(LIST, {"visits": "0"}).content.decode()
    assert "居住证签注" in html and "户口迁移" not in html
    html = en.get(LIST, {"type": "07"}).content.decode()
    assert "户口迁移" in html and "居住证签注" not in html
    assert '<option value="07" selected>' in html


def test_bad_filter_shows_an_error_not_a_crash(en):
    """An unknown type in the address shows a message and no matters."""
    MatterFactory()
    response = en.get(LIST, {"type": "99"})
    assert response.status_code == 200
    assert "0 matters found" in response.content.decode()


def test_pages_keep_the_filters(en):
    """With more than a page of matters, the next-page link keeps the search."""
    MatterFactory.create_batch(25, name="同名事项")
    html = en.get(LIST, {"q": "同名"}).content.decode()
    assert "Page 1 of 2" in html
    assert "?q=%E5%90%8C%E5%90%8D&amp;page=2" in html
    assert "Page 2 of 2" in en.get(LIST, {"q": "同名", "page": 2}).content.decode()


def test_detail_says_what_to_bring_how_long_and_what_is_no_longer_needed(en):
    """The matter page lists materials, legal vs promised limits, and cancelled certificates."""
    MatterFactory(
        code="M1",
        name="公共场所卫生许可",
        legal_limit_days=20,
        promised_limit_days=5,
        materials=[
            MaterialDataFactory(name="卫生许可申请书"),
            CertificateDataFactory(
                name="房屋产权证明",
                replacement="data_sharing",
                cancelled_on=dt.date(2019, 8, 1),
                replacement_basis="市取消证明事项清单第12项",
            ),
        ],
        fees=[FeeDataFactory(item="检测费")],
        charges_fee=True,
    )
    html = en.get("/matters/M1/").content.decode()
    bring = html[html.index('id="bring"') : html.index('id="no-longer-needed"')]
    gone = html[html.index('id="no-longer-needed"') : html.index('id="fees"')]
    assert "卫生许可申请书" in bring and "房屋产权证明" not in bring
    assert "房屋产权证明" in gone and "Checked through data sharing" in gone
    assert "2019-08-01" in gone and "市取消证明事项清单第12项" in gone
    assert "Legal limit (working days)" in html and ">20<" in html and ">5<" in html
    assert "75%" in html  # compression 1 − 5/20
    assert "检测费" in html


def test_detail_shows_version_history_with_changes(en):
    """The versions table shows each version and how the promised limit changed."""
    matter = MatterFactory(code="M1", promised_limit_days=10)
    matter_revise(
        actor=None,
        matter=matter,
        changes={"promised_limit_days": 5},
        effective_from=dt.date(2020, 1, 1),
        note="时限压缩一半",
    )
    html = en.get("/matters/M1/").content.decode()
    assert "2020-01-01" in html and "时限压缩一半" in html and "(-50%)" in html


def test_unknown_matter_is_404(en):
    """An unknown code answers 404."""
    assert en.get("/matters/NOPE/").status_code == 404


def test_user_text_is_escaped(en):
    """Names and notes from the catalog are escaped, never run as markup."""
    MatterFactory(
        code="X1",
        name="<script>alert(1)</script>",
        materials=[MaterialDataFactory(name="<b>材料</b>")],
    )
    html = en.get("/matters/X1/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;材料&lt;/b&gt;" in html
    assert "<script>alert" not in en.get(LIST).content.decode()


def test_only_web_addresses_become_links(en):
    """An online address is a link only when it is http(s); anything else is plain text."""
    MatterFactory(code="W1", online_url="javascript:alert(1)")
    html = en.get("/matters/W1/").content.decode()
    assert 'href="javascript:' not in html


def test_chinese_is_the_default_and_english_is_available():
    """Without a preference the page is Chinese; Accept-Language or the cookie gives English."""
    MatterFactory(code="M1", visits=1)
    chinese = Client().get("/matters/M1/").content.decode()
    assert "最多跑一次" in chinese and "需提交的材料" in chinese
    english = Client(headers={"accept-language": "en"}).get("/matters/M1/").content.decode()
    assert "At most one visit" in english and "What to bring" in english
    cookie_client = Client()
    cookie_client.cookies["django_language"] = "en"
    assert "What to bring" in cookie_client.get("/matters/M1/").content.decode()


def test_list_query_count(en, django_assert_max_num_queries):
    """The list page's queries do not grow with the number of matters shown."""
    MatterFactory.create_batch(20)
    with django_assert_max_num_queries(8):
        assert en.get(LIST).status_code == 200
