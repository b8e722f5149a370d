"""The ticket page (issue 5 §7): access, masking, clock, and each action's form and refusals."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.hotline.conftest import Hotline
from tests.hotline.factories import register
from xiaoneng.hotline.models import Ticket
from xiaoneng.hotline.selectors import routing
from xiaoneng.hotline.services import tickets as services
from xiaoneng.hotline.services.routing import routing_rule_create
from xiaoneng.hotline.views.tickets import allowed_actions


@pytest.fixture(autouse=True)
def _english(client):  # type: ignore[no-untyped-def]
    """These tests read the English messages; Chinese is the default (tested elsewhere)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


pytestmark = pytest.mark.django_db


def _url(ticket: Ticket, action: str | None = None) -> str:
    if action is None:
        return reverse("hotline:ticket", kwargs={"pk": ticket.pk})
    return reverse("hotline:ticket-act", kwargs={"pk": ticket.pk, "action": action})


def _dispatched(hotline: Hotline) -> Ticket:
    ticket = register(operator=hotline.operator, reporter_id_number="110105194912310021")
    return services.ticket_dispatch(
        actor=hotline.operator, ticket=ticket, department=hotline.department
    )


# -- access and what is shown ----------------------------------------------------------------


def test_who_sees_the_ticket_page(client, hotline: Hotline):
    """Operators, the office and the handling department's staff see it; others get a 404."""
    ticket = _dispatched(hotline)
    for user, status in [
        (hotline.operator, 200),
        (hotline.office, 200),
        (hotline.head, 200),
        (hotline.window, 200),
        (hotline.other_head, 404),
        (hotline.citizen, 404),
    ]:
        client.force_login(user)
        assert client.get(_url(ticket)).status_code == status, user
    client.force_login(hotline.operator)
    assert client.get(reverse("hotline:ticket", kwargs={"pk": 999999})).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, hotline: Hotline):
    """The staff page needs an account."""
    ticket = register(operator=hotline.operator)
    assert client.get(_url(ticket)).status_code == 302


def test_department_staff_see_phone_and_id_masked_operators_in_full(client, hotline: Hotline):
    """DOMAIN_RULES §10: masked for the department, in full for operators (they call back)."""
    ticket = _dispatched(hotline)
    client.force_login(hotline.head)
    masked = client.get(_url(ticket)).content.decode()
    assert "138****5678" in masked and "13812345678" not in masked
    assert "110105********0021" in masked and "110105194912310021" not in masked
    client.force_login(hotline.operator)
    full = client.get(_url(ticket)).content.decode()
    assert "13812345678" in full and "110105194912310021" in full


def test_the_page_shows_the_clock_and_the_timeline(client, hotline: Hotline):
    """A dispatched ticket shows its due day, working days left and colour, and its events."""
    ticket = _dispatched(hotline)
    client.force_login(hotline.head)
    html = client.get(_url(ticket)).content.decode()
    assert 'id="clock"' in html and "data-due" in html
    assert 'data-warning="' in html
    assert 'data-event="register"' in html and 'data-event="dispatch"' in html


def test_the_actions_offered_follow_the_status_and_the_viewer(hotline: Hotline):
    """Operators get the registered-ticket forms, staff accept/return, the office escalates."""
    ticket = register(operator=hotline.operator)
    assert allowed_actions(ticket, hotline.operator) == [
        "answer_directly",
        "dispatch",
        "close_not_accepted",
        "merge",
        "split",
    ]
    assert "escalate" in allowed_actions(ticket, hotline.office)
    assert "escalate" not in allowed_actions(ticket, hotline.operator)
    ticket = services.ticket_dispatch(
        actor=hotline.operator, ticket=ticket, department=hotline.department
    )
    assert allowed_actions(ticket, hotline.head) == ["accept", "return"]
    assert allowed_actions(ticket, hotline.operator) == []
    ticket = services.ticket_accept(actor=hotline.head, ticket=ticket)
    assert allowed_actions(ticket, hotline.window) == ["reply"]
    ticket = services.ticket_reply(actor=hotline.head, ticket=ticket, reply="好")
    assert allowed_actions(ticket, hotline.operator) == ["visit"]


