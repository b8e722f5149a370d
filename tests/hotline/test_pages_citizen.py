"""The citizen's pages (issue 5 §7): the web form, the receipt and the lookup by number + code."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.hotline.conftest import Hotline
from tests.hotline.factories import register
from xiaoneng.hotline.models import Ticket, TicketCategory
from xiaoneng.hotline.services import tickets as services
from xiaoneng.hotline.views.citizen import LOOKUP_MAX_FAILURES


@pytest.fixture(autouse=True)
def _english(client):  # type: ignore[no-untyped-def]
    """These tests read the English messages; Chinese is the default (tested elsewhere)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _fresh_cache():  # type: ignore[no-untyped-def]
    """Failed-lookup counters live in the cache; every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def categories(db):  # type: ignore[no-untyped-def]
    """城市管理 › 噪音扰民 and 占道经营; 住房 › 物业管理."""
    city = TicketCategory.objects.create(code="CG", name="城市管理")
    housing = TicketCategory.objects.create(code="ZF", name="住房")
    return {
        "noise": TicketCategory.objects.create(code="CG01", name="噪音扰民", parent=city),
        "stalls": TicketCategory.objects.create(code="CG02", name="占道经营", parent=city),
        "property": TicketCategory.objects.create(code="ZF01", name="物业管理", parent=housing),
    }


def _form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "ticket_type": "complaint",
        "category": "CG01",
        "description": "小区门口夜间施工噪音扰民，已持续一周",
        "address": "长安路 18 号",
        "district": "长安区",
        "reporter_name": "李四",
        "reporter_phone": "139 1234 5678",
    }
    data.update(overrides)
    return data


def test_the_form_is_public_and_groups_leaf_categories_under_their_parent(client, categories):
    """Anyone may open the form; only leaves are choices, in an optgroup named by the parent."""
    response = client.get(reverse("hotline:submit"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<optgroup label="城市管理">' in html
    assert 'value="CG01"' in html and 'value="ZF01"' in html
    assert 'value="CG"' not in html  # a parent is a group, not a choice
    assert 'name="attachments"' in html and "multiple" in html


def test_an_anonymous_submission_shows_the_number_and_query_code(client, categories):
    """Sending the form files a web ticket and the receipt shows its number and 6-digit code."""
    response = client.post(reverse("hotline:submit"), _form())
    assert response.status_code == 302
    assert response["Location"] == reverse("hotline:submitted")
    ticket = Ticket.objects.get()
    assert ticket.channel == "web"
    assert ticket.reporter is None
    assert ticket.category == categories["noise"]
    assert ticket.reporter_phone == "13912345678"  # spaces dropped
    receipt = client.get(response["Location"]).content.decode()
    assert ticket.number in receipt
    assert len(ticket.query_code) == 6 and ticket.query_code in receipt


def test_one_address_may_file_only_so_many_requests_an_hour(client, categories, settings):
    """Past the hourly limit the form answers 429, keeps the text and files nothing more."""
    settings.HOTLINE_WEB_SUBMITS_PER_HOUR = 2
    for _ in range(2):
        assert client.post(reverse("hotline:submit"), _form()).status_code == 302
    response = client.post(reverse("hotline:submit"), _form(description="第三次反映噪音"))
    html = response.content.decode()
    assert response.status_code == 429
    assert "Too many requests filed from here: 2 in an hour" in html
    assert "第三次反映噪音" in html
    assert Ticket.objects.count() == 2
    other = client.post(reverse("hotline:submit"), _form(), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302  # another address is not affected
    assert Ticket.objects.count() == 3


def test_a_signed_in_citizen_is_the_reporter(client, hotline: Hotline, categories):
    """A citizen who is signed in files under their account (and later sees "my tickets")."""
    client.force_login(hotline.citizen)
    client.post(reverse("hotline:submit"), _form(reporter_phone=""))
    assert Ticket.objects.get().reporter == hotline.citizen


@pytest.mark.parametrize("phone", ["1381234567", "23812345678", "138-1234-567x"])
def test_a_malformed_mobile_number_is_refused_with_what_was_expected(client, categories, phone):
    """A bad mobile number answers 400 naming the expected form; what was typed stays."""
    response = client.post(reverse("hotline:submit"), _form(reporter_phone=phone))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Expected a mainland mobile number" in html
    assert "小区门口夜间施工噪音扰民" in html  # the description is kept
    assert not Ticket.objects.exists()


def test_an_empty_description_is_refused(client, categories):
    """The description is required; the form says so and files nothing."""
    response = client.post(reverse("hotline:submit"), _form(description="  "))
    assert response.status_code == 400
    assert 'id="error-description"' in response.content.decode()
    assert not Ticket.objects.exists()


def test_files_are_attached_to_the_ticket(client, categories, settings, tmp_path):
    """A PNG sent with the form becomes an attachment of the new ticket."""
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("photo.png", PNG, content_type="image/png")
    response = client.post(reverse("hotline:submit"), {**_form(), "attachments": [upload]})
    assert response.status_code == 302
    attachment = Ticket.objects.get().attachments.get()
    assert attachment.original_name == "photo.png"
    assert attachment.content_type == "image/png"


def test_more_than_five_files_are_refused_and_nothing_is_filed(client, categories):
    """Six files: the page says at most five, and no ticket is written."""
    files = [SimpleUploadedFile(f"p{i}.png", PNG, content_type="image/png") for i in range(6)]
    response = client.post(reverse("hotline:submit"), {**_form(), "attachments": files})
    assert response.status_code == 400
    assert "At most 5 files may be attached; got 6." in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_file_that_is_not_what_it_claims_is_refused_on_the_page(client, categories, tmp_path):
    """An HTML file named .pdf comes back as the service's message, not a 500."""
    fake = SimpleUploadedFile("scan.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    response = client.post(reverse("hotline:submit"), {**_form(), "attachments": [fake]})
    assert response.status_code == 400
    assert 'id="form-errors"' in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_receipt_page_without_a_submission_goes_back_to_the_form(client, db):
    """Nothing filed from this browser: the receipt redirects to the form."""
    response = client.get(reverse("hotline:submitted"))
    assert response.status_code == 302
    assert response["Location"] == reverse("hotline:submit")


# -- lookup ----------------------------------------------------------------------------------


def _lookup(client: Client, number: str, code: str):  # type: ignore[no-untyped-def]
    return client.post(reverse("hotline:lookup"), {"number": number, "code": code})


def test_the_lookup_shows_status_department_public_timeline_and_reply(client, hotline: Hotline):
    """Number + code show the status, department, reply and the public steps only."""
    ticket = register(operator=hotline.operator)
    services.ticket_dispatch(actor=hotline.operator, ticket=ticket, department=hotline.other)
    services.ticket_return(actor=hotline.other_head, ticket=ticket, reason="内部原因：非本局职责")
    services.ticket_dispatch(actor=hotline.operator, ticket=ticket, department=hotline.department)
    services.ticket_accept(actor=hotline.head, ticket=ticket)
    services.ticket_reply(actor=hotline.head, ticket=ticket, reply="已责令施工方夜间停工")
    response = _lookup(client, ticket.number.lower(), ticket.query_code)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-status="replied"' in html
    assert hotline.department.name in html
    assert "已责令施工方夜间停工" in html
    assert 'data-event="dispatch"' in html and 'data-event="reply"' in html
    assert 'data-event="return"' not in html  # a send-back is internal
    assert "内部原因" not in html  # and so are reasons
    assert "13812345678" not in html and "张三" not in html  # no personal data


def test_an_unknown_number_and_a_wrong_code_answer_the_same(client, hotline: Hotline):
    """No enumeration: both mismatches give the same status and message."""
    ticket = register(operator=hotline.operator)
    wrong_code = f"{(int(ticket.query_code) + 1) % 10**6:06d}"
    unknown = _lookup(client, "GD2000010100001", ticket.query_code)
    wrong = _lookup(client, ticket.number, wrong_code)
    assert unknown.status_code == wrong.status_code == 404
    message = "No ticket matches this number and query code."
    assert message in unknown.content.decode() and message in wrong.content.decode()
    assert 'id="lookup-result"' not in wrong.content.decode()


def test_lookups_are_refused_after_ten_failures_even_with_the_right_code(client, hotline: Hotline):
    """After 10 failed lookups in 10 minutes the client is refused, right code or not."""
    ticket = register(operator=hotline.operator)
    for _ in range(LOOKUP_MAX_FAILURES):
        assert _lookup(client, ticket.number, "000000" if ticket.query_code != "000000" else "1")
    refused = _lookup(client, ticket.number, ticket.query_code)
    assert refused.status_code == 429
    assert "Too many failed lookups" in refused.content.decode()
    cache.clear()  # the window over
    assert _lookup(client, ticket.number, ticket.query_code).status_code == 200


def test_the_throttle_counts_by_address_across_sessions(hotline: Hotline):
    """A fresh session (new cookies) from the same address is still refused."""
    ticket = register(operator=hotline.operator)
    for _ in range(LOOKUP_MAX_FAILURES):
        _lookup(Client(), ticket.number, "999999" if ticket.query_code != "999999" else "1")
    assert _lookup(Client(), ticket.number, ticket.query_code).status_code == 429


def test_a_signed_in_reporter_sees_their_tickets_and_only_theirs(client, hotline: Hotline):
    """ "My requests" lists the reporter's tickets; ``?mine=`` opens only one of them."""
    mine = services.ticket_submit_web(
        reporter=hotline.citizen, ticket_type="help", description="路灯不亮"
    )
    other = services.ticket_submit_web(reporter=None, ticket_type="help", description="井盖缺失")
    client.force_login(hotline.citizen)
    page = client.get(reverse("hotline:lookup")).content.decode()
    assert f'data-number="{mine.number}"' in page
    assert other.number not in page
    opened = client.get(reverse("hotline:lookup"), {"mine": mine.pk}).content.decode()
    assert 'id="lookup-result"' in opened and "路灯不亮" not in opened.split("lookup-result")[0]
    refused = client.get(reverse("hotline:lookup"), {"mine": other.pk}).content.decode()
    assert 'id="lookup-result"' not in refused


def test_the_lookup_of_a_split_ticket_names_its_parts(client, hotline: Hotline):
    """A split original shows the parts' numbers and departments."""
    ticket = register(operator=hotline.operator)
    parts = services.ticket_split(
        actor=hotline.operator,
        ticket=ticket,
        parts=[(hotline.department, "施工噪音"), (hotline.other, "占道堆放")],
    )
    html = _lookup(client, ticket.number, ticket.query_code).content.decode()
    assert 'id="split-parts"' in html
    assert all(p.number in html for p in parts)


def test_the_lookup_of_a_merged_duplicate_names_the_parent(client, hotline: Hotline):
    """A duplicate shows the ticket it was merged into."""
    parent = register(operator=hotline.operator)
    duplicate = register(operator=hotline.operator)
    services.ticket_merge(actor=hotline.operator, ticket=duplicate, into=parent)
    html = _lookup(client, duplicate.number, duplicate.query_code).content.decode()
    assert 'id="merged-into"' in html and parent.number in html
