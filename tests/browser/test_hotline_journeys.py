"""The 12345 hotline journeys of the README (issue 5 §7), in a real browser.

(a) A citizen fills in the web form, sees a knowledge-base answer as they type, sends the
request anyway and looks it up with its number and query code; an operator dispatches it to
the suggested department; the department accepts and replies; the operator makes the return
visit; the citizen's lookup shows it closed. (b) The department sends a ticket back with a
reason and it is in the console's queue again. (c) A dissatisfied return visit reopens the
ticket to the same department.
"""

from __future__ import annotations

import pytest

from tests.clocks.factories import DepartmentFactory, UserFactory
from xiaoneng.accounts.models import Role
from xiaoneng.hotline.models import Ticket, TicketCategory
from xiaoneng.hotline.services import tickets as services
from xiaoneng.hotline.services.knowledge import article_create
from xiaoneng.hotline.services.routing import routing_rule_create

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "hotline-pass-2026"


@pytest.fixture
def city(seeded_calendar, settings, tmp_path):  # type: ignore[no-untyped-def]
    """The hotline centre with an operator, 住建局 with its head, 城管局, a category, a rule."""
    settings.MEDIA_ROOT = tmp_path
    centre = DepartmentFactory(code="12345", name="12345热线中心")
    housing = DepartmentFactory(code="130100008", name="市住房和城乡建设局")
    urban = DepartmentFactory(code="130100011", name="市城市管理局")
    users = {
        "operator": UserFactory(username="hl-operator", role=Role.WINDOW, department=centre),
        "head": UserFactory(username="hl-head", role=Role.HEAD, department=housing),
        "urban_head": UserFactory(username="hl-urban", role=Role.HEAD, department=urban),
    }
    for user in users.values():
        user.set_password(PASSWORD)
        user.save()
    parent = TicketCategory.objects.create(code="CG", name="城市管理")
    noise = TicketCategory.objects.create(code="CG01", name="噪音扰民", parent=parent)
    routing_rule_create(
        actor=users["operator"], name="施工噪音", department=housing, keywords="施工"
    )
    article_create(
        actor=users["operator"],
        title="夜间施工噪音如何投诉",
        body="夜间22时至次日6时，禁止在居民区进行产生噪声的建筑施工作业。",
        keywords="噪音 施工 夜间",
        category=noise,
    )
    return {"housing": housing, "urban": urban, "noise": noise, **users}