def test_attachments_are_listed_with_their_download_link(
    client, hotline: Hotline, settings, tmp_path
):
    """A file sent with the web form is on the ticket page, linked to its download URL."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    png = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    ticket = services.ticket_submit_web(
        reporter=None, ticket_type="help", description="井盖缺失", attachments=[png]
    )
    attachment = ticket.attachments.get()
    client.force_login(hotline.operator)
    html = client.get(_url(ticket)).content.decode()
    assert reverse("hotline:attachment", kwargs={"pk": attachment.pk}) in html
    assert "photo.png" in html


def test_the_ticket_page_takes_the_same_queries_however_long_its_history(client, hotline: Hotline):
    """Events, clock and labels come in a fixed number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(ticket: Ticket) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(_url(ticket)).status_code == 200
        return len(captured)

    short = _dispatched(hotline)
    long = _dispatched(hotline)
    for _ in range(3):
        services.ticket_return(actor=hotline.head, ticket=long, reason="非本部门")
        services.ticket_dispatch(actor=hotline.operator, ticket=long, department=hotline.department)
    client.force_login(hotline.head)
    assert count(long) == count(short)


# -- dispatch with suggestions ---------------------------------------------------------------


def test_a_matching_routing_rule_is_suggested_and_preselected(client, hotline: Hotline):
    """The rule's department is offered first, checked, labelled with the rule's name."""
    routing_rule_create(
        actor=hotline.office, name="噪音归住建", department=hotline.department, keywords="噪音"
    )
    ticket = register(operator=hotline.operator)
    client.force_login(hotline.operator)
    html = client.get(_url(ticket)).content.decode()
    assert 'data-source="rule"' in html
    assert f'value="{hotline.department.pk}" checked' in html
    assert "rule: 噪音归住建" in html


def test_model_suggestions_show_their_probability(client, hotline: Hotline, monkeypatch):
    """A classifier suggestion shows as a percentage."""
    monkeypatch.setattr(
        routing,
        "dispatch_suggestions",
        lambda **_: [routing.Suggestion(hotline.other, 0.62, "model", "")],
    )
    ticket = register(operator=hotline.operator)
    client.force_login(hotline.operator)
    html = client.get(_url(ticket)).content.decode()
    assert 'data-source="model"' in html and "62%" in html


def test_dispatching_to_the_suggested_or_another_department(client, hotline: Hotline):
    """The checked suggestion, or "another department" with its select, is dispatched to."""
    ticket = register(operator=hotline.operator)
    other = register(operator=hotline.operator)
    client.force_login(hotline.operator)
    response = client.post(_url(ticket, "dispatch"), {"department": hotline.department.pk})
    assert response.status_code == 302
    client.post(
        _url(other, "dispatch"), {"department": "other", "other_department": hotline.other.pk}
    )
    ticket.refresh_from_db()
    other.refresh_from_db()
    assert (ticket.status, ticket.department) == ("dispatched", hotline.department)
    assert (other.status, other.department) == ("dispatched", hotline.other)


def test_dispatch_without_a_department_is_a_message_not_a_500(client, hotline: Hotline):
    """ "Another department" with none chosen: 400 and the page says to choose one."""
    ticket = register(operator=hotline.operator)
    client.force_login(hotline.operator)
    response = client.post(_url(ticket, "dispatch"), {"department": "other"})
    assert response.status_code == 400
    assert "Choose a department." in response.content.decode()


def test_an_inactive_department_is_not_offered_nor_accepted(client, hotline: Hotline):
    """A dissolved department is not in the select, and a forged POST to it is refused."""
    hotline.other.active = False
    hotline.other.save()
    ticket = register(operator=hotline.operator)
    client.force_login(hotline.operator)
    page = client.get(_url(ticket)).content.decode()
    assert f'<option value="{hotline.other.pk}">' not in page
    response = client.post(
        _url(ticket, "dispatch"), {"department": "other", "other_department": hotline.other.pk}
    )
    assert response.status_code == 400
    assert "is no longer active" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "registered"


# -- the other operator actions --------------------------------------------------------------


def test_answering_directly_closes_and_an_empty_answer_is_refused(client, hotline: Hotline):
    """An empty answer: 400 with the service's words; a real one closes the ticket."""
    ticket = register(operator=hotline.operator, ticket_type="consultation")
    client.force_login(hotline.operator)
    refused = client.post(_url(ticket, "answer_directly"), {"answer": " "})
    assert refused.status_code == 400
    assert "The answer is required" in refused.content.decode()
    client.post(_url(ticket, "answer_directly"), {"answer": "可在政务服务网办理"})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reply) == ("closed", "可在政务服务网办理")


def test_closing_as_not_accepted_needs_a_reason(client, hotline: Hotline):
    """No reason chosen is refused; "litigation" closes with the court as the reply."""
    ticket = register(operator=hotline.operator)
    client.force_login(hotline.operator)
    assert client.post(_url(ticket, "close_not_accepted"), {"reason": ""}).status_code == 400
    client.post(_url(ticket, "close_not_accepted"), {"reason": "litigation"})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.not_accepted_reason) == ("closed", "litigation")


