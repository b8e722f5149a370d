"""Repeated failed sign-ins are throttled, on the web page and the token endpoint alike.

The failures live in the database, so every server process (each gunicorn worker) sees the
same count: the tests show it by failing through one entry point and being refused at the
other, with fresh clients, and by inserting failures as another process would.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from xiaoneng.accounts.models import LoginFailure
from xiaoneng.accounts.services import login_failure_record
from xiaoneng.core.models import AuditEvent

from .factories import PASSWORD, citizen

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.urls")]

LOGIN_URL = "/accounts/login/"
TOKEN_URL = "/api/v1/auth/token/"
THROTTLED_EN = (
    "Too many failed sign-ins for this account or from this address. Try again in 15 minutes."
)


def web_login(username: str, password: str, ip: str = "10.0.0.1", lang: str = "en"):  # type: ignore[no-untyped-def]
    """Sign in through the page with a fresh browser (a new client each time)."""
    return Client(HTTP_ACCEPT_LANGUAGE=lang, REMOTE_ADDR=ip).post(
        LOGIN_URL, {"username": username, "password": password}
    )


def api_login(username: str, password: str, ip: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return APIClient(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=ip).post(
        TOKEN_URL, {"username": username, "password": password}, format="json"
    )


def test_the_sign_in_page_signs_in():
    """The right password signs in and redirects; the session is the user's."""
    citizen("zhang")
    client = Client()
    response = client.post(LOGIN_URL, {"username": "zhang", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/test-whoami/").content == b"zhang"


def test_a_wrong_password_shows_the_form_error():
    """A wrong password re-shows the form with the plain message and records one failure."""
    citizen("zhang")
    response = web_login("zhang", "wrong")
    assert response.status_code == 200
    assert "The user name or password is not right. Try again." in response.content.decode()
    assert LoginFailure.objects.get().username == "zhang"


def test_five_web_failures_lock_the_user_name_on_the_web():
    """After 5 failures the sixth attempt is refused, even with the right password."""
    citizen("zhang")
    for _ in range(5):
        assert web_login("zhang", "wrong").status_code == 200
    response = web_login("zhang", PASSWORD)
    assert response.status_code == 200  # the form again, not a redirect
    assert THROTTLED_EN in response.content.decode()
    assert LoginFailure.objects.count() == 5  # the refused attempt checked no password


def test_the_lockout_message_reads_in_chinese():
    """The refusal on the zh-Hans page is in Chinese."""
    for _ in range(5):
        web_login("zhang", "wrong")
    page = web_login("zhang", "wrong", lang="zh-hans").content.decode()
    assert "该账户或该地址登录失败次数过多，请 15 分钟后再试。" in page


def test_five_api_failures_answer_429_with_retry_after():
    """The token endpoint refuses the sixth attempt with 429, Retry-After and the error shape."""
    citizen("zhang")
    for _ in range(5):
        assert api_login("zhang", "wrong").status_code == 400
    response = api_login("zhang", PASSWORD)
    assert response.status_code == 429
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert error["message"] == THROTTLED_EN
    assert error["details"]["retry_after"] == int(response["Retry-After"])


def test_web_and_api_failures_count_together():
    """Failures on the page lock the API, and the other way round: one count in the database."""
    citizen("zhang")
    citizen("li")
    for _ in range(3):
        web_login("zhang", "wrong", ip="10.0.0.1")
    for _ in range(2):
        api_login("zhang", "wrong", ip="10.0.0.2")
    assert api_login("zhang", PASSWORD, ip="10.0.0.3").status_code == 429
    for _ in range(5):
        api_login("li", "wrong", ip="10.0.0.4")
    assert THROTTLED_EN in web_login("li", PASSWORD, ip="10.0.0.5").content.decode()


def test_failures_recorded_by_another_process_count():
    """Rows written by any process (here: inserted directly) lock this one's sign-in."""
    citizen("zhang")
    for _ in range(5):
        LoginFailure.objects.create(username="zhang", ip="192.0.2.9")
    assert api_login("zhang", PASSWORD).status_code == 429


def test_the_user_name_is_counted_case_insensitively():
    """Changing the case of the user name does not escape the count."""
    citizen("zhang")
    for name in ("zhang", "Zhang", "ZHANG", "zHang", "zhanG"):
        api_login(name, "wrong", ip=f"10.0.1.{len(name)}")
    assert api_login("zhang", PASSWORD, ip="10.0.2.1").status_code == 429


def test_five_failures_from_one_address_lock_that_address():
    """Trying many user names from one address locks the address, not other addresses."""
    citizen("zhang")
    for i in range(5):
        api_login(f"guess{i}", "wrong", ip="198.51.100.7")
    assert api_login("zhang", PASSWORD, ip="198.51.100.7").status_code == 429
    assert api_login("zhang", PASSWORD, ip="198.51.100.8").status_code == 201


def test_a_success_clears_the_user_names_count():
    """Four failures, a success, then four more failures: never locked."""
    citizen("zhang")
    for _ in range(4):
        api_login("zhang", "wrong", ip="10.0.0.1")
    assert web_login("zhang", PASSWORD, ip="10.0.0.2").status_code == 302
    assert not LoginFailure.objects.filter(username="zhang").exists()
    for _ in range(4):
        api_login("zhang", "wrong", ip="10.0.0.3")
    assert api_login("zhang", PASSWORD, ip="10.0.0.4").status_code == 201


def test_the_lockout_ends_after_fifteen_minutes():
    """Locked at the fifth failure; 15 minutes later the right password works again."""
    citizen("zhang")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            api_login("zhang", "wrong")
    with time_machine.travel(start + dt.timedelta(minutes=14, seconds=59), tick=False):
        response = api_login("zhang", PASSWORD)
        assert response.status_code == 429
        assert response["Retry-After"] == "1"
    with time_machine.travel(start + dt.timedelta(minutes=15), tick=False):
        assert api_login("zhang", PASSWORD).status_code == 201


def test_failures_spread_beyond_the_window_do_not_lock():
    """Five failures four minutes apart (16 minutes in all) never lock."""
    citizen("zhang")
    start = timezone.now()
    for i in range(5):
        with time_machine.travel(start + dt.timedelta(minutes=4 * i), tick=False):
            api_login("zhang", "wrong")
    with time_machine.travel(start + dt.timedelta(minutes=16, seconds=1), tick=False):
        assert api_login("zhang", PASSWORD).status_code == 201


def test_the_limits_follow_the_settings(settings):
    """LOGIN_FAILURE_LIMIT and LOGIN_LOCKOUT_MINUTES change the policy."""
    settings.LOGIN_FAILURE_LIMIT = 2
    settings.LOGIN_LOCKOUT_MINUTES = 1
    citizen("zhang")
    api_login("zhang", "wrong")
    api_login("zhang", "wrong")
    response = api_login("zhang", PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) <= 60


def test_the_lockout_is_audited_once():
    """The failure that starts a lockout appends one accounts.login_lockout event."""
    user = citizen("zhang")
    for _ in range(7):
        api_login("zhang", "wrong")
    event = AuditEvent.objects.get(action="accounts.login_lockout")
    assert event.target_id == str(user.pk)
    assert event.data["username"] == "zhang"


def test_the_client_address_comes_from_the_configured_proxy_header(settings):
    """Behind a trusted proxy, LOGIN_CLIENT_IP_HEADER names where the real address is."""
    settings.LOGIN_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    APIClient(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.5").post(
        TOKEN_URL, {"username": "x", "password": "y"}, format="json"
    )
    assert LoginFailure.objects.get().ip == "203.0.113.5"


def test_old_failures_are_pruned():
    """Recording a failure deletes those older than a day."""
    old = LoginFailure.objects.create(username="a", at=timezone.now() - dt.timedelta(days=2))
    login_failure_record(username="b", ip=None, channel="web")
    assert not LoginFailure.objects.filter(pk=old.pk).exists()
    assert LoginFailure.objects.count() == 1


def test_the_site_routes_sign_in_to_the_throttled_view_after_the_url_change():
    """The accounts room's URLs serve /accounts/login/ with the throttled view."""
    from django.urls import resolve

    from xiaoneng.accounts.views import ThrottledLoginView

    assert resolve(LOGIN_URL).func.view_class is ThrottledLoginView  # type: ignore[attr-defined]


def test_the_admin_sign_in_is_throttled_too():
    """/admin/login/ counts failures and refuses a locked-out administrator."""
    from .factories import user_of_role

    user_of_role("admin", "root")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(5):
        page = client.post("/admin/login/", {"username": "root", "password": "wrong"})
        assert "or the account may not use the admin site" in page.content.decode()
    page = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert page.status_code == 200
    assert THROTTLED_EN in page.content.decode()
    assert LoginFailure.objects.filter(username="root").count() == 5
