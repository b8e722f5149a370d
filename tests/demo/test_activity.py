"""The season of applications, replayed into a database: the mix is there in the rows."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Q
from django.test import override_settings
from django.utils import timezone

from xiaoneng.accounts.models import Role, User
from xiaoneng.applications.models import Application, ApplicationEvent, ApplicationMaterial
from xiaoneng.applications.services import SPECIAL_PROCEDURES
from xiaoneng.clocks.models import Clock
from xiaoneng.core.models import AuditEvent
from xiaoneng.demo.activity import demo_build_activity, season_figures, tiny_pdf, tiny_png
from xiaoneng.demo.services import demo_build
from xiaoneng.ratings.models import Rating, Rectification

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2025, 6, 18)  # a Wednesday; the season runs 2025-05-04 … 2025-06-17
PROMISED = "application.promised"


QUIET = {
    # Queued work (result PDFs, SMS) stays queued, as it would for the worker.
    "TASKS": {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    },
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
}


@pytest.fixture(scope="module")
def season(django_db_setup, django_db_blocker, tmp_path_factory):  # type: ignore[no-untyped-def]
    """One small season for the module's tests, rolled back after them."""
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, **QUIET),
        transaction.atomic(),
    ):
        demo_build(activity=False)
        yield demo_build_activity(seed=5, today=TODAY, applications=50, days=45)
        transaction.set_rollback(True)


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment, SHANGHAI).date()


def test_a_small_season_holds_the_mix_in_its_rows(season):
    """Concluded on time and late, open yellow and red, bad reviews with rectifications
    (completed and open), special procedures, extensions, supplements and refusals: all
    counted from the rows the services wrote."""
    apps = Application.objects.all()
    assert apps.count() == 50
    concluded = apps.filter(status__in=["concluded", "delivered"])
    assert concluded.filter(promised_clock__warning="none").count() > 20
    assert concluded.filter(promised_clock__warning="red").count() >= 2  # concluded late
    running = Clock.objects.filter(kind=PROMISED, state__in=["running", "paused"])
    yellow = running.filter(warning="yellow")
    red = running.filter(warning="red")
    assert yellow.exists() and red.exists()
    # The stored warnings are today's: the scan ran for TODAY (docs/clock.md §6).
    assert all(c.due_on < TODAY for c in red)
    assert all(c.yellow_on <= TODAY <= c.due_on for c in yellow)
    assert apps.filter(status="paused").exists()
    assert apps.filter(supplement_notice__has_key="supplemented_on").exists()
    assert apps.filter(promised_clock__pauses__kind__in=SPECIAL_PROCEDURES).exists()
    assert apps.filter(promised_clock__extension_days__gt=0).exists()
    assert apps.filter(status="not_accepted").exists()
    assert apps.filter(decision="denied").exists()
    assert apps.filter(kind="instant", status__in=["concluded", "delivered"]).exists()
    assert apps.filter(events__action="deem-accepted").exists()

    bad = Rating.objects.filter(is_bad=True)
    assert bad.count() >= 2
    assert Rectification.objects.count() == bad.count()
    assert Rectification.objects.filter(state="completed").exists()
    assert Rectification.objects.filter(state__in=["open", "visited"]).exists()
    assert Rating.objects.filter(level__gte=4).count() > bad.count() * 5
    # The summary is the same count, from the same rows.
    assert season_figures() == {k: v for k, v in season.items() if k != "accounts_registered"}
    assert season["open_red"] == red.count() and season["open_yellow"] == yellow.count()


def test_every_application_has_its_events_and_audit_trail(season):
    """Each application starts with a submit or register event, each status change has an
    event, and the audit log names every application."""
    apps = Application.objects.annotate(n=Count("events"))
    assert all(a.n >= 1 for a in apps)
    first = {
        e.application_id: e.action
        for e in ApplicationEvent.objects.order_by("application_id", "-at", "-id")
    }
    assert set(first.values()) <= {"submit", "register-walk-in"}
    for app in Application.objects.exclude(status="submitted"):
        assert app.events.filter(to_status=app.status).exists(), app.number
    audited = set(
        AuditEvent.objects.filter(action__startswith="applications.application_").values_list(
            "target_id", flat=True
        )
    )
    assert {str(pk) for pk in Application.objects.values_list("pk", flat=True)} <= audited


def test_no_date_is_in_the_future(season):
    """Everything happened before TODAY (and before now); only the scan of TODAY is on it."""
    now = timezone.now()
    for app in Application.objects.all():
        for day in (app.received_on, app.accepted_on, app.decided_on, app.concluded_on):
            assert day is None or day < TODAY
        assert _local_day(app.created_at) < TODAY
    assert all(
        _local_day(at) < TODAY for at in ApplicationEvent.objects.values_list("at", flat=True)
    )
    assert all(_local_day(at) < TODAY for at in Rating.objects.values_list("created_at", flat=True))
    for clock in Clock.objects.all():
        assert clock.started_on < TODAY
        assert clock.stopped_on is None or clock.stopped_on < TODAY
    # The season's audit trail ends with the warning scan of TODAY; the catalog's (built
    # before, at the real time) is later than TODAY but never later than now.
    season_rooms = Q()
    for room in ("applications.", "clocks.", "ratings.", "licenses.", "notifications."):
        season_rooms |= Q(action__startswith=room)
    trail = AuditEvent.objects.filter(season_rooms).values_list("at", flat=True)
    assert trail and all(_local_day(at) <= TODAY for at in trail)
    assert all(at <= now for at in AuditEvent.objects.values_list("at", flat=True))


def test_season_people_uploads_and_walk_ins(season):
    """Officers of eight departments sign in with the demo password; walk-ins are registered
    by window officers; uploads are real small PDF and PNG files."""
    # Reviewers only: the hotline adds a window officer to every department it dispatches to.
    reviewers = User.objects.filter(role=Role.REVIEWER)
    assert reviewers.values("department").distinct().count() == 8
    assert User.objects.get(username="reviewer002").check_password("demo")
    assert User.objects.get(username="head002").department.code == "130100002"
    walk_ins = Application.objects.filter(channel="window")
    assert walk_ins.exists()
    assert all(a.registered_by.role == Role.WINDOW for a in walk_ins)
    uploads = ApplicationMaterial.objects.filter(kind="uploaded")
    assert uploads.exists()
    for row in uploads[:5]:
        with default_storage.open(row.file.name) as stored:
            content = stored.read()
        assert content in (tiny_pdf(), tiny_png())