def test_merging_into_a_ticket_by_number(client, hotline: Hotline):
    """The duplicate closes under the parent named by its number; a bad number is a message."""
    parent = register(operator=hotline.operator)
    duplicate = register(operator=hotline.operator)
    client.force_login(hotline.operator)
    refused = client.post(_url(duplicate, "merge"), {"into": "GD1999"})
    assert refused.status_code == 400
    assert 'value="GD1999"' in refused.content.decode()  # what was typed stays
    client.post(_url(duplicate, "merge"), {"into": parent.number.lower()})
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.parent) == ("closed", parent)
    html = client.get(_url(parent)).content.decode()
    assert 'id="duplicates"' in html and duplicate.number in html


def test_splitting_into_parts_for_two_departments(client, hotline: Hotline):
    """Two filled rows make two dispatched parts; one row is refused by the service."""
    ticket = register(operator=hotline.operator)
    client.force_login(hotline.operator)
    one_row = client.post(
        _url(ticket, "split"),
        {"part_department_0": hotline.department.pk, "part_description_0": "施工噪音"},
    )
    assert one_row.status_code == 400
    client.post(
        _url(ticket, "split"),
        {
            "part_department_0": hotline.department.pk,
            "part_description_0": "施工噪音",
            "part_department_1": hotline.other.pk,
            "part_description_1": "占道堆放",
        },
    )
    ticket.refresh_from_db()
    parts = list(Ticket.objects.filter(split_from=ticket).order_by("id"))
    assert ticket.status == "closed"
    assert [(p.department, p.status) for p in parts] == [
        (hotline.department, "dispatched"),
        (hotline.other, "dispatched"),
    ]


def test_only_the_office_escalates(client, hotline: Hotline):
    """An operator's escalation is refused with a message; the office opens a task."""
    ticket = _dispatched(hotline)
    client.force_login(hotline.operator)
    refused = client.post(_url(ticket, "escalate"), {"title": "久拖不决", "limit_days": "5"})
    assert refused.status_code == 403
    assert 'class="error"' in refused.content.decode()
    client.force_login(hotline.office)
    response = client.post(_url(ticket, "escalate"), {"title": "久拖不决", "limit_days": "5"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.supervision_task is not None
    assert 'id="supervision-task"' in client.get(_url(ticket)).content.decode()


def test_a_non_numeric_limit_is_refused(client, hotline: Hotline):
    """Escalation with "ten" as the limit answers what was expected."""
    ticket = _dispatched(hotline)
    client.force_login(hotline.office)
    response = client.post(_url(ticket, "escalate"), {"limit_days": "ten"})
    assert response.status_code == 400
    assert "Expected a whole number of working days" in response.content.decode()


# -- department actions ----------------------------------------------------------------------


def test_accept_then_reply(client, hotline: Hotline):
    """The department accepts (the officer is the acceptor) and replies."""
    ticket = _dispatched(hotline)
    client.force_login(hotline.window)
    client.post(_url(ticket, "accept"))
    ticket.refresh_from_db()
    assert (ticket.status, ticket.officer) == ("accepted", hotline.window)
    refused = client.post(_url(ticket, "reply"), {"reply": ""})
    assert refused.status_code == 400 and "The reply is required" in refused.content.decode()
    client.post(_url(ticket, "reply"), {"reply": "已安排整改"})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reply) == ("replied", "已安排整改")


def test_sending_back_needs_a_reason_and_lands_in_the_queue(client, hotline: Hotline):
    """An empty reason is refused; with one the ticket goes back and the page is the queue."""
    ticket = _dispatched(hotline)
    client.force_login(hotline.head)
    refused = client.post(_url(ticket, "return"), {"reason": "   "})
    assert refused.status_code == 400
    response = client.post(_url(ticket, "return"), {"reason": "属城管职责"})
    assert response["Location"] == reverse("hotline:queue")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.department) == ("registered", None)


def test_another_department_cannot_act_on_the_ticket(client, hotline: Hotline):
    """Staff of another department get the same 404 as for a missing ticket."""
    ticket = _dispatched(hotline)
    client.force_login(hotline.other_head)
    assert client.post(_url(ticket, "accept")).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "dispatched"


def test_an_action_out_of_turn_is_a_conflict_message(client, hotline: Hotline):
    """Replying before accepting: 409 and the service's message on the page."""
    ticket = _dispatched(hotline)
    client.force_login(hotline.head)
    response = client.post(_url(ticket, "reply"), {"reply": "答复"})
    assert response.status_code == 409
    assert "cannot take the action reply" in response.content.decode()


def test_an_unknown_action_is_a_404(client, hotline: Hotline):
    """Only the listed actions exist."""
    ticket = register(operator=hotline.operator)
    client.force_login(hotline.operator)
    assert client.post(_url(ticket, "delete")).status_code == 404