def _context(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def _sign_in(browser, live_server, username):  # type: ignore[no-untyped-def]
    page = _context(browser, live_server)
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    # The button by its place, not its words: the test runs whether or not .mo files exist.
    # Wait for the page the POST answers with, not the one already loaded.
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    return page


def _act(page, action: str, **fields: str) -> None:  # type: ignore[no-untyped-def]
    form = page.locator(f"form[data-action='{action}']").first
    for name, value in fields.items():
        field = form.locator(f"[name={name}]")
        if field.first.get_attribute("type") == "radio":
            form.locator(f"[name={name}][value='{value}']").check()
        elif field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    # Wait for the page the POST answers with, not the one already loaded.
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def _status(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("#ticket-status").get_attribute("data-status")


def _lookup(page, number: str, code: str) -> str:  # type: ignore[no-untyped-def]
    page.goto("/hotline/lookup/")
    page.fill("#lookup-number", number)
    page.fill("#lookup-code", code)
    # Wait for the page the POST answers with, not the one already loaded.
    with page.expect_navigation():
        page.locator("#lookup-form button[type=submit]").click()
    return page.locator("#lookup-result").get_attribute("data-status")


def test_a_web_request_from_the_form_to_the_closed_lookup(browser, live_server, city):
    """Form with a KB answer → number + code → dispatch → accept → reply → visit → closed."""
    citizen = _context(browser, live_server)
    citizen.goto("/")
    citizen.locator("#nav-hotline").click()
    citizen.select_option("#id_ticket_type", "complaint")
    citizen.select_option("#id_category", "CG01")
    citizen.locator("#id_description").press_sequentially("隔壁工地夜间施工噪音很大")
    answer = citizen.locator("#kb-answers .kb-item").first
    answer.wait_for()
    assert "夜间施工噪音如何投诉" in answer.locator("summary").inner_text()
    answer.locator("summary").click()
    answer.locator("button.kb-use").click()
    assert citizen.locator(".kb-thanks").is_visible()
    assert citizen.url.endswith("/hotline/")  # "this answers my question" sends nothing
    citizen.fill("#id_address", "长安路 18 号")
    citizen.fill("#id_reporter_phone", "13912345678")
    # Wait for the page the POST answers with, not the one already loaded.
    with citizen.expect_navigation():
        citizen.locator("#submit-button").click()
    number = citizen.locator("#ticket-number").inner_text()
    code = citizen.locator("#query-code").inner_text()
    assert len(code) == 6
    assert _lookup(citizen, number, code) == "registered"

    ticket = Ticket.objects.get(number=number)
    operator = _sign_in(browser, live_server, "hl-operator")
    operator.goto("/hotline/console/")
    operator.locator(f"#queue-{ticket.pk} a").click()
    suggested = operator.locator("label.suggestion[data-source=rule] input")
    assert suggested.is_checked()
    assert suggested.get_attribute("value") == str(city["housing"].pk)
    _act(operator, "dispatch")
    assert _status(operator) == "dispatched"
    assert operator.locator("#clock").is_visible()

    head = _sign_in(browser, live_server, "hl-head")
    head.goto("/hotline/queue/")
    head.locator(f"#to-accept #ticket-{ticket.pk} a").click()
    _act(head, "accept")
    assert _status(head) == "accepted"
    _act(head, "reply", reply="已责令施工单位夜间停工，并安排执法人员巡查。")
    assert _status(head) == "replied"

    operator.goto("/hotline/visits/")
    operator.locator(f"#visit-{ticket.pk} input[name=level][value='5']").check()
    # Wait for the page the POST answers with, not the one already loaded.
    with operator.expect_navigation():
        operator.locator(f"#visit-{ticket.pk} button[type=submit]").click()
    assert operator.locator(f"#visit-{ticket.pk}").count() == 0

    assert _lookup(citizen, number, code) == "closed"
    assert "已责令施工单位夜间停工" in citizen.locator("#lookup-reply").inner_text()
    assert citizen.locator("#lookup-timeline [data-event=visit_satisfied]").count() == 1


def test_a_ticket_sent_back_is_in_the_console_queue_again(browser, live_server, city):
    """Register a call → dispatch to another department → it sends it back → in the queue."""
    operator = _sign_in(browser, live_server, "hl-operator")
    operator.goto("/hotline/console/")
    operator.select_option("#id_ticket_type", "help")
    operator.fill("#id_description", "小区路灯坏了一个月没人修")
    operator.fill("#id_reporter_phone", "13700001111")
    # Wait for the page the POST answers with, not the one already loaded.
    with operator.expect_navigation():
        operator.locator("#register-form button[type=submit]").click()
    number = operator.locator("#ticket-number").inner_text()
    ticket = Ticket.objects.get(number=number)
    _act(operator, "dispatch", department="other", other_department=str(city["urban"].pk))
    assert _status(operator) == "dispatched"

    urban = _sign_in(browser, live_server, "hl-urban")
    urban.goto(f"/hotline/tickets/{ticket.pk}/")
    _act(urban, "return")  # no reason: refused, on the page
    assert urban.locator(".messages .error").count() == 1
    _act(urban, "return", reason="路灯属住建局管理")
    assert urban.url.endswith("/hotline/queue/")
    assert "路灯属住建局管理" in urban.locator("#returned").inner_text()

    operator.goto("/hotline/console/")
    assert operator.locator(f"#queue-{ticket.pk}").is_visible()
    operator.locator(f"#queue-{ticket.pk} a").click()
    assert "路灯属住建局管理" in operator.locator("#history").inner_text()


def test_a_dissatisfied_visit_reopens_to_the_same_department(browser, live_server, city):
    """Level 1 on the visits page: the ticket is in hand again at the same department."""
    ticket = services.ticket_register(
        actor=city["operator"],
        channel="phone",
        ticket_type="complaint",
        description="夜间施工噪音",
        reporter_phone="13812345678",
    )
    services.ticket_dispatch(actor=city["operator"], ticket=ticket, department=city["housing"])
    services.ticket_accept(actor=city["head"], ticket=ticket)
    services.ticket_reply(actor=city["head"], ticket=ticket, reply="已处理")

    operator = _sign_in(browser, live_server, "hl-operator")
    operator.goto("/hotline/visits/")
    card = operator.locator(f"#visit-{ticket.pk}")
    assert "13812345678" in card.inner_text()  # operators call back: unmasked
    assert card.locator("[data-reopen-left=yes]").count() == 1
    card.locator("input[name=level][value='1']").check()
    card.locator("input[name=note]").fill("噪音仍在")
    # Wait for the page the POST answers with, not the one already loaded.
    with operator.expect_navigation():
        card.locator("button[type=submit]").click()
    operator.goto(f"/hotline/tickets/{ticket.pk}/")
    assert _status(operator) == "accepted"
    assert city["housing"].name in operator.locator("#department").inner_text()

    head = _sign_in(browser, live_server, "hl-head")
    head.goto("/hotline/queue/")
    row = head.locator(f"#in-hand #ticket-{ticket.pk}")
    assert row.is_visible()
    assert row.locator(".badge.yellow").count() == 1  # reopened


def test_an_operator_answers_a_call_at_once_from_the_knowledge_base(browser, live_server, city):
    """Register a consultation; search the knowledge base; use the article; answer and close."""
    ticket = services.ticket_register(
        actor=city["operator"],
        channel="phone",
        ticket_type="consultation",
        description="夜里工地施工能不能投诉",
    )
    operator = _sign_in(browser, live_server, "hl-operator")
    operator.goto(f"/hotline/tickets/{ticket.pk}/")
    box = operator.locator("#actions .kb-search")
    box.locator(".kb-q").press_sequentially("夜间施工")
    hit = box.locator(".kb-item").first
    hit.wait_for()
    hit.locator("summary").click()
    hit.locator("button.kb-use").click()
    assert "禁止在居民区" in operator.locator("#answer").input_value()
    _act(operator, "answer_directly")
    assert _status(operator) == "closed"
    assert "禁止在居民区" in operator.locator("#reply").inner_text()
