"""Web sessions expire: 8 hours after signing in the browser is anonymous again."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from .factories import PASSWORD, citizen

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.urls")]


def test_the_session_lasts_eight_hours():
    """Signed in at T: still signed in just before T+8h, anonymous at T+8h."""
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    citizen("zhang")
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        response = client.post("/accounts/login/", {"username": "zhang", "password": PASSWORD})
        assert response.status_code == 302
        assert response.cookies["sessionid"]["max-age"] == 8 * 3600
    with time_machine.travel(start + dt.timedelta(hours=7, minutes=59), tick=False):
        assert client.get("/test-whoami/").content == b"zhang"
    with time_machine.travel(start + dt.timedelta(hours=8, seconds=1), tick=False):
        assert client.get("/test-whoami/").status_code == 401


def test_signing_in_starts_a_new_session():
    """The session key changes at sign-in (no session fixation)."""
    citizen("zhang")
    client = Client()
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key
    client.post("/accounts/login/", {"username": "zhang", "password": PASSWORD})
    assert client.session.session_key != before
